#include "daemon/dagster/dagster_workspace.h"

#include <cctype>
#include <cstdint>
#include <cstdio>

namespace codeloc::daemon {
namespace {

using json = nlohmann::json;

// The length of the UTF-8 sequence at text[i] and its code point, or 0 when it is not one
// (overlong, a surrogate, beyond U+10FFFF, truncated).
std::size_t utf8_sequence(std::string_view text, std::size_t i, char32_t* code_point) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  std::size_t length = 0;
  if (lead < 0x80) {
    length = 1;
  } else if ((lead >> 5) == 0x6) {
    length = 2;
  } else if ((lead >> 4) == 0xE) {
    length = 3;
  } else if ((lead >> 3) == 0x1E) {
    length = 4;
  }
  if (length == 0 || i + length > text.size()) return 0;
  char32_t value = length == 1 ? lead : lead & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (value < kSmallest[length] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return 0;
  }
  *code_point = value;
  return length;
}

// YAML 1.2's printable set (c-printable), minus what a double-quoted scalar must escape.
bool needs_escape(char32_t c) {
  if (c == '"' || c == '\\') return true;
  if (c < 0x20 || c == 0x7F) return true;
  if (c >= 0x80 && c <= 0x9F) return true;  // C1 controls
  return c == 0x2028 || c == 0x2029 || c == 0xFEFF || c == 0xFFFE || c == 0xFFFF;
}

std::string escape(char32_t c) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\n':
      return "\\n";
    case '\t':
      return "\\t";
    case '\r':
      return "\\r";
    default:
      break;
  }
  char text[12];
  if (c <= 0xFF) {
    std::snprintf(text, sizeof text, "\\x%02X", static_cast<unsigned>(c));
  } else {
    std::snprintf(text, sizeof text, "\\u%04X", static_cast<unsigned>(c));
  }
  return text;
}

// The grpc_server: value for one entry's dagster_grpc, or null when it has no address.
json grpc_server(const std::string& name, const json& address) {
  if (!address.is_object()) return nullptr;
  json server = json::object();
  auto socket = address.find("socket");
  auto port = address.find("port");
  if (socket != address.end() && socket->is_string() && !socket->get<std::string>().empty()) {
    server["socket"] = *socket;
  } else if (port != address.end() && port->is_number_integer()) {
    auto host = address.find("host");
    if (host != address.end() && host->is_string()) server["host"] = *host;
    server["port"] = *port;
  } else {
    return nullptr;
  }
  server["location_name"] = name;
  auto ssl = address.find("ssl");
  if (ssl != address.end() && ssl->is_boolean() && ssl->get<bool>()) server["ssl"] = true;
  return server;
}

}  // namespace

std::string yaml_quoted(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    char32_t c = 0;
    std::size_t length = utf8_sequence(text, i, &c);
    if (length == 0) {
      out += "\\uFFFD";
      ++i;
      continue;
    }
    if (needs_escape(c)) {
      out += escape(c);
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out + "\"";
}

std::string yaml_scalar(std::string_view text) {
  bool plain = !text.empty() && (std::isalpha(static_cast<unsigned char>(text[0])) ||
                                 text[0] == '_' || text[0] == '/');
  for (char c : text) {
    plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
                      c == '/' || c == '-');
  }
  if (plain) {
    // YAML 1.1 reads these as booleans or null (PyYAML, which Dagster uses, is YAML 1.1).
    std::string lower;
    for (char c : text)
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* word : {"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
      plain = plain && lower != word;
  }
  return plain ? std::string(text) : yaml_quoted(text);
}

json dagster_workspace(const json& entries) {
  json load_from = json::array();
  if (entries.is_array()) {
    for (const json& entry : entries) {
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) continue;
      auto address = entry.find("dagster_grpc");
      if (address == entry.end()) continue;
      json server = grpc_server(entry["name"].get<std::string>(), *address);
      if (!server.is_null()) load_from.push_back({{"grpc_server", std::move(server)}});
    }
  }
  return {{"load_from", load_from}};
}

std::string dagster_workspace_yaml(const json& entries) {
  const json workspace = dagster_workspace(entries);
  std::string items;
  for (const json& item : workspace["load_from"]) {
    const json& server = item["grpc_server"];
    items += "  - grpc_server:\n";
    // The address first, then the name (JSON objects here are sorted by key).
    for (const char* key : {"socket", "host", "port", "location_name", "ssl"}) {
      auto value = server.find(key);
      if (value == server.end()) continue;
      items += std::string("      ") + key + ": " +
               (value->is_string() ? yaml_scalar(value->get<std::string>()) : value->dump()) + "\n";
    }
  }
  std::string text =
      "# Written by codeloc: the Dagster gRPC servers of its locations, at paths that stay the\n"
      "# same when their code reloads. Do not edit; `codeloc dagster-workspace` writes it anew.\n";
  return text + (items.empty() ? "load_from: []\n" : "load_from:\n" + items);
}

}  // namespace codeloc::daemon
