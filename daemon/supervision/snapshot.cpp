#include "daemon/supervision/snapshot.h"

#include <system_error>
#include <thread>

namespace codeloc::daemon {

std::shared_ptr<const Snapshot> share_snapshot(Snapshot snapshot) {
  return std::shared_ptr<const Snapshot>(new Snapshot(std::move(snapshot)),
                                         [](const Snapshot* done) {
                                           if (done->bytes.size() < kFreeOffLoopBytes) {
                                             delete done;
                                             return;
                                           }
                                           try {
                                             std::thread([done] { delete done; }).detach();
                                           } catch (const std::system_error&) {
                                             delete done;  // no thread to be had: here, then
                                           }
                                         });
}

}  // namespace codeloc::daemon
