// Newline-delimited framing (docs/protocol.md, "Framing"), without I/O: bytes in, frames out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace codeloc::ipc {

// Splits a byte stream into lines. Feed bytes as they arrive, then call next() until it answers
// kNeedMore. A trailing '\r' is dropped and empty lines are skipped.
//
// A line longer than max_frame_bytes (not counting "\n" or "\r\n") yields kTooLarge exactly once;
// the rest of that line is discarded as it arrives and decoding resumes after its '\n', so the
// connection stays usable. Memory stays within about max_frame_bytes plus one fed chunk, and each
// byte is scanned for '\n' once, so a large frame fed in small chunks costs linear time.
class FrameDecoder {
 public:
  enum class Status { kFrame, kNeedMore, kTooLarge };
  struct Result {
    Status status;
    // The frame, for kFrame. Points into the decoder: valid until the next feed().
    std::string_view frame;
  };

  explicit FrameDecoder(std::size_t max_frame_bytes);

  void feed(std::string_view bytes);
  Result next();
  // Hands over the frame the last next() returned (kFrame) as an owned string, without copying
  // it when it began in an earlier feed (the usual case for a big frame): the buffer itself is
  // moved out and only the bytes after the frame are copied back. REQUIRES: the last call was
  // next() and it returned kFrame.
  std::string take_frame();

  std::size_t max_frame_bytes() const { return max_frame_bytes_; }
  // Bytes held for frames not yet returned (a partial line, or lines next() has not reached).
  std::size_t buffered_bytes() const { return buffer_.size() - start_; }

 private:
  std::size_t max_frame_bytes_;
  std::string buffer_;
  std::size_t start_ = 0;        // first byte not yet returned
  std::size_t scanned_ = 0;      // bytes [start_, scanned_) hold no '\n'
  bool discarding_ = false;      // inside an oversized line, dropping bytes up to its '\n'
  std::size_t frame_begin_ = 0;  // the last frame next() returned: [frame_begin_, +frame_size_)
  std::size_t frame_size_ = 0;
};

}  // namespace codeloc::ipc
