// The daemon's config file: a YAML map of setting keys (config/setting_table.h) to scalar values.
// Parsing takes the text, never the file (config/settings_loader.h reads it).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace codeloc::config {

struct ConfigEntry {
  std::string key;    // a known setting key (unknown keys are errors, not entries)
  std::string value;  // the scalar's text, exactly as written ("0600" stays "0600")
  int line = 0;       // the value's position, 1-based
  int column = 0;
};

struct ConfigFile {
  std::vector<ConfigEntry> entries;  // in file order
  // Every problem found, each "NAME:LINE:COL: message": YAML syntax, a top level that is not a
  // map, unknown keys (with the nearest known one), duplicate keys, values that are not scalars.
  std::vector<std::string> errors;
};

// name is how errors refer to the file (the path as the user gave it). An empty document (no text,
// only comments, or `{}`) is a valid file that sets nothing.
ConfigFile parse_config_file(std::string_view name, std::string_view text);

// "did you mean 'stop_timeout'?" for a key that is no setting ('stop-timeout', 'STOP_TIMEOUT',
// 'CODELOC_STOP_TIMEOUT' and near misses like 'stop_timout'), or "" when nothing is close.
std::string suggest_setting_key(std::string_view key);

}  // namespace codeloc::config
