// Re-reading the workspace files and applying the difference: one path for SIGHUP and for the
// control method workspace.reload (and, later, for edits of the files themselves).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/supervision/supervisor.h"
#include "workspace/workspace_diff.h"
#include "workspace/workspace_loader.h"

namespace codeloc::daemon {

// Reads `files` (the -w list, in order) with the real environment. Every diagnostic is logged.
workspace::LoadResult load_workspace_files(const std::vector<std::string>& files);

struct WorkspaceReload {
  std::optional<workspace::WorkspaceDiff> diff;  // set when the files parsed and were applied
  std::vector<std::string> errors;               // "FILE:LINE:COL: message", when they did not
};

// Loads and, when the workspace is valid, applies it; a broken workspace changes nothing.
WorkspaceReload reload_workspace(Supervisor& supervisor, const std::vector<std::string>& files);

// {"added": [...], "removed": [...], "changed": [{"name", "fields"}], "unchanged": [...]}
nlohmann::json diff_json(const workspace::WorkspaceDiff& diff);

}  // namespace codeloc::daemon
