#include "ipc/frame_decoder.h"

namespace codeloc::ipc {

FrameDecoder::FrameDecoder(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

void FrameDecoder::feed(std::string_view bytes) {
  if (discarding_) {
    const std::size_t newline = bytes.find('\n');
    if (newline == std::string_view::npos) return;
    discarding_ = false;
    bytes.remove_prefix(newline + 1);
  }
  // Drop what next() has already returned. This happens at most once per returned frame and moves
  // only the unreturned tail, so it adds linear cost overall.
  if (start_ > 0) {
    buffer_.erase(0, start_);
    scanned_ -= start_;
    start_ = 0;
  }
  buffer_.append(bytes);
}

FrameDecoder::Result FrameDecoder::next() {
  for (;;) {
    const std::size_t newline = buffer_.find('\n', scanned_);
    if (newline == std::string::npos) {
      scanned_ = buffer_.size();
      // One more byte than the limit may still be a frame of exactly the limit plus its '\r'.
      if (buffer_.size() - start_ > max_frame_bytes_ + 1) {
        buffer_.clear();
        start_ = scanned_ = 0;
        discarding_ = true;
        return {Status::kTooLarge, {}};
      }
      return {Status::kNeedMore, {}};
    }
    std::string_view line(buffer_.data() + start_, newline - start_);
    start_ = scanned_ = newline + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_frame_bytes_) return {Status::kTooLarge, {}};
    if (!line.empty()) {
      frame_begin_ = static_cast<std::size_t>(line.data() - buffer_.data());
      frame_size_ = line.size();
      return {Status::kFrame, line};
    }
  }
}

std::string FrameDecoder::take_frame() {
  std::string frame = std::move(buffer_);
  buffer_.assign(frame, start_, std::string::npos);  // what follows the frame: at most one feed
  start_ = scanned_ = 0;
  frame.resize(frame_begin_ + frame_size_);
  if (frame_begin_ > 0) frame.erase(0, frame_begin_);  // the frame began in this feed: small
  return frame;
}

}  // namespace codeloc::ipc
