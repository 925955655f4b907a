// The kernel's inotify behind a narrow interface (STYLE.md point 7), so that tests can make
// add_watch fail (a reached watch limit) while everything else stays real. The base class is the
// real thing; a test overrides what it wants to break.
#pragma once

#include <cstdint>
#include <string>

namespace codeloc::daemon {

class InotifyApi {
 public:
  virtual ~InotifyApi() = default;
  // inotify_init1(IN_NONBLOCK | IN_CLOEXEC): a file descriptor, or -errno.
  virtual int init();
  // inotify_add_watch: a watch descriptor, or -errno.
  virtual int add_watch(int fd, const std::string& path, std::uint32_t mask);
  // inotify_rm_watch: 0, or -errno.
  virtual int rm_watch(int fd, int wd);
};

// The process-wide real implementation.
InotifyApi& system_inotify();

// For warnings about an error (-errno) of init or add_watch. The reason names the limit reached,
// its value and the file it was read from (ENOSPC: fs.inotify.max_user_watches, EMFILE:
// fs.inotify.max_user_instances), else strerror. The remedy says how to raise that limit; it is
// empty for other errors.
std::string inotify_error_reason(int error);
std::string inotify_limit_remedy(int error);

}  // namespace codeloc::daemon
