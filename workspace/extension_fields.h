// codeloc's per-entry extension keys (env, inherit_env, watch, ignore, restart, backoff,
// startup_timeout, stop_timeout, stop_signal), shared by every entry kind that starts a process.
#pragma once

#include <filesystem>

#include "workspace/field_reader.h"
#include "workspace/location_spec.h"

namespace codeloc::workspace {

// Reads the extension keys present in fields into spec; relative watch paths resolve against
// folder. Problems go to the reader's diagnostics; absent keys leave spec's defaults.
void parse_extension_fields(FieldReader& fields, const std::filesystem::path& folder,
                            LocationSpec* spec);

}  // namespace codeloc::workspace
