#include "daemon/control/control_methods.h"

#include <unistd.h>

#include "daemon/common/time_format.h"
#include "daemon/common/version.h"
#include "daemon/logs/logging.h"
#include "daemon/supervision/workspace_reload.h"
#include "ipc/params.h"
#include "ipc/protocol.h"
#include "ipc/rpc_error.h"

namespace codeloc::daemon {

using nlohmann::json;
using std::chrono::milliseconds;

namespace {

// A JSON string literal of `text`, escaped as json::dump escapes (bad UTF-8 replaced).
std::string json_string(const std::string& text) {
  return json(text).dump(-1, ' ', false, json::error_handler_t::replace);
}

constexpr std::int64_t kDefaultLogLines = ipc::kDefaultLogLines;
constexpr std::int64_t kDefaultWaitMs = ipc::kDefaultWaitTimeoutMs;
constexpr std::int64_t kDefaultCallTimeoutMs = ipc::kDefaultCallTimeoutMs;

std::unique_ptr<ControlledLocation> require_location(const json& params,
                                                     const ControlContext& context) {
  std::string name = ipc::require_string(params, "name");
  std::unique_ptr<ControlledLocation> location = context.supervision.find(name);
  if (!location) {
    throw ipc::RpcError(ipc::error_code::kUnknownLocation, "no location named '" + name + "'",
                        {{"name", name}});
  }
  return location;
}

// Settled once loaded, failed or stopped, with no reload queued behind the load that ended.
bool settled_running(const ControlledLocation& location) {
  LocationState state = location.state();
  if (location.reload_queued()) return false;
  return state == LocationState::kLoaded || state == LocationState::kLoadError ||
         state == LocationState::kStopped;
}

bool settled_stopped(const ControlledLocation& location) {
  return location.state() == LocationState::kStopped;
}

ipc::RpcError wait_timed_out(const std::string& name, milliseconds timeout) {
  return ipc::RpcError(
      ipc::error_code::kTimeout,
      "location '" + name + "' did not settle within " + std::to_string(timeout.count()) + " ms",
      {{"name", name}});
}

// Runs `action` on the location, then answers with its entry: at once, or (wait: true) once
// `settled` holds.
void act_and_answer(const json& params, ControlCall& call, ipc::Responder responder,
                    void (ControlledLocation::*action)(), SupervisionApi::Settled settled) {
  auto held = require_location(params, call.daemon);
  ControlledLocation& location = *held;
  bool wait = ipc::optional_bool(params, "wait", false);
  milliseconds timeout(ipc::optional_non_negative_int(params, "timeout").value_or(kDefaultWaitMs));
  (location.*action)();
  if (!wait) {
    responder.reply(location.status_json());
    return;
  }
  std::string name = location.name();
  call.daemon.supervision.wait(name, std::move(settled), timeout,
                               [responder, name, timeout](const ControlledLocation* done) {
                                 if (!done) {
                                   responder.fail(wait_timed_out(name, timeout));
                                 } else {
                                   responder.reply(done->status_json());
                                 }
                               });
}

json reload_result(const ControlledLocation& location, const std::string& previous,
                   std::chrono::steady_clock::time_point started) {
  json status = location.status_json();
  json version = status["definitions_version"];
  auto elapsed = std::chrono::steady_clock::now() - started;
  return {{"name", location.name()},
          {"state", status["state"]},
          {"previous_version", previous.empty() ? json() : json(previous)},
          {"version", version},
          {"changed", version.is_string() && version.get<std::string>() != previous},
          {"duration_ms", std::chrono::duration_cast<milliseconds>(elapsed).count()},
          {"error", status["error"]},
          {"location", status}};
}

void location_reload(const json& params, ControlCall& call, ipc::Responder responder) {
  auto held = require_location(params, call.daemon);
  ControlledLocation& location = *held;
  bool wait = ipc::optional_bool(params, "wait", false);
  milliseconds timeout(ipc::optional_non_negative_int(params, "timeout").value_or(kDefaultWaitMs));
  std::string previous = location.snapshot() ? location.snapshot()->version : "";
  auto started = std::chrono::steady_clock::now();
  location.request_reload("requested");
  if (!wait) {
    responder.reply(reload_result(location, previous, started));
    return;
  }
  std::string name = location.name();
  call.daemon.supervision.wait(
      name, settled_running, timeout,
      [responder, name, previous, started, timeout](const ControlledLocation* done) {
        if (!done) {
          responder.fail(wait_timed_out(name, timeout));
        } else {
          responder.reply(reload_result(*done, previous, started));
        }
      });
}

void location_call(const json& params, ControlCall& call, ipc::Responder responder) {
  auto held = require_location(params, call.daemon);
  ControlledLocation& location = *held;
  std::string method = ipc::require_string(params, "method");
  const json* call_params = ipc::find_param(params, "params");
  milliseconds timeout(
      ipc::optional_non_negative_int(params, "timeout").value_or(kDefaultCallTimeoutMs));
  location.call(method, call_params ? *call_params : json::object(), timeout,
                [responder](ipc::RpcReply reply) {
                  if (reply.ok()) {
                    responder.reply_raw(reply.raw_result());
                  } else {
                    responder.fail(reply.error());
                  }
                });
}

json workspace_reload(const ControlContext& context) {
  WorkspaceReload reload = context.supervision.reload_workspace();
  if (!reload.diff) {
    throw ipc::RpcError(ipc::error_code::kWorkspaceInvalid,
                        "the workspace has errors; nothing was changed",
                        {{"errors", reload.errors}});
  }
  return diff_json(*reload.diff);
}

json events_subscribe(const json& params, ControlCall& call) {
  std::set<std::string> topics = kDefaultEventTopics;
  if (auto given = ipc::optional_string_list(params, "topics")) {
    topics.clear();
    for (const auto& topic : *given) {
      if (!kEventTopics.count(topic)) {
        throw ipc::RpcError::invalid_params(
            "parameter 'topics': unknown topic '" + topic +
                "' (topics are state, definitions, reload, workspace, logs)",
            {{"parameter", "topics"}});
      }
      topics.insert(topic);
    }
  }
  if (!call.subscriber) throw ipc::RpcError::internal_error("this connection cannot subscribe");
  call.subscriber->subscribe(topics);
  return {{"topics", topics}};
}

// daemon.info's log_error: null, or why lines of the daemon's log are being lost.
json log_error() {
  auto failure = log_write_failure();
  if (!failure) return nullptr;
  return {{"message", "the log cannot be written: " + failure->error},
          {"lines_lost", failure->lines_lost}};
}

}  // namespace

json daemon_info(const ControlContext& context) {
  json files = json::array();
  for (const auto& file : context.supervision.workspace_files())
    files.push_back(file.string());
  json info = {{"name", "codeloc"},
               {"version", codeloc_version()},
               {"protocol_version", ipc::kControlProtocolVersion},
               {"pid", ::getpid()},
               {"started_at", iso8601(context.started_at)},
               {"workspace_files", files},
               {"socket", context.socket.string()},
               {"locations", context.supervision.locations().size()},
               {"log_error", log_error()},
               {"fork_servers", json::array()},
               {"dagster_ui", nullptr}};
  for (const HelperProcesses* helpers : context.supervision.helpers())
    info[helpers->info_key()] = helpers->info();
  return info;
}

json locations_list(const ControlContext& context) {
  json list = json::array();
  for (const auto& location : context.supervision.locations()) {
    list.push_back(location->status_json());
  }
  return {{"locations", list}};
}

json location_get(const json& params, const ControlContext& context) {
  return require_location(params, context)->status_json();
}

ipc::MethodResult location_definitions(const json& params, const ControlContext& context) {
  auto held = require_location(params, context);
  const ControlledLocation& location = *held;
  std::optional<std::string> if_version = ipc::optional_string(params, "if_version");
  const auto& snapshot = location.snapshot();
  if (!snapshot) {
    std::string why = location.error() ? ": " + location.error()->message : "";
    throw ipc::RpcError(ipc::error_code::kNotLoaded,
                        "location '" + location.name() + "' has no definitions (" +
                            state_name(location.state()) + why + ")",
                        {{"name", location.name()}, {"state", state_name(location.state())}});
  }
  bool stale = location.state() != LocationState::kLoaded;
  if (if_version && *if_version == snapshot->version) {
    return json{{"name", location.name()},
                {"version", snapshot->version},
                {"stale", stale},
                {"not_modified", true}};
  }
  // Splice the snapshot in as received, {...head..., "definitions": <bytes>}, without copying it:
  // every answer queued for a client points at the location's one copy. The head is written
  // directly, in the members' order of a dumped json object (name, not_modified, stale, version):
  // it is the per-request cost left on this path.
  std::string text;
  text.reserve(96 + location.name().size() + snapshot->version.size());
  text += "{\"name\":";
  text += json_string(location.name());
  text += ",\"not_modified\":false,\"stale\":";
  text += stale ? "true" : "false";
  text += ",\"version\":";
  text += json_string(snapshot->version);
  text += ",\"definitions\":";
  return ipc::MethodResult::spliced(
      std::move(text), std::shared_ptr<const std::string>(snapshot, &snapshot->bytes), "}");
}

json log_line_json(const LogLine& line) {
  return {{"seq", line.seq}, {"time", iso8601(line.time)}, {"stream", stream_name(line.stream)},
          {"pid", line.pid}, {"text", line.text},          {"truncated", line.truncated}};
}

json location_logs(const json& params, const ControlContext& context) {
  auto held = require_location(params, context);
  const ControlledLocation& location = *held;
  auto lines = ipc::optional_non_negative_int(params, "lines").value_or(kDefaultLogLines);
  json out = json::array();
  for (const LogLine& line : location.logs().tail(static_cast<std::size_t>(lines))) {
    out.push_back(log_line_json(line));
  }
  return {{"name", location.name()}, {"lines", out}};
}

void register_control_methods(ipc::MethodTable<ControlCall>& table) {
  namespace m = ipc::method;
  table.add(m::kDaemonInfo,
            [](const json&, ControlCall& call) { return daemon_info(call.daemon); });
  table.add(m::kLocationsList,
            [](const json&, ControlCall& call) { return locations_list(call.daemon); });
  table.add(m::kLocationGet, [](const json& params, ControlCall& call) {
    return location_get(params, call.daemon);
  });
  table.add(m::kLocationDefinitions, [](const json& params, ControlCall& call) {
    return location_definitions(params, call.daemon);
  });
  table.add(m::kLocationLogs, [](const json& params, ControlCall& call) {
    return location_logs(params, call.daemon);
  });
  table.add(m::kWorkspaceReload,
            [](const json&, ControlCall& call) { return workspace_reload(call.daemon); });
  table.add(m::kEventsSubscribe, events_subscribe);
  table.add_async(m::kLocationReload, location_reload);
  table.add_async(m::kLocationCall, location_call);
  table.add_async(m::kLocationStart, [](const json& params, ControlCall& call, ipc::Responder r) {
    act_and_answer(params, call, std::move(r), &ControlledLocation::start, settled_running);
  });
  table.add_async(m::kLocationStop, [](const json& params, ControlCall& call, ipc::Responder r) {
    act_and_answer(params, call, std::move(r), &ControlledLocation::stop, settled_stopped);
  });
  table.add_async(m::kLocationRestart, [](const json& params, ControlCall& call, ipc::Responder r) {
    act_and_answer(params, call, std::move(r), &ControlledLocation::restart, settled_running);
  });
}

}  // namespace codeloc::daemon
