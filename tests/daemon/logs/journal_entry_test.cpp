#include "daemon/logs/journal_entry.h"

#include <gtest/gtest.h>

namespace codeloc::daemon {
namespace {

TEST(JournalEntry, EncodesOneFieldPerLine) {
  JournalField fields[] = {{"MESSAGE", "analytics: STARTING -> LOADED"}, {"PRIORITY", "6"}};
  EXPECT_EQ(encode_journal_entry(fields), "MESSAGE=analytics: STARTING -> LOADED\nPRIORITY=6\n");
}

TEST(JournalEntry, AValueWithANewlineIsSentWithItsLength) {
  JournalField fields[] = {{"MESSAGE", "two\nlines"}, {"PRIORITY", "3"}};
  std::string expected = "MESSAGE\n";
  expected += std::string("\x09\0\0\0\0\0\0\0", 8);
  expected += "two\nlines\nPRIORITY=3\n";
  EXPECT_EQ(encode_journal_entry(fields), expected);
}

TEST(JournalEntry, AnEmptyValueIsKept) {
  JournalField fields[] = {{"MESSAGE", ""}};
  EXPECT_EQ(encode_journal_entry(fields), "MESSAGE=\n");
}

TEST(JournalEntry, PrioritiesAreSyslogLevels) {
  EXPECT_EQ(journal_priority(spdlog::level::trace), 7);
  EXPECT_EQ(journal_priority(spdlog::level::debug), 7);
  EXPECT_EQ(journal_priority(spdlog::level::info), 6);
  EXPECT_EQ(journal_priority(spdlog::level::warn), 4);
  EXPECT_EQ(journal_priority(spdlog::level::err), 3);
  EXPECT_EQ(journal_priority(spdlog::level::critical), 2);
}

}  // namespace
}  // namespace codeloc::daemon
