#include "workspace/workspace_parser.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include <yaml-cpp/yaml.h>

#include "workspace/entry_parser.h"

namespace codeloc::workspace {
namespace {

void sort_by_position(Diagnostics* diagnostics) {
  std::stable_sort(
      diagnostics->begin(), diagnostics->end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
      });
}

}  // namespace

WorkspaceParser::WorkspaceParser(EnvLookup env) : env_(std::move(env)) {}

ParseResult WorkspaceParser::parse(std::string_view text, const std::string& file,
                                   const std::filesystem::path& folder) const {
  ParseResult result;
  Diagnostics& out = result.diagnostics;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    out.push_back({to_pos(file, e.mark), "YAML syntax error: " + e.msg});
    return result;
  }
  // Dagster refuses an empty document ("Could not parse a workspace config").
  if (!root || root.IsNull()) {
    out.push_back({SourcePos{file, 1, 1}, "the file is empty: expected a map with 'load_from'"});
    return result;
  }
  if (!root.IsMap()) {
    out.push_back({to_pos(file, root.Mark()),
                   "expected a map with 'load_from' at the top level, got " + describe(root)});
    return result;
  }
  // Dagster's schema is a strict map whose only (optional) key is load_from.
  FieldReader top(root, "", file, env_, &out);
  top.check_keys({"load_from"});
  YAML::Node load_from = top.node("load_from");
  if (load_from.IsSequence()) {
    parse_entries(load_from, file, folder, &result);
  } else if (top.has("load_from")) {
    top.error("load_from", "expected a list of locations, got " + describe(load_from));
  }
  sort_by_position(&out);
  return result;
}

void WorkspaceParser::parse_entries(const YAML::Node& load_from, const std::string& file,
                                    const std::filesystem::path& folder,
                                    ParseResult* result) const {
  Diagnostics& out = result->diagnostics;
  // Node access does not throw for the shapes checked above; this is the adapter's safety net.
  try {
    EntryParser entries(file, folder, env_, &out);
    std::map<std::string, int> first_line;
    for (const YAML::Node& entry : load_from) {
      auto spec = entries.parse(entry);
      if (!spec) continue;
      auto [it, inserted] = first_line.emplace(spec->name, spec->origin.line);
      if (!inserted) {
        out.push_back({entries.name_pos(), "duplicate location name '" + spec->name +
                                               "' (first defined at line " +
                                               std::to_string(it->second) + ")"});
        continue;
      }
      result->locations.push_back(std::move(*spec));
    }
  } catch (const YAML::Exception& e) {
    out.push_back({to_pos(file, e.mark), "YAML error: " + e.msg});
  }
}

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

}  // namespace codeloc::workspace
