#include "daemon/logs/journal_sink.h"

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/logs/log_context.h"
#include "tests/daemon/temp_folder.h"

namespace codeloc::daemon {
namespace {

using testing::TempFolder;

// A datagram socket bound in a temporary folder, standing in for journald.
class FakeJournal {
 public:
  explicit FakeJournal(const std::filesystem::path& path)
      : path_(path.string()), fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path_.copy(address.sun_path, sizeof address.sun_path - 1);
    if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("bind failed");
    }
  }
  const std::string& path() const { return path_; }

  // The next entry's fields (text form only: these tests send no multi-line values); empty when
  // nothing is queued. The sink sends synchronously, so no waiting is needed.
  std::map<std::string, std::string> next() {
    char buffer[65536];
    ssize_t size = ::recv(fd_.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    std::map<std::string, std::string> fields;
    if (size <= 0) return fields;
    std::string_view rest(buffer, static_cast<std::size_t>(size));
    while (!rest.empty()) {
      std::string_view line = rest.substr(0, rest.find('\n'));
      rest.remove_prefix(std::min(rest.size(), line.size() + 1));
      std::size_t eq = line.find('=');
      fields[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
    return fields;
  }

 private:
  std::string path_;
  UniqueFd fd_;
};

std::shared_ptr<spdlog::logger> journal_logger(const std::string& path, int fallback_fd = 2) {
  auto logger =
      std::make_shared<spdlog::logger>("test", std::make_shared<JournalSink>(path, fallback_fd));
  logger->set_level(spdlog::level::trace);
  return logger;
}

TEST(JournalSink, SendsMessagePriorityAndIdentifier) {
  TempFolder folder;
  FakeJournal journal(folder / "journal.sock");
  auto logger = journal_logger(journal.path());
  logger->warn("codeloc {} serving", "0.1.0");
  auto fields = journal.next();
  EXPECT_EQ(fields["MESSAGE"], "codeloc 0.1.0 serving");
  EXPECT_EQ(fields["PRIORITY"], "4");
  EXPECT_EQ(fields["SYSLOG_IDENTIFIER"], "codeloc");
  EXPECT_FALSE(fields.contains("CODELOC_LOCATION"));
}

TEST(JournalSink, LinesAboutALocationCarryItsNameAndAChildsStream) {
  TempFolder folder;
  FakeJournal journal(folder / "journal.sock");
  auto logger = journal_logger(journal.path());
  {
    LogContext context{"analytics", {}};
    ScopedLogContext scope(context);
    logger->error("analytics: STARTING -> LOAD_ERROR: boom");
  }
  {
    LogContext context{"analytics", "stderr"};
    ScopedLogContext scope(context);
    logger->info("[analytics stderr] hello");
  }
  logger->info("every location stopped; exiting");
  auto state = journal.next();
  EXPECT_EQ(state["CODELOC_LOCATION"], "analytics");
  EXPECT_EQ(state["PRIORITY"], "3");
  EXPECT_FALSE(state.contains("CODELOC_STREAM"));
  auto output = journal.next();
  EXPECT_EQ(output["CODELOC_LOCATION"], "analytics");
  EXPECT_EQ(output["CODELOC_STREAM"], "stderr");
  EXPECT_EQ(output["MESSAGE"], "[analytics stderr] hello");
  EXPECT_FALSE(journal.next().contains("CODELOC_LOCATION")) << "the scope ended";
}

TEST(JournalSink, WithoutAJournalWritesPriorityPrefixedLines) {
  TempFolder folder;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  auto logger = journal_logger((folder / "nobody-listens.sock").string(), write_end.get());
  logger->info("first");
  logger->error("second");
  char buffer[256];
  ssize_t size = ::read(read_end.get(), buffer, sizeof buffer);
  ASSERT_GT(size, 0);
  EXPECT_EQ(std::string(buffer, static_cast<std::size_t>(size)), "<6>first\n<3>second\n");
}

TEST(JournalSink, TheSocketPathCanBeOverridden) {
  EXPECT_EQ(journal_socket_path({}), "/run/systemd/journal/socket");
  EXPECT_EQ(journal_socket_path({{"CODELOC_JOURNAL_SOCKET", ""}}), "/run/systemd/journal/socket");
  EXPECT_EQ(journal_socket_path({{"CODELOC_JOURNAL_SOCKET", "/tmp/j.sock"}}), "/tmp/j.sock");
}

TEST(JournalStream, MatchesDeviceAndInode) {
  EXPECT_TRUE(journal_stream_matches("8:1234", 8, 1234));
  EXPECT_TRUE(journal_stream_matches("64769:99", 64769, 99));
  EXPECT_FALSE(journal_stream_matches("8:1234", 8, 1235));
  EXPECT_FALSE(journal_stream_matches("9:1234", 8, 1234));
  EXPECT_FALSE(journal_stream_matches("8-1234", 8, 1234));
  EXPECT_FALSE(journal_stream_matches("8:", 8, 0));
  EXPECT_FALSE(journal_stream_matches("8:12x", 8, 12));
  EXPECT_FALSE(journal_stream_matches("", 0, 0));
}

}  // namespace
}  // namespace codeloc::daemon
