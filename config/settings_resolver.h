// Turns the daemon's four sources of settings into one Settings value. Precedence, highest first:
//   command-line flag > environment variable > config file > built-in default.
// No I/O: the file arrives as text, the environment as a map (config/settings_loader.h gathers
// the real ones).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.h"

namespace codeloc::config {

struct ConfigText {
  std::string name;  // the path as the user gave it; errors use it ("codeloc.yaml:3:1: ...")
  std::string text;
};

struct SettingsSources {
  // Raw flag text by setting key ("stop_timeout" -> "5s"), only for flags given.
  std::map<std::string, std::string> flags;
  Environment environment;
  std::optional<ConfigText> file;
  unsigned uid = 0;  // picks the default socket and state paths
  // Absolute. Relative paths in flags and environment variables are resolved against it, and a
  // relative file name too (a file's relative paths are resolved against the file's folder).
  std::filesystem::path cwd = "/";
};

struct SettingsResult {
  Settings settings;  // complete when ok(); otherwise partly applied and not to be used
  // Every problem, each led by where the bad value came from: "FILE:LINE:COL: ...",
  // "CODELOC_STOP_TIMEOUT: ...", "--socket-mode: ...".
  std::vector<std::string> errors;
  // Not fatal: CODELOC_* variables that look like misspelt settings.
  std::vector<std::string> warnings;
  // Where each setting's value came from, by key: "default", "--flag", "CODELOC_VAR" or
  // "FILE:LINE:COL". For a startup log line or a future `codeloc config`.
  std::map<std::string, std::string> origins;

  bool ok() const { return errors.empty(); }
};

SettingsResult resolve_settings(const SettingsSources& sources);

// "key = value (origin)" for every setting, in table order.
std::vector<std::string> describe_settings(const SettingsResult& result);

}  // namespace codeloc::config
