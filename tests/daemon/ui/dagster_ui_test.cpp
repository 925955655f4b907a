#include "daemon/ui/dagster_ui.h"

#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "tests/daemon/fake_location_driver.h"
#include "tests/daemon/fake_process_signals.h"
#include "tests/daemon/temp_folder.h"

namespace codeloc::daemon {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using workspace::LocationKind;
using workspace::LocationSpec;

// Starts nothing: its pids are names only, and their signals go to a FakeProcessSignals.
class FakeHelperLauncher final : public ProcessLauncher {
 public:
  LaunchResult launch(const LaunchSpec& spec) override {
    launched.push_back(spec);
    if (on_launch) on_launch(spec);
    LaunchResult result;
    result.child.pid = next_pid++;
    return result;
  }
  std::vector<LaunchSpec> launched;
  pid_t next_pid = 4'000;
  std::function<void(const LaunchSpec&)> on_launch;
};

// What a started dagster-webserver answers on its port: GET /server_info, on the test's loop.
class FakeWebserver {
 public:
  FakeWebserver(boost::asio::io_context& io, std::uint16_t port)
      : acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), port}) {
    accept();
  }

 private:
  void accept() {
    acceptor_.async_accept(
        [this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
          if (ec) return;
          auto peer = std::make_shared<boost::asio::ip::tcp::socket>(std::move(socket));
          auto answer = std::make_shared<std::string>(
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 33\r\n"
              "Connection: close\r\n\r\n{\"dagster_webserver_version\":\"1\"}");
          boost::asio::async_write(*peer, boost::asio::buffer(*answer),
                                   [peer, answer](boost::system::error_code, std::size_t) {
                                     boost::system::error_code ignored;
                                     peer->shutdown(boost::asio::ip::tcp::socket::shutdown_both,
                                                    ignored);
                                   });
          accept();
        });
  }

  boost::asio::ip::tcp::acceptor acceptor_;
};

LocationSpec python_location(const std::string& name, std::optional<std::string> python) {
  LocationSpec spec;
  spec.name = name;
  spec.kind = LocationKind::kPythonFile;
  spec.target = "/ws/defs.py";
  spec.executable_path = std::move(python);
  return spec;
}

LocationSpec command_location(const std::string& name) {
  LocationSpec spec;
  spec.name = name;
  spec.kind = LocationKind::kCommand;
  spec.argv = {"/bin/" + name};
  return spec;
}

void make_executable(const std::filesystem::path& path) {
  testing::write_file(path, "#!/bin/sh\n");
  ::chmod(path.c_str(), 0755);
}

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A TCP port nothing listens on right now.
std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof in;
  ::bind(fd, reinterpret_cast<sockaddr*>(&in), sizeof in);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&in), &length);
  ::close(fd);
  return ntohs(in.sin_port);
}

TEST(UiInterpreter, UiPythonWinsOverTheLocations) {
  workspace::Workspace ws{{}, {python_location("a", "/usr/bin/true")}};
  std::string error;
  EXPECT_EQ(ui_interpreter("/bin/sh", ws, "python3", "/usr/bin:/bin", &error), "/bin/sh");
  EXPECT_EQ(error, "");
}

TEST(UiInterpreter, DefaultIsTheFirstPythonLocationsInterpreterUnresolvedThroughLinks) {
  testing::TempFolder folder;
  make_executable(folder / "venv/bin/python3.11");
  std::filesystem::create_symlink(folder / "venv/bin/python3.11", folder / "venv/bin/python");
  workspace::Workspace ws{
      {},
      {command_location("etl"), python_location("a", (folder / "venv/bin/python").string()),
       python_location("b", "/usr/bin/true")}};
  std::string error;
  EXPECT_EQ(ui_interpreter("", ws, "python3", "", &error), (folder / "venv/bin/python").string());
}

TEST(UiInterpreter, ALocationWithoutExecutablePathUsesThePythonSettingOnPath) {
  testing::TempFolder folder;
  make_executable(folder / "bin/python3");
  workspace::Workspace ws{{}, {python_location("a", std::nullopt)}};
  std::string error;
  EXPECT_EQ(ui_interpreter("", ws, "python3", (folder / "bin").string(), &error),
            (folder / "bin/python3").string());
  workspace::Workspace none{{}, {command_location("etl")}};
  EXPECT_EQ(ui_interpreter("", none, "python3", (folder / "bin").string(), &error),
            (folder / "bin/python3").string());
}

TEST(UiInterpreter, AMissingInterpreterSaysWhatWasLookedFor) {
  workspace::Workspace ws{{}, {python_location("a", "/nowhere/bin/python")}};
  std::string error;
  EXPECT_EQ(ui_interpreter("", ws, "python3", "/usr/bin", &error), "");
  EXPECT_EQ(error,
            "cannot find the Python interpreter '/nowhere/bin/python' (the interpreter of "
            "location 'a')");
  EXPECT_EQ(ui_interpreter("no-such-python", ws, "python3", "/nowhere", &error), "");
  EXPECT_EQ(error, "cannot find the Python interpreter 'no-such-python' (ui_python) on PATH");
}

TEST(DagsterHome, SettingThenEnvironmentThenStateDir) {
  EXPECT_EQ(dagster_home_for("/set", "/env", "/state"), "/set");
  EXPECT_EQ(dagster_home_for("", "/env", "/state"), "/env");
  EXPECT_EQ(dagster_home_for("", "", "/state"), "/state/dagster/home");
}

TEST(HelperEnvironment, DropsServiceManagerVariablesAndSetsDagsterHome) {
  EXPECT_THAT(helper_environment({"PATH=/bin", "NOTIFY_SOCKET=/run/n", "WATCHDOG_USEC=1",
                                  "WATCHDOG_PID=2", "DAGSTER_HOME=/old", "HOME=/home/ana"},
                                 "/new"),
              ElementsAre("PATH=/bin", "HOME=/home/ana", "DAGSTER_HOME=/new"));
}

class DagsterUiTest : public ::testing::Test {
 protected:
  DagsterUiTest() : settings_(config::Settings::defaults({}, 1000)) {
    make_executable(folder_ / "venv/bin/python");
    make_executable(folder_ / "venv/bin/dagster-webserver");
    make_executable(folder_ / "venv/bin/dagster-daemon");
    options_.state_dir = folder_ / "state";
    options_.ui_python = (folder_ / "venv/bin/python").string();
    options_.dagster_home = folder_ / "home";
    std::filesystem::create_directories(options_.dagster_home);
    options_.port = free_port();
    options_.backoff_initial = std::chrono::milliseconds(1);
    options_.backoff_max = std::chrono::milliseconds(4);
    options_.on_ready = [this](const std::string& url) { ready_.push_back(url); };
  }

  DagsterUi& make_ui() {
    // A launched webserver answers on its port, so that dagster-daemon follows it.
    ui_launcher_.on_launch = [this](const LaunchSpec& spec) {
      if (spec.argv[0].ends_with("dagster-webserver") && !webserver_) {
        webserver_.emplace(io_, options_.port);
      }
    };
    ui_.emplace(io_, ui_launcher_, supervisor_, options_, ui_signals_);
    supervisor_.add_helpers(&*ui_, HelperStop::kBeforeLocations);
    supervisor_.add_listener(&*ui_);
    return *ui_;
  }

  std::filesystem::path workspace_file() const {
    return options_.state_dir / "dagster/workspace.yaml";
  }

  testing::TempFolder folder_;
  boost::asio::io_context io_;
  testing::FakeClock clock_;
  FakeHelperLauncher launcher_;     // the locations'
  FakeHelperLauncher ui_launcher_;  // the helpers'
  config::Settings settings_;
  testing::FakeProcessSignals location_signals_;  // the locations' pids are names only too
  Supervisor supervisor_{io_, clock_, launcher_, settings_, LocationOptions{}, location_signals_};
  DagsterUiOptions options_;
  std::vector<std::string> ready_;
  std::optional<FakeWebserver> webserver_;
  // Every group is gone as soon as it is asked about, as for a helper that exits at once.
  testing::FakeProcessSignals ui_signals_ = [] {
    testing::FakeProcessSignals signals;
    signals.groups_exist = false;
    return signals;
  }();
  std::optional<DagsterUi> ui_;

  // Runs the loop until `count` helpers have been launched.
  void run_until_launched(std::size_t count) {
    while (ui_launcher_.launched.size() < count)
      io_.run_one();
  }
};

TEST_F(DagsterUiTest, WaitsForEveryLocationToSettleThenStartsBothHelpers) {
  DagsterUi& ui = make_ui();
  supervisor_.apply({{}, {command_location("etl")}});
  io_.poll();
  EXPECT_TRUE(ui_launcher_.launched.empty()) << "etl is still STARTING";
  EXPECT_EQ(ui.info()["processes"][0]["state"], "waiting");

  Location* etl = supervisor_.find("etl");
  pid_t pid = *etl->pid();
  etl->stop();
  etl->on_reaped(pid, ExitStatus{true, 15});
  etl->check_processes_gone();
  io_.poll();
  ASSERT_EQ(etl->state(), LocationState::kStopped);
  ASSERT_GE(ui_launcher_.launched.size(), 1u);
  EXPECT_THAT(ui_launcher_.launched[0].argv[0], HasSubstr("dagster-webserver"));
  if (ui_launcher_.launched.size() == 1) {
    EXPECT_TRUE(ready_.empty()) << "dagster-daemon starts once the webserver answers";
  }
  run_until_launched(2);
  EXPECT_THAT(ready_, ElementsAre("http://127.0.0.1:" + std::to_string(options_.port)));
  std::string bin = (folder_ / "venv/bin").string();
  std::string workspace = workspace_file().string();
  EXPECT_THAT(ui_launcher_.launched[0].argv,
              ElementsAre(bin + "/dagster-webserver", "-h", "127.0.0.1", "-p",
                          std::to_string(options_.port), "-w", workspace));
  EXPECT_THAT(ui_launcher_.launched[1].argv,
              ElementsAre(bin + "/dagster-daemon", "run", "-w", workspace));
  EXPECT_THAT(ui_launcher_.launched[0].env,
              Contains("DAGSTER_HOME=" + options_.dagster_home.string()));
  EXPECT_THAT(read(workspace_file()), HasSubstr("load_from: []"));
  nlohmann::json info = ui.info();
  EXPECT_EQ(info["processes"][0]["name"], "dagster-webserver");
  EXPECT_EQ(info["processes"][0]["state"], "running");
  EXPECT_EQ(info["processes"][0]["pid"], 4'000);
  EXPECT_EQ(info["processes"][1]["name"], "dagster-daemon");
  EXPECT_EQ(info["url"], "http://127.0.0.1:" + std::to_string(options_.port));
  EXPECT_EQ(info["error"], nullptr);
}

TEST_F(DagsterUiTest, AMissingWebserverIsOneErrorNamingThePathAndNothingStarts) {
  std::filesystem::remove(folder_ / "venv/bin/dagster-webserver");
  DagsterUi& ui = make_ui();
  supervisor_.apply({});
  io_.poll();
  EXPECT_TRUE(ui_launcher_.launched.empty());
  std::string error = ui.info()["error"];
  EXPECT_THAT(error, HasSubstr((folder_ / "venv/bin/dagster-webserver").string() +
                               " does not exist: `pip install dagster-webserver` into that "
                               "environment"));
  EXPECT_EQ(ui.info()["processes"][0]["state"], "failed");
  bool stopped = false;
  supervisor_.stop_all([&] { stopped = true; });
  io_.restart();  // the first poll ran out of work
  io_.poll();
  EXPECT_TRUE(stopped);
}

TEST_F(DagsterUiTest, AnExitedHelperStartsAgainAfterTheBackoff) {
  DagsterUi& ui = make_ui();
  supervisor_.apply({});
  run_until_launched(2);
  EXPECT_TRUE(ui.on_reaped(4'001, ExitStatus{false, 1}));  // dagster-daemon
  EXPECT_EQ(ui.info()["processes"][1]["state"], "backoff");
  EXPECT_EQ(ui.info()["processes"][1]["error"], "it exited (exited with code 1)");
  while (ui_launcher_.launched.size() < 3)
    io_.run_one();
  EXPECT_EQ(ui_launcher_.launched[2].argv[1], "run");
  EXPECT_EQ(ui.info()["processes"][1]["restarts"], 1);
  EXPECT_EQ(ui.info()["processes"][1]["state"], "running");
  EXPECT_FALSE(ui.on_reaped(12345, ExitStatus{}));
}

TEST_F(DagsterUiTest, StopsBeforeTheLocationsAndFinishesOnceItsProcessesAreGone) {
  DagsterUi& ui = make_ui();
  supervisor_.apply({{}, {command_location("etl")}});
  Location* etl = supervisor_.find("etl");
  pid_t etl_pid = *etl->pid();
  etl->stop();
  etl->on_reaped(etl_pid, ExitStatus{true, 15});
  etl->check_processes_gone();
  run_until_launched(2);
  supervisor_.find("etl")->start();
  ASSERT_EQ(supervisor_.find("etl")->state(), LocationState::kStarting);

  bool stopped = false;
  supervisor_.stop_all([&] { stopped = true; });
  io_.poll();
  EXPECT_EQ(supervisor_.find("etl")->state(), LocationState::kStarting)
      << "the locations wait for the UI to stop";
  EXPECT_EQ(ui.info()["processes"][0]["state"], "stopping");
  ui.on_reaped(4'000, ExitStatus{true, 15});
  ui.on_reaped(4'001, ExitStatus{true, 15});
  while (supervisor_.find("etl")->state() != LocationState::kStopping)
    io_.run_one();
  EXPECT_EQ(ui.info()["processes"][1]["state"], "stopped");
  EXPECT_FALSE(stopped);
}

TEST_F(DagsterUiTest, APortInUseIsRetriedWithItsReason) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  in.sin_port = htons(options_.port);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&in), sizeof in), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  DagsterUi& ui = make_ui();
  supervisor_.apply({});
  io_.poll();
  EXPECT_TRUE(ui_launcher_.launched.empty()) << "neither: dagster-daemon waits for the webserver";
  EXPECT_EQ(ui.info()["processes"][0]["state"], "backoff");
  EXPECT_THAT(ui.info()["processes"][0]["error"].get<std::string>(), HasSubstr("is in use"));
  EXPECT_TRUE(ready_.empty());
  ::close(fd);
  run_until_launched(1);
  EXPECT_THAT(ui_launcher_.launched[0].argv[0], HasSubstr("dagster-webserver"));
  EXPECT_EQ(ui.info()["processes"][0]["state"], "running");
  run_until_launched(2);
  EXPECT_EQ(ui_launcher_.launched[1].argv[1], "run");
  EXPECT_EQ(ready_.size(), 1u);
}

}  // namespace
}  // namespace codeloc::daemon
