#include "cli/text_table.h"

#include <algorithm>
#include <sstream>

namespace codeloc::cli {

TextTable::TextTable(std::vector<std::string> header, bool bold_header)
    : header_(std::move(header)), bold_header_(bold_header) {}

void TextTable::add_row(std::vector<std::string> row) {
  rows_.push_back(std::move(row));
}

std::string TextTable::render(const std::string& indent) const {
  std::vector<const std::vector<std::string>*> all;
  if (!header_.empty()) all.push_back(&header_);
  for (const auto& row : rows_)
    all.push_back(&row);
  std::size_t columns = 0;
  for (const auto* row : all)
    columns = std::max(columns, row->size());
  std::vector<std::size_t> widths(columns, 0);
  for (const auto* row : all) {
    for (std::size_t i = 0; i < row->size(); ++i)
      widths[i] = std::max(widths[i], (*row)[i].size());
  }
  std::ostringstream out;
  for (std::size_t r = 0; r < all.size(); ++r) {
    const auto& row = *all[r];
    std::string line;
    for (std::size_t i = 0; i < columns; ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      line += cell;
      if (i + 1 < columns) line += std::string(widths[i] - cell.size() + 2, ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    const bool bold = bold_header_ && r == 0 && !header_.empty();
    out << indent << (bold ? "\033[1m" + line + "\033[0m" : line) << "\n";
  }
  return out.str();
}

std::string join(const std::vector<std::string>& items, const std::string& separator,
                 const std::string& none) {
  if (items.empty()) return none;
  std::string text;
  for (std::size_t i = 0; i < items.size(); ++i)
    text += (i ? separator : "") + items[i];
  return text;
}

std::string json_cell(const nlohmann::json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

}  // namespace codeloc::cli
