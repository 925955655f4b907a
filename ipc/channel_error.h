// Errors a LineChannel reports for closes it decides itself (the others are Asio's).
#pragma once

#include <type_traits>

#include <boost/system/error_code.hpp>

namespace codeloc::ipc {

enum class ChannelErrc {
  kOutputQueueFull = 1,  // the peer did not read fast enough; its output queue went over the bound
};

const boost::system::error_category& channel_category();
boost::system::error_code make_error_code(ChannelErrc errc);

}  // namespace codeloc::ipc

template <>
struct boost::system::is_error_code_enum<codeloc::ipc::ChannelErrc> : std::true_type {};
