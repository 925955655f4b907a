// Aligned plain-text tables for the CLI's readable output: columns padded to their widest cell,
// two spaces between columns, no trailing spaces.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace codeloc::cli {

class TextTable {
 public:
  // `header` may be empty (a key/value list). With `bold_header` the header row is wrapped in
  // ANSI bold (only when colour is wanted).
  explicit TextTable(std::vector<std::string> header = {}, bool bold_header = false);

  // A row shorter than the widest row is padded with empty cells.
  void add_row(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }

  // Every line is prefixed by `indent` and ends with '\n'.
  std::string render(const std::string& indent = "") const;

 private:
  std::vector<std::string> header_;
  bool bold_header_;
  std::vector<std::vector<std::string>> rows_;
};

// A JSON value as a table cell: strings as they are, null as "-", anything else as JSON text.
std::string json_cell(const nlohmann::json& value);

// "a, b, c"; `none` when `items` is empty.
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ",
                 const std::string& none = "-");

}  // namespace codeloc::cli
