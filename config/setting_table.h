// The one list of the daemon's settings. Every other place that names a setting (the config file
// parser, the environment, the command-line flags, `--help`, docs/configuration.md and its test)
// works from this table, so adding a setting is adding one entry in setting_table.cpp.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"

namespace codeloc::config {

// What a setting's text is read against.
struct ValueContext {
  // Relative paths are resolved against this absolute folder: the config file's folder for file
  // values, the working directory for environment variables and flags.
  std::filesystem::path base_dir;
  std::string home;  // for a leading '~'; empty when HOME is unset
};

struct SettingDef {
  std::string_view key;           // the config file key: "stop_timeout"
  std::string_view env_var;       // "CODELOC_STOP_TIMEOUT"
  std::string_view flag;          // "--stop-timeout"
  std::string_view value_name;    // for --help: "DURATION", "PATH", "SIZE", ...
  std::string_view default_text;  // as documented: "10s", or a description for computed defaults
  std::string_view doc;           // one line
  bool is_bool = false;           // a flag pair (--watch / --no-watch) rather than a valued flag

  // Parses text into the setting's field of *settings. On failure returns false, leaves
  // *settings unchanged and sets *error to a fragment ("expected ..., got '...'").
  std::function<bool(std::string_view text, const ValueContext& context, Settings* settings,
                     std::string* error)>
      parse;
  // The field's value as text that parse accepts.
  std::function<std::string(const Settings& settings)> format;
};

// Every setting, in documentation order. Keys are snake_case; env_var is CODELOC_ + KEY and flag is
// -- + key with '-' for '_' (a test holds the table to this).
const std::vector<SettingDef>& setting_table();

// The entry for a file key, or nullptr.
const SettingDef* find_setting(std::string_view key);

}  // namespace codeloc::config
