#include "ipc/json_span.h"

#include <cstdint>

namespace codeloc::ipc {
namespace {

bool is_whitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// A recursive-descent scanner over one text. Methods return false after recording the first
// error; positions only move forward, so a scan is linear in the text.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  std::optional<JsonScanError> take_error() { return std::move(error_); }

  void skip_whitespace() {
    while (pos_ < text_.size() && is_whitespace(text_[pos_]))
      ++pos_;
  }
  bool at_end() const { return pos_ == text_.size(); }
  bool expect_end() {
    skip_whitespace();
    return at_end() || fail("unexpected text after the JSON value");
  }

  // Scans one value; when `members` is given, the value must be an object and its top-level
  // members are collected.
  bool value(int depth, std::vector<JsonMember>* members = nullptr) {
    skip_whitespace();
    if (at_end()) return fail("unexpected end of input");
    if (depth > kMaxJsonDepth) return fail("nesting too deep");
    const char c = text_[pos_];
    if (members != nullptr && c != '{') return fail("expected a JSON object");
    switch (c) {
      case '{':
        return object(depth, members);
      case '[':
        return array(depth);
      case '"':
        return string(nullptr);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        if (c == '-' || is_digit(c)) return number();
        return fail("unexpected character");
    }
  }

 private:
  bool fail(std::string message) {
    if (!error_) error_ = JsonScanError{pos_, std::move(message)};
    return false;
  }
  bool consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool object(int depth, std::vector<JsonMember>* members) {
    ++pos_;  // '{'
    skip_whitespace();
    if (consume('}')) return true;
    for (;;) {
      skip_whitespace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return fail("expected a string key");
      std::string key;
      if (!string(members != nullptr ? &key : nullptr)) return false;
      skip_whitespace();
      if (!consume(':')) return fail("expected ':'");
      skip_whitespace();
      const std::size_t value_start = pos_;
      if (!value(depth + 1)) return false;
      if (members != nullptr) {
        members->push_back({std::move(key), text_.substr(value_start, pos_ - value_start)});
      }
      skip_whitespace();
      if (consume('}')) return true;
      if (!consume(',')) return fail("expected ',' or '}'");
    }
  }

  bool array(int depth) {
    ++pos_;  // '['
    skip_whitespace();
    if (consume(']')) return true;
    for (;;) {
      if (!value(depth + 1)) return false;
      skip_whitespace();
      if (consume(']')) return true;
      if (!consume(',')) return fail("expected ',' or ']'");
    }
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return fail("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool number() {
    consume('-');
    if (consume('0')) {
      // no leading zeros
    } else if (pos_ < text_.size() && is_digit(text_[pos_])) {
      while (pos_ < text_.size() && is_digit(text_[pos_]))
        ++pos_;
    } else {
      return fail("invalid number");
    }
    if (consume('.')) {
      if (pos_ >= text_.size() || !is_digit(text_[pos_])) return fail("invalid number");
      while (pos_ < text_.size() && is_digit(text_[pos_]))
        ++pos_;
    }
    if (consume('e') || consume('E')) {
      if (!consume('+')) consume('-');
      if (pos_ >= text_.size() || !is_digit(text_[pos_])) return fail("invalid number");
      while (pos_ < text_.size() && is_digit(text_[pos_]))
        ++pos_;
    }
    return true;
  }

  bool hex4(std::uint32_t* out) {
    if (text_.size() - pos_ < 4) return fail("invalid \\u escape");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex_value(text_[pos_ + i]);
      if (h < 0) return fail("invalid \\u escape");
      v = (v << 4) | static_cast<std::uint32_t>(h);
    }
    pos_ += 4;
    *out = v;
    return true;
  }

  bool escape(std::string* out) {
    if (pos_ >= text_.size()) return fail("unterminated string");
    const char c = text_[pos_++];
    char plain = 0;
    switch (c) {
      case '"':
        plain = '"';
        break;
      case '\\':
        plain = '\\';
        break;
      case '/':
        plain = '/';
        break;
      case 'b':
        plain = '\b';
        break;
      case 'f':
        plain = '\f';
        break;
      case 'n':
        plain = '\n';
        break;
      case 'r':
        plain = '\r';
        break;
      case 't':
        plain = '\t';
        break;
      case 'u': {
        std::uint32_t cp = 0;
        if (!hex4(&cp)) return false;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          std::uint32_t low = 0;
          if (!consume('\\') || !consume('u') || !hex4(&low) || low < 0xDC00 || low > 0xDFFF) {
            return fail("invalid surrogate pair");
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return fail("invalid surrogate pair");
        }
        if (out != nullptr) append_utf8(*out, cp);
        return true;
      }
      default:
        --pos_;
        return fail("invalid escape");
    }
    if (out != nullptr) *out += plain;
    return true;
  }

  // Checks one UTF-8 sequence starting at a byte >= 0x80 and moves past it.
  bool utf8_sequence() {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text_[i]); };
    const unsigned char lead = byte(pos_);
    std::size_t length = 0;
    std::uint32_t cp = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2, cp = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3, cp = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4, cp = lead & 0x07;
    } else {
      return fail("invalid UTF-8");
    }
    if (text_.size() - pos_ < length) return fail("invalid UTF-8");
    for (std::size_t i = 1; i < length; ++i) {
      if ((byte(pos_ + i) & 0xC0) != 0x80) return fail("invalid UTF-8");
      cp = (cp << 6) | (byte(pos_ + i) & 0x3F);
    }
    const bool overlong = (length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return fail("invalid UTF-8");
    }
    pos_ += length;
    return true;
  }

  // Scans a string starting at its opening quote; appends its unescaped content to `out` if given.
  bool string(std::string* out) {
    ++pos_;  // '"'
    for (;;) {
      // Copy the plain run between special bytes at once.
      const std::size_t run_start = pos_;
      while (pos_ < text_.size()) {
        const auto c = static_cast<unsigned char>(text_[pos_]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++pos_;
      }
      if (out != nullptr) out->append(text_.substr(run_start, pos_ - run_start));
      if (pos_ >= text_.size()) return fail("unterminated string");
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        ++pos_;
        if (!escape(out)) return false;
      } else if (c < 0x20) {
        return fail("control character in string");
      } else {
        const std::size_t start = pos_;
        if (!utf8_sequence()) return false;
        if (out != nullptr) out->append(text_.substr(start, pos_ - start));
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::optional<JsonScanError> error_;
};

}  // namespace

std::optional<std::string_view> JsonObjectScan::find(std::string_view key) const {
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (it->key == key) return it->value;
  }
  return std::nullopt;
}

std::optional<JsonScanError> validate_json(std::string_view text) {
  Scanner scanner(text);
  if (scanner.value(0) && scanner.expect_end()) return std::nullopt;
  return scanner.take_error();
}

JsonObjectScan scan_object(std::string_view text) {
  JsonObjectScan scan;
  Scanner scanner(text);
  if (!scanner.value(0, &scan.members) || !scanner.expect_end()) {
    scan.members.clear();
    scan.error = scanner.take_error();
  }
  return scan;
}

std::optional<std::string_view> member_span(std::string_view object_json, std::string_view key) {
  const JsonObjectScan scan = scan_object(object_json);
  return scan.ok() ? scan.find(key) : std::nullopt;
}

std::optional<std::string_view> member_span(std::string_view object_json,
                                            std::initializer_list<std::string_view> path) {
  std::optional<std::string_view> current = object_json;
  for (std::string_view key : path) {
    current = member_span(*current, key);
    if (!current) return std::nullopt;
  }
  return current;
}

std::string_view trim_json_whitespace(std::string_view text) {
  while (!text.empty() && is_whitespace(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_whitespace(text.back()))
    text.remove_suffix(1);
  return text;
}

}  // namespace codeloc::ipc
