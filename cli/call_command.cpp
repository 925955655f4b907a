// codeloc call NAME METHOD [JSON] [--timeout MS] [--json]: relay a request to the location's
// code server (location.call) and print its result as JSON; its error goes to stderr, exit 1.
#include <iostream>
#include <memory>

#include "cli/client_command.h"
#include "cli/commands.h"
#include "cli/daemon_connection.h"
#include "ipc/protocol.h"

namespace codeloc::cli {
namespace {

struct CallOptions {
  std::string socket;
  std::string name;
  std::string method;
  std::string params;
  long timeout_ms = -1;
  bool json = false;
};

int run_call(ipc::Client& client, const CallOptions& options, const nlohmann::json& params) {
  nlohmann::json request = {{"name", options.name}, {"method", options.method}};
  if (!params.is_null()) request["params"] = params;
  if (options.timeout_ms >= 0) request["timeout"] = options.timeout_ms;
  try {
    std::string raw = client.call_raw(ipc::method::kLocationCall, request);
    std::cout << (options.json ? raw : nlohmann::json::parse(raw).dump(2)) << "\n";
    return kExitOk;
  } catch (const ipc::RpcError& e) {
    std::cerr << "codeloc: " << describe_rpc_error(e) << " (code " << e.code() << ")\n";
    if (!e.data().is_null() && e.code() != ipc::error_code::kUnknownLocation) {
      std::cerr << "  data: " << e.data().dump() << "\n";
    }
    return kExitFailure;
  }
}

}  // namespace

void add_call_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<CallOptions>();
  auto* cmd = app.add_subcommand("call", "Call a method of a location's code server");
  cmd->add_option("NAME", options->name, "the location")->required();
  cmd->add_option("METHOD", options->method, "the code server's method")->required();
  cmd->add_option("JSON", options->params, "the params: a JSON object or array");
  cmd->add_option("--timeout", options->timeout_ms,
                  "ms to wait for the answer (daemon default 30000)")
      ->check(CLI::Range(0, 100000000));
  add_socket_option(cmd, &options->socket);
  cmd->add_flag("--json", options->json, "print the result exactly as relayed, on one line");
  cmd->callback([options, exit_code] {
    nlohmann::json params;
    if (!options->params.empty()) {
      params = nlohmann::json::parse(options->params, nullptr, false);
      if (params.is_discarded() || !(params.is_object() || params.is_array())) {
        std::cerr << "codeloc: JSON must be a JSON object or array, not: " << options->params
                  << "\n";
        *exit_code = kExitUsage;
        return;
      }
    }
    run_with_daemon(options->socket, exit_code,
                    [&](ipc::Client& client) { return run_call(client, *options, params); });
  });
}

}  // namespace codeloc::cli
