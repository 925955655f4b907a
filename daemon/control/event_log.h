// The daemon log's lines about locations: one per state change, per reload and per child output
// line (rate-limited). `serve` registers it; `codeloc dev` shows the same events its own way.
#pragma once

#include <map>
#include <string>

#include "daemon/logs/rate_limiter.h"
#include "daemon/supervision/supervisor.h"

namespace codeloc::daemon {

// REQUIRES: clock outlives the log; register with Supervisor::add_listener.
class EventLog final : public SupervisorListener {
 public:
  explicit EventLog(const Clock& clock) : clock_(clock) {}

  void state_changed(const Location& location, LocationState from, LocationState to) override;
  void output(const Location& location, const LogLine& line) override;
  void reloaded(const Location& location, const ReloadReport& report) override;

 private:
  const Clock& clock_;
  std::map<std::string, RateLimiter> output_limits_;
};

}  // namespace codeloc::daemon
