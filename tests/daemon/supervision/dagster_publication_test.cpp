#include "daemon/supervision/dagster_publication.h"

#include <cstring>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/common/unique_fd.h"
#include "tests/daemon/temp_folder.h"

namespace codeloc::daemon {
namespace {

using workspace::LocationKind;
using workspace::LocationSpec;

LocationSpec spec_of(LocationKind kind) {
  LocationSpec spec;
  spec.name = "assets";
  spec.kind = kind;
  return spec;
}

// A listening Unix socket at `path`, as a generation's gRPC server binds it.
UniqueFd bind_socket(const std::filesystem::path& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << path;
  return fd;
}

class DagsterPublicationTest : public ::testing::Test {
 protected:
  DagsterPublicationTest() { options_.state_dir = folder_.path(); }
  testing::TempFolder folder_;
  LocationOptions options_;
};

TEST_F(DagsterPublicationTest, OnlyPythonKindsWithAStateDirServeAnAddress) {
  EXPECT_NE(DagsterPublication(options_, spec_of(LocationKind::kPythonFile)).address(), nullptr);
  DagsterPublication command(options_, spec_of(LocationKind::kCommand));
  EXPECT_EQ(command.address(), nullptr);
  EXPECT_TRUE(command.generation_socket(1).empty());
  EXPECT_EQ(DagsterPublication(options_, spec_of(LocationKind::kGrpcServer)).address(), nullptr);
  LocationOptions off = options_;
  off.dagster_grpc = false;
  EXPECT_EQ(DagsterPublication(off, spec_of(LocationKind::kPythonFile)).address(), nullptr);
  LocationOptions stateless = options_;
  stateless.state_dir.clear();
  EXPECT_EQ(DagsterPublication(stateless, spec_of(LocationKind::kPythonFile)).address(), nullptr);
}

TEST_F(DagsterPublicationTest, PublishesALoadedGenerationAtTheStablePathUntilStopped) {
  DagsterPublication publication(options_, spec_of(LocationKind::kPythonModule));
  std::filesystem::path socket = publication.generation_socket(1);
  ASSERT_FALSE(socket.empty());
  EXPECT_TRUE(std::filesystem::is_directory(socket.parent_path()));
  UniqueFd server = bind_socket(socket);
  publication.publish(1, socket);
  EXPECT_TRUE(publication.published());
  EXPECT_EQ(publication.error(), "");
  const std::filesystem::path stable = publication.address()->stable();
  EXPECT_TRUE(DagsterAddress::is_socket(stable));
  publication.unpublish();
  EXPECT_FALSE(publication.published());
  EXPECT_FALSE(std::filesystem::exists(stable));
}

TEST_F(DagsterPublicationTest, AGenerationWithoutAServerIsNotPublishedAndSaysWhy) {
  DagsterPublication publication(options_, spec_of(LocationKind::kPythonModule));
  publication.publish(1, publication.generation_socket(1));
  EXPECT_FALSE(publication.published());
  EXPECT_NE(publication.error().find("started no Dagster gRPC server"), std::string::npos);
  EXPECT_NE(publication.error().find("codeloc logs assets"), std::string::npos);
}

TEST_F(DagsterPublicationTest, AnEntryThatStopsServingUnpublishesAndForgetsTheAddress) {
  DagsterPublication publication(options_, spec_of(LocationKind::kPythonModule));
  std::filesystem::path socket = publication.generation_socket(1);
  UniqueFd server = bind_socket(socket);
  publication.publish(1, socket);
  const std::filesystem::path stable = publication.address()->stable();
  publication.update(spec_of(LocationKind::kCommand));
  EXPECT_EQ(publication.address(), nullptr);
  EXPECT_FALSE(publication.published());
  EXPECT_FALSE(std::filesystem::exists(stable));
  publication.update(spec_of(LocationKind::kPythonFile));
  EXPECT_NE(publication.address(), nullptr);
}

TEST_F(DagsterPublicationTest, DestroyingItUnpublishes) {
  std::filesystem::path stable;
  {
    DagsterPublication publication(options_, spec_of(LocationKind::kPythonModule));
    std::filesystem::path socket = publication.generation_socket(1);
    UniqueFd server = bind_socket(socket);
    publication.publish(1, socket);
    stable = publication.address()->stable();
    ASSERT_TRUE(DagsterAddress::is_socket(stable));
  }
  EXPECT_FALSE(std::filesystem::exists(stable));
}

}  // namespace
}  // namespace codeloc::daemon
