#include "ipc/frame_decoder.h"

#include <utility>

namespace codeloc::ipc {
namespace {

// What one feed may add past a piece's size before it is banked: LineChannel reads 64 KiB.
constexpr std::size_t kPieceSlackBytes = 64u << 10;

}  // namespace

std::size_t FramePieces::size() const {
  std::size_t total = 0;
  for (const std::string& piece : pieces)
    total += piece.size();
  return total;
}

std::string FramePieces::join() && {
  if (pieces.size() == 1) return std::move(pieces.front());
  std::string joined;
  joined.reserve(size());
  for (std::string& piece : pieces) {
    joined.append(piece);
    std::string().swap(piece);  // freed as it goes: the peak stays near one copy
  }
  pieces.clear();
  return joined;
}

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

void FrameDecoder::drop_pieces() {
  pieces_.clear();
  pieces_bytes_ = 0;
  frame_in_pieces_ = false;
}

FrameDecoder::Result FrameDecoder::next() {
  if (frame_in_pieces_) drop_pieces();  // returned but not taken
  for (;;) {
    const std::size_t newline = buffer_.find('\n', scanned_);
    if (newline == std::string::npos) {
      scanned_ = buffer_.size();
      // One more byte than the limit may still be a frame of exactly the limit plus its '\r'.
      if (buffered_bytes() > max_frame_bytes_ + 1) {
        buffer_.clear();
        drop_pieces();
        start_ = scanned_ = 0;
        discarding_ = true;
        return {Status::kTooLarge, {}};
      }
      if (piece_bytes_ > 0 && buffer_.size() - start_ >= piece_bytes_) {
        // Bank the partial line as a piece; the next bytes go to a buffer of their own.
        if (start_ > 0) buffer_.erase(0, start_);  // at most a piece plus one feed
        pieces_bytes_ += buffer_.size();
        pieces_.push_back(std::move(buffer_));
        // The next piece's room at once (with a read's worth of slack), rather than doubled
        // into: one allocation (one mmap) per piece on the loop instead of five, and no copies.
        buffer_ = std::string();
        buffer_.reserve(piece_bytes_ + kPieceSlackBytes);
        start_ = scanned_ = 0;
      }
      return {Status::kNeedMore, {}};
    }
    if (!pieces_.empty()) {
      // The line began in a piece (so at buffer_'s start): it is not empty, and its '\r' may be
      // the last byte of the last piece; take_frame() drops it.
      std::size_t size = pieces_bytes_ + newline;
      const bool cr = newline > 0 ? buffer_[newline - 1] == '\r' : pieces_.back().back() == '\r';
      if (cr) --size;
      frame_begin_ = 0;
      frame_size_ = newline;
      start_ = scanned_ = newline + 1;
      if (size > max_frame_bytes_) {
        drop_pieces();
        return {Status::kTooLarge, {}};
      }
      frame_in_pieces_ = true;
      return {Status::kFrame, {}, size, true};
    }
    std::string_view line(buffer_.data() + start_, newline - start_);
    start_ = scanned_ = newline + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_frame_bytes_) return {Status::kTooLarge, {}};
    if (!line.empty()) {
      frame_begin_ = static_cast<std::size_t>(line.data() - buffer_.data());
      frame_size_ = line.size();
      return {Status::kFrame, line, line.size(), false};
    }
  }
}

FramePieces FrameDecoder::take_frame() {
  std::string last = std::move(buffer_);
  buffer_.assign(last, start_, std::string::npos);  // what follows the frame: at most one feed
  start_ = scanned_ = 0;
  last.resize(frame_begin_ + frame_size_);
  if (frame_begin_ > 0) last.erase(0, frame_begin_);  // the frame began in this feed: small
  if (!frame_in_pieces_) return FramePieces{{std::move(last)}};
  FramePieces frame{std::move(pieces_)};
  drop_pieces();
  frame.pieces.push_back(std::move(last));
  // A "\r\n" split across two pieces: the '\r' ends the piece before.
  if (frame.pieces.back().empty()) frame.pieces.pop_back();
  if (frame.pieces.back().back() == '\r') frame.pieces.back().pop_back();
  return frame;
}

}  // namespace codeloc::ipc
