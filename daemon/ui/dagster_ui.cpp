#include "daemon/ui/dagster_ui.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/common/atomic_file.h"
#include "daemon/dagster/dagster_address.h"
#include "daemon/dagster/dagster_workspace.h"
#include "daemon/logs/output_pump.h"
#include "daemon/logs/rate_limiter.h"
#include "daemon/ui/http_probe.h"

extern char** environ;

namespace codeloc::daemon {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds kProbeTimeout{2'000};
constexpr milliseconds kGoneInterval{100};

const char* state_text(int state) {
  static const char* const kNames[] = {"waiting",  "running", "backoff",
                                       "stopping", "stopped", "failed"};
  return kNames[state];
}

bool settled(LocationState state) {
  return state == LocationState::kLoaded || state == LocationState::kLoadError ||
         state == LocationState::kBackoff || state == LocationState::kStopped;
}

// Dagster colours its log lines whether or not they go to a terminal; the daemon's log has its
// own formats. Drops CSI sequences (ESC '[' parameters final-byte).
std::string without_colours(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      std::size_t end = i + 2;
      while (end < text.size() && (text[end] < 0x40 || text[end] > 0x7E))
        ++end;
      i = end;  // the final byte, skipped by the loop's ++i
      continue;
    }
    out += text[i];
  }
  return out;
}

bool is_executable(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

// True when something already listens on host:port (an IPv4 or IPv6 literal; false for a name,
// which is not resolved here). SO_REUSEADDR as uvicorn sets it, so TIME_WAIT does not count.
bool port_in_use(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return false;
  int fd = ::socket(address.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  int result;
  if (address.is_v4()) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    auto bytes = address.to_v4().to_bytes();
    std::memcpy(&in.sin_addr, bytes.data(), bytes.size());
    result = ::bind(fd, reinterpret_cast<sockaddr*>(&in), sizeof in);
  } else {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    auto bytes = address.to_v6().to_bytes();
    std::memcpy(&in6.sin6_addr, bytes.data(), bytes.size());
    result = ::bind(fd, reinterpret_cast<sockaddr*>(&in6), sizeof in6);
  }
  int error = errno;
  ::close(fd);
  return result != 0 && error == EADDRINUSE;
}

}  // namespace

struct DagsterUi::Helper {
  explicit Helper(boost::asio::io_context& io, std::string helper_name)
      : name(std::move(helper_name)), restart_timer(io) {}

  std::string name;  // "dagster-webserver": the label of its log lines
  std::vector<std::string> argv;
  State state = State::kWaiting;
  pid_t pid = -1;  // also its process group
  std::shared_ptr<OutputPump> out;
  std::shared_ptr<OutputPump> err;
  boost::asio::steady_timer restart_timer;
  steady_clock::time_point started_at;
  std::uint64_t starts = 0;
  int failures = 0;   // exits in a row, for the backoff
  std::string error;  // why it is in backoff or failed
  RateLimiter output_limit{kChildOutputLinesPerSecond, kChildOutputBurst};
};

DagsterUiOptions dagster_ui_options(const config::Settings& settings) {
  DagsterUiOptions options;
  options.state_dir = settings.state_dir;
  options.ui_python = settings.ui_python;
  options.default_python = settings.python;
  options.host = settings.ui_host;
  options.port = static_cast<std::uint16_t>(settings.ui_port);
  options.dagster_home = settings.dagster_home;
  options.stop_timeout = settings.restart_defaults.stop_timeout;
  options.log_line_max_bytes = settings.log_line_max_bytes;
  return options;
}

std::string ui_interpreter(const std::string& ui_python, const workspace::Workspace& workspace,
                           const std::string& default_python, const std::string& path_env,
                           std::string* error) {
  std::string wanted = ui_python;
  std::string why = "ui_python";
  if (wanted.empty()) {
    wanted = default_python;
    why = "the python setting (no location is a Python one)";
    for (const auto& spec : workspace.locations) {
      if (!workspace::is_python_kind(spec.kind)) continue;
      wanted = spec.executable_path.value_or(default_python);
      why = "the interpreter of location '" + spec.name + "'";
      break;
    }
  }
  std::string found = resolve_executable(wanted, path_env);
  if (found.empty()) {
    *error = "cannot find the Python interpreter '" + wanted + "' (" + why + ")" +
             (wanted.find('/') == std::string::npos ? " on PATH" : "");
  }
  return found;
}

std::filesystem::path dagster_home_for(const std::filesystem::path& setting,
                                       const std::string& env_home,
                                       const std::filesystem::path& state_dir) {
  if (!setting.empty()) return setting;
  if (!env_home.empty()) return env_home;
  return dagster_dir(state_dir) / "home";
}

std::vector<std::string> helper_environment(const std::vector<std::string>& daemon_env,
                                            const std::filesystem::path& home) {
  std::vector<std::string> env;
  for (const auto& entry : daemon_env) {
    std::string_view name = std::string_view(entry).substr(0, entry.find('='));
    if (is_service_manager_variable(name) || name == "DAGSTER_HOME") continue;
    env.push_back(entry);
  }
  env.push_back("DAGSTER_HOME=" + home.string());
  return env;
}

DagsterUi::DagsterUi(boost::asio::io_context& io, ProcessLauncher& launcher,
                     const Supervisor& supervisor, DagsterUiOptions options,
                     ProcessSignals& signals)
    : io_(io),
      launcher_(launcher),
      signals_(signals),
      supervisor_(supervisor),
      options_(std::move(options)),
      settle_timer_(io),
      probe_timer_(io),
      kill_timer_(io),
      gone_timer_(io) {
  workspace_file_ = dagster_dir(options_.state_dir) / "workspace.yaml";
  const char* env_home = std::getenv("DAGSTER_HOME");
  home_ = dagster_home_for(options_.dagster_home, env_home ? env_home : "", options_.state_dir);
  std::vector<std::string> daemon_env;
  for (char** entry = environ; entry && *entry; ++entry)
    daemon_env.emplace_back(*entry);
  env_ = helper_environment(daemon_env, home_);
  helpers_.push_back(std::make_unique<Helper>(io_, "dagster-webserver"));
  helpers_.push_back(std::make_unique<Helper>(io_, "dagster-daemon"));
}

DagsterUi::~DagsterUi() {
  kill_all_now();
  for (auto& helper : helpers_) {
    if (helper->out) helper->out->close();
    if (helper->err) helper->err->close();
  }
}

std::string DagsterUi::url() const {
  return "http://" + options_.host + ":" + std::to_string(options_.port);
}

void DagsterUi::state_changed(const Location&, LocationState, LocationState) {
  schedule_check();
}

void DagsterUi::workspace_applied(const workspace::WorkspaceDiff&) {
  if (!settle_armed_ && !started_) {
    settle_armed_ = true;
    settle_timer_.expires_after(options_.settle_timeout);
    settle_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || started_ || stopping_) return;
      spdlog::warn("not every location has settled after {} s; starting Dagster's UI anyway",
                   options_.settle_timeout.count() / 1000);
      start_helpers();
    });
  }
  schedule_check();
}

void DagsterUi::schedule_check() {
  if (check_posted_ || stopping_) return;
  check_posted_ = true;
  boost::asio::post(io_, [this] {
    check_posted_ = false;
    if (stopping_) return;
    if (!started_) {
      if (all_settled()) start_helpers();
      return;
    }
    update_workspace_file();
    if (reload_pending_ && all_settled()) reload_webserver();
  });
}

bool DagsterUi::all_settled() {
  bool all = true;
  for (const Location* location : supervisor_.locations()) {
    if (settled(location->state())) settled_.insert(location->name());
    if (!settled_.count(location->name())) all = false;
  }
  return all;
}

void DagsterUi::start_helpers() {
  if (started_ || stopping_) return;
  started_ = true;
  settle_timer_.cancel();
  Helper& webserver = *helpers_[0];
  Helper& daemon = *helpers_[1];
  auto fail_all = [&](const std::string& why) {
    error_ = why;
    for (auto& helper : helpers_) {
      helper->state = State::kFailed;
      helper->error = why;
    }
    spdlog::error("Dagster UI: {}; the locations keep running without it", why);
  };
  const char* path = std::getenv("PATH");
  python_ = ui_interpreter(options_.ui_python, supervisor_.workspace(), options_.default_python,
                           path ? path : "", &error_);
  if (python_.empty()) return fail_all(error_ + ": set ui_python (--ui-python)");
  std::filesystem::path bin = std::filesystem::path(python_).parent_path();
  if (!is_executable(bin / "dagster-webserver")) {
    return fail_all((bin / "dagster-webserver").string() +
                    " does not exist: `pip install dagster-webserver` into that environment (" +
                    python_ + " -m pip install dagster-webserver), or name another Python with " +
                    "ui_python (--ui-python)");
  }
  std::error_code ec;
  if (home_ == dagster_dir(options_.state_dir) / "home") {  // the default: made here
    std::filesystem::create_directories(home_, ec);
    if (ec) return fail_all("cannot create DAGSTER_HOME " + home_.string() + ": " + ec.message());
  } else if (!std::filesystem::is_directory(home_, ec)) {
    return fail_all("DAGSTER_HOME " + home_.string() +
                    " is not a directory: create it, or set dagster_home (--dagster-home)");
  }
  update_workspace_file();
  if (!error_.empty()) return fail_all(error_);
  std::string port = std::to_string(options_.port);
  webserver.argv = {(bin / "dagster-webserver").string(),
                    "-h",
                    options_.host,
                    "-p",
                    port,
                    "-w",
                    workspace_file_.string()};
  daemon.argv = {(bin / "dagster-daemon").string(), "run", "-w", workspace_file_.string()};
  spdlog::info(
      "Dagster UI: starting dagster-webserver and dagster-daemon from {} (DAGSTER_HOME {})",
      bin.string(), home_.string());
  launch(webserver);
  // dagster-daemon starts once the webserver answers (probe): on a fresh DAGSTER_HOME both would
  // create the instance's SQLite tables at once, and one of them would fail ("table ... already
  // exists").
  if (!is_executable(bin / "dagster-daemon")) {
    daemon.state = State::kFailed;
    daemon.error = (bin / "dagster-daemon").string() + " does not exist (it comes with dagster)";
    spdlog::error("Dagster UI: {}; schedules and sensors will not run", daemon.error);
  }
}

void DagsterUi::launch(Helper& helper) {
  if (stopping_) return;
  if (&helper == helpers_[0].get() && port_in_use(options_.host, options_.port)) {
    return restart_later(helper, options_.host + ":" + std::to_string(options_.port) +
                                     " is in use (another Dagster UI?); choose another port "
                                     "with ui_port (--ui-port)");
  }
  LaunchSpec spec;
  spec.argv = helper.argv;
  spec.env = env_;
  spec.working_directory = dagster_dir(options_.state_dir);
  LaunchResult result = launcher_.launch(spec);
  if (result.kind != LaunchOutcome::Kind::kStarted) return restart_later(helper, result.error);
  helper.pid = result.child.pid;
  helper.state = State::kRunning;
  helper.error.clear();
  helper.started_at = steady_clock::now();
  ++helper.starts;
  groups_.insert(helper.pid);
  spdlog::info("{} started (pid {})", helper.name, helper.pid);
  auto pump = [&](UniqueFd fd) -> std::shared_ptr<OutputPump> {
    if (!fd) return nullptr;
    // The helper outlives its pumps' handlers: they end with the pipes, and the helpers live
    // as long as this object.
    return OutputPump::start(io_, std::move(fd), options_.log_line_max_bytes,
                             [&helper](std::string_view text, bool truncated) {
                               if (!helper.output_limit.allow(steady_clock::now())) return;
                               if (std::uint64_t held = helper.output_limit.take_refused()) {
                                 spdlog::warn("{}: {} lines not logged (rate limit)", helper.name,
                                              held);
                               }
                               spdlog::info("{}: {}{}", helper.name, without_colours(text),
                                            truncated ? " [truncated]" : "");
                             });
  };
  helper.out = pump(std::move(result.child.stdout_fd));
  helper.err = pump(std::move(result.child.stderr_fd));
  if (&helper == helpers_[0].get()) {
    ready_ = false;
    probing_ = true;
    probe_timer_.expires_after(options_.probe_interval);
    probe_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) probe();
    });
  }
}

void DagsterUi::probe() {
  Helper& webserver = *helpers_[0];
  if (!probing_ || stopping_ || webserver.state != State::kRunning) return;
  pid_t pid = webserver.pid;
  http_request(io_, options_.host, options_.port, "GET", "/server_info", "", kProbeTimeout,
               [this, pid](HttpAnswer answer) {
                 Helper& current = *helpers_[0];
                 if (!probing_ || stopping_ || current.pid != pid) return;
                 if (answer.ok && answer.status == 200 &&
                     answer.body.find("dagster_webserver_version") != std::string::npos) {
                   probing_ = false;
                   ready_ = true;
                   if (options_.on_ready) {
                     options_.on_ready(url());
                   } else {
                     spdlog::info("Dagster UI: {}", url());
                   }
                   Helper& daemon = *helpers_[1];
                   if (daemon.state == State::kWaiting && !daemon.argv.empty()) launch(daemon);
                   return;
                 }
                 probe_timer_.expires_after(options_.probe_interval);
                 probe_timer_.async_wait([this](const boost::system::error_code& ec) {
                   if (!ec) probe();
                 });
               });
}

void DagsterUi::restart_later(Helper& helper, const std::string& why) {
  helper.state = State::kBackoff;
  helper.error = why;
  if (&helper == helpers_[0].get()) {
    probing_ = false;
    ready_ = false;
  }
  if (stopping_) return;
  milliseconds delay = options_.backoff_initial;
  for (int i = 0; i < helper.failures && delay < options_.backoff_max; ++i)
    delay *= 2;
  delay = std::min(delay, options_.backoff_max);
  ++helper.failures;
  spdlog::warn("{}: {}; starting it again in {:.1f} s", helper.name, why,
               static_cast<double>(delay.count()) / 1000.0);
  helper.restart_timer.expires_after(delay);
  helper.restart_timer.async_wait([this, &helper](const boost::system::error_code& ec) {
    if (ec || stopping_ || helper.state != State::kBackoff) return;
    launch(helper);
  });
}

bool DagsterUi::on_reaped(pid_t pid, ExitStatus status) {
  for (auto& owned : helpers_) {
    Helper& helper = *owned;
    if (helper.pid != pid) continue;
    helper.pid = -1;
    // The rest of its output is read to its end; the group stays in groups_ until it is empty.
    if (stopping_) {
      helper.state = State::kStopped;
      spdlog::info("{} stopped ({})", helper.name, status.describe());
      check_stopped();
    } else {
      if (steady_clock::now() - helper.started_at >= options_.backoff_reset_after) {
        helper.failures = 0;
      }
      groups_gone();  // forget the groups left empty
      restart_later(helper, "it exited (" + status.describe() + ")");
    }
    return true;
  }
  return false;
}

void DagsterUi::update_workspace_file() {
  json entries = json::array();
  for (const Location* location : supervisor_.locations()) {
    // What dagster_workspace_yaml reads of a locations.list entry: the name and the address (the
    // entry itself is the control layer's, daemon/control/location_status.h).
    LocationStatus status = location->status();
    const LocationStatus::DagsterGrpc& grpc = status.dagster_grpc;
    json address = nullptr;
    if (grpc.socket) {
      address = {{"socket", *grpc.socket}};
    } else if (grpc.kind == LocationStatus::DagsterGrpc::Kind::kAttached) {
      address = {{"host", grpc.host}, {"port", grpc.port}};
    }
    entries.push_back({{"name", status.name}, {"dagster_grpc", std::move(address)}});
  }
  std::string text = dagster_workspace_yaml(entries);
  if (text == written_) return;
  std::string error = write_file_atomically(workspace_file_, text, /*create_folder=*/true);
  if (!error.empty()) {
    spdlog::error("Dagster UI: cannot write its workspace: {}", error);
    if (!started_ || written_.empty()) error_ = error;
    return;
  }
  bool first = written_.empty();
  written_ = std::move(text);
  if (first) return;
  spdlog::info("Dagster UI: the locations changed; {} rewritten", workspace_file_.string());
  // The webserver reloads once the added locations have settled (so that their sockets are
  // there), or after settle_timeout.
  reload_pending_ = true;
  settle_timer_.expires_after(options_.settle_timeout);
  settle_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && reload_pending_) reload_webserver();
  });
}

void DagsterUi::reload_webserver() {
  // The webserver reads its workspace file when it starts and when asked to reload; the daemon
  // re-reads it on its own every minute.
  reload_pending_ = false;
  settle_timer_.cancel();
  if (!ready_ || stopping_) return;  // a webserver that starts reads the file anew anyway
  json body = {{"query", "mutation { reloadWorkspace { __typename } }"}};
  http_request(io_, options_.host, options_.port, "POST", "/graphql", body.dump(), kProbeTimeout,
               [](HttpAnswer answer) {
                 if (!answer.ok || answer.status != 200) {
                   spdlog::warn(
                       "Dagster UI: could not ask dagster-webserver to reload ({}); "
                       "use Reload in the UI",
                       answer.ok ? "status " + std::to_string(answer.status) : answer.error);
                 }
               });
}

void DagsterUi::stop_all(std::function<void()> done) {
  stopping_ = true;
  on_stopped_ = std::move(done);
  probing_ = false;
  settle_timer_.cancel();
  probe_timer_.cancel();
  for (auto& helper : helpers_) {
    helper->restart_timer.cancel();
    if (helper->pid > 0) {
      helper->state = State::kStopping;
    } else if (helper->state != State::kFailed) {
      helper->state = State::kStopped;
    }
  }
  if (!groups_.empty()) {
    spdlog::info("stopping dagster-webserver and dagster-daemon");
    for (pid_t group : groups_)
      signals_.stop_group(group, SIGTERM);
    kill_timer_.expires_after(options_.stop_timeout);
    kill_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      spdlog::warn("Dagster UI: still running after {} ms; SIGKILL", options_.stop_timeout.count());
      kill_all_now();
    });
  }
  check_stopped();
}

bool DagsterUi::groups_gone() {
  std::erase_if(groups_, [this](pid_t group) { return signals_.signal_group(group, 0) == ESRCH; });
  return groups_.empty();
}

void DagsterUi::check_stopped() {
  if (!stopping_ || !on_stopped_) return;
  bool running = std::any_of(helpers_.begin(), helpers_.end(),
                             [](const auto& helper) { return helper->pid > 0; });
  if (!running && groups_gone()) {
    kill_timer_.cancel();
    gone_timer_.cancel();
    boost::asio::post(io_, std::exchange(on_stopped_, nullptr));
    return;
  }
  // Members of a group other than its leader are not always the daemon's children: look again.
  gone_timer_.expires_after(kGoneInterval);
  gone_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) check_stopped();
  });
}

void DagsterUi::kill_all_now() {
  for (pid_t group : groups_)
    signals_.signal_group(group, SIGKILL);
}

json DagsterUi::info() const {
  json processes = json::array();
  for (const auto& helper : helpers_) {
    processes.push_back({{"name", helper->name},
                         {"pid", helper->pid > 0 ? json(helper->pid) : json(nullptr)},
                         {"state", state_text(static_cast<int>(helper->state))},
                         {"restarts", helper->starts > 0 ? helper->starts - 1 : 0},
                         {"error", helper->error.empty() ? json(nullptr) : json(helper->error)}});
  }
  return {{"url", url()},
          {"ready", ready_},
          {"python", python_.empty() ? json(nullptr) : json(python_)},
          {"workspace", workspace_file_.string()},
          {"dagster_home", home_.string()},
          {"error", error_.empty() ? json(nullptr) : json(error_)},
          {"processes", processes}};
}

}  // namespace codeloc::daemon
