#include "daemon/watching/file_watcher.h"

#include <algorithm>
#include <cerrno>
#include <set>
#include <unordered_set>

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/watching/tree_snapshot.h"
#include "daemon/watching/tree_walk.h"

namespace codeloc::daemon {

namespace {

// Every way of saving a file ends in one of these on its folder: a write in place (MODIFY,
// CLOSE_WRITE), a rename over it (MOVED_TO), a delete and create (DELETE, CREATE), or a touch or
// chmod (ATTRIB). The SELF events tell that the folder itself went away.
constexpr std::uint32_t kMask = IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | IN_DELETE |
                                IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
                                IN_ONLYDIR;

// Reads of the 64 KiB buffer per turn of the event loop: about 40,000 events.
constexpr int kReadsPerTurn = 16;

std::string describe(std::chrono::milliseconds interval) {
  auto ms = interval.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

bool exists(const std::filesystem::path& path, bool* is_directory) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  *is_directory = S_ISDIR(st.st_mode);
  return true;
}

}  // namespace

struct FileWatcher::Subscription {
  explicit Subscription(Timers& timers)
      : debounce_timer(timers.make_timer()), poll_timer(timers.make_timer()) {}

  // True when a change of path belongs to one of the roots.
  bool matches(const std::filesystem::path& path) const {
    for (const WatchRoot& root : spec.roots) {
      if (root.matches(path)) return true;
    }
    return false;
  }

  Id id = 0;
  std::string label;
  WatchSpec spec;
  OnChange on_change;
  std::set<int> wds;  // the inotify watches this subscription uses
  bool polling = false;

  // Changes since the last callback.
  std::vector<std::filesystem::path> changed;
  std::unordered_set<std::string> seen;
  bool overflow = false;

  // The trailing debounce window: the callback runs once nothing new arrived until quiet_at.
  std::unique_ptr<Timer> debounce_timer;
  bool debounce_waiting = false;
  Clock::TimePoint quiet_at;

  std::unique_ptr<Timer> poll_timer;
  std::optional<TreeSnapshot> snapshot;
};

FileWatcher::FileWatcher(boost::asio::io_context& io, InotifyApi& api, OnWarning on_warning)
    : io_(io),
      api_(api),
      own_clock_(std::in_place),
      own_timers_(std::in_place, io),
      clock_(&*own_clock_),
      timers_(&*own_timers_),
      on_warning_(std::move(on_warning)) {
  start();
}

FileWatcher::FileWatcher(boost::asio::io_context& io, InotifyApi& api, const Clock& clock,
                         Timers& timers, OnWarning on_warning)
    : io_(io), api_(api), clock_(&clock), timers_(&timers), on_warning_(std::move(on_warning)) {
  start();
}

void FileWatcher::start() {
  int fd = api_.init();
  if (fd < 0) {
    init_error_ = fd;
    return;
  }
  inotify_.emplace(io_, fd);
  wait_readable();
}

// Closing the inotify descriptor releases every watch at once; the timers go with their
// subscriptions (a destroyed Timer never calls back), and alive_ stops a read already queued.
FileWatcher::~FileWatcher() = default;

FileWatcher::Subscription* FileWatcher::find(Id id) const {
  auto it = subscriptions_.find(id);
  return it == subscriptions_.end() ? nullptr : it->second.get();
}

FileWatcher::Id FileWatcher::watch(std::string label, WatchSpec spec, OnChange on_change) {
  Id id = next_id_++;
  auto owned = std::make_unique<Subscription>(*timers_);
  Subscription& sub = *owned;
  sub.id = id;
  sub.label = std::move(label);
  sub.spec = std::move(spec);
  sub.on_change = std::move(on_change);
  subscriptions_.emplace(id, std::move(owned));

  warn_missing_roots(sub);
  if (!inotify_) {
    start_polling(sub, "cannot use inotify", init_error_);
    return id;
  }
  for (const WatchRoot& root : sub.spec.roots) {
    if (!add_root(sub, root)) break;
  }
  return id;
}

void FileWatcher::unwatch(Id id) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) return;
  release(*it->second);
  subscriptions_.erase(it);  // cancels its timers; their handlers find no subscription
}

bool FileWatcher::polling(Id id) const {
  const Subscription* sub = find(id);
  return sub && sub->polling;
}

void FileWatcher::warn_missing_roots(const Subscription& sub) {
  for (const WatchRoot& root : sub.spec.roots) {
    bool is_directory = false;
    if (root.recursive) {
      if (!exists(root.path, &is_directory))
        on_warning_(sub.label, "cannot watch " + root.path.string() + ": it does not exist");
      else if (!is_directory)
        on_warning_(sub.label, "cannot watch " + root.path.string() + ": not a folder");
    } else if (!exists(root.folder(), &is_directory) || !is_directory) {
      on_warning_(sub.label, "cannot watch " + root.path.string() + ": its folder " +
                                 root.folder().string() + " does not exist");
    } else if (!exists(root.path, &is_directory)) {
      on_warning_(sub.label, root.path.string() + " does not exist; watching " +
                                 root.folder().string() + " for it to appear");
    }
  }
}

bool FileWatcher::add_root(Subscription& sub, const WatchRoot& root) {
  std::filesystem::path folder = root.folder();
  if (!add_folder(sub, folder, true)) return false;
  return root.watches_below() ? add_tree(sub, folder, false) : true;
}

bool FileWatcher::add_folder(Subscription& sub, const std::filesystem::path& folder, bool is_root) {
  // Below a root, a symlink is not followed: walk_tree does not descend into one either.
  std::uint32_t mask = kMask | (is_root ? 0 : IN_DONT_FOLLOW);
  int wd = api_.add_watch(inotify_->native_handle(), folder.string(), mask);
  if (wd >= 0) {
    // The same folder gives the same wd to every subscription, maybe reached by another path
    // (a symlink); each keeps its own. A subscription's newest path for it is its path.
    folders_[wd].users[sub.id] = folder;
    sub.wds.insert(wd);
    return true;
  }
  if (wd == -ENOSPC) {
    start_polling(sub, "cannot watch " + folder.string(), wd);
    return false;
  }
  // Gone or replaced since it was listed: nothing to watch. A missing root was warned about.
  if (wd == -ENOENT || wd == -ENOTDIR) return true;
  on_warning_(sub.label, "cannot watch " + folder.string() + ": " + inotify_error_reason(wd) +
                             "; changes in it are not seen");
  return true;
}

// report: the folder is new (created or moved in), so what it already holds arrived before its
// watch and counts as changed.
bool FileWatcher::add_tree(Subscription& sub, const std::filesystem::path& folder, bool report) {
  return walk_tree(folder, sub.spec.filter, [&](const std::filesystem::path& path, bool is_folder) {
    if (report && sub.matches(path)) note_change(sub, path);
    return !is_folder || add_folder(sub, path, false);
  });
}

void FileWatcher::release(Subscription& sub) {
  for (int wd : sub.wds) {
    auto it = folders_.find(wd);
    if (it == folders_.end()) continue;
    it->second.users.erase(sub.id);
    if (it->second.users.empty()) {
      api_.rm_watch(inotify_->native_handle(), wd);
      folders_.erase(it);
    }
  }
  sub.wds.clear();
}

void FileWatcher::forget(int wd) {
  auto it = folders_.find(wd);
  if (it == folders_.end()) return;
  for (const auto& [id, path] : it->second.users) {
    if (Subscription* sub = find(id)) sub->wds.erase(wd);
  }
  folders_.erase(it);
}

void FileWatcher::drop_below(const std::filesystem::path& folder, bool report) {
  std::vector<int> dropped;
  for (const auto& [wd, entry] : folders_) {
    for (const auto& [id, path] : entry.users) {
      if (is_within(path, folder)) {
        dropped.push_back(wd);
        break;
      }
    }
  }
  for (int wd : dropped) {
    for (const auto& [id, path] : folders_.at(wd).users) {
      Subscription* sub = find(id);
      if (!report || !sub) continue;
      for (const WatchRoot& root : sub->spec.roots) {
        if (root.folder() == path) note_change(*sub, root.path);
      }
    }
    api_.rm_watch(inotify_->native_handle(), wd);
    forget(wd);
  }
}

// `python -m venv` in a watched folder writes pyvenv.cfg after the folders: from now on the folder
// is a virtual environment, so its watches go, and so do the changes seen in it. Not for a root,
// which was asked for explicitly.
bool FileWatcher::became_virtual_environment(const Users& users) {
  for (const auto& [id, folder] : users) {
    const Subscription* sub = find(id);
    if (!sub) continue;
    for (const WatchRoot& root : sub->spec.roots) {
      if (root.folder() == folder) return false;
    }
  }
  for (const auto& [id, folder] : users)
    discard_folder(folder);
  return true;
}

void FileWatcher::discard_folder(const std::filesystem::path& folder) {
  drop_below(folder, false);
  for (auto& entry : subscriptions_) {
    // Not a structured binding: clang before 16 cannot capture one in a lambda (the fuzz build).
    auto& sub = entry.second;
    std::erase_if(sub->changed, [&](const std::filesystem::path& path) {
      if (!is_within(path, folder)) return false;
      sub->seen.erase(path.native());
      return true;
    });
  }
}

void FileWatcher::wait_readable() {
  inotify_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [this, alive = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
                         if (ec || alive.expired()) return;
                         read_events();
                       });
}

void FileWatcher::read_events() {
  bool overflow = false;
  // Until EAGAIN, but a bounded amount per turn, so that a flood of events cannot hold the loop:
  // if more is queued, the descriptor is readable again at once.
  for (int reads = 0; reads < kReadsPerTurn;) {
    ssize_t bytes = ::read(inotify_->native_handle(), buffer_.data(), buffer_.size());
    if (bytes < 0 && errno == EINTR) continue;
    if (bytes <= 0) break;  // EAGAIN: all read
    ++reads;
    for (ssize_t offset = 0; offset < bytes;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer_.data() + offset);
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if (event->mask & IN_Q_OVERFLOW) {
        overflow = true;
        continue;
      }
      // name is NUL-padded to len.
      std::string_view name = event->len ? std::string_view(event->name) : std::string_view();
      handle_event(event->wd, event->mask, name);
    }
  }
  if (overflow) rescan();
  wait_readable();
}

void FileWatcher::handle_event(int wd, std::uint32_t mask, std::string_view name) {
  auto it = folders_.find(wd);
  if (it == folders_.end()) return;  // released already; its last events still arrive
  if (mask & IN_IGNORED) {
    forget(wd);
    return;
  }
  // A copy: what follows may add and drop watches.
  const Users users(it->second.users.begin(), it->second.users.end());

  if (mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
    // Needed for a root folder; any other folder shows up as an entry of its parent too.
    for (const auto& [id, folder] : users) {
      Subscription* sub = find(id);
      if (sub && !sub->polling && sub->matches(folder)) note_change(*sub, folder);
    }
    if (mask & IN_DELETE_SELF) {
      forget(wd);
      return;
    }
    // A folder moved away keeps its watches, and those below it, under paths that are no longer
    // true: let them go. (A folder moved inside a watched tree was handled already, by
    // IN_MOVED_FROM in its old parent.)
    for (const auto& [id, folder] : users)
      drop_below(folder, false);
    return;
  }
  if (name.empty()) return;  // the folder's own attributes

  const bool is_directory = mask & IN_ISDIR;
  if (!is_directory && name == "pyvenv.cfg" && (mask & (IN_CREATE | IN_MOVED_TO)) &&
      became_virtual_environment(users))
    return;
  if (is_directory && (mask & IN_MOVED_FROM)) {
    for (const auto& [id, folder] : users)
      drop_below(folder / name, true);  // watched again where it lands, if that is watched
  }
  for (const auto& [id, folder] : users) {
    Subscription* sub = find(id);
    const std::filesystem::path path = folder / name;
    if (!sub || sub->polling || sub->spec.filter.ignored(path, is_directory)) continue;
    if (sub->matches(path)) note_change(*sub, path);
    if (!is_directory || !(mask & (IN_CREATE | IN_MOVED_TO))) continue;
    bool recursive = std::any_of(
        sub->spec.roots.begin(), sub->spec.roots.end(),
        [&](const WatchRoot& root) { return root.watches_below() && is_within(path, root.path); });
    if (!recursive || !add_folder(*sub, path, false)) continue;
    add_tree(*sub, path, true);
    // pyvenv.cfg may have been written between the folder's creation and its watch, so that no
    // event tells: a folder that is a virtual environment by now was never wanted.
    if (sub->spec.filter.ignored(path, true)) discard_folder(path);
  }
}

// The queue overflowed: events were lost, including IN_IGNORED for folders deleted meanwhile.
// Start over from the roots; every inotify subscription is told.
void FileWatcher::rescan() {
  for (const auto& [wd, entry] : folders_)
    api_.rm_watch(inotify_->native_handle(), wd);
  folders_.clear();
  std::vector<Subscription*> affected;
  for (auto& [id, sub] : subscriptions_) {
    if (sub->polling) continue;
    sub->wds.clear();
    affected.push_back(sub.get());
  }
  for (Subscription* sub : affected) {
    for (const WatchRoot& root : sub->spec.roots) {
      if (!add_root(*sub, root)) break;
    }
    sub->overflow = true;
    sub->quiet_at = clock_->now() + sub->spec.debounce;
    if (!sub->debounce_waiting) wait_debounce(*sub);
  }
}

void FileWatcher::start_polling(Subscription& sub, const std::string& cause, int error) {
  std::string message = cause + ": " + inotify_error_reason(error) + "; watching " + sub.label +
                        " by polling every " + describe(sub.spec.poll_interval) + " instead.";
  std::string remedy = inotify_limit_remedy(error);
  if (!remedy.empty()) message += " " + remedy;
  on_warning_(sub.label, message);
  if (inotify_) release(sub);
  sub.polling = true;
  sub.snapshot = TreeSnapshot::take(sub.spec);
  wait_poll(sub);
}

void FileWatcher::wait_poll(Subscription& sub) {
  // The timer is the subscription's: its callback cannot outlive the subscription.
  sub.poll_timer->arm(sub.spec.poll_interval, [this, id = sub.id] { poll(id); });
}

void FileWatcher::poll(Id id) {
  Subscription* sub = find(id);
  if (!sub) return;
  TreeSnapshot now = TreeSnapshot::take(sub->spec);
  for (const auto& path : sub->snapshot->changes_to(now))
    note_change(*sub, path);
  sub->snapshot = std::move(now);
  wait_poll(*sub);
}

void FileWatcher::note_change(Subscription& sub, const std::filesystem::path& path) {
  if (sub.seen.insert(path.native()).second) sub.changed.push_back(path);
  sub.quiet_at = clock_->now() + sub.spec.debounce;
  if (!sub.debounce_waiting) wait_debounce(sub);
}

// One wait at a time: a change during the wait only moves quiet_at, and the wait, once over,
// waits again for the rest (no cancel per event in a burst).
void FileWatcher::wait_debounce(Subscription& sub) {
  sub.debounce_waiting = true;
  sub.debounce_timer->arm(sub.quiet_at - clock_->now(),
                          [this, id = sub.id] { debounce_expired(id); });
}

void FileWatcher::debounce_expired(Id id) {
  Subscription* sub = find(id);
  if (!sub) return;
  sub->debounce_waiting = false;
  if (clock_->now() < sub->quiet_at) {
    wait_debounce(*sub);
    return;
  }
  if (sub->changed.empty() && !sub->overflow) return;
  WatchEvent event;
  event.total = sub->changed.size();
  event.overflow = sub->overflow;
  std::size_t kept = std::min(sub->changed.size(), WatchEvent::kMaxPaths);
  event.paths.assign(std::make_move_iterator(sub->changed.begin()),
                     std::make_move_iterator(sub->changed.begin() + kept));
  sub->changed.clear();
  sub->seen.clear();
  sub->overflow = false;
  // A copy: on_change may unwatch this subscription, or destroy the watcher.
  OnChange on_change = sub->on_change;
  on_change(event);
}

}  // namespace codeloc::daemon
