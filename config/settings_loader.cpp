#include "config/settings_loader.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

extern char** environ;

namespace codeloc::config {

std::optional<std::string> config_file_path(const std::optional<std::string>& config_flag,
                                            const Environment& environment) {
  if (config_flag && !config_flag->empty()) return config_flag;
  auto it = environment.find(kConfigVariable);
  if (it != environment.end() && !it->second.empty()) return it->second;
  return std::nullopt;
}

namespace {

// The whole file, or nullopt with errno set.
std::optional<std::string> read_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[16 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      errno = saved;
      return std::nullopt;
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace

SettingsResult load_settings(SettingsSources sources,
                             const std::optional<std::string>& config_flag) {
  std::string read_error;
  if (auto path = config_file_path(config_flag, sources.environment)) {
    if (auto text = read_file(sources.cwd / *path)) {
      sources.file = ConfigText{*path, std::move(*text)};
    } else {
      read_error = *path + ": cannot read config file: " + std::strerror(errno);
    }
  }
  // Without its file the rest still resolves, so that every other error is reported too.
  SettingsResult result = resolve_settings(sources);
  if (!read_error.empty()) result.errors.insert(result.errors.begin(), read_error);
  return result;
}

Environment current_environment() {
  Environment environment;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    environment.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return environment;
}

}  // namespace codeloc::config
