#include "workspace/workspace_report.h"

#include <algorithm>
#include <array>
#include <vector>

#include "workspace/values.h"

namespace codeloc::workspace {
namespace {

constexpr std::size_t kColumns = 6;
using Row = std::array<std::string, kColumns>;

// A shell-like rendering of one argv word, quoted only when it needs to be.
std::string quote_word(const std::string& word) {
  bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](unsigned char c) {
    return std::isalnum(c) || std::string_view("-_./:=@%+,").find(c) != std::string_view::npos;
  });
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

std::string join_keys(const std::map<std::string, std::string>& map) {
  std::string keys;
  for (const auto& [key, value] : map) {
    keys += (keys.empty() ? "" : ",") + key;
  }
  return keys;
}

Row row_for(const LocationSpec& location) {
  bool process = location.starts_process();
  // grpc_server's child is codeloc's attach process: an interpreter, and no working directory.
  bool cwd = process && !location.working_directory.empty();
  std::string interpreter = "-";
  if (is_python_kind(location.kind) || location.kind == LocationKind::kGrpcServer) {
    interpreter = location.executable_path.value_or("(default)");
  }
  std::string env = join_keys(location.env);
  if (!location.inherit_env) env += env.empty() ? "(inherit_env: false)" : " (inherit_env: false)";
  if (env.empty()) env = "-";
  return {location.name,
          kind_name(location.kind),
          describe_target(location),
          cwd ? location.working_directory.string() : "-",
          interpreter,
          process ? env : "-"};
}

nlohmann::ordered_json optional_duration(const std::optional<std::chrono::milliseconds>& value) {
  return value ? nlohmann::ordered_json(format_duration(*value)) : nlohmann::ordered_json(nullptr);
}

template <typename T>
nlohmann::ordered_json optional_value(const std::optional<T>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json keys_of(const std::map<std::string, std::string>& map) {
  nlohmann::ordered_json keys = nlohmann::ordered_json::array();
  for (const auto& [key, value] : map)
    keys.push_back(key);
  return keys;
}

nlohmann::ordered_json location_to_json(const LocationSpec& location) {
  bool python = is_python_kind(location.kind);
  bool cwd = location.starts_process() && !location.working_directory.empty();
  bool endpoint =
      location.kind == LocationKind::kGrpcServer || location.kind == LocationKind::kCodeServer;
  const RestartSpec& restart = location.restart;
  return {
      {"name", location.name},
      {"kind", kind_name(location.kind)},
      {"origin",
       {{"file", location.origin.file},
        {"line", location.origin.line},
        {"column", location.origin.column}}},
      {"target",
       python ? nlohmann::ordered_json(location.target) : nlohmann::ordered_json(nullptr)},
      {"attribute", optional_value(location.attribute)},
      {"working_directory", cwd ? nlohmann::ordered_json(location.working_directory.string())
                                : nlohmann::ordered_json(nullptr)},
      {"executable_path", optional_value(location.executable_path)},
      {"argv", location.argv},
      {"host", endpoint ? nlohmann::ordered_json(location.host) : nlohmann::ordered_json(nullptr)},
      {"port", optional_value(location.port)},
      {"socket", optional_value(location.socket)},
      {"ssl", location.ssl},
      {"additional_metadata_keys", keys_of(location.additional_metadata)},
      {"env_keys", keys_of(location.env)},
      {"inherit_env", location.inherit_env},
      {"warm", optional_value(location.warm)},
      {"watch", location.watch},
      {"ignore", location.ignore},
      {"restart",
       {{"policy", restart.policy ? nlohmann::ordered_json(restart_policy_name(*restart.policy))
                                  : nlohmann::ordered_json(nullptr)},
        {"backoff_initial", optional_duration(restart.backoff_initial)},
        {"backoff_max", optional_duration(restart.backoff_max)},
        {"backoff_reset_after", optional_duration(restart.backoff_reset_after)},
        {"startup_timeout", optional_duration(restart.startup_timeout)},
        {"stop_timeout", optional_duration(restart.stop_timeout)},
        {"stop_signal", restart.stop_signal
                            ? nlohmann::ordered_json(signal_name(*restart.stop_signal))
                            : nlohmann::ordered_json(nullptr)}}},
  };
}

}  // namespace

std::string describe_target(const LocationSpec& location) {
  switch (location.kind) {
    case LocationKind::kCommand: {
      std::string line;
      for (const auto& word : location.argv) {
        line += (line.empty() ? "" : " ") + quote_word(word);
      }
      return line;
    }
    case LocationKind::kGrpcServer:
    case LocationKind::kCodeServer: {
      std::string endpoint = location.socket
                                 ? *location.socket
                                 : location.host + ":" + std::to_string(location.port.value_or(0));
      return location.ssl ? endpoint + " (ssl)" : endpoint;
    }
    default:
      return location.attribute ? location.target + ":" + *location.attribute : location.target;
  }
}

std::string render_table(const Workspace& workspace) {
  std::vector<Row> rows{{"NAME", "KIND", "TARGET", "WORKING DIRECTORY", "INTERPRETER", "ENV"}};
  for (const auto& location : workspace.locations)
    rows.push_back(row_for(location));
  std::array<std::size_t, kColumns> widths{};
  for (const Row& row : rows) {
    for (std::size_t i = 0; i < kColumns; ++i)
      widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const Row& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < kColumns; ++i) {
      line += row[i];
      if (i + 1 < kColumns) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  if (workspace.locations.empty()) out += "(no locations)\n";
  return out;
}

nlohmann::ordered_json workspace_to_json(const Workspace& workspace) {
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& file : workspace.files)
    files.push_back(file.string());
  nlohmann::ordered_json locations = nlohmann::ordered_json::array();
  for (const auto& location : workspace.locations)
    locations.push_back(location_to_json(location));
  return {{"valid", true}, {"files", files}, {"locations", locations}};
}

nlohmann::ordered_json diagnostics_to_json(const Diagnostics& diagnostics) {
  nlohmann::ordered_json errors = nlohmann::ordered_json::array();
  for (const auto& d : diagnostics) {
    errors.push_back({{"file", d.pos.file},
                      {"line", d.pos.line},
                      {"column", d.pos.column},
                      {"message", d.message}});
  }
  return {{"valid", false}, {"errors", errors}};
}

}  // namespace codeloc::workspace
