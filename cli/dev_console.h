// What `codeloc dev` prints: one short line per state change or reload, coloured when the
// terminal allows, the load error with its traceback when one happens, and the children's output
// (rate-limited) prefixed with their location. It replaces the daemon log's location lines;
// daemon-level messages still go through spdlog.
//
//   14:02:11 analytics starting (pid 4242)
//   14:02:14 analytics loaded in 2.51 s: 14 assets, 2 jobs, 1 schedule
//   14:03:40 analytics reloading: definitions.py changed
//   14:03:42 reloaded analytics in 1.84 s: 14 assets (+1 -0), 2 jobs, 1 schedule
//   14:05:02 analytics load error:
//              NameError: name 'asset' is not defined
//                analytics/definitions.py:12 in <module>
//                    @asset
//   14:05:02 analytics | a line the code printed
#pragma once

#include <map>
#include <ostream>
#include <string>

#include "daemon/logs/rate_limiter.h"
#include "daemon/supervision/supervisor.h"

namespace codeloc::cli {

// REQUIRES: out and clock outlive the console; register with Supervisor::add_listener.
class DevConsole final : public daemon::SupervisorListener {
 public:
  DevConsole(std::ostream& out, const daemon::Clock& clock, bool color);

  void state_changed(const daemon::Location& location, daemon::LocationState from,
                     daemon::LocationState to) override;
  void output(const daemon::Location& location, const daemon::LogLine& line) override;
  void reloaded(const daemon::Location& location, const daemon::ReloadReport& report) override;
  void workspace_applied(const workspace::WorkspaceDiff& diff) override;
  // `dev --ui`: Dagster's webserver answers at `url`.
  void ui_ready(const std::string& url);

 private:
  void line(const std::string& text, const char* color);
  std::string paint(const std::string& text, const char* color) const;

  std::ostream& out_;
  const daemon::Clock& clock_;
  bool color_;
  bool first_workspace_ = true;
  std::map<std::string, daemon::Clock::TimePoint> starting_since_;
  std::map<std::string, daemon::RateLimiter> output_limits_;
};

}  // namespace codeloc::cli
