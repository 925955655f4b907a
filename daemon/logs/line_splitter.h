// Splits a child's output stream into lines. No I/O: feed it bytes as they arrive. A line longer
// than the limit is cut: its first max_line_bytes are delivered, marked truncated, and the rest is
// dropped up to the next newline, so memory stays bounded whatever the child writes.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace codeloc::daemon {

class LineSplitter {
 public:
  using LineHandler = std::function<void(std::string_view line, bool truncated)>;

  LineSplitter(std::size_t max_line_bytes, LineHandler on_line);

  void feed(std::string_view bytes);
  // End of stream: delivers a last line that had no newline.
  void finish();

 private:
  std::size_t max_line_bytes_;
  LineHandler on_line_;
  std::string partial_;
  bool discarding_ = false;  // inside a line already delivered as truncated
};

}  // namespace codeloc::daemon
