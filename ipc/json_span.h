// Finds the raw text of JSON object members without building a DOM, so the daemon can keep the
// exact bytes of a large value (a definitions snapshot) and relay them without decoding and
// re-encoding them. No I/O; no allocation proportional to the input.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codeloc::ipc {

// Where and why a text is not well-formed JSON.
struct JsonScanError {
  std::size_t offset = 0;  // byte offset into the scanned text
  std::string message;
};

// One member of an object: its key (unescaped) and the raw text of its value.
struct JsonMember {
  std::string key;
  std::string_view value;  // points into the scanned text
};

// The members of a JSON object, in document order, or why the text is not one.
struct JsonObjectScan {
  std::vector<JsonMember> members;
  std::optional<JsonScanError> error;  // set: the text is not a well-formed JSON object

  bool ok() const { return !error.has_value(); }
  // The value of the member named `key`: the last one when a key repeats, as nlohmann does.
  std::optional<std::string_view> find(std::string_view key) const;
};

// Checks that `text` is exactly one well-formed JSON value (RFC 8259, UTF-8 checked inside
// strings), allowing surrounding whitespace. Nesting deeper than kMaxJsonDepth is refused.
// Returns the error, or nullopt when the text is valid.
inline constexpr int kMaxJsonDepth = 512;
std::optional<JsonScanError> validate_json(std::string_view text);

// Scans `text`, which must be one well-formed JSON object (surrounding whitespace allowed), and
// returns its top-level members. Every nested value is validated too, in one linear pass.
JsonObjectScan scan_object(std::string_view text);

// The raw text of the member `key` of the object `object_json`, or nullopt when the text is not a
// well-formed object or has no such member. The view points into `object_json`.
std::optional<std::string_view> member_span(std::string_view object_json, std::string_view key);

// Follows a path of keys through nested objects: member_span(text, {"result", "snapshot"}).
std::optional<std::string_view> member_span(std::string_view object_json,
                                            std::initializer_list<std::string_view> path);

// Trims JSON whitespace (space, tab, CR, LF) from both ends.
std::string_view trim_json_whitespace(std::string_view text);

}  // namespace codeloc::ipc
