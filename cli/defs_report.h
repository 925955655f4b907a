// `codeloc defs NAME` as people read it: a summary of a location.definitions result (the
// snapshot's fields are in docs/snapshot.md). Tolerates snapshots from other code servers:
// a missing list is an empty one, a missing field shows as "-".
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cli/status_report.h"

namespace codeloc::cli {

// The header (location, short version, dagster and python versions; a STALE line when
// result.stale), the counts, then sections: assets by group (key, deps, kinds), asset checks,
// jobs, schedules (cron, timezone, job, status), sensors, resources. Empty sections are left out.
// `result` is the location.definitions result with its `definitions` decoded.
std::string render_definitions(const nlohmann::json& result, TableStyle style);

// "14 assets, 1 asset check, 2 jobs, 0 schedules, 1 sensor, 1 resource".
std::string render_definition_counts(const nlohmann::json& snapshot);

// An asset key (list of path parts) as Dagster writes it: "warehouse/orders".
std::string asset_key_text(const nlohmann::json& key);

}  // namespace codeloc::cli
