// Follows a subscribed connection's notifications until the user interrupts (SIGINT, SIGTERM) or
// the daemon goes away: the loop behind `codeloc logs -f` and `codeloc events`.
#pragma once

#include <functional>

#include "ipc/client.h"

namespace codeloc::cli {

enum class FollowEnd {
  kInterrupted,  // SIGINT or SIGTERM arrived
  kDaemonGone,   // the daemon closed the connection
};

// Hands every notification (the ones the client already holds first) to `on_notification`, in
// order, until one of the FollowEnd events. While it runs, SIGINT and SIGTERM are caught (through
// a self-pipe); the previous handlers are restored on return. Throws ClientError for failures
// other than the daemon hanging up. REQUIRES: one follower at a time per process.
FollowEnd follow_notifications(
    ipc::Client& client, const std::function<void(const ipc::Notification&)>& on_notification);

}  // namespace codeloc::cli
