// codeloc events [--topics a,b] [--json]: subscribe (events.subscribe) and print one line per
// notification until SIGINT/SIGTERM (exit 0) or the daemon goes away (exit 1). A line on stderr
// says when the subscription is active.
#include <iostream>
#include <memory>
#include <vector>

#include "cli/client_command.h"
#include "cli/commands.h"
#include "cli/daemon_connection.h"
#include "cli/event_format.h"
#include "cli/notification_follower.h"
#include "cli/text_table.h"
#include "ipc/protocol.h"

namespace codeloc::cli {
namespace {

struct EventsOptions {
  std::string socket;
  std::vector<std::string> topics;
  bool json = false;
};

int run_events(ipc::Client& client, const EventsOptions& options) {
  nlohmann::json params = nlohmann::json::object();
  if (!options.topics.empty()) params["topics"] = options.topics;
  nlohmann::json subscribed = client.call(ipc::method::kEventsSubscribe, params);
  std::vector<std::string> topics;
  for (const auto& topic : subscribed.value("topics", nlohmann::json::array()))
    topics.push_back(topic.is_string() ? topic.get<std::string>() : topic.dump());
  std::cerr << "codeloc: listening for " << join(topics) << " events (Ctrl-C to stop)\n";
  const TableStyle style{stdout_wants_color()};
  FollowEnd end = follow_notifications(client, [&](const ipc::Notification& n) {
    if (options.json) {
      std::cout << nlohmann::json{{"method", n.method}, {"params", n.params}}.dump();
    } else {
      std::cout << format_event(n.method, n.params, style);
    }
    std::cout << "\n" << std::flush;
  });
  if (end == FollowEnd::kDaemonGone) {
    std::cerr << "codeloc: the daemon went away; no more events\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void add_events_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<EventsOptions>();
  auto* cmd = app.add_subcommand("events", "Print the daemon's events as they happen");
  cmd->add_option("--topics", options->topics,
                  "comma-separated: state, definitions, workspace, logs (default: all but logs)")
      ->delimiter(',')
      ->check(CLI::IsMember({"state", "definitions", "workspace", "logs"}));
  add_socket_option(cmd, &options->socket);
  cmd->add_flag("--json", options->json,
                "print each notification as a JSON object {method, params}, one per line");
  cmd->callback([options, exit_code] {
    run_with_daemon(options->socket, exit_code,
                    [&](ipc::Client& client) { return run_events(client, *options); });
  });
}

}  // namespace codeloc::cli
