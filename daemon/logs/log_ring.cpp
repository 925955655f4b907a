#include "daemon/logs/log_ring.h"

namespace codeloc::daemon {

const char* stream_name(OutputStream stream) {
  return stream == OutputStream::kStdout ? "stdout" : "stderr";
}

LogRing::LogRing(std::size_t max_lines, std::size_t max_bytes)
    : max_lines_(max_lines == 0 ? 1 : max_lines), max_bytes_(max_bytes) {}

void LogRing::push(LogLine line) {
  if (!lines_) lines_ = std::make_unique<std::deque<LogLine>>();
  std::deque<LogLine>& lines = *lines_;
  line.seq = next_seq_++;
  bytes_ += line.text.size();
  lines.push_back(std::move(line));
  while (lines.size() > max_lines_ || (bytes_ > max_bytes_ && lines.size() > 1)) {
    bytes_ -= lines.front().text.size();
    lines.pop_front();
  }
}

std::vector<LogLine> LogRing::tail(std::size_t n) const {
  if (!lines_) return {};
  std::size_t count = n < lines_->size() ? n : lines_->size();
  return {lines_->end() - static_cast<std::ptrdiff_t>(count), lines_->end()};
}

}  // namespace codeloc::daemon
