// The last lines a location's children wrote, bounded both in lines and in bytes: the oldest
// lines are dropped first. Kept per location across restarts, for `codeloc logs`. Memory follows
// use: a ring allocates nothing until its first line, and its storage grows a block at a time up
// to what the limits keep (a location that never writes costs only the object).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace codeloc::daemon {

enum class OutputStream { kStdout, kStderr };
const char* stream_name(OutputStream stream);  // "stdout" / "stderr"

struct LogLine {
  std::uint64_t seq = 0;  // increases by one per line ever pushed, so followers can resume
  std::chrono::system_clock::time_point time;
  OutputStream stream = OutputStream::kStdout;
  int pid = 0;
  bool truncated = false;
  std::string text;
};

class LogRing {
 public:
  LogRing(std::size_t max_lines, std::size_t max_bytes);

  void push(LogLine line);  // assigns seq
  // The last n lines (all when n exceeds what is kept), oldest first.
  std::vector<LogLine> tail(std::size_t n) const;
  std::size_t size() const { return lines_ ? lines_->size() : 0; }
  std::size_t bytes() const { return bytes_; }
  std::uint64_t next_seq() const { return next_seq_; }
  // Whether any storage is allocated (false until the first push).
  bool allocated() const { return lines_ != nullptr; }

 private:
  std::size_t max_lines_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::uint64_t next_seq_ = 1;
  // Null until the first push: libstdc++'s deque allocates a block even when empty.
  std::unique_ptr<std::deque<LogLine>> lines_;
};

}  // namespace codeloc::daemon
