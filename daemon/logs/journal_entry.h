// journald's native protocol (systemd.journal-fields(7), "Native Journal Protocol"): one datagram
// per entry, one field after another. Encoding only; daemon/logs/journal_sink.h sends.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <spdlog/common.h>

namespace codeloc::daemon {

struct JournalField {
  std::string_view name;  // upper case letters, digits and '_', not starting with '_'
  std::string_view value;
};

// "NAME=value\n" per field; a value holding a newline as "NAME\n" + its length as 64-bit little
// endian + the value + "\n".
std::string encode_journal_entry(std::span<const JournalField> fields);

// The syslog priority of a log level: 7 debug (and trace), 6 info, 4 warn, 3 err, 2 critical.
int journal_priority(spdlog::level::level_enum level);

}  // namespace codeloc::daemon
