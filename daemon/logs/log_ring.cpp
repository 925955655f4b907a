#include "daemon/logs/log_ring.h"

namespace codeloc::daemon {

const char* stream_name(OutputStream stream) {
  return stream == OutputStream::kStdout ? "stdout" : "stderr";
}

LogRing::LogRing(std::size_t max_lines, std::size_t max_bytes)
    : max_lines_(max_lines == 0 ? 1 : max_lines), max_bytes_(max_bytes) {}

void LogRing::push(LogLine line) {
  line.seq = next_seq_++;
  bytes_ += line.text.size();
  lines_.push_back(std::move(line));
  while (lines_.size() > max_lines_ || (bytes_ > max_bytes_ && lines_.size() > 1)) {
    bytes_ -= lines_.front().text.size();
    lines_.pop_front();
  }
}

std::vector<LogLine> LogRing::tail(std::size_t n) const {
  std::size_t count = n < lines_.size() ? n : lines_.size();
  return {lines_.end() - static_cast<std::ptrdiff_t>(count), lines_.end()};
}

}  // namespace codeloc::daemon
