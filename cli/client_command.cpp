#include "cli/client_command.h"

#include <iostream>

#include "cli/commands.h"
#include "cli/daemon_connection.h"
#include "ipc/protocol.h"

namespace codeloc::cli {

void run_with_daemon(const std::string& socket_flag, int* exit_code,
                     const std::function<int(ipc::Client&)>& body) {
  auto client = connect_to_daemon(socket_flag, exit_code);
  if (!client) return;
  try {
    *exit_code = body(*client);
  } catch (const ipc::RpcError& e) {
    std::cerr << "codeloc: " << describe_rpc_error(e) << "\n";
    *exit_code = kExitFailure;
  } catch (const ipc::ClientError& e) {
    std::cerr << "codeloc: " << e.what() << "\n";
    *exit_code = kExitFailure;
  }
}

std::string describe_rpc_error(const ipc::RpcError& error) {
  const nlohmann::json& data = error.data();
  if (error.code() == ipc::error_code::kUnknownLocation) {
    std::string name = data.is_object() ? data.value("name", "") : "";
    if (!name.empty()) return "no location named '" + name + "' (`codeloc status` lists them)";
  }
  return error.message();
}

}  // namespace codeloc::cli
