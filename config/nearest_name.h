// "Did you mean ...?" for misspelt setting names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workspace/diagnostic.h"

namespace codeloc::config {

// The candidate closest to word by edit distance (insertions, deletions, substitutions and
// transpositions, case-insensitive), when it is close enough to be a likely typo: at most a third
// of word's length, and at most max_distance. Ties go to the earlier candidate.
std::optional<std::string> nearest_name(std::string_view word,
                                        const std::vector<std::string_view>& candidates,
                                        std::size_t max_distance = 3);

// Optimal-string-alignment distance, ignoring case: the workspace parser's, so both kinds of
// file suggest names by the same rule.
using workspace::edit_distance;

}  // namespace codeloc::config
