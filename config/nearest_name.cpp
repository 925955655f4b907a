#include "config/nearest_name.h"

#include <algorithm>
#include <cctype>

namespace codeloc::config {

std::optional<std::string> nearest_name(std::string_view word,
                                        const std::vector<std::string_view>& candidates,
                                        std::size_t max_distance) {
  std::size_t limit = std::min(max_distance, std::max<std::size_t>(1, word.size() / 3));
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (std::string_view candidate : candidates) {
    std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  return best;
}

}  // namespace codeloc::config
