// How CLI commands find and reach the daemon: --socket, else $CODELOC_SOCKET, else the default
// path the daemon itself uses (config::default_socket_path), else, when nothing is there but
// `codeloc dev` runs, its socket (config::default_dev_socket_path).
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "ipc/client.h"

namespace codeloc::cli {

// Registers --socket on a client command.
void add_socket_option(CLI::App* command, std::string* socket);

// The socket path a client should use, given the --socket flag (empty when not given).
std::string client_socket_path(const std::string& flag);

// Connects, or prints one line saying why not (and how to start a daemon) and returns nullopt
// with *exit_code set (kExitNoDaemon when no daemon runs there).
std::optional<ipc::Client> connect_to_daemon(const std::string& flag, int* exit_code);

}  // namespace codeloc::cli
