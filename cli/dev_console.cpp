#include "cli/dev_console.h"

#include <ctime>
#include <sstream>

#include "cli/reload_report.h"
#include "workspace/values.h"

namespace codeloc::cli {
namespace {

using daemon::LocationState;

constexpr const char* kGreen = "\033[32m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kCyan = "\033[36m";
constexpr const char* kMagenta = "\033[35m";
constexpr const char* kDim = "\033[2m";

std::string names(const std::vector<std::string>& list) {
  std::string text;
  for (const auto& name : list)
    text += (text.empty() ? "" : ", ") + name;
  return text;
}

std::string indent(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);)
    out += "\n" + prefix + line;
  return out;
}

}  // namespace

DevConsole::DevConsole(std::ostream& out, const daemon::Clock& clock, bool color)
    : out_(out), clock_(clock), color_(color) {}

std::string DevConsole::paint(const std::string& text, const char* color) const {
  if (!color_ || !color) return text;
  return std::string(color) + text + "\033[0m";
}

void DevConsole::line(const std::string& text, const char* color) {
  std::time_t now = std::chrono::system_clock::to_time_t(clock_.wall_now());
  std::tm local{};
  ::localtime_r(&now, &local);
  char stamp[16];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &local);
  out_ << paint(stamp, kDim) << " " << paint(text, color) << std::endl;
}

void DevConsole::state_changed(const daemon::Location& location, LocationState from,
                               LocationState to) {
  const std::string& name = location.name();
  auto pid = location.pid();
  std::string pid_text = pid ? " (pid " + std::to_string(*pid) + ")" : "";
  switch (to) {
    case LocationState::kStarting:
      starting_since_[name] = clock_.now();
      line(name + " starting" + pid_text, kCyan);
      break;
    case LocationState::kLoaded: {
      if (from != LocationState::kStarting) break;  // a reload's own line says it
      std::string text = name + " loaded";
      if (auto it = starting_since_.find(name); it != starting_since_.end()) {
        auto took =
            std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - it->second);
        text += " in " + format_duration_ms(static_cast<double>(took.count()));
      }
      if (const auto& snapshot = location.snapshot()) {
        text += ": " + daemon::describe_counts(daemon::counts_of(*snapshot));
      }
      line(text, kGreen);
      break;
    }
    case LocationState::kReloading:
      line(name + " reloading: " +
               (location.reload_cause().empty() ? "requested" : location.reload_cause()),
           kCyan);
      break;
    case LocationState::kLoadError: {
      const auto& error = location.error();
      std::string detail = error ? render_load_error(error->detail) : location.machine().error();
      std::string text = name + " load error:" + indent(detail, "           ");
      if (location.snapshot()) {
        text += "\n           (still serving the last good definitions; save a fix to reload)";
      }
      line(text, kRed);
      break;
    }
    case LocationState::kBackoff:
      line(name + " crashed: " + location.machine().error() + "; restarting in " +
               workspace::format_duration(location.machine().backoff_delay()),
           kYellow);
      break;
    case LocationState::kStopping:
      line(name + " stopping", kDim);
      break;
    case LocationState::kStopped: {
      const std::string& reason = location.machine().error();
      if (!reason.empty() && from != LocationState::kStopping) {
        line(name + " stopped: " + reason, kYellow);
      } else {
        line(name + " stopped", kDim);
      }
      break;
    }
  }
}

void DevConsole::output(const daemon::Location& location, const daemon::LogLine& log_line) {
  auto [it, inserted] = output_limits_.try_emplace(
      location.name(), daemon::kChildOutputLinesPerSecond, daemon::kChildOutputBurst);
  if (!it->second.allow(clock_.now())) return;
  if (std::uint64_t held = it->second.take_refused()) {
    line(location.name() + " | (" + std::to_string(held) + " lines not shown; `codeloc logs " +
             location.name() + "` has them)",
         kYellow);
  }
  out_ << paint(location.name() + " |", kDim) << " " << log_line.text
       << (log_line.truncated ? " [truncated]" : "") << std::endl;
}

void DevConsole::reloaded(const daemon::Location& location, const daemon::ReloadReport& report) {
  // Failures are told by the state change that ends them (load error, crashed, stopped).
  if (report.outcome == LocationState::kLoaded) {
    line(daemon::describe_reload(location.name(), report), kGreen);
  }
}

void DevConsole::ui_ready(const std::string& url) {
  line("Dagster UI: " + url, kGreen);
}

void DevConsole::workspace_applied(const workspace::WorkspaceDiff& diff) {
  if (first_workspace_) {
    first_workspace_ = false;
    return;
  }
  std::vector<std::string> changed;
  for (const auto& change : diff.changed)
    changed.push_back(change.name);
  if (diff.added.empty() && diff.removed.empty() && changed.empty()) {
    line("workspace: no location changed", kMagenta);
    return;
  }
  std::string text = "workspace:";
  if (!diff.added.empty()) text += " added " + names(diff.added) + ";";
  if (!diff.removed.empty()) text += " removed " + names(diff.removed) + ";";
  if (!changed.empty()) text += " changed " + names(changed) + ";";
  text.pop_back();
  line(text, kMagenta);
}

}  // namespace codeloc::cli
