// Path rules shared by the workspace parsers. Pure functions: no file system access.
#pragma once

#include <filesystem>
#include <string>

namespace codeloc::workspace {

// path made absolute against folder (an absolute path stays as it is), lexically normalized and
// without a trailing separator: ("/ws", "src/../defs.py") -> "/ws/defs.py", ("/ws", ".") -> "/ws".
// REQUIRES: folder is absolute.
std::filesystem::path resolve_path(const std::filesystem::path& folder, const std::string& path);

}  // namespace codeloc::workspace
