// One readable line per log line (location.logs, event.log) and per notification of
// events.subscribe (docs/protocol.md, "events.subscribe").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/status_report.h"

namespace codeloc::cli {

// "2026-11-23T20:00:01.250Z [4242] stderr: loading..." ("... [truncated]" when cut by the
// daemon). With `with_name`, the location's name leads: "analytics 2026-... [4242] ...".
std::string format_log_line(const nlohmann::json& line, bool with_name);

// One line, without '\n', for a notification:
//   "<at> state analytics LOADED -> STOPPING (pid 4242)" (": <error>" when it has one)
//   "<at> definitions analytics 9f2c1a3b4c5d -> 77ab00112233" ("first load 77ab..." without old)
//   "<at> workspace added etl; removed -; changed analytics (env); unchanged reporting"
//   "<time> log analytics [4242] stdout: ready"
// An unknown method is shown as "<method> <params as JSON>".
std::string format_event(const std::string& method, const nlohmann::json& params, TableStyle style);

// Remembers the last log line shown for one location, so that a follower shows each line once:
// the initial dump and the stream overlap when lines arrive in between.
class LogCursor {
 public:
  explicit LogCursor(std::string location) : location_(std::move(location)) {}

  // True when `line` (a location.logs entry or event.log params) belongs to the location and is
  // newer than every line accepted so far; it then becomes the newest. A line without a seq is
  // accepted.
  bool accept(const nlohmann::json& line);
  std::optional<std::int64_t> last_seq() const { return last_seq_; }

 private:
  std::string location_;
  std::optional<std::int64_t> last_seq_;
};

}  // namespace codeloc::cli
