// Where the Python code server (python/codeloc_server) is, so that `codeloc` needs no flag:
//  1. $CODELOC_CODE_SERVER, when set;
//  2. <dir of the executable>/../share/codeloc/python/codeloc_server (an installed tree; the
//     relative path follows GNUInstallDirs' bindir and datadir, CMakeLists.txt);
//  3. the source tree's python/codeloc_server (a build tree), compiled in.
#pragma once

#include <filesystem>
#include <optional>

namespace codeloc::daemon {

std::optional<std::filesystem::path> locate_code_server();

}  // namespace codeloc::daemon
