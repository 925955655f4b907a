// config/defaults.h is the one source of the built-in defaults: the settings start from it (and
// setting_table_test holds docs/configuration.md's table to the settings), and so does every part
// that takes a setting, so that a part built without the settings behaves as the daemon does.
#include "config/defaults.h"

#include <gtest/gtest.h>

#include "config/settings.h"
#include "daemon/processes/fork_server_pool.h"
#include "daemon/supervision/location.h"
#include "daemon/supervision/location_machine.h"
#include "daemon/supervision/location_watches.h"
#include "daemon/ui/dagster_ui.h"
#include "daemon/watching/watch_spec.h"
#include "ipc/line_channel.h"
#include "ipc/protocol.h"

namespace codeloc {
namespace {

TEST(Defaults, SupervisionPolicyIsTheSettingsDefault) {
  config::Settings settings = config::Settings::defaults({}, 1000);
  daemon::SupervisionPolicy policy;
  EXPECT_EQ(policy.restart, settings.restart_defaults.policy);
  EXPECT_EQ(policy.backoff_initial, settings.restart_defaults.backoff_initial);
  EXPECT_EQ(policy.backoff_max, settings.restart_defaults.backoff_max);
  EXPECT_EQ(policy.backoff_reset_after, settings.restart_defaults.backoff_reset_after);
  EXPECT_EQ(policy.startup_timeout, settings.restart_defaults.startup_timeout);
  EXPECT_EQ(policy.stop_timeout, settings.restart_defaults.stop_timeout);
  EXPECT_EQ(policy.stop_signal, settings.restart_defaults.stop_signal);
  EXPECT_EQ(policy.ping_interval, settings.ping_interval);
  EXPECT_EQ(static_cast<std::uint64_t>(policy.ping_misses), settings.ping_misses);
}

TEST(Defaults, LocationOptionsAreTheSettingsDefault) {
  config::Settings settings = config::Settings::defaults({}, 1000);
  daemon::LocationOptions options;
  EXPECT_EQ(options.default_python, settings.python);
  EXPECT_EQ(options.log_ring_lines, settings.log_ring_lines);
  EXPECT_EQ(options.log_ring_bytes, settings.log_ring_bytes);
  EXPECT_EQ(options.log_line_max_bytes, settings.log_line_max_bytes);
  EXPECT_EQ(options.max_message_bytes, settings.max_message_bytes);
  EXPECT_EQ(options.warm, settings.warm);
  EXPECT_EQ(options.dagster_grpc, settings.dagster_grpc);
  EXPECT_EQ(options.drain_timeout, settings.drain_timeout);
}

TEST(Defaults, HelperOptionsAreTheSettingsDefault) {
  config::Settings settings = config::Settings::defaults({}, 1000);
  daemon::ForkServerOptions fork;
  EXPECT_EQ(fork.preload, settings.warm_preload);
  EXPECT_EQ(fork.log_line_max_bytes, settings.log_line_max_bytes);
  daemon::DagsterUiOptions ui;
  EXPECT_EQ(ui.default_python, settings.python);
  EXPECT_EQ(ui.host, settings.ui_host);
  EXPECT_EQ(ui.port, settings.ui_port);
  EXPECT_EQ(ui.stop_timeout, settings.restart_defaults.stop_timeout);
  EXPECT_EQ(ui.log_line_max_bytes, settings.log_line_max_bytes);
}

TEST(Defaults, WatchOptionsAreTheSettingsDefault) {
  config::Settings settings = config::Settings::defaults({}, 1000);
  daemon::WatchSpec spec;
  EXPECT_EQ(spec.debounce, settings.watch_debounce);
  EXPECT_EQ(spec.poll_interval, settings.watch_poll_interval);
  daemon::LocationWatches::Options watches;
  EXPECT_EQ(watches.debounce, settings.watch_debounce);
  EXPECT_EQ(watches.poll_interval, settings.watch_poll_interval);
}

TEST(Defaults, WireLimitsAreTheProtocolOnes) {
  config::Settings settings = config::Settings::defaults({}, 1000);
  EXPECT_EQ(settings.max_request_bytes, ipc::kDefaultMaxRequestBytes);
  EXPECT_EQ(settings.max_message_bytes, ipc::kDefaultMaxCodeServerMessageBytes);
  EXPECT_EQ(ipc::LineChannel::Options{}.max_queued_bytes, ipc::kDefaultMaxQueuedBytes);
}

}  // namespace
}  // namespace codeloc
