// codeloc_test_server: a code server (protocol v1) with scripted misbehaviours, for the
// supervision tests. It speaks on fd 3 (CODELOC_CHANNEL_FD) and prints what tests need to know on
// stdout ("started pid=... location=... cwd=...", "grandchild pid=...").
//
//   --crash-after MS       exit with code 3, MS ms after start
//   --exit-after MS        exit with code 0, MS ms after start
//   --hang                 never answer anything
//   --no-pings             answer the handshake and definitions, then ignore pings
//   --ignore-term          ignore SIGTERM (and `shutdown`)
//   --grandchild           fork a grandchild that calls setsid(), ignores SIGTERM and sleeps
//   --load-error           answer definitions.get with a load error
//   --flood                after loading, write long stdout lines without end
//   --assets N             put N assets in the snapshot (default 2)
//   --assets-file PATH     read N from PATH at every definitions.get (a "code change")
//   --snapshot-bytes N     pad the snapshot to exactly N bytes of JSON (when N is larger than
//                          it would be anyway): assets of about 1 KB, then a "padding" string
//   --code PATH            the location's "code", read once at start as Python imports it:
//                          lines `assets N`, `load_error MESSAGE`, `crash CODE` (exit with
//                          CODE when asked for definitions), `delay MS` (before answering them)
// Methods beyond the protocol's: "echo" answers its params; "hang" never answers.
//   --env NAME             print "env NAME=value" at start (repeatable)
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "ipc/frame_decoder.h"
#include "ipc/json_rpc.h"
#include "ipc/protocol.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Options {
  long crash_after_ms = -1;
  long exit_after_ms = -1;
  bool hang = false;
  bool no_pings = false;
  bool ignore_term = false;
  bool grandchild = false;
  bool load_error = false;
  bool flood = false;
  int assets = 2;
  std::string assets_file;
  long long snapshot_bytes = 0;
  std::string code_file;
  std::vector<std::string> env;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--crash-after")
      o.crash_after_ms = std::atol(next().c_str());
    else if (arg == "--exit-after")
      o.exit_after_ms = std::atol(next().c_str());
    else if (arg == "--hang")
      o.hang = true;
    else if (arg == "--no-pings")
      o.no_pings = true;
    else if (arg == "--ignore-term")
      o.ignore_term = true;
    else if (arg == "--grandchild")
      o.grandchild = true;
    else if (arg == "--load-error")
      o.load_error = true;
    else if (arg == "--flood")
      o.flood = true;
    else if (arg == "--assets")
      o.assets = std::atoi(next().c_str());
    else if (arg == "--assets-file")
      o.assets_file = next();
    else if (arg == "--snapshot-bytes")
      o.snapshot_bytes = std::atoll(next().c_str());
    else if (arg == "--code")
      o.code_file = next();
    else if (arg == "--env")
      o.env.push_back(next());
    else {
      std::cerr << "codeloc_test_server: unknown option " << arg << "\n";
      std::exit(2);
    }
  }
  return o;
}

void write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) std::exit(0);  // the daemon is gone
    done += static_cast<std::size_t>(n);
  }
}

json snapshot(const std::string& location, int assets) {
  json list = json::array();
  for (int i = 0; i < assets; ++i)
    list.push_back({{"key", {"asset_" + std::to_string(i)}}});
  return {{"location", location}, {"assets", list}, {"jobs", json::array()}};
}

// Grows `snap` to exactly `bytes` bytes of JSON text (dump()), for the API benchmark: padding
// assets of about 1 KB each (many small values, like a real snapshot), then a "padding" string for
// the remainder. A snapshot already at least that large is left alone.
void pad_snapshot(json& snap, long long bytes) {
  const long long base = static_cast<long long>(snap.dump().size());
  const std::string description(1000, 'd');
  json& assets = snap["assets"];
  for (long long i = 0; base + (i + 1) * 1100 < bytes; ++i)
    assets.push_back({{"key", {"pad_" + std::to_string(i)}}, {"description", description}});
  snap["padding"] = "";
  const long long size = static_cast<long long>(snap.dump().size());
  if (size < bytes) snap["padding"] = std::string(static_cast<std::size_t>(bytes - size), 'x');
}

// What a --code file says.
struct Code {
  std::optional<int> assets;
  std::string load_error;
  std::optional<int> crash;
  long delay_ms = 0;
};

Code read_code(const std::string& path) {
  Code code;
  std::ifstream in(path);
  if (!in) {
    code.load_error = "cannot read " + path;
    return code;
  }
  std::string key;
  while (in >> key) {
    if (key == "assets") {
      int n = 0;
      in >> n;
      code.assets = n;
    } else if (key == "load_error") {
      std::getline(in >> std::ws, code.load_error);
      if (code.load_error.empty()) code.load_error = "load error";
    } else if (key == "crash") {
      int exit_code = 1;
      in >> exit_code;
      code.crash = exit_code;
    } else if (key == "delay") {
      in >> code.delay_ms;
    } else {
      code.load_error = "SyntaxError: unknown word '" + key + "' in " + path;
      return code;
    }
  }
  return code;
}

void start_grandchild() {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    ::signal(SIGTERM, SIG_IGN);
    std::cout << "grandchild pid=" << ::getpid() << std::endl;
    for (;;)
      ::pause();
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse(argc, argv);
  const char* location_env = std::getenv(codeloc::ipc::kEnvLocation);
  std::string location = location_env ? location_env : "";
  const char* fd_env = std::getenv(codeloc::ipc::kEnvChannelFd);
  int fd = fd_env ? std::atoi(fd_env) : codeloc::ipc::kChildChannelFd;
  if (options.ignore_term) ::signal(SIGTERM, SIG_IGN);

  std::cout << "started pid=" << ::getpid() << " location=" << location
            << " cwd=" << std::filesystem::current_path().string() << std::endl;
  for (const auto& name : options.env) {
    const char* value = std::getenv(name.c_str());
    std::cout << "env " << name << "=" << (value ? value : "<unset>") << std::endl;
  }
  if (options.grandchild) start_grandchild();
  Code code;
  if (!options.code_file.empty()) {
    code = read_code(options.code_file);
    if (code.assets) options.assets = *code.assets;
    if (!code.load_error.empty()) options.load_error = true;
  }

  const auto start = Clock::now();
  auto deadline_of = [&](long ms) { return start + std::chrono::milliseconds(ms); };
  codeloc::ipc::FrameDecoder decoder(codeloc::ipc::kDefaultMaxRequestBytes);
  bool loaded = false;
  std::string flood_line(8000, 'x');
  for (;;) {
    int timeout = -1;
    auto now = Clock::now();
    for (long ms : {options.crash_after_ms, options.exit_after_ms}) {
      if (ms < 0) continue;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_of(ms) - now);
      int left_ms = static_cast<int>(std::max<long>(0, left.count()));
      timeout = timeout < 0 ? left_ms : std::min(timeout, left_ms);
    }
    if (options.flood && loaded) timeout = 0;
    if (options.crash_after_ms >= 0 && now >= deadline_of(options.crash_after_ms)) return 3;
    if (options.exit_after_ms >= 0 && now >= deadline_of(options.exit_after_ms)) return 0;

    pollfd pfd{fd, POLLIN, 0};
    int ready = ::poll(&pfd, 1, timeout);
    if (options.flood && loaded) std::cout << flood_line << "\n";
    if (ready <= 0) continue;
    char buf[65536];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return 0;  // channel closed: the daemon is done with us
    decoder.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    for (auto r = decoder.next(); r.status != codeloc::ipc::FrameDecoder::Status::kNeedMore;
         r = decoder.next()) {
      if (r.status != codeloc::ipc::FrameDecoder::Status::kFrame || options.hang) continue;
      json request = json::parse(r.frame, nullptr, false);
      if (!request.is_object() || !request.contains("id")) continue;
      json id = request["id"];
      std::string method = request.value("method", "");
      std::string reply;
      if (method == codeloc::ipc::method::kInitialize) {
        reply = codeloc::ipc::make_result(
            id, {{"protocol_version", codeloc::ipc::kCodeServerProtocolVersion},
                 {"location", location},
                 {"server", {{"name", "codeloc_test_server"}, {"version", "1"}}},
                 {"pid", ::getpid()}});
      } else if (method == codeloc::ipc::method::kDefinitionsGet) {
        if (code.delay_ms > 0)
          std::this_thread::sleep_for(std::chrono::milliseconds(code.delay_ms));
        if (code.crash) return *code.crash;
        if (options.load_error) {
          std::string message = code.load_error.empty() ? "scripted load error" : code.load_error;
          reply = codeloc::ipc::make_error(
              id, codeloc::ipc::error_code::kLoadError, "ValueError: " + message,
              {{"class_name", "ValueError"},
               {"message", message},
               {"stack", json::array({{{"file", "defs.py"},
                                       {"line", 7},
                                       {"function", "<module>"},
                                       {"code", "raise ValueError()"}}})},
               {"location", {{"file", "defs.py"}, {"line", 7}, {"column", 0}}},
               {"cause", nullptr}});
        } else {
          if (!options.assets_file.empty()) {
            std::ifstream in(options.assets_file);
            in >> options.assets;
          }
          json snap = snapshot(location, options.assets);
          if (options.snapshot_bytes > 0) pad_snapshot(snap, options.snapshot_bytes);
          json result = {{"snapshot", std::move(snap)}, {"summary", {{"assets", options.assets}}}};
          reply = codeloc::ipc::make_result(id, result);
          loaded = true;
        }
      } else if (method == codeloc::ipc::method::kPing) {
        if (options.no_pings) continue;
        reply = codeloc::ipc::make_result(id, json::object());
      } else if (method == codeloc::ipc::method::kShutdown) {
        write_all(fd, codeloc::ipc::make_result(id, json::object()) + "\n");
        if (!options.ignore_term) return 0;
        continue;
      } else if (method == "hang") {
        continue;
      } else if (method == "echo") {
        reply = codeloc::ipc::make_result(id, request.value("params", json()));
      } else {
        reply = codeloc::ipc::make_error(id, codeloc::ipc::error_code::kMethodNotFound,
                                         "method not found: " + method);
      }
      write_all(fd, reply + "\n");
    }
  }
}
