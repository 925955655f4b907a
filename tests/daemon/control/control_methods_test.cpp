#include "daemon/control/control_methods.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "daemon/common/version.h"
#include "ipc/protocol.h"
#include "tests/daemon/fake_location_driver.h"

namespace codeloc::daemon {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
namespace error_code = ipc::error_code;

// What a fake location is; FakeLocation views share it, as Location views share the Location.
struct FakeLocationState {
  explicit FakeLocationState(std::string location_name) : name(std::move(location_name)) {}
  std::string name;
  LocationState state = LocationState::kLoaded;
  bool reload_queued = false;
  std::shared_ptr<const Snapshot> snapshot;
  std::optional<LocationError> error;
  LogRing logs{100, 1u << 20};
  std::vector<std::string> actions;  // "start", "stop", "restart", "reload: <cause>"
  struct Call {
    std::string method;
    json params;
    milliseconds timeout{0};
    std::function<void(ipc::RpcReply)> done;
  };
  std::vector<Call> calls;
};

class FakeLocation final : public ControlledLocation {
 public:
  explicit FakeLocation(std::shared_ptr<FakeLocationState> state) : s_(std::move(state)) {}

  const std::string& name() const override { return s_->name; }
  LocationState state() const override { return s_->state; }
  bool reload_queued() const override { return s_->reload_queued; }
  const std::shared_ptr<const Snapshot>& snapshot() const override { return s_->snapshot; }
  const std::optional<LocationError>& error() const override { return s_->error; }
  const LogRing& logs() const override { return s_->logs; }
  json status_json() const override {
    return {{"name", s_->name},
            {"state", state_name(s_->state)},
            {"definitions_version", s_->snapshot ? json(s_->snapshot->version) : json()},
            {"error", s_->error ? s_->error->detail : json()}};
  }
  void start() override { s_->actions.push_back("start"); }
  void stop() override { s_->actions.push_back("stop"); }
  void restart() override { s_->actions.push_back("restart"); }
  void request_reload(std::string cause) override { s_->actions.push_back("reload: " + cause); }
  void call(const std::string& method, const json& params, milliseconds timeout,
            std::function<void(ipc::RpcReply)> done) override {
    s_->calls.push_back({method, params, timeout, std::move(done)});
  }

 private:
  std::shared_ptr<FakeLocationState> s_;
};

class FakeHelpers final : public HelperProcesses {
 public:
  bool on_reaped(pid_t, ExitStatus) override { return false; }
  void stop_all(std::function<void()> done) override { done(); }
  void kill_all_now() override {}
  json info() const override { return json::array({{{"pid", 42}}}); }
  const char* info_key() const override { return "fork_servers"; }
};

class FakeSupervision final : public SupervisionApi {
 public:
  FakeLocationState& add(const std::string& name) {
    locations_.push_back(std::make_shared<FakeLocationState>(name));
    return *locations_.back();
  }

  std::vector<std::unique_ptr<const ControlledLocation>> locations() const override {
    std::vector<std::unique_ptr<const ControlledLocation>> out;
    for (const auto& state : locations_)
      out.push_back(std::make_unique<FakeLocation>(state));
    return out;
  }
  std::unique_ptr<ControlledLocation> find(const std::string& name) override {
    for (const auto& state : locations_) {
      if (state->name == name) return std::make_unique<FakeLocation>(state);
    }
    return nullptr;
  }
  std::vector<std::filesystem::path> workspace_files() const override { return files; }
  std::vector<const HelperProcesses*> helpers() const override { return helper_sets; }

  // As LocationWaiters: checked at once, then on recheck(); expire() is the deadline.
  void wait(const std::string& name, Settled settled, milliseconds timeout, Done done) override {
    std::unique_ptr<ControlledLocation> location = find(name);
    if (!location) return done(nullptr);
    if (settled(*location)) return done(location.get());
    waits.push_back({name, std::move(settled), timeout, std::move(done)});
  }
  void recheck() {
    std::vector<Wait> pending = std::move(waits);
    waits.clear();
    for (auto& w : pending) {
      std::unique_ptr<ControlledLocation> location = find(w.name);
      if (location && w.settled(*location)) {
        w.done(location.get());
      } else {
        waits.push_back(std::move(w));
      }
    }
  }
  void expire() {
    std::vector<Wait> pending = std::move(waits);
    waits.clear();
    for (auto& w : pending)
      w.done(nullptr);
  }

  WorkspaceReload reload_workspace() override {
    ++workspace_reloads;
    return next_reload;
  }

  struct Wait {
    std::string name;
    Settled settled;
    milliseconds timeout;
    Done done;
  };
  std::vector<Wait> waits;
  std::vector<std::filesystem::path> files;
  std::vector<const HelperProcesses*> helper_sets;
  WorkspaceReload next_reload;
  int workspace_reloads = 0;

 private:
  std::vector<std::shared_ptr<FakeLocationState>> locations_;
};

class RecordingSubscriber final : public EventSubscriber {
 public:
  void subscribe(std::set<std::string> given) override { topics = std::move(given); }
  std::optional<std::set<std::string>> topics;
};

std::shared_ptr<const Snapshot> snapshot_of(std::string bytes, std::string version) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->bytes = std::move(bytes);
  snapshot->version = std::move(version);
  return snapshot;
}

class ControlMethodsTest : public ::testing::Test {
 protected:
  ControlMethodsTest() {
    register_control_methods(table_);
    analytics_ = &supervision_.add("analytics");
    reporting_ = &supervision_.add("reporting");
  }

  // Sends one request; returns the answers sent so far (the request's, once it is answered).
  std::vector<json>& request(const std::string& method, json params = nullptr) {
    json frame = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}};
    if (!params.is_null()) frame["params"] = std::move(params);
    ControlCall call{context_, &subscriber_};
    table_.dispatch(frame.dump(), call, [this](ipc::OutgoingLine line) {
      answers_.push_back(json::parse(line.flatten()));
    });
    return answers_;
  }
  // The result of a request answered at once.
  json result(const std::string& method, json params = nullptr) {
    answers_.clear();
    request(method, std::move(params));
    EXPECT_EQ(answers_.size(), 1u);
    if (answers_.empty()) return nullptr;
    EXPECT_TRUE(answers_.back().contains("result")) << answers_.back().dump();
    return answers_.back().value("result", json());
  }
  // The error of a request answered at once.
  json error(const std::string& method, json params = nullptr) {
    answers_.clear();
    request(method, std::move(params));
    EXPECT_EQ(answers_.size(), 1u);
    if (answers_.empty()) return nullptr;
    EXPECT_TRUE(answers_.back().contains("error")) << answers_.back().dump();
    return answers_.back().value("error", json());
  }

  testing::FakeClock clock_;
  FakeSupervision supervision_;
  ControlContext context_{supervision_, clock_, "/run/codeloc/test.sock",
                          std::chrono::system_clock::time_point{}};
  RecordingSubscriber subscriber_;
  ipc::MethodTable<ControlCall> table_;
  std::vector<json> answers_;
  FakeLocationState* analytics_;
  FakeLocationState* reporting_;
};

TEST_F(ControlMethodsTest, DaemonInfoDescribesTheDaemonAndItsHelpers) {
  supervision_.files = {"/etc/codeloc/workspace.yaml"};
  FakeHelpers helpers;
  supervision_.helper_sets = {&helpers};
  json info = result(ipc::method::kDaemonInfo);
  EXPECT_EQ(info["name"], "codeloc");
  EXPECT_EQ(info["version"], codeloc_version());
  EXPECT_EQ(info["protocol_version"], ipc::kControlProtocolVersion);
  EXPECT_EQ(info["pid"], ::getpid());
  EXPECT_EQ(info["started_at"], "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(info["workspace_files"], json::array({"/etc/codeloc/workspace.yaml"}));
  EXPECT_EQ(info["socket"], "/run/codeloc/test.sock");
  EXPECT_EQ(info["locations"], 2);
  EXPECT_TRUE(info.contains("log_error"));
  EXPECT_EQ(info["fork_servers"], json::array({{{"pid", 42}}}));
  EXPECT_EQ(info["dagster_ui"], nullptr);
}

TEST_F(ControlMethodsTest, LocationsListHasEveryEntryInOrder) {
  json list = result(ipc::method::kLocationsList)["locations"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["name"], "analytics");
  EXPECT_EQ(list[1]["name"], "reporting");
  EXPECT_EQ(list[0]["state"], "LOADED");
}

TEST_F(ControlMethodsTest, LocationGetAnswersTheEntryOrUnknownLocation) {
  EXPECT_EQ(result(ipc::method::kLocationGet, {{"name", "reporting"}})["name"], "reporting");
  json unknown = error(ipc::method::kLocationGet, {{"name", "nope"}});
  EXPECT_EQ(unknown["code"], error_code::kUnknownLocation);
  EXPECT_EQ(unknown["message"], "no location named 'nope'");
  EXPECT_EQ(unknown["data"], json({{"name", "nope"}}));
}

TEST_F(ControlMethodsTest, BadParamsAreInvalidParams) {
  json missing = error(ipc::method::kLocationGet, json::object());
  EXPECT_EQ(missing["code"], error_code::kInvalidParams);
  EXPECT_EQ(missing["message"], "missing parameter 'name'");
  EXPECT_EQ(missing["data"], json({{"parameter", "name"}}));
  EXPECT_EQ(error(ipc::method::kLocationGet, {{"name", 3}})["code"], error_code::kInvalidParams);
  EXPECT_EQ(error(ipc::method::kLocationGet, json::array({"analytics"}))["code"],
            error_code::kInvalidParams);
  EXPECT_EQ(error(ipc::method::kLocationLogs, {{"name", "analytics"}, {"lines", -1}})["code"],
            error_code::kInvalidParams);
  EXPECT_EQ(error(ipc::method::kLocationReload, {{"name", "analytics"}, {"wait", "yes"}})["code"],
            error_code::kInvalidParams);
  EXPECT_EQ(error(ipc::method::kLocationStop, {{"name", "analytics"}, {"timeout", -5}})["code"],
            error_code::kInvalidParams);
  EXPECT_EQ(error(ipc::method::kLocationCall, {{"name", "analytics"}})["code"],
            error_code::kInvalidParams)
      << "location.call needs a method";
  EXPECT_TRUE(analytics_->actions.empty()) << "nothing is done on bad params";
  EXPECT_EQ(error("no.such.method")["code"], error_code::kMethodNotFound);
}

TEST_F(ControlMethodsTest, DefinitionsSpliceTheSnapshotBytesAsReceived) {
  analytics_->snapshot = snapshot_of(R"({"assets":[ 1,2 ]})", "sha256:abc");
  answers_.clear();
  request(ipc::method::kLocationDefinitions, {{"name", "analytics"}});
  ASSERT_EQ(answers_.size(), 1u);
  json answer = answers_[0]["result"];
  EXPECT_EQ(answer["name"], "analytics");
  EXPECT_EQ(answer["version"], "sha256:abc");
  EXPECT_EQ(answer["stale"], false);
  EXPECT_EQ(answer["not_modified"], false);
  EXPECT_EQ(answer["definitions"], json::parse(R"({"assets":[1,2]})"));

  // The bytes themselves, spacing included, are in the line.
  std::string line;
  ControlCall call{context_, &subscriber_};
  table_.dispatch(
      R"({"jsonrpc":"2.0","id":2,"method":"location.definitions","params":{"name":"analytics"}})",
      call, [&](ipc::OutgoingLine out) { line = out.flatten(); });
  EXPECT_NE(line.find(R"("definitions":{"assets":[ 1,2 ]}})"), std::string::npos) << line;
}

TEST_F(ControlMethodsTest, DefinitionsAnswerIsTheDocumentedLineByteForByte) {
  analytics_->snapshot = snapshot_of(R"({"a":1})", "sha256:\"q\"\x01");
  std::string line;
  ControlCall call{context_, &subscriber_};
  table_.dispatch(
      R"({"jsonrpc":"2.0","id":7,"method":"location.definitions","params":{"name":"analytics"}})",
      call, [&](ipc::OutgoingLine out) { line = out.flatten(); });
  EXPECT_EQ(line, R"({"jsonrpc":"2.0","id":7,"result":{"name":"analytics","not_modified":false,)"
                  R"("stale":false,"version":"sha256:\"q\"\u0001","definitions":{"a":1}}})");
}

TEST_F(ControlMethodsTest, DefinitionsNotModifiedWhenTheVersionMatches) {
  analytics_->snapshot = snapshot_of("{}", "sha256:abc");
  json same = result(ipc::method::kLocationDefinitions,
                     {{"name", "analytics"}, {"if_version", "sha256:abc"}});
  EXPECT_EQ(same, json({{"name", "analytics"},
                        {"version", "sha256:abc"},
                        {"stale", false},
                        {"not_modified", true}}));
  json other = result(ipc::method::kLocationDefinitions,
                      {{"name", "analytics"}, {"if_version", "sha256:old"}});
  EXPECT_EQ(other["not_modified"], false);
  EXPECT_EQ(other["definitions"], json::object());
}

TEST_F(ControlMethodsTest, DefinitionsAreStaleOutsideLoaded) {
  analytics_->snapshot = snapshot_of("{}", "sha256:abc");
  analytics_->state = LocationState::kReloading;
  EXPECT_EQ(result(ipc::method::kLocationDefinitions, {{"name", "analytics"}})["stale"], true);
}

TEST_F(ControlMethodsTest, DefinitionsWithoutSnapshotAreNotLoaded) {
  analytics_->state = LocationState::kLoadError;
  analytics_->error = LocationError{"ImportError: boom", {{"message", "boom"}}};
  json e = error(ipc::method::kLocationDefinitions, {{"name", "analytics"}});
  EXPECT_EQ(e["code"], error_code::kNotLoaded);
  EXPECT_EQ(e["message"],
            "location 'analytics' has no definitions (LOAD_ERROR: ImportError: boom)");
  EXPECT_EQ(e["data"], json({{"name", "analytics"}, {"state", "LOAD_ERROR"}}));

  reporting_->state = LocationState::kStarting;
  EXPECT_EQ(error(ipc::method::kLocationDefinitions, {{"name", "reporting"}})["message"],
            "location 'reporting' has no definitions (STARTING)");
  EXPECT_EQ(error(ipc::method::kLocationDefinitions, {{"name", "nope"}})["code"],
            error_code::kUnknownLocation);
}

TEST_F(ControlMethodsTest, LogsAnswerTheLastLines) {
  for (int i = 1; i <= 150; ++i) {
    LogLine line;
    line.stream = i % 2 ? OutputStream::kStdout : OutputStream::kStderr;
    line.pid = 7;
    line.text = "line " + std::to_string(i);
    analytics_->logs.push(line);
  }
  json logs = result(ipc::method::kLocationLogs, {{"name", "analytics"}, {"lines", 2}});
  EXPECT_EQ(logs["name"], "analytics");
  ASSERT_EQ(logs["lines"].size(), 2u);
  EXPECT_EQ(logs["lines"][0]["text"], "line 149");
  EXPECT_EQ(logs["lines"][0]["seq"], 149);
  EXPECT_EQ(logs["lines"][0]["stream"], "stdout");
  EXPECT_EQ(logs["lines"][1]["stream"], "stderr");
  EXPECT_EQ(logs["lines"][1]["pid"], 7);
  EXPECT_EQ(logs["lines"][1]["truncated"], false);
  EXPECT_TRUE(logs["lines"][1].contains("time"));
  EXPECT_EQ(result(ipc::method::kLocationLogs, {{"name", "analytics"}})["lines"].size(),
            static_cast<std::size_t>(ipc::kDefaultLogLines));
  EXPECT_EQ(error(ipc::method::kLocationLogs, {{"name", "nope"}})["code"],
            error_code::kUnknownLocation);
}

TEST_F(ControlMethodsTest, StartStopRestartActAndAnswerTheEntryAtOnce) {
  EXPECT_EQ(result(ipc::method::kLocationStart, {{"name", "analytics"}})["name"], "analytics");
  EXPECT_EQ(result(ipc::method::kLocationStop, {{"name", "analytics"}})["name"], "analytics");
  EXPECT_EQ(result(ipc::method::kLocationRestart, {{"name", "analytics"}})["name"], "analytics");
  EXPECT_EQ(analytics_->actions, (std::vector<std::string>{"start", "stop", "restart"}));
  EXPECT_TRUE(reporting_->actions.empty());
  for (const char* method :
       {ipc::method::kLocationStart, ipc::method::kLocationStop, ipc::method::kLocationRestart}) {
    EXPECT_EQ(error(method, {{"name", "nope"}})["code"], error_code::kUnknownLocation) << method;
  }
}

TEST_F(ControlMethodsTest, StopWithWaitAnswersOnceStopped) {
  answers_.clear();
  request(ipc::method::kLocationStop, {{"name", "analytics"}, {"wait", true}, {"timeout", 5000}});
  EXPECT_TRUE(answers_.empty()) << "still LOADED: no answer yet";
  ASSERT_EQ(supervision_.waits.size(), 1u);
  EXPECT_EQ(supervision_.waits[0].timeout, milliseconds(5000));
  analytics_->state = LocationState::kStopping;
  supervision_.recheck();
  EXPECT_TRUE(answers_.empty());
  analytics_->state = LocationState::kStopped;
  supervision_.recheck();
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0]["result"]["state"], "STOPPED");
}

TEST_F(ControlMethodsTest, StartWithWaitSettlesOnLoadedLoadErrorOrStoppedWithNothingQueued) {
  analytics_->state = LocationState::kStopped;
  answers_.clear();
  request(ipc::method::kLocationStart, {{"name", "analytics"}, {"wait", true}});
  ASSERT_EQ(answers_.size(), 1u) << "already settled: answered at once";
  EXPECT_EQ(supervision_.waits.size(), 0u);

  answers_.clear();
  analytics_->state = LocationState::kStarting;
  request(ipc::method::kLocationRestart, {{"name", "analytics"}, {"wait", true}});
  ASSERT_EQ(supervision_.waits.size(), 1u);
  EXPECT_EQ(supervision_.waits[0].timeout, milliseconds(ipc::kDefaultWaitTimeoutMs));
  analytics_->state = LocationState::kLoaded;
  analytics_->reload_queued = true;
  supervision_.recheck();
  EXPECT_TRUE(answers_.empty()) << "a queued reload is not settled";
  analytics_->reload_queued = false;
  analytics_->state = LocationState::kLoadError;
  supervision_.recheck();
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0]["result"]["state"], "LOAD_ERROR");
}

TEST_F(ControlMethodsTest, WaitPastItsTimeoutIsATimeoutError) {
  analytics_->state = LocationState::kStarting;
  answers_.clear();
  request(ipc::method::kLocationStart, {{"name", "analytics"}, {"wait", true}, {"timeout", 25}});
  supervision_.expire();
  ASSERT_EQ(answers_.size(), 1u);
  json e = answers_[0]["error"];
  EXPECT_EQ(e["code"], error_code::kTimeout);
  EXPECT_EQ(e["message"], "location 'analytics' did not settle within 25 ms");
  EXPECT_EQ(e["data"], json({{"name", "analytics"}}));
}

TEST_F(ControlMethodsTest, ReloadRequestsAReloadAndAnswersWithoutWaiting) {
  analytics_->snapshot = snapshot_of("{}", "sha256:old");
  json reload = result(ipc::method::kLocationReload, {{"name", "analytics"}});
  EXPECT_EQ(analytics_->actions, (std::vector<std::string>{"reload: requested"}));
  EXPECT_EQ(reload["name"], "analytics");
  EXPECT_EQ(reload["state"], "LOADED");
  EXPECT_EQ(reload["previous_version"], "sha256:old");
  EXPECT_EQ(reload["version"], "sha256:old");
  EXPECT_EQ(reload["changed"], false);
  EXPECT_TRUE(reload["duration_ms"].is_number_integer());
  EXPECT_EQ(reload["error"], nullptr);
  EXPECT_EQ(reload["location"]["name"], "analytics");
  EXPECT_EQ(error(ipc::method::kLocationReload, {{"name", "nope"}})["code"],
            error_code::kUnknownLocation);
}

TEST_F(ControlMethodsTest, ReloadWithWaitAnswersTheNewVersionOnceSettled) {
  answers_.clear();
  analytics_->state = LocationState::kStopped;
  // A STOPPED location with no snapshot: previous_version is null.
  request(ipc::method::kLocationReload, {{"name", "analytics"}, {"wait", true}});
  ASSERT_EQ(answers_.size(), 1u) << "settled at once (the fake does not start)";
  EXPECT_EQ(answers_[0]["result"]["previous_version"], nullptr);
  EXPECT_EQ(answers_[0]["result"]["changed"], false);

  answers_.clear();
  analytics_->state = LocationState::kLoaded;
  analytics_->snapshot = snapshot_of("{}", "sha256:old");
  analytics_->reload_queued = true;
  request(ipc::method::kLocationReload, {{"name", "analytics"}, {"wait", true}});
  EXPECT_TRUE(answers_.empty());
  analytics_->state = LocationState::kReloading;
  analytics_->reload_queued = false;
  supervision_.recheck();
  EXPECT_TRUE(answers_.empty());
  analytics_->state = LocationState::kLoaded;
  analytics_->snapshot = snapshot_of("{}", "sha256:new");
  supervision_.recheck();
  ASSERT_EQ(answers_.size(), 1u);
  json reload = answers_[0]["result"];
  EXPECT_EQ(reload["previous_version"], "sha256:old");
  EXPECT_EQ(reload["version"], "sha256:new");
  EXPECT_EQ(reload["changed"], true);
}

TEST_F(ControlMethodsTest, ReloadWithWaitTimesOut) {
  analytics_->state = LocationState::kReloading;
  answers_.clear();
  request(ipc::method::kLocationReload, {{"name", "analytics"}, {"wait", true}, {"timeout", 1}});
  supervision_.expire();
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0]["error"]["code"], error_code::kTimeout);
}

TEST_F(ControlMethodsTest, CallRelaysToTheCodeServerAndItsAnswerBack) {
  answers_.clear();
  request(ipc::method::kLocationCall,
          {{"name", "analytics"}, {"method", "dagster.health"}, {"params", {{"x", 1}}}});
  ASSERT_EQ(analytics_->calls.size(), 1u);
  EXPECT_EQ(analytics_->calls[0].method, "dagster.health");
  EXPECT_EQ(analytics_->calls[0].params, json({{"x", 1}}));
  EXPECT_EQ(analytics_->calls[0].timeout, milliseconds(ipc::kDefaultCallTimeoutMs));
  EXPECT_TRUE(answers_.empty());
  analytics_->calls[0].done(ipc::RpcReply::success(R"({"ok": true})"));
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0]["result"], json({{"ok", true}}));

  answers_.clear();
  request(ipc::method::kLocationCall, {{"name", "analytics"}, {"method", "m"}, {"timeout", 10}});
  ASSERT_EQ(analytics_->calls.size(), 2u);
  EXPECT_EQ(analytics_->calls[1].params, json::object()) << "no params: an empty object";
  EXPECT_EQ(analytics_->calls[1].timeout, milliseconds(10));
  analytics_->calls[1].done(ipc::RpcReply::failure(
      ipc::RpcError(error_code::kLocationUnavailable, "no code server runs")));
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0]["error"]["code"], error_code::kLocationUnavailable);
  EXPECT_EQ(answers_[0]["error"]["message"], "no code server runs");

  EXPECT_EQ(error(ipc::method::kLocationCall, {{"name", "nope"}, {"method", "m"}})["code"],
            error_code::kUnknownLocation);
}

TEST_F(ControlMethodsTest, WorkspaceReloadAnswersTheDiff) {
  workspace::WorkspaceDiff diff;
  diff.added = {"etl"};
  diff.changed = {{"analytics", {"env"}}};
  diff.unchanged = {"reporting"};
  supervision_.next_reload.diff = diff;
  json answer = result(ipc::method::kWorkspaceReload);
  EXPECT_EQ(supervision_.workspace_reloads, 1);
  EXPECT_EQ(answer, json::parse(R"({"added":["etl"],"removed":[],
      "changed":[{"name":"analytics","fields":["env"]}],"unchanged":["reporting"]})"));
}

TEST_F(ControlMethodsTest, WorkspaceReloadWithErrorsIsWorkspaceInvalid) {
  supervision_.next_reload.errors = {"workspace.yaml:3:5: unknown key 'pyhton_file'"};
  json e = error(ipc::method::kWorkspaceReload);
  EXPECT_EQ(e["code"], error_code::kWorkspaceInvalid);
  EXPECT_EQ(e["message"], "the workspace has errors; nothing was changed");
  EXPECT_EQ(e["data"]["errors"], json::array({"workspace.yaml:3:5: unknown key 'pyhton_file'"}));
}

TEST_F(ControlMethodsTest, EventsSubscribeTakesKnownTopicsOrTheDefaults) {
  json defaults = result(ipc::method::kEventsSubscribe);
  EXPECT_EQ(defaults["topics"], json(kDefaultEventTopics));
  EXPECT_EQ(subscriber_.topics, kDefaultEventTopics);

  json logs = result(ipc::method::kEventsSubscribe, {{"topics", {"logs", "state"}}});
  EXPECT_EQ(logs["topics"], json::array({"logs", "state"}));
  EXPECT_EQ(subscriber_.topics, (std::set<std::string>{"logs", "state"}));

  json bad = error(ipc::method::kEventsSubscribe, {{"topics", {"state", "weather"}}});
  EXPECT_EQ(bad["code"], error_code::kInvalidParams);
  EXPECT_EQ(bad["message"],
            "parameter 'topics': unknown topic 'weather' (topics are state, definitions, reload, "
            "workspace, logs)");
  EXPECT_EQ(bad["data"], json({{"parameter", "topics"}}));
  EXPECT_EQ(subscriber_.topics, (std::set<std::string>{"logs", "state"})) << "unchanged";
}

TEST_F(ControlMethodsTest, EventsSubscribeWithoutASubscriberIsAnInternalError) {
  ControlCall call{context_, nullptr};
  json answer;
  table_.dispatch(R"({"jsonrpc":"2.0","id":1,"method":"events.subscribe"})", call,
                  [&](ipc::OutgoingLine line) { answer = json::parse(line.flatten()); });
  EXPECT_EQ(answer["error"]["code"], error_code::kInternalError);
}

}  // namespace
}  // namespace codeloc::daemon
