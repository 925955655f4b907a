// The daemon's own log: spdlog's default logger on stderr, in the format the settings ask for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/settings.h"
#include "daemon/logs/journal_sink.h"

namespace codeloc::daemon {

// human: "2026-11-23 20:00:01.250 INFO  analytics: STARTING -> LOADED (pid 4242)"
// json:  {"time":"...","level":"info","message":"..."} per line; lines about a location add
//        "location" (and "stream" for a child's output line).
// journal: one journald entry per record, sent to journal_socket (daemon/logs/journal_sink.h);
// "<6>message"
//        on stderr for a record journald does not take.
void setup_logging(config::LogFormat format, spdlog::level::level_enum level,
                   const std::string& journal_socket = std::string(kJournalSocket));

// `codeloc dev`: "14:02:11 message", warnings and errors coloured when `color`.
void setup_dev_logging(spdlog::level::level_enum level, bool color);

// Lines of the daemon's log (stderr) that could not be written since the last one that could
// (a full disk: ENOSPC), and why; nullopt while the log is written.
struct LogWriteFailure {
  std::uint64_t lines_lost = 0;
  std::string error;
};
std::optional<LogWriteFailure> log_write_failure();

}  // namespace codeloc::daemon
