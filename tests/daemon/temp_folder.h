// A fresh folder under /tmp for a test, removed with everything in it when the test ends; and small
// file helpers for the watcher tests.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace codeloc::daemon::testing {

class TempFolder {
 public:
  TempFolder() {
    std::string pattern = "/tmp/codeloc-watch-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    // Canonical, so that the paths the watcher reports compare equal to the ones built here.
    path_ = std::filesystem::canonical(pattern);
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& relative) const { return path_ / relative; }

 private:
  std::filesystem::path path_;
};

// Writes (creating or truncating) a file, creating its folders.
inline void write_file(const std::filesystem::path& path, const std::string& content = "x\n") {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

}  // namespace codeloc::daemon::testing
