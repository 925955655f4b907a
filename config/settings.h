// The daemon's own settings: where the control socket lives, how it logs, and the defaults every
// location's supervision starts from. A plain value: config/settings_resolver.h fills one from
// flags, environment, an optional file and the defaults below; docs/configuration.md documents
// every field (config/setting_table.h is the one list of them). The defaults' values are
// config/defaults.h's.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/common.h>

#include "config/defaults.h"
#include "workspace/location_spec.h"

namespace codeloc::config {

// The process environment as NAME -> value. Passed in rather than read, so that everything that
// depends on it is a pure function (config/environment.h captures the real one).
using Environment = std::map<std::string, std::string>;

enum class LogFormat {
  kHuman,    // one readable line per record, for a terminal
  kJson,     // one JSON object per line, for log shippers
  kJournal,  // journald entries with fields (daemon/logs/journal_sink.h), under systemd
};

// A location's restart and stop behaviour with nothing left unset: what the supervisor acts on.
struct RestartSettings {
  workspace::RestartPolicy policy = workspace::RestartPolicy::kOnFailure;
  std::chrono::milliseconds backoff_initial = defaults::kBackoffInitial;
  std::chrono::milliseconds backoff_max = defaults::kBackoffMax;  // caps every delay, the first too
  std::chrono::milliseconds backoff_reset_after = defaults::kBackoffResetAfter;
  std::chrono::milliseconds startup_timeout = defaults::kStartupTimeout;
  std::chrono::milliseconds stop_timeout = defaults::kStopTimeout;
  int stop_signal = defaults::kStopSignal;

  bool operator==(const RestartSettings&) const = default;
};

struct Settings {
  // The control socket. Paths here are always absolute.
  std::filesystem::path socket;
  unsigned socket_mode = defaults::kSocketMode;
  std::optional<std::string> socket_group;  // a group name or number; unset: owner and root only
  std::uint64_t max_request_bytes = defaults::kMaxRequestBytes;
  // The largest line a code server may send (a definitions snapshot); the daemon buffers up to
  // this.
  std::uint64_t max_message_bytes = defaults::kMaxMessageBytes;

  std::filesystem::path state_dir;
  LogFormat log_format = LogFormat::kHuman;
  spdlog::level::level_enum log_level = spdlog::level::info;

  // Children. python is a command name looked up on PATH, or an absolute path.
  std::string python = defaults::kPython;
  RestartSettings restart_defaults;  // for every location; its own restart: keys override
  std::chrono::milliseconds ping_interval = defaults::kPingInterval;
  std::uint64_t ping_misses =
      defaults::kPingMisses;  // a code server missing this many pings in a row has crashed
  bool watch = defaults::kWatch;
  // Warm interpreters (docs/warm.md): fork Python locations from a fork server per interpreter
  // that has imported these modules.
  bool warm = defaults::kWarm;
  std::vector<std::string> warm_preload{defaults::kWarmPreload};
  std::chrono::milliseconds watch_debounce = defaults::kWatchDebounce;
  // Dagster's own gRPC API (docs/dagster.md): every Python location also serves it at a stable
  // socket under state_dir; a replaced generation drains its in-flight runs for this long at most
  // before it is stopped.
  bool dagster_grpc = defaults::kDagsterGrpc;
  std::chrono::milliseconds drain_timeout = defaults::kDrainTimeout;
  // Dagster's webserver and daemon as helper processes (`codeloc dev --ui`). ui_python: the Python
  // environment they come from (its bin/ holds dagster-webserver); empty means the first Python
  // location's interpreter. dagster_home: DAGSTER_HOME for them; empty means $DAGSTER_HOME, else
  // <state_dir>/dagster/home.
  bool ui = defaults::kUi;
  std::string ui_python;
  std::string ui_host = defaults::kUiHost;
  std::uint64_t ui_port = defaults::kUiPort;
  std::filesystem::path dagster_home;
  std::chrono::milliseconds watch_poll_interval = defaults::kWatchPollInterval;

  // Each location's output ring buffer (for `codeloc logs`); longer lines are cut.
  std::uint64_t log_ring_lines = defaults::kLogRingLines;
  std::uint64_t log_ring_bytes = defaults::kLogRingBytes;
  std::uint64_t log_line_max_bytes = defaults::kLogLineMaxBytes;

  // The built-in defaults; only the paths depend on the environment and the user.
  static Settings defaults(const Environment& environment, unsigned uid);

  // A location's restart settings: its own fields where the workspace entry set them, the
  // daemon's defaults elsewhere. backoff_initial is capped at backoff_max.
  RestartSettings restart_for(const workspace::RestartSpec& spec) const;

  bool operator==(const Settings&) const = default;
};

// $XDG_RUNTIME_DIR/codeloc/codeloc.sock for a user with an (absolute) XDG_RUNTIME_DIR,
// /run/codeloc/codeloc.sock for root, else /tmp/codeloc-<uid>/codeloc.sock. Clients use it too.
std::filesystem::path default_socket_path(const Environment& environment, unsigned uid);
// `codeloc dev`'s socket: dev.sock beside the default one, so a service and dev never clash.
std::filesystem::path default_dev_socket_path(const Environment& environment, unsigned uid);

// /var/lib/codeloc for root, else $XDG_STATE_HOME/codeloc, else $HOME/.local/state/codeloc,
// else /tmp/codeloc-<uid>/state.
std::filesystem::path default_state_dir(const Environment& environment, unsigned uid);

}  // namespace codeloc::config
