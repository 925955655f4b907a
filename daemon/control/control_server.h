// The control socket: a Unix stream socket where clients send JSON-RPC requests
// (docs/protocol.md, "Control protocol v1"). It owns the listening socket and the connections;
// the methods live in daemon/control/control_methods.h.
//
// Socket safety: the socket file is created with the configured mode (default 0600); a stale
// socket file that nobody answers on is replaced; if a daemon answers, open() fails with a clear
// error; a path that exists and is not a socket is never removed. Each connection's peer is checked
// with SO_PEERCRED: the daemon's own user, root, or a member of the configured group.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <sys/types.h>

#include "config/settings.h"
#include "daemon/control/control_methods.h"
#include "daemon/supervision/supervisor.h"
#include "ipc/method_table.h"
#include "ipc/protocol.h"

namespace codeloc::daemon {

// Who may use the socket: pure, so the rule is unit-tested without a second uid.
struct PeerPolicy {
  uid_t owner = 0;
  std::optional<gid_t> group;  // members of this group are allowed too
  // True for the owner, root, and (when group is set) a peer whose primary gid is the group or
  // whose supplementary groups (looked up by uid) contain it.
  bool allows(uid_t uid, gid_t gid, const std::vector<gid_t>& supplementary) const;
};

// Also the source of event notifications: it listens to the supervisor and sends each event to
// the connections subscribed to its topic.
class ControlServer final : private SupervisorListener {
 public:
  // Bound on each connection's queued output: a client that reads nothing is disconnected there.
  static constexpr std::size_t kMaxQueuedBytes = ipc::kDefaultMaxQueuedBytes;

  // REQUIRES: io, settings, supervisor, supervision and clock outlive the server. The methods act
  // on `supervision` (the daemon's: a LiveSupervision over `supervisor`); the server registers
  // itself as the supervisor's listener for the events.
  ControlServer(boost::asio::io_context& io, const config::Settings& settings,
                Supervisor& supervisor, SupervisionApi& supervision, const Clock& clock);
  ~ControlServer();

  // Creates the socket and starts accepting. False with *error set when it cannot.
  bool open(std::string* error);
  // Stops accepting, closes every connection and removes the socket file.
  void close();

 private:
  class Connection;

  void accept();
  void accept_failed(const boost::system::error_code& ec);
  void on_accepted(boost::asio::local::stream_protocol::socket socket);
  // Sends one notification to every connection subscribed to `topic`.
  void publish(const std::string& topic, const std::string& method, nlohmann::json params);

  void state_changed(const Location& location, LocationState from, LocationState to) override;
  void definitions_changed(const Location& location, const std::string& old_version) override;
  void reloaded(const Location& location, const ReloadReport& report) override;
  void output(const Location& location, const LogLine& line) override;
  void workspace_applied(const workspace::WorkspaceDiff& diff) override;

  boost::asio::io_context& io_;
  const config::Settings& settings_;
  ControlContext context_;
  ipc::MethodTable<ControlCall> methods_;
  PeerPolicy peers_;
  std::optional<boost::asio::local::stream_protocol::acceptor> acceptor_;
  // accept() failed (out of descriptors): retried after kAcceptRetry, logged once per episode.
  static constexpr std::chrono::milliseconds kAcceptRetry{100};
  boost::asio::steady_timer accept_retry_;
  bool accept_failing_ = false;
  void forget(const Connection* connection);

  std::vector<std::shared_ptr<Connection>> connections_;
  bool socket_created_ = false;
};

}  // namespace codeloc::daemon
