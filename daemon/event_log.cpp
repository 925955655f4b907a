#include "daemon/event_log.h"

#include <spdlog/spdlog.h>

#include "workspace/values.h"

namespace codeloc::daemon {
namespace {

// A child may write this many lines per second to the daemon's log (bursts up to kOutputBurst);
// the rest only reach the location's ring buffer, and a line says how many were held back.
constexpr double kOutputLinesPerSecond = 200;
constexpr double kOutputBurst = 1000;

}  // namespace

void EventLog::state_changed(const Location& location, LocationState from, LocationState to) {
  const std::string& name = location.name();
  auto pid = location.pid();
  std::string pid_text = pid ? " (pid " + std::to_string(*pid) + ")" : "";
  const std::string& reason = location.machine().error();
  switch (to) {
    case LocationState::kLoadError:
      spdlog::error("{}: {} -> LOAD_ERROR: {}", name, state_name(from), reason);
      break;
    case LocationState::kBackoff:
      spdlog::warn("{}: {} -> BACKOFF: {}; restarting in {}", name, state_name(from), reason,
                   workspace::format_duration(location.machine().backoff_delay()));
      break;
    case LocationState::kReloading:
      spdlog::info("{}: {} -> RELOADING{}: {}", name, state_name(from), pid_text,
                   location.reload_cause().empty() ? "reload" : location.reload_cause());
      break;
    case LocationState::kStopped:
      if (!reason.empty() && from != LocationState::kStopping) {
        spdlog::warn("{}: {} -> STOPPED: {}", name, state_name(from), reason);
      } else {
        spdlog::info("{}: {} -> STOPPED", name, state_name(from));
      }
      break;
    default:
      spdlog::info("{}: {} -> {}{}", name, state_name(from), state_name(to), pid_text);
  }
}

void EventLog::output(const Location& location, const LogLine& line) {
  auto [it, inserted] =
      output_limits_.try_emplace(location.name(), kOutputLinesPerSecond, kOutputBurst);
  RateLimiter& limiter = it->second;
  if (!limiter.allow(clock_.now())) return;
  if (std::uint64_t held = limiter.take_refused()) {
    spdlog::warn("[{}] {} lines not logged here (rate limit); `codeloc logs {}` has the latest",
                 location.name(), held, location.name());
  }
  spdlog::info("[{} {}] {}{}", location.name(), stream_name(line.stream), line.text,
               line.truncated ? " [truncated]" : "");
}

void EventLog::reloaded(const Location& location, const ReloadReport& report) {
  if (report.outcome == LocationState::kLoaded) {
    spdlog::info("{}", describe_reload(location.name(), report));
  } else {
    spdlog::warn("{}", describe_reload(location.name(), report));
  }
}

}  // namespace codeloc::daemon
