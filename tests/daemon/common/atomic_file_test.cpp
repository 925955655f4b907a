// write_file_atomically: content, replacement, mode, errors naming the path, no temporary left.
// (tests/daemon/dagster/dagster_workspace_test.cpp has two more, as AtomicFile.)
#include "daemon/common/atomic_file.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/daemon/temp_folder.h"

namespace codeloc::daemon {
namespace {

std::string atomic_file_read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> atomic_file_names(const std::filesystem::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(WriteFileAtomically, WritesANewFileWithExactlyTheContent) {
  testing::TempFolder folder;
  std::string content("binary\0bytes\nand no final newline", 33);
  EXPECT_EQ(write_file_atomically(folder / "out.bin", content), "");
  EXPECT_EQ(atomic_file_read(folder / "out.bin"), content);
  EXPECT_EQ(atomic_file_names(folder.path()), std::vector<std::string>{"out.bin"});
}

TEST(WriteFileAtomically, ReplacesALongerFileWhole) {
  testing::TempFolder folder;
  testing::write_file(folder / "state.json", std::string(10000, 'x'));
  EXPECT_EQ(write_file_atomically(folder / "state.json", "{}"), "");
  EXPECT_EQ(atomic_file_read(folder / "state.json"), "{}");
  EXPECT_EQ(atomic_file_names(folder.path()), std::vector<std::string>{"state.json"});
}

TEST(WriteFileAtomically, EmptyContentMakesAnEmptyFile) {
  testing::TempFolder folder;
  EXPECT_EQ(write_file_atomically(folder / "empty", ""), "");
  EXPECT_TRUE(std::filesystem::exists(folder / "empty"));
  EXPECT_EQ(std::filesystem::file_size(folder / "empty"), 0u);
}

TEST(WriteFileAtomically, LargeContentIsWrittenWhole) {
  testing::TempFolder folder;
  std::string content;
  for (int i = 0; i < 200000; ++i)
    content += std::to_string(i) + "\n";
  EXPECT_EQ(write_file_atomically(folder / "big", content), "");
  EXPECT_EQ(atomic_file_read(folder / "big"), content);
}

TEST(WriteFileAtomically, NewFileIsReadableByAllWritableByTheOwner) {
  testing::TempFolder folder;
  mode_t old_mask = ::umask(022);
  std::string error = write_file_atomically(folder / "mode", "x");
  ::umask(old_mask);
  ASSERT_EQ(error, "");
  struct stat info {};
  ASSERT_EQ(::stat((folder / "mode").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);
  EXPECT_TRUE(S_ISREG(info.st_mode));
}

TEST(WriteFileAtomically, ReplacingAFileGivesItTheNewFilesMode) {
  // The rename puts a new inode in place: an existing file's mode is not kept.
  testing::TempFolder folder;
  testing::write_file(folder / "f", "old");
  std::filesystem::permissions(folder / "f", std::filesystem::perms::owner_read);
  mode_t old_mask = ::umask(022);
  std::string error = write_file_atomically(folder / "f", "new");
  ::umask(old_mask);
  ASSERT_EQ(error, "");
  struct stat info {};
  ASSERT_EQ(::stat((folder / "f").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);
  EXPECT_EQ(atomic_file_read(folder / "f"), "new");
}

TEST(WriteFileAtomically, CreatesMissingFoldersWhenAsked) {
  testing::TempFolder folder;
  EXPECT_EQ(write_file_atomically(folder / "a/b/c/file", "deep", /*create_folder=*/true), "");
  EXPECT_EQ(atomic_file_read(folder / "a/b/c/file"), "deep");
  EXPECT_EQ(atomic_file_names(folder / "a/b/c"), std::vector<std::string>{"file"});
}

TEST(WriteFileAtomically, MissingFolderFailsNamingThePathAndLeavesNothing) {
  testing::TempFolder folder;
  std::string error = write_file_atomically(folder / "nowhere/file", "x");
  EXPECT_NE(error.find((folder / "nowhere/file").string()), std::string::npos) << error;
  EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
  EXPECT_TRUE(atomic_file_names(folder.path()).empty());
}

TEST(WriteFileAtomically, FolderThatCannotBeCreatedIsNamed) {
  testing::TempFolder folder;
  testing::write_file(folder / "plain", "a file, not a folder");
  std::string error = write_file_atomically(folder / "plain/sub/file", "x", true);
  EXPECT_NE(error.find("cannot create " + (folder / "plain/sub").string()), std::string::npos)
      << error;
  EXPECT_EQ(atomic_file_names(folder.path()), std::vector<std::string>{"plain"});
}

TEST(WriteFileAtomically, RenameOverAFolderFailsAndRemovesTheTemporary) {
  testing::TempFolder folder;
  std::filesystem::create_directories(folder / "target/inside");
  std::string error = write_file_atomically(folder / "target", "x");
  EXPECT_NE(error.find("cannot rename"), std::string::npos) << error;
  EXPECT_NE(error.find(" over " + (folder / "target").string()), std::string::npos) << error;
  EXPECT_EQ(atomic_file_names(folder.path()), std::vector<std::string>{"target"});
  EXPECT_TRUE(std::filesystem::is_directory(folder / "target/inside"));
}

}  // namespace
}  // namespace codeloc::daemon
