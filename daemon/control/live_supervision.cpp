#include "daemon/control/live_supervision.h"

#include "daemon/control/location_status.h"

namespace codeloc::daemon {
namespace {

// A Location seen through ControlledLocation. Built from a const Location (a waiter's answer), it
// is handed out as const only, so that the actions, which need the mutable one, are never reached.
class LiveLocation final : public ControlledLocation {
 public:
  explicit LiveLocation(Location& location) : view_(location), act_(&location) {}
  explicit LiveLocation(const Location& location) : view_(location) {}

  const std::string& name() const override { return view_.name(); }
  LocationState state() const override { return view_.state(); }
  bool reload_queued() const override { return view_.machine().reload_queued(); }
  const std::shared_ptr<const Snapshot>& snapshot() const override { return view_.snapshot(); }
  const std::optional<LocationError>& error() const override { return view_.error(); }
  const LogRing& logs() const override { return view_.logs(); }
  nlohmann::json status_json() const override { return location_status_json(view_); }

  void start() override { act_->start(); }
  void stop() override { act_->stop(); }
  void restart() override { act_->restart(); }
  void request_reload(std::string cause) override {
    act_->reload(Location::ReloadTrigger::kRequest, std::move(cause));
  }
  void call(const std::string& method, const nlohmann::json& params,
            std::chrono::milliseconds timeout, std::function<void(ipc::RpcReply)> done) override {
    act_->call(method, params, timeout, std::move(done));
  }

 private:
  const Location& view_;
  Location* act_ = nullptr;
};

}  // namespace

LiveSupervision::LiveSupervision(boost::asio::io_context& io, Supervisor& supervisor,
                                 std::vector<std::string> workspace_files)
    : supervisor_(supervisor), waiters_(io, supervisor), files_(std::move(workspace_files)) {
  supervisor_.add_listener(&waiters_);
}

std::vector<std::unique_ptr<const ControlledLocation>> LiveSupervision::locations() const {
  std::vector<std::unique_ptr<const ControlledLocation>> out;
  for (const Location* location : supervisor_.locations())
    out.push_back(std::make_unique<const LiveLocation>(*location));
  return out;
}

std::unique_ptr<ControlledLocation> LiveSupervision::find(const std::string& name) {
  Location* location = supervisor_.find(name);
  if (!location) return nullptr;
  return std::make_unique<LiveLocation>(*location);
}

std::vector<std::filesystem::path> LiveSupervision::workspace_files() const {
  return supervisor_.workspace().files;
}

std::vector<const HelperProcesses*> LiveSupervision::helpers() const {
  return supervisor_.helpers();
}

void LiveSupervision::wait(const std::string& name, Settled settled,
                           std::chrono::milliseconds timeout, Done done) {
  waiters_.wait(
      name,
      [settled = std::move(settled)](const Location& location) {
        return settled(LiveLocation(location));
      },
      timeout,
      [done = std::move(done)](const Location* location) {
        if (!location) {
          done(nullptr);
          return;
        }
        const LiveLocation view(*location);
        done(&view);
      });
}

WorkspaceReload LiveSupervision::reload_workspace() {
  return daemon::reload_workspace(supervisor_, files_);
}

}  // namespace codeloc::daemon
