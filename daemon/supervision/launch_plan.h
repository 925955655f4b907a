// What a location's child is started with: argv, environment, working directory and whether it
// may be forked warm. Pure functions of the entry, the shared options, the child's identity and
// the daemon's environment (passed in), so that every kind's command line is unit-tested
// (tests/daemon/supervision/launch_plan_test.cpp) without starting anything.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

#include "daemon/processes/process_launcher.h"
#include "daemon/supervision/location_options.h"
#include "workspace/location_spec.h"

namespace codeloc::daemon {

// What tells one child of a location from the others.
struct ChildIdentity {
  std::string token;                  // CODELOC_INSTANCE (process_tree.h)
  std::filesystem::path grpc_socket;  // this generation's Dagster gRPC socket; empty: none
};

// CODELOC_INSTANCE for child `child_id` of location `name` of the daemon `daemon_pid`: unique
// among every child the daemon starts.
std::string instance_token(pid_t daemon_pid, const std::string& name, std::uint64_t child_id);

// A command entry's argv as written; for the Python kinds and grpc_server,
// <python> <code server> --location NAME <the kind's target arguments> [--attribute A]
// [--working-directory D] [--dagster-grpc-socket S].
std::vector<std::string> child_argv(const workspace::LocationSpec& spec,
                                    const LocationOptions& options,
                                    const std::filesystem::path& grpc_socket);

// The child's whole environment, "KEY=VALUE" sorted by key: the daemon's (`daemon_env`, same
// form) unless inherit_env is off, less its service-manager variables; PYTHONUNBUFFERED for the
// Python kinds; the entry's env; then the CODELOC_* variables, which nothing overrides.
std::vector<std::string> child_env(const workspace::LocationSpec& spec,
                                   const LocationOptions& options, const ChildIdentity& child,
                                   const std::vector<std::string>& daemon_env);

// argv, env, working directory and warm of a child; channel_fd is left for the caller.
LaunchSpec launch_plan(const workspace::LocationSpec& spec, const LocationOptions& options,
                       const ChildIdentity& child, const std::vector<std::string>& daemon_env);

// Why no child of `spec` can start at all (the Python code server was not found); empty when one
// can.
std::string cannot_launch_reason(const workspace::LocationSpec& spec,
                                 const LocationOptions& options);

// The daemon's environment (environ), for child_env: the one read of process state here.
std::vector<std::string> daemon_environment();

}  // namespace codeloc::daemon
