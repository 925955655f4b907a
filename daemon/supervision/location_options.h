// Settings every location shares (the daemon's, resolved once at start).
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>

#include "config/defaults.h"

namespace codeloc::daemon {

struct LocationOptions {
  std::filesystem::path code_server;  // the codeloc_server directory python runs
  std::string default_python = defaults::kPython;
  std::size_t log_ring_lines = defaults::kLogRingLines;
  std::size_t log_ring_bytes = defaults::kLogRingBytes;
  std::size_t log_line_max_bytes = defaults::kLogLineMaxBytes;
  std::size_t max_message_bytes = defaults::kMaxMessageBytes;
  // Python locations ask for warm starts unless their entry says warm: false.
  bool warm = defaults::kWarm;
  std::filesystem::path control_socket;  // CODELOC_SOCKET for every child; empty: not set
  // Dagster's gRPC API (docs/dagster.md): Python locations serve it under state_dir/dagster
  // unless dagster_grpc is off or state_dir is empty. A replaced code server that serves it
  // finishes its in-flight runs for drain_timeout at most before it is stopped.
  std::filesystem::path state_dir;
  bool dagster_grpc = defaults::kDagsterGrpc;
  std::chrono::milliseconds drain_timeout = defaults::kDrainTimeout;
};

}  // namespace codeloc::daemon
