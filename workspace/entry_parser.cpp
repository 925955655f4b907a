#include "workspace/entry_parser.h"

#include <algorithm>
#include <map>

#include "workspace/extension_fields.h"
#include "workspace/paths.h"

namespace codeloc::workspace {
namespace {

const std::vector<std::string_view> kExtensionKeys{
    "env",     "inherit_env", "watch",           "ignore",       "restart",
    "backoff", "stop_signal", "startup_timeout", "stop_timeout", "warm",
};

constexpr LocationKind kKinds[] = {
    LocationKind::kPythonFile,         LocationKind::kPythonModule, LocationKind::kPythonPackage,
    LocationKind::kAutoloadDefsModule, LocationKind::kGrpcServer,   LocationKind::kCommand,
    LocationKind::kCodeServer,
};

std::optional<LocationKind> kind_from_name(std::string_view name) {
  for (LocationKind kind : kKinds) {
    if (name == kind_name(kind)) return kind;
  }
  return std::nullopt;
}

// The key naming a Python kind's target, as Dagster spells it.
std::string_view target_key(LocationKind kind) {
  switch (kind) {
    case LocationKind::kPythonFile:
      return "relative_path";
    case LocationKind::kPythonPackage:
      return "package_name";
    default:
      return "module_name";
  }
}

// The keys an entry of this kind accepts: Dagster's, then codeloc's.
std::vector<std::string_view> allowed_keys(LocationKind kind) {
  std::vector<std::string_view> keys;
  switch (kind) {
    case LocationKind::kGrpcServer:
      keys = {"host", "port", "socket", "location_name", "ssl", "additional_metadata"};
      keys.push_back("executable_path");  // the attach process's interpreter
      break;
    case LocationKind::kCodeServer:
      return {"socket", "host", "port", "location_name"};
    case LocationKind::kCommand:
      keys = {"argv", "location_name", "working_directory"};
      break;
    case LocationKind::kAutoloadDefsModule:
      keys = {"module_name", "location_name", "working_directory", "executable_path"};
      break;
    default:
      keys = {target_key(kind), "attribute", "location_name", "working_directory",
              "executable_path"};
      break;
  }
  keys.insert(keys.end(), kExtensionKeys.begin(), kExtensionKeys.end());
  return keys;
}

// Keys that would be plausible on this kind but are refused, with the reason.
std::map<std::string_view, std::string> rejected_keys(LocationKind kind) {
  std::map<std::string_view, std::string> rejected;
  if (kind == LocationKind::kCodeServer) {
    for (std::string_view key : kExtensionKeys) {
      rejected.emplace(key, "codeloc does not start this location's process");
    }
  } else if (kind == LocationKind::kGrpcServer) {
    // codeloc starts only a small attach process here; the server itself is someone else's.
    const std::string files =
        "there are no files to watch: the location reloads when the server's id changes";
    rejected.emplace("watch", files);
    rejected.emplace("ignore", files);
    rejected.emplace("warm", "the attach process is not forked from a warm interpreter");
  } else if (kind == LocationKind::kAutoloadDefsModule) {
    rejected.emplace("attribute",
                     "Dagster loads every definition in the module, it has no attribute");
  } else if (kind == LocationKind::kCommand) {
    rejected.emplace("executable_path", "put the program to run first in argv");
  }
  return rejected;
}

std::string kind_list() {
  std::string list;
  for (LocationKind kind : kKinds) {
    list += (list.empty() ? "" : ", ") + std::string(kind_name(kind));
  }
  return list;
}

}  // namespace

const std::vector<std::string_view>& entry_kind_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (LocationKind kind : kKinds)
      out.emplace_back(kind_name(kind));
    return out;
  }();
  return names;
}

EntryParser::EntryParser(const std::string& file, const std::filesystem::path& folder,
                         const EnvLookup& env, Diagnostics* out)
    : file_(file), folder_(folder), env_(env), out_(out) {}

std::optional<LocationSpec> EntryParser::parse(const YAML::Node& entry) {
  SourcePos entry_pos = to_pos(file_, entry.Mark());
  if (!entry.IsMap() || entry.size() == 0) {
    std::string got = entry.IsMap() ? "an empty map" : describe(entry);
    out_->push_back({entry_pos, "load_from entry: expected a map with one location type (" +
                                    kind_list() + "), got " + got});
    return std::nullopt;
  }
  std::vector<std::pair<YAML::Node, YAML::Node>> kinds;
  std::vector<YAML::Node> others;
  for (auto it = entry.begin(); it != entry.end(); ++it) {
    if (it->first.IsScalar() && kind_from_name(it->first.Scalar())) {
      kinds.emplace_back(it->first, it->second);
    } else {
      others.push_back(it->first);
    }
  }
  if (kinds.empty()) {
    std::string key = others.front().IsScalar() ? others.front().Scalar() : "?";
    std::string hint = did_you_mean(key, entry_kind_names());
    out_->push_back({to_pos(file_, others.front().Mark()),
                     hint.empty() ? "load_from entry has no location type: expected one of " +
                                        kind_list() + ", got '" + key + "'"
                                  : "unknown location type '" + key + "'" + hint});
    return std::nullopt;
  }
  if (kinds.size() > 1) {
    out_->push_back({to_pos(file_, kinds[1].first.Mark()),
                     "load_from entry has two location types, '" + kinds[0].first.Scalar() +
                         "' and '" + kinds[1].first.Scalar() + "': use one entry for each"});
    return std::nullopt;
  }
  LocationSpec spec;
  spec.kind = *kind_from_name(kinds[0].first.Scalar());
  spec.origin = to_pos(file_, kinds[0].first.Mark());
  name_pos_ = spec.origin;
  std::string kind = kind_name(spec.kind);
  auto allowed = allowed_keys(spec.kind);
  for (const YAML::Node& key : others) {
    std::string name = key.IsScalar() ? key.Scalar() : describe(key);
    bool belongs = std::find(allowed.begin(), allowed.end(), name) != allowed.end();
    out_->push_back(
        {to_pos(file_, key.Mark()),
         belongs ? "key '" + name + "' must be indented under '" + kind + "', beside its other keys"
                 : "unknown key '" + name + "' beside '" + kind +
                       "' (an entry holds exactly one location type)"});
  }
  const YAML::Node& body = kinds[0].second;
  switch (spec.kind) {
    case LocationKind::kGrpcServer:
      parse_grpc_server(body, &spec);
      break;
    case LocationKind::kCommand:
      parse_command(body, &spec);
      break;
    case LocationKind::kCodeServer:
      parse_code_server(body, &spec);
      break;
    default:
      parse_python(body, &spec);
      break;
  }
  if (spec.name.empty()) return std::nullopt;
  return spec;
}

void EntryParser::parse_python(const YAML::Node& body, LocationSpec* spec) {
  const std::string kind = kind_name(spec->kind);
  const bool is_file = spec->kind == LocationKind::kPythonFile;
  spec->working_directory = folder_;
  std::optional<std::string> target;
  if (body.IsScalar()) {
    // The bare form: "python_file: path.py", "python_module: name". Dagster takes a plain
    // string here (not {env: VAR}).
    target = body.Scalar();
    if (target->empty()) {
      out_->push_back({to_pos(file_, body.Mark()), "'" + kind + "' must not be empty"});
      return;
    }
  } else if (body.IsMap()) {
    FieldReader fields(body, kind, file_, env_, out_);
    fields.check_keys(allowed_keys(spec->kind), rejected_keys(spec->kind));
    std::string key(target_key(spec->kind));
    target = fields.string(key);
    if (!fields.has(key)) {
      fields.error_at(spec->origin, "missing required key '" + key + "' in " + kind);
    } else if (target && target->empty()) {
      fields.error(key, "must not be empty");
      target.reset();
    }
    // Dagster treats empty optional strings as absent.
    if (spec->kind != LocationKind::kAutoloadDefsModule) {
      auto attribute = fields.string("attribute");
      if (attribute && !attribute->empty()) spec->attribute = attribute;
    }
    auto directory = fields.string("working_directory");
    if (directory && !directory->empty()) spec->working_directory = resolve(*directory);
    auto executable = fields.string("executable_path");
    if (executable && !executable->empty()) {
      spec->executable_path = expand_executable(fields, *executable);
    }
    parse_location_name(fields, false, spec);
    parse_extension_fields(fields, folder_, spec);
  } else {
    std::string expected = is_file ? "a file path" : "a name";
    out_->push_back({body.IsNull() ? spec->origin : to_pos(file_, body.Mark()),
                     "'" + kind + "': expected " + expected + " or a map, got " + describe(body)});
    return;
  }
  if (!target) return;
  spec->target = is_file ? resolve(*target).string() : *target;
  if (spec->name.empty()) {
    // Dagster's default: the file's base name or the module/package name, then ":attribute".
    spec->name = is_file ? std::filesystem::path(*target).filename().string() : *target;
    if (spec->attribute) spec->name += ":" + *spec->attribute;
  }
}

void EntryParser::parse_grpc_server(const YAML::Node& body, LocationSpec* spec) {
  if (!body.IsMap() && !body.IsNull()) {
    out_->push_back(
        {to_pos(file_, body.Mark()),
         "'grpc_server': expected a map with a port or a socket, got " + describe(body)});
    return;
  }
  // "grpc_server:" with nothing reads as an empty map, as in Dagster; then port/socket is missing.
  FieldReader fields(body.IsNull() ? YAML::Node(YAML::NodeType::Map) : body, "grpc_server", file_,
                     env_, out_);
  fields.check_keys(allowed_keys(spec->kind), rejected_keys(spec->kind));
  bool endpoint_ok = parse_endpoint(fields, spec);
  spec->ssl = fields.boolean("ssl").value_or(false);
  if (spec->ssl) {
    fields.error("ssl",
                 "TLS is not supported yet: codeloc attaches to grpc_server locations "
                 "without it (remove 'ssl', or serve the code with a python_file or "
                 "python_module entry)");
  }
  if (auto metadata = fields.string_map("additional_metadata"))
    spec->additional_metadata = *metadata;
  auto executable = fields.string("executable_path");
  if (executable && !executable->empty()) {
    spec->executable_path = expand_executable(fields, *executable);
  }
  parse_location_name(fields, false, spec);
  parse_extension_fields(fields, folder_, spec);
  if (spec->name.empty() && endpoint_ok) {
    spec->name =
        "grpc:" + spec->host + ":" + (spec->socket ? *spec->socket : std::to_string(*spec->port));
  }
  // The attach process connects from the daemon's cwd: anchor the socket to the file (the
  // default name keeps it as written, as Dagster's does).
  if (spec->socket) spec->socket = resolve(*spec->socket).string();
}

void EntryParser::parse_code_server(const YAML::Node& body, LocationSpec* spec) {
  if (!body.IsMap()) {
    out_->push_back(
        {body.IsNull() ? spec->origin : to_pos(file_, body.Mark()),
         "'code_server': expected a map with a socket or a port, got " + describe(body)});
    return;
  }
  FieldReader fields(body, "code_server", file_, env_, out_);
  fields.check_keys(allowed_keys(spec->kind), rejected_keys(spec->kind));
  bool endpoint_ok = parse_endpoint(fields, spec);
  if (endpoint_ok && spec->socket && fields.has("host")) {
    fields.error("host", "only used with 'port' (a socket is a local path)");
    endpoint_ok = false;
  }
  parse_location_name(fields, false, spec);
  if (spec->name.empty() && endpoint_ok) {
    spec->name = "code_server:" + spec->host + ":" +
                 (spec->socket ? *spec->socket : std::to_string(*spec->port));
  }
  // codeloc connects to the socket itself, from its own cwd: anchor it to the file.
  if (spec->socket) spec->socket = resolve(*spec->socket).string();
}

void EntryParser::parse_command(const YAML::Node& body, LocationSpec* spec) {
  if (!body.IsMap()) {
    out_->push_back(
        {body.IsNull() ? spec->origin : to_pos(file_, body.Mark()),
         "'command': expected a map with argv and location_name, got " + describe(body)});
    return;
  }
  FieldReader fields(body, "command", file_, env_, out_);
  fields.check_keys(allowed_keys(spec->kind), rejected_keys(spec->kind));
  if (auto argv = fields.string_list("argv")) {
    if (argv->empty()) {
      fields.error("argv", "must not be empty: it names the program to run");
    } else if (argv->front().empty()) {
      fields.error("argv", "the program (item 1) must not be empty");
    } else {
      spec->argv = std::move(*argv);
    }
  } else if (!fields.has("argv")) {
    fields.error_at(spec->origin, "missing required key 'argv' in command");
  }
  spec->working_directory = folder_;
  auto directory = fields.string("working_directory");
  if (directory && !directory->empty()) spec->working_directory = resolve(*directory);
  parse_location_name(fields, true, spec);
  parse_extension_fields(fields, folder_, spec);
}

bool EntryParser::parse_endpoint(FieldReader& fields, LocationSpec* spec) {
  const std::string kind = kind_name(spec->kind);
  // Dagster treats an empty host or socket (and a port of 0) as absent.
  auto host = fields.string("host");
  spec->host = host && !host->empty() ? *host : "localhost";
  bool ok = true;
  if (auto port = fields.integer("port")) {
    if (*port < 1 || *port > 65535) {
      fields.error("port", "expected a port number from 1 to 65535, got " + std::to_string(*port));
      ok = false;
    } else {
      spec->port = static_cast<int>(*port);
    }
  } else if (fields.has("port")) {
    ok = false;
  }
  if (auto socket = fields.string("socket"); socket && !socket->empty()) {
    spec->socket = *socket;
  } else if (fields.has("socket") && !socket) {
    ok = false;
  }
  if (fields.has("port") && fields.has("socket")) {
    fields.error_at(fields.key_pos("socket"),
                    kind + " needs exactly one of 'port' and 'socket', got both");
    return false;
  }
  if (ok && !spec->port && !spec->socket) {
    fields.error_at(spec->origin, kind + " needs exactly one of 'port' and 'socket', got neither");
    return false;
  }
  return ok;
}

void EntryParser::parse_location_name(FieldReader& fields, bool required, LocationSpec* spec) {
  auto name = fields.string("location_name");
  if (name && !name->empty()) {
    spec->name = *name;
    name_pos_ = fields.value_pos("location_name");
  } else if (required && !fields.has("location_name")) {
    fields.error_at(spec->origin, "missing required key 'location_name' in " +
                                      std::string(kind_name(spec->kind)));
  } else if (required && name) {
    fields.error("location_name", "must not be empty");
  }
}

std::filesystem::path EntryParser::resolve(const std::string& path) const {
  return resolve_path(folder_, path);
}

std::optional<std::string> EntryParser::expand_executable(FieldReader& fields,
                                                          const std::string& path) {
  std::string expanded = path;
  if (path.starts_with("~")) {
    if (path != "~" && !path.starts_with("~/")) {
      fields.error("executable_path", "'~user' paths are not supported: write the full path");
      return std::nullopt;
    }
    auto home = env_("HOME");
    if (!home || home->empty()) {
      fields.error("executable_path", "cannot expand '~': HOME is not set");
      return std::nullopt;
    }
    expanded = *home + path.substr(1);
  }
  // A bare name ("python3.11") is looked up on PATH when the child starts; a path with a slash
  // is anchored to the workspace file, since the daemon's own cwd means nothing to the user.
  if (expanded.find('/') == std::string::npos) return expanded;
  return resolve(expanded).string();
}

}  // namespace codeloc::workspace
