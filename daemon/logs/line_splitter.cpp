#include "daemon/logs/line_splitter.h"

namespace codeloc::daemon {

LineSplitter::LineSplitter(std::size_t max_line_bytes, LineHandler on_line)
    : max_line_bytes_(max_line_bytes), on_line_(std::move(on_line)) {}

void LineSplitter::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    std::size_t newline = bytes.find('\n');
    std::string_view piece = bytes.substr(0, newline);
    bool complete = newline != std::string_view::npos;
    bytes = complete ? bytes.substr(newline + 1) : std::string_view{};

    if (!discarding_) {
      std::size_t room = max_line_bytes_ - partial_.size();
      if (piece.size() > room) {
        partial_.append(piece.substr(0, room));
        on_line_(partial_, true);
        partial_.clear();
        discarding_ = !complete;
        continue;
      }
      if (complete && partial_.empty()) {
        std::string_view line = piece;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        on_line_(line, false);
        continue;
      }
      partial_.append(piece);
      if (complete) {
        if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
        on_line_(partial_, false);
        partial_.clear();
      }
    } else if (complete) {
      discarding_ = false;
    }
  }
}

void LineSplitter::finish() {
  if (!partial_.empty()) on_line_(partial_, false);
  partial_.clear();
  discarding_ = false;
}

}  // namespace codeloc::daemon
