// `codeloc info` as people read it: the daemon.info result as an aligned key/value list.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace codeloc::cli {

// "codeloc 0.1.0 (protocol 1)" then pid, started, socket, workspace (one line per file) and
// locations. Missing fields are left out.
std::string render_daemon_info(const nlohmann::json& info);

}  // namespace codeloc::cli
