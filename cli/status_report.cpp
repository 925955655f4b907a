#include "cli/status_report.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <sstream>
#include <vector>

#include <unistd.h>

#include "cli/text_table.h"

namespace codeloc::cli {
namespace {

using nlohmann::json;

std::string age(std::chrono::system_clock::duration elapsed) {
  long long s = std::chrono::duration_cast<std::chrono::seconds>(elapsed).count();
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 2 * 3600) return std::to_string(s / 60) + "m";
  if (s < 2 * 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

}  // namespace

const char* state_color(const std::string& state) {
  if (state == "LOADED") return "\033[32m";
  if (state == "LOAD_ERROR") return "\033[31m";
  if (state == "BACKOFF") return "\033[33m";
  if (state == "STOPPED") return "\033[2m";
  return "\033[36m";
}

std::string error_line(const json& error) {
  if (!error.is_object()) return "";
  std::string line = error.value("message", "");
  if (std::string class_name = error.value("class_name", ""); !class_name.empty()) {
    line = class_name + ": " + line;
  }
  const json& where = error.contains("location") ? error["location"] : json();
  if (where.is_object() && where.contains("file") && where.contains("line")) {
    line += " (" + json_cell(where["file"]) + ":" + json_cell(where["line"]) + ")";
  }
  return line;
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601(const std::string& text) {
  std::tm tm{};
  int millis = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis) < 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t seconds = ::timegm(&tm);
  return std::chrono::system_clock::from_time_t(seconds) + std::chrono::milliseconds(millis);
}

std::string render_status_table(const json& locations, std::chrono::system_clock::time_point now,
                                TableStyle style) {
  std::vector<std::vector<std::string>> rows{
      {"NAME", "KIND", "STATE", "PID", "START", "RESTARTS", "SINCE", "VERSION"}};
  std::vector<std::string> errors{""};
  for (const auto& location : locations) {
    std::string since = "-";
    if (auto at = parse_iso8601(location.value("since", ""))) since = age(now - *at);
    std::string version = json_cell(location.value("definitions_version", json()));
    if (version.rfind("sha256:", 0) == 0) version = version.substr(7, 12);
    rows.push_back(
        {json_cell(location.value("name", json())), json_cell(location.value("kind", json())),
         json_cell(location.value("state", json())), json_cell(location.value("pid", json())),
         json_cell(location.value("start_mode", json())),
         json_cell(location.value("restarts", json())), since, version});
    const json& error = location.contains("error") ? location["error"] : json();
    errors.push_back(error_line(error));
  }
  std::vector<std::size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  }
  std::ostringstream out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (std::size_t i = 0; i < rows[r].size(); ++i) {
      std::string cell = rows[r][i];
      std::string padding(widths[i] - cell.size(), ' ');
      if (style.color && r > 0 && i == 2) cell = state_color(cell) + cell + "\033[0m";
      if (style.color && r == 0) cell = "\033[1m" + cell + "\033[0m";
      line += cell + (i + 1 < rows[r].size() ? padding + "  " : "");
    }
    out << line << "\n";
    if (!errors[r].empty()) out << "  " << errors[r] << "\n";
  }
  return out.str();
}

bool stdout_wants_color() {
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) && (!no_color || !*no_color);
}

}  // namespace codeloc::cli
