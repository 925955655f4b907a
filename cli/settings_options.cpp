#include "cli/settings_options.h"

#include <cstdint>
#include <filesystem>
#include <system_error>

#include <unistd.h>

#include "config/setting_table.h"
#include "config/settings_loader.h"

namespace codeloc::cli {
namespace {

constexpr const char* kGroup = "Daemon settings (flag > environment > config file > default)";

std::string help_text(const config::SettingDef& def) {
  return std::string(def.doc) + " [default: " + std::string(def.default_text) + "; env " +
         std::string(def.env_var) + "]";
}

}  // namespace

void add_settings_options(CLI::App* command, SettingsOptions* options) {
  command
      ->add_option_function<std::string>(
          "--config", [options](const std::string& path) { options->config = path; },
          "read settings from this YAML file [env CODELOC_CONFIG]")
      ->type_name("PATH")
      ->group(kGroup);
  for (const config::SettingDef& def : config::setting_table()) {
    std::string key(def.key);
    if (def.is_bool) {
      // --watch / --no-watch: CLI11 reads the negated spelling as -1; the last one given wins.
      std::string names = std::string(def.flag) + ",!--no-" + std::string(def.flag.substr(2));
      command
          ->add_flag_function(
              names,
              [options, key](std::int64_t count) {
                options->values[key] = count > 0 ? "true" : "false";
              },
              help_text(def))
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
          ->group(kGroup);
      continue;
    }
    command
        ->add_option_function<std::string>(
            std::string(def.flag),
            [options, key](const std::string& text) { options->values[key] = text; },
            help_text(def))
        ->type_name(std::string(def.value_name))
        ->group(kGroup);
  }
}

config::SettingsResult resolve_settings_options(const SettingsOptions& options) {
  config::SettingsSources sources;
  sources.flags = options.values;
  sources.environment = config::current_environment();
  sources.uid = static_cast<unsigned>(::getuid());
  std::error_code error;
  sources.cwd = std::filesystem::current_path(error);
  if (error) sources.cwd = "/";
  return config::load_settings(std::move(sources), options.config);
}

bool setting_chosen(const config::SettingsResult& resolved, const std::string& key) {
  auto it = resolved.origins.find(key);
  return it != resolved.origins.end() && it->second != "default";
}

config::Settings serve_settings(const config::SettingsResult& resolved, bool stderr_is_journal) {
  config::Settings settings = resolved.settings;
  if (stderr_is_journal && !setting_chosen(resolved, "log_format")) {
    settings.log_format = config::LogFormat::kJournal;
  }
  return settings;
}

config::Settings dev_settings(const config::SettingsResult& resolved,
                              const config::Environment& environment, unsigned uid) {
  config::Settings settings = resolved.settings;
  if (!setting_chosen(resolved, "watch")) settings.watch = true;
  if (!setting_chosen(resolved, "socket"))
    settings.socket = config::default_dev_socket_path(environment, uid);
  return settings;
}

}  // namespace codeloc::cli
