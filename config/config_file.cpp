#include "config/config_file.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "config/nearest_name.h"
#include "config/setting_table.h"

namespace codeloc::config {
namespace {

std::string position(std::string_view name, const YAML::Mark& mark) {
  if (mark.line < 0) return std::string(name);
  return std::string(name) + ":" + std::to_string(mark.line + 1) + ":" +
         std::to_string(mark.column + 1);
}

const char* type_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "a scalar";
  }
}

}  // namespace

std::string suggest_setting_key(std::string_view key) {
  // The spellings of other layers (flags, environment variables) map straight to the key.
  std::string normal(key);
  std::transform(normal.begin(), normal.end(), normal.begin(), [](unsigned char c) {
    return c == '-' ? '_' : static_cast<char>(std::tolower(c));
  });
  if (normal.rfind("codeloc_", 0) == 0) normal = normal.substr(8);
  while (!normal.empty() && normal.front() == '_')
    normal.erase(0, 1);
  std::vector<std::string_view> keys;
  for (const SettingDef& def : setting_table())
    keys.push_back(def.key);
  auto nearest =
      find_setting(normal) ? std::optional<std::string>(normal) : nearest_name(normal, keys);
  return nearest ? "did you mean '" + *nearest + "'?" : "";
}

ConfigFile parse_config_file(std::string_view name, std::string_view text) {
  ConfigFile file;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    // yaml-cpp's what() repeats the position; msg is the bare message.
    file.errors.push_back(position(name, e.mark) + ": " + e.msg);
    return file;
  }
  if (!root || root.IsNull()) return file;
  if (!root.IsMap()) {
    file.errors.push_back(position(name, root.Mark()) + ": expected a map of settings, got " +
                          type_name(root));
    return file;
  }
  std::map<std::string, YAML::Mark> seen;
  for (const auto& item : root) {
    const YAML::Node& key_node = item.first;
    const YAML::Node& value = item.second;
    if (!key_node.IsScalar()) {
      file.errors.push_back(position(name, key_node.Mark()) + ": expected a setting name, got " +
                            type_name(key_node));
      continue;
    }
    std::string key = key_node.Scalar();
    std::string where = position(name, key_node.Mark());
    if (!find_setting(key)) {
      std::string hint = suggest_setting_key(key);
      file.errors.push_back(where + ": unknown setting '" + key + "'" +
                            (hint.empty() ? "" : " (" + hint + ")"));
      continue;
    }
    auto [previous, inserted] = seen.emplace(key, key_node.Mark());
    if (!inserted) {
      file.errors.push_back(where + ": setting '" + key + "' is already set at line " +
                            std::to_string(previous->second.line + 1));
      continue;
    }
    if (!value.IsScalar()) {
      // A null value (`key:` with nothing after it) has no useful mark; point at the key.
      std::string at = value.IsNull() ? where : position(name, value.Mark());
      file.errors.push_back(at + ": " + key + ": expected a single value, got " + type_name(value));
      continue;
    }
    file.entries.push_back({key, value.Scalar(), value.Mark().line + 1, value.Mark().column + 1});
  }
  return file;
}

}  // namespace codeloc::config
