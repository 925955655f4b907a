#include "workspace/extension_fields.h"

#include "workspace/paths.h"
#include "workspace/values.h"

namespace codeloc::workspace {
namespace {

void parse_backoff(FieldReader& entry, RestartSpec* restart) {
  YAML::Node node = entry.node("backoff");
  if (!node) return;
  if (!node.IsMap()) {
    entry.error("backoff",
                "expected a map with initial, max and reset_after, got " + describe(node));
    return;
  }
  FieldReader fields = entry.nested(node, "backoff");
  fields.check_keys({"initial", "max", "reset_after"});
  restart->backoff_initial = fields.duration("initial");
  restart->backoff_max = fields.duration("max");
  restart->backoff_reset_after = fields.duration("reset_after");
  if (restart->backoff_initial && restart->backoff_max &&
      *restart->backoff_initial > *restart->backoff_max) {
    fields.error("initial",
                 "must not be longer than max (" + format_duration(*restart->backoff_max) + ")");
  }
}

std::optional<std::chrono::milliseconds> positive_duration(FieldReader& fields,
                                                           std::string_view key) {
  auto value = fields.duration(key);
  if (value && value->count() == 0) {
    fields.error(key, "must be longer than 0");
    return std::nullopt;
  }
  return value;
}

}  // namespace

void parse_extension_fields(FieldReader& fields, const std::filesystem::path& folder,
                            LocationSpec* spec) {
  if (auto env = fields.string_map("env")) spec->env = std::move(*env);
  if (auto inherit = fields.boolean("inherit_env")) spec->inherit_env = *inherit;
  if (auto warm = fields.boolean("warm")) spec->warm = *warm;
  if (auto watch = fields.string_list("watch")) {
    for (const auto& path : *watch) {
      if (path.empty()) {
        fields.error("watch", "paths must not be empty");
        continue;
      }
      spec->watch.push_back(resolve_path(folder, path).string());
    }
  }
  if (auto ignore = fields.string_list("ignore")) {
    for (auto& glob : *ignore) {
      if (glob.empty()) {
        fields.error("ignore", "globs must not be empty");
        continue;
      }
      spec->ignore.push_back(std::move(glob));
    }
  }
  if (auto policy = fields.string("restart")) {
    std::string problem;
    spec->restart.policy = parse_restart_policy(*policy, &problem);
    if (!spec->restart.policy) fields.error("restart", problem);
  }
  parse_backoff(fields, &spec->restart);
  spec->restart.startup_timeout = positive_duration(fields, "startup_timeout");
  spec->restart.stop_timeout = positive_duration(fields, "stop_timeout");
  spec->restart.stop_signal = fields.signal("stop_signal");
}

}  // namespace codeloc::workspace
