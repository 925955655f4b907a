#include "cli/info_report.h"

#include "cli/text_table.h"

namespace codeloc::cli {
namespace {

using nlohmann::json;

std::string text_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "-";
  return value.dump();
}

}  // namespace

std::string render_daemon_info(const json& info) {
  std::string out = text_of(info.value("name", json("codeloc"))) + " " +
                    text_of(info.value("version", json("?")));
  if (info.contains("protocol_version")) {
    out += " (protocol " + text_of(info["protocol_version"]) + ")";
  }
  out += "\n";
  TextTable table;
  for (const char* key : {"pid", "started_at", "socket"}) {
    if (info.contains(key))
      table.add_row({key == std::string("started_at") ? "started" : key, text_of(info[key])});
  }
  const json files = info.value("workspace_files", json::array());
  for (std::size_t i = 0; i < files.size(); ++i)
    table.add_row({i == 0 ? "workspace" : "", text_of(files[i])});
  if (info.contains("locations")) table.add_row({"locations", text_of(info["locations"])});
  return out + table.render();
}

}  // namespace codeloc::cli
