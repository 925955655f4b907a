// Replacing a file so that a reader sees either the old content or the new, never a part: the
// text goes to a temporary file beside it, is flushed, and is renamed over the path.
#pragma once

#include <filesystem>
#include <string>

namespace codeloc::daemon {

// Writes `content` to `path` atomically, creating its folder when `create_folder`. Returns an
// empty string, or what failed (naming the path). The temporary file is removed on failure.
std::string write_file_atomically(const std::filesystem::path& path, const std::string& content,
                                  bool create_folder = false);

}  // namespace codeloc::daemon
