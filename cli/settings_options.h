// The daemon's settings as command-line flags: one flag per entry of config/setting_table.h, plus
// --config. A command that runs the daemon (serve) uses the pair:
//
//   SettingsOptions options;                        // must outlive app.parse()
//   add_settings_options(serve_command, &options);  // at setup
//   ...
//   config::SettingsResult settings = resolve_settings_options(options);  // in the callback
//   if (!settings.ok()) { print each of settings.errors to stderr; exit kExitUsage; }
//   print each of settings.warnings; use settings.settings.
//
// Flags only collect text; every value is parsed and checked by config::resolve_settings, so a bad
// flag is reported with the bad environment variables and file lines in one list (never by CLI11).
// The command must not define flags of its own with these names (--socket, --watch, ...).
#pragma once

#include <map>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "config/settings_resolver.h"

namespace codeloc::cli {

// The raw text of the settings flags given on the command line.
struct SettingsOptions {
  std::optional<std::string> config;          // --config PATH
  std::map<std::string, std::string> values;  // setting key -> text, only for flags given
};

// Registers --config and every setting's flag on command, in a "Daemon settings" help group.
// Boolean settings get a pair: --watch / --no-watch. *options must outlive command's parsing.
void add_settings_options(CLI::App* command, SettingsOptions* options);

// Settings from options, this process's environment and user, the working directory and the
// config file (--config, else $CODELOC_CONFIG), in the precedence of config/settings_resolver.h.
config::SettingsResult resolve_settings_options(const SettingsOptions& options);

// True when a flag, the environment or the config file set `key` (its origin is not "default").
bool setting_chosen(const config::SettingsResult& resolved, const std::string& key);

// `codeloc serve`'s defaults over resolved settings: log_format is journal when stderr is the
// journal (`stderr_is_journal`, daemon/logs/journal_sink.h) and nothing chose a format.
config::Settings serve_settings(const config::SettingsResult& resolved, bool stderr_is_journal);

// `codeloc dev`'s defaults over resolved settings: watching on and the dev socket
// (config::default_dev_socket_path), each unless a flag, the environment or the file chose.
config::Settings dev_settings(const config::SettingsResult& resolved,
                              const config::Environment& environment, unsigned uid);

}  // namespace codeloc::cli
