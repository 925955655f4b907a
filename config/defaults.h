// Every built-in default and limit of the daemon, in one place. config/settings.h's fields start
// from these, and so do the option structs of the parts that take a setting (LocationOptions,
// SupervisionPolicy, ForkServerOptions, DagsterUiOptions, WatchSpec), so that a part built
// without the settings behaves as a daemon with no setting changed. docs/configuration.md's table
// documents the settings' values; tests/config/setting_table_test.cpp holds the table, the docs and
// this header to one another.
//
// Header-only, constexpr. The wire protocol's own limits stay in ipc/protocol.h (STYLE.md point
// 4; codeloc_ipc links nothing of config) and are named here too, so that a reader finds every
// default in this file. Libraries that include it link codeloc_config.
#pragma once

#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>

#include "ipc/protocol.h"

namespace codeloc::defaults {

using std::chrono::milliseconds;

// ---- Settings (config/setting_table.cpp; docs/configuration.md, "Settings") ----

// The control socket's permission bits: the daemon's own user only.
inline constexpr unsigned kSocketMode = 0600;
// The largest control request (16 MiB); larger ones are refused with -32014.
inline constexpr std::size_t kMaxRequestBytes = ipc::kDefaultMaxRequestBytes;
// The largest line a code server may send, its definitions snapshot (512 MiB).
inline constexpr std::size_t kMaxMessageBytes = ipc::kDefaultMaxCodeServerMessageBytes;

// The interpreter of Python locations without executable_path: a command looked up on PATH.
inline constexpr const char* kPython = "python3";

// A location's restart and stop behaviour (a workspace entry's restart: key overrides each).
// The restart policy's default, on-failure, is workspace::RestartPolicy::kOnFailure.
inline constexpr milliseconds kBackoffInitial{100};        // before the first restart; doubles
inline constexpr milliseconds kBackoffMax{30'000};         // caps every delay
inline constexpr milliseconds kBackoffResetAfter{10'000};  // a run this long resets the delay
inline constexpr milliseconds kStartupTimeout{60'000};     // not loaded by then: crashed
inline constexpr milliseconds kStopTimeout{10'000};        // after the stop signal, SIGKILL
inline constexpr int kStopSignal = SIGTERM;                // asks the process group to stop
inline constexpr milliseconds kPingInterval{10'000};       // between pings of a loaded server
inline constexpr int kPingMisses = 3;                      // unanswered in a row: crashed

// File watching (docs/workspace.md).
inline constexpr bool kWatch = false;
inline constexpr milliseconds kWatchDebounce{100};       // quiet time after a change
inline constexpr milliseconds kWatchPollInterval{1000};  // when inotify cannot watch a location

// Warm interpreters (docs/warm.md): on, and each fork server imports this module first.
inline constexpr bool kWarm = true;
inline constexpr const char* kWarmPreload = "dagster";

// Dagster's gRPC API (docs/dagster.md): served, and a replaced generation drains for this long.
inline constexpr bool kDagsterGrpc = true;
inline constexpr milliseconds kDrainTimeout = std::chrono::hours(24);

// Dagster's webserver and daemon as helpers (`codeloc dev --ui`).
inline constexpr bool kUi = false;
inline constexpr const char* kUiHost = "127.0.0.1";
inline constexpr std::uint16_t kUiPort = 3000;

// Each location's output ring (`codeloc logs`); longer lines are cut.
inline constexpr std::size_t kLogRingLines = 1000;
inline constexpr std::size_t kLogRingBytes = std::size_t{1} << 20;      // 1 MiB
inline constexpr std::size_t kLogLineMaxBytes = std::size_t{16} << 10;  // 16 KiB

// ---- Fixed values: no setting (yet) ----

// Fork servers (daemon/processes/fork_server_pool.h).
namespace fork_server {
inline constexpr milliseconds kRequestTimeout{2'000};  // a fork answer; missed: restart, go cold
inline constexpr milliseconds kReadyTimeout{120'000};  // importing the preload modules
inline constexpr milliseconds kBackoffInitial{1'000};  // before restarting a failed one
inline constexpr milliseconds kBackoffMax{60'000};
inline constexpr milliseconds kRecycleQuiet{1'000};  // site-packages unchanged this long: recycle
inline constexpr milliseconds kStopTimeout{5'000};   // then SIGKILL
}  // namespace fork_server

// Dagster's webserver and daemon (daemon/ui/dagster_ui.h). They stop within stop_timeout.
namespace dagster_ui {
inline constexpr milliseconds kSettleTimeout{60'000};
inline constexpr milliseconds kBackoffInitial{1'000};
inline constexpr milliseconds kBackoffMax{60'000};
inline constexpr milliseconds kBackoffResetAfter{60'000};  // a run this long resets the backoff
inline constexpr milliseconds kProbeInterval{250};
}  // namespace dagster_ui

}  // namespace codeloc::defaults
