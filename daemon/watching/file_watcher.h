// Watches the files of code locations for hot reload: one inotify instance for every subscription,
// read on the event loop (no threads; no timers while nothing happens). Each subscription has its
// own WatchSpec and a trailing debounce window, so a burst of saves (a `git checkout`) is one
// callback. When the kernel refuses a watch (fs.inotify.max_user_watches) or inotify itself
// (fs.inotify.max_user_instances), the subscriptions concerned poll their roots instead, and say
// so through on_warning.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "daemon/common/clock.h"
#include "daemon/watching/inotify_api.h"
#include "daemon/watching/timers.h"
#include "daemon/watching/watch_spec.h"

namespace codeloc::daemon {

struct WatchEvent {
  static constexpr std::size_t kMaxPaths = 50;
  std::vector<std::filesystem::path> paths;  // distinct, in the order first seen, at most kMaxPaths
  std::size_t total = 0;                     // distinct changed paths
  // The kernel's event queue overflowed: changes may have been missed, and the watches were
  // re-added from the roots. paths may be empty.
  bool overflow = false;
};

// REQUIRES: io and api outlive the watcher. on_warning must not call back into the watcher; it may
// run inside watch(). on_change runs from the event loop only (never inside watch() or unwatch())
// and may call watch() and unwatch(), or destroy the watcher.
class FileWatcher {
 public:
  using Id = std::uint64_t;
  using OnChange = std::function<void(const WatchEvent&)>;
  using OnWarning = std::function<void(const std::string& label, const std::string& message)>;

  // Tells time by the system's steady clock and waits with timers on io.
  FileWatcher(boost::asio::io_context& io, InotifyApi& api, OnWarning on_warning);
  // Tells time by clock and waits (debounce, polling) with timers, whose clock must be clock: a
  // test moves both by hand. io still reads the inotify descriptor.
  // REQUIRES: clock and timers outlive the watcher.
  FileWatcher(boost::asio::io_context& io, InotifyApi& api, const Clock& clock, Timers& timers,
              OnWarning on_warning);
  // Releases every watch; no callback runs afterwards.
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // Starts watching. label (the location name) is passed to on_warning. Roots that do not exist
  // are warned about once and skipped.
  Id watch(std::string label, WatchSpec spec, OnChange on_change);
  // Stops watching and releases the inotify watches no other subscription uses. No callback for
  // this id runs after this returns. Unknown ids are ignored.
  void unwatch(Id id);
  // True when the subscription watches by polling (inotify refused it).
  bool polling(Id id) const;
  // Inotify watch descriptors held, each counted once however many subscriptions share it.
  std::size_t inotify_watches() const { return folders_.size(); }

 private:
  struct Subscription;
  // One inotify watch: a folder, and the subscriptions that use it with the path each knows it by.
  struct Folder {
    std::map<Id, std::filesystem::path> users;
  };
  using Users = std::vector<std::pair<Id, std::filesystem::path>>;

  void start();
  Subscription* find(Id id) const;
  void warn_missing_roots(const Subscription& sub);
  // The add functions return false once the subscription has switched to polling.
  bool add_root(Subscription& sub, const WatchRoot& root);
  bool add_folder(Subscription& sub, const std::filesystem::path& folder, bool is_root);
  bool add_tree(Subscription& sub, const std::filesystem::path& folder, bool report);
  void release(Subscription& sub);
  // The kernel dropped wd (IN_IGNORED, IN_DELETE_SELF).
  void forget(int wd);
  // Removes the watches on folder and below it (moved away, or became a virtual environment).
  // report: note the change for subscriptions that had a root there.
  void drop_below(const std::filesystem::path& folder, bool report);
  // pyvenv.cfg appeared in the folder of these users. Returns true when the folder was dropped.
  bool became_virtual_environment(const Users& users);
  // Drops the watches below folder and the changes seen in it, for every subscription.
  void discard_folder(const std::filesystem::path& folder);

  void wait_readable();
  void read_events();
  void handle_event(int wd, std::uint32_t mask, std::string_view name);
  void rescan();

  void start_polling(Subscription& sub, const std::string& cause, int error);
  void wait_poll(Subscription& sub);
  void poll(Id id);

  void note_change(Subscription& sub, const std::filesystem::path& path);
  void wait_debounce(Subscription& sub);
  void debounce_expired(Id id);

  boost::asio::io_context& io_;
  InotifyApi& api_;
  // The system's, for the constructor that is given none.
  std::optional<SystemClock> own_clock_;
  std::optional<AsioTimers> own_timers_;
  const Clock* clock_;
  Timers* timers_;
  OnWarning on_warning_;
  int init_error_ = 0;  // -errno from init(), when it failed
  std::optional<boost::asio::posix::stream_descriptor> inotify_;
  alignas(8) std::array<char, 64 * 1024> buffer_;

  std::map<Id, std::unique_ptr<Subscription>> subscriptions_;
  std::unordered_map<int, Folder> folders_;  // by watch descriptor
  Id next_id_ = 1;
  // Handlers hold a weak_ptr to this: one queued before the watcher went away does nothing.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace codeloc::daemon
