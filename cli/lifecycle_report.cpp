#include "cli/lifecycle_report.h"

#include "cli/status_report.h"

namespace codeloc::cli {
namespace {

using nlohmann::json;

std::string exit_text(const json& last_exit) {
  if (!last_exit.is_object()) return "";
  if (last_exit.contains("code")) return "exited with code " + last_exit["code"].dump();
  if (last_exit.contains("signal") && last_exit["signal"].is_string()) {
    return "killed by " + last_exit["signal"].get<std::string>();
  }
  return "";
}

}  // namespace

std::string render_state_line(const json& location, TableStyle style) {
  std::string state = location.value("state", "?");
  std::string shown = state;
  if (style.color) {
    shown = state_color(state) + state + "\033[0m";
  }
  std::string line = location.value("name", "?") + ": " + shown;
  const json pid = location.value("pid", json());
  const json error = location.value("error", json());
  if (pid.is_number()) {
    line += " (pid " + pid.dump() + ")";
  } else if (std::string exited = exit_text(location.value("last_exit", json()));
             !exited.empty() && state == "STOPPED") {
    line += " (" + exited + ")";
  }
  if (error.is_object()) line += ": " + error_line(error);
  return line + "\n";
}

bool start_failed(const json& location) {
  std::string state = location.value("state", "");
  const json error = location.value("error", json());
  return state == "LOAD_ERROR" || (state == "STOPPED" && error.is_object());
}

}  // namespace codeloc::cli
