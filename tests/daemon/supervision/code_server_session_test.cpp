#include "daemon/supervision/code_server_session.h"

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/common/version.h"
#include "ipc/protocol.h"

namespace codeloc::daemon {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kDeadline = std::chrono::seconds(20);

// Plays the code server on the other end of a socketpair with hand-written JSON lines, running
// the session's loop while it waits.
class FakeCodeServer {
 public:
  FakeCodeServer(boost::asio::io_context& io, int fd) : io_(io), fd_(fd) {}
  ~FakeCodeServer() { close(); }

  // The next request the session sent.
  json read() {
    auto deadline = SteadyClock::now() + kDeadline;
    while (SteadyClock::now() < deadline) {
      if (auto end = in_.find('\n'); end != std::string::npos) {
        json message = json::parse(in_.substr(0, end));
        in_.erase(0, end + 1);
        return message;
      }
      io_.poll();
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10) > 0) {
        char buf[65536];
        ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) in_.append(buf, static_cast<std::size_t>(n));
        if (n == 0) break;
      }
    }
    ADD_FAILURE() << "no request from the session";
    return nullptr;
  }
  // Writes `line` and a newline, running the loop while the socket is full.
  void write(std::string line) {
    line += '\n';
    std::size_t sent = 0;
    auto deadline = SteadyClock::now() + kDeadline;
    while (sent < line.size() && SteadyClock::now() < deadline) {
      ssize_t n = ::send(fd_, line.data() + sent, line.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;
      io_.poll();
    }
    ASSERT_EQ(sent, line.size());
  }
  void answer(const json& request, const std::string& raw_result) {
    write(R"({"jsonrpc":"2.0","id":)" + request["id"].dump() + R"(,"result":)" + raw_result + "}");
  }
  void fail(const json& request, const json& error) {
    write(json{{"jsonrpc", "2.0"}, {"id", request["id"]}, {"error", error}}.dump());
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  boost::asio::io_context& io_;
  int fd_;
  std::string in_;
};

class CodeServerSessionTest : public ::testing::Test {
 protected:
  void SetUp() override { open(ipc::kDefaultMaxCodeServerMessageBytes); }
  void TearDown() override {
    if (session_) session_->close();
    io_.poll();
  }

  void open(std::size_t max_message_bytes) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    CodeServerSession::Callbacks callbacks;
    callbacks.on_definitions = [this](Snapshot snapshot) {
      events_.push_back("definitions");
      definitions_ = std::move(snapshot);
    };
    callbacks.on_load_error = [this](LocationError error) {
      events_.push_back("load error");
      load_error_ = std::move(error);
    };
    callbacks.on_closed = [this] { events_.push_back("closed"); };
    session_ = CodeServerSession::create(io_.get_executor(), fds[0], "analytics", max_message_bytes,
                                         std::move(callbacks));
    ASSERT_NE(session_, nullptr);
    server_.emplace(io_, fds[1]);
  }

  // Runs the loop until `done` holds.
  template <class Predicate>
  bool run_until(Predicate done) {
    auto deadline = SteadyClock::now() + kDeadline;
    while (!done() && SteadyClock::now() < deadline) {
      io_.run_one_for(milliseconds(10));
      if (io_.stopped()) io_.restart();
    }
    return done();
  }
  bool run_until_events(std::size_t count) {
    return run_until([&] { return events_.size() >= count; });
  }

  // Answers the handshake as python/codeloc_server/server.py does.
  json handshake() {
    session_->load(std::chrono::seconds(10));
    json initialize = server_->read();
    server_->answer(initialize, R"({"protocol_version":1,"server":{"name":"test"}})");
    return server_->read();  // definitions.get
  }

  boost::asio::io_context io_;
  std::shared_ptr<CodeServerSession> session_;
  std::optional<FakeCodeServer> server_;
  std::vector<std::string> events_;
  std::optional<Snapshot> definitions_;
  std::optional<LocationError> load_error_;
};

TEST_F(CodeServerSessionTest, LoadSendsInitializeThenDefinitionsGet) {
  session_->load(std::chrono::seconds(10));
  json initialize = server_->read();
  EXPECT_EQ(initialize["jsonrpc"], "2.0");
  EXPECT_EQ(initialize["method"], "initialize");
  EXPECT_EQ(initialize["params"]["protocol_version"], ipc::kCodeServerProtocolVersion);
  EXPECT_EQ(initialize["params"]["location"], "analytics");
  EXPECT_EQ(initialize["params"]["daemon"],
            json({{"name", "codeloc"}, {"version", codeloc_version()}}));
  server_->answer(initialize, R"({"protocol_version":1})");
  json get = server_->read();
  EXPECT_EQ(get["method"], "definitions.get");
  EXPECT_EQ(get["params"], json::object());
  EXPECT_NE(get["id"], initialize["id"]);
}

TEST_F(CodeServerSessionTest, DefinitionsKeepTheSnapshotBytesAndVersionThemBySha256) {
  json get = handshake();
  // The version is Python's hashlib.sha256 of exactly these bytes, spacing included.
  const std::string snapshot = R"({"location":"analytics","assets":[ {"key":"a"}, {"key":"b"} ]})";
  server_->answer(get, R"({"snapshot":)" + snapshot + R"(,"summary":{"assets":2}})");
  ASSERT_TRUE(run_until_events(1));
  EXPECT_EQ(events_, (std::vector<std::string>{"definitions"}));
  EXPECT_EQ(definitions_->bytes, snapshot);
  EXPECT_EQ(definitions_->version,
            "sha256:34ba3772f261da1bbb9e27a5850791b6b6bc02fa37bbef211cedde2b1d907dbb");
  EXPECT_EQ(definitions_->summary, json({{"assets", 2}}));
  EXPECT_NE(definitions_->received_at, std::chrono::system_clock::time_point{});
}

TEST_F(CodeServerSessionTest, BigSnapshotIsVersionedWholeAndReportedBeforeTheClose) {
  json get = handshake();
  const std::string snapshot = R"({"pad":")" + std::string(3'000'000, 'a') + R"("})";
  server_->answer(get, R"({"snapshot":)" + snapshot + "}");
  server_->close();
  ASSERT_TRUE(run_until_events(2));
  EXPECT_EQ(events_, (std::vector<std::string>{"definitions", "closed"}));
  EXPECT_EQ(definitions_->bytes.size(), snapshot.size());
  EXPECT_TRUE(definitions_->bytes == snapshot);
  EXPECT_EQ(definitions_->version,
            "sha256:5af0ab3b43107ab0813526ed87aba5659446da714989d4b77204a7d7f3fd9d14");
  EXPECT_TRUE(definitions_->summary.is_null());
}

TEST_F(CodeServerSessionTest, LoadErrorCarriesTheStructuredError) {
  json get = handshake();
  json data = {{"class_name", "ModuleNotFoundError"},
               {"message", "No module named 'pandas'"},
               {"traceback", "Traceback (most recent call last): ..."}};
  server_->fail(get, {{"code", ipc::error_code::kLoadError},
                      {"message", "No module named 'pandas'"},
                      {"data", data}});
  ASSERT_TRUE(run_until_events(1));
  EXPECT_EQ(events_, (std::vector<std::string>{"load error"}));
  EXPECT_EQ(load_error_->message, "ModuleNotFoundError: No module named 'pandas'");
  EXPECT_EQ(load_error_->detail, data);
}

TEST_F(CodeServerSessionTest, OtherErrorAnswersAreLoadErrorsWithTheirCode) {
  json get = handshake();
  server_->fail(get, {{"code", -32603}, {"message", "internal"}});
  ASSERT_TRUE(run_until_events(1));
  EXPECT_EQ(load_error_->message, "internal");
  EXPECT_EQ(load_error_->detail, json({{"message", "internal"}, {"code", -32603}}));
}

TEST_F(CodeServerSessionTest, AnswerWithoutSnapshotObjectIsALoadError) {
  json get = handshake();
  server_->answer(get, R"({"snapshot":[1,2]})");
  ASSERT_TRUE(run_until_events(1));
  EXPECT_EQ(events_, (std::vector<std::string>{"load error"}));
  EXPECT_EQ(load_error_->message,
            "the code server answered definitions.get without a snapshot object");
}

TEST_F(CodeServerSessionTest, OtherProtocolVersionIsALoadError) {
  session_->load(std::chrono::seconds(10));
  json initialize = server_->read();
  server_->answer(initialize, R"({"protocol_version":2})");
  ASSERT_TRUE(run_until_events(1));
  EXPECT_EQ(load_error_->message, "the code server speaks protocol version 2, codeloc speaks 1");
  EXPECT_EQ(load_error_->detail, json({{"message", load_error_->message}}));
}

TEST_F(CodeServerSessionTest, RefusedHandshakeIsALoadError) {
  session_->load(std::chrono::seconds(10));
  json initialize = server_->read();
  server_->fail(initialize,
                {{"code", ipc::error_code::kProtocolMismatch}, {"message", "I speak 7"}});
  ASSERT_TRUE(run_until_events(1));
  EXPECT_EQ(load_error_->message, "the code server refused the handshake: I speak 7");
  EXPECT_EQ(load_error_->detail["message"], load_error_->message);
  EXPECT_EQ(load_error_->detail["code"], ipc::error_code::kProtocolMismatch);
}

TEST_F(CodeServerSessionTest, LineThatIsNotJsonRpcIsALoadErrorReportedOnce) {
  session_->load(std::chrono::seconds(10));
  server_->read();
  server_->write("this is not json");
  server_->write("{not json either");
  ASSERT_TRUE(run_until_events(1));
  // Let the second line arrive: it is logged at most, not reported again.
  bool pinged = false;
  session_->ping(std::chrono::seconds(10), [&](bool ok) { pinged = ok; });
  server_->answer(server_->read(), "{}");
  ASSERT_TRUE(run_until([&] { return pinged; }));
  EXPECT_EQ(events_, (std::vector<std::string>{"load error"}));
  EXPECT_EQ(load_error_->message.rfind("the code server sent a line that is not JSON-RPC: ", 0), 0u)
      << load_error_->message;
}

TEST_F(CodeServerSessionTest, OversizeMessageIsDiscardedAndReportedAsTheLoadError) {
  session_->close();
  open(1024);
  json get = handshake();
  server_->answer(get, R"({"snapshot":{"pad":")" + std::string(4096, 'x') + R"("}})");
  ASSERT_TRUE(run_until_events(1));
  EXPECT_EQ(events_, (std::vector<std::string>{"load error"}));
  EXPECT_EQ(load_error_->message,
            "the code server sent a message over the limit of 1024 bytes (max_message_bytes); it "
            "was discarded");
  // The channel goes on after the discarded line.
  bool pinged = false;
  session_->ping(std::chrono::seconds(10), [&](bool ok) { pinged = ok; });
  server_->answer(server_->read(), "{}");
  EXPECT_TRUE(run_until([&] { return pinged; }));
}

TEST_F(CodeServerSessionTest, PingIsAnsweredOrTimesOut) {
  std::optional<bool> first;
  session_->ping(std::chrono::seconds(10), [&](bool ok) { first = ok; });
  json ping = server_->read();
  EXPECT_EQ(ping["method"], "ping");
  server_->answer(ping, "{}");
  ASSERT_TRUE(run_until([&] { return first.has_value(); }));
  EXPECT_TRUE(*first);

  std::optional<bool> second;
  session_->ping(milliseconds(20), [&](bool ok) { second = ok; });
  EXPECT_EQ(server_->read()["method"], "ping");
  ASSERT_TRUE(run_until([&] { return second.has_value(); }));
  EXPECT_FALSE(*second) << "no answer within the timeout";
}

TEST_F(CodeServerSessionTest, ShutdownAsksTheCodeServerToExit) {
  session_->shutdown();
  json shutdown = server_->read();
  EXPECT_EQ(shutdown["method"], "shutdown");
  EXPECT_TRUE(shutdown.contains("id")) << "a request, answered or not";
}

TEST_F(CodeServerSessionTest, CallRelaysTheMethodAndTheRawAnswer) {
  std::optional<std::string> result;
  session_->call("dagster.health", {{"x", 1}}, std::chrono::seconds(10), [&](ipc::RpcReply reply) {
    result = reply.ok() ? std::string(reply.raw_result()) : "error";
  });
  json call = server_->read();
  EXPECT_EQ(call["method"], "dagster.health");
  EXPECT_EQ(call["params"], json({{"x", 1}}));
  server_->answer(call, R"({"ok": true,  "n":1})");
  ASSERT_TRUE(run_until([&] { return result.has_value(); }));
  EXPECT_EQ(*result, R"({"ok": true,  "n":1})");

  std::optional<int> code;
  session_->call("m", json::object(), std::chrono::seconds(10),
                 [&](ipc::RpcReply reply) { code = reply.ok() ? 0 : reply.error().code(); });
  server_->fail(server_->read(), {{"code", -32601}, {"message", "no such method"}});
  ASSERT_TRUE(run_until([&] { return code.has_value(); }));
  EXPECT_EQ(*code, -32601);
}

TEST_F(CodeServerSessionTest, PeerClosingIsReportedAsClosedNotAsALoadError) {
  session_->load(std::chrono::seconds(10));
  server_->read();
  server_->close();
  ASSERT_TRUE(run_until_events(1));
  // The pending initialize fails with the channel: that is no load error.
  bool idle = false;
  boost::asio::post(io_, [&] { idle = true; });
  ASSERT_TRUE(run_until([&] { return idle; }));
  EXPECT_EQ(events_, (std::vector<std::string>{"closed"}));
}

TEST_F(CodeServerSessionTest, CloseReportsNothing) {
  session_->load(std::chrono::seconds(10));
  server_->read();
  session_->close();
  bool idle = false;
  boost::asio::post(io_, [&] { idle = true; });
  ASSERT_TRUE(run_until([&] { return idle; }));
  EXPECT_TRUE(events_.empty());
}

}  // namespace
}  // namespace codeloc::daemon
