// A problem found in a workspace file, with where it is. Parsers collect these instead of
// throwing, so that one run reports every problem in a file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "workspace/location_spec.h"

namespace codeloc::workspace {

struct Diagnostic {
  SourcePos pos;
  std::string message;

  // "FILE:LINE:COL: message" ("FILE: message" when the position is unknown).
  std::string str() const;
  bool operator==(const Diagnostic&) const = default;
};

using Diagnostics = std::vector<Diagnostic>;

// The optimal-string-alignment distance between two strings, ignoring case: Levenshtein, with
// an adjacent transposition counted as one edit.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to word, or "" when none is near enough to be a plausible typo (at most
// a third of the word's length away, and at least one edit allowed).
std::string nearest(std::string_view word, const std::vector<std::string_view>& candidates);

// " (did you mean 'X'?)" for the nearest candidate, or "" when there is none.
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace codeloc::workspace
