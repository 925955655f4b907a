#include "workspace/field_reader.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "workspace/values.h"

namespace codeloc::workspace {
namespace {

// A YAML key as text; non-scalar keys (rare, "? [a]: b") read as their description.
std::string key_text(const YAML::Node& key) {
  return key.IsScalar() ? key.Scalar() : describe(key);
}

std::optional<long long> parse_integer(std::string_view text) {
  long long value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

SourcePos to_pos(const std::string& file, const YAML::Mark& mark) {
  if (mark.line < 0) return SourcePos{file, 0, 0};
  return SourcePos{file, mark.line + 1, mark.column + 1};
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    default:
      return "null";
  }
}

FieldReader::FieldReader(YAML::Node map, std::string where, const std::string& file,
                         const EnvLookup& env, Diagnostics* out)
    : map_(std::move(map)), where_(std::move(where)), file_(file), env_(env), out_(out) {
  for (auto it = map_.begin(); it != map_.end(); ++it) {
    entries_.emplace_back(it->first, it->second);
  }
}

void FieldReader::check_keys(const std::vector<std::string_view>& allowed,
                             const std::map<std::string_view, std::string>& rejected) {
  std::map<std::string, int> first_line;
  for (const auto& [key, value] : entries_) {
    std::string name = key_text(key);
    SourcePos at = to_pos(file_, key.Mark());
    if (auto [it, inserted] = first_line.emplace(name, at.line); !inserted) {
      error_at(at, "duplicate key '" + name + "' " + in_where() + " (first at line " +
                       std::to_string(it->second) + ")");
    } else if (auto reason = rejected.find(name); reason != rejected.end()) {
      error_at(at, "key '" + name + "' is not allowed " + in_where() + ": " + reason->second);
    } else if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      error_at(at, "unknown key '" + name + "' " + in_where() + did_you_mean(name, allowed));
    }
  }
}

const std::pair<YAML::Node, YAML::Node>* FieldReader::find(std::string_view key) const {
  for (const auto& entry : entries_) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return &entry;
  }
  return nullptr;
}

bool FieldReader::has(std::string_view key) const {
  return find(key) != nullptr;
}

YAML::Node FieldReader::node(std::string_view key) const {
  const auto* entry = find(key);
  return entry ? entry->second : YAML::Node(YAML::NodeType::Undefined);
}

SourcePos FieldReader::pos() const {
  return to_pos(file_, map_.Mark());
}

SourcePos FieldReader::key_pos(std::string_view key) const {
  const auto* entry = find(key);
  return entry ? to_pos(file_, entry->first.Mark()) : pos();
}

SourcePos FieldReader::value_pos(std::string_view key) const {
  const auto* entry = find(key);
  if (!entry) return pos();
  // An empty value ("key:" and nothing) carries the mark of whatever token follows it, often on
  // a later line; an explicit null ("~") on the key's line has its own mark.
  const YAML::Mark key_mark = entry->first.Mark();
  const YAML::Mark value_mark = entry->second.Mark();
  if (entry->second.IsNull() && (value_mark.line != key_mark.line || value_mark.line < 0)) {
    return to_pos(file_, key_mark);
  }
  return to_pos(file_, value_mark);
}

std::string FieldReader::in_where() const {
  return where_.empty() ? "at the top level" : "in " + where_;
}

void FieldReader::error(std::string_view key, const std::string& message) {
  error_at(value_pos(key), "'" + std::string(key) + "' " + in_where() + ": " + message);
}

void FieldReader::error_at(const SourcePos& pos, std::string message) {
  out_->push_back(Diagnostic{pos, std::move(message)});
}

std::optional<std::string> FieldReader::resolve_string(const YAML::Node& value,
                                                       std::string_view key,
                                                       const std::string& item) {
  auto fail = [&](const std::string& message) -> std::optional<std::string> {
    if (item.empty()) {
      error(key, message);
    } else {
      error_at(to_pos(file_, value.Mark()),
               "'" + std::string(key) + "' " + in_where() + ": " + item + ": " + message);
    }
    return std::nullopt;
  };
  if (value.IsScalar()) return value.Scalar();
  if (!value.IsMap()) return fail("expected a string, got " + describe(value));
  YAML::Node var = value["env"];
  if (value.size() != 1 || !var) {
    return fail("expected a string or {env: VAR}, got a map without a single 'env' key");
  }
  if (!var.IsScalar() || var.Scalar().empty()) {
    return fail("expected {env: VAR} with a variable name, got env: " + describe(var));
  }
  auto resolved = env_(var.Scalar());
  if (!resolved) return fail("environment variable '" + var.Scalar() + "' is not set");
  return resolved;
}

std::optional<std::string> FieldReader::string(std::string_view key) {
  const auto* entry = find(key);
  if (!entry) return std::nullopt;
  return resolve_string(entry->second, key, "");
}

std::optional<long long> FieldReader::integer(std::string_view key) {
  const auto* entry = find(key);
  if (!entry) return std::nullopt;
  const YAML::Node& value = entry->second;
  if (value.IsScalar()) {
    auto number = parse_integer(value.Scalar());
    if (!number) error(key, "expected an integer, got " + describe(value));
    return number;
  }
  if (!value.IsMap()) {
    error(key, "expected an integer, got " + describe(value));
    return std::nullopt;
  }
  auto text = resolve_string(value, key, "");
  if (!text) return std::nullopt;
  auto number = parse_integer(*text);
  // The variable's value is not repeated: it may be a secret.
  if (!number) error(key, "environment variable '" + value["env"].Scalar() + "' is not an integer");
  return number;
}

std::optional<bool> FieldReader::boolean(std::string_view key) {
  const auto* entry = find(key);
  if (!entry) return std::nullopt;
  const YAML::Node& value = entry->second;
  // The YAML 1.1 booleans, as PyYAML (Dagster's loader) reads them; quoted text is a string.
  static const std::set<std::string> kTrue{"true", "True", "TRUE", "yes", "Yes",
                                           "YES",  "on",   "On",   "ON"};
  static const std::set<std::string> kFalse{"false", "False", "FALSE", "no", "No",
                                            "NO",    "off",   "Off",   "OFF"};
  if (value.IsScalar() && value.Tag() != "!") {
    if (kTrue.contains(value.Scalar())) return true;
    if (kFalse.contains(value.Scalar())) return false;
  }
  error(key, "expected true or false, got " + describe(value));
  return std::nullopt;
}

std::optional<std::vector<std::string>> FieldReader::string_list(std::string_view key) {
  const auto* entry = find(key);
  if (!entry) return std::nullopt;
  const YAML::Node& value = entry->second;
  if (!value.IsSequence()) {
    error(key, "expected a list of strings, got " + describe(value));
    return std::nullopt;
  }
  std::vector<std::string> items;
  bool ok = true;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto item = resolve_string(value[i], key, "item " + std::to_string(i + 1));
    if (item) {
      items.push_back(std::move(*item));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return items;
}

std::optional<std::map<std::string, std::string>> FieldReader::string_map(std::string_view key) {
  const auto* entry = find(key);
  if (!entry) return std::nullopt;
  const YAML::Node& value = entry->second;
  if (!value.IsMap()) {
    error(key, "expected a map of names to strings, got " + describe(value));
    return std::nullopt;
  }
  std::map<std::string, std::string> result;
  bool ok = true;
  for (auto it = value.begin(); it != value.end(); ++it) {
    std::string name = key_text(it->first);
    SourcePos at = to_pos(file_, it->first.Mark());
    std::string prefix = "'" + std::string(key) + "' " + in_where() + ": ";
    if (!it->first.IsScalar() || name.empty() || name.find('=') != std::string::npos) {
      error_at(at, prefix + "invalid variable name " + describe(it->first));
      ok = false;
    } else if (result.contains(name)) {
      error_at(at, prefix + "duplicate variable '" + name + "'");
      ok = false;
    } else if (auto text = resolve_string(it->second, key, "variable '" + name + "'")) {
      result.emplace(name, std::move(*text));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return result;
}

std::optional<std::chrono::milliseconds> FieldReader::duration(std::string_view key) {
  auto text = string(key);
  if (!text) return std::nullopt;
  std::string problem;
  auto value = parse_duration(*text, &problem);
  if (!value) error(key, problem);
  return value;
}

std::optional<int> FieldReader::signal(std::string_view key) {
  auto text = string(key);
  if (!text) return std::nullopt;
  std::string problem;
  auto value = parse_signal(*text, &problem);
  if (!value) error(key, problem);
  return value;
}

}  // namespace codeloc::workspace
