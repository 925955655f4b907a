// A std::deque that holds memory only while it holds elements. libstdc++'s deque allocates its map
// and a 512-byte block on construction and keeps them once emptied; a daemon with many idle code
// server channels held ~1 KiB per location in empty queues (bench/RESULTS.md, issue 17). For the
// queues that are empty nearly always (a channel's unsent lines, a peer's deferred frames), the
// two small allocations per burst cost less than the memory kept.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <utility>

namespace codeloc::ipc {

template <typename T>
class LazyDeque {
 public:
  bool empty() const { return !items_ || items_->empty(); }
  std::size_t size() const { return items_ ? items_->size() : 0; }

  void push_back(T value) {
    if (!items_) items_ = std::make_unique<std::deque<T>>();
    items_->push_back(std::move(value));
  }
  // The next three require !empty().
  T& front() { return items_->front(); }
  void pop_front() {
    items_->pop_front();
    if (items_->empty()) items_.reset();
  }
  T& operator[](std::size_t i) { return (*items_)[i]; }

  void clear() { items_.reset(); }

 private:
  std::unique_ptr<std::deque<T>> items_;
};

}  // namespace codeloc::ipc
