#include "cli/info_report.h"

#include "cli/text_table.h"

namespace codeloc::cli {

using nlohmann::json;

std::string render_daemon_info(const json& info) {
  std::string out = json_cell(info.value("name", json("codeloc"))) + " " +
                    json_cell(info.value("version", json("?")));
  if (info.contains("protocol_version")) {
    out += " (protocol " + json_cell(info["protocol_version"]) + ")";
  }
  out += "\n";
  TextTable table;
  for (const char* key : {"pid", "started_at", "socket"}) {
    if (info.contains(key))
      table.add_row({key == std::string("started_at") ? "started" : key, json_cell(info[key])});
  }
  const json files = info.value("workspace_files", json::array());
  for (std::size_t i = 0; i < files.size(); ++i)
    table.add_row({i == 0 ? "workspace" : "", json_cell(files[i])});
  if (info.contains("locations")) table.add_row({"locations", json_cell(info["locations"])});
  return out + table.render();
}

}  // namespace codeloc::cli
