// libFuzzer target for ipc::FrameDecoder (docs/fuzzing.md). The input's first byte picks the
// frame limit, its second the chunking; the rest is the byte stream. The decoder's answers are
// compared with a model of docs/protocol.md "Framing" that sees the whole stream at once, so any
// chunking must give the same frames and kTooLarge answers, and memory stays within the limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/frame_decoder.h"

namespace {

using codeloc::ipc::FrameDecoder;

struct Event {
  bool too_large;
  std::string frame;
  bool operator==(const Event&) const = default;
};

// What the decoder must answer for the whole stream: one event per complete line (minus one
// trailing '\r'; empty lines skipped), and one kTooLarge for an unfinished last line that already
// exceeds the limit plus a possible '\r'.
std::vector<Event> model(std::string_view stream, std::size_t max) {
  std::vector<Event> out;
  for (;;) {
    std::size_t newline = stream.find('\n');
    if (newline == std::string_view::npos) {
      if (stream.size() > max + 1) out.push_back({true, {}});
      return out;
    }
    std::string_view line = stream.substr(0, newline);
    stream.remove_prefix(newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max) {
      out.push_back({true, {}});
    } else if (!line.empty()) {
      out.push_back({false, std::string(line)});
    }
  }
}

[[noreturn]] void fail(const char* what) {
  __builtin_printf("frame_decoder_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max = 1 + data[0] % 64;
  std::uint32_t rng = data[1] | 1u;  // xorshift state for the chunk sizes
  std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  FrameDecoder decoder(max);
  std::vector<Event> got;
  std::size_t offset = 0;
  while (offset < stream.size()) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    std::size_t chunk = (rng & 3) == 0 ? stream.size() : 1 + rng % 17;
    std::string_view piece = stream.substr(offset, chunk);
    offset += piece.size();
    decoder.feed(piece);
    for (;;) {
      FrameDecoder::Result result = decoder.next();
      if (result.status == FrameDecoder::Status::kNeedMore) break;
      if (result.status == FrameDecoder::Status::kTooLarge) {
        got.push_back({true, {}});
      } else {
        if (result.frame.empty() || result.frame.size() > max) fail("frame empty or over limit");
        if (result.frame.find('\n') != std::string_view::npos) fail("frame holds a newline");
        got.push_back({false, std::string(result.frame)});
      }
    }
    if (decoder.buffered_bytes() > max + 1) fail("holds more than the limit after kNeedMore");
  }
  if (got != model(stream, max)) fail("answers differ from the model");
  return 0;
}
