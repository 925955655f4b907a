// What changed between two workspaces, location by location, for reloads: which locations to
// start, stop, restart or leave alone.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "workspace/location_spec.h"

namespace codeloc::workspace {

struct LocationChange {
  std::string name;
  // The workspace.yaml keys whose resolved value differs: "kind", "target", "attribute",
  // "working_directory", "executable_path", "argv", "host", "port", "socket", "ssl",
  // "additional_metadata", "env", "inherit_env", "watch", "ignore", "restart", "backoff",
  // "startup_timeout", "stop_timeout", "stop_signal".
  std::set<std::string> fields;

  bool operator==(const LocationChange&) const = default;
};

struct WorkspaceDiff {
  std::vector<std::string> added;       // in the new workspace's order
  std::vector<std::string> removed;     // in the old workspace's order
  std::vector<LocationChange> changed;  // in the new workspace's order
  std::vector<std::string> unchanged;   // in the new workspace's order

  // True when nothing was added, removed or changed.
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};

// Compares locations by name. A location's origin (where it stands in its file) is not part of
// its identity: moving an entry, or the file it is in, is not a change.
WorkspaceDiff diff(const Workspace& before, const Workspace& after);

// The fields (as in LocationChange) whose values differ between a and b, origin excluded.
std::set<std::string> changed_fields(const LocationSpec& a, const LocationSpec& b);

}  // namespace codeloc::workspace
