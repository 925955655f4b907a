// What the control methods (daemon/control/control_methods.h) may read and act on, behind
// interfaces: the daemon adapts its Supervisor (daemon/control/live_supervision.h), the unit tests
// use fakes (tests/daemon/control/control_methods_test.cpp). STYLE.md point 7.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/common/clock.h"
#include "daemon/logs/log_ring.h"
#include "daemon/processes/helper_processes.h"
#include "daemon/supervision/location_state.h"
#include "daemon/supervision/snapshot.h"
#include "daemon/supervision/workspace_reload.h"
#include "ipc/rpc_reply.h"

namespace codeloc::daemon {

// One location as the control methods see it. A view: valid only during the call that handed it
// out (never kept across an asynchronous wait).
class ControlledLocation {
 public:
  virtual ~ControlledLocation() = default;

  virtual const std::string& name() const = 0;
  virtual LocationState state() const = 0;
  // A reload waits behind the running load (LocationMachine::reload_queued).
  virtual bool reload_queued() const = 0;
  virtual const std::shared_ptr<const Snapshot>& snapshot() const = 0;
  virtual const std::optional<LocationError>& error() const = 0;
  virtual const LogRing& logs() const = 0;
  // The locations.list entry (docs/protocol.md).
  virtual nlohmann::json status_json() const = 0;

  virtual void start() = 0;
  virtual void stop() = 0;
  virtual void restart() = 0;
  // A reload asked for by a client (location.reload): also starts a STOPPED location.
  virtual void request_reload(std::string cause) = 0;
  // Relays a call to the running code server; done gets -32012 when there is none.
  virtual void call(const std::string& method, const nlohmann::json& params,
                    std::chrono::milliseconds timeout, std::function<void(ipc::RpcReply)> done) = 0;
};

// The supervision the control methods act on.
class SupervisionApi {
 public:
  // When a waited-for location counts as settled.
  using Settled = std::function<bool(const ControlledLocation&)>;
  // Called once: with the location when `settled` holds, with nullptr at the deadline or when the
  // location leaves the workspace. The view is valid during the call only.
  using Done = std::function<void(const ControlledLocation*)>;

  virtual ~SupervisionApi() = default;

  // The locations in workspace order, to read.
  virtual std::vector<std::unique_ptr<const ControlledLocation>> locations() const = 0;
  // nullptr when no location has that name.
  virtual std::unique_ptr<ControlledLocation> find(const std::string& name) = 0;
  // The files the applied workspace was read from.
  virtual std::vector<std::filesystem::path> workspace_files() const = 0;
  // Processes beside the locations (fork servers, Dagster's UI), for daemon.info.
  virtual std::vector<const HelperProcesses*> helpers() const = 0;
  // Checks `settled` at once, then on every state change of `name`, until `timeout`.
  virtual void wait(const std::string& name, Settled settled, std::chrono::milliseconds timeout,
                    Done done) = 0;
  // Reads the workspace files again and applies them when they are valid (workspace_reload.h).
  virtual WorkspaceReload reload_workspace() = 0;
};

// The daemon state handlers may read and act on. REQUIRES: everything referenced outlives the
// method table.
struct ControlContext {
  SupervisionApi& supervision;
  const Clock& clock;
  std::filesystem::path socket;
  std::chrono::system_clock::time_point started_at;
};

}  // namespace codeloc::daemon
