#include "daemon/logging.h"

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

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

// %& in a pattern: the sd-daemon priority prefix ("<3>" for errors...), for the journal.
class PriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    int priority = 6;
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        priority = 7;
        break;
      case spdlog::level::info:
        priority = 6;
        break;
      case spdlog::level::warn:
        priority = 4;
        break;
      case spdlog::level::err:
        priority = 3;
        break;
      case spdlog::level::critical:
        priority = 2;
        break;
      default:
        break;
    }
    std::string text = "<" + std::to_string(priority) + ">";
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PriorityFlag>();
  }
};

}  // namespace

void setup_logging(config::LogFormat format, spdlog::level::level_enum level) {
  auto logger = spdlog::stderr_color_mt("codeloc");
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  switch (format) {
    case config::LogFormat::kHuman:
      formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
      break;
    case config::LogFormat::kJson:
      formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
      formatter->add_flag<JsonMessageFlag>('*').set_pattern(
          R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","message":%*})");
      break;
    case config::LogFormat::kJournal:
      formatter->add_flag<PriorityFlag>('&').set_pattern("%&%v");
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
