#include "daemon/processes/code_server_locator.h"

#include <cstdlib>

namespace codeloc::daemon {

std::optional<std::filesystem::path> locate_code_server() {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto usable = [&](const fs::path& dir) { return fs::exists(dir / "__main__.py", ec); };
  if (const char* env = std::getenv("CODELOC_CODE_SERVER"); env && *env) {
    if (usable(env)) return fs::path(env);
  }
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = (exe.parent_path() / CODELOC_CODE_SERVER_FROM_BINDIR).lexically_normal();
    if (usable(installed)) return installed;
  }
  fs::path source = fs::path(CODELOC_SOURCE_PYTHON_DIR) / "codeloc_server";
  if (usable(source)) return source;
  return std::nullopt;
}

}  // namespace codeloc::daemon
