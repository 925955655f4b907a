#include "daemon/logs/log_ring.h"

#include <gtest/gtest.h>

namespace codeloc::daemon {
namespace {

LogLine line(std::string text) {
  LogLine l;
  l.text = std::move(text);
  return l;
}

TEST(LogRing, KeepsTheLastLinesUpToTheLineLimit) {
  LogRing ring(3, 1 << 20);
  for (int i = 1; i <= 5; ++i)
    ring.push(line("line " + std::to_string(i)));
  auto tail = ring.tail(10);
  ASSERT_EQ(tail.size(), 3u);
  EXPECT_EQ(tail[0].text, "line 3");
  EXPECT_EQ(tail[2].text, "line 5");
  EXPECT_EQ(tail[2].seq, 5u);
  EXPECT_EQ(ring.tail(1)[0].text, "line 5");
}

TEST(LogRing, DropsOldestLinesToStayUnderTheByteLimit) {
  LogRing ring(1000, 10);
  ring.push(line("aaaa"));
  ring.push(line("bbbb"));
  ring.push(line("cccc"));
  EXPECT_EQ(ring.size(), 2u);
  EXPECT_LE(ring.bytes(), 10u);
  EXPECT_EQ(ring.tail(5)[0].text, "bbbb");
}

TEST(LogRing, FloodKeepsMemoryBounded) {
  LogRing ring(100, 4096);
  for (int i = 0; i < 100000; ++i)
    ring.push(line(std::string(100, 'x')));
  EXPECT_LE(ring.bytes(), 4096u);
  EXPECT_EQ(ring.next_seq(), 100001u);
}

TEST(LogRing, AllocatesNothingUntilItsFirstLine) {
  LogRing ring(1000, 1 << 20);
  EXPECT_FALSE(ring.allocated());
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_EQ(ring.bytes(), 0u);
  EXPECT_TRUE(ring.tail(10).empty());
  EXPECT_EQ(ring.next_seq(), 1u);
  EXPECT_FALSE(ring.allocated());  // reading an empty ring allocates nothing either
  ring.push(line("first"));
  EXPECT_TRUE(ring.allocated());
  ASSERT_EQ(ring.tail(10).size(), 1u);
  EXPECT_EQ(ring.tail(10)[0].text, "first");
  EXPECT_EQ(ring.tail(10)[0].seq, 1u);
}

TEST(LogRing, GrowsWithUseAndKeepsBothLimits) {
  LogRing ring(50, 1000);
  for (int i = 1; i <= 40; ++i) {
    ring.push(line(std::string(10, 'a')));
    EXPECT_EQ(ring.size(), static_cast<std::size_t>(i));
  }
  EXPECT_EQ(ring.bytes(), 400u);
  for (int i = 0; i < 200; ++i)
    ring.push(line(std::string(30, 'b')));
  EXPECT_LE(ring.bytes(), 1000u);
  EXPECT_EQ(ring.size(), 33u);  // 33 x 30 bytes fit in 1000
  EXPECT_EQ(ring.tail(1)[0].seq, 240u);
}

}  // namespace
}  // namespace codeloc::daemon
