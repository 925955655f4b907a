#include "cli/reload_report.h"

#include <cstdio>
#include <vector>

#include "cli/text_table.h"

namespace codeloc::cli {
namespace {

using nlohmann::json;

std::vector<std::string> names_of(const json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    if (item.is_object()) {
      std::string entry = json_cell(item.value("name", json()));
      std::vector<std::string> fields;
      for (const auto& f : item.value("fields", json::array()))
        fields.push_back(json_cell(f));
      if (!fields.empty()) entry += " (" + join(fields) + ")";
      out.push_back(entry);
    } else {
      out.push_back(json_cell(item));
    }
  }
  return out;
}

// One error of the chain, its lines indented by `indent`.
void render_one(const json& error, const std::string& indent, std::string* out) {
  std::string class_name = error.value("class_name", "");
  std::string message = error.value("message", "");
  *out += indent + (class_name.empty() ? message : class_name + ": " + message) + "\n";
  const json stack = error.value("stack", json::array());
  if (stack.is_array() && !stack.empty()) {
    for (const auto& frame : stack) {
      if (!frame.is_object()) continue;
      std::string line = indent + "  " + json_cell(frame.value("file", json())) + ":" +
                         json_cell(frame.value("line", json()));
      if (frame.contains("function") && frame["function"].is_string()) {
        line += " in " + frame["function"].get<std::string>();
      }
      *out += line + "\n";
      if (frame.contains("code") && frame["code"].is_string()) {
        *out += indent + "      " + frame["code"].get<std::string>() + "\n";
      }
    }
  } else if (const json where = error.value("location", json()); where.is_object()) {
    *out += indent + "  " + json_cell(where.value("file", json())) + ":" +
            json_cell(where.value("line", json())) + "\n";
  }
}

}  // namespace

bool reload_failed(const json& result) {
  return result.value("state", "") == "LOAD_ERROR" ||
         (result.contains("error") && !result["error"].is_null());
}

std::string render_location_reload(const json& result) {
  std::string name = json_cell(result.value("name", json()));
  std::string took;
  if (json ms = result.value("duration_ms", json()); ms.is_number()) {
    took = " in " + format_duration_ms(ms.get<double>());
  }
  std::string state = result.value("state", "");
  if (reload_failed(result)) {
    return "reload of " + name + " failed" + took + ": its code did not load\n" +
           render_load_error(result.value("error", json()));
  }
  if (state == "LOADED") {
    return "reloaded " + name + took + ": definitions " +
           (result.value("changed", false) ? "changed" : "unchanged") + "\n";
  }
  return "reloaded " + name + took + ": now " + (state.empty() ? "?" : state) + "\n";
}

std::string render_load_error(const json& error) {
  if (!error.is_object()) return "";
  std::string out;
  const json* current = &error;
  std::string prefix;
  for (int depth = 0; current->is_object() && depth < 32; ++depth) {
    std::string part;
    render_one(*current, "", &part);
    out += prefix + part;
    prefix = "caused by: ";
    if (!current->contains("cause")) break;
    current = &(*current)["cause"];
  }
  return out;
}

std::string render_workspace_reload(const json& result) {
  TextTable table;
  table.add_row({"added", join(names_of(result.value("added", json::array())))});
  table.add_row({"removed", join(names_of(result.value("removed", json::array())))});
  table.add_row({"changed", join(names_of(result.value("changed", json::array())))});
  table.add_row({"unchanged", join(names_of(result.value("unchanged", json::array())))});
  return table.render();
}

std::string render_workspace_errors(const json& data) {
  std::string out = "the workspace has errors; nothing was changed\n";
  const json errors = data.is_object() ? data.value("errors", json::array()) : json::array();
  for (const auto& error : errors)
    out += "  " + json_cell(error) + "\n";
  return out;
}

std::string format_duration_ms(double ms) {
  char text[32];
  if (ms < 1000) {
    std::snprintf(text, sizeof text, "%.0f ms", ms);
  } else {
    std::snprintf(text, sizeof text, "%.2f s", ms / 1000);
  }
  return text;
}

}  // namespace codeloc::cli
