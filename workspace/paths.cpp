#include "workspace/paths.h"

namespace codeloc::workspace {

std::filesystem::path resolve_path(const std::filesystem::path& folder, const std::string& path) {
  std::filesystem::path given(path);
  std::filesystem::path result = (given.is_absolute() ? given : folder / given).lexically_normal();
  if (!result.has_filename() && result != result.root_path()) result = result.parent_path();
  return result;
}

}  // namespace codeloc::workspace
