// The frame every client command runs in: connect to the daemon, run the command's body, and turn
// any failure into one line on stderr and an exit status (docs/cli.md).
#pragma once

#include <functional>
#include <string>

#include "ipc/client.h"
#include "ipc/rpc_error.h"

namespace codeloc::cli {

// Connects (see connect_to_daemon: one line and kExitNoDaemon when no daemon runs), then stores
// body's return value in *exit_code. An RpcError escaping `body` prints describe_rpc_error();
// a ClientError prints its message; both give kExitFailure.
void run_with_daemon(const std::string& socket_flag, int* exit_code,
                     const std::function<int(ipc::Client&)>& body);

// The one line (without "codeloc: " and newline) that tells a user what an error answer means:
// "no location named 'x' (`codeloc status` lists them)" for -32010, else the daemon's message.
std::string describe_rpc_error(const ipc::RpcError& error);

}  // namespace codeloc::cli
