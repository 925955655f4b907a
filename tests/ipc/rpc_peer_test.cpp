#include "ipc/rpc_peer.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ipc/json_span.h"
#include "ipc/protocol.h"
#include "tests/ipc/test_loop.h"

namespace codeloc::ipc {
namespace {

using std::chrono::milliseconds;
using testing::run_until;
using testing::socket_pair;

class RpcPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto [a, b] = socket_pair(io_);
    client_ = RpcPeer::create(LineChannel::create(std::move(a), {}));
    server_ = RpcPeer::create(LineChannel::create(std::move(b), {}));
  }

  // Starts the server side, answering each request with answer(request) unless it returns "".
  void serve(std::function<std::string(const Message&)> answer) {
    server_->start({.on_message =
                        [this, answer](Message m) {
                          received_.push_back(m);
                          if (m.kind == MessageKind::kRequest) {
                            std::string line = answer(m);
                            if (!line.empty()) server_->send(std::move(line));
                          }
                        },
                    .on_too_large = nullptr,
                    .on_closed = nullptr});
  }

  boost::asio::io_context io_;
  std::shared_ptr<RpcPeer> client_;
  std::shared_ptr<RpcPeer> server_;
  std::vector<Message> received_;
};

TEST_F(RpcPeerTest, CallReceivesTheResult) {
  serve([](const Message& m) {
    return make_result(m.id, {{"method", m.method}, {"echo", m.params}});
  });
  client_->start({});
  std::optional<RpcReply> reply;
  client_->call("ping", {{"n", 1}}, milliseconds(10'000),
                [&](RpcReply r) { reply = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return reply.has_value(); }));
  ASSERT_TRUE(reply->ok());
  EXPECT_EQ(reply->result()["method"], "ping");
  EXPECT_EQ(reply->result()["echo"]["n"], 1);
  EXPECT_EQ(client_->pending_calls(), 0u);
}

TEST_F(RpcPeerTest, KeepsTheResultBytesAsSent) {
  const std::string snapshot = R"({"z": 1,  "a" : [true, null]})";
  serve([&](const Message& m) {
    return make_raw_result(m.id, R"({"snapshot":)" + snapshot + R"(,"summary":{"assets":2}})");
  });
  client_->start({});
  std::optional<RpcReply> reply;
  client_->call("definitions.get", nlohmann::json::object(), milliseconds(10'000),
                [&](RpcReply r) { reply = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return reply.has_value(); }));
  ASSERT_TRUE(reply->ok());
  EXPECT_EQ(member_span(reply->raw_result(), "snapshot"), snapshot);
  const std::string taken = reply->take_raw_result();
  EXPECT_TRUE(reply->raw_result().empty());
  EXPECT_NE(taken.find(snapshot), std::string::npos);
}

TEST_F(RpcPeerTest, CallReceivesTheErrorReply) {
  serve([](const Message& m) {
    return make_error(m.id, error_code::kLoadError, "ImportError", {{"class_name", "ImportError"}});
  });
  client_->start({});
  std::optional<RpcReply> reply;
  client_->call("definitions.get", {}, milliseconds(10'000),
                [&](RpcReply r) { reply = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return reply.has_value(); }));
  ASSERT_FALSE(reply->ok());
  EXPECT_EQ(reply->error().code(), error_code::kLoadError);
  EXPECT_EQ(reply->error().message(), "ImportError");
  EXPECT_EQ(reply->error().data()["class_name"], "ImportError");
}

TEST_F(RpcPeerTest, MatchesOutOfOrderAnswersById) {
  std::vector<Message> held;
  serve([&](const Message& m) {
    held.push_back(m);
    if (held.size() == 2) {
      server_->send(make_result(held[1].id, "second"));
      server_->send(make_result(held[0].id, "first"));
    }
    return std::string();
  });
  client_->start({});
  std::vector<std::string> answers;
  for (const char* expected : {"first", "second"}) {
    client_->call("m", {}, milliseconds(10'000), [&, expected](RpcReply r) {
      EXPECT_EQ(r.result(), expected);
      answers.push_back(r.result().get<std::string>());
    });
  }
  ASSERT_TRUE(run_until(io_, [&] { return answers.size() == 2; }));
  EXPECT_EQ(answers, (std::vector<std::string>{"second", "first"}));
}

TEST_F(RpcPeerTest, TimesOutWithATimeoutErrorAndDropsTheLateAnswer) {
  std::optional<Message> request;
  serve([&](const Message& m) {
    if (m.method == "ping") return make_result(m.id, nlohmann::json::object());
    request = m;
    return std::string();
  });
  client_->start({});
  int calls = 0;
  std::optional<RpcReply> reply;
  client_->call("definitions.get", {}, milliseconds(20), [&](RpcReply r) {
    ++calls;
    reply = std::move(r);
  });
  ASSERT_TRUE(run_until(io_, [&] { return reply.has_value(); }));
  ASSERT_FALSE(reply->ok());
  EXPECT_EQ(reply->error().code(), error_code::kTimeout);
  EXPECT_EQ(reply->error().message(), "'definitions.get' timed out after 20 ms");
  ASSERT_TRUE(request.has_value());
  server_->send(make_result(request->id, "late"));
  std::optional<RpcReply> pong;
  client_->call("ping", {}, milliseconds(10'000), [&](RpcReply r) { pong = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return pong.has_value(); }));  // the late answer came first
  EXPECT_TRUE(pong->ok());
  EXPECT_EQ(calls, 1);
}

TEST_F(RpcPeerTest, AnswersPendingCallsWhenThePeerHangsUp) {
  serve([&](const Message&) {
    server_->close();  // hang up instead of answering
    return std::string();
  });
  std::vector<std::string> events;
  client_->start(
      {.on_message = nullptr,
       .on_too_large = nullptr,
       .on_closed = [&](const boost::system::error_code&) { events.push_back("closed"); }});
  std::optional<RpcReply> a, b;
  client_->call("a", {}, milliseconds(10'000), [&](RpcReply r) {
    a = std::move(r);
    events.push_back("a");
  });
  client_->call("b", {}, milliseconds(10'000), [&](RpcReply r) {
    b = std::move(r);
    events.push_back("b");
  });
  ASSERT_TRUE(run_until(io_, [&] { return events.size() == 3; }));
  EXPECT_EQ(events, (std::vector<std::string>{"a", "b", "closed"}));
  EXPECT_EQ(a->error().code(), error_code::kLocationUnavailable);
  EXPECT_EQ(b->error().code(), error_code::kLocationUnavailable);
}

TEST_F(RpcPeerTest, CloseAnswersPendingCallsFromTheLoop) {
  serve([](const Message&) { return std::string(); });
  int closed_callbacks = 0;
  client_->start({.on_message = nullptr,
                  .on_too_large = nullptr,
                  .on_closed = [&](const boost::system::error_code&) { ++closed_callbacks; }});
  std::optional<RpcReply> reply;
  client_->call("a", {}, milliseconds(10'000), [&](RpcReply r) { reply = std::move(r); });
  client_->close();
  EXPECT_FALSE(reply.has_value());  // never from inside close()
  ASSERT_TRUE(run_until(io_, [&] { return reply.has_value(); }));
  EXPECT_EQ(reply->error().code(), error_code::kLocationUnavailable);
  EXPECT_EQ(closed_callbacks, 0);
}

TEST_F(RpcPeerTest, CallOnAClosedPeerAnswersWithAnError) {
  client_->start({});
  client_->close();
  std::optional<RpcReply> reply;
  client_->call("a", {}, milliseconds(10'000), [&](RpcReply r) { reply = std::move(r); });
  EXPECT_FALSE(reply.has_value());
  ASSERT_TRUE(run_until(io_, [&] { return reply.has_value(); }));
  EXPECT_EQ(reply->error().code(), error_code::kLocationUnavailable);
}

TEST_F(RpcPeerTest, HandsNotificationsAndInvalidFramesToTheOwner) {
  serve([](const Message&) { return std::string(); });
  client_->start({});
  client_->notify("event", {{"topic", "state"}});
  client_->send("not json");
  ASSERT_TRUE(run_until(io_, [&] { return received_.size() == 2; }));
  EXPECT_EQ(received_[0].kind, MessageKind::kNotification);
  EXPECT_EQ(received_[0].params["topic"], "state");
  EXPECT_EQ(received_[1].kind, MessageKind::kInvalid);
  EXPECT_EQ(received_[1].error->code(), error_code::kParseError);
}

TEST(RpcPeer, ReportsAnOversizedMessageAndKeepsWorking) {
  boost::asio::io_context io;
  auto [a, b] = socket_pair(io);
  LineChannel::Options small;
  small.max_frame_bytes = 100;
  auto server = RpcPeer::create(LineChannel::create(std::move(a), small));
  auto client = RpcPeer::create(LineChannel::create(std::move(b), {}));
  std::vector<std::string> methods;
  server->start({.on_message = [&](Message m) { methods.push_back(m.method); },
                 .on_too_large = [&] { server->send(make_too_large_error(100)); },
                 .on_closed = nullptr});
  client->start({});
  std::optional<RpcReply> reply;
  client->call("big", {{"pad", std::string(500, 'x')}}, milliseconds(10'000),
               [&](RpcReply r) { reply = std::move(r); });
  client->notify("small");
  ASSERT_TRUE(run_until(io, [&] { return methods.size() == 1; }));
  EXPECT_EQ(methods[0], "small");
  // The -32014 answer has a null id, so it cannot settle the call: the caller's timeout does.
  EXPECT_FALSE(reply.has_value());
  client->close();
  ASSERT_TRUE(run_until(io, [&] { return reply.has_value(); }));
}

TEST_F(RpcPeerTest, DroppingThePeerDiscardsPendingCallsWithoutCallingThem) {
  serve([](const Message&) { return std::string(); });
  client_->start({});
  bool called = false;
  client_->call("a", {}, milliseconds(50), [&](RpcReply) { called = true; });
  client_.reset();
  server_->close();
  io_.restart();
  io_.run();  // returns once no work is left: the call's timer is gone too
  EXPECT_FALSE(called);
}

// A result over RpcPeer::kOffLoopParseBytes: parsed on the worker.
std::string big_result(char fill) {
  return R"({"summary":{"assets":2},"snapshot":{"pad":")" +
         std::string(RpcPeer::kOffLoopParseBytes + 1000, fill) + R"("}})";
}

TEST_F(RpcPeerTest, DeliversABigResultAsTheSmallPathDoesWithItsMembers) {
  const std::string result = big_result('x');
  serve([&](const Message& m) { return make_raw_result(m.id, result); });
  client_->start({});
  std::optional<RpcReply> reply;
  client_->call("definitions.get", nlohmann::json::object(), milliseconds(20'000),
                [&](RpcReply r) { reply = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return reply.has_value(); }));
  ASSERT_TRUE(reply->ok());
  EXPECT_EQ(reply->raw_result(), result);
  ASSERT_TRUE(reply->has_result_members());
  EXPECT_EQ(reply->result_member("snapshot"), member_span(result, "snapshot"));
  EXPECT_EQ(reply->result_member("summary"), std::optional<std::string_view>(R"({"assets":2})"));
  EXPECT_FALSE(reply->result_member("absent").has_value());
}

TEST_F(RpcPeerTest, KeepsTheOrderOfABigResponseAndTheSmallFramesAfterIt) {
  std::vector<nlohmann::json> ids;
  serve([&](const Message& m) {
    ids.push_back(m.id);
    if (ids.size() == 2) {
      server_->send(make_raw_result(ids[0], big_result('y')));
      server_->send(make_result(ids[1], "small"));
      server_->send(make_notification("after"));
    }
    return std::string();
  });
  std::vector<std::string> events;
  client_->start({.on_message = [&](Message m) { events.push_back("notification " + m.method); },
                  .on_too_large = nullptr,
                  .on_closed = nullptr});
  client_->call("big", {}, milliseconds(20'000), [&](RpcReply r) {
    events.push_back(r.ok() && r.raw_result().size() > RpcPeer::kOffLoopParseBytes ? "big" : "?");
  });
  client_->call("small", {}, milliseconds(20'000), [&](RpcReply r) {
    events.push_back(r.ok() ? r.result().get<std::string>() : "?");
  });
  ASSERT_TRUE(run_until(io_, [&] { return events.size() == 3; }));
  EXPECT_EQ(events, (std::vector<std::string>{"big", "small", "notification after"}));
}

TEST_F(RpcPeerTest, ABigMalformedFrameGivesTheSameParseErrorAsAtOnce) {
  const std::string frame = R"({"jsonrpc":"2.0","id":1,"result":")" +
                            std::string(RpcPeer::kOffLoopParseBytes, 'z') + "\x01\"}";
  const Message expected = parse_message(frame);
  ASSERT_EQ(expected.kind, MessageKind::kInvalid);
  std::optional<Message> got;
  client_->start({.on_message = [&](Message m) { got = std::move(m); },
                  .on_too_large = nullptr,
                  .on_closed = nullptr});
  server_->start({});
  server_->send(frame);
  ASSERT_TRUE(run_until(io_, [&] { return got.has_value(); }));
  EXPECT_EQ(got->kind, MessageKind::kInvalid);
  ASSERT_TRUE(got->error.has_value());
  EXPECT_EQ(got->error->code(), expected.error->code());
  EXPECT_EQ(got->error->message(), expected.error->message());
}

TEST_F(RpcPeerTest, AHangUpAfterABigResponseComesAfterItsAnswer) {
  std::vector<std::string> events;
  serve([&](const Message& m) {
    server_->send(make_raw_result(m.id, big_result('w')));
    server_->channel().close_after_flush();
    return std::string();
  });
  client_->start(
      {.on_message = nullptr,
       .on_too_large = nullptr,
       .on_closed = [&](const boost::system::error_code&) { events.push_back("closed"); }});
  client_->call("big", {}, milliseconds(20'000),
                [&](RpcReply r) { events.push_back(r.ok() ? "answer" : "error"); });
  ASSERT_TRUE(run_until(io_, [&] { return events.size() == 2; }));
  EXPECT_EQ(events, (std::vector<std::string>{"answer", "closed"}));
}

TEST_F(RpcPeerTest, ClosingOrDroppingThePeerWhileABigFrameParsesIsSafe) {
  for (const bool drop : {false, true}) {
    SetUp();
    bool received = false, answered = false;
    serve([&](const Message& m) {
      received = true;
      return make_raw_result(m.id, big_result('v'));
    });
    client_->start({});
    client_->call("big", {}, milliseconds(20'000), [&](RpcReply r) { answered = r.ok(); });
    // Wait until the big frame has reached the client's worker (nothing pending to read).
    ASSERT_TRUE(run_until(io_, [&] { return received && server_->channel().queued_bytes() == 0; }));
    if (drop) {
      client_.reset();
    } else {
      client_->close();
    }
    io_.restart();
    io_.run_for(milliseconds(200));
    EXPECT_FALSE(answered);
  }
}

}  // namespace
}  // namespace codeloc::ipc
