#include "daemon/supervision/reload_report.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "ipc/json_span.h"

namespace codeloc::daemon {
namespace {

using nlohmann::json;

int count_of(const json& summary, const char* key) {
  if (!summary.is_object()) return 0;
  auto it = summary.find(key);
  return it != summary.end() && it->is_number_integer() ? it->get<int>() : 0;
}

// The asset keys of a snapshot, each as "a/b". Decodes only the `assets` member.
std::optional<std::set<std::string>> asset_keys(const Snapshot& snapshot) {
  if (snapshot.bytes.size() > kMaxComparedSnapshotBytes) return std::nullopt;
  auto span = ipc::member_span(snapshot.bytes, "assets");
  if (!span) return std::set<std::string>{};
  json assets = json::parse(*span, nullptr, false);
  if (!assets.is_array()) return std::nullopt;
  std::set<std::string> keys;
  for (const json& asset : assets) {
    const json* key = asset.is_object() && asset.contains("key") ? &asset["key"] : nullptr;
    if (!key || !key->is_array()) continue;
    std::string text;
    for (const json& part : *key) {
      if (!part.is_string()) continue;
      if (!text.empty()) text += '/';
      text += part.get<std::string>();
    }
    keys.insert(std::move(text));
  }
  return keys;
}

std::string plural(int n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "1.84 s", or "85 ms" under a tenth of a second.
std::string seconds(std::chrono::milliseconds duration) {
  if (duration < std::chrono::milliseconds(100)) return std::to_string(duration.count()) + " ms";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", static_cast<double>(duration.count()) / 1000.0);
  return text;
}

}  // namespace

DefinitionsCounts counts_of(const Snapshot& snapshot) {
  const json& s = snapshot.summary;
  return {count_of(s, "assets"),    count_of(s, "asset_checks"), count_of(s, "jobs"),
          count_of(s, "schedules"), count_of(s, "sensors"),      count_of(s, "resources")};
}

std::string describe_counts(const DefinitionsCounts& c, const std::string& asset_delta) {
  std::string text =
      plural(c.assets, "asset", "assets") + asset_delta + ", " + plural(c.jobs, "job", "jobs");
  if (c.schedules) text += ", " + plural(c.schedules, "schedule", "schedules");
  if (c.sensors) text += ", " + plural(c.sensors, "sensor", "sensors");
  return text;
}

DefinitionsChange compare_definitions(const Snapshot* before, const Snapshot& after) {
  DefinitionsChange change;
  change.counts = counts_of(after);
  auto new_keys = asset_keys(after);
  auto old_keys = before ? asset_keys(*before) : std::make_optional(std::set<std::string>{});
  if (!new_keys || !old_keys) return change;
  change.keys_compared = true;
  std::set_difference(new_keys->begin(), new_keys->end(), old_keys->begin(), old_keys->end(),
                      std::back_inserter(change.added_assets));
  std::set_difference(old_keys->begin(), old_keys->end(), new_keys->begin(), new_keys->end(),
                      std::back_inserter(change.removed_assets));
  return change;
}

std::string describe_reload(const std::string& location, const ReloadReport& report) {
  std::string mode = report.start_mode.empty() ? "" : " (" + report.start_mode + ")";
  if (report.outcome != LocationState::kLoaded || !report.change) {
    const char* how = report.outcome == LocationState::kLoadError ? "failed to load"
                      : report.outcome == LocationState::kStopping
                          ? "was cancelled (stop requested)"
                          : "crashed";
    return "reload of " + location + " " + how + " after " + seconds(report.duration) + mode;
  }
  const DefinitionsChange& change = *report.change;
  std::string delta;
  if (change.keys_compared) {
    delta = " (+" + std::to_string(change.added_assets.size()) + " -" +
            std::to_string(change.removed_assets.size()) + ")";
  }
  return "reloaded " + location + " in " + seconds(report.duration) + mode + ": " +
         describe_counts(change.counts, delta);
}

json reload_json(const std::string& location, const ReloadReport& report) {
  json out = {{"name", location},
              {"outcome", state_name(report.outcome)},
              {"duration_ms", report.duration.count()},
              {"cause", report.cause},
              {"start_mode", report.start_mode.empty() ? json() : json(report.start_mode)},
              {"error", report.error.empty() ? json() : json(report.error)}};
  if (report.change) {
    const DefinitionsChange& change = *report.change;
    const DefinitionsCounts& c = change.counts;
    out["counts"] = {{"assets", c.assets},   {"asset_checks", c.asset_checks},
                     {"jobs", c.jobs},       {"schedules", c.schedules},
                     {"sensors", c.sensors}, {"resources", c.resources}};
    if (change.keys_compared) {
      out["assets_added"] = change.added_assets;
      out["assets_removed"] = change.removed_assets;
    } else {
      out["assets_added"] = nullptr;
      out["assets_removed"] = nullptr;
    }
  } else {
    out["counts"] = nullptr;
    out["assets_added"] = nullptr;
    out["assets_removed"] = nullptr;
  }
  return out;
}

}  // namespace codeloc::daemon
