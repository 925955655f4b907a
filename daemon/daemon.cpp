#include "daemon/daemon.h"

#include <cstdlib>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>

#include "daemon/common/version.h"
#include "daemon/control/control_server.h"
#include "daemon/control/event_log.h"
#include "daemon/control/live_supervision.h"
#include "daemon/logs/log_context.h"
#include "daemon/processes/code_server_locator.h"
#include "daemon/processes/fork_server_pool.h"
#include "daemon/processes/orphan_sentinel.h"
#include "daemon/service/sd_notify_sender.h"
#include "daemon/service/service_notifier.h"
#include "daemon/service/watchdog_timer.h"
#include "daemon/supervision/location_watches.h"
#include "daemon/supervision/supervisor.h"
#include "daemon/supervision/workspace_reload.h"
#include "daemon/ui/dagster_ui.h"

namespace codeloc::daemon {
namespace {

// Turns signals into supervisor calls. SIGTERM/SIGINT: stop everything, then leave the loop; a
// second SIGINT: kill at once. SIGHUP: re-read the workspace and apply the diff (not once the
// shutdown started). SIGCHLD: reap.
// The service manager, when there is one (`notifier` not null), hears of reloads and the stop.
class SignalHandling {
 public:
  SignalHandling(boost::asio::io_context& io, Supervisor& supervisor,
                 std::vector<std::string> files, ServiceNotifier* notifier)
      : io_(io),
        supervisor_(supervisor),
        files_(std::move(files)),
        notifier_(notifier),
        children_(io, SIGCHLD),
        control_(io, SIGTERM, SIGINT, SIGHUP) {}

  void start() {
    wait_children();
    wait_control();
  }

 private:
  void wait_children() {
    children_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      supervisor_.reap();
      wait_children();
    });
  }

  void wait_control() {
    control_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP && stopping_) {
        // Applying a workspace now would start locations that stop_all is not waiting for.
        spdlog::warn("SIGHUP received while stopping: ignored");
      } else if (signal == SIGHUP) {
        reload();
      } else if (!stopping_) {
        stopping_ = true;
        spdlog::info("{} received: stopping every location (Ctrl-C again kills at once)",
                     signal == SIGINT ? "SIGINT" : "SIGTERM");
        if (notifier_) notifier_->stopping();
        supervisor_.stop_all([this] {
          spdlog::info("every location stopped; exiting");
          children_.cancel();
          control_.cancel();
          io_.stop();
        });
      } else if (signal == SIGINT) {
        spdlog::warn("second SIGINT: killing every process now");
        supervisor_.kill_all_now();
      }
      wait_control();
    });
  }

  void reload() {
    spdlog::info("SIGHUP received: reloading the workspace");
    if (notifier_) notifier_->reload_started();
    reload_workspace(supervisor_, files_);
    if (notifier_) notifier_->reload_finished();
  }

  boost::asio::io_context& io_;
  Supervisor& supervisor_;
  std::vector<std::string> files_;
  ServiceNotifier* notifier_;
  boost::asio::signal_set children_;
  boost::asio::signal_set control_;
  bool stopping_ = false;
};

}  // namespace

int run_daemon(const DaemonOptions& options) {
  // Orphaned descendants of our children are re-parented to us, so we can reap and kill them.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    spdlog::warn("cannot become a child subreaper; escaped grandchildren may outlive a stop");
  }
  ::signal(SIGPIPE, SIG_IGN);
#if defined(__GLIBC__)
  // Allocations of 128 KiB or more always get a mapping of their own: glibc's default threshold,
  // but fixed (glibc raises it after each such free, up to 32 MiB, and big buffers then come from
  // the heap). So a worker thread freeing a big snapshot's pieces unmaps them without holding the
  // main arena's lock, which the loop waited on for 4-8 ms (perf trace: futex), and their memory
  // goes back to the system at once.
  ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
  OrphanSentinel sentinel;
  if (!sentinel.running()) {
    spdlog::warn(
        "cannot start the orphan sentinel; if codeloc is killed, grandchildren of "
        "locations may outlive it");
  }

  auto initial = load_workspace_files(options.workspace_files).workspace;
  if (!initial) {
    spdlog::error("the workspace has errors; not starting");
    return 1;
  }

  LocationOptions location_options;
  if (auto code_server = locate_code_server()) {
    location_options.code_server = *code_server;
  } else {
    spdlog::warn("codeloc's Python code server was not found; Python locations cannot start");
  }
  const config::Settings& settings = options.settings;
  location_options.default_python = settings.python;
  location_options.log_ring_lines = settings.log_ring_lines;
  location_options.log_ring_bytes = settings.log_ring_bytes;
  location_options.log_line_max_bytes = settings.log_line_max_bytes;
  location_options.max_message_bytes = settings.max_message_bytes;
  location_options.warm = settings.warm;
  location_options.control_socket = settings.socket;
  location_options.state_dir = settings.state_dir;
  location_options.dagster_grpc = settings.dagster_grpc;
  location_options.drain_timeout = settings.drain_timeout;

  boost::asio::io_context io;
  SystemClock clock;
  ForkExecLauncher cold_launcher;
  ForkServerOptions fork_options;
  fork_options.code_server = location_options.code_server;
  fork_options.preload = settings.warm_preload;
  fork_options.log_line_max_bytes = settings.log_line_max_bytes;
  ForkServerPool launcher(io, cold_launcher, fork_options);
  Supervisor supervisor(io, clock, launcher, settings, location_options, ProcessSignals::system());
  supervisor.add_helpers(&launcher, HelperStop::kAfterLocations);
  std::optional<DagsterUi> ui;
  if (settings.ui) {
    DagsterUiOptions ui_options = dagster_ui_options(settings);
    ui_options.on_ready = options.on_ui_ready;
    ui.emplace(io, cold_launcher, supervisor, std::move(ui_options));
    supervisor.add_helpers(&*ui, HelperStop::kBeforeLocations);
    supervisor.add_listener(&*ui);
  }
  EventLog event_log(clock);
  if (options.log_location_events) supervisor.add_listener(&event_log);
  for (SupervisorListener* listener : options.listeners)
    supervisor.add_listener(listener);
  LiveSupervision supervision(io, supervisor, options.workspace_files);
  ControlServer control(io, settings, supervisor, supervision, clock);
  std::string error;
  if (!control.open(&error)) {
    spdlog::error("{}", error);
    return 1;
  }
  // systemd's Type=notify protocol, only when a service manager listens.
  SdNotifySender notify_sender;
  std::optional<ServiceNotifier> notifier;
  std::optional<WatchdogTimer> watchdog;
  if (SdNotifySender::requested()) {
    notifier.emplace(notify_sender, [&supervisor] {
      std::vector<LocationState> states;
      for (const Location* location : supervisor.locations())
        states.push_back(location->state());
      return states;
    });
    supervisor.add_listener(&*notifier);
    if (auto period = notifier->watchdog_period()) {
      watchdog.emplace(io, *period, [&notifier] { notifier->watchdog_ping(); });
      watchdog->start();
    }
  }
  SignalHandling signals(io, supervisor, options.workspace_files, notifier ? &*notifier : nullptr);
  signals.start();
  std::optional<FileWatcher> watcher;
  std::optional<LocationWatches> watches;
  if (settings.watch) {
    watcher.emplace(io, system_inotify(), [](const std::string& label, const std::string& message) {
      log_location(spdlog::level::warn, label, "{}: {}", label, message);
    });
    watches.emplace(*watcher, supervisor,
                    LocationWatches::Options{options.workspace_files, settings.watch_debounce,
                                             settings.watch_poll_interval});
    supervisor.add_listener(&*watches);
  }
  spdlog::info("codeloc {} serving {} location(s); control socket {}", codeloc_version(),
               initial->locations.size(), settings.socket.string());
  supervisor.apply(std::move(*initial));
  if (watches) {
    spdlog::info("watching {} location(s) and the workspace file(s) for changes",
                 supervisor.locations().size());
  }
  io.run();
  control.close();
  return 0;
}

}  // namespace codeloc::daemon
