#include "config/setting_table.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/un.h>

#include "config/setting_values.h"
#include "workspace/values.h"

namespace codeloc::config {
namespace {

using std::chrono::milliseconds;

// A parser of one value type, with the context for paths.
template <typename T>
using Parser = std::function<std::optional<T>(std::string_view, const ValueContext&, std::string*)>;

// Binds a parser and a formatter to one field. field is a generic lambda returning a reference to
// the field of a (const or mutable) Settings.
template <typename T, typename Field, typename Format>
SettingDef bind_field(SettingDef def, Field field, Parser<T> parser, Format format) {
  def.parse = [field, parser](std::string_view text, const ValueContext& context,
                              Settings* settings, std::string* error) {
    std::optional<T> value = parser(text, context, error);
    if (!value) return false;
    field(*settings) = std::move(*value);
    return true;
  };
  def.format = [field, format](const Settings& settings) { return format(field(settings)); };
  return def;
}

Parser<milliseconds> duration(milliseconds minimum) {
  return [minimum](std::string_view text, const ValueContext&, std::string* error) {
    auto value = workspace::parse_duration(text, error);
    if (value && *value < minimum) {
      *error = "expected a duration of at least " + workspace::format_duration(minimum) +
               ", got '" + std::string(text) + "'";
      return std::optional<milliseconds>();
    }
    return value;
  };
}

Parser<std::uint64_t> size(std::uint64_t minimum) {
  return [minimum](std::string_view text, const ValueContext&, std::string* error) {
    auto value = parse_byte_size(text, error);
    if (value && *value < minimum) {
      *error = "expected a size of at least " + format_byte_size(minimum) + ", got '" +
               std::string(text) + "'";
      return std::optional<std::uint64_t>();
    }
    return value;
  };
}

Parser<std::uint64_t> count(std::uint64_t minimum) {
  return [minimum](std::string_view text, const ValueContext&, std::string* error) {
    return parse_count(text, minimum, error);
  };
}

// A path: '~' expanded from HOME, relative paths resolved against the context's folder.
std::optional<std::filesystem::path> parse_path(std::string_view text, const ValueContext& context,
                                                std::string* error) {
  std::string s(text);
  if (s.empty()) {
    *error = "expected a path, got ''";
    return std::nullopt;
  }
  if (s == "~" || s.rfind("~/", 0) == 0) {
    if (context.home.empty()) {
      *error = "cannot expand '~' in '" + s + "': HOME is not set";
      return std::nullopt;
    }
    s = context.home + s.substr(1);
  }
  std::filesystem::path path(s);
  if (path.is_relative()) path = context.base_dir / path;
  return path.lexically_normal();
}

std::optional<std::filesystem::path> parse_socket_path(std::string_view text,
                                                       const ValueContext& context,
                                                       std::string* error) {
  auto path = parse_path(text, context, error);
  // bind(2) takes the path in sockaddr_un::sun_path, with its terminating NUL.
  constexpr std::size_t kMax = sizeof(sockaddr_un{}.sun_path) - 1;
  if (path && path->native().size() > kMax) {
    *error = "a Unix socket path has at most " + std::to_string(kMax) + " bytes, '" +
             path->native() + "' has " + std::to_string(path->native().size());
    return std::nullopt;
  }
  return path;
}

// A command name looked up on PATH at launch, or a path when it contains '/' or starts with '~'.
std::optional<std::string> parse_interpreter(std::string_view text, const ValueContext& context,
                                             std::string* error) {
  if (text.find('/') == std::string_view::npos && text.rfind('~', 0) != 0) {
    if (text.empty()) *error = "expected a command name or a path, got ''";
    return text.empty() ? std::nullopt : std::optional<std::string>(text);
  }
  auto path = parse_path(text, context, error);
  return path ? std::optional<std::string>(path->native()) : std::nullopt;
}

// parse_interpreter, where empty means "chosen by the daemon" (ui_python).
std::optional<std::string> parse_optional_interpreter(std::string_view text,
                                                      const ValueContext& context,
                                                      std::string* error) {
  if (text.empty()) return std::string();
  return parse_interpreter(text, context, error);
}

// parse_path, where empty means "chosen by the daemon" (dagster_home).
std::optional<std::filesystem::path> parse_optional_path(std::string_view text,
                                                         const ValueContext& context,
                                                         std::string* error) {
  if (text.empty()) return std::filesystem::path();
  return parse_path(text, context, error);
}

// A host name or IPv4 address to listen on; no ':' (an IPv6 address would need brackets in the
// UI's URL) and nothing a URL would split on.
std::optional<std::string> parse_host(std::string_view text, const ValueContext&,
                                      std::string* error) {
  if (text.empty() || text.find_first_of(" \t\n/:@?#") != std::string_view::npos) {
    *error =
        "expected a host name or an IPv4 address like 127.0.0.1, got '" + std::string(text) + "'";
    return std::nullopt;
  }
  return std::string(text);
}

std::optional<std::uint64_t> parse_port(std::string_view text, const ValueContext&,
                                        std::string* error) {
  std::string ignored;
  auto port = parse_count(text, 1, &ignored);
  if (!port || *port > 65535) {
    *error = "expected a TCP port from 1 to 65535, got '" + std::string(text) + "'";
    return std::nullopt;
  }
  return port;
}

// Empty means no group. A name or number is checked against the group database by the daemon
// when it creates the socket, not here (no I/O).
std::optional<std::optional<std::string>> parse_group(std::string_view text, const ValueContext&,
                                                      std::string* error) {
  if (text.empty()) return std::optional<std::string>();
  if (text.find_first_of(" \t\n:") != std::string_view::npos) {
    *error = "expected a group name or number, got '" + std::string(text) + "'";
    return std::nullopt;
  }
  return std::optional<std::string>(text);
}

std::optional<unsigned> parse_socket_mode(std::string_view text, const ValueContext&,
                                          std::string* error) {
  auto mode = parse_file_mode(text, error);
  if (mode && (*mode & 0600) != 0600) {
    *error = "mode " + format_file_mode(*mode) +
             " denies the daemon's own user; a socket mode needs at least 0600, got '" +
             std::string(text) + "'";
    return std::nullopt;
  }
  return mode;
}

template <typename T>
Parser<T> plain(std::optional<T> (*parse)(std::string_view, std::string*)) {
  return [parse](std::string_view text, const ValueContext&, std::string* error) {
    return parse(text, error);
  };
}

std::string path_text(const std::filesystem::path& path) {
  return path.native();
}
std::string text(const std::string& s) {
  return s;
}
std::string group_text(const std::optional<std::string>& group) {
  return group.value_or("");
}
std::string count_text(std::uint64_t n) {
  return std::to_string(n);
}
std::string module_list_text(const std::vector<std::string>& modules) {
  std::string out;
  for (const auto& name : modules)
    out += (out.empty() ? "" : ",") + name;
  return out;
}

// "dagster, pandas": Python module names (dotted identifiers), comma-separated; empty: none.
std::optional<std::vector<std::string>> parse_module_list(std::string_view text,
                                                          std::string* error) {
  std::vector<std::string> modules;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = std::min(text.find(',', begin), text.size());
    std::string_view item = text.substr(begin, end - begin);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front())))
      item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back())))
      item.remove_suffix(1);
    if (!item.empty()) {
      bool valid = !std::isdigit(static_cast<unsigned char>(item.front())) && item.front() != '.' &&
                   item.back() != '.' && item.find("..") == std::string_view::npos;
      for (char c : item)
        valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.');
      if (!valid) {
        *error =
            "expected Python module names separated by commas, got '" + std::string(item) + "'";
        return std::nullopt;
      }
      modules.emplace_back(item);
    }
    begin = end + 1;
  }
  return modules;
}

std::string bool_text(bool b) {
  return b ? "true" : "false";
}
std::string policy_text(workspace::RestartPolicy p) {
  return workspace::restart_policy_name(p);
}
std::string format_text(LogFormat f) {
  return log_format_name(f);
}

std::vector<SettingDef> make_table() {
  using workspace::RestartPolicy;
  auto def = [](std::string_view key, std::string_view env_var, std::string_view flag,
                std::string_view value_name, std::string_view default_text, std::string_view doc) {
    return SettingDef{key, env_var, flag, value_name, default_text, doc, false, {}, {}};
  };
  constexpr milliseconds kPositive{1};
  std::vector<SettingDef> table;
  table.push_back(bind_field<std::filesystem::path>(
      def("socket", "CODELOC_SOCKET", "--socket", "PATH", "see below", "the control socket's path"),
      [](auto& s) -> auto& { return s.socket; }, parse_socket_path, path_text));
  table.push_back(bind_field<unsigned>(
      def("socket_mode", "CODELOC_SOCKET_MODE", "--socket-mode", "MODE", "0600",
          "the control socket's permission bits (octal)"),
      [](auto& s) -> auto& { return s.socket_mode; }, parse_socket_mode, format_file_mode));
  table.push_back(bind_field<std::optional<std::string>>(
      def("socket_group", "CODELOC_SOCKET_GROUP", "--socket-group", "GROUP", "none",
          "a group whose members may use the control socket (its file's group)"),
      [](auto& s) -> auto& { return s.socket_group; }, parse_group, group_text));
  table.push_back(bind_field<std::uint64_t>(
      def("max_request_bytes", "CODELOC_MAX_REQUEST_BYTES", "--max-request-bytes", "SIZE", "16MiB",
          "the largest request a control client may send"),
      [](auto& s) -> auto& { return s.max_request_bytes; }, size(1024), format_byte_size));
  table.push_back(bind_field<std::uint64_t>(
      def("max_message_bytes", "CODELOC_MAX_MESSAGE_BYTES", "--max-message-bytes", "SIZE", "512MiB",
          "the largest message a code server may send (its definitions)"),
      [](auto& s) -> auto& { return s.max_message_bytes; }, size(1024), format_byte_size));
  table.push_back(bind_field<std::filesystem::path>(
      def("state_dir", "CODELOC_STATE_DIR", "--state-dir", "PATH", "see below",
          "where the daemon keeps state between runs"),
      [](auto& s) -> auto& { return s.state_dir; }, parse_path, path_text));
  table.push_back(bind_field<LogFormat>(
      def("log_format", "CODELOC_LOG_FORMAT", "--log-format", "FORMAT", "human",
          "the daemon's log: human or json lines on stderr, or journal entries"),
      [](auto& s) -> auto& { return s.log_format; }, plain(parse_log_format), format_text));
  table.push_back(bind_field<spdlog::level::level_enum>(
      def("log_level", "CODELOC_LOG_LEVEL", "--log-level", "LEVEL", "info",
          "the least severe level logged: trace, debug, info, warn, error, critical, off"),
      [](auto& s) -> auto& { return s.log_level; }, plain(parse_log_level), log_level_name));
  table.push_back(bind_field<std::string>(
      def("python", "CODELOC_PYTHON", "--python", "COMMAND", "python3",
          "the interpreter for Python locations without executable_path"),
      [](auto& s) -> auto& { return s.python; }, parse_interpreter, text));
  table.push_back(bind_field<RestartPolicy>(
      def("restart", "CODELOC_RESTART", "--restart", "POLICY", "on-failure",
          "when a location's process is restarted: always, on-failure or never"),
      [](auto& s) -> auto& { return s.restart_defaults.policy; },
      plain(workspace::parse_restart_policy), policy_text));
  table.push_back(bind_field<milliseconds>(
      def("backoff_initial", "CODELOC_BACKOFF_INITIAL", "--backoff-initial", "DURATION", "100ms",
          "the delay before the first restart; it doubles on each further crash"),
      [](auto& s) -> auto& { return s.restart_defaults.backoff_initial; }, duration(kPositive),
      workspace::format_duration));
  table.push_back(bind_field<milliseconds>(
      def("backoff_max", "CODELOC_BACKOFF_MAX", "--backoff-max", "DURATION", "30s",
          "the longest delay between restarts"),
      [](auto& s) -> auto& { return s.restart_defaults.backoff_max; }, duration(kPositive),
      workspace::format_duration));
  table.push_back(bind_field<milliseconds>(
      def("backoff_reset_after", "CODELOC_BACKOFF_RESET_AFTER", "--backoff-reset-after", "DURATION",
          "10s", "a run this long resets the delay to backoff_initial"),
      [](auto& s) -> auto& { return s.restart_defaults.backoff_reset_after; }, duration(kPositive),
      workspace::format_duration));
  table.push_back(bind_field<milliseconds>(
      def("startup_timeout", "CODELOC_STARTUP_TIMEOUT", "--startup-timeout", "DURATION", "60s",
          "a code server not loaded by then has crashed"),
      [](auto& s) -> auto& { return s.restart_defaults.startup_timeout; }, duration(kPositive),
      workspace::format_duration));
  table.push_back(bind_field<milliseconds>(
      def("stop_timeout", "CODELOC_STOP_TIMEOUT", "--stop-timeout", "DURATION", "10s",
          "how long a stopping location has before SIGKILL"),
      [](auto& s) -> auto& { return s.restart_defaults.stop_timeout; }, duration(kPositive),
      workspace::format_duration));
  table.push_back(bind_field<int>(
      def("stop_signal", "CODELOC_STOP_SIGNAL", "--stop-signal", "SIGNAL", "SIGTERM",
          "the signal that asks a location's process group to stop"),
      [](auto& s) -> auto& { return s.restart_defaults.stop_signal; },
      plain(workspace::parse_signal), workspace::signal_name));
  table.push_back(bind_field<milliseconds>(
      def("ping_interval", "CODELOC_PING_INTERVAL", "--ping-interval", "DURATION", "10s",
          "how often a loaded code server is pinged"),
      [](auto& s) -> auto& { return s.ping_interval; }, duration(kPositive),
      workspace::format_duration));
  table.push_back(bind_field<std::uint64_t>(
      def("ping_misses", "CODELOC_PING_MISSES", "--ping-misses", "COUNT", "3",
          "unanswered pings in a row after which a code server has crashed"),
      [](auto& s) -> auto& { return s.ping_misses; }, count(1), count_text));
  SettingDef watch = bind_field<bool>(
      def("watch", "CODELOC_WATCH", "--watch", "BOOL", "false",
          "reload a location when its files change"),
      [](auto& s) -> auto& { return s.watch; }, plain(parse_bool), bool_text);
  watch.is_bool = true;
  table.push_back(std::move(watch));
  SettingDef warm = bind_field<bool>(
      def("warm", "CODELOC_WARM", "--warm", "BOOL", "true",
          "fork Python locations from a warm interpreter (docs/warm.md)"),
      [](auto& s) -> auto& { return s.warm; }, plain(parse_bool), bool_text);
  warm.is_bool = true;
  table.push_back(std::move(warm));
  table.push_back(bind_field<std::vector<std::string>>(
      def("warm_preload", "CODELOC_WARM_PRELOAD", "--warm-preload", "MODULES", "dagster",
          "modules a warm interpreter imports before forking, comma-separated"),
      [](auto& s) -> auto& { return s.warm_preload; }, plain(parse_module_list), module_list_text));
  SettingDef dagster_grpc = bind_field<bool>(
      def("dagster_grpc", "CODELOC_DAGSTER_GRPC", "--dagster-grpc", "BOOL", "true",
          "Python locations also serve Dagster's gRPC API (docs/dagster.md)"),
      [](auto& s) -> auto& { return s.dagster_grpc; }, plain(parse_bool), bool_text);
  dagster_grpc.is_bool = true;
  table.push_back(std::move(dagster_grpc));
  table.push_back(bind_field<milliseconds>(
      def("drain_timeout", "CODELOC_DRAIN_TIMEOUT", "--drain-timeout", "DURATION", "24h",
          "how long a replaced code server may finish its in-flight Dagster runs"),
      [](auto& s) -> auto& { return s.drain_timeout; }, duration(kPositive),
      workspace::format_duration));
  SettingDef ui = bind_field<bool>(
      def("ui", "CODELOC_UI", "--ui", "BOOL", "false",
          "run Dagster's webserver and daemon on the locations (docs/cli.md, `dev --ui`)"),
      [](auto& s) -> auto& { return s.ui; }, plain(parse_bool), bool_text);
  ui.is_bool = true;
  table.push_back(std::move(ui));
  table.push_back(bind_field<std::string>(
      def("ui_python", "CODELOC_UI_PYTHON", "--ui-python", "PATH", "none",
          "the Python whose environment has dagster-webserver; none: the first Python location's"),
      [](auto& s) -> auto& { return s.ui_python; }, parse_optional_interpreter, text));
  table.push_back(bind_field<std::string>(
      def("ui_host", "CODELOC_UI_HOST", "--ui-host", "HOST", "127.0.0.1",
          "the address dagster-webserver listens on"),
      [](auto& s) -> auto& { return s.ui_host; }, parse_host, text));
  table.push_back(bind_field<std::uint64_t>(
      def("ui_port", "CODELOC_UI_PORT", "--ui-port", "PORT", "3000",
          "the TCP port dagster-webserver listens on"),
      [](auto& s) -> auto& { return s.ui_port; }, parse_port, count_text));
  table.push_back(bind_field<std::filesystem::path>(
      def("dagster_home", "CODELOC_DAGSTER_HOME", "--dagster-home", "PATH", "none",
          "DAGSTER_HOME for the webserver and daemon; none: $DAGSTER_HOME, else under state_dir"),
      [](auto& s) -> auto& { return s.dagster_home; }, parse_optional_path, path_text));
  table.push_back(bind_field<milliseconds>(
      def("watch_debounce", "CODELOC_WATCH_DEBOUNCE", "--watch-debounce", "DURATION", "100ms",
          "quiet time after a file change before the reload"),
      [](auto& s) -> auto& { return s.watch_debounce; }, duration(milliseconds(0)),
      workspace::format_duration));
  table.push_back(bind_field<milliseconds>(
      def("watch_poll_interval", "CODELOC_WATCH_POLL_INTERVAL", "--watch-poll-interval", "DURATION",
          "1s",
          "how often a location is scanned when inotify cannot watch it (watch limit reached)"),
      [](auto& s) -> auto& { return s.watch_poll_interval; }, duration(kPositive),
      workspace::format_duration));
  table.push_back(bind_field<std::uint64_t>(
      def("log_ring_lines", "CODELOC_LOG_RING_LINES", "--log-ring-lines", "COUNT", "1000",
          "output lines kept per location for `codeloc logs`"),
      [](auto& s) -> auto& { return s.log_ring_lines; }, count(1), count_text));
  table.push_back(bind_field<std::uint64_t>(
      def("log_ring_bytes", "CODELOC_LOG_RING_BYTES", "--log-ring-bytes", "SIZE", "1MiB",
          "output bytes kept per location for `codeloc logs`"),
      [](auto& s) -> auto& { return s.log_ring_bytes; }, size(1024), format_byte_size));
  table.push_back(bind_field<std::uint64_t>(
      def("log_line_max_bytes", "CODELOC_LOG_LINE_MAX_BYTES", "--log-line-max-bytes", "SIZE",
          "16KiB", "output lines longer than this are cut"),
      [](auto& s) -> auto& { return s.log_line_max_bytes; }, size(80), format_byte_size));
  return table;
}

}  // namespace

const std::vector<SettingDef>& setting_table() {
  static const std::vector<SettingDef> kTable = make_table();
  return kTable;
}

const SettingDef* find_setting(std::string_view key) {
  for (const SettingDef& def : setting_table()) {
    if (def.key == key) return &def;
  }
  return nullptr;
}

}  // namespace codeloc::config
