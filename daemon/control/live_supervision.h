// The daemon's SupervisionApi: the control methods' view of its Supervisor, the waiters of
// wait: true requests, and the workspace files workspace.reload reads again.
#pragma once

#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "daemon/control/control_context.h"
#include "daemon/supervision/location_waiters.h"
#include "daemon/supervision/supervisor.h"

namespace codeloc::daemon {

class LiveSupervision final : public SupervisionApi {
 public:
  // REQUIRES: io and supervisor outlive this object. Registers its waiters as the supervisor's
  // listener.
  LiveSupervision(boost::asio::io_context& io, Supervisor& supervisor,
                  std::vector<std::string> workspace_files);
  LiveSupervision(const LiveSupervision&) = delete;
  LiveSupervision& operator=(const LiveSupervision&) = delete;

  std::vector<std::unique_ptr<const ControlledLocation>> locations() const override;
  std::unique_ptr<ControlledLocation> find(const std::string& name) override;
  std::vector<std::filesystem::path> workspace_files() const override;
  std::vector<const HelperProcesses*> helpers() const override;
  void wait(const std::string& name, Settled settled, std::chrono::milliseconds timeout,
            Done done) override;
  WorkspaceReload reload_workspace() override;

 private:
  Supervisor& supervisor_;
  LocationWaiters waiters_;
  std::vector<std::string> files_;  // -w, as given
};

}  // namespace codeloc::daemon
