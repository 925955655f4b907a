// Helpers for the workspace parser tests: parse a YAML string as "workspace.yaml" in "/ws" with a
// fixed environment, and read back diagnostics as "FILE:LINE:COL: message" strings.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "workspace/workspace_parser.h"

namespace codeloc::workspace::testing {

inline EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

inline ParseResult parse_yaml(std::string_view yaml,
                              std::map<std::string, std::string> env = {{"HOME", "/home/ada"}}) {
  return WorkspaceParser(fake_env(std::move(env))).parse(yaml, "workspace.yaml", "/ws");
}

inline std::vector<std::string> errors_of(const ParseResult& result) {
  std::vector<std::string> out;
  for (const auto& d : result.diagnostics)
    out.push_back(d.str());
  return out;
}

inline std::vector<std::string> parse_errors(std::string_view yaml,
                                             std::map<std::string, std::string> env = {}) {
  return errors_of(parse_yaml(yaml, std::move(env)));
}

// The single location of a valid one-entry file; fails the test otherwise.
inline LocationSpec parse_one(std::string_view yaml,
                              std::map<std::string, std::string> env = {{"HOME", "/home/ada"}}) {
  ParseResult result = parse_yaml(yaml, std::move(env));
  if (!result.ok() || result.locations.size() != 1) {
    std::string text;
    for (const auto& e : errors_of(result))
      text += e + "\n";
    ADD_FAILURE() << "expected one valid location, got " << result.locations.size()
                  << " and errors:\n"
                  << text;
    return {};
  }
  return result.locations.front();
}

// A bare spec of the given name and kind, for tests that build workspaces by hand.
inline LocationSpec make_spec(std::string name, LocationKind kind = LocationKind::kPythonModule) {
  LocationSpec spec;
  spec.name = std::move(name);
  spec.kind = kind;
  return spec;
}

}  // namespace codeloc::workspace::testing
