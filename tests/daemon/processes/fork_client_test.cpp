// The fork server's socket protocol, against a scripted fake fork server on a socketpair.
#include "daemon/processes/fork_client.h"

#include <boost/asio/steady_timer.hpp>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/daemon/processes/fake_fork_server.h"
#include "tests/ipc/test_loop.h"

namespace codeloc::daemon {
namespace {

using ipc::testing::run_until;
using std::chrono::milliseconds;
using testing::FakeForkServer;
using testing::ReceivedRequest;
using json = nlohmann::json;

constexpr milliseconds kTimeout{10'000};  // generous: only the timeout tests shorten it

TEST(ForkProtocol, TheReadyPacketIsAnObjectThatSaysReady) {
  ForkReady ready = parse_ready_packet(R"({"ready":true,"pid":7,"threads":1})");
  EXPECT_EQ(ready.error, "");
  EXPECT_EQ(ready.message["pid"], 7);
  EXPECT_EQ(parse_ready_packet(R"({"ready":false})").error,
            R"(it sent something other than its ready message: {"ready":false})");
  EXPECT_EQ(parse_ready_packet(R"({"ready":"yes"})").error,
            R"(it sent something other than its ready message: {"ready":"yes"})");
  EXPECT_EQ(parse_ready_packet(std::string(300, 'x')).error,
            "it sent something other than its ready message: " + std::string(200, 'x'))
      << "at most 200 bytes of it";
}

TEST(ForkProtocol, ARequestCarriesTheCodeServersArgumentsEnvironmentAndDirectory) {
  ForkRequest request{{"/srv/codeloc_server", "--location", "a"}, {"A=1", "B=2"}, "/work", 5};
  json packet = json::parse(encode_fork_request(12, request, 345));
  EXPECT_EQ(packet, (json{{"id", 12},
                          {"argv", {"/srv/codeloc_server", "--location", "a"}},
                          {"env", {"A=1", "B=2"}},
                          {"cwd", "/work"},
                          {"daemon", 345}}));
  request.env = {std::string("BAD=\xff", 5)};
  EXPECT_TRUE(json::accept(encode_fork_request(1, request, 1))) << "invalid UTF-8 is replaced";
}

TEST(ForkProtocol, AnswersAreAPidAnErrorOrGarbage) {
  ForkAnswer forked = decode_fork_answer(R"({"id":3,"pid":4242})");
  EXPECT_EQ(forked.kind, ForkAnswer::Kind::kForked);
  EXPECT_EQ(forked.id, 3u);
  EXPECT_EQ(forked.pid, 4242);

  ForkAnswer refused = decode_fork_answer(R"({"id":4,"error":"too many threads","unsafe":true})");
  EXPECT_EQ(refused.kind, ForkAnswer::Kind::kFailed);
  EXPECT_EQ(refused.id, 4u);
  EXPECT_EQ(refused.error, "too many threads");
  EXPECT_TRUE(refused.unsafe);
  EXPECT_FALSE(decode_fork_answer(R"({"id":4,"error":"x","unsafe":"yes"})").unsafe);

  EXPECT_EQ(decode_fork_answer(R"({"id":5})").error, "an answer without a pid");
  EXPECT_EQ(decode_fork_answer(R"({"id":5,"pid":-1})").error, "an answer without a pid");
  EXPECT_EQ(decode_fork_answer(R"({"id":5,"pid":"12"})").error, "an answer without a pid");
  EXPECT_EQ(decode_fork_answer("[1,2]").error, "a malformed answer");
  EXPECT_EQ(decode_fork_answer("not json").error, "a malformed answer");
  EXPECT_EQ(decode_fork_answer(R"({"id":"x","pid":1})").id, 0u) << "an id that is not a number";
}

class ForkClientTest : public ::testing::Test {
 protected:
  explicit ForkClientTest(milliseconds timeout = kTimeout) {
    auto [ours, theirs] = testing::seqpacket_pair();
    client_.emplace(io_, std::move(ours), timeout);
    server_.emplace(std::move(theirs));
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    channel_read_ = UniqueFd(fds[0]);
    channel_ = UniqueFd(fds[1]);
  }

  ForkRequest request(const std::string& name = "a") {
    return {{"/srv/codeloc_server", "--location", name},
            {"CODELOC_LOCATION=" + name},
            "/tmp",
            channel_.get()};
  }

  // Queues a fork whose answer lands in `answers`.
  void fork(std::vector<ForkAnswer>& answers, const std::string& name = "a") {
    client_->fork(request(name),
                  [&answers](ForkAnswer answer) { answers.push_back(std::move(answer)); });
  }

  boost::asio::io_context io_;
  std::optional<ForkClient> client_;
  std::optional<FakeForkServer> server_;
  UniqueFd channel_read_, channel_;
};

TEST_F(ForkClientTest, TheReadyPacketIsReadOnTheLoop) {
  std::optional<ForkReady> ready;
  client_->wait_ready([&](ForkReady r) { ready = std::move(r); });
  io_.poll();
  EXPECT_FALSE(ready) << "nothing sent yet";
  ASSERT_TRUE(server_->send_ready());
  ASSERT_TRUE(run_until(io_, [&] { return ready.has_value(); }));
  EXPECT_EQ(ready->error, "");
  EXPECT_EQ(ready->message["threads"], 1);
}

TEST_F(ForkClientTest, GarbageOrEndOfFileInsteadOfTheReadyPacketIsAnError) {
  std::optional<ForkReady> ready;
  client_->wait_ready([&](ForkReady r) { ready = std::move(r); });
  ASSERT_TRUE(server_->send(std::string("hello")));
  ASSERT_TRUE(run_until(io_, [&] { return ready.has_value(); }));
  EXPECT_EQ(ready->error, "it sent something other than its ready message: hello");

  ready.reset();
  client_->wait_ready([&](ForkReady r) { ready = std::move(r); });
  server_->close();
  ASSERT_TRUE(run_until(io_, [&] { return ready.has_value(); }));
  EXPECT_EQ(ready->error, "it closed its socket before it was ready");
}

TEST_F(ForkClientTest, AForkIsAnsweredFromTheLoopWithTheChildsOutputPipes) {
  std::vector<ForkAnswer> answers;
  fork(answers);
  EXPECT_TRUE(answers.empty()) << "never inside fork()";
  std::optional<ReceivedRequest> received = server_->receive();
  ASSERT_TRUE(received);
  EXPECT_EQ(received->packet["argv"], json({"/srv/codeloc_server", "--location", "a"}));
  EXPECT_EQ(received->packet["env"], json({"CODELOC_LOCATION=a"}));
  EXPECT_EQ(received->packet["cwd"], "/tmp");
  EXPECT_EQ(received->packet["daemon"], ::getpid());
  for (const UniqueFd& fd : received->fds)
    ASSERT_TRUE(fd) << "three descriptors";
  // The channel arrives as a descriptor of the same pipe.
  ASSERT_EQ(::write(received->fds[0].get(), "c", 1), 1);
  char byte = 0;
  ASSERT_EQ(::read(channel_read_.get(), &byte, 1), 1);
  EXPECT_EQ(byte, 'c');
  ASSERT_EQ(::write(received->fds[1].get(), "out", 3), 3);
  ASSERT_EQ(::write(received->fds[2].get(), "err", 3), 3);
  received->fds[1].reset();
  received->fds[2].reset();

  ASSERT_TRUE(server_->answer(*received, 4242));
  ASSERT_TRUE(run_until(io_, [&] { return !answers.empty(); }));
  ASSERT_EQ(answers[0].kind, ForkAnswer::Kind::kForked);
  EXPECT_EQ(answers[0].pid, 4242);
  char text[8] = {};
  ASSERT_TRUE(run_until(io_, [&] { return ::read(answers[0].stdout_fd.get(), text, 8) == 3; }));
  EXPECT_EQ(std::string(text, 3), "out");
  EXPECT_TRUE(::fcntl(answers[0].stderr_fd.get(), F_GETFL) & O_NONBLOCK);
  ASSERT_EQ(::read(answers[0].stderr_fd.get(), text, 8), 3);
  EXPECT_EQ(std::string(text, 3), "err");
  EXPECT_TRUE(client_->idle());
}

TEST_F(ForkClientTest, OverlappingForksAreSentOneAtATimeAndMatchedByTheirIds) {
  std::vector<ForkAnswer> answers;
  fork(answers, "a");
  fork(answers, "b");
  std::optional<ReceivedRequest> first = server_->receive();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->packet["argv"][2], "a");
  io_.poll();
  EXPECT_FALSE(server_->readable()) << "the second waits until the first is answered";

  ASSERT_TRUE(server_->send(json{{"id", 999}, {"pid", 1}})) << "another request's: skipped";
  ASSERT_TRUE(server_->answer(*first, 101));
  std::optional<ReceivedRequest> second;
  ASSERT_TRUE(run_until(io_, [&] {
    if (!second && server_->readable()) second = server_->receive();
    return second.has_value();
  }));
  EXPECT_EQ(second->packet["argv"][2], "b");
  EXPECT_NE(second->packet["id"], first->packet["id"]);
  ASSERT_TRUE(server_->send(json{{"id", second->packet["id"]}, {"error", "no such module"}}));
  ASSERT_TRUE(run_until(io_, [&] { return answers.size() == 2; }));
  EXPECT_EQ(answers[0].kind, ForkAnswer::Kind::kForked);
  EXPECT_EQ(answers[0].pid, 101);
  EXPECT_EQ(answers[1].kind, ForkAnswer::Kind::kFailed);
  EXPECT_EQ(answers[1].error, "no such module");

  // An error answer leaves the socket usable.
  fork(answers, "c");
  std::optional<ReceivedRequest> third = server_->receive();
  ASSERT_TRUE(third);
  ASSERT_TRUE(server_->answer(*third, 103));
  ASSERT_TRUE(run_until(io_, [&] { return answers.size() == 3; }));
  EXPECT_EQ(answers[2].pid, 103);
}

TEST_F(ForkClientTest, GarbageOrEndOfFileFailsTheForkInFlightAndNothingMoreIsSent) {
  std::vector<ForkAnswer> answers;
  fork(answers, "a");
  fork(answers, "b");
  ASSERT_TRUE(server_->receive());
  ASSERT_TRUE(server_->send(std::string("garbage")));
  ASSERT_TRUE(run_until(io_, [&] { return answers.size() == 1; }));
  EXPECT_EQ(answers[0].kind, ForkAnswer::Kind::kFailed);
  EXPECT_EQ(answers[0].error, "a malformed answer");
  io_.poll();
  EXPECT_FALSE(server_->readable()) << "b is not sent on a broken socket";
  EXPECT_FALSE(client_->idle());

  client_->close("the fork server was stopped");
  ASSERT_TRUE(run_until(io_, [&] { return answers.size() == 2; }));
  EXPECT_EQ(answers[1].kind, ForkAnswer::Kind::kClosed);
  EXPECT_FALSE(answers[1].sent);
  EXPECT_EQ(answers[1].error, "the fork server was stopped");
}

TEST_F(ForkClientTest, AnAnswerWithoutAPidOrEndOfFileFailsTheFork) {
  std::vector<ForkAnswer> answers;
  fork(answers);
  std::optional<ReceivedRequest> received = server_->receive();
  ASSERT_TRUE(received);
  ASSERT_TRUE(server_->send(json{{"id", received->packet["id"]}}));
  ASSERT_TRUE(run_until(io_, [&] { return answers.size() == 1; }));
  EXPECT_EQ(answers[0].error, "an answer without a pid");

  auto [ours, theirs] = testing::seqpacket_pair();
  ForkClient other(io_, std::move(ours), kTimeout);
  other.fork(request(), [&](ForkAnswer answer) { answers.push_back(std::move(answer)); });
  theirs.reset();
  ASSERT_TRUE(run_until(io_, [&] { return answers.size() == 2; }));
  EXPECT_EQ(answers[1].kind, ForkAnswer::Kind::kFailed);
  EXPECT_NE(answers[1].error, "");
}

class ShortTimeoutTest : public ForkClientTest {
 protected:
  ShortTimeoutTest() : ForkClientTest(milliseconds(50)) {}
};

TEST_F(ShortTimeoutTest, NoAnswerWithinTheTimeoutFailsTheForkWithoutHoldingTheLoop) {
  std::vector<ForkAnswer> answers;
  fork(answers);
  ASSERT_TRUE(server_->receive());
  // The loop runs other handlers while the answer is awaited.
  bool ticked = false;
  boost::asio::steady_timer tick(io_, milliseconds(1));
  tick.async_wait([&](const boost::system::error_code&) { ticked = true; });
  ASSERT_TRUE(run_until(io_, [&] { return ticked; }));
  ASSERT_TRUE(run_until(io_, [&] { return !answers.empty(); }));
  EXPECT_EQ(answers[0].kind, ForkAnswer::Kind::kFailed);
  EXPECT_EQ(answers[0].error, "no answer within 50 ms");
}

TEST_F(ForkClientTest, CloseSettlesTheForkInFlightAsSent) {
  std::vector<ForkAnswer> answers;
  fork(answers);
  ASSERT_TRUE(server_->receive());
  client_->close("stopping");
  EXPECT_TRUE(answers.empty()) << "posted, not run inside close()";
  ASSERT_TRUE(run_until(io_, [&] { return !answers.empty(); }));
  EXPECT_EQ(answers[0].kind, ForkAnswer::Kind::kClosed);
  EXPECT_TRUE(answers[0].sent);
  char byte;
  EXPECT_EQ(::recv(server_->fd(), &byte, 1, MSG_DONTWAIT), 0) << "the fork server sees end of file";

  fork(answers);
  ASSERT_TRUE(run_until(io_, [&] { return answers.size() == 2; }));
  EXPECT_EQ(answers[1].kind, ForkAnswer::Kind::kClosed) << "a closed client sends nothing";
}

TEST_F(ForkClientTest, ADestroyedClientRunsNoCallback) {
  std::vector<ForkAnswer> answers;
  fork(answers);
  std::optional<ReceivedRequest> received = server_->receive();
  ASSERT_TRUE(received);
  ASSERT_TRUE(server_->answer(*received, 7));
  client_.reset();
  io_.poll();
  EXPECT_TRUE(answers.empty());
}

TEST_F(ForkClientTest, ForkNowWaitsForTheAnswerWithoutTheLoop) {
  // Sent before the request (a client's first request has id 1): fork_now reads it afterwards.
  ASSERT_TRUE(server_->send(json{{"id", 1}, {"pid", 55}}));
  ForkAnswer answer = client_->fork_now(request());
  EXPECT_TRUE(server_->receive()) << "the request was sent";
  EXPECT_EQ(answer.kind, ForkAnswer::Kind::kForked);
  EXPECT_EQ(answer.pid, 55);
  EXPECT_TRUE(answer.stdout_fd);
}

TEST_F(ShortTimeoutTest, ForkNowGivesUpAfterTheTimeout) {
  ForkAnswer answer = client_->fork_now(request());
  EXPECT_EQ(answer.kind, ForkAnswer::Kind::kFailed);
  EXPECT_EQ(answer.error, "no answer within 50 ms");
}

}  // namespace
}  // namespace codeloc::daemon
