#include "ipc/channel_error.h"

#include <string>

namespace codeloc::ipc {
namespace {

class ChannelCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "codeloc.channel"; }
  std::string message(int value) const override {
    switch (static_cast<ChannelErrc>(value)) {
      case ChannelErrc::kOutputQueueFull:
        return "output queue full: the peer is not reading";
    }
    return "unknown channel error";
  }
};

}  // namespace

const boost::system::error_category& channel_category() {
  static const ChannelCategory category;
  return category;
}

boost::system::error_code make_error_code(ChannelErrc errc) {
  return {static_cast<int>(errc), channel_category()};
}

}  // namespace codeloc::ipc
