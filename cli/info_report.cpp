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
  // `--ui`: the URL, then one row per helper ("dagster-webserver  running, pid 1250").
  const json ui = info.value("dagster_ui", json());
  if (ui.is_object()) {
    std::string url = json_cell(ui.value("url", json("?")));
    if (ui.value("error", json()).is_string()) {
      url += " (not running: " + ui["error"].get<std::string>() + ")";
    } else if (!ui.value("ready", false)) {
      url += " (not answering yet)";
    }
    table.add_row({"ui", url});
    for (const json& process : ui.value("processes", json::array())) {
      std::string text = json_cell(process.value("state", json("?")));
      if (process.value("pid", json()).is_number()) text += ", pid " + json_cell(process["pid"]);
      if (process.value("restarts", 0) > 0) {
        text += ", " + json_cell(process["restarts"]) + " restart(s)";
      }
      table.add_row({"  " + json_cell(process.value("name", json("?"))), text});
    }
  }
  return out + table.render();
}

}  // namespace codeloc::cli
