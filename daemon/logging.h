// The daemon's own log: spdlog's default logger on stderr, in the format the settings ask for.
#pragma once

#include "config/settings.h"

namespace codeloc::daemon {

// human: "2026-11-23 20:00:01.250 INFO  analytics: STARTING -> LOADED (pid 4242)"
// json:  {"time":"...","level":"info","message":"..."} per line.
// journal: "<6>message" (sd-daemon priority prefixes; journald adds the time).
void setup_logging(config::LogFormat format, spdlog::level::level_enum level);

// `codeloc dev`: "14:02:11 message", warnings and errors coloured when `color`.
void setup_dev_logging(spdlog::level::level_enum level, bool color);

}  // namespace codeloc::daemon
