// One line on its way out of a LineChannel.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>

namespace codeloc::ipc {

// A line to send, without its '\n': `head`, then a shared block, then `tail`. The shared block is
// held, not copied: a 50 MB snapshot answered to a hundred clients is one 50 MB string that every
// queued answer points at, and LineChannel gathers the parts into one write. A plain string is a
// line with only a head.
class OutgoingLine {
 public:
  OutgoingLine() = default;
  OutgoingLine(std::string text) : head_(std::move(text)) {}  // NOLINT: implicit by design
  OutgoingLine(const char* text) : head_(text) {}             // NOLINT: implicit by design
  // REQUIRES: none of the parts holds a '\n'. `shared` may be null (no middle part).
  OutgoingLine(std::string head, std::shared_ptr<const std::string> shared, std::string tail);

  std::size_t size() const;
  bool empty() const { return size() == 0; }
  // The whole line as one string (a copy of the shared block).
  std::string flatten() const;
  // Appends a buffer per non-empty part, in order. They point into this object (and the shared
  // block), so they stay valid while it lives unmoved and unchanged.
  void append_buffers(std::vector<boost::asio::const_buffer>& buffers) const;

 private:
  std::string head_;
  std::shared_ptr<const std::string> shared_;
  std::string tail_;
};

}  // namespace codeloc::ipc
