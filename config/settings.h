// The daemon's own settings: where the control socket lives, how it logs, and the defaults every
// location's supervision starts from. A plain value: config/settings_resolver.h fills one from
// flags, environment, an optional file and the defaults below; docs/configuration.md documents
// every field (config/setting_table.h is the one list of them).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/common.h>

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
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{30'000};  // caps every delay, the first one included
  std::chrono::milliseconds backoff_reset_after{10'000};
  std::chrono::milliseconds startup_timeout{60'000};
  std::chrono::milliseconds stop_timeout{10'000};
  int stop_signal = 15;  // SIGTERM

  bool operator==(const RestartSettings&) const = default;
};

struct Settings {
  // The control socket. Paths here are always absolute.
  std::filesystem::path socket;
  unsigned socket_mode = 0600;
  std::optional<std::string> socket_group;  // a group name or number; unset: owner and root only
  std::uint64_t max_request_bytes = std::uint64_t{16} << 20;
  // The largest line a code server may send (a definitions snapshot); the daemon buffers up to
  // this.
  std::uint64_t max_message_bytes = std::uint64_t{512} << 20;

  std::filesystem::path state_dir;
  LogFormat log_format = LogFormat::kHuman;
  spdlog::level::level_enum log_level = spdlog::level::info;

  // Children. python is a command name looked up on PATH, or an absolute path.
  std::string python = "python3";
  RestartSettings restart_defaults;  // for every location; its own restart: keys override
  std::chrono::milliseconds ping_interval{10'000};
  std::uint64_t ping_misses = 3;  // a code server missing this many pings in a row has crashed
  bool watch = false;
  // Warm interpreters (docs/warm.md): fork Python locations from a fork server per interpreter
  // that has imported these modules.
  bool warm = true;
  std::vector<std::string> warm_preload{"dagster"};
  std::chrono::milliseconds watch_debounce{100};
  // Dagster's own gRPC API (docs/dagster.md): every Python location also serves it at a stable
  // socket under state_dir; a replaced generation drains its in-flight runs for this long at most
  // before it is stopped.
  bool dagster_grpc = true;
  std::chrono::milliseconds drain_timeout{std::chrono::hours(24)};
  // Dagster's webserver and daemon as helper processes (`codeloc dev --ui`). ui_python: the Python
  // environment they come from (its bin/ holds dagster-webserver); empty means the first Python
  // location's interpreter. dagster_home: DAGSTER_HOME for them; empty means $DAGSTER_HOME, else
  // <state_dir>/dagster/home.
  bool ui = false;
  std::string ui_python;
  std::string ui_host = "127.0.0.1";
  std::uint64_t ui_port = 3000;
  std::filesystem::path dagster_home;
  std::chrono::milliseconds watch_poll_interval{1000};

  // Each location's output ring buffer (for `codeloc logs`); longer lines are cut.
  std::uint64_t log_ring_lines = 1000;
  std::uint64_t log_ring_bytes = std::uint64_t{1} << 20;
  std::uint64_t log_line_max_bytes = std::uint64_t{16} << 10;

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
