#include "daemon/control/control_server.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <grp.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/common/time_format.h"
#include "daemon/control/location_status.h"
#include "daemon/supervision/workspace_reload.h"
#include "ipc/channel_error.h"
#include "ipc/json_rpc.h"
#include "ipc/line_channel.h"
#include "ipc/protocol.h"

namespace codeloc::daemon {
namespace {

namespace fs = std::filesystem;
using Socket = boost::asio::local::stream_protocol::socket;

std::optional<gid_t> lookup_group(const std::string& name) {
  char* end = nullptr;
  long number = std::strtol(name.c_str(), &end, 10);
  if (!name.empty() && *end == '\0') return static_cast<gid_t>(number);
  if (const group* entry = ::getgrnam(name.c_str())) return entry->gr_gid;
  return std::nullopt;
}

std::vector<gid_t> supplementary_groups(uid_t uid, gid_t gid) {
  const passwd* user = ::getpwuid(uid);
  if (!user) return {};
  int count = 64;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  if (::getgrouplist(user->pw_name, gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<std::size_t>(count));
    if (::getgrouplist(user->pw_name, gid, groups.data(), &count) < 0) return {};
  }
  groups.resize(static_cast<std::size_t>(count));
  return groups;
}

// True when something accepts connections at `path`.
bool someone_answers(const fs::path& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  bool answered = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return answered;
}

}  // namespace

bool PeerPolicy::allows(uid_t uid, gid_t gid, const std::vector<gid_t>& supplementary) const {
  if (uid == 0 || uid == owner) return true;
  if (!group) return false;
  return gid == *group ||
         std::find(supplementary.begin(), supplementary.end(), *group) != supplementary.end();
}

// One client connection: reads frames, dispatches them, writes the answers.
class ControlServer::Connection : public std::enable_shared_from_this<Connection>,
                                  public EventSubscriber {
 public:
  Connection(std::shared_ptr<ipc::LineChannel> channel, ControlServer& server)
      : channel_(std::move(channel)), server_(server) {}

  void start() {
    ipc::LineChannel::Handlers handlers;
    std::weak_ptr<Connection> weak = weak_from_this();
    handlers.on_frame = [weak](std::string_view frame) {
      if (auto self = weak.lock()) self->on_frame(frame);
    };
    handlers.on_too_large = [weak] {
      if (auto self = weak.lock()) {
        self->channel_->send(ipc::make_error(
            nullptr, ipc::error_code::kMessageTooLarge,
            "request over the size limit of " +
                std::to_string(self->server_.settings_.max_request_bytes) + " bytes"));
      }
    };
    handlers.on_closed = [weak](const boost::system::error_code& error) {
      auto self = weak.lock();
      if (!self) return;
      if (error == ipc::ChannelErrc::kOutputQueueFull) {
        spdlog::warn(
            "control socket: disconnecting a client that does not read (over {} MiB "
            "of output queued)",
            kMaxQueuedBytes >> 20);
      }
      self->server_.forget(self.get());
    };
    channel_->start(std::move(handlers));
  }

  void close() { channel_->close(); }
  bool is_open() const { return channel_->is_open(); }

  void subscribe(std::set<std::string> topics) override { topics_ = std::move(topics); }
  bool subscribed(const std::string& topic) const { return topics_.count(topic) != 0; }
  void send(ipc::OutgoingLine line) { channel_->send(std::move(line)); }

 private:
  void on_frame(std::string_view frame) {
    std::weak_ptr<ipc::LineChannel> channel = channel_;
    ControlCall call{server_.context_, this};
    server_.methods_.dispatch(frame, call, [channel](ipc::OutgoingLine line) {
      if (auto open = channel.lock()) open->send(std::move(line));
    });
  }

  std::set<std::string> topics_;

  std::shared_ptr<ipc::LineChannel> channel_;
  ControlServer& server_;
};

ControlServer::ControlServer(boost::asio::io_context& io, const config::Settings& settings,
                             Supervisor& supervisor, SupervisionApi& supervision,
                             const Clock& clock)
    : io_(io),
      settings_(settings),
      context_{supervision, clock, settings.socket, clock.wall_now()},
      accept_retry_(io) {
  register_control_methods(methods_);
  peers_.owner = ::getuid();
  supervisor.add_listener(this);
}

ControlServer::~ControlServer() {
  close();
}

bool ControlServer::open(std::string* error) {
  const fs::path& path = settings_.socket;
  std::optional<gid_t> group;
  if (settings_.socket_group) {
    group = lookup_group(*settings_.socket_group);
    if (!group) {
      *error = "socket_group '" + *settings_.socket_group + "' is not a known group";
      return false;
    }
    peers_.group = group;
  }
  std::error_code ec;
  if (!fs::exists(path.parent_path(), ec)) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      *error = "cannot create " + path.parent_path().string() +
               " for the control socket: " + ec.message();
      return false;
    }
    ::chmod(path.parent_path().c_str(), group ? 0750 : 0700);
    if (group) ::chown(path.parent_path().c_str(), static_cast<uid_t>(-1), *group);
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      *error = path.string() + " exists and is not a socket; refusing to replace it";
      return false;
    }
    if (someone_answers(path)) {
      *error = "another codeloc daemon is already serving on " + path.string() +
               " (stop it first, or choose another --socket)";
      return false;
    }
    spdlog::info("replacing stale control socket {}", path.string());
    ::unlink(path.c_str());
  }

  boost::system::error_code bec;
  acceptor_.emplace(io_);
  acceptor_->open(boost::asio::local::stream_protocol(), bec);
  // Bind under a umask that leaves nobody else a window on the new socket before the chmod.
  mode_t old_mask = ::umask(0177);
  if (!bec) acceptor_->bind(boost::asio::local::stream_protocol::endpoint(path.string()), bec);
  ::umask(old_mask);
  if (!bec) acceptor_->listen(boost::asio::socket_base::max_listen_connections, bec);
  if (bec) {
    *error = "cannot listen on " + path.string() + ": " + bec.message();
    acceptor_.reset();
    return false;
  }
  socket_created_ = true;
  ::chmod(path.c_str(), settings_.socket_mode);
  if (group && ::chown(path.c_str(), static_cast<uid_t>(-1), *group) != 0) {
    spdlog::warn("cannot give {} to group {}: {}", path.string(), *settings_.socket_group,
                 std::strerror(errno));
  }
  accept();
  return true;
}

void ControlServer::close() {
  accept_retry_.cancel();
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();
  }
  for (auto& connection : connections_)
    connection->close();
  connections_.clear();
  if (socket_created_) {
    ::unlink(settings_.socket.c_str());
    socket_created_ = false;
  }
}

void ControlServer::forget(const Connection* connection) {
  auto it = std::find_if(connections_.begin(), connections_.end(),
                         [&](const auto& c) { return c.get() == connection; });
  if (it == connections_.end()) return;
  (*it)->close();
  // The channel may be inside its own callback: release our reference from the loop.
  boost::asio::post(io_, [keep = std::move(*it)] {});
  connections_.erase(it);
}

void ControlServer::accept() {
  acceptor_->async_accept([this](const boost::system::error_code& ec, Socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_) return;
    if (ec) {
      accept_failed(ec);
      return;
    }
    if (accept_failing_) {
      accept_failing_ = false;
      spdlog::info("control socket: accepting connections again ({} connected)",
                   connections_.size() + 1);
    }
    on_accepted(std::move(socket));
    accept();
  });
}

void ControlServer::accept_failed(const boost::system::error_code& ec) {
  // Out of descriptors (EMFILE, ENFILE) or memory: the connection stays in the listen backlog and
  // accepting again at once would fail again at once, a busy loop. Say so once, then try again
  // after a pause until it works; the connections already open are served meanwhile.
  if (!accept_failing_) {
    accept_failing_ = true;
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    spdlog::error(
        "control socket: cannot accept a connection: {} ({} clients connected, descriptor limit "
        "{}); trying again every {} ms, the connected clients are still served",
        ec.message(), connections_.size(), static_cast<unsigned long long>(limit.rlim_cur),
        kAcceptRetry.count());
  }
  accept_retry_.expires_after(kAcceptRetry);
  accept_retry_.async_wait([this](const boost::system::error_code& error) {
    if (!error && acceptor_) accept();
  });
}

void ControlServer::on_accepted(Socket socket) {
  ucred cred{};
  socklen_t length = sizeof cred;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0 ||
      !peers_.allows(cred.uid, cred.gid, supplementary_groups(cred.uid, cred.gid))) {
    spdlog::warn(
        "control socket: refused a connection from uid {} pid {} (not the owner, root or "
        "a member of the socket group)",
        cred.uid, cred.pid);
    std::string refusal = ipc::make_error(nullptr, ipc::error_code::kPermissionDenied,
                                          "permission denied: uid " + std::to_string(cred.uid) +
                                              " may not use this codeloc daemon") +
                          "\n";
    boost::system::error_code ignored;
    socket.non_blocking(true, ignored);
    boost::asio::write(socket, boost::asio::buffer(refusal), ignored);
    socket.close(ignored);
    return;
  }
  ipc::LineChannel::Options options;
  options.max_frame_bytes = settings_.max_request_bytes;
  options.max_queued_bytes = kMaxQueuedBytes;
  auto connection =
      std::make_shared<Connection>(ipc::LineChannel::create(std::move(socket), options), *this);
  connections_.push_back(connection);
  connection->start();
}

void ControlServer::publish(const std::string& topic, const std::string& method,
                            nlohmann::json params) {
  std::string line;
  for (const auto& connection : connections_) {
    if (!connection->subscribed(topic)) continue;
    if (line.empty()) line = ipc::make_notification(method, params);
    connection->send(line);
  }
}

void ControlServer::state_changed(const Location& location, LocationState from, LocationState to) {
  nlohmann::json status = location_status_json(location);
  publish("state", "event.state",
          {{"name", location.name()},
           {"from", state_name(from)},
           {"to", state_name(to)},
           {"pid", status["pid"]},
           {"error", status["error"]},
           {"at", iso8601(context_.clock.wall_now())}});
}

void ControlServer::definitions_changed(const Location& location, const std::string& old_version) {
  const auto& snapshot = location.snapshot();
  publish("definitions", "event.definitions",
          {{"name", location.name()},
           {"old_version", old_version.empty() ? nlohmann::json() : nlohmann::json(old_version)},
           {"new_version", snapshot ? nlohmann::json(snapshot->version) : nlohmann::json()},
           {"at", iso8601(context_.clock.wall_now())}});
}

void ControlServer::reloaded(const Location& location, const ReloadReport& report) {
  nlohmann::json params = reload_json(location.name(), report);
  params["at"] = iso8601(context_.clock.wall_now());
  publish("reload", "event.reloaded", std::move(params));
}

void ControlServer::output(const Location& location, const LogLine& line) {
  nlohmann::json params = log_line_json(line);
  params["name"] = location.name();
  publish("logs", "event.log", std::move(params));
}

void ControlServer::workspace_applied(const workspace::WorkspaceDiff& diff) {
  nlohmann::json params = diff_json(diff);
  params["at"] = iso8601(context_.clock.wall_now());
  publish("workspace", "event.workspace", std::move(params));
}

}  // namespace codeloc::daemon
