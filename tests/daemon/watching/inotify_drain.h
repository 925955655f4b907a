// For tests that watch real folders: run the event loop until a FileWatcher has read every event
// the kernel queued on its inotify descriptor. The kernel queues an event before the call that
// caused it returns, so every change made before drain_inotify() has been noted when it returns;
// no time passes on a ManualTime.
#pragma once

#include <chrono>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <sys/ioctl.h>

namespace codeloc::daemon::testing {

// Bytes of events the kernel holds on `fd`, not read yet (0 for a closed descriptor).
inline int inotify_queued_bytes(int fd) {
  int bytes = 0;
  return fd >= 0 && ::ioctl(fd, FIONREAD, &bytes) == 0 ? bytes : 0;
}

// A test failure, not a hang, when the watcher has not read them within `deadline`. `fd` < 0
// (no watcher, or inotify refused): only the handlers already due run.
inline void drain_inotify(boost::asio::io_context& io, int fd, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (inotify_queued_bytes(fd) > 0) {
    if (std::chrono::steady_clock::now() > end) {
      ADD_FAILURE() << "the watcher did not read its events";
      return;
    }
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(10));
  }
  if (io.stopped()) io.restart();
  io.poll();
}

}  // namespace codeloc::daemon::testing
