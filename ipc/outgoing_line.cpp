#include "ipc/outgoing_line.h"

namespace codeloc::ipc {

OutgoingLine::OutgoingLine(std::string head, std::shared_ptr<const std::string> shared,
                           std::string tail)
    : head_(std::move(head)), shared_(std::move(shared)), tail_(std::move(tail)) {}

std::size_t OutgoingLine::size() const {
  return head_.size() + (shared_ ? shared_->size() : 0) + tail_.size();
}

std::string OutgoingLine::flatten() const {
  std::string line;
  line.reserve(size());
  line += head_;
  if (shared_) line += *shared_;
  line += tail_;
  return line;
}

void OutgoingLine::append_buffers(std::vector<boost::asio::const_buffer>& buffers) const {
  if (!head_.empty()) buffers.push_back(boost::asio::buffer(head_));
  if (shared_ && !shared_->empty()) buffers.push_back(boost::asio::buffer(*shared_));
  if (!tail_.empty()) buffers.push_back(boost::asio::buffer(tail_));
}

}  // namespace codeloc::ipc
