#include "daemon/dagster/dagster_address.h"

#include <cstring>
#include <string>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/daemon/temp_folder.h"

namespace codeloc::daemon {
namespace {

using testing::TempFolder;

// A listening Unix socket at `path`; the descriptor, closed by the caller.
int listen_at(const std::filesystem::path& path) {
  std::filesystem::create_directories(path.parent_path());
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << path;
  EXPECT_EQ(::listen(fd, 4), 0);
  return fd;
}

ino_t inode_of(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST(DagsterAddress, PlainNamesKeepTheirNameUnderTheStateDir) {
  DagsterAddress address("/var/lib/codeloc", "analytics");
  EXPECT_TRUE(address.usable());
  EXPECT_EQ(address.stable(), "/var/lib/codeloc/dagster/analytics.sock");
  EXPECT_EQ(address.generation(7), "/var/lib/codeloc/dagster/gen/analytics.7.sock");
  EXPECT_EQ(address.generation_prefix(), "analytics.");
}

TEST(DagsterAddress, AwkwardOrLongNamesAreHashedStably) {
  DagsterAddress slash("/s", "team/etl");
  EXPECT_EQ(slash.stable().parent_path(), "/s/dagster");
  EXPECT_EQ(slash.stable().filename().string().rfind("h-", 0), 0u) << slash.stable();
  EXPECT_EQ(slash.stable(), DagsterAddress("/s", "team/etl").stable());
  EXPECT_NE(slash.stable(), DagsterAddress("/s", "team/etm").stable());
  EXPECT_NE(DagsterAddress("/s", "..").stable(), "/s/dagster/...sock");

  std::string long_name(90, 'x');
  DagsterAddress hashed("/s", long_name);
  EXPECT_TRUE(hashed.usable());
  EXPECT_LE(hashed.generation(UINT64_MAX).string().size(), DagsterAddress::kMaxSocketPath);
}

TEST(DagsterAddress, AStateDirTooLongForASocketIsExplained) {
  DagsterAddress address("/" + std::string(100, 's'), "a");
  EXPECT_FALSE(address.usable());
  EXPECT_NE(address.why().find("too long for a Unix socket"), std::string::npos) << address.why();
  EXPECT_NE(address.why().find("state_dir"), std::string::npos);
}

TEST(DagsterAddress, PublishPointsTheStablePathAtEachNewGenerationInTurn) {
  TempFolder folder;
  DagsterAddress address(folder.path(), "loc");
  int first = listen_at(address.generation(1));
  int second = listen_at(address.generation(2));

  EXPECT_EQ(address.publish(address.generation(1)), "");
  EXPECT_TRUE(DagsterAddress::is_socket(address.stable()));
  EXPECT_EQ(inode_of(address.stable()), inode_of(address.generation(1)));

  EXPECT_EQ(address.publish(address.generation(2)), "");
  EXPECT_EQ(inode_of(address.stable()), inode_of(address.generation(2)));
  // The old generation going (gRPC unlinks its own path at shutdown) leaves the stable path alone.
  ::unlink(address.generation(1).c_str());
  EXPECT_TRUE(DagsterAddress::is_socket(address.stable()));
  EXPECT_FALSE(std::filesystem::exists(address.stable().string() + ".new"));

  address.unpublish();
  EXPECT_FALSE(std::filesystem::exists(address.stable()));
  ::close(first);
  ::close(second);
}

TEST(DagsterAddress, PublishingAMissingSocketSaysWhatFailed) {
  TempFolder folder;
  DagsterAddress address(folder.path(), "loc");
  std::string error = address.publish(address.generation(3));
  EXPECT_NE(error.find("cannot link"), std::string::npos) << error;
  EXPECT_NE(error.find(address.generation(3).string()), std::string::npos) << error;
  EXPECT_FALSE(std::filesystem::exists(address.stable()));
  EXPECT_FALSE(DagsterAddress::is_socket(address.generation(3)));
}

}  // namespace
}  // namespace codeloc::daemon
