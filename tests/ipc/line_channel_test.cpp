#include "ipc/line_channel.h"

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "ipc/channel_error.h"
#include "tests/ipc/test_loop.h"

namespace codeloc::ipc {
namespace {

using testing::run_until;
using testing::socket_pair;

struct Recorder {
  std::vector<std::string> frames;
  int too_large = 0;
  int closed = 0;
  boost::system::error_code error;

  LineChannel::Handlers handlers() {
    return {.on_frame = [this](std::string_view f) { frames.emplace_back(f); },
            .on_too_large = [this] { ++too_large; },
            .on_closed =
                [this](const boost::system::error_code& e) {
                  ++closed;
                  error = e;
                }};
  }
};

LineChannel::Options small_options() {
  LineChannel::Options options;
  options.max_frame_bytes = 1024;
  options.max_queued_bytes = 64 * 1024;
  options.read_chunk_bytes = 4096;
  return options;
}

class LineChannelTest : public ::testing::Test {
 protected:
  boost::asio::io_context io_;
};

TEST_F(LineChannelTest, RoundTripsLinesBothWays) {
  auto [sa, sb] = socket_pair(io_);
  auto a = LineChannel::create(std::move(sa), small_options());
  auto b = LineChannel::create(std::move(sb), small_options());
  Recorder ra, rb;
  a->start(ra.handlers());
  b->start(rb.handlers());
  EXPECT_TRUE(a->send(R"({"x":1})"));
  EXPECT_TRUE(a->send("second"));
  ASSERT_TRUE(run_until(io_, [&] { return rb.frames.size() == 2; }));
  EXPECT_EQ(rb.frames, (std::vector<std::string>{R"({"x":1})", "second"}));
  b->send("back");
  ASSERT_TRUE(run_until(io_, [&] { return ra.frames.size() == 1; }));
  EXPECT_EQ(ra.frames[0], "back");
  EXPECT_EQ(a->queued_bytes(), 0u);
}

TEST_F(LineChannelTest, JoinsFramesSplitAcrossReads) {
  auto [sa, raw] = socket_pair(io_);
  auto a = LineChannel::create(std::move(sa), small_options());
  Recorder r;
  a->start(r.handlers());
  boost::asio::write(raw, boost::asio::buffer(std::string("{\"a\":")));
  ASSERT_TRUE(run_until(io_, [&] { return io_.poll() == 0; }));
  EXPECT_TRUE(r.frames.empty());
  boost::asio::write(raw, boost::asio::buffer(std::string("1}\r\n\nnext\n")));
  ASSERT_TRUE(run_until(io_, [&] { return r.frames.size() == 2; }));
  EXPECT_EQ(r.frames, (std::vector<std::string>{"{\"a\":1}", "next"}));
}

TEST_F(LineChannelTest, ChannelsSharingTheReadBufferKeepTheirFramesApart) {
  // Channels read into one buffer shared by the thread (an idle channel holds none): each must
  // still get only its own bytes, with a partial frame kept across the others' reads.
  constexpr int kChannels = 6;
  std::vector<std::shared_ptr<LineChannel>> channels;
  std::vector<testing::Socket> raws;
  std::vector<Recorder> recorders(kChannels);
  for (int i = 0; i < kChannels; ++i) {
    auto [sa, raw] = socket_pair(io_);
    channels.push_back(LineChannel::create(std::move(sa), small_options()));
    channels.back()->start(recorders[i].handlers());
    raws.push_back(std::move(raw));
  }
  for (int i = 0; i < kChannels; ++i)
    boost::asio::write(raws[i], boost::asio::buffer("{\"from\":" + std::to_string(i)));
  ASSERT_TRUE(run_until(io_, [&] { return io_.poll() == 0; }));
  for (int i = 0; i < kChannels; ++i)
    boost::asio::write(raws[i], boost::asio::buffer("}\nsecond " + std::to_string(i) + "\n"));
  ASSERT_TRUE(run_until(io_, [&] {
    for (const Recorder& r : recorders)
      if (r.frames.size() < 2) return false;
    return true;
  }));
  for (int i = 0; i < kChannels; ++i) {
    const std::string n = std::to_string(i);
    EXPECT_EQ(recorders[i].frames,
              (std::vector<std::string>{"{\"from\":" + n + "}", "second " + n}));
  }
}

TEST_F(LineChannelTest, PausedDeliversNothingAndReadsNoMoreUntilResumed) {
  auto [sa, raw] = socket_pair(io_);
  auto a = LineChannel::create(std::move(sa), small_options());
  std::vector<std::string> frames;
  a->start({.on_frame =
                [&](std::string_view f) {
                  frames.emplace_back(f);
                  if (f == "pause") a->pause_reading();
                },
            .on_too_large = [] {},
            .on_closed = [](const boost::system::error_code&) {}});
  boost::asio::write(raw, boost::asio::buffer(std::string("one\npause\ntwo\n")));
  ASSERT_TRUE(run_until(io_, [&] { return frames.size() == 2; }));
  // Far more than one read chunk (4 KiB) behind it: it stays in the socket while paused.
  const std::string more = std::string(64 * 1024, 'x') + "\nlast\n";
  boost::asio::write(raw, boost::asio::buffer(more));
  io_.poll();
  EXPECT_EQ(frames, (std::vector<std::string>{"one", "pause"})) << "nothing while paused";
  int waiting = 0;
  ASSERT_EQ(::ioctl(raw.native_handle(), TIOCOUTQ, &waiting), 0);
  EXPECT_GT(waiting, 32 * 1024) << "the peer's bytes wait in its socket, not in the daemon";
  a->resume_reading();
  ASSERT_TRUE(run_until(io_, [&] { return frames.size() == 3; }));
  EXPECT_EQ(frames[2], "two");
  EXPECT_EQ(a->is_open(), true);
}

TEST_F(LineChannelTest, ReportsAnOversizedLineAndKeepsTheConnection) {
  auto [sa, sb] = socket_pair(io_);
  auto a = LineChannel::create(std::move(sa), small_options());
  auto b = LineChannel::create(std::move(sb), small_options());
  Recorder r;
  b->start(r.handlers());
  a->send(std::string(10'000, 'x'));
  a->send("after");
  ASSERT_TRUE(run_until(io_, [&] { return r.frames.size() == 1; }));
  EXPECT_EQ(r.too_large, 1);
  EXPECT_EQ(r.frames[0], "after");
  EXPECT_EQ(r.closed, 0);
}

TEST_F(LineChannelTest, ReportsPeerHangupOnceAsEof) {
  auto [sa, sb] = socket_pair(io_);
  auto a = LineChannel::create(std::move(sa), small_options());
  Recorder r;
  a->start(r.handlers());
  sb.close();
  ASSERT_TRUE(run_until(io_, [&] { return r.closed > 0; }));
  EXPECT_EQ(r.error, boost::asio::error::eof);
  EXPECT_FALSE(a->is_open());
  EXPECT_FALSE(a->send("late"));
  io_.restart();
  io_.poll();
  EXPECT_EQ(r.closed, 1);
}

TEST_F(LineChannelTest, ClosesWithADistinctErrorWhenTheOutputQueueOverflows) {
  auto [sa, sb] = socket_pair(io_);  // sb is never read
  auto a = LineChannel::create(std::move(sa), small_options());
  Recorder r;
  a->start(r.handlers());
  const std::string line(1000, 'y');
  bool overflowed = false;
  for (int i = 0; i < 100'000 && !overflowed; ++i) {
    overflowed = !a->send(line);
    ASSERT_LE(a->queued_bytes(), small_options().max_queued_bytes);
    if (!overflowed) io_.poll();
  }
  ASSERT_TRUE(overflowed);
  EXPECT_EQ(r.closed, 0);  // reported from the loop, not from inside send()
  ASSERT_TRUE(run_until(io_, [&] { return r.closed > 0; }));
  EXPECT_EQ(r.error, make_error_code(ChannelErrc::kOutputQueueFull));
  EXPECT_EQ(a->queued_bytes(), 0u);
}

TEST_F(LineChannelTest, AcceptsOneLineLargerThanTheQueueBoundWhenNothingIsQueued) {
  auto [sa, sb] = socket_pair(io_);
  auto a = LineChannel::create(std::move(sa), small_options());
  auto b = LineChannel::create(std::move(sb), LineChannel::Options{});
  Recorder r;
  b->start(r.handlers());
  a->start({});
  EXPECT_TRUE(a->send(std::string(200'000, 'z')));
  ASSERT_TRUE(run_until(io_, [&] { return r.frames.size() == 1; }));
  EXPECT_EQ(r.frames[0].size(), 200'000u);
}

TEST_F(LineChannelTest, SendsASharedBlockBetweenItsHeadAndTailWithoutCopyingIt) {
  auto [sa, sb] = socket_pair(io_);
  auto a = LineChannel::create(std::move(sa), LineChannel::Options{});
  auto b = LineChannel::create(std::move(sb), LineChannel::Options{});
  Recorder r;
  b->start(r.handlers());
  a->start({});
  auto shared = std::make_shared<const std::string>(300'000, 's');
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(a->send(OutgoingLine("head" + std::to_string(i), shared, "tail")));
  }
  EXPECT_GE(shared.use_count(), 2);  // the queued lines point at it
  EXPECT_EQ(a->queued_bytes(), 3 * (5 + 300'000 + 4 + 1));
  ASSERT_TRUE(run_until(io_, [&] { return r.frames.size() == 3; }));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r.frames[i], "head" + std::to_string(i) + *shared + "tail");
  }
  // The reader may see the last bytes before the writer's completion runs: wait for that too.
  ASSERT_TRUE(run_until(io_, [&] { return a->queued_bytes() == 0; }));
  EXPECT_EQ(shared.use_count(), 1);  // released once written
  EXPECT_EQ(a->queued_bytes(), 0u);
}

TEST_F(LineChannelTest, CloseInsideACallbackStopsFurtherCallbacks) {
  auto [sa, raw] = socket_pair(io_);
  auto a = LineChannel::create(std::move(sa), small_options());
  std::vector<std::string> frames;
  int closed = 0;
  a->start({.on_frame =
                [&](std::string_view f) {
                  frames.emplace_back(f);
                  a->close();
                  a.reset();  // the owner may even drop its pointer here
                },
            .on_too_large = nullptr,
            .on_closed = [&](const boost::system::error_code&) { ++closed; }});
  boost::asio::write(raw, boost::asio::buffer(std::string("one\ntwo\nthree\n")));
  ASSERT_TRUE(run_until(io_, [&] { return !frames.empty(); }));
  io_.restart();
  io_.poll();
  EXPECT_EQ(frames, std::vector<std::string>{"one"});
  EXPECT_EQ(closed, 0);
}

TEST_F(LineChannelTest, CloseAfterFlushWritesQueuedLinesThenCloses) {
  auto [sa, sb] = socket_pair(io_);
  auto a = LineChannel::create(std::move(sa), small_options());
  auto b = LineChannel::create(std::move(sb), small_options());
  Recorder ra, rb;
  a->start(ra.handlers());
  b->start(rb.handlers());
  a->send("1");
  a->send("2");
  a->close_after_flush();
  EXPECT_FALSE(a->send("3"));
  ASSERT_TRUE(run_until(io_, [&] { return rb.closed > 0; }));
  EXPECT_EQ(rb.frames, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(rb.error, boost::asio::error::eof);
  EXPECT_EQ(ra.closed, 0);
}

TEST_F(LineChannelTest, AdoptsARawSocketpairDescriptor) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  boost::system::error_code error;
  auto a = LineChannel::from_fd(io_.get_executor(), fds[0], small_options(), error);
  auto b = LineChannel::from_fd(io_.get_executor(), fds[1], small_options(), error);
  ASSERT_FALSE(error);
  Recorder r;
  b->start(r.handlers());
  a->send("over fd");
  ASSERT_TRUE(run_until(io_, [&] { return r.frames.size() == 1; }));
  EXPECT_EQ(r.frames[0], "over fd");

  auto bad = LineChannel::from_fd(io_.get_executor(), -1, small_options(), error);
  EXPECT_EQ(bad, nullptr);
  EXPECT_TRUE(error);
}

TEST_F(LineChannelTest, LetsOtherWorkRunWhileAPeerFloods) {
  auto [sa, sb] = socket_pair(io_);
  LineChannel::Options big;
  big.max_queued_bytes = 8u << 20;
  auto writer = LineChannel::create(std::move(sa), big);
  auto reader = LineChannel::create(std::move(sb), small_options());
  constexpr int kLines = 200'000;
  int frames = 0;
  int frames_when_other_work_ran = -1;
  reader->start({.on_frame =
                     [&](std::string_view) {
                       if (++frames == 1) {
                         boost::asio::post(io_, [&] { frames_when_other_work_ran = frames; });
                       }
                     },
                 .on_too_large = nullptr,
                 .on_closed = nullptr});
  writer->start({});
  for (int i = 0; i < kLines; ++i)
    ASSERT_TRUE(writer->send("x"));
  ASSERT_TRUE(run_until(io_, [&] { return frames == kLines; }));
  EXPECT_GT(frames_when_other_work_ran, 0);
  EXPECT_LT(frames_when_other_work_ran, kLines / 4);
}

// VmRSS of this process, in KiB.
long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  long value = 0;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> value;
      return value;
    }
    status.ignore(1 << 10, '\n');
  }
  return -1;
}

// A peer that never reads: the channel queues up to its bound and is closed. The lines it held
// must go back to the system, even with small allocations made meanwhile pinning the heap
// (as the daemon's other work does); glibc alone would keep them (found by bench/soak.py).
TEST_F(LineChannelTest, GivesBackTheMemoryOfABigQueueOnceItIsDropped) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's allocator keeps freed memory in its quarantine";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  GTEST_SKIP() << "AddressSanitizer's allocator keeps freed memory in its quarantine";
#endif
#endif
  auto [sa, sb] = socket_pair(io_);
  LineChannel::Options options;
  options.max_queued_bytes = 96u << 20;
  auto a = LineChannel::create(std::move(sa), options);
  Recorder ra;
  a->start(ra.handlers());
#if defined(__GLIBC__)
  // Lines come from the heap, as in the daemon once glibc's dynamic mmap threshold has risen
  // past its answers' size (after the first big one is freed).
  ::mallopt(M_MMAP_THRESHOLD, 4 << 20);
  ::malloc_trim(0);  // free pages left by earlier tests would hide the queue's growth
#endif
  const long before = rss_kib();
  std::vector<std::unique_ptr<std::string>> pins;
  const std::string line(100 * 1024, 'x');
  for (int i = 0; i < 640; ++i) {  // 64 MiB
    ASSERT_TRUE(a->send(line));
    pins.push_back(std::make_unique<std::string>(200, 'p'));
  }
  const long full = rss_kib();
  EXPECT_GT(full - before, 48 * 1024) << "the queue should hold about 64 MiB";
  a->close();
  const long after = rss_kib();
#if defined(__GLIBC__)
  ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);  // glibc's default
#endif
  EXPECT_LT(after - before, 16 * 1024)
      << "before " << before << " KiB, full " << full << " KiB, after closing " << after << " KiB";
}

}  // namespace
}  // namespace codeloc::ipc
