// The control protocol's method handlers (docs/protocol.md, "Control protocol v1"): plain
// functions from a request's params and the state they need to a result (STYLE.md point 6).
// register_control_methods puts them in the method table; the connection code does the I/O.
#pragma once

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/control/control_context.h"
#include "daemon/logs/log_ring.h"
#include "ipc/method_table.h"

namespace codeloc::daemon {

// The connection a request came on, for what concerns it alone (event subscriptions).
class EventSubscriber {
 public:
  virtual ~EventSubscriber() = default;
  virtual void subscribe(std::set<std::string> topics) = 0;
};

// One request's context. Lives only during dispatch: asynchronous handlers copy what they need.
struct ControlCall {
  ControlContext& daemon;
  EventSubscriber* subscriber;
};

// The event topics (events.subscribe) and the default set.
inline const std::set<std::string> kEventTopics{"state", "definitions", "reload", "workspace",
                                                "logs"};
inline const std::set<std::string> kDefaultEventTopics{"state", "definitions", "reload",
                                                       "workspace"};

nlohmann::json daemon_info(const ControlContext& context);
nlohmann::json locations_list(const ControlContext& context);
// params {name}: the location's status entry.
nlohmann::json location_get(const nlohmann::json& params, const ControlContext& context);
// params {name, if_version?}: {name, version, stale, not_modified, definitions}, with the snapshot
// bytes spliced in as received (never decoded); without them when if_version matches.
ipc::MethodResult location_definitions(const nlohmann::json& params, const ControlContext& context);
// params {name, lines?}: the last lines of the location's output.
nlohmann::json location_logs(const nlohmann::json& params, const ControlContext& context);
// One output line as location.logs and event.log show it.
nlohmann::json log_line_json(const LogLine& line);

void register_control_methods(ipc::MethodTable<ControlCall>& table);

}  // namespace codeloc::daemon
