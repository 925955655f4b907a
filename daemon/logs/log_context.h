// Which location a log record is about, carried beside spdlog's record: spdlog 1.10 has no mapped
// diagnostic context, and the daemon logs from one thread through synchronous loggers, so a scope
// around the logging call is enough. Sinks that know about it (the journal's fields, the json
// format's keys) read current_log_context(); the others show the message alone.
#pragma once

#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

namespace codeloc::daemon {

struct LogContext {
  std::string_view location;
  std::string_view stream;  // "stdout" or "stderr" for a child's output line, else empty
};

// The context of the record being logged on this thread, or nullptr.
const LogContext* current_log_context();

// Makes `context` current until the scope ends. REQUIRES: context outlives the scope.
class ScopedLogContext {
 public:
  explicit ScopedLogContext(const LogContext& context);
  ~ScopedLogContext();
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

 private:
  const LogContext* previous_;
};

// spdlog::log for a line about a location: "analytics: STARTING -> LOADED (pid 4242)".
template <typename... Args>
void log_location(spdlog::level::level_enum level, std::string_view location,
                  spdlog::format_string_t<Args...> format, Args&&... args) {
  LogContext context{location, {}};
  ScopedLogContext scope(context);
  spdlog::log(level, format, std::forward<Args>(args)...);
}

// spdlog::log for a line a location's child wrote on `stream` ("stdout" or "stderr").
template <typename... Args>
void log_location_output(spdlog::level::level_enum level, std::string_view location,
                         std::string_view stream, spdlog::format_string_t<Args...> format,
                         Args&&... args) {
  LogContext context{location, stream};
  ScopedLogContext scope(context);
  spdlog::log(level, format, std::forward<Args>(args)...);
}

}  // namespace codeloc::daemon
