// The daemon's version, as the build set it (CMakeLists.txt: the project's VERSION). One source
// file sees the definition, so that a version bump recompiles one file.
#pragma once

namespace codeloc::daemon {

const char* codeloc_version();

}  // namespace codeloc::daemon
