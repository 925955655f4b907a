#include "daemon/logs/logging.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "daemon/logs/journal_sink.h"
#include "daemon/logs/log_context.h"

namespace codeloc::daemon {
namespace {

// %* in a pattern: the message as a JSON string (quotes included), for --log-format=json.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string text = nlohmann::json(std::string(msg.payload.data(), msg.payload.size()))
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

// %~ in a pattern: `,"location":"NAME"` (and `,"stream":"stdout"` for a child's output line) for
// a line about a location (daemon/logs/log_context.h), nothing otherwise; for --log-format=json.
class JsonContextFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const LogContext* context = current_log_context();
    if (!context) return;
    std::string text;
    auto add = [&](const char* key, std::string_view value) {
      if (value.empty()) return;
      text += std::string(",\"") + key + "\":" +
              nlohmann::json(std::string(value))
                  .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    add("location", context->location);
    add("stream", context->stream);
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonContextFlag>();
  }
};

// How writing the log went: a full disk must not stop the daemon, but someone should hear of it.
struct LogHealth {
  std::mutex mutex;
  std::uint64_t lines_lost = 0;
  std::string error;  // the last write error, while lines are being lost
};

LogHealth& log_health() {
  static LogHealth health;
  return health;
}

// The stderr sink, checking each write: spdlog ignores a failed fwrite (ENOSPC on a full disk,
// EIO). Lost lines are counted for daemon.info, and the first line that gets through again says
// how many were lost.
class CheckedStderrSink final : public spdlog::sinks::sink {
 public:
  explicit CheckedStderrSink(std::shared_ptr<spdlog::sinks::sink> inner)
      : inner_(std::move(inner)) {}

  void log(const spdlog::details::log_msg& msg) override {
    std::lock_guard lock(mutex_);
    write(msg);
    if (failed_) return;
    LogHealth& health = log_health();
    std::uint64_t lost = 0;
    std::string error;
    {
      std::lock_guard health_lock(health.mutex);
      if (health.lines_lost == 0) return;
      lost = health.lines_lost;
      error = health.error;
      health.lines_lost = 0;
      health.error.clear();
    }
    std::string text =
        "the log could not be written (" + error + "): " + std::to_string(lost) + " line(s) lost";
    spdlog::details::log_msg note(msg.logger_name, spdlog::level::warn, text);
    write(note);
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  void write(const spdlog::details::log_msg& msg) {
    std::clearerr(stderr);
    errno = 0;
    inner_->log(msg);
    failed_ = std::ferror(stderr) != 0;
    if (!failed_) return;
    int error = errno != 0 ? errno : EIO;
    std::clearerr(stderr);
    LogHealth& health = log_health();
    std::lock_guard health_lock(health.mutex);
    ++health.lines_lost;
    health.error = std::strerror(error);
  }

  std::mutex mutex_;
  std::shared_ptr<spdlog::sinks::sink> inner_;
  bool failed_ = false;
};

}  // namespace

std::optional<LogWriteFailure> log_write_failure() {
  LogHealth& health = log_health();
  std::lock_guard lock(health.mutex);
  if (health.lines_lost == 0) return std::nullopt;
  return LogWriteFailure{health.lines_lost, health.error};
}

void setup_logging(config::LogFormat format, spdlog::level::level_enum level,
                   const std::string& journal_socket) {
  std::shared_ptr<spdlog::logger> logger;
  if (format == config::LogFormat::kJournal) {
    // The sink builds the journal's fields from each record; no pattern is involved.
    logger =
        std::make_shared<spdlog::logger>("codeloc", std::make_shared<JournalSink>(journal_socket));
  } else {
    logger = std::make_shared<spdlog::logger>(
        "codeloc", std::make_shared<CheckedStderrSink>(
                       std::make_shared<spdlog::sinks::stderr_color_sink_st>()));
  }
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  switch (format) {
    case config::LogFormat::kHuman:
      formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
      break;
    case config::LogFormat::kJson:
      formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
      formatter->add_flag<JsonMessageFlag>('*').add_flag<JsonContextFlag>('~').set_pattern(
          R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","message":%*%~})");
      break;
    case config::LogFormat::kJournal:
      break;
  }
  logger->set_formatter(std::move(formatter));
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

void setup_dev_logging(spdlog::level::level_enum level, bool color) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(
      color ? spdlog::color_mode::always : spdlog::color_mode::never);
  sink->set_color(spdlog::level::info, sink->reset);
  auto logger = std::make_shared<spdlog::logger>("codeloc", sink);
  logger->set_pattern("%H:%M:%S %^%v%$");
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

}  // namespace codeloc::daemon
