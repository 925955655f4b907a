// Typed, non-throwing access to the keys of one YAML map in a workspace file. Every problem (a
// wrong type, an unset {env: VAR}, an unknown or duplicate key) is appended to the diagnostics
// and the getter returns nullopt, so that callers carry on and one pass reports everything.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "workspace/diagnostic.h"

namespace codeloc::workspace {

// Looks up an environment variable: its value, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// A yaml-cpp mark (0-based, -1 when unknown) as a SourcePos (1-based, 0 when unknown).
SourcePos to_pos(const std::string& file, const YAML::Mark& mark);

// How a node reads in "expected X, got Y": "a list", "a map", "null" or the quoted scalar.
std::string describe(const YAML::Node& node);

class FieldReader {
 public:
  // map: a YAML map node. where: how messages name the map, e.g. "python_file" gives
  // "'port' in python_file: ..."; "" names the top level.
  // REQUIRES: file, env and out outlive the reader.
  FieldReader(YAML::Node map, std::string where, const std::string& file, const EnvLookup& env,
              Diagnostics* out);

  // Reports duplicate keys, keys listed in rejected (with their reason) and every other key not
  // in allowed (with the nearest allowed key as a suggestion).
  void check_keys(const std::vector<std::string_view>& allowed,
                  const std::map<std::string_view, std::string>& rejected = {});

  bool has(std::string_view key) const;
  // The value of the key's first occurrence, or an invalid node when the key is absent.
  YAML::Node node(std::string_view key) const;
  SourcePos pos() const;                            // the map itself
  SourcePos key_pos(std::string_view key) const;    // the key, or the map when absent
  SourcePos value_pos(std::string_view key) const;  // the value, or the key when it has none

  // Absent keys give nullopt and no diagnostic; present but invalid ones give nullopt and one.
  std::optional<std::string> string(std::string_view key);  // a scalar or {env: VAR}
  std::optional<long long> integer(std::string_view key);   // an integer or {env: VAR}
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::vector<std::string>> string_list(std::string_view key);
  std::optional<std::map<std::string, std::string>> string_map(std::string_view key);
  std::optional<std::chrono::milliseconds> duration(std::string_view key);  // values.h syntax
  std::optional<int> signal(std::string_view key);  // a name (SIGTERM, TERM) or a number

  // Appends "'key' in where: message" at the key's value.
  void error(std::string_view key, const std::string& message);
  // Appends message as written.
  void error_at(const SourcePos& pos, std::string message);

  // A reader for a map nested in this one, sharing its file, environment and diagnostics.
  FieldReader nested(YAML::Node map, std::string where) const {
    return FieldReader(std::move(map), std::move(where), file_, env_, out_);
  }

  // "in python_file", or "at the top level".
  std::string in_where() const;
  const std::string& file() const { return file_; }

 private:
  // The string a scalar or {env: VAR} node stands for; reports problems under key.
  std::optional<std::string> resolve_string(const YAML::Node& value, std::string_view key,
                                            const std::string& item);
  // The first (key, value) pair with this key, or nullptr.
  const std::pair<YAML::Node, YAML::Node>* find(std::string_view key) const;

  YAML::Node map_;
  std::vector<std::pair<YAML::Node, YAML::Node>> entries_;  // in file order
  std::string where_;
  const std::string& file_;
  const EnvLookup& env_;
  Diagnostics* out_;
};

}  // namespace codeloc::workspace
