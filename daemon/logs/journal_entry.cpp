#include "daemon/logs/journal_entry.h"

#include <cstdint>

namespace codeloc::daemon {

std::string encode_journal_entry(std::span<const JournalField> fields) {
  std::string out;
  for (const JournalField& field : fields) {
    out += field.name;
    if (field.value.find('\n') == std::string_view::npos) {
      out += '=';
    } else {
      out += '\n';
      std::uint64_t size = field.value.size();
      for (int byte = 0; byte < 8; ++byte)
        out += static_cast<char>((size >> (8 * byte)) & 0xff);
    }
    out += field.value;
    out += '\n';
  }
  return out;
}

int journal_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::err:
      return 3;
    case spdlog::level::critical:
      return 2;
    default:
      return 6;
  }
}

}  // namespace codeloc::daemon
