#include "daemon/logs/log_context.h"

namespace codeloc::daemon {
namespace {

thread_local const LogContext* current = nullptr;

}  // namespace

const LogContext* current_log_context() {
  return current;
}

ScopedLogContext::ScopedLogContext(const LogContext& context) : previous_(current) {
  current = &context;
}

ScopedLogContext::~ScopedLogContext() {
  current = previous_;
}

}  // namespace codeloc::daemon
