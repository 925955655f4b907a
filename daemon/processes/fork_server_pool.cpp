#include "daemon/processes/fork_server_pool.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/asio/post.hpp>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

extern char** environ;

namespace codeloc::daemon {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

const char* state_text(int state) {
  static const char* const kNames[] = {"starting", "ready", "backoff", "disabled"};
  return kNames[state];
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : separator) + item;
  return out;
}

}  // namespace

struct ForkServerPool::Server {
  explicit Server(boost::asio::io_context& io, std::string python_path)
      : python(std::move(python_path)), timer(io) {}

  std::string python;  // the interpreter's path: the key
  State state = State::kStarting;
  pid_t pid = -1;
  std::unique_ptr<ForkClient> client;  // its socket, while it runs
  std::shared_ptr<OutputPump> out;
  std::shared_ptr<OutputPump> err;
  boost::asio::steady_timer timer;  // ready timeout, or the restart after a backoff
  steady_clock::time_point started_at;
  json ready;                                // the fork server's ready message
  std::unique_ptr<SitePackagesWatch> watch;  // while ready
  std::uint64_t forks = 0;
  std::uint64_t starts = 0;  // also the generation of client: answers of an older one are stale
  int failures = 0;          // in a row, for the backoff
  std::string error;         // why it is in backoff or disabled
  std::vector<std::function<void()>> waiters;  // launches waiting for this warm-up
};

ForkServerPool::ForkServerPool(boost::asio::io_context& io, ProcessLauncher& cold,
                               ForkServerOptions options)
    : io_(io),
      cold_(cold),
      options_(std::move(options)),
      server_env_(fork_server_environment(environ)) {}

ForkServerPool::~ForkServerPool() {
  kill_all_now();
}

LaunchResult ForkServerPool::cold(const LaunchSpec& spec, std::string reason) {
  LaunchResult result = cold_.launch(spec);
  result.cold_reason = std::move(reason);
  return result;
}

LaunchResult ForkServerPool::launch_cold(const LaunchSpec& spec, const Route& route) {
  return route.cold_reason.empty() ? cold_.launch(spec) : cold(spec, route.cold_reason);
}

FileWatcher& ForkServerPool::watcher() {
  if (!watcher_) {
    watcher_ =
        std::make_unique<FileWatcher>(io_, options_.inotify ? *options_.inotify : system_inotify(),
                                      [](const std::string& label, const std::string& message) {
                                        spdlog::warn("{}: {}", label, message);
                                      });
  }
  return *watcher_;
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

ForkServerPool::Route ForkServerPool::route(const LaunchSpec& spec) {
  std::string python = warm_interpreter(spec);
  if (python.empty()) return {};
  if (stopping_) return {nullptr, "the daemon is stopping"};
  // Before server_for: a location that cannot be forked starts no fork server.
  if (std::string name = startup_variable_difference(spec.env, server_env_); !name.empty()) {
    return {nullptr, "the location's " + name + " differs from the warm interpreter's"};
  }
  Server& server = server_for(python);
  switch (server.state) {
    case State::kStarting:
      return {nullptr, "the fork server is starting"};
    case State::kBackoff:
      return {nullptr, "the fork server is restarting after: " + server.error};
    case State::kDisabled:
      return {nullptr, "warm starts are off for this interpreter: " + server.error};
    case State::kReady:
      break;
  }
  if (server.watch) {
    if (std::string folder = server.watch->changed_folder(); !folder.empty()) {
      recycle(server, folder + " changed");
      return {nullptr, "the fork server is being recycled: its environment changed"};
    }
  }
  return {&server, {}};
}

ForkRequest ForkServerPool::fork_request(const LaunchSpec& spec) {
  return {std::vector<std::string>(spec.argv.begin() + 1, spec.argv.end()), spec.env,
          spec.working_directory.string(), spec.channel_fd};
}

LaunchResult ForkServerPool::launch(const LaunchSpec& spec) {
  Route route = this->route(spec);
  if (!route.server) return launch_cold(spec, route);
  Server& server = *route.server;
  if (!server.client->idle()) return cold(spec, "the fork server is busy with another launch");
  return finish(server, server.starts, spec, server.client->fork_now(fork_request(spec)));
}

void ForkServerPool::launch_async(const LaunchSpec& spec, std::function<void(LaunchResult)> done) {
  Route route = this->route(spec);
  if (!route.server) {
    done(launch_cold(spec, route));
    return;
  }
  Server& server = *route.server;
  server.client->fork(fork_request(spec),
                      [this, alive = std::weak_ptr<int>(alive_), &server,
                       generation = server.starts, spec, done](ForkAnswer answer) mutable {
                        if (alive.expired()) return;
                        if (answer.kind == ForkAnswer::Kind::kClosed) {
                          // Its fork server went away before answering (it failed or was recycled,
                          // or the daemon is stopping): the launch is decided again, cold or from
                          // the new one.
                          launch_async(spec, std::move(done));
                          return;
                        }
                        done(finish(server, generation, spec, std::move(answer)));
                      });
}

LaunchResult ForkServerPool::finish(Server& server, std::uint64_t generation,
                                    const LaunchSpec& spec, ForkAnswer answer) {
  bool current = server.client && server.starts == generation;
  if (answer.kind == ForkAnswer::Kind::kForked) {
    LaunchResult result;
    result.child.pid = answer.pid;
    result.child.stdout_fd = std::move(answer.stdout_fd);
    result.child.stderr_fd = std::move(answer.stderr_fd);
    result.warm = true;
    ++server.forks;
    if (current) server.failures = 0;
    return result;
  }
  if (current) {
    if (answer.unsafe) {
      disable(server, answer.error);
    } else {
      fail(server, answer.error);
    }
  }
  return cold(spec, "the fork failed: " + answer.error);
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
  server.client = std::make_unique<ForkClient>(io_, std::move(ours), options_.request_timeout);
  spdlog::info("fork server for {} starting (pid {}), preloading {}", server.python, server.pid,
               options_.preload.empty() ? "nothing" : join(options_.preload, ", "));
  server.timer.expires_after(options_.ready_timeout);
  server.timer.async_wait([this, alive = std::weak_ptr<int>(alive_), &server,
                           pid = server.pid](const boost::system::error_code& ec) {
    if (ec || alive.expired() || server.pid != pid || server.state != State::kStarting) return;
    fail(server, "not ready after " + std::to_string(options_.ready_timeout.count() / 1000) + " s");
  });
  server.client->wait_ready([this, alive = std::weak_ptr<int>(alive_), &server,
                             generation = server.starts](const ForkReady& ready) {
    if (alive.expired() || server.starts != generation || !server.client ||
        server.state != State::kStarting) {
      return;
    }
    if (!ready.error.empty()) {
      fail(server, ready.error);
    } else {
      on_ready(server, ready.message);
    }
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
  server.watch.reset();
  std::vector<std::filesystem::path> folders;
  if (server.ready.contains("site_packages") && server.ready["site_packages"].is_array()) {
    for (const auto& folder : server.ready["site_packages"])
      if (folder.is_string()) folders.emplace_back(folder.get<std::string>());
  }
  if (folders.empty()) return;
  std::vector<std::string> names;
  for (const auto& folder : folders)
    names.push_back(folder.string());
  server.watch = std::make_unique<SitePackagesWatch>(
      watcher(), "fork server " + server.python, std::move(folders), options_.recycle_quiet,
      [this, &server, names = join(names, ", ")] {
        if (stopping_) return;
        recycle(server, "its environment changed (" + names + ")");
      });
}

void ForkServerPool::retire(Server& server) {
  server.timer.cancel();
  server.watch.reset();
  if (server.client) {
    // Its pending launches are decided again (posted); end of file: the fork server exits.
    server.client->close("the fork server was stopped");
    server.client.reset();
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
  server.timer.async_wait(
      [this, alive = std::weak_ptr<int>(alive_), &server](const boost::system::error_code& ec) {
        if (ec || alive.expired() || stopping_ || server.state != State::kBackoff) return;
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
