#include "daemon/supervision/location.h"

#include <cerrno>
#include <cstring>
#include <functional>

#include <boost/asio/post.hpp>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/common/time_format.h"
#include "daemon/logs/log_context.h"
#include "daemon/processes/process_tree.h"
#include "daemon/supervision/ping_schedule.h"
#include "ipc/protocol.h"
#include "workspace/values.h"

extern char** environ;

namespace codeloc::daemon {
namespace {

using workspace::LocationKind;

std::size_t timer_index(TimerKind kind) {
  return static_cast<std::size_t>(kind);
}

std::string make_token(const std::string& name, std::uint64_t child_id) {
  return std::to_string(::getpid()) + "-" + name + "-" + std::to_string(child_id);
}

// Connects to a Unix socket at once (a Unix connect does not wait on a network).
int connect_unix(const std::string& path, std::string* error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    *error = "socket path too long: " + path;
    return -1;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    *error = "cannot connect to the code server at " + path + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

Location::Location(boost::asio::io_context& io, const Clock& clock, ProcessLauncher& launcher,
                   LocationObserver& observer, const LocationOptions& options,
                   workspace::LocationSpec spec, SupervisionPolicy policy)
    : io_(io),
      clock_(clock),
      launcher_(launcher),
      observer_(observer),
      options_(options),
      spec_(std::move(spec)),
      machine_(policy, this, &clock),
      timers_{boost::asio::steady_timer(io), boost::asio::steady_timer(io),
              boost::asio::steady_timer(io), boost::asio::steady_timer(io)},
      logs_(options.log_ring_lines, options.log_ring_bytes) {
  if (workspace::is_python_kind(spec_.kind) && options_.dagster_grpc &&
      !options_.state_dir.empty()) {
    dagster_.emplace(options_.state_dir, spec_.name);
  }
}

Location::Child::~Child() {
  if (!grpc_socket.empty()) ::unlink(grpc_socket.c_str());
}

Location::~Location() {
  for (auto& timer : timers_)
    timer.cancel();
  kill_all();
  if (published_child_ != 0) dagster_->unpublish();
  auto close = [](Child& child) {
    if (child.session) child.session->close();
    if (child.out) child.out->close();
    if (child.err) child.err->close();
  };
  if (current_) close(*current_);
  if (candidate_) close(*candidate_);
  for (auto& child : retired_)
    close(*child);
}

void Location::start() {
  machine_.start();
}

void Location::stop() {
  machine_.stop();
}

void Location::restart() {
  machine_.restart();
}

void Location::reload(ReloadTrigger trigger, std::string cause) {
  LocationState state = machine_.state();
  if (state == LocationState::kStopped || state == LocationState::kStopping) {
    if (trigger == ReloadTrigger::kRequest) {
      queued_cause_ = std::move(cause);
      machine_.start();
    }
    return;
  }
  if (queued_cause_.empty() || !machine_.reload_queued()) {
    queued_cause_ = std::move(cause);
  } else if (queued_cause_ != cause) {
    queued_cause_ = "several changes";
  }
  machine_.reload();
}

void Location::replace(workspace::LocationSpec spec, SupervisionPolicy policy) {
  spec_ = std::move(spec);
  if (!workspace::is_python_kind(spec_.kind) || !options_.dagster_grpc) {
    if (published_child_ != 0) dagster_->unpublish();
    published_child_ = 0;
    dagster_.reset();
  } else if (!dagster_ && !options_.state_dir.empty()) {
    dagster_.emplace(options_.state_dir, spec_.name);
  }
  machine_.set_policy(policy);
  // A loaded (or failed) location loads the new entry beside the running child; a first load
  // still running under the old entry is of no use and restarts.
  LocationState state = machine_.state();
  if (state == LocationState::kLoaded || state == LocationState::kLoadError ||
      state == LocationState::kBackoff || state == LocationState::kReloading) {
    reload(ReloadTrigger::kRequest, "workspace entry changed");
  } else {
    machine_.restart();
  }
}

std::optional<pid_t> Location::pid() const {
  if (current_ && current_->pid > 0 && !current_->exited) return current_->pid;
  return std::nullopt;
}

bool Location::processes_gone(const Child& child) {
  if (child.pid <= 0) return child.exited;  // an attached code server: gone once closed
  return child.exited && location_processes(child.pid, child.token).empty();
}

bool Location::all_processes_gone() const {
  if (current_ && !processes_gone(*current_)) return false;
  if (candidate_ && !processes_gone(*candidate_)) return false;
  for (const auto& child : retired_) {
    if (!processes_gone(*child)) return false;
  }
  return true;
}

bool Location::on_reaped(pid_t pid, ExitStatus status) {
  if (current_ && current_->pid == pid) {
    current_->exited = true;
    machine_.on_exit(status);
    return true;
  }
  if (candidate_ && candidate_->pid == pid) {
    candidate_->exited = true;
    machine_.on_candidate_exit(status);
    return true;
  }
  for (auto& child : retired_) {
    if (child->pid == pid) {
      child->exited = true;
      if (child->draining) {
        log_location(spdlog::level::info, spec_.name,
                     "{}: the replaced code server {} finished its Dagster runs and {}", spec_.name,
                     pid, status.describe());
      }
      if (child->session) child->session->close();  // a draining child kept its channel
      child->session.reset();
      return true;
    }
  }
  return false;
}

void Location::check_processes_gone() {
  std::erase_if(retired_,
                [](const std::unique_ptr<Child>& child) { return processes_gone(*child); });
  if (current_ && current_->exited && !current_->reported_gone && processes_gone(*current_)) {
    current_->reported_gone = true;
    machine_.on_group_empty();
  }
}

std::vector<std::string> Location::child_argv(const Child& child) const {
  if (spec_.kind == LocationKind::kCommand) return spec_.argv;
  std::vector<std::string> argv{spec_.executable_path.value_or(options_.default_python),
                                options_.code_server.string(), "--location", spec_.name};
  switch (spec_.kind) {
    case LocationKind::kPythonFile:
      argv.insert(argv.end(), {"--python-file", spec_.target});
      break;
    case LocationKind::kPythonModule:
      argv.insert(argv.end(), {"--module", spec_.target});
      break;
    case LocationKind::kPythonPackage:
      argv.insert(argv.end(), {"--package", spec_.target});
      break;
    case LocationKind::kAutoloadDefsModule:
      argv.insert(argv.end(), {"--autoload-defs-module", spec_.target});
      break;
    case LocationKind::kGrpcServer:  // attach.py: serves someone else's Dagster gRPC server
      argv.push_back("--attach-grpc");
      if (spec_.socket) {
        argv.insert(argv.end(), {"--grpc-socket", *spec_.socket});
      } else {
        argv.insert(argv.end(), {"--grpc-host", spec_.host, "--grpc-port",
                                 std::to_string(spec_.port.value_or(0))});
      }
      break;
    default:
      break;
  }
  if (spec_.attribute) argv.insert(argv.end(), {"--attribute", *spec_.attribute});
  if (!spec_.working_directory.empty()) {
    argv.insert(argv.end(), {"--working-directory", spec_.working_directory.string()});
  }
  if (!child.grpc_socket.empty()) {
    argv.insert(argv.end(), {"--dagster-grpc-socket", child.grpc_socket.string()});
  }
  return argv;
}

std::string Location::start_mode(const Child& child) const {
  if (child.pid <= 0 || !workspace::is_python_kind(spec_.kind)) return "";
  return child.warm ? "warm" : "cold";
}

LaunchSpec Location::launch_spec(const Child& child) const {
  LaunchSpec launch;
  launch.argv = child_argv(child);
  launch.working_directory = spec_.working_directory;
  launch.warm = workspace::is_python_kind(spec_.kind) && spec_.warm.value_or(options_.warm);
  std::map<std::string, std::string> env;
  if (spec_.inherit_env) {
    for (char** entry = environ; entry && *entry; ++entry) {
      std::string_view text(*entry);
      std::size_t eq = text.find('=');
      if (eq == std::string_view::npos || is_service_manager_variable(text.substr(0, eq))) continue;
      env[std::string(text.substr(0, eq))] = text.substr(eq + 1);
    }
  }
  bool grpc = spec_.kind == LocationKind::kGrpcServer;
  if (workspace::is_python_kind(spec_.kind) || grpc) env["PYTHONUNBUFFERED"] = "1";
  if (grpc && !spec_.additional_metadata.empty()) {
    env[ipc::kEnvGrpcMetadata] = nlohmann::json(spec_.additional_metadata).dump();
  }
  for (const auto& [key, value] : spec_.env)
    env[key] = value;
  env[ipc::kEnvLocation] = spec_.name;
  env[ipc::kEnvChannelFd] = std::to_string(ipc::kChildChannelFd);
  env[ipc::kEnvProtocol] = std::to_string(ipc::kCodeServerProtocolVersion);
  env[kEnvInstance] = child.token;
  if (!options_.control_socket.empty()) env[ipc::kEnvSocket] = options_.control_socket.string();
  for (const auto& [key, value] : env)
    launch.env.push_back(key + "=" + value);
  return launch;
}

void Location::retire(std::unique_ptr<Child> child, bool stop) {
  if (!child) return;
  // A code server that serves Dagster gRPC may have runs in its process group: it finishes them
  // first (docs/dagster.md, "Runs during a reload"), keeping its channel until it exits.
  bool drain = stop && !child->exited && child->pid > 0 && child->session &&
               !child->grpc_socket.empty() && DagsterAddress::is_socket(child->grpc_socket);
  if (drain) {
    drain_retired(*child);
  } else {
    if (stop && !child->exited) {
      if (child->session) child->session->shutdown();
      if (child->pid > 0) stop_retired(*child, machine_.policy().stop_signal);
    }
    if (child->session) child->session->close();
    child->session.reset();
  }
  if (child->pid <= 0) child->exited = true;  // an attached code server: closing is its exit
  if (!processes_gone(*child)) retired_.push_back(std::move(child));
}

void Location::after_retired(Child& child, std::chrono::milliseconds delay,
                             std::function<void(Child&)> action) {
  child.kill_timer = std::make_unique<boost::asio::steady_timer>(io_);
  child.kill_timer->expires_after(delay);
  child.kill_timer->async_wait(
      [this, id = child.id, action = std::move(action)](const boost::system::error_code& ec) {
        if (ec) return;
        for (const auto& retired : retired_) {
          if (retired->id == id && !retired->exited) action(*retired);
        }
      });
}

void Location::stop_retired(Child& child, int signal) {
  child.draining = false;
  if (child.session) child.session->shutdown();
  send_stop_signal(child.pid, signal);
  after_retired(child, machine_.policy().stop_timeout, [this](Child& late) { kill_child(late); });
}

void Location::drain_retired(Child& child) {
  child.draining = true;
  child.session->call(ipc::method::kDagsterDrain, nlohmann::json::object(),
                      std::chrono::seconds(10),
                      [name = spec_.name, pid = child.pid](ipc::RpcReply reply) {
                        if (!reply.ok()) return;  // it exited first, or it cannot drain
                        const nlohmann::json& result = reply.result();
                        int runs = result.is_object() ? result.value("runs", 0) : 0;
                        if (runs > 0) {
                          log_location(spdlog::level::info, name,
                                       "{}: the replaced code server {} finishes {} Dagster "
                                       "run(s) before it exits",
                                       name, pid, runs);
                        }
                      });
  after_retired(child, options_.drain_timeout, [this](Child& late) {
    log_location(spdlog::level::warn, spec_.name,
                 "{}: the replaced code server {} still has Dagster runs after the drain "
                 "timeout ({}); stopping it",
                 spec_.name, late.pid, workspace::format_duration(options_.drain_timeout));
    stop_retired(late, machine_.policy().stop_signal);
  });
}

LaunchOutcome Location::launch() {
  retire(std::move(current_), /*stop=*/false);
  auto child = std::make_unique<Child>();
  LaunchOutcome outcome = spawn(*child);
  if (outcome.kind != LaunchOutcome::Kind::kStarted) return outcome;
  current_ = std::move(child);
  if (current_->session) current_->session->load(machine_.policy().startup_timeout);
  return outcome;
}

LaunchOutcome Location::launch_candidate() {
  discard_candidate();
  auto child = std::make_unique<Child>();
  LaunchOutcome outcome = spawn(*child);
  if (outcome.kind != LaunchOutcome::Kind::kStarted) return outcome;
  candidate_ = std::move(child);
  reload_start_mode_ = start_mode(*candidate_);
  reload_cause_ = std::move(queued_cause_);
  queued_cause_.clear();
  reload_change_.reset();
  if (candidate_->session) candidate_->session->load(machine_.policy().startup_timeout);
  return outcome;
}

void Location::promote_candidate() {
  retire_current();
  current_ = std::move(candidate_);
}

void Location::retire_current() {
  retire(std::move(current_), /*stop=*/true);
}

void Location::discard_candidate() {
  if (!candidate_) return;
  kill_child(*candidate_);
  retire(std::move(candidate_), /*stop=*/false);
}

void Location::on_definitions(std::uint64_t child_id, Snapshot snapshot) {
  bool current = is_current(child_id);
  if (!current && !is_candidate(child_id)) return;
  if (!current) reload_change_ = compare_definitions(snapshot_.get(), snapshot);
  std::string old_version = snapshot_ ? snapshot_->version : "";
  snapshot_ = std::make_shared<const Snapshot>(std::move(snapshot));
  error_.reset();
  // Before the machine: the answers and events it sets off (a location.reload waiting, which a
  // Dagster UI reload is) must find the new server at the stable path.
  publish_dagster_grpc(current ? *current_ : *candidate_);
  if (current) {
    machine_.on_loaded();
  } else {
    machine_.on_candidate_loaded();
  }
  if (old_version != snapshot_->version) observer_.location_definitions(*this, old_version);
}

void Location::on_load_error(std::uint64_t child_id, LocationError error) {
  bool current = is_current(child_id);
  if (!current && !is_candidate(child_id)) return;
  std::string message = error.message;
  error_ = std::move(error);
  publish_dagster_grpc(current ? *current_ : *candidate_);  // before the machine, as above
  if (current) {
    machine_.on_load_error(message);
  } else {
    machine_.on_candidate_load_error(message);
  }
}

void Location::publish_dagster_grpc(const Child& child) {
  if (!dagster_ || child.grpc_socket.empty()) return;
  if (!DagsterAddress::is_socket(child.grpc_socket)) {
    dagster_error_ = "the code server started no Dagster gRPC server (`codeloc logs " + spec_.name +
                     "` says why)";
    return;
  }
  std::string error = dagster_->publish(child.grpc_socket);
  if (!error.empty()) {
    dagster_error_ = error;
    log_location(spdlog::level::warn, spec_.name, "{}: Dagster gRPC: {}", spec_.name, error);
    return;
  }
  dagster_error_.clear();
  published_child_ = child.id;
}

CodeServerSession::Callbacks Location::session_callbacks(std::uint64_t id) {
  CodeServerSession::Callbacks callbacks;
  callbacks.on_definitions = [this, id](Snapshot snapshot) {
    on_definitions(id, std::move(snapshot));
  };
  callbacks.on_load_error = [this, id](LocationError error) {
    on_load_error(id, std::move(error));
  };
  callbacks.on_closed = [this, id]() {
    // An attached code server has no process: a closed connection is its exit.
    if (is_current(id) && current_->pid <= 0) {
      current_->exited = true;
      machine_.on_exit(ExitStatus{false, 1});
      check_processes_gone();
    } else if (is_candidate(id) && candidate_->pid <= 0) {
      candidate_->exited = true;
      machine_.on_candidate_exit(ExitStatus{false, 1});
    }
  };
  return callbacks;
}

LaunchOutcome Location::spawn(Child& child) {
  child.id = next_child_id_++;
  child.token = make_token(spec_.name, child.id);
  if (dagster_ && dagster_->usable()) {
    std::error_code ignored;
    std::filesystem::create_directories(dagster_->generation_dir(), ignored);
    child.grpc_socket = dagster_->generation(child.id);
  }
  if (spec_.kind == LocationKind::kCodeServer) {
    std::string error;
    int fd = spec_.socket ? connect_unix(*spec_.socket, &error) : -1;
    if (!spec_.socket) error = "code_server over TCP (host/port) is not supported yet; use socket";
    if (fd < 0) return {LaunchOutcome::Kind::kTransientFail, error};
    child.session =
        CodeServerSession::create(io_.get_executor(), fd, spec_.name, options_.max_message_bytes,
                                  session_callbacks(child.id));
    return {LaunchOutcome::Kind::kStarted, ""};
  }
  if ((workspace::is_python_kind(spec_.kind) || spec_.kind == LocationKind::kGrpcServer) &&
      options_.code_server.empty()) {
    return {LaunchOutcome::Kind::kCannotStart,
            "codeloc's Python code server was not found; set CODELOC_CODE_SERVER to the "
            "codeloc_server directory"};
  }
  // The first start of a location whose interpreter's fork server is warming up waits for it
  // (STARTING, no process yet): one warm-up instead of one cold import per location.
  LaunchSpec launch = launch_spec(child);
  auto ready = [this, alive = std::weak_ptr<char>(alive_), id = child.id] {
    if (alive.lock()) launch_waiting(id);
  };
  if (launcher_.wait_until_warm(launch, std::move(ready))) {
    child.waiting = true;
    return {LaunchOutcome::Kind::kStarted, ""};
  }
  return start_process(child, std::move(launch));
}

void Location::launch_waiting(std::uint64_t child_id) {
  Child* child = is_current(child_id)     ? current_.get()
                 : is_candidate(child_id) ? candidate_.get()
                                          : nullptr;
  if (!child || !child->waiting || child->exited) return;
  LocationState state = machine_.state();
  bool wanted = child == current_.get() ? state == LocationState::kStarting
                                        : state == LocationState::kReloading;
  child->waiting = false;
  if (!wanted) {
    child->exited = true;
    return;
  }
  LaunchOutcome outcome = start_process(*child, launch_spec(*child));
  if (outcome.kind == LaunchOutcome::Kind::kStarted) {
    if (child == candidate_.get()) reload_start_mode_ = start_mode(*child);
    if (child->session) child->session->load(machine_.policy().startup_timeout);
    return;
  }
  // Launches that cannot work at all were refused before waiting; what is left is transient
  // (fork, pipe, descriptors): a crash, restarted with backoff.
  log_location(spdlog::level::warn, spec_.name, "{}: cannot start: {}", spec_.name, outcome.error);
  child->exited = true;
  if (child == current_.get()) {
    machine_.on_exit(ExitStatus{false, 127});
    check_processes_gone();
  } else {
    machine_.on_candidate_exit(ExitStatus{false, 127});
  }
}

LaunchOutcome Location::start_process(Child& child, LaunchSpec launch) {
  std::uint64_t id = child.id;
  int channel[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel) != 0) {
    return {LaunchOutcome::Kind::kTransientFail,
            std::string("socketpair: ") + std::strerror(errno)};
  }
  UniqueFd child_end(channel[1]);
  launch.channel_fd = child_end.get();
  LaunchResult result = launcher_.launch(launch);
  if (result.kind != LaunchOutcome::Kind::kStarted) {
    ::close(channel[0]);
    return {result.kind, result.error};
  }
  child.pid = result.child.pid;
  child.warm = result.warm;
  child.cold_reason = std::move(result.cold_reason);
  pid_t pid = child.pid;
  auto pump = [&](UniqueFd fd, OutputStream stream) -> std::shared_ptr<OutputPump> {
    if (!fd) return nullptr;
    return OutputPump::start(io_, std::move(fd), options_.log_line_max_bytes,
                             [this, id, pid, stream](std::string_view text, bool truncated) {
                               on_line(id, pid, stream, text, truncated);
                             });
  };
  child.out = pump(std::move(result.child.stdout_fd), OutputStream::kStdout);
  child.err = pump(std::move(result.child.stderr_fd), OutputStream::kStderr);
  child.session = CodeServerSession::create(io_.get_executor(), channel[0], spec_.name,
                                            options_.max_message_bytes, session_callbacks(id));
  return {LaunchOutcome::Kind::kStarted, ""};
}

void Location::terminate(int signal) {
  // A stop does not wait for Dagster runs: replaced code servers still finishing theirs stop too.
  for (auto& child : retired_) {
    if (child->draining && !child->exited) stop_retired(*child, signal);
  }
  if (!current_) return;
  if (current_->session) current_->session->shutdown();
  if (current_->pid > 0) {
    if (!current_->exited) send_stop_signal(current_->pid, signal);
    return;
  }
  // Attached code server (or a start still waiting for its fork server): closing the connection
  // is the whole stop.
  if (current_->session) current_->session->close();
  current_->exited = true;
  boost::asio::post(io_, [this, id = current_->id] {
    if (!is_current(id)) return;
    machine_.on_exit(ExitStatus{});
    check_processes_gone();
  });
}

void Location::send_stop_signal(pid_t group, int signal) {
  ::kill(-group, signal);
  // As systemd does: a stopped process (SIGSTOP, a debugger, Ctrl-Z) would hold a handled stop
  // signal pending until stop_timeout; SIGCONT lets it act on it now.
  if (signal != SIGKILL && signal != SIGCONT) ::kill(-group, SIGCONT);
}

void Location::kill_child(const Child& child) {
  if (child.pid <= 0) return;
  ::kill(-child.pid, SIGKILL);
  for (pid_t pid : location_processes(child.pid, child.token))
    ::kill(pid, SIGKILL);
}

void Location::kill_all() {
  for (Child* child : {current_.get(), candidate_.get()}) {
    if (child && child->waiting) {  // never started: nothing to kill, and it must not start
      child->waiting = false;
      child->exited = true;
    }
  }
  if (current_) kill_child(*current_);
  if (candidate_) kill_child(*candidate_);
  for (const auto& child : retired_)
    kill_child(*child);
}

void Location::send_ping(milliseconds timeout) {
  if (!current_ || !current_->session) {
    machine_.on_ping_result(false);
    return;
  }
  current_->session->ping(timeout, [this, id = current_->id](bool answered) {
    if (is_current(id)) machine_.on_ping_result(answered);
  });
}

void Location::arm_timer(TimerKind kind, milliseconds delay) {
  std::size_t index = timer_index(kind);
  std::uint64_t generation = ++timer_generation_[index];
  if (kind == TimerKind::kPing) {
    // On the grid shared by every location, so that one wake-up pings them all. The Asio timer
    // runs on the real steady clock, whatever clock_ the machine is given.
    timers_[index].expires_at(next_ping_at(std::chrono::steady_clock::now(), delay));
  } else {
    timers_[index].expires_after(delay);
  }
  timers_[index].async_wait([this, kind, index, generation](const boost::system::error_code& ec) {
    if (ec || timer_generation_[index] != generation) return;
    machine_.on_timer(kind);
  });
}

void Location::cancel_timer(TimerKind kind) {
  std::size_t index = timer_index(kind);
  ++timer_generation_[index];
  timers_[index].cancel();
}

void Location::state_changed(LocationState from, LocationState to) {
  if (to == LocationState::kStopped) {
    snapshot_.reset();
    if (published_child_ != 0) dagster_->unpublish();
    published_child_ = 0;
  }
  if (to == LocationState::kReloading) reload_started_ = clock_.now();
  if (to != LocationState::kLoadError && !machine_.error().empty() && error_ &&
      error_->message != machine_.error()) {
    error_.reset();
  }
  observer_.location_state_changed(*this, from, to);
  if (from == LocationState::kReloading) reload_ended(to);
}

void Location::reload_ended(LocationState outcome) {
  ReloadReport report;
  report.outcome = outcome;
  report.duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - reload_started_);
  report.cause = std::move(reload_cause_);
  reload_cause_.clear();
  report.start_mode = reload_start_mode_;
  if (outcome == LocationState::kLoaded) {
    report.change = std::move(reload_change_);
  } else {
    report.error = machine_.error();
  }
  reload_change_.reset();
  last_reload_ = report;
  observer_.location_reloaded(*this, report);
}

void Location::on_line(std::uint64_t, pid_t pid, OutputStream stream, std::string_view text,
                       bool truncated) {
  LogLine line;
  line.time = clock_.wall_now();
  line.stream = stream;
  line.pid = pid;
  line.truncated = truncated;
  line.text = std::string(text);
  logs_.push(std::move(line));
  observer_.location_output(*this, logs_.tail(1).front());
}

nlohmann::json Location::status_json() const {
  nlohmann::json status;
  status["name"] = spec_.name;
  status["kind"] = workspace::kind_name(spec_.kind);
  status["state"] = state_name(machine_.state());
  auto running = pid();
  status["pid"] = running ? nlohmann::json(*running) : nlohmann::json(nullptr);
  status["restarts"] = machine_.restarts();
  status["reloads"] = machine_.reloads();
  auto since_wall =
      clock_.wall_now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(
                              clock_.now() - machine_.since());
  status["since"] = iso8601(since_wall);
  if (const auto& exit = machine_.last_exit()) {
    status["last_exit"] = exit->signaled
                              ? nlohmann::json{{"signal", workspace::signal_name(exit->value)}}
                              : nlohmann::json{{"code", exit->value}};
  } else {
    status["last_exit"] = nullptr;
  }
  if (machine_.error().empty()) {
    status["error"] = nullptr;
  } else if (error_ && error_->message == machine_.error()) {
    status["error"] = error_->detail;
  } else {
    status["error"] = {{"message", machine_.error()}};
  }
  status["definitions_version"] =
      snapshot_ ? nlohmann::json(snapshot_->version) : nlohmann::json(nullptr);
  std::string mode = current_ ? start_mode(*current_) : "";
  status["start_mode"] = mode.empty() ? nlohmann::json(nullptr) : nlohmann::json(mode);
  status["cold_reason"] = !mode.empty() && !current_->cold_reason.empty()
                              ? nlohmann::json(current_->cold_reason)
                              : nullptr;
  status["dagster_grpc"] = dagster_grpc_json();
  nlohmann::json draining = nlohmann::json::array();
  for (const auto& child : retired_) {
    if (child->draining && !child->exited) draining.push_back(child->pid);
  }
  status["draining"] = std::move(draining);
  return status;
}

nlohmann::json Location::dagster_grpc_json() const {
  if (spec_.kind == LocationKind::kGrpcServer) {  // someone else's server, as the entry names it
    if (spec_.socket) return {{"socket", *spec_.socket}};
    return {{"host", spec_.host}, {"port", spec_.port.value_or(0)}};
  }
  if (!dagster_) return nullptr;
  std::string error = !dagster_->usable() ? dagster_->why() : dagster_error_;
  return {{"socket", dagster_->stable().string()},
          {"published", published_child_ != 0},
          {"error", error.empty() ? nlohmann::json(nullptr) : nlohmann::json(error)}};
}

void Location::call(const std::string& method, const nlohmann::json& params,
                    std::chrono::milliseconds timeout, std::function<void(ipc::RpcReply)> done) {
  if (!current_ || !current_->session || current_->exited) {
    done(ipc::RpcReply::failure(
        ipc::RpcError(ipc::error_code::kLocationUnavailable,
                      "location '" + spec_.name + "' has no running code server")));
    return;
  }
  current_->session->call(method, params, timeout, std::move(done));
}

}  // namespace codeloc::daemon
