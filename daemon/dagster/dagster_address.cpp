#include "daemon/dagster/dagster_address.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

namespace codeloc::daemon {
namespace {

bool is_plain(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// FNV-1a, 64 bits, as 16 hex digits: a short, stable file name for an awkward location name.
std::string hashed(const std::string& name) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : name) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return std::string("h-") + text;
}

// The longest private path: "<dir>/gen/<base>.<20 digits>.sock".
std::size_t longest_generation_path(const std::filesystem::path& dir, const std::string& base) {
  return (dir / "gen").string().size() + 1 + base.size() + 1 + 20 + 5;
}

}  // namespace

std::filesystem::path dagster_dir(const std::filesystem::path& state_dir) {
  return state_dir / "dagster";
}

DagsterAddress::DagsterAddress(const std::filesystem::path& state_dir,
                               const std::string& location_name) {
  std::filesystem::path dir = dagster_dir(state_dir);
  std::string base;
  bool plain = !location_name.empty() && location_name != "." && location_name != "..";
  for (char c : location_name)
    plain = plain && is_plain(c);
  base = plain ? location_name : hashed(location_name);
  if (longest_generation_path(dir, base) > kMaxSocketPath) base = hashed(location_name);
  usable_ = longest_generation_path(dir, base) <= kMaxSocketPath;
  stable_ = dir / (base + ".sock");
  generation_dir_ = dir / "gen";
  prefix_ = base + ".";
}

std::string DagsterAddress::why() const {
  if (usable_) return "";
  return "the state directory's path is too long for a Unix socket under it (" +
         generation_dir_.string() + "/...; " + std::to_string(kMaxSocketPath) +
         " bytes at most): set state_dir to a shorter path";
}

std::filesystem::path DagsterAddress::generation(std::uint64_t child_id) const {
  return generation_dir_ / (prefix_ + std::to_string(child_id) + ".sock");
}

bool DagsterAddress::is_socket(const std::filesystem::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

std::string DagsterAddress::publish(const std::filesystem::path& private_path) const {
  std::error_code ec;
  std::filesystem::create_directories(stable_.parent_path(), ec);
  if (ec) return "cannot create " + stable_.parent_path().string() + ": " + ec.message();
  std::filesystem::path temporary = stable_;
  temporary += ".new";
  ::unlink(temporary.c_str());
  if (::link(private_path.c_str(), temporary.c_str()) != 0) {
    return "cannot link " + private_path.string() + " to " + temporary.string() + ": " +
           std::strerror(errno);
  }
  if (::rename(temporary.c_str(), stable_.c_str()) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    return "cannot rename " + temporary.string() + " over " + stable_.string() + ": " +
           std::strerror(error);
  }
  return "";
}

void DagsterAddress::unpublish() const {
  ::unlink(stable_.c_str());
}

}  // namespace codeloc::daemon
