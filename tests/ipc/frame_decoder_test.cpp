#include "ipc/frame_decoder.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace codeloc::ipc {
namespace {

using Status = FrameDecoder::Status;

// Drains the decoder: frames as strings, "<too large>" for kTooLarge.
std::vector<std::string> drain(FrameDecoder& decoder) {
  std::vector<std::string> out;
  for (;;) {
    const auto result = decoder.next();
    if (result.status == Status::kNeedMore) return out;
    out.emplace_back(result.status == Status::kFrame ? std::string(result.frame) : "<too large>");
  }
}

TEST(FrameDecoder, JoinsAFrameSplitAcrossFeeds) {
  FrameDecoder decoder(100);
  decoder.feed("{\"a\":");
  EXPECT_TRUE(drain(decoder).empty());
  decoder.feed("1}");
  EXPECT_TRUE(drain(decoder).empty());
  decoder.feed("\n");
  EXPECT_EQ(drain(decoder), std::vector<std::string>{"{\"a\":1}"});
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(FrameDecoder, SplitsManyFramesInOneFeed) {
  FrameDecoder decoder(100);
  decoder.feed("one\ntwo\nthree\nfou");
  EXPECT_EQ(drain(decoder), (std::vector<std::string>{"one", "two", "three"}));
  decoder.feed("r\n");
  EXPECT_EQ(drain(decoder), std::vector<std::string>{"four"});
}

TEST(FrameDecoder, DropsCarriageReturnBeforeNewline) {
  FrameDecoder decoder(100);
  decoder.feed("a\r\nb\r");
  EXPECT_EQ(drain(decoder), std::vector<std::string>{"a"});
  decoder.feed("\nc\rd\n");
  EXPECT_EQ(drain(decoder), (std::vector<std::string>{"b", "c\rd"}));
}

TEST(FrameDecoder, SkipsEmptyLines) {
  FrameDecoder decoder(100);
  decoder.feed("\n\r\n\na\n\n\nb\n");
  EXPECT_EQ(drain(decoder), (std::vector<std::string>{"a", "b"}));
}

TEST(FrameDecoder, ReportsAnOversizedCompleteLineOnceAndRecovers) {
  FrameDecoder decoder(4);
  decoder.feed("12345\nok\n");
  EXPECT_EQ(drain(decoder), (std::vector<std::string>{"<too large>", "ok"}));
}

TEST(FrameDecoder, DiscardsAnOversizedLineArrivingInPiecesAndRecovers) {
  FrameDecoder decoder(4);
  decoder.feed("123456");
  EXPECT_EQ(drain(decoder), std::vector<std::string>{"<too large>"});
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  decoder.feed("7890");
  EXPECT_TRUE(drain(decoder).empty());
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  decoder.feed("xyz\nnext\n");
  EXPECT_EQ(drain(decoder), std::vector<std::string>{"next"});
}

TEST(FrameDecoder, AcceptsAFrameOfExactlyTheLimit) {
  FrameDecoder decoder(4);
  decoder.feed("1234\n1234\r\n12345\n");
  EXPECT_EQ(drain(decoder), (std::vector<std::string>{"1234", "1234", "<too large>"}));
  decoder.feed("1234");
  EXPECT_TRUE(drain(decoder).empty());
  decoder.feed("\r");
  EXPECT_TRUE(drain(decoder).empty());
  decoder.feed("\n");
  EXPECT_EQ(drain(decoder), std::vector<std::string>{"1234"});
}

TEST(FrameDecoder, DecodesALargeFrameFedInSmallChunks) {
  constexpr std::size_t kSize = 50u << 20;
  constexpr std::size_t kChunk = 64u << 10;
  FrameDecoder decoder(kSize);
  const std::string chunk(kChunk, 'x');
  std::size_t fed = 0;
  while (fed < kSize) {
    const std::size_t n = std::min(kChunk, kSize - fed);
    decoder.feed(std::string_view(chunk).substr(0, n));
    fed += n;
    ASSERT_EQ(decoder.next().status, Status::kNeedMore);
  }
  decoder.feed("\nafter\n");
  const auto result = decoder.next();
  ASSERT_EQ(result.status, Status::kFrame);
  EXPECT_EQ(result.frame.size(), kSize);
  EXPECT_EQ(result.frame.find_first_not_of('x'), std::string_view::npos);
  EXPECT_EQ(drain(decoder), std::vector<std::string>{"after"});
}

TEST(FrameDecoder, KeepsMemoryBoundedWhileDiscarding) {
  FrameDecoder decoder(1024);
  const std::string chunk(4096, 'x');
  for (int i = 0; i < 1000; ++i) {
    decoder.feed(chunk);
    drain(decoder);
    ASSERT_LE(decoder.buffered_bytes(), 1024u + chunk.size());
  }
  decoder.feed("\n{}\n");
  EXPECT_EQ(drain(decoder), std::vector<std::string>{"{}"});
}

TEST(FrameDecoder, HandsOverAFrameAndKeepsWhatFollows) {
  FrameDecoder decoder(1000);
  decoder.feed("a\n" + std::string(100, 'b'));
  decoder.feed(std::string(100, 'b') + "\r\nc\nd");
  ASSERT_EQ(decoder.next().frame, "a");
  ASSERT_EQ(decoder.next().status, FrameDecoder::Status::kFrame);
  EXPECT_EQ(decoder.take_frame().join(), std::string(200, 'b'));
  EXPECT_EQ(decoder.next().frame, "c");
  EXPECT_EQ(decoder.take_frame().join(), "c");
  EXPECT_EQ(decoder.next().status, FrameDecoder::Status::kNeedMore);
  decoder.feed("\n");
  EXPECT_EQ(decoder.next().frame, "d");
}

// keep_in_pieces: a big line is banked in pieces as it arrives, never copied whole.
TEST(FrameDecoder, KeepsABigFrameInPieces) {
  FrameDecoder decoder(1u << 20);
  decoder.keep_in_pieces(1024);
  const std::string chunk(100, 'x');
  for (int i = 0; i < 100; ++i) {
    decoder.feed(chunk);
    ASSERT_EQ(decoder.next().status, Status::kNeedMore);
  }
  EXPECT_EQ(decoder.buffered_bytes(), 10000u);
  decoder.feed("\r\nnext\n");
  const auto result = decoder.next();
  ASSERT_EQ(result.status, Status::kFrame);
  EXPECT_TRUE(result.in_pieces);
  EXPECT_TRUE(result.frame.empty());
  EXPECT_EQ(result.size, 10000u);
  FramePieces frame = decoder.take_frame();
  EXPECT_GT(frame.pieces.size(), 5u);
  for (const std::string& piece : frame.pieces)
    EXPECT_LE(piece.size(), 1024u + chunk.size());
  EXPECT_EQ(frame.size(), 10000u);
  EXPECT_EQ(std::move(frame).join(), std::string(10000, 'x'));
  EXPECT_EQ(decoder.next().frame, "next");
}

TEST(FrameDecoder, DropsACarriageReturnThatEndsAPiece) {
  FrameDecoder decoder(1u << 20);
  decoder.keep_in_pieces(1024);
  decoder.feed(std::string(1024, 'y') + "\r");
  ASSERT_EQ(decoder.next().status, Status::kNeedMore);  // banked, '\r' included
  decoder.feed("\n");
  const auto result = decoder.next();
  ASSERT_EQ(result.status, Status::kFrame);
  EXPECT_EQ(result.size, 1024u);
  EXPECT_EQ(decoder.take_frame().join(), std::string(1024, 'y'));
  EXPECT_EQ(decoder.next().status, Status::kNeedMore);
}

TEST(FrameDecoder, ReportsALineTooLargeWhileInPieces) {
  FrameDecoder decoder(4096);
  decoder.keep_in_pieces(1024);
  const std::string chunk(100, 'z');
  int too_large = 0;
  for (int i = 0; i < 100; ++i) {
    decoder.feed(chunk);
    for (Status status = decoder.next().status; status != Status::kNeedMore;
         status = decoder.next().status) {
      ASSERT_EQ(status, Status::kTooLarge);
      ++too_large;
    }
    ASSERT_LE(decoder.buffered_bytes(), 4096u + 1 + chunk.size());
  }
  EXPECT_EQ(too_large, 1);
  decoder.feed("\n{}\n");
  EXPECT_EQ(drain(decoder), std::vector<std::string>{"{}"});
}

TEST(FrameDecoder, ForgetsAFrameInPiecesNotTaken) {
  FrameDecoder decoder(1u << 20);
  decoder.keep_in_pieces(16);
  decoder.feed(std::string(40, 'w'));
  ASSERT_EQ(decoder.next().status, Status::kNeedMore);
  decoder.feed("\nsmall\n");
  ASSERT_TRUE(decoder.next().in_pieces);
  EXPECT_EQ(decoder.next().frame, "small");
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

}  // namespace
}  // namespace codeloc::ipc
