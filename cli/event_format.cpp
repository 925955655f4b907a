#include "cli/event_format.h"

#include <vector>

#include "cli/text_table.h"

namespace codeloc::cli {
namespace {

using nlohmann::json;

std::string short_version(const json& version) {
  std::string text = json_cell(version);
  if (text.rfind("sha256:", 0) == 0) return text.substr(7, 12);
  return text;
}

std::string names(const json& list) {
  std::vector<std::string> out;
  if (list.is_array()) {
    for (const auto& item : list) {
      if (!item.is_object()) {
        out.push_back(json_cell(item));
        continue;
      }
      std::vector<std::string> fields;
      for (const auto& f : item.value("fields", json::array()))
        fields.push_back(json_cell(f));
      out.push_back(json_cell(item.value("name", json())) +
                    (fields.empty() ? "" : " (" + join(fields) + ")"));
    }
  }
  return join(out);
}

std::string colored(const std::string& text, const char* color, TableStyle style) {
  return style.color ? color + text + "\033[0m" : text;
}

}  // namespace

std::string format_log_line(const json& line, bool with_name) {
  std::string out;
  if (with_name) out += json_cell(line.value("name", json())) + " ";
  out += json_cell(line.value("time", json())) + " [" + json_cell(line.value("pid", json())) +
         "] " + json_cell(line.value("stream", json())) + ": " + line.value("text", "");
  if (line.value("truncated", false)) out += " [truncated]";
  return out;
}

std::string format_event(const std::string& method, const json& params, TableStyle style) {
  const std::string at = json_cell(params.value("at", json()));
  if (method == "event.state") {
    std::string line = at + " " + colored("state", "\033[36m", style) + " " +
                       json_cell(params.value("name", json())) + " " +
                       json_cell(params.value("from", json())) + " -> " +
                       json_cell(params.value("to", json()));
    if (json pid = params.value("pid", json()); pid.is_number())
      line += " (pid " + pid.dump() + ")";
    if (json error = params.value("error", json()); error.is_object()) {
      line += ": " + error_line(error);
    }
    return line;
  }
  if (method == "event.definitions") {
    const json old_version = params.value("old_version", json());
    return at + " " + colored("definitions", "\033[32m", style) + " " +
           json_cell(params.value("name", json())) + " " +
           (old_version.is_null() ? "first load " : short_version(old_version) + " -> ") +
           short_version(params.value("new_version", json()));
  }
  if (method == "event.workspace") {
    return at + " " + colored("workspace", "\033[35m", style) + " added " +
           names(params.value("added", json())) + "; removed " +
           names(params.value("removed", json())) + "; changed " +
           names(params.value("changed", json())) + "; unchanged " +
           names(params.value("unchanged", json()));
  }
  if (method == "event.reloaded") {
    std::string line = at + " " + colored("reload", "\033[34m", style) + " " +
                       json_cell(params.value("name", json())) + " " +
                       json_cell(params.value("outcome", json())) + " in " +
                       json_cell(params.value("duration_ms", json())) + " ms";
    if (std::string cause = params.value("cause", ""); !cause.empty()) line += " (" + cause + ")";
    const json added = params.value("assets_added", json());
    const json removed = params.value("assets_removed", json());
    if (added.is_array() && removed.is_array()) {
      line += ": assets +" + std::to_string(added.size()) + " -" + std::to_string(removed.size());
    }
    return line;
  }
  if (method == "event.log") {
    return json_cell(params.value("time", json())) + " " + colored("log", "\033[2m", style) + " " +
           json_cell(params.value("name", json())) + " [" + json_cell(params.value("pid", json())) +
           "] " + json_cell(params.value("stream", json())) + ": " + params.value("text", "") +
           (params.value("truncated", false) ? " [truncated]" : "");
  }
  return method + " " + params.dump();
}

bool LogCursor::accept(const json& line) {
  if (!line.is_object()) return false;
  if (line.contains("name") && line["name"] != location_) return false;
  const json seq = line.value("seq", json());
  if (!seq.is_number_integer()) return true;
  const std::int64_t n = seq.get<std::int64_t>();
  if (last_seq_ && n <= *last_seq_) return false;
  last_seq_ = n;
  return true;
}

}  // namespace codeloc::cli
