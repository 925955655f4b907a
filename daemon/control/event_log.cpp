#include "daemon/control/event_log.h"

#include <spdlog/spdlog.h>

#include "daemon/logs/log_context.h"
#include "workspace/values.h"

namespace codeloc::daemon {
void EventLog::state_changed(const Location& location, LocationState from, LocationState to) {
  const std::string& name = location.name();
  auto pid = location.pid();
  std::string pid_text = pid ? " (pid " + std::to_string(*pid) + ")" : "";
  const std::string& reason = location.machine().error();
  switch (to) {
    case LocationState::kLoadError:
      log_location(spdlog::level::err, name, "{}: {} -> LOAD_ERROR: {}", name, state_name(from),
                   reason);
      break;
    case LocationState::kBackoff:
      log_location(spdlog::level::warn, name, "{}: {} -> BACKOFF: {}; restarting in {}", name,
                   state_name(from), reason,
                   workspace::format_duration(location.machine().backoff_delay()));
      break;
    case LocationState::kReloading:
      log_location(spdlog::level::info, name, "{}: {} -> RELOADING{}: {}", name, state_name(from),
                   pid_text, location.reload_cause().empty() ? "reload" : location.reload_cause());
      break;
    case LocationState::kStopped:
      if (!reason.empty() && from != LocationState::kStopping) {
        log_location(spdlog::level::warn, name, "{}: {} -> STOPPED: {}", name, state_name(from),
                     reason);
      } else {
        log_location(spdlog::level::info, name, "{}: {} -> STOPPED", name, state_name(from));
      }
      break;
    default:
      log_location(spdlog::level::info, name, "{}: {} -> {}{}", name, state_name(from),
                   state_name(to), pid_text);
  }
}

void EventLog::output(const Location& location, const LogLine& line) {
  auto [it, inserted] =
      output_limits_.try_emplace(location.name(), kChildOutputLinesPerSecond, kChildOutputBurst);
  RateLimiter& limiter = it->second;
  if (!limiter.allow(clock_.now())) return;
  if (std::uint64_t held = limiter.take_refused()) {
    log_location(spdlog::level::warn, location.name(),
                 "[{}] {} lines not logged here (rate limit); `codeloc logs {}` has the latest",
                 location.name(), held, location.name());
  }
  log_location_output(spdlog::level::info, location.name(), stream_name(line.stream),
                      "[{} {}] {}{}", location.name(), stream_name(line.stream), line.text,
                      line.truncated ? " [truncated]" : "");
}

void EventLog::reloaded(const Location& location, const ReloadReport& report) {
  log_location(report.outcome == LocationState::kLoaded ? spdlog::level::info : spdlog::level::warn,
               location.name(), "{}", describe_reload(location.name(), report));
}

}  // namespace codeloc::daemon
