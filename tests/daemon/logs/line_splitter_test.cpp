#include "daemon/logs/line_splitter.h"

#include <gtest/gtest.h>

namespace codeloc::daemon {
namespace {

struct Collected {
  std::vector<std::string> lines;
  std::vector<bool> truncated;
};

LineSplitter make(std::size_t max, Collected* out) {
  return LineSplitter(max, [out](std::string_view line, bool truncated) {
    out->lines.emplace_back(line);
    out->truncated.push_back(truncated);
  });
}

TEST(LineSplitter, JoinsLinesSplitAcrossFeeds) {
  Collected got;
  auto splitter = make(100, &got);
  splitter.feed("hel");
  splitter.feed("lo\nwor");
  splitter.feed("ld\r\n\nlast");
  EXPECT_EQ(got.lines, (std::vector<std::string>{"hello", "world", ""}));
  splitter.finish();
  EXPECT_EQ(got.lines.back(), "last");
}

TEST(LineSplitter, CutsOverlongLinesAndDropsTheirRest) {
  Collected got;
  auto splitter = make(4, &got);
  splitter.feed("abcdefgh");
  splitter.feed("ijkl\nok\n");
  EXPECT_EQ(got.lines, (std::vector<std::string>{"abcd", "ok"}));
  EXPECT_EQ(got.truncated, (std::vector<bool>{true, false}));
}

TEST(LineSplitter, LineOfExactlyTheLimitIsWhole) {
  Collected got;
  auto splitter = make(4, &got);
  splitter.feed("abcd\n");
  EXPECT_EQ(got.lines, std::vector<std::string>{"abcd"});
  EXPECT_EQ(got.truncated, std::vector<bool>{false});
}

TEST(LineSplitter, FloodWithoutNewlinesStaysBounded) {
  Collected got;
  auto splitter = make(1024, &got);
  std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 100; ++i)
    splitter.feed(chunk);
  EXPECT_EQ(got.lines.size(), 1u);
  EXPECT_EQ(got.lines[0].size(), 1024u);
  splitter.feed("\nafter\n");
  EXPECT_EQ(got.lines.back(), "after");
}

}  // namespace
}  // namespace codeloc::daemon
