// What one reload did: how long it took, how it ended and how the definitions changed. The
// daemon log line, the `event.reloaded` notification and `codeloc dev` all read it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/supervision/location_state.h"
#include "daemon/supervision/snapshot.h"

namespace codeloc::daemon {

// How many of each kind of definition a snapshot holds (its `summary`, docs/snapshot.md).
struct DefinitionsCounts {
  int assets = 0;
  int asset_checks = 0;
  int jobs = 0;
  int schedules = 0;
  int sensors = 0;
  int resources = 0;
};

struct DefinitionsChange {
  DefinitionsCounts counts;  // after the reload
  // Asset keys ("a/b") that appeared and disappeared. Only computed when both snapshots are small
  // enough to decode on the event loop (kMaxComparedSnapshotBytes); keys_compared says so.
  bool keys_compared = false;
  std::vector<std::string> added_assets;
  std::vector<std::string> removed_assets;
};

// A snapshot's counts, from the code server's summary (zeros when it sent none).
DefinitionsCounts counts_of(const Snapshot& snapshot);
// "14 assets, 2 jobs, 1 schedule": assets and jobs always, schedules and sensors when present.
// `asset_delta` (" (+1 -0)") goes right after the assets.
std::string describe_counts(const DefinitionsCounts& counts, const std::string& asset_delta = "");

// Snapshots above this size are not decoded to compare asset keys (STYLE.md point 9).
inline constexpr std::size_t kMaxComparedSnapshotBytes = 16u << 20;

// Compares the definitions before a reload (none after a first load) with the new ones.
DefinitionsChange compare_definitions(const Snapshot* before, const Snapshot& after);

struct ReloadReport {
  // How it ended: kLoaded, kLoadError, kBackoff or kStopped (crashed), kStopping (stopped by
  // request while loading).
  LocationState outcome = LocationState::kLoaded;
  std::chrono::milliseconds duration{0};
  std::string cause;                        // "assets.py changed", "requested", ...
  std::optional<DefinitionsChange> change;  // when loaded
  std::string error;                        // the load error or crash, when not loaded
  std::string start_mode;  // "warm" or "cold" (how the new process started); empty: no process
};

// "reloaded analytics in 1.84 s: 14 assets (+1 -0), 2 jobs, 1 schedule", or
// "reload of analytics failed to load after 0.91 s" (the error is in the state change's line).
std::string describe_reload(const std::string& location, const ReloadReport& report);
// The `event.reloaded` params (docs/protocol.md).
nlohmann::json reload_json(const std::string& location, const ReloadReport& report);

}  // namespace codeloc::daemon
