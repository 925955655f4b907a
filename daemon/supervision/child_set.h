// The children of one location (daemon/supervision/location.h): the current one, the candidate of
// a running reload, and the retired ones (replaced or discarded, still stopping or draining their
// Dagster runs) that stay until their exit is reaped and their processes are gone. Ownership and
// lookup only: what is sent to them is the Location's business.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <sys/types.h>

#include "daemon/logs/output_pump.h"
#include "daemon/supervision/code_server_session.h"

namespace codeloc::daemon {

// One started child and what hangs off it.
struct LocationChild {
  std::uint64_t id = 0;
  pid_t pid = -1;
  std::string token;        // CODELOC_INSTANCE
  bool waiting = false;     // no process yet: its start waits for a fork server or for its launch
  bool launching = false;   // ProcessLauncher::launch_async's result has not come yet
  bool warm = false;        // forked from a warm interpreter (ForkServerPool)
  std::string cold_reason;  // a warm start was wanted but this one is cold: why
  // Python kinds with Dagster gRPC: this generation's private socket, removed with the child.
  std::filesystem::path grpc_socket;
  bool draining = false;  // retired while serving Dagster gRPC: finishing its runs
  bool exited = false;
  bool reported_gone = false;
  std::shared_ptr<CodeServerSession> session;
  std::shared_ptr<OutputPump> out;
  std::shared_ptr<OutputPump> err;
  // Retired children only: SIGKILL after the stop timeout (draining: the stop after the drain
  // timeout).
  std::unique_ptr<boost::asio::steady_timer> kill_timer;

  LocationChild() = default;
  LocationChild(const LocationChild&) = delete;
  LocationChild& operator=(const LocationChild&) = delete;
  ~LocationChild();  // unlinks grpc_socket
  // Closes the session and the output pumps (their callbacks run no more).
  void close();
};

class ChildSet {
 public:
  enum class Role { kNone, kCurrent, kCandidate, kRetired };

  // A new child with the next id (1, 2, ...), not yet in the set.
  std::unique_ptr<LocationChild> make();

  LocationChild* current() const { return current_.get(); }
  LocationChild* candidate() const { return candidate_.get(); }
  const std::vector<std::unique_ptr<LocationChild>>& retired() const { return retired_; }
  bool is_current(std::uint64_t id) const { return current_ && current_->id == id; }
  bool is_candidate(std::uint64_t id) const { return candidate_ && candidate_->id == id; }
  Role role_of(const LocationChild* child) const;

  // The current or candidate child with this id; nullptr when it is neither.
  LocationChild* find_active(std::uint64_t id) const;
  // A retired child with this id; nullptr when there is none.
  LocationChild* find_retired(std::uint64_t id) const;
  // Whichever child has this pid (a pid is only ever one child's: pids are not reused while the
  // daemon has not reaped them).
  LocationChild* find_pid(pid_t pid, Role* role) const;

  // REQUIRES: no current child (take_current it first).
  void set_current(std::unique_ptr<LocationChild> child);
  // REQUIRES: no candidate.
  void set_candidate(std::unique_ptr<LocationChild> child);
  std::unique_ptr<LocationChild> take_current() { return std::move(current_); }
  std::unique_ptr<LocationChild> take_candidate() { return std::move(candidate_); }
  // The candidate becomes the current child; returns the previous current one (or nullptr).
  std::unique_ptr<LocationChild> promote();

  void add_retired(std::unique_ptr<LocationChild> child);
  // Forgets the retired children for which `gone` is true.
  void drop_retired(const std::function<bool(const LocationChild&)>& gone);
  // The pids of retired children still finishing their Dagster runs (status "draining").
  std::vector<pid_t> draining() const;

  // Every child: current, candidate, then the retired ones.
  void for_each(const std::function<void(LocationChild&)>& action) const;
  bool all_of(const std::function<bool(const LocationChild&)>& pred) const;

 private:
  std::unique_ptr<LocationChild> current_;
  std::unique_ptr<LocationChild> candidate_;
  std::vector<std::unique_ptr<LocationChild>> retired_;
  std::uint64_t next_id_ = 1;
};

}  // namespace codeloc::daemon
