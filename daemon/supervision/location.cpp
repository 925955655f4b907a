#include "daemon/supervision/location.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include <boost/asio/post.hpp>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/logs/log_context.h"
#include "daemon/supervision/launch_plan.h"
#include "daemon/supervision/ping_schedule.h"
#include "ipc/protocol.h"
#include "workspace/values.h"

namespace codeloc::daemon {
namespace {

using workspace::LocationKind;

std::size_t timer_index(TimerKind kind) {
  return static_cast<std::size_t>(kind);
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
                   ProcessSignals& signals, LocationObserver& observer,
                   const LocationOptions& options, workspace::LocationSpec spec,
                   SupervisionPolicy policy)
    : io_(io),
      clock_(clock),
      launcher_(launcher),
      signals_(signals),
      observer_(observer),
      options_(options),
      spec_(std::move(spec)),
      machine_(policy, this, &clock),
      timer_(io),
      dagster_(options, spec_),
      logs_(options.log_ring_lines, options.log_ring_bytes) {
  deadlines_.fill(std::chrono::steady_clock::time_point::max());
}

Location::~Location() {
  timer_.cancel();
  kill_all();
  dagster_.unpublish();
  children_.for_each([](Child& child) { child.close(); });
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
  dagster_.update(spec_);
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
  const Child* current = children_.current();
  if (current && current->pid > 0 && !current->exited) return current->pid;
  return std::nullopt;
}

bool Location::processes_gone(const Child& child) const {
  if (child.pid <= 0) return child.exited;  // an attached code server: gone once closed
  // Gone stays gone: an exited child whose processes were all gone has none left to start more.
  // So the restart after a crash (launch() retires the current child) looks at nothing again.
  if (child.reported_gone) return true;
  return child.exited && signals_.location_processes(child.pid, child.token).empty();
}

bool Location::all_processes_gone() const {
  return children_.all_of([this](const Child& child) { return processes_gone(child); });
}

bool Location::on_reaped(pid_t pid, ExitStatus status) {
  ChildSet::Role role;
  Child* child = children_.find_pid(pid, &role);
  if (!child) return false;
  child->exited = true;
  switch (role) {
    case ChildSet::Role::kCurrent:
      machine_.on_exit(status);
      break;
    case ChildSet::Role::kCandidate:
      machine_.on_candidate_exit(status);
      break;
    default:
      if (child->draining) {
        log_location(spdlog::level::info, spec_.name,
                     "{}: the replaced code server {} finished its Dagster runs and {}", spec_.name,
                     pid, status.describe());
      }
      if (child->session) child->session->close();  // a draining child kept its channel
      child->session.reset();
      break;
  }
  return true;
}

void Location::check_processes_gone() {
  children_.drop_retired([this](const Child& child) { return processes_gone(child); });
  Child* current = children_.current();
  if (current && current->exited && !current->reported_gone && processes_gone(*current)) {
    current->reported_gone = true;
    machine_.on_group_empty();
  }
}

std::string Location::start_mode(const Child& child) const {
  if (child.pid <= 0 || !workspace::is_python_kind(spec_.kind)) return "";
  return child.warm ? "warm" : "cold";
}

LaunchSpec Location::launch_spec(const Child& child) const {
  return launch_plan(spec_, options_, ChildIdentity{child.token, child.grpc_socket},
                     daemon_environment());
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
  if (!processes_gone(*child)) children_.add_retired(std::move(child));
}

void Location::after_retired(Child& child, std::chrono::milliseconds delay,
                             std::function<void(Child&)> action) {
  child.kill_timer = std::make_unique<boost::asio::steady_timer>(io_);
  child.kill_timer->expires_after(delay);
  child.kill_timer->async_wait(
      [this, id = child.id, action = std::move(action)](const boost::system::error_code& ec) {
        if (ec) return;
        Child* retired = children_.find_retired(id);
        if (retired && !retired->exited) action(*retired);
      });
}

void Location::stop_retired(Child& child, int signal) {
  child.draining = false;
  if (child.session) child.session->shutdown();
  signals_.stop_group(child.pid, signal);
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
  retire(children_.take_current(), /*stop=*/false);
  std::unique_ptr<Child> child = children_.make();
  LaunchOutcome outcome = spawn(*child);
  if (outcome.kind != LaunchOutcome::Kind::kStarted) return outcome;
  children_.set_current(std::move(child));
  Child& current = *children_.current();
  if (current.session) current.session->load(machine_.policy().startup_timeout);
  return outcome;
}

LaunchOutcome Location::launch_candidate() {
  discard_candidate();
  std::unique_ptr<Child> child = children_.make();
  LaunchOutcome outcome = spawn(*child);
  if (outcome.kind != LaunchOutcome::Kind::kStarted) return outcome;
  children_.set_candidate(std::move(child));
  Child& candidate = *children_.candidate();
  reload_start_mode_ = start_mode(candidate);
  reload_cause_ = std::move(queued_cause_);
  queued_cause_.clear();
  reload_change_.reset();
  if (candidate.session) candidate.session->load(machine_.policy().startup_timeout);
  return outcome;
}

void Location::promote_candidate() {
  retire(children_.promote(), /*stop=*/true);
}

void Location::retire_current() {
  retire(children_.take_current(), /*stop=*/true);
}

void Location::discard_candidate() {
  if (!children_.candidate()) return;
  kill_child(*children_.candidate());
  retire(children_.take_candidate(), /*stop=*/false);
}

void Location::on_definitions(std::uint64_t child_id, Snapshot snapshot) {
  bool current = is_current(child_id);
  if (!current && !is_candidate(child_id)) return;
  if (!current) reload_change_ = compare_definitions(snapshot_.get(), snapshot);
  std::string old_version = snapshot_ ? snapshot_->version : "";
  snapshot_ = share_snapshot(std::move(snapshot));
  error_.reset();
  // Before the machine: the answers and events it sets off (a location.reload waiting, which a
  // Dagster UI reload is) must find the new server at the stable path.
  dagster_.publish(child_id, children_.find_active(child_id)->grpc_socket);
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
  dagster_.publish(child_id,
                   children_.find_active(child_id)->grpc_socket);  // before the machine, as above
  if (current) {
    machine_.on_load_error(message);
  } else {
    machine_.on_candidate_load_error(message);
  }
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
    Child* child = children_.find_active(id);
    if (!child || child->pid > 0) return;
    child->exited = true;
    if (is_current(id)) {
      machine_.on_exit(ExitStatus{false, 1});
      check_processes_gone();
    } else {
      machine_.on_candidate_exit(ExitStatus{false, 1});
    }
  };
  return callbacks;
}

LaunchOutcome Location::spawn(Child& child) {
  child.token = instance_token(::getpid(), spec_.name, child.id);
  child.grpc_socket = dagster_.generation_socket(child.id);
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
  if (std::string reason = cannot_launch_reason(spec_, options_); !reason.empty()) {
    return {LaunchOutcome::Kind::kCannotStart, reason};
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

bool Location::still_wanted(const Child& child) const {
  if (child.exited) return false;
  LocationState state = machine_.state();
  return is_current(child.id) ? state == LocationState::kStarting
                              : state == LocationState::kReloading;
}

void Location::launch_waiting(std::uint64_t child_id) {
  Child* child = children_.find_active(child_id);
  if (!child || !child->waiting || child->launching || child->exited) return;
  child->waiting = false;
  if (!still_wanted(*child)) {
    child->exited = true;
    return;
  }
  LaunchOutcome outcome = start_process(*child, launch_spec(*child));
  if (outcome.kind == LaunchOutcome::Kind::kStarted) {
    if (child->waiting) return;  // launched_late takes it from here
    if (is_candidate(child_id)) reload_start_mode_ = start_mode(*child);
    if (child->session) child->session->load(machine_.policy().startup_timeout);
    return;
  }
  start_failed(*child, outcome);
}

void Location::start_failed(Child& child, const LaunchOutcome& outcome) {
  log_location(spdlog::level::warn, spec_.name, "{}: cannot start: {}", spec_.name, outcome.error);
  child.exited = true;
  bool current = is_current(child.id);
  // One that can never start is what the machine makes of a refused launch, LOAD_ERROR (the
  // launches refused before waiting already are); the rest (fork, pipe, descriptors) is a crash.
  if (outcome.kind == LaunchOutcome::Kind::kCannotStart) {
    if (current) {
      machine_.on_load_error(outcome.error);
    } else {
      machine_.on_candidate_load_error(outcome.error);  // it is the current child now
    }
    machine_.on_exit(ExitStatus{false, 127});
    check_processes_gone();
    return;
  }
  if (current) {
    machine_.on_exit(ExitStatus{false, 127});
    check_processes_gone();
  } else {
    machine_.on_candidate_exit(ExitStatus{false, 127});
  }
}

LaunchOutcome Location::start_process(Child& child, LaunchSpec launch) {
  int channel[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel) != 0) {
    return {LaunchOutcome::Kind::kTransientFail,
            std::string("socketpair: ") + std::strerror(errno)};
  }
  // Shared with the completion: the child's end stays open until the launcher is done with it.
  struct Pending {
    UniqueFd parent_end;
    UniqueFd child_end;
    bool in_call = true;  // launch_async has not returned yet
    std::optional<LaunchResult> result;
  };
  auto pending = std::make_shared<Pending>();
  pending->parent_end = UniqueFd(channel[0]);
  pending->child_end = UniqueFd(channel[1]);
  launch.channel_fd = pending->child_end.get();
  child.waiting = true;
  child.launching = true;
  launcher_.launch_async(launch, [this, alive = std::weak_ptr<char>(alive_), signals = &signals_,
                                  id = child.id, pending](LaunchResult result) {
    pending->child_end.reset();
    if (pending->in_call) {
      pending->result = std::move(result);
      return;
    }
    if (alive.lock()) {
      launched_late(id, std::move(result), std::move(pending->parent_end));
    } else if (result.kind == LaunchOutcome::Kind::kStarted) {
      signals->signal_group(result.child.pid, SIGKILL);  // for a location that is gone
    }
  });
  pending->in_call = false;
  if (!pending->result) return {LaunchOutcome::Kind::kStarted, ""};  // launched_late follows
  child.waiting = false;
  child.launching = false;
  return attach(child, std::move(*pending->result), std::move(pending->parent_end));
}

void Location::launched_late(std::uint64_t child_id, LaunchResult result, UniqueFd channel) {
  Child* child = children_.find_active(child_id);
  if (child && !child->launching) child = nullptr;
  if (child) {
    child->launching = false;
    child->waiting = false;
  }
  if (!child || !still_wanted(*child)) {
    // Stopped, killed, restarted or replaced meanwhile: the process it got is not wanted.
    if (result.kind == LaunchOutcome::Kind::kStarted) {
      signals_.signal_group(result.child.pid, SIGKILL);
    }
    if (child) child->exited = true;
    return;
  }
  LaunchOutcome outcome = attach(*child, std::move(result), std::move(channel));
  if (outcome.kind != LaunchOutcome::Kind::kStarted) {
    start_failed(*child, outcome);
    return;
  }
  if (is_candidate(child_id)) reload_start_mode_ = start_mode(*child);
  if (child->session) child->session->load(machine_.policy().startup_timeout);
}

LaunchOutcome Location::attach(Child& child, LaunchResult result, UniqueFd channel) {
  if (result.kind != LaunchOutcome::Kind::kStarted) return {result.kind, result.error};
  std::uint64_t id = child.id;
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
  child.session = CodeServerSession::create(io_.get_executor(), channel.release(), spec_.name,
                                            options_.max_message_bytes, session_callbacks(id));
  return {LaunchOutcome::Kind::kStarted, ""};
}

void Location::terminate(int signal) {
  // A stop does not wait for Dagster runs: replaced code servers still finishing theirs stop too.
  for (const auto& child : children_.retired()) {
    if (child->draining && !child->exited) stop_retired(*child, signal);
  }
  Child* current = children_.current();
  if (!current) return;
  if (current->session) current->session->shutdown();
  if (current->pid > 0) {
    if (!current->exited) signals_.stop_group(current->pid, signal);
    return;
  }
  // Attached code server (or a start still waiting for its fork server or its launch): closing
  // the connection is the whole stop; a process launched later is killed (launched_late).
  if (current->session) current->session->close();
  current->exited = true;
  boost::asio::post(io_, [this, id = current->id] {
    if (!is_current(id)) return;
    machine_.on_exit(ExitStatus{});
    check_processes_gone();
  });
}

void Location::kill_child(const Child& child) {
  if (child.pid <= 0) return;
  signals_.kill_location(child.pid, child.token);
}

void Location::kill_all() {
  for (Child* child : {children_.current(), children_.candidate()}) {
    // Never started: nothing to kill, and it must not start (a pending launch's process is
    // killed when it comes).
    if (child && child->waiting) {
      child->waiting = false;
      child->exited = true;
    }
  }
  children_.for_each([this](Child& child) { kill_child(child); });
}

void Location::send_ping(milliseconds timeout) {
  Child* current = children_.current();
  if (!current || !current->session) {
    machine_.on_ping_result(false);
    return;
  }
  current->session->ping(timeout, [this, id = current->id](bool answered) {
    if (is_current(id)) machine_.on_ping_result(answered);
  });
}

void Location::arm_timer(TimerKind kind, milliseconds delay) {
  // The Asio timer runs on the real steady clock, whatever clock_ the machine is given.
  auto now = std::chrono::steady_clock::now();
  // A ping is on the grid shared by every location, so that one wake-up pings them all.
  deadlines_[timer_index(kind)] = kind == TimerKind::kPing ? next_ping_at(now, delay) : now + delay;
  rearm_timer();
}

void Location::cancel_timer(TimerKind kind) {
  deadlines_[timer_index(kind)] = std::chrono::steady_clock::time_point::max();
  rearm_timer();
}

void Location::rearm_timer() {
  auto earliest = *std::min_element(deadlines_.begin(), deadlines_.end());
  if (earliest == timer_armed_for_) return;
  timer_armed_for_ = earliest;
  std::uint64_t generation = ++timer_generation_;  // a wait cancelled below may still complete
  if (earliest == std::chrono::steady_clock::time_point::max()) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(earliest);  // cancels the wait for the previous deadline
  timer_.async_wait([this, generation](const boost::system::error_code& ec) {
    if (ec || timer_generation_ != generation) return;
    on_timer_expired();
  });
}

void Location::on_timer_expired() {
  timer_armed_for_ = std::chrono::steady_clock::time_point::max();
  // Each due timer once, in TimerKind order; a handler may arm or cancel any timer (itself too),
  // so what is due is looked at anew after each, and it may end the location itself.
  auto now = std::chrono::steady_clock::now();
  std::weak_ptr<char> alive = alive_;
  for (std::size_t index = 0; index < deadlines_.size(); ++index) {
    if (deadlines_[index] > now) continue;
    deadlines_[index] = std::chrono::steady_clock::time_point::max();
    machine_.on_timer(static_cast<TimerKind>(index));
    if (alive.expired()) return;
  }
  rearm_timer();
}

void Location::state_changed(LocationState from, LocationState to) {
  if (to == LocationState::kStopped) {
    snapshot_.reset();
    dagster_.unpublish();
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

LocationStatus Location::status() const {
  LocationStatus status;
  status.name = spec_.name;
  status.kind = spec_.kind;
  status.state = machine_.state();
  status.pid = pid();
  status.restarts = machine_.restarts();
  status.reloads = machine_.reloads();
  status.reload_queued = machine_.reload_queued();
  status.since =
      clock_.wall_now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(
                              clock_.now() - machine_.since());
  status.last_exit = machine_.last_exit();
  status.error = machine_.error();
  if (!status.error.empty() && error_ && error_->message == status.error) {
    status.error_detail = error_->detail;
  }
  if (snapshot_) status.definitions_version = snapshot_->version;
  if (const Child* current = children_.current()) {
    status.start_mode = start_mode(*current);
    if (!status.start_mode.empty()) status.cold_reason = current->cold_reason;
  }
  status.dagster_grpc = dagster_grpc_status();
  status.draining = children_.draining();
  return status;
}

LocationStatus::DagsterGrpc Location::dagster_grpc_status() const {
  using Kind = LocationStatus::DagsterGrpc::Kind;
  LocationStatus::DagsterGrpc grpc;
  if (spec_.kind == LocationKind::kGrpcServer) {  // someone else's server, as the entry names it
    grpc.kind = Kind::kAttached;
    grpc.socket = spec_.socket;
    grpc.host = spec_.host;
    grpc.port = spec_.port.value_or(0);
    return grpc;
  }
  const DagsterAddress* address = dagster_.address();
  if (!address) return grpc;
  grpc.kind = Kind::kServed;
  grpc.socket = address->stable().string();
  grpc.published = dagster_.published();
  grpc.error = dagster_.error();
  return grpc;
}

void Location::call(const std::string& method, const nlohmann::json& params,
                    std::chrono::milliseconds timeout, std::function<void(ipc::RpcReply)> done) {
  Child* current = children_.current();
  if (!current || !current->session || current->exited) {
    done(ipc::RpcReply::failure(
        ipc::RpcError(ipc::error_code::kLocationUnavailable,
                      "location '" + spec_.name + "' has no running code server")));
    return;
  }
  current->session->call(method, params, timeout, std::move(done));
}

}  // namespace codeloc::daemon
