#include "workspace/workspace_loader.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "workspace/workspace_parser.h"

namespace codeloc::workspace {

WorkspaceLoader::WorkspaceLoader(EnvLookup env, FileReader reader)
    : env_(std::move(env)), reader_(std::move(reader)) {}

LoadResult WorkspaceLoader::load(const std::vector<std::string>& files) const {
  LoadResult result;
  Workspace workspace;
  WorkspaceParser parser(env_);
  for (const std::string& file : files) {
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::absolute(file, ec).lexically_normal();
    std::string error;
    std::optional<std::string> text = ec ? std::nullopt : reader_(absolute, &error);
    if (!text) {
      result.diagnostics.push_back({SourcePos{file, 0, 0}, "cannot read the workspace file: " +
                                                               (ec ? ec.message() : error)});
      continue;
    }
    ParseResult parsed = parser.parse(*text, file, absolute.parent_path());
    workspace.files.push_back(absolute);
    if (!parsed.ok()) {
      result.diagnostics.insert(result.diagnostics.end(), parsed.diagnostics.begin(),
                                parsed.diagnostics.end());
      continue;
    }
    merge(std::move(parsed.locations), &workspace);
  }
  if (result.diagnostics.empty()) result.workspace = std::move(workspace);
  return result;
}

void WorkspaceLoader::merge(std::vector<LocationSpec> locations, Workspace* workspace) {
  for (LocationSpec& location : locations) {
    auto same = std::find_if(workspace->locations.begin(), workspace->locations.end(),
                             [&](const LocationSpec& l) { return l.name == location.name; });
    if (same != workspace->locations.end()) {
      *same = std::move(location);
    } else {
      workspace->locations.push_back(std::move(location));
    }
  }
}

std::optional<std::string> WorkspaceLoader::read_file(const std::filesystem::path& path,
                                                      std::string* error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    *error = "it is a directory";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    *error = std::strerror(errno);
    return std::nullopt;
  }
  return contents.str();
}

}  // namespace codeloc::workspace
