// codeloc logs NAME [-n N] [-f] [--json]: the location's last lines (location.logs); with -f,
// then its new lines as they come (events.subscribe {topics: ["logs"]}) until SIGINT/SIGTERM
// (exit 0) or the daemon goes away (exit 1). With --json, one JSON object per line.
#include <iostream>
#include <memory>

#include "cli/client_command.h"
#include "cli/commands.h"
#include "cli/daemon_connection.h"
#include "cli/event_format.h"
#include "cli/notification_follower.h"
#include "ipc/protocol.h"

namespace codeloc::cli {
namespace {

struct LogsOptions {
  std::string socket;
  std::string name;
  int lines = static_cast<int>(ipc::kDefaultLogLines);
  bool follow = false;
  bool json = false;
};

void print_line(const nlohmann::json& line, const LogsOptions& options) {
  std::cout << (options.json ? line.dump() : format_log_line(line, false)) << "\n" << std::flush;
}

int run_logs(ipc::Client& client, const LogsOptions& options) {
  // Subscribe before asking for the backlog: a line written in between then arrives as a
  // notification too, and the cursor (by seq) shows it once, never zero times.
  if (options.follow) client.call(ipc::method::kEventsSubscribe, {{"topics", {"logs"}}});
  nlohmann::json result =
      client.call(ipc::method::kLocationLogs, {{"name", options.name}, {"lines", options.lines}});
  LogCursor cursor(options.name);
  for (const auto& line : result.value("lines", nlohmann::json::array())) {
    if (cursor.accept(line)) print_line(line, options);
  }
  if (!options.follow) return kExitOk;
  FollowEnd end = follow_notifications(client, [&](const ipc::Notification& n) {
    if (n.method == "event.log" && cursor.accept(n.params)) print_line(n.params, options);
  });
  if (end == FollowEnd::kDaemonGone) {
    std::cerr << "codeloc: the daemon went away; no more log lines\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void add_logs_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<LogsOptions>();
  auto* cmd = app.add_subcommand("logs", "Print a location's recent output; -f to follow it");
  cmd->add_option("NAME", options->name, "the location")->required();
  cmd->add_option("-n,--lines", options->lines, "how many of the last lines (default 100)")
      ->check(CLI::Range(0, 100000000));
  cmd->add_flag("-f,--follow", options->follow, "then print new lines until interrupted");
  add_socket_option(cmd, &options->socket);
  cmd->add_flag("--json", options->json, "print each line as a JSON object, one per line");
  cmd->callback([options, exit_code] {
    run_with_daemon(options->socket, exit_code,
                    [&](ipc::Client& client) { return run_logs(client, *options); });
  });
}

}  // namespace codeloc::cli
