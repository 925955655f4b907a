// The thin I/O layer around resolve_settings(): finds and reads the config file, and captures the
// process environment. Everything it decides beyond reading is in settings_resolver.h.
#pragma once

#include <optional>
#include <string>

#include "config/settings_resolver.h"

namespace codeloc::config {

// The variable naming the config file when --config is not given.
inline constexpr const char* kConfigVariable = "CODELOC_CONFIG";

// The config file's path: config_flag when given and non-empty, else $CODELOC_CONFIG when
// non-empty, else none. No default path is read implicitly (docs/configuration.md says why).
std::optional<std::string> config_file_path(const std::optional<std::string>& config_flag,
                                            const Environment& environment);

// Reads the file config_file_path() names (relative to sources.cwd) into sources.file, then
// resolves. A file that cannot be read is an error ("PATH: cannot read config file: ...").
// sources.file must be unset.
SettingsResult load_settings(SettingsSources sources,
                             const std::optional<std::string>& config_flag);

// This process's environment (environ), as a map.
Environment current_environment();

}  // namespace codeloc::config
