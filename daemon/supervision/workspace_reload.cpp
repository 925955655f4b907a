#include "daemon/supervision/workspace_reload.h"

#include <cstdlib>
#include <filesystem>

#include <spdlog/spdlog.h>

namespace codeloc::daemon {

workspace::LoadResult load_workspace_files(const std::vector<std::string>& files) {
  workspace::WorkspaceLoader loader([](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
  });
  workspace::LoadResult result = loader.load(files);
  for (const auto& diagnostic : result.diagnostics)
    spdlog::error("{}", diagnostic.str());
  return result;
}

WorkspaceReload reload_workspace(Supervisor& supervisor, const std::vector<std::string>& files) {
  WorkspaceReload reload;
  workspace::LoadResult loaded = load_workspace_files(files);
  if (!loaded.workspace) {
    for (const auto& diagnostic : loaded.diagnostics)
      reload.errors.push_back(diagnostic.str());
    std::error_code ec;
    for (const auto& file : files) {
      if (!std::filesystem::exists(file, ec)) {
        spdlog::error(
            "{}: the workspace file is gone; keeping the {} current location(s) as they are "
            "(recreate it to apply it)",
            file, supervisor.workspace().locations.size());
      }
    }
    spdlog::error("the workspace has errors; nothing was changed");
    return reload;
  }
  reload.diff = supervisor.apply(std::move(*loaded.workspace));
  const auto& diff = *reload.diff;
  spdlog::info("workspace reloaded: {} added, {} removed, {} changed, {} unchanged",
               diff.added.size(), diff.removed.size(), diff.changed.size(), diff.unchanged.size());
  return reload;
}

nlohmann::json diff_json(const workspace::WorkspaceDiff& diff) {
  nlohmann::json changed = nlohmann::json::array();
  for (const auto& change : diff.changed) {
    changed.push_back({{"name", change.name}, {"fields", change.fields}});
  }
  return {{"added", diff.added},
          {"removed", diff.removed},
          {"changed", changed},
          {"unchanged", diff.unchanged}};
}

}  // namespace codeloc::daemon
