// Newline-delimited framing (docs/protocol.md, "Framing"), without I/O: bytes in, frames out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace codeloc::ipc {

// A frame as the pieces it was kept in while it arrived (FrameDecoder::keep_in_pieces): joined
// into one string where a copy of tens of megabytes does no harm, e.g. on a worker thread.
struct FramePieces {
  std::vector<std::string> pieces;

  std::size_t size() const;
  // The frame in one string: the piece itself when there is only one (no copy).
  std::string join() &&;
};

// Splits a byte stream into lines. Feed bytes as they arrive, then call next() until it answers
// kNeedMore. A trailing '\r' is dropped and empty lines are skipped.
//
// A line longer than max_frame_bytes (not counting "\n" or "\r\n") yields kTooLarge exactly once;
// the rest of that line is discarded as it arrives and decoding resumes after its '\n', so the
// connection stays usable. Memory stays within about max_frame_bytes plus one fed chunk, and each
// byte is scanned for '\n' once, so a large frame fed in small chunks costs linear time.
//
// A buffer that grows to hold a 50 MB line copies it as it doubles (32 MB at once, into fresh
// pages: milliseconds). With keep_in_pieces(n), a line that grows past n bytes is kept as pieces
// of about n bytes instead, never copied here: such a frame comes from next() without a view and
// must be taken with take_frame().
class FrameDecoder {
 public:
  enum class Status { kFrame, kNeedMore, kTooLarge };
  struct Result {
    Status status;
    // The frame, for kFrame. Points into the decoder: valid until the next feed(). Empty when
    // the frame came in pieces (in_pieces): take_frame() has it.
    std::string_view frame;
    std::size_t size = 0;  // the frame's length, for kFrame
    bool in_pieces = false;
  };

  explicit FrameDecoder(std::size_t max_frame_bytes);

  // Keeps a line longer than `piece_bytes` in pieces (0: one buffer, the default).
  void keep_in_pieces(std::size_t piece_bytes) { piece_bytes_ = piece_bytes; }

  void feed(std::string_view bytes);
  Result next();
  // Hands over the frame the last next() returned (kFrame) as owned strings, without copying it
  // when it began in an earlier feed (the usual case for a big frame): the buffer itself is moved
  // out and only the bytes after the frame are copied back. REQUIRES: the last call was next()
  // and it returned kFrame; required (not optional) when that frame came in pieces.
  FramePieces take_frame();

  std::size_t max_frame_bytes() const { return max_frame_bytes_; }
  // Bytes held for frames not yet returned (a partial line, or lines next() has not reached).
  std::size_t buffered_bytes() const { return pieces_bytes_ + buffer_.size() - start_; }

 private:
  void drop_pieces();

  std::size_t max_frame_bytes_;
  std::size_t piece_bytes_ = 0;
  std::string buffer_;
  std::size_t start_ = 0;        // first byte not yet returned
  std::size_t scanned_ = 0;      // bytes [start_, scanned_) hold no '\n'
  bool discarding_ = false;      // inside an oversized line, dropping bytes up to its '\n'
  std::size_t frame_begin_ = 0;  // the last frame next() returned: [frame_begin_, +frame_size_)
  std::size_t frame_size_ = 0;   //   of buffer_, after pieces_ when it came in pieces
  // The earlier pieces of the line being read (keep_in_pieces), or of the frame in pieces that
  // next() returned last (until take_frame()).
  std::vector<std::string> pieces_;
  std::size_t pieces_bytes_ = 0;
  bool frame_in_pieces_ = false;
};

}  // namespace codeloc::ipc
