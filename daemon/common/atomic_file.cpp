#include "daemon/common/atomic_file.h"

#include <cerrno>
#include <cstring>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include "daemon/common/unique_fd.h"

namespace codeloc::daemon {

std::string write_file_atomically(const std::filesystem::path& path, const std::string& content,
                                  bool create_folder) {
  std::filesystem::path folder = path.parent_path();
  if (create_folder && !folder.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) return "cannot create " + folder.string() + ": " + ec.message();
  }
  // Beside the target, so that the rename stays within one file system; the pid keeps two
  // writers from sharing one temporary file.
  std::filesystem::path temporary = path;
  temporary += ".tmp." + std::to_string(::getpid());
  auto failed = [&](const std::string& what) {
    std::string why = what + " " + temporary.string() + ": " + std::strerror(errno);
    ::unlink(temporary.c_str());
    return why;
  };
  UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return "cannot create " + temporary.string() + ": " + std::strerror(errno);
  for (std::size_t done = 0; done < content.size();) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failed("cannot write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return failed("cannot flush");
  if (::close(fd.release()) != 0) return failed("cannot close");
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    return "cannot rename " + temporary.string() + " over " + path.string() + ": " +
           std::strerror(error);
  }
  return "";
}

}  // namespace codeloc::daemon
