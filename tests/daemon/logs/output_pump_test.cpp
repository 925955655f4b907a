// OutputPump on a real pipe: the test writes, the io_context runs until the lines it expects have
// arrived or a deadline passes.
#include "daemon/logs/output_pump.h"

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace codeloc::daemon {
namespace {

constexpr auto kOutputPumpDeadline = std::chrono::seconds(10);

struct OutputPumpLines {
  std::vector<std::string> text;
  std::vector<bool> truncated;
};

struct OutputPumpPipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

OutputPumpPipe output_pump_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::shared_ptr<OutputPump> output_pump_start(boost::asio::io_context& io, UniqueFd fd,
                                              std::size_t max, OutputPumpLines* out) {
  return OutputPump::start(io, std::move(fd), max, [out](std::string_view line, bool truncated) {
    out->text.emplace_back(line);
    out->truncated.push_back(truncated);
  });
}

void output_pump_write(const UniqueFd& fd, const std::string& bytes) {
  ASSERT_EQ(::write(fd.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
}

// Runs the loop until `lines` holds `count` lines; false at the deadline.
bool output_pump_run_until(boost::asio::io_context& io, const OutputPumpLines& lines,
                           std::size_t count) {
  auto deadline = std::chrono::steady_clock::now() + kOutputPumpDeadline;
  while (lines.text.size() < count) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    if (io.stopped()) io.restart();
    io.run_one_for(deadline - now);
  }
  return true;
}

TEST(OutputPump, DeliversLinesInOrder) {
  boost::asio::io_context io;
  auto pipe = output_pump_pipe();
  OutputPumpLines lines;
  auto pump = output_pump_start(io, std::move(pipe.read_end), 100, &lines);
  output_pump_write(pipe.write_end, "one\ntwo\nthree\n");
  ASSERT_TRUE(output_pump_run_until(io, lines, 3));
  output_pump_write(pipe.write_end, "four\n");
  ASSERT_TRUE(output_pump_run_until(io, lines, 4));
  EXPECT_EQ(lines.text, (std::vector<std::string>{"one", "two", "three", "four"}));
  EXPECT_EQ(lines.truncated, (std::vector<bool>{false, false, false, false}));
}

TEST(OutputPump, JoinsALineWrittenInTwoParts) {
  boost::asio::io_context io;
  auto pipe = output_pump_pipe();
  OutputPumpLines lines;
  auto pump = output_pump_start(io, std::move(pipe.read_end), 100, &lines);
  output_pump_write(pipe.write_end, "first\nhel");
  ASSERT_TRUE(output_pump_run_until(io, lines, 1));
  output_pump_write(pipe.write_end, "lo\n");
  ASSERT_TRUE(output_pump_run_until(io, lines, 2));
  EXPECT_EQ(lines.text, (std::vector<std::string>{"first", "hello"}));
}

TEST(OutputPump, CutsALineOverTheLimitAndFlagsIt) {
  boost::asio::io_context io;
  auto pipe = output_pump_pipe();
  OutputPumpLines lines;
  auto pump = output_pump_start(io, std::move(pipe.read_end), 8, &lines);
  output_pump_write(pipe.write_end, "0123456789abcdef\nshort\n");
  ASSERT_TRUE(output_pump_run_until(io, lines, 2));
  EXPECT_EQ(lines.text, (std::vector<std::string>{"01234567", "short"}));
  EXPECT_EQ(lines.truncated, (std::vector<bool>{true, false}));
}

TEST(OutputPump, LastLineWithoutNewlineArrivesAtEndOfFile) {
  boost::asio::io_context io;
  auto pipe = output_pump_pipe();
  OutputPumpLines lines;
  auto pump = output_pump_start(io, std::move(pipe.read_end), 100, &lines);
  output_pump_write(pipe.write_end, "done\nno newline");
  ASSERT_TRUE(output_pump_run_until(io, lines, 1));
  pipe.write_end.reset();
  ASSERT_TRUE(output_pump_run_until(io, lines, 2));
  EXPECT_EQ(lines.text, (std::vector<std::string>{"done", "no newline"}));
  EXPECT_EQ(lines.truncated, (std::vector<bool>{false, false}));
  // At end of file the pump stops reading: the loop runs out of work.
  io.restart();
  io.run_for(kOutputPumpDeadline);
  EXPECT_TRUE(io.stopped());
  EXPECT_EQ(lines.text.size(), 2u);
}

TEST(OutputPump, LineLongerThanOneReadIsCutOnceAndTheNextLineFollows) {
  // More than the pump's 64 KiB read buffer and the pipe's capacity: written as the pump drains.
  boost::asio::io_context io;
  auto pipe = output_pump_pipe();
  ASSERT_EQ(::fcntl(pipe.write_end.get(), F_SETFL, O_NONBLOCK), 0);
  OutputPumpLines lines;
  auto pump = output_pump_start(io, std::move(pipe.read_end), 1000, &lines);
  std::string bytes = std::string(300 * 1024, 'x') + "\nafter\n";
  auto deadline = std::chrono::steady_clock::now() + kOutputPumpDeadline;
  for (std::size_t done = 0; done < bytes.size();) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    ssize_t n = ::write(pipe.write_end.get(), bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else {
      ASSERT_EQ(errno, EAGAIN);
      io.run_one_for(deadline - std::chrono::steady_clock::now());
    }
  }
  pipe.write_end.reset();
  ASSERT_TRUE(output_pump_run_until(io, lines, 2));
  ASSERT_EQ(lines.text.size(), 2u);
  EXPECT_EQ(lines.text[0], std::string(1000, 'x'));
  EXPECT_EQ(lines.text[1], "after");
  EXPECT_EQ(lines.truncated, (std::vector<bool>{true, false}));
}

TEST(OutputPump, NoLineAfterClose) {
  boost::asio::io_context io;
  auto pipe = output_pump_pipe();
  OutputPumpLines lines;
  auto pump = output_pump_start(io, std::move(pipe.read_end), 100, &lines);
  output_pump_write(pipe.write_end, "before\n");
  ASSERT_TRUE(output_pump_run_until(io, lines, 1));
  output_pump_write(pipe.write_end, "after\nand a partial");
  pump->close();
  io.restart();
  io.run_for(kOutputPumpDeadline);
  EXPECT_TRUE(io.stopped());
  EXPECT_EQ(lines.text, std::vector<std::string>{"before"});
}

TEST(OutputPump, HoldsNoReadBufferOfItsOwn) {
  // Pumps read into one buffer shared by the thread: two per location used to carry 64 KiB each.
  EXPECT_LT(sizeof(OutputPump), 1024u);
}

TEST(OutputPump, PumpsSharingTheReadBufferKeepTheirLinesApart) {
  boost::asio::io_context io;
  constexpr int kPumps = 8;
  std::vector<OutputPumpPipe> pipes;
  std::vector<OutputPumpLines> lines(kPumps);
  std::vector<std::shared_ptr<OutputPump>> pumps;
  for (int i = 0; i < kPumps; ++i) {
    pipes.push_back(output_pump_pipe());
    pumps.push_back(output_pump_start(io, std::move(pipes[i].read_end), 100, &lines[i]));
  }
  // Every pump holds a partial line while the others read theirs into the same buffer.
  for (int i = 0; i < kPumps; ++i)
    output_pump_write(pipes[i].write_end, "pump " + std::to_string(i) + " sa");
  for (int i = 0; i < kPumps; ++i)
    output_pump_write(pipes[i].write_end, "ys hello\nbye from " + std::to_string(i) + "\n");
  for (int i = 0; i < kPumps; ++i) {
    ASSERT_TRUE(output_pump_run_until(io, lines[i], 2)) << "pump " << i;
  }
  for (int i = 0; i < kPumps; ++i) {
    const std::string n = std::to_string(i);
    EXPECT_EQ(lines[i].text,
              (std::vector<std::string>{"pump " + n + " says hello", "bye from " + n}));
  }
}

}  // namespace
}  // namespace codeloc::daemon
