#include "workspace/workspace_diff.h"

namespace codeloc::workspace {

std::set<std::string> changed_fields(const LocationSpec& a, const LocationSpec& b) {
  std::set<std::string> fields;
  auto compare = [&](const char* name, const auto& x, const auto& y) {
    if (!(x == y)) fields.insert(name);
  };
  compare("kind", a.kind, b.kind);
  compare("target", a.target, b.target);
  compare("attribute", a.attribute, b.attribute);
  compare("working_directory", a.working_directory, b.working_directory);
  compare("executable_path", a.executable_path, b.executable_path);
  compare("argv", a.argv, b.argv);
  compare("host", a.host, b.host);
  compare("port", a.port, b.port);
  compare("socket", a.socket, b.socket);
  compare("ssl", a.ssl, b.ssl);
  compare("additional_metadata", a.additional_metadata, b.additional_metadata);
  compare("env", a.env, b.env);
  compare("inherit_env", a.inherit_env, b.inherit_env);
  compare("warm", a.warm, b.warm);
  compare("watch", a.watch, b.watch);
  compare("ignore", a.ignore, b.ignore);
  const RestartSpec& r = a.restart;
  const RestartSpec& s = b.restart;
  compare("restart", r.policy, s.policy);
  if (r.backoff_initial != s.backoff_initial || r.backoff_max != s.backoff_max ||
      r.backoff_reset_after != s.backoff_reset_after) {
    fields.insert("backoff");
  }
  compare("startup_timeout", r.startup_timeout, s.startup_timeout);
  compare("stop_timeout", r.stop_timeout, s.stop_timeout);
  compare("stop_signal", r.stop_signal, s.stop_signal);
  // A field added to LocationSpec must be compared above; this catches one that is not.
  LocationSpec a_copy = a;
  a_copy.origin = b.origin;
  if (fields.empty() && !(a_copy == b)) fields.insert("other");
  return fields;
}

WorkspaceDiff diff(const Workspace& before, const Workspace& after) {
  WorkspaceDiff result;
  for (const LocationSpec& old_location : before.locations) {
    if (!after.find(old_location.name)) result.removed.push_back(old_location.name);
  }
  for (const LocationSpec& location : after.locations) {
    const LocationSpec* old_location = before.find(location.name);
    if (!old_location) {
      result.added.push_back(location.name);
      continue;
    }
    auto fields = changed_fields(*old_location, location);
    if (fields.empty()) {
      result.unchanged.push_back(location.name);
    } else {
      result.changed.push_back({location.name, std::move(fields)});
    }
  }
  return result;
}

}  // namespace codeloc::workspace
