// Parses one item of a workspace file's load_from list into a LocationSpec: the entry kinds
// Dagster accepts (python_file, python_module, python_package, autoload_defs_module,
// grpc_server) with Dagster's meaning and defaults, codeloc's kinds (command, code_server), and
// codeloc's per-entry extension keys. docs/workspace.md is the reference for every key.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "workspace/diagnostic.h"
#include "workspace/field_reader.h"
#include "workspace/location_spec.h"

namespace codeloc::workspace {

// The workspace.yaml keys of every entry kind, in the order docs/workspace.md lists them.
const std::vector<std::string_view>& entry_kind_names();

class EntryParser {
 public:
  // file: the workspace file as the user named it (for positions). folder: its absolute folder,
  // against which relative paths resolve. env: resolves {env: VAR} and HOME for '~'.
  // REQUIRES: every argument outlives the parser.
  EntryParser(const std::string& file, const std::filesystem::path& folder, const EnvLookup& env,
              Diagnostics* out);

  // The entry's location, or nullopt when it is too broken to have a name. Every problem found
  // is appended to the diagnostics, so a returned spec is only usable when none were added.
  std::optional<LocationSpec> parse(const YAML::Node& entry);

  // Where the entry's name comes from: its location_name value, else the entry's kind key.
  // Valid after parse() returned a spec.
  const SourcePos& name_pos() const { return name_pos_; }

 private:
  void parse_python(const YAML::Node& body, LocationSpec* spec);
  void parse_grpc_server(const YAML::Node& body, LocationSpec* spec);
  void parse_command(const YAML::Node& body, LocationSpec* spec);
  void parse_code_server(const YAML::Node& body, LocationSpec* spec);
  // port / socket / host shared by grpc_server and code_server; true when valid.
  bool parse_endpoint(FieldReader& fields, LocationSpec* spec);
  void parse_location_name(FieldReader& fields, bool required, LocationSpec* spec);

  std::filesystem::path resolve(const std::string& path) const;
  std::optional<std::string> expand_executable(FieldReader& fields, const std::string& path);

  const std::string& file_;
  const std::filesystem::path& folder_;
  const EnvLookup& env_;
  Diagnostics* out_;
  SourcePos name_pos_;
};

}  // namespace codeloc::workspace
