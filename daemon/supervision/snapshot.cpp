#include "daemon/supervision/snapshot.h"

#include <algorithm>
#include <cstdint>
#include <system_error>
#include <thread>

#include <sys/mman.h>
#include <unistd.h>

namespace codeloc::daemon {
namespace {

// Gives the pages of a big buffer back to the system 1 MiB at a time (madvise DONTNEED: its
// contents are about to be freed anyway), so that the free's munmap finds nothing left to zap.
// One munmap of 50 MB held the process's mmap lock for milliseconds, and the loop's own mmap
// calls (a frame's pieces) waited behind it; each slice holds it briefly.
void release_pages(const std::string& bytes) {
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  auto begin = (reinterpret_cast<std::uintptr_t>(bytes.data()) + page - 1) & ~(page - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(bytes.data()) + bytes.size()) & ~(page - 1);
  constexpr std::uintptr_t kSlice = 1u << 20;
  for (; begin < end; begin += kSlice) {
    ::madvise(reinterpret_cast<void*>(begin), std::min(kSlice, end - begin), MADV_DONTNEED);
  }
}

}  // namespace

std::shared_ptr<const Snapshot> share_snapshot(Snapshot snapshot) {
  return std::shared_ptr<const Snapshot>(new Snapshot(std::move(snapshot)),
                                         [](const Snapshot* done) {
                                           if (done->bytes.size() < kFreeOffLoopBytes) {
                                             delete done;
                                             return;
                                           }
                                           try {
                                             std::thread([done] {
                                               release_pages(done->bytes);
                                               delete done;
                                             }).detach();
                                           } catch (const std::system_error&) {
                                             delete done;  // no thread to be had: here, then
                                           }
                                         });
}

}  // namespace codeloc::daemon
