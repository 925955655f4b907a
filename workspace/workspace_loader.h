// Reads one or more workspace files (the `-w` flags, in order) and merges them into a Workspace.
// This is the I/O edge of the workspace library; WorkspaceParser does the parsing.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "workspace/diagnostic.h"
#include "workspace/field_reader.h"
#include "workspace/location_spec.h"

namespace codeloc::workspace {

struct LoadResult {
  std::optional<Workspace> workspace;  // set only when there are no diagnostics
  Diagnostics diagnostics;             // every problem in every file, file by file
};

class WorkspaceLoader {
 public:
  // Reads a whole file: its contents, or nullopt with *error set to the reason ("No such file
  // or directory").
  using FileReader =
      std::function<std::optional<std::string>(const std::filesystem::path&, std::string* error)>;

  explicit WorkspaceLoader(EnvLookup env, FileReader reader = read_file);

  // Parses files in order. A later file's location replaces an earlier one of the same name and
  // takes its position; a name repeated inside one file is an error. Relative paths in files are
  // made absolute against the current directory.
  LoadResult load(const std::vector<std::string>& files) const;

  // Merges the locations of one more file into workspace (the rule of load()).
  static void merge(std::vector<LocationSpec> locations, Workspace* workspace);

  // The real FileReader.
  static std::optional<std::string> read_file(const std::filesystem::path& path,
                                              std::string* error);

 private:
  EnvLookup env_;
  FileReader reader_;
};

}  // namespace codeloc::workspace
