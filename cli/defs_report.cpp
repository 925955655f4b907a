#include "cli/defs_report.h"

#include <map>
#include <sstream>
#include <vector>

#include "cli/text_table.h"

namespace codeloc::cli {
namespace {

using nlohmann::json;

// The member `key` of `object` when it is an array, else an empty array.
json list_of(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_array()) {
    return json::array();
  }
  return object[key];
}

std::string field(const json& object, const char* key) {
  return object.is_object() && object.contains(key) ? json_cell(object[key]) : "-";
}

std::string plural(std::size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::vector<std::string> strings_of(const json& list) {
  std::vector<std::string> out;
  for (const auto& item : list)
    out.push_back(json_cell(item));
  return out;
}

std::vector<std::string> keys_of(const json& list) {
  std::vector<std::string> out;
  for (const auto& key : list)
    out.push_back(asset_key_text(key));
  return out;
}

std::string short_version(const std::string& version) {
  if (version.rfind("sha256:", 0) == 0) return version.substr(7, 12);
  return version;
}

std::string heading(const std::string& text, TableStyle style) {
  return style.color ? "\033[1m" + text + "\033[0m" : text;
}

std::string render_assets(const json& assets, TableStyle style) {
  std::map<std::string, TextTable> groups;  // by group name, sorted
  for (const auto& asset : assets) {
    const json group = asset.is_object() ? asset.value("group", json()) : json();
    std::string name = group.is_string() ? group.get<std::string>() : "(no group)";
    auto [it, inserted] =
        groups.try_emplace(name, std::vector<std::string>{"KEY", "DEPS", "KINDS"}, style.color);
    it->second.add_row({asset_key_text(asset.value("key", json())),
                        join(keys_of(list_of(asset, "deps"))),
                        join(strings_of(list_of(asset, "kinds")))});
  }
  std::string out = heading("Assets", style) + "\n";
  for (const auto& [name, table] : groups)
    out += "  group " + name + "\n" + table.render("    ");
  return out;
}

}  // namespace

std::string asset_key_text(const json& key) {
  if (key.is_array()) return join(strings_of(key), "/", "-");
  return json_cell(key);
}

std::string render_definition_counts(const json& snapshot) {
  return plural(list_of(snapshot, "assets").size(), "asset") + ", " +
         plural(list_of(snapshot, "asset_checks").size(), "asset check") + ", " +
         plural(list_of(snapshot, "jobs").size(), "job") + ", " +
         plural(list_of(snapshot, "schedules").size(), "schedule") + ", " +
         plural(list_of(snapshot, "sensors").size(), "sensor") + ", " +
         plural(list_of(snapshot, "resources").size(), "resource");
}

std::string render_definitions(const json& result, TableStyle style) {
  const json snapshot = result.value("definitions", json::object());
  std::ostringstream out;
  out << json_cell(result.value("name", snapshot.value("location", json())));
  std::vector<std::string> about;
  if (result.contains("version"))
    about.push_back("version " + short_version(field(result, "version")));
  if (snapshot.contains("dagster_version"))
    about.push_back("dagster " + field(snapshot, "dagster_version"));
  if (snapshot.contains("python"))
    about.push_back("python " + field(snapshot["python"], "version"));
  if (!about.empty()) out << " (" << join(about) << ")";
  out << "\n";
  if (result.value("stale", false)) {
    out << (style.color ? "\033[33mSTALE\033[0m" : "STALE")
        << ": the location is not loaded; these are its last good definitions\n";
  }
  out << render_definition_counts(snapshot) << "\n";

  if (json assets = list_of(snapshot, "assets"); !assets.empty()) {
    out << "\n" << render_assets(assets, style);
  }
  auto section = [&](const char* key, const char* title, std::vector<std::string> header,
                     auto row_of) {
    json items = list_of(snapshot, key);
    if (items.empty()) return;
    TextTable table(std::move(header), style.color);
    for (const auto& item : items)
      table.add_row(row_of(item));
    out << "\n" << heading(title, style) << "\n" << table.render("  ");
  };
  section("asset_checks", "Asset checks", {"ASSET", "NAME", "BLOCKING"}, [](const json& c) {
    return std::vector<std::string>{asset_key_text(c.value("asset_key", json())), field(c, "name"),
                                    field(c, "blocking")};
  });
  section("jobs", "Jobs", {"NAME", "ASSETS", "DESCRIPTION"}, [](const json& j) {
    return std::vector<std::string>{field(j, "name"), std::to_string(list_of(j, "assets").size()),
                                    field(j, "description")};
  });
  section(
      "schedules", "Schedules", {"NAME", "CRON", "TIMEZONE", "JOB", "STATUS"}, [](const json& s) {
        json cron = s.value("cron_schedule", json());
        std::string cron_text = cron.is_array() ? join(strings_of(cron), " | ") : json_cell(cron);
        return std::vector<std::string>{field(s, "name"), cron_text, field(s, "execution_timezone"),
                                        field(s, "job"), field(s, "default_status")};
      });
  section("sensors", "Sensors", {"NAME", "TYPE", "TARGETS", "INTERVAL", "STATUS"},
          [](const json& s) {
            json interval = s.value("minimum_interval_seconds", json());
            return std::vector<std::string>{
                field(s, "name"), field(s, "type"), join(strings_of(list_of(s, "targets"))),
                interval.is_number() ? interval.dump() + "s" : "-", field(s, "default_status")};
          });
  section("resources", "Resources", {"KEY", "TYPE"}, [](const json& r) {
    return std::vector<std::string>{field(r, "key"), field(r, "type")};
  });
  return out.str();
}

}  // namespace codeloc::cli
