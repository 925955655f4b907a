#include "daemon/processes/fork_server_pool.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <boost/asio/post.hpp>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc/protocol.h"

extern char** environ;

namespace codeloc::daemon {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr std::size_t kMaxReply = 64 * 1024;

const char* state_text(int state) {
  static const char* const kNames[] = {"starting", "ready", "backoff", "disabled"};
  return kNames[state];
}

bool is_startup_variable(std::string_view name) {
  if (name == "PYTHONPATH" || name == "PYTHONUNBUFFERED" || name == "PYTHONDONTWRITEBYTECODE") {
    return false;
  }
  return name.rfind("PYTHON", 0) == 0 || name == "LD_PRELOAD" || name == "LD_LIBRARY_PATH";
}

std::map<std::string, std::string> startup_variables(const std::vector<std::string>& env) {
  std::map<std::string, std::string> found;
  for (const auto& entry : env) {
    std::size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    std::string name = entry.substr(0, eq);
    if (is_startup_variable(name)) found[name] = entry.substr(eq + 1);
  }
  return found;
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : separator) + item;
  return out;
}

// The folder's modification time, or 0 when it cannot be read.
std::int64_t modified_ns(const std::string& folder) {
  struct stat st {};
  if (::stat(folder.c_str(), &st) != 0) return 0;
  return std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// sendmsg of one packet with three descriptors; false with errno on failure.
bool send_with_fds(int socket, const std::string& data, const std::array<int, 3>& fds) {
  iovec io{const_cast<char*>(data.data()), data.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 3)] = {};
  msghdr message{};
  message.msg_iov = &io;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int) * 3);
  std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * 3);
  ssize_t sent;
  do {
    sent = ::sendmsg(socket, &message, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  return sent == static_cast<ssize_t>(data.size());
}

// Waits for `events` on `fd` until `deadline`; false on timeout (errno ETIMEDOUT) or error.
bool wait_for(int fd, short events, steady_clock::time_point deadline) {
  while (true) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now()).count();
    if (left <= 0) {
      errno = ETIMEDOUT;
      return false;
    }
    pollfd entry{fd, events, 0};
    int n = ::poll(&entry, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

}  // namespace

std::string startup_variable_difference(const std::vector<std::string>& location_env,
                                        const std::vector<std::string>& server_env) {
  auto mine = startup_variables(location_env);
  auto theirs = startup_variables(server_env);
  for (const auto& [name, value] : mine) {
    auto it = theirs.find(name);
    if (it == theirs.end() || it->second != value) return name;
  }
  for (const auto& [name, value] : theirs) {
    if (!mine.count(name)) return name;
  }
  return {};
}

struct ForkServerPool::Server {
  explicit Server(boost::asio::io_context& io, std::string python_path)
      : python(std::move(python_path)), timer(io), quiet_timer(io) {}

  std::string python;  // the interpreter's path: the key
  State state = State::kStarting;
  pid_t pid = -1;
  std::unique_ptr<boost::asio::posix::stream_descriptor> socket;  // SOCK_SEQPACKET, non-blocking
  std::shared_ptr<OutputPump> out;
  std::shared_ptr<OutputPump> err;
  boost::asio::steady_timer timer;  // ready timeout, or the restart after a backoff
  steady_clock::time_point started_at;
  json ready;  // the fork server's ready message
  std::vector<std::string> site_packages;
  std::vector<std::int64_t> fingerprint;  // site_packages' mtimes, when inotify is not watching
  std::unique_ptr<boost::asio::posix::stream_descriptor> inotify;
  boost::asio::steady_timer quiet_timer;  // recycle once site-packages stop changing
  std::uint64_t forks = 0;
  std::uint64_t starts = 0;
  int failures = 0;                            // in a row, for the backoff
  std::string error;                           // why it is in backoff or disabled
  std::vector<std::function<void()>> waiters;  // launches waiting for this warm-up
};

ForkServerPool::ForkServerPool(boost::asio::io_context& io, ProcessLauncher& cold,
                               ForkServerOptions options)
    : io_(io), cold_(cold), options_(std::move(options)) {
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    std::size_t eq = text.find('=');
    if (eq == std::string_view::npos || is_service_manager_variable(text.substr(0, eq))) continue;
    std::string_view name = text.substr(0, eq);
    if (name == "PYTHONUNBUFFERED" || name == ipc::kEnvChannelFd) continue;
    server_env_.emplace_back(text);
  }
  server_env_.push_back("PYTHONUNBUFFERED=1");
  server_env_.push_back(std::string(ipc::kEnvChannelFd) + "=" +
                        std::to_string(ipc::kChildChannelFd));
}

ForkServerPool::~ForkServerPool() {
  kill_all_now();
}

LaunchResult ForkServerPool::cold(const LaunchSpec& spec, std::string reason) {
  LaunchResult result = cold_.launch(spec);
  result.cold_reason = std::move(reason);
  return result;
}

std::string ForkServerPool::warm_interpreter(const LaunchSpec& spec) const {
  if (!spec.warm || spec.argv.size() < 2 || options_.code_server.empty()) return {};
  std::string python = resolve_launch_path(spec);
  std::error_code ec;
  if (!spec.working_directory.empty() &&
      !std::filesystem::is_directory(spec.working_directory, ec)) {
    return {};
  }
  return python;
}

bool ForkServerPool::wait_until_warm(const LaunchSpec& spec, std::function<void()> ready) {
  std::string python = warm_interpreter(spec);
  if (python.empty() || stopping_ || !startup_variable_difference(spec.env, server_env_).empty()) {
    return false;
  }
  Server& server = server_for(python);
  if (server.state != State::kStarting || server.failures > 0) return false;
  server.waiters.push_back(std::move(ready));
  return true;
}

void ForkServerPool::release_waiters(Server& server) {
  for (auto& ready : std::exchange(server.waiters, {}))
    boost::asio::post(io_, std::move(ready));
}

LaunchResult ForkServerPool::launch(const LaunchSpec& spec) {
  std::string python = warm_interpreter(spec);
  if (python.empty()) return cold_.launch(spec);
  if (stopping_) return cold(spec, "the daemon is stopping");
  // Before server_for: a location that cannot be forked starts no fork server.
  if (std::string name = startup_variable_difference(spec.env, server_env_); !name.empty()) {
    return cold(spec, "the location's " + name + " differs from the warm interpreter's");
  }
  Server& server = server_for(python);
  switch (server.state) {
    case State::kStarting:
      return cold(spec, "the fork server is starting");
    case State::kBackoff:
      return cold(spec, "the fork server is restarting after: " + server.error);
    case State::kDisabled:
      return cold(spec, "warm starts are off for this interpreter: " + server.error);
    case State::kReady:
      break;
  }
  for (std::size_t i = 0; i < server.fingerprint.size(); ++i) {
    if (modified_ns(server.site_packages[i]) != server.fingerprint[i]) {
      recycle(server, server.site_packages[i] + " changed");
      return cold(spec, "the fork server is being recycled: its environment changed");
    }
  }
  std::string error;
  bool unsafe = false;
  LaunchResult result = fork(server, spec, &error, &unsafe);
  if (result.warm) return result;
  if (unsafe) {
    disable(server, error);
  } else {
    fail(server, error);
  }
  return cold(spec, "the fork failed: " + error);
}

ForkServerPool::Server& ForkServerPool::server_for(const std::string& python) {
  auto it = servers_.find(python);
  if (it != servers_.end()) return *it->second;
  auto& server = servers_[python] = std::make_unique<Server>(io_, python);
  start(*server);
  return *server;
}

void ForkServerPool::start(Server& server) {
  server.state = State::kStarting;
  server.ready = json();
  server.started_at = steady_clock::now();
  ++server.starts;
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    fail(server, std::string("socketpair: ") + std::strerror(errno));
    return;
  }
  UniqueFd ours(pair[0]), theirs(pair[1]);
  LaunchSpec spec;
  spec.argv = {server.python, options_.code_server.string(), "--fork-server", "--preload",
               join(options_.preload, ",")};
  spec.env = server_env_;
  spec.channel_fd = theirs.get();
  LaunchResult result = cold_.launch(spec);
  if (result.kind != LaunchOutcome::Kind::kStarted) {
    fail(server, result.error);
    return;
  }
  server.pid = result.child.pid;
  const std::string label = "fork server " + server.python;
  auto pump = [&](UniqueFd fd) -> std::shared_ptr<OutputPump> {
    if (!fd) return nullptr;
    return OutputPump::start(
        io_, std::move(fd), options_.log_line_max_bytes,
        [label](std::string_view text, bool) { spdlog::info("{}: {}", label, text); });
  };
  server.out = pump(std::move(result.child.stdout_fd));
  server.err = pump(std::move(result.child.stderr_fd));
  ::fcntl(ours.get(), F_SETFL, O_NONBLOCK);
  server.socket = std::make_unique<boost::asio::posix::stream_descriptor>(io_, ours.release());
  spdlog::info("fork server for {} starting (pid {}), preloading {}", server.python, server.pid,
               options_.preload.empty() ? "nothing" : join(options_.preload, ", "));
  server.timer.expires_after(options_.ready_timeout);
  server.timer.async_wait([this, &server, pid = server.pid](const boost::system::error_code& ec) {
    if (ec || server.pid != pid || server.state != State::kStarting) return;
    fail(server, "not ready after " + std::to_string(options_.ready_timeout.count() / 1000) + " s");
  });
  wait_ready(server);
}

void ForkServerPool::wait_ready(Server& server) {
  server.socket->async_wait(
      boost::asio::posix::stream_descriptor::wait_read,
      [this, &server, pid = server.pid](const boost::system::error_code& ec) {
        if (ec || server.pid != pid || server.state != State::kStarting || !server.socket) return;
        std::string buffer(kMaxReply, '\0');
        ssize_t n = ::recv(server.socket->native_handle(), buffer.data(), buffer.size(), 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
          wait_ready(server);
          return;
        }
        if (n <= 0) {
          fail(server, "it closed its socket before it was ready");
          return;
        }
        buffer.resize(static_cast<std::size_t>(n));
        json message = json::parse(buffer, nullptr, /*allow_exceptions=*/false);
        if (!message.is_object() || !message.value("ready", false)) {
          fail(server, "it sent something other than its ready message: " + buffer.substr(0, 200));
          return;
        }
        on_ready(server, message);
      });
}

void ForkServerPool::on_ready(Server& server, const json& message) {
  server.timer.cancel();
  server.ready = message;
  auto elapsed = std::chrono::duration_cast<milliseconds>(steady_clock::now() - server.started_at);
  std::vector<std::string> preloaded;
  if (message.contains("preloaded") && message["preloaded"].is_array()) {
    for (const auto& name : message["preloaded"])
      if (name.is_string()) preloaded.push_back(name.get<std::string>());
  }
  int threads = message.value("threads", 1);
  if (threads != 1) {
    disable(server, "after preloading it has " + std::to_string(threads) +
                        " threads; forking a multi-threaded process is unsafe");
    return;
  }
  server.state = State::kReady;
  server.error.clear();
  release_waiters(server);
  spdlog::info("fork server for {} ready in {:.2f} s (pid {}, preloaded: {})", server.python,
               static_cast<double>(elapsed.count()) / 1000.0, server.pid,
               preloaded.empty() ? "nothing" : join(preloaded, ", "));
  if (message.contains("failed") && message["failed"].is_object()) {
    for (const auto& [name, why] : message["failed"].items()) {
      spdlog::warn("fork server for {}: could not preload {}: {}", server.python, name,
                   why.is_string() ? why.get<std::string>() : why.dump());
    }
  }
  watch_site_packages(server);
}

void ForkServerPool::watch_site_packages(Server& server) {
  server.quiet_timer.cancel();
  server.inotify.reset();
  server.site_packages.clear();
  server.fingerprint.clear();
  if (server.ready.contains("site_packages") && server.ready["site_packages"].is_array()) {
    for (const auto& folder : server.ready["site_packages"])
      if (folder.is_string()) server.site_packages.push_back(folder.get<std::string>());
  }
  if (server.site_packages.empty()) return;
  UniqueFd inotify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  bool watching = static_cast<bool>(inotify);
  for (const auto& folder : server.site_packages) {
    if (!watching) break;
    watching = ::inotify_add_watch(inotify.get(), folder.c_str(),
                                   IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                       IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF) >= 0;
  }
  if (!watching) {
    // No watch (inotify limits): a launch compares the folders' modification times instead.
    for (const auto& folder : server.site_packages)
      server.fingerprint.push_back(modified_ns(folder));
    return;
  }
  server.inotify = std::make_unique<boost::asio::posix::stream_descriptor>(io_, inotify.release());
  read_site_packages_events(server);
}

void ForkServerPool::read_site_packages_events(Server& server) {
  server.inotify->async_wait(
      boost::asio::posix::stream_descriptor::wait_read,
      [this, &server, watch = server.inotify.get()](const boost::system::error_code& ec) {
        if (ec || server.inotify.get() != watch) return;
        alignas(inotify_event) char buffer[16 * 1024];
        bool relevant = false;
        ssize_t n;
        while ((n = ::read(watch->native_handle(), buffer, sizeof buffer)) > 0) {
          for (char* at = buffer; at < buffer + n;) {
            auto* event = reinterpret_cast<inotify_event*>(at);
            std::string_view name = event->len ? std::string_view(event->name) : "";
            // Bytecode caches are written by imports, not by installers.
            if (name != "__pycache__") relevant = true;
            at += sizeof(inotify_event) + event->len;
          }
        }
        if (relevant) {
          server.quiet_timer.expires_after(options_.recycle_quiet);
          server.quiet_timer.async_wait([this, &server](const boost::system::error_code& e) {
            if (e || stopping_) return;
            recycle(server, "its environment changed (" + join(server.site_packages, ", ") + ")");
          });
        }
        read_site_packages_events(server);
      });
}

void ForkServerPool::retire(Server& server) {
  server.timer.cancel();
  if (server.socket) {
    server.socket->cancel();
    server.socket.reset();  // end of file: the fork server exits by itself
  }
  if (server.pid <= 0) return;
  pid_t pid = server.pid;
  server.pid = -1;
  ::kill(-pid, SIGTERM);
  ::kill(-pid, SIGCONT);
  Retired retired{pid, std::make_unique<boost::asio::steady_timer>(io_)};
  retired.kill_timer->expires_after(options_.stop_timeout);
  retired.kill_timer->async_wait([pid](const boost::system::error_code& ec) {
    if (!ec) ::kill(-pid, SIGKILL);
  });
  retired_.push_back(std::move(retired));
}

void ForkServerPool::fail(Server& server, const std::string& why) {
  retire(server);
  release_waiters(server);  // they start cold
  server.state = State::kBackoff;
  server.error = why;
  milliseconds delay = options_.backoff_initial;
  for (int i = 0; i < server.failures && delay < options_.backoff_max; ++i)
    delay *= 2;
  delay = std::min(delay, options_.backoff_max);
  ++server.failures;
  if (stopping_) return;
  spdlog::warn(
      "fork server for {}: {}; restarting it in {:.1f} s, its locations start cold meanwhile",
      server.python, why, static_cast<double>(delay.count()) / 1000.0);
  server.timer.expires_after(delay);
  server.timer.async_wait([this, &server](const boost::system::error_code& ec) {
    if (ec || stopping_ || server.state != State::kBackoff) return;
    start(server);
  });
}

void ForkServerPool::disable(Server& server, const std::string& why) {
  retire(server);
  release_waiters(server);
  server.state = State::kDisabled;
  server.error = why;
  spdlog::warn("fork server for {}: {}; its locations start cold until its environment changes",
               server.python, why);
}

void ForkServerPool::recycle(Server& server, const std::string& why) {
  spdlog::info("fork server for {}: {}; starting a new one", server.python, why);
  retire(server);
  server.failures = 0;
  start(server);
}

LaunchResult ForkServerPool::fork(Server& server, const LaunchSpec& spec, std::string* error,
                                  bool* unsafe) {
  LaunchResult result;
  auto failed = [&](std::string why) {
    *error = std::move(why);
    result.kind = LaunchOutcome::Kind::kTransientFail;
    return std::move(result);
  };
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return failed(std::string("pipe: ") + std::strerror(errno));
  UniqueFd out_read(out[0]), out_write(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) return failed(std::string("pipe: ") + std::strerror(errno));
  UniqueFd err_read(err[0]), err_write(err[1]);

  std::uint64_t id = next_request_++;
  json request = {{"id", id},
                  {"argv", std::vector<std::string>(spec.argv.begin() + 1, spec.argv.end())},
                  {"env", spec.env},
                  {"cwd", spec.working_directory.string()},
                  {"daemon", ::getpid()}};
  std::string data = request.dump(-1, ' ', false, json::error_handler_t::replace);
  int socket = server.socket->native_handle();
  auto deadline = steady_clock::now() + options_.request_timeout;
  if (!wait_for(socket, POLLOUT, deadline) ||
      !send_with_fds(socket, data, {spec.channel_fd, out_write.get(), err_write.get()})) {
    return failed(errno == ETIMEDOUT ? "it did not take the request within the timeout"
                                     : std::string("sending the request: ") + std::strerror(errno));
  }
  out_write.reset();
  err_write.reset();
  std::string buffer(kMaxReply, '\0');
  while (true) {
    if (!wait_for(socket, POLLIN, deadline)) {
      return failed(errno == ETIMEDOUT
                        ? "no answer within " + std::to_string(options_.request_timeout.count()) +
                              " ms"
                        : std::string("waiting for the answer: ") + std::strerror(errno));
    }
    ssize_t n = ::recv(socket, buffer.data(), buffer.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return failed(std::string("reading the answer: ") + std::strerror(errno));
    if (n == 0) return failed("it closed its socket");
    json reply = json::parse(buffer.begin(), buffer.begin() + n, nullptr, false);
    if (!reply.is_object()) return failed("a malformed answer");
    if (reply.value("id", std::uint64_t{0}) != id) continue;  // not this request's
    if (reply.contains("error")) {
      *unsafe = reply.value("unsafe", false);
      return failed(reply["error"].is_string() ? reply["error"].get<std::string>()
                                               : reply["error"].dump());
    }
    if (!reply.contains("pid") || !reply["pid"].is_number_integer() || reply["pid"] <= 0) {
      return failed("an answer without a pid");
    }
    result.child.pid = reply["pid"].get<pid_t>();
    break;
  }
  ::fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err_read.get(), F_SETFL, O_NONBLOCK);
  result.child.stdout_fd = std::move(out_read);
  result.child.stderr_fd = std::move(err_read);
  result.warm = true;
  ++server.forks;
  server.failures = 0;
  return result;
}

bool ForkServerPool::on_reaped(pid_t pid, ExitStatus status) {
  auto retired = std::find_if(retired_.begin(), retired_.end(),
                              [pid](const Retired& r) { return r.pid == pid; });
  if (retired != retired_.end()) {
    retired_.erase(retired);
    maybe_done();
    return true;
  }
  for (auto& [python, server] : servers_) {
    if (server->pid != pid) continue;
    server->pid = -1;  // reaped: nothing to signal any more
    fail(*server, "it exited (" + status.describe() + ")");
    maybe_done();
    return true;
  }
  return false;
}

void ForkServerPool::stop_all(std::function<void()> done) {
  stopping_ = true;
  on_stopped_ = std::move(done);
  for (auto& [python, server] : servers_) {
    server->quiet_timer.cancel();
    server->inotify.reset();
    retire(*server);
    release_waiters(*server);
  }
  maybe_done();
}

void ForkServerPool::maybe_done() {
  if (!stopping_ || !on_stopped_ || !retired_.empty()) return;
  for (const auto& [python, server] : servers_) {
    if (server->pid > 0) return;
  }
  boost::asio::post(io_, std::exchange(on_stopped_, nullptr));
}

void ForkServerPool::kill_all_now() {
  for (const auto& retired : retired_)
    ::kill(-retired.pid, SIGKILL);
  for (const auto& [python, server] : servers_) {
    if (server->pid > 0) ::kill(-server->pid, SIGKILL);
  }
}

json ForkServerPool::info() const {
  json list = json::array();
  for (const auto& [python, server] : servers_) {
    json preloaded =
        server->ready.is_object() ? server->ready.value("preloaded", json::array()) : json::array();
    list.push_back({{"python", python},
                    {"pid", server->pid > 0 ? json(server->pid) : json(nullptr)},
                    {"state", state_text(static_cast<int>(server->state))},
                    {"preloaded", preloaded},
                    {"forks", server->forks},
                    {"restarts", server->starts > 0 ? server->starts - 1 : 0},
                    {"error", server->error.empty() ? json(nullptr) : json(server->error)}});
  }
  return list;
}

}  // namespace codeloc::daemon
