#include "daemon/watching/inotify_api.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <sys/inotify.h>

namespace codeloc::daemon {

int InotifyApi::init() {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

int InotifyApi::add_watch(int fd, const std::string& path, std::uint32_t mask) {
  int wd = ::inotify_add_watch(fd, path.c_str(), mask);
  return wd < 0 ? -errno : wd;
}

int InotifyApi::rm_watch(int fd, int wd) {
  return ::inotify_rm_watch(fd, wd) < 0 ? -errno : 0;
}

InotifyApi& system_inotify() {
  static InotifyApi api;
  return api;
}

namespace {

const char* limit_name(int error) {
  if (error == -ENOSPC) return "max_user_watches";
  if (error == -EMFILE) return "max_user_instances";
  return nullptr;
}

}  // namespace

std::string inotify_error_reason(int error) {
  const char* name = limit_name(error);
  if (!name) return std::strerror(-error);
  std::string file = std::string("/proc/sys/fs/inotify/") + name;
  std::string value;
  std::ifstream in(file);
  if (!(in >> value)) value = "unknown";
  return std::string("the inotify ") + (error == -ENOSPC ? "watch" : "instance") +
         " limit is reached (fs.inotify." + name + " = " + value + ", read from " + file + ")";
}

std::string inotify_limit_remedy(int error) {
  const char* name = limit_name(error);
  if (!name) return {};
  const char* suggested = error == -ENOSPC ? "524288" : "1024";
  return std::string("Raise it with: sudo sysctl fs.inotify.") + name + "=" + suggested +
         " (add it to /etc/sysctl.d/ to keep it)";
}

}  // namespace codeloc::daemon
