// libFuzzer target for the control protocol's request handling (docs/fuzzing.md): one request
// line goes through MethodTable::dispatch with the real control methods, over a Supervisor whose
// locations run on a fake launcher. Property: nothing crashes, and the answer is what JSON-RPC
// asks for: one well-formed response carrying the request's id, a batch's array of responses, or
// nothing for notifications and stray responses.
//
// The methods that act on processes or files (start, stop, restart, reload, call,
// workspace.reload) are replaced by stubs, so that each input sees the same daemon state and a
// crash replays from its input alone; their parameter handling is not covered here.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "config/settings.h"
#include "daemon/control/control_methods.h"
#include "daemon/control/live_supervision.h"
#include "daemon/processes/process_signals.h"
#include "ipc/json_rpc.h"
#include "ipc/protocol.h"

namespace {

using namespace codeloc;
using nlohmann::json;

// Starts nothing: its pids are names only, and their signals go to NullSignals.
class FakeLauncher final : public daemon::ProcessLauncher {
 public:
  daemon::LaunchResult launch(const daemon::LaunchSpec&) override {
    daemon::LaunchResult result;
    result.child.pid = next_pid_++;
    return result;
  }

 private:
  pid_t next_pid_ = 4'000;
};

// Sends nothing and finds no process (tests/daemon/fake_process_signals.h records; this needs not).
class NullSignals final : public daemon::ProcessSignals {
 public:
  std::optional<daemon::ReapedChild> reap_child() override { return std::nullopt; }
  int signal_group(pid_t, int) override { return 0; }
  int signal_process(pid_t, int) override { return 0; }
  std::vector<pid_t> location_processes(pid_t, const std::string&) override { return {}; }
};

class NullSubscriber final : public daemon::EventSubscriber {
 public:
  void subscribe(std::set<std::string>) override {}
};

workspace::LocationSpec command(const std::string& name) {
  workspace::LocationSpec spec;
  spec.name = name;
  spec.kind = workspace::LocationKind::kCommand;
  spec.argv = {"/bin/" + name};
  spec.working_directory = "/";
  return spec;
}

// The daemon state every input sees. Built once and never destroyed (handlers keep no state).
struct Fixture {
  boost::asio::io_context io;
  daemon::SystemClock clock;
  FakeLauncher launcher;
  NullSignals signals;
  config::Settings settings = config::Settings::defaults({}, 1000);
  daemon::Supervisor supervisor{io, clock, launcher, settings, daemon::LocationOptions{}, signals};
  daemon::LiveSupervision supervision{io, supervisor, {}};
  daemon::ControlContext context{supervision, clock, "/run/codeloc/codeloc.sock",
                                 std::chrono::system_clock::time_point{}};
  NullSubscriber subscriber;
  ipc::MethodTable<daemon::ControlCall> table;

  Fixture() {
    supervisor.apply({{}, {command("analytics"), command("reporting")}});
    daemon::register_control_methods(table);
    namespace m = ipc::method;
    for (const char* acting : {m::kLocationStart, m::kLocationStop, m::kLocationRestart,
                               m::kLocationReload, m::kLocationCall, m::kWorkspaceReload}) {
      table.add(acting, [acting](const json&, daemon::ControlCall&) -> ipc::MethodResult {
        return json{{"stub", acting}};
      });
    }
  }
};

[[noreturn]] void fail(const std::string& what, const std::string& line) {
  __builtin_printf("json_rpc_fuzz: %s\n  answer: %s\n", what.c_str(), line.c_str());
  std::abort();
}

// One JSON-RPC 2.0 response object.
void check_response(const json& r, const std::string& line) {
  if (!r.is_object()) fail("response is not an object", line);
  if (r.value("jsonrpc", json()) != "2.0") fail("response without jsonrpc 2.0", line);
  if (!r.contains("id")) fail("response without id", line);
  const json& id = r["id"];
  if (!id.is_null() && !id.is_string() && !id.is_number()) fail("bad id", line);
  bool has_result = r.contains("result");
  bool has_error = r.contains("error");
  if (has_result == has_error) fail("not exactly one of result and error", line);
  if (r.size() != 3) fail("extra members", line);
  if (has_error) {
    const json& e = r["error"];
    if (!e.is_object() || !e.contains("code") || !e["code"].is_number_integer() ||
        !e.contains("message") || !e["message"].is_string())
      fail("malformed error object", line);
  }
}

// Parses an answer line; it must be one JSON value on one line.
json parse_answer(const std::string& line) {
  if (line.find('\n') != std::string::npos) fail("raw newline in the answer", line);
  json value = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) fail("answer is not JSON", line);
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture* fixture = new Fixture;  // never destroyed: no teardown order at exit
  std::string_view frame(reinterpret_cast<const char*>(data), size);
  if (frame.find('\n') != std::string_view::npos) return 0;  // the decoder never passes one

  ipc::Message message = ipc::parse_message(frame);
  std::vector<std::string> sent;
  daemon::ControlCall call{fixture->context, &fixture->subscriber};
  fixture->table.dispatch(message, call,
                          [&](ipc::OutgoingLine line) { sent.push_back(line.flatten()); });

  switch (message.kind) {
    case ipc::MessageKind::kNotification:
    case ipc::MessageKind::kResponse:
      if (!sent.empty()) fail("answered a notification or a response", sent.front());
      break;
    case ipc::MessageKind::kRequest:
    case ipc::MessageKind::kInvalid: {
      if (sent.size() != 1) fail("not exactly one answer: " + std::to_string(sent.size()), "");
      json r = parse_answer(sent.front());
      check_response(r, sent.front());
      if (r["id"] != message.id) fail("answer id differs from the request's", sent.front());
      if (message.kind == ipc::MessageKind::kInvalid && !r.contains("error"))
        fail("invalid frame answered without an error", sent.front());
      break;
    }
    case ipc::MessageKind::kBatch: {
      std::size_t expected = 0;
      for (const ipc::Message& element : message.batch)
        expected += element.kind != ipc::MessageKind::kNotification;
      if (expected == 0) {
        if (!sent.empty()) fail("answered an all-notification batch", sent.front());
        break;
      }
      if (sent.size() != 1) fail("batch not answered once: " + std::to_string(sent.size()), "");
      json r = parse_answer(sent.front());
      if (!r.is_array() || r.size() != expected) fail("batch answer count differs", sent.front());
      for (const json& element : r)
        check_response(element, sent.front());
      break;
    }
  }
  return 0;
}
