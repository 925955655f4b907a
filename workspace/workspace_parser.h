// Parses the text of one workspace.yaml into LocationSpecs. Does no I/O: the caller supplies the
// text, the file's names and an environment lookup (WorkspaceLoader reads real files).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "workspace/diagnostic.h"
#include "workspace/field_reader.h"
#include "workspace/location_spec.h"

namespace codeloc::workspace {

struct ParseResult {
  std::vector<LocationSpec> locations;  // in file order; only usable when ok()
  Diagnostics diagnostics;              // every problem found, in file order

  bool ok() const { return diagnostics.empty(); }
};

class WorkspaceParser {
 public:
  // env resolves {env: VAR} values and HOME for '~' in executable_path.
  explicit WorkspaceParser(EnvLookup env);

  // text: the file's contents. file: its path as the user named it, used in positions.
  // folder: its absolute folder, against which relative paths resolve.
  // Never throws for bad input: YAML syntax errors become diagnostics at yaml-cpp's position.
  ParseResult parse(std::string_view text, const std::string& file,
                    const std::filesystem::path& folder) const;

 private:
  // Parses the items of load_from into result, and checks that names are unique.
  void parse_entries(const YAML::Node& load_from, const std::string& file,
                     const std::filesystem::path& folder, ParseResult* result) const;

  EnvLookup env_;
};

// An EnvLookup reading this process's environment (getenv).
EnvLookup process_env();

}  // namespace codeloc::workspace
