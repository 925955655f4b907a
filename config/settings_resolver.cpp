#include "config/settings_resolver.h"

#include <algorithm>
#include <set>

#include "config/config_file.h"
#include "config/nearest_name.h"
#include "config/setting_table.h"
#include "config/setting_values.h"
#include "workspace/values.h"

namespace codeloc::config {
namespace {

// Variables codeloc sets or reads that are not settings; never worth a warning.
const std::set<std::string, std::less<>> kOtherVariables{"CODELOC_CONFIG", "CODELOC_LOCATION",
                                                         "CODELOC_CHANNEL_FD", "CODELOC_PROTOCOL",
                                                         "CODELOC_JOURNAL_SOCKET"};

class Resolver {
 public:
  explicit Resolver(const SettingsSources& sources) : sources_(sources) {
    result_.settings = Settings::defaults(sources.environment, sources.uid);
    for (const SettingDef& def : setting_table())
      result_.origins[std::string(def.key)] = "default";
    auto home = sources.environment.find("HOME");
    if (home != sources.environment.end()) home_ = home->second;
  }

  void apply_file() {
    if (!sources_.file) return;
    const ConfigText& file = *sources_.file;
    ConfigFile parsed = parse_config_file(file.name, file.text);
    result_.errors = parsed.errors;
    std::filesystem::path folder = (sources_.cwd / file.name).lexically_normal().parent_path();
    for (const ConfigEntry& entry : parsed.entries) {
      std::string at =
          file.name + ":" + std::to_string(entry.line) + ":" + std::to_string(entry.column);
      apply(*find_setting(entry.key), entry.value, folder, at, at + ": " + entry.key);
    }
  }

  void apply_environment() {
    std::vector<std::string_view> names;
    for (const SettingDef& def : setting_table()) {
      names.push_back(def.env_var);
      auto it = sources_.environment.find(std::string(def.env_var));
      // An empty variable counts as unset, as `VAR= codeloc serve` is how shells unset one.
      if (it == sources_.environment.end() || it->second.empty()) continue;
      apply(def, it->second, sources_.cwd, it->first, it->first);
    }
    for (const auto& [name, value] : sources_.environment) {
      if (name.rfind("CODELOC_", 0) != 0 || kOtherVariables.contains(name)) continue;
      if (std::find(names.begin(), names.end(), name) != names.end()) continue;
      if (auto near = nearest_name(name, names, 2)) {
        result_.warnings.push_back(name + ": not a codeloc setting, ignored (did you mean " +
                                   *near + "?)");
      }
    }
  }

  void apply_flags() {
    for (const auto& [key, value] : sources_.flags) {
      const SettingDef* def = find_setting(key);
      if (!def) {
        result_.errors.push_back("--" + key + ": unknown setting");
        continue;
      }
      apply(*def, value, sources_.cwd, std::string(def->flag), std::string(def->flag));
    }
  }

  // Rules between settings, checked on the final values, naming where each came from.
  void check_relations() {
    const Settings& s = result_.settings;
    if (s.restart_defaults.backoff_initial > s.restart_defaults.backoff_max) {
      relation_error("backoff_initial", "backoff_max", "is longer than");
    }
    if (s.log_line_max_bytes > s.log_ring_bytes) {
      relation_error("log_line_max_bytes", "log_ring_bytes", "is larger than");
    }
  }

  SettingsResult take() { return std::move(result_); }

 private:
  // prefix leads an error message; origin is recorded when the value is taken.
  void apply(const SettingDef& def, const std::string& value, const std::filesystem::path& base,
             const std::string& origin, const std::string& prefix) {
    std::string error;
    if (def.parse(value, ValueContext{base, home_}, &result_.settings, &error)) {
      result_.origins[std::string(def.key)] = origin;
    } else {
      result_.errors.push_back(prefix + ": " + error);
    }
  }

  std::string value_of(const std::string& key) {
    return find_setting(key)->format(result_.settings) + ", from " + result_.origins[key];
  }

  void relation_error(const std::string& a, const std::string& b, const std::string& relation) {
    // Lead with a source the user wrote (both cannot be defaults: the defaults agree).
    const std::string& origin =
        result_.origins[a] != "default" ? result_.origins[a] : result_.origins[b];
    result_.errors.push_back(origin + ": " + a + " (" + value_of(a) + ") " + relation + " " + b +
                             " (" + value_of(b) + ")");
  }

  const SettingsSources& sources_;
  SettingsResult result_;
  std::string home_;
};

}  // namespace

SettingsResult resolve_settings(const SettingsSources& sources) {
  Resolver resolver(sources);
  resolver.apply_file();
  resolver.apply_environment();
  resolver.apply_flags();
  resolver.check_relations();
  return resolver.take();
}

std::vector<std::string> describe_settings(const SettingsResult& result) {
  std::vector<std::string> lines;
  for (const SettingDef& def : setting_table()) {
    auto origin = result.origins.find(std::string(def.key));
    lines.push_back(std::string(def.key) + " = " + def.format(result.settings) + " (" +
                    (origin == result.origins.end() ? "default" : origin->second) + ")");
  }
  return lines;
}

}  // namespace codeloc::config
