#include "config/settings.h"

#include <algorithm>

namespace codeloc::config {
namespace {

// XDG variables count only when absolute (the XDG Base Directory spec: relative values are
// invalid and must be ignored).
std::optional<std::filesystem::path> absolute_variable(const Environment& environment,
                                                       const std::string& name) {
  auto it = environment.find(name);
  if (it == environment.end() || it->second.empty() || it->second.front() != '/') {
    return std::nullopt;
  }
  return std::filesystem::path(it->second);
}

std::filesystem::path private_tmp_dir(unsigned uid) {
  return std::filesystem::path("/tmp") / ("codeloc-" + std::to_string(uid));
}

}  // namespace

std::filesystem::path default_socket_path(const Environment& environment, unsigned uid) {
  if (uid == 0) return "/run/codeloc/codeloc.sock";
  if (auto runtime = absolute_variable(environment, "XDG_RUNTIME_DIR")) {
    return *runtime / "codeloc" / "codeloc.sock";
  }
  return private_tmp_dir(uid) / "codeloc.sock";
}

std::filesystem::path default_dev_socket_path(const Environment& environment, unsigned uid) {
  return default_socket_path(environment, uid).parent_path() / "dev.sock";
}

std::filesystem::path default_state_dir(const Environment& environment, unsigned uid) {
  if (uid == 0) return "/var/lib/codeloc";
  if (auto state = absolute_variable(environment, "XDG_STATE_HOME")) return *state / "codeloc";
  if (auto home = absolute_variable(environment, "HOME")) {
    return *home / ".local" / "state" / "codeloc";
  }
  return private_tmp_dir(uid) / "state";
}

Settings Settings::defaults(const Environment& environment, unsigned uid) {
  Settings settings;
  settings.socket = default_socket_path(environment, uid);
  settings.state_dir = default_state_dir(environment, uid);
  return settings;
}

RestartSettings Settings::restart_for(const workspace::RestartSpec& spec) const {
  RestartSettings out = restart_defaults;
  if (spec.policy) out.policy = *spec.policy;
  if (spec.backoff_initial) out.backoff_initial = *spec.backoff_initial;
  if (spec.backoff_max) out.backoff_max = *spec.backoff_max;
  if (spec.backoff_reset_after) out.backoff_reset_after = *spec.backoff_reset_after;
  if (spec.startup_timeout) out.startup_timeout = *spec.startup_timeout;
  if (spec.stop_timeout) out.stop_timeout = *spec.stop_timeout;
  if (spec.stop_signal) out.stop_signal = *spec.stop_signal;
  // An entry may raise backoff_initial above the daemon's backoff_max (or lower backoff_max
  // below the daemon's backoff_initial); the cap wins, so the first delay is never the largest.
  out.backoff_initial = std::min(out.backoff_initial, out.backoff_max);
  return out;
}

}  // namespace codeloc::config
