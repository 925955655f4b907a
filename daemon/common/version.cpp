#include "daemon/common/version.h"

namespace codeloc::daemon {

const char* codeloc_version() {
  return CODELOC_VERSION;
}

}  // namespace codeloc::daemon
