// location_status_json: the locations.list entry of docs/protocol.md, from hand-built statuses.
#include "daemon/control/location_status.h"

#include <csignal>

#include <gtest/gtest.h>

namespace codeloc::daemon {
namespace {

using nlohmann::json;

// 2026-11-23T20:00:01.250Z, the time in docs/protocol.md's example.
std::chrono::system_clock::time_point status_example_time() {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(1795464001250));
}

LocationStatus status_loaded_python() {
  LocationStatus status;
  status.name = "analytics";
  status.kind = workspace::LocationKind::kPythonFile;
  status.state = LocationState::kLoaded;
  status.pid = 4242;
  status.restarts = 0;
  status.reloads = 2;
  status.since = status_example_time();
  status.definitions_version = "sha256:9f2c";
  status.start_mode = "warm";
  status.dagster_grpc.kind = LocationStatus::DagsterGrpc::Kind::kServed;
  status.dagster_grpc.socket = "/var/lib/codeloc/dagster/analytics.sock";
  status.dagster_grpc.published = true;
  return status;
}

TEST(LocationStatusJson, LoadedPythonLocationMatchesTheProtocolExample) {
  json entry = location_status_json(status_loaded_python());
  json expected = json::parse(R"({"name":"analytics","kind":"python_file","state":"LOADED",
      "pid":4242,"restarts":0,"reloads":2,"reload_queued":false,
      "since":"2026-11-23T20:00:01.250Z","last_exit":null,
      "error":null,"definitions_version":"sha256:9f2c","start_mode":"warm","cold_reason":null,
      "dagster_grpc":{"socket":"/var/lib/codeloc/dagster/analytics.sock","published":true,
                      "error":null},
      "draining":[]})");
  EXPECT_EQ(entry, expected) << entry.dump();
}

TEST(LocationStatusJson, EveryStateHasItsDocumentedName) {
  const std::pair<LocationState, const char*> names[] = {
      {LocationState::kStopped, "STOPPED"},      {LocationState::kStarting, "STARTING"},
      {LocationState::kLoaded, "LOADED"},        {LocationState::kReloading, "RELOADING"},
      {LocationState::kLoadError, "LOAD_ERROR"}, {LocationState::kBackoff, "BACKOFF"},
      {LocationState::kStopping, "STOPPING"},
  };
  for (const auto& [state, name] : names) {
    LocationStatus status;
    status.state = state;
    EXPECT_EQ(location_status_json(status)["state"], name);
  }
}

TEST(LocationStatusJson, StoppedLocationHasNullsWhereNothingIsKnown) {
  LocationStatus status;
  status.name = "etl";
  status.kind = workspace::LocationKind::kCommand;
  json entry = location_status_json(status);
  EXPECT_EQ(entry["kind"], "command");
  EXPECT_EQ(entry["state"], "STOPPED");
  for (const char* key : {"pid", "last_exit", "error", "definitions_version", "start_mode",
                          "cold_reason", "dagster_grpc"}) {
    ASSERT_TRUE(entry.contains(key)) << key;
    EXPECT_TRUE(entry[key].is_null()) << key << ": " << entry[key].dump();
  }
  EXPECT_EQ(entry["draining"], json::array());
  EXPECT_EQ(entry["since"], "1970-01-01T00:00:00.000Z");
}

TEST(LocationStatusJson, LastExitIsACodeOrASignalName) {
  LocationStatus status;
  status.last_exit = ExitStatus{false, 3};
  EXPECT_EQ(location_status_json(status)["last_exit"], (json{{"code", 3}}));
  status.last_exit = ExitStatus{true, SIGKILL};
  EXPECT_EQ(location_status_json(status)["last_exit"], (json{{"signal", "SIGKILL"}}));
}

TEST(LocationStatusJson, ErrorIsTheCodeServersObjectOrAMessage) {
  LocationStatus status;
  status.state = LocationState::kBackoff;
  status.error = "exited with code 3";
  EXPECT_EQ(location_status_json(status)["error"], (json{{"message", "exited with code 3"}}));

  status.state = LocationState::kLoadError;
  status.error = "ImportError: no module named x";
  status.error_detail =
      json{{"message", "ImportError: no module named x"}, {"type", "ImportError"}};
  EXPECT_EQ(location_status_json(status)["error"], *status.error_detail);
}

TEST(LocationStatusJson, ColdStartCarriesItsReason) {
  LocationStatus status = status_loaded_python();
  status.start_mode = "cold";
  status.cold_reason = "the fork server is starting";
  json entry = location_status_json(status);
  EXPECT_EQ(entry["start_mode"], "cold");
  EXPECT_EQ(entry["cold_reason"], "the fork server is starting");
}

TEST(LocationStatusJson, DrainingListsThePidsInOrder) {
  LocationStatus status = status_loaded_python();
  status.draining = {4100, 4200};
  EXPECT_EQ(location_status_json(status)["draining"], (json{4100, 4200}));
}

TEST(LocationStatusJson, RestartsAndReloadsAreCounts) {
  LocationStatus status;
  status.restarts = 5;
  status.reloads = 7;
  json entry = location_status_json(status);
  EXPECT_EQ(entry["restarts"], 5);
  EXPECT_EQ(entry["reloads"], 7);
}

TEST(LocationStatusJson, ReloadQueuedSaysAChangeWaitsForTheRunningLoad) {
  LocationStatus status;
  status.state = LocationState::kStarting;
  EXPECT_EQ(location_status_json(status)["reload_queued"], false);
  status.reload_queued = true;
  EXPECT_EQ(location_status_json(status)["reload_queued"], true);
}

TEST(LocationStatusJson, UnpublishedServedSocketSaysWhy) {
  LocationStatus::DagsterGrpc grpc;
  grpc.kind = LocationStatus::DagsterGrpc::Kind::kServed;
  grpc.socket = "/state/dagster/etl.sock";
  grpc.published = false;
  grpc.error = "no loaded generation";
  EXPECT_EQ(dagster_grpc_json(grpc), (json{{"socket", "/state/dagster/etl.sock"},
                                           {"published", false},
                                           {"error", "no loaded generation"}}));
}

TEST(LocationStatusJson, AttachedServerIsItsSocketOrHostAndPort) {
  LocationStatus::DagsterGrpc grpc;
  grpc.kind = LocationStatus::DagsterGrpc::Kind::kAttached;
  grpc.socket = "/run/their.sock";
  EXPECT_EQ(dagster_grpc_json(grpc), (json{{"socket", "/run/their.sock"}}));

  grpc.socket.reset();
  grpc.host = "localhost";
  grpc.port = 4266;
  EXPECT_EQ(dagster_grpc_json(grpc), (json{{"host", "localhost"}, {"port", 4266}}));

  LocationStatus status;
  status.kind = workspace::LocationKind::kGrpcServer;
  status.dagster_grpc = grpc;
  json entry = location_status_json(status);
  EXPECT_EQ(entry["kind"], "grpc_server");
  EXPECT_EQ(entry["dagster_grpc"], (json{{"host", "localhost"}, {"port", 4266}}));
}

TEST(LocationStatusJson, NoDagsterGrpcIsNull) {
  EXPECT_TRUE(dagster_grpc_json(LocationStatus::DagsterGrpc{}).is_null());
}

}  // namespace
}  // namespace codeloc::daemon
