#include "ipc/client.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc/line_channel.h"
#include "ipc/method_table.h"
#include "ipc/params.h"
#include "ipc/protocol.h"

namespace codeloc::ipc {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using stream_protocol = boost::asio::local::stream_protocol;

struct Session {
  std::shared_ptr<LineChannel> channel;
};

// A tiny control server on its own thread: a MethodTable behind LineChannels.
class TinyServer {
 public:
  explicit TinyServer(const std::string& path) : acceptor_(io_, stream_protocol::endpoint(path)) {
    table_.add("echo", [](const json& params, Session&) -> MethodResult { return params; });
    table_.add("raw", [](const json&, Session&) {
      return MethodResult::raw(R"({"snapshot" : {"z":1,  "a":[]}})");
    });
    table_.add("fail", [](const json& params, Session&) -> MethodResult {
      throw RpcError(error_code::kUnknownLocation,
                     "unknown location '" + require_string(params, "name") + "'");
    });
    table_.add("events.subscribe", [](const json&, Session& session) -> MethodResult {
      // Notifications before and after the answer: the client must keep the early ones.
      session.channel->send(make_notification("event", {{"n", 1}}));
      boost::asio::post(session.channel->get_executor(), [channel = session.channel] {
        channel->send(make_notification("event", {{"n", 2}}));
      });
      return json{{"subscribed", true}};
    });
    table_.add_async("never", [this](const json&, Session&, Responder responder) {
      parked_.push_back(std::move(responder));
    });
    table_.add("hangup", [](const json&, Session& session) -> MethodResult {
      session.channel->close();
      return json();
    });
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~TinyServer() {
    boost::asio::post(io_, [this] {
      parked_.clear();
      io_.stop();
    });
    thread_.join();
  }

 private:
  void accept() {
    acceptor_.async_accept(
        [this](const boost::system::error_code& error, stream_protocol::socket socket) {
          if (error) return;
          auto session = std::make_shared<Session>();
          session->channel = LineChannel::create(std::move(socket), {});
          sessions_.push_back(session);
          std::weak_ptr<Session> weak = session;
          session->channel->start({.on_frame =
                                       [this, weak](std::string_view frame) {
                                         auto s = weak.lock();
                                         if (!s) return;
                                         table_.dispatch(frame, *s, [s](OutgoingLine line) {
                                           s->channel->send(std::move(line));
                                         });
                                       },
                                   .on_too_large = nullptr,
                                   .on_closed = nullptr});
          accept();
        });
  }

  boost::asio::io_context io_;
  stream_protocol::acceptor acceptor_;
  MethodTable<Session> table_;
  std::vector<std::shared_ptr<Session>> sessions_;
  std::vector<Responder> parked_;  // answers "never" gives only at shutdown
  std::thread thread_;
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/codeloc-ipc-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/control.sock";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  std::string path_;
};

TEST_F(ClientTest, CallsAndReceivesResults) {
  TinyServer server(path_);
  Client client = Client::connect(path_);
  EXPECT_EQ(client.call("echo", {{"a", 1}}), json({{"a", 1}}));
  EXPECT_EQ(client.call("echo", {{"b", "x"}}, milliseconds(10'000)), json({{"b", "x"}}));
}

TEST_F(ClientTest, ReturnsARawResultUnchanged) {
  TinyServer server(path_);
  Client client = Client::connect(path_);
  EXPECT_EQ(client.call_raw("raw"), R"({"snapshot" : {"z":1,  "a":[]}})");
}

TEST_F(ClientTest, ThrowsTheDaemonsErrorWithCodeMessageAndData) {
  TinyServer server(path_);
  Client client = Client::connect(path_);
  try {
    client.call("fail", {{"name", "nope"}});
    FAIL() << "no error";
  } catch (const RpcError& error) {
    EXPECT_EQ(error.code(), error_code::kUnknownLocation);
    EXPECT_EQ(error.message(), "unknown location 'nope'");
  }
  try {
    client.call("fail", json::object());
    FAIL() << "no error";
  } catch (const RpcError& error) {
    EXPECT_EQ(error.code(), error_code::kInvalidParams);
    EXPECT_EQ(error.data()["parameter"], "name");
  }
  EXPECT_EQ(client.call("echo", {{"still", "usable"}})["still"], "usable");
}

TEST_F(ClientTest, KeepsNotificationsThatArriveDuringACall) {
  TinyServer server(path_);
  Client client = Client::connect(path_);
  EXPECT_EQ(client.call("events.subscribe")["subscribed"], true);
  const auto first = client.next_notification(milliseconds(10'000));
  const auto second = client.next_notification(milliseconds(10'000));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->method, "event");
  EXPECT_EQ(first->params["n"], 1);
  EXPECT_EQ(second->params["n"], 2);
  EXPECT_EQ(client.next_notification(milliseconds(1)), std::nullopt);
}

TEST_F(ClientTest, TimesOutWhenNoAnswerComes) {
  TinyServer server(path_);
  Client client = Client::connect(path_);
  try {
    client.call("never", {}, milliseconds(30));
    FAIL() << "no timeout";
  } catch (const ClientError& error) {
    EXPECT_EQ(error.kind(), ClientError::Kind::kTimeout);
  }
}

TEST_F(ClientTest, ReportsAHangup) {
  TinyServer server(path_);
  Client client = Client::connect(path_);
  try {
    client.call("hangup", {}, milliseconds(10'000));
    FAIL() << "no error";
  } catch (const ClientError& error) {
    EXPECT_EQ(error.kind(), ClientError::Kind::kClosed);
  }
}

TEST_F(ClientTest, SaysTheDaemonIsNotRunningWhenThereIsNoSocket) {
  try {
    Client::connect(path_);
    FAIL() << "connected";
  } catch (const ClientError& error) {
    EXPECT_EQ(error.kind(), ClientError::Kind::kNoSocket);
    EXPECT_TRUE(error.daemon_not_running());
  }
}

TEST_F(ClientTest, SaysTheDaemonIsNotRunningWhenNobodyListens) {
  // A stale socket file: bound once, never listened on.
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ::close(fd);
  try {
    Client::connect(path_);
    FAIL() << "connected";
  } catch (const ClientError& error) {
    EXPECT_EQ(error.kind(), ClientError::Kind::kConnectionRefused);
    EXPECT_TRUE(error.daemon_not_running());
  }
}

TEST_F(ClientTest, RefusesAPathTooLongForASocket) {
  try {
    Client::connect("/tmp/" + std::string(200, 'x'));
    FAIL() << "connected";
  } catch (const ClientError& error) {
    EXPECT_EQ(error.kind(), ClientError::Kind::kConnectFailed);
    EXPECT_FALSE(error.daemon_not_running());
  }
}

}  // namespace
}  // namespace codeloc::ipc
