#include "daemon/supervision/child_set.h"

#include <unistd.h>

namespace codeloc::daemon {

LocationChild::~LocationChild() {
  if (!grpc_socket.empty()) ::unlink(grpc_socket.c_str());
}

void LocationChild::close() {
  if (session) session->close();
  if (out) out->close();
  if (err) err->close();
}

std::unique_ptr<LocationChild> ChildSet::make() {
  auto child = std::make_unique<LocationChild>();
  child->id = next_id_++;
  return child;
}

ChildSet::Role ChildSet::role_of(const LocationChild* child) const {
  if (!child) return Role::kNone;
  if (child == current_.get()) return Role::kCurrent;
  if (child == candidate_.get()) return Role::kCandidate;
  for (const auto& retired : retired_) {
    if (retired.get() == child) return Role::kRetired;
  }
  return Role::kNone;
}

LocationChild* ChildSet::find_active(std::uint64_t id) const {
  if (is_current(id)) return current_.get();
  if (is_candidate(id)) return candidate_.get();
  return nullptr;
}

LocationChild* ChildSet::find_retired(std::uint64_t id) const {
  for (const auto& child : retired_) {
    if (child->id == id) return child.get();
  }
  return nullptr;
}

LocationChild* ChildSet::find_pid(pid_t pid, Role* role) const {
  *role = Role::kNone;
  if (pid <= 0) return nullptr;
  if (current_ && current_->pid == pid) {
    *role = Role::kCurrent;
    return current_.get();
  }
  if (candidate_ && candidate_->pid == pid) {
    *role = Role::kCandidate;
    return candidate_.get();
  }
  for (const auto& child : retired_) {
    if (child->pid == pid) {
      *role = Role::kRetired;
      return child.get();
    }
  }
  return nullptr;
}

void ChildSet::set_current(std::unique_ptr<LocationChild> child) {
  current_ = std::move(child);
}

void ChildSet::set_candidate(std::unique_ptr<LocationChild> child) {
  candidate_ = std::move(child);
}

std::unique_ptr<LocationChild> ChildSet::promote() {
  std::unique_ptr<LocationChild> previous = std::move(current_);
  current_ = std::move(candidate_);
  return previous;
}

void ChildSet::add_retired(std::unique_ptr<LocationChild> child) {
  if (child) retired_.push_back(std::move(child));
}

void ChildSet::drop_retired(const std::function<bool(const LocationChild&)>& gone) {
  std::erase_if(retired_,
                [&](const std::unique_ptr<LocationChild>& child) { return gone(*child); });
}

std::vector<pid_t> ChildSet::draining() const {
  std::vector<pid_t> pids;
  for (const auto& child : retired_) {
    if (child->draining && !child->exited) pids.push_back(child->pid);
  }
  return pids;
}

void ChildSet::for_each(const std::function<void(LocationChild&)>& action) const {
  if (current_) action(*current_);
  if (candidate_) action(*candidate_);
  for (const auto& child : retired_)
    action(*child);
}

bool ChildSet::all_of(const std::function<bool(const LocationChild&)>& pred) const {
  if (current_ && !pred(*current_)) return false;
  if (candidate_ && !pred(*candidate_)) return false;
  for (const auto& child : retired_) {
    if (!pred(*child)) return false;
  }
  return true;
}

}  // namespace codeloc::daemon
