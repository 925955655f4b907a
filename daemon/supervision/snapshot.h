// A location's definitions as the daemon keeps them: the exact bytes the code server sent for
// `result.snapshot`, never decoded and re-encoded, with their version (docs/protocol.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace codeloc::daemon {

struct Snapshot {
  std::string bytes;       // one JSON object, exactly as received
  std::string version;     // "sha256:<hex of bytes>"
  nlohmann::json summary;  // the code server's counts, or null
  std::chrono::system_clock::time_point received_at;
};

// The smallest snapshot whose memory is given back on a thread of its own.
inline constexpr std::size_t kFreeOffLoopBytes = 1u << 20;

// The snapshot, shared (the location, and every control answer still being written, hold it).
// Whoever drops the last reference, a snapshot of kFreeOffLoopBytes or more is freed on a thread
// of its own: unmapping 50 MB takes milliseconds (4-8 ms seen on the loop, perf trace).
std::shared_ptr<const Snapshot> share_snapshot(Snapshot snapshot);

// A structured load error (docs/protocol.md, "Load errors"), or a crash or configuration problem
// as {"message": ...}.
struct LocationError {
  std::string message;    // one line, for status tables and logs
  nlohmann::json detail;  // the object shown as `error` by locations.list
};

}  // namespace codeloc::daemon
