#pragma once
// Result tables: named columns, rows of typed cells, written as CSV (RFC 4180) and JSON, both
// atomically, and printed as an aligned text table for the terminal. Rows are added by position
// (add_row({...}), for short tables) or by column name (new_row(), row["error_rate"] = ..., add_row(row):
// an unknown or unset column is an error), as evaluate_model builds its 27-column rows.
//
// Doubles are written in their shortest round-trip form (std::to_chars), so a table read back
// from JSON equals the one written. JSON has no infinities: non-finite doubles become null in
// JSON and "inf", "-inf" or "nan" in CSV (which pandas and R read as such).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"

namespace induct::experiment {

/// One table cell: missing (null), integer, real or text.
using table_cell = std::variant<std::monostate, long long, double, std::string>;

namespace report_detail {
inline std::string shortest(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, result.ptr);
}
}  // namespace report_detail

/// Text of a cell as written in CSV ("" for missing).
inline std::string cell_text(const table_cell& cell) {
  if (std::holds_alternative<long long>(cell)) return std::to_string(std::get<long long>(cell));
  if (std::holds_alternative<double>(cell)) return report_detail::shortest(std::get<double>(cell));
  if (std::holds_alternative<std::string>(cell)) return std::get<std::string>(cell);
  return {};
}

/// JSON value of a cell (null for missing and non-finite reals).
inline nlohmann::json cell_json(const table_cell& cell) {
  if (std::holds_alternative<long long>(cell)) return std::get<long long>(cell);
  if (std::holds_alternative<double>(cell)) {
    const double v = std::get<double>(cell);
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  }
  if (std::holds_alternative<std::string>(cell)) return std::get<std::string>(cell);
  return nullptr;
}

class result_table {
 public:
  result_table() = default;
  explicit result_table(std::vector<std::string> columns) : columns_(std::move(columns)) {
    for (std::size_t i = 0; i < columns_.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (columns_[i] == columns_[j]) throw error("result table: column '" + columns_[i] + "' given twice");
  }

  [[nodiscard]] const std::vector<std::string>& columns() const noexcept { return columns_; }
  [[nodiscard]] const std::vector<std::vector<table_cell>>& rows() const noexcept { return rows_; }
  [[nodiscard]] std::size_t row_count() const noexcept { return rows_.size(); }

  /// Appends a row; it must have one cell per column.
  void add_row(std::vector<table_cell> row) {
    if (row.size() != columns_.size())
      throw error("result table: row of " + std::to_string(row.size()) + " cells for " + std::to_string(columns_.size()) +
                  " columns");
    rows_.push_back(std::move(row));
  }

  class row_builder;
  /// A row to fill by column name (row["error_rate"] = 0.1), then add_row(row).
  [[nodiscard]] row_builder new_row() const;
  /// Appends a row built by name: error naming an unset column, or if `row` is another table's.
  void add_row(const row_builder& row);

  /// Index of a column; error naming it if absent.
  [[nodiscard]] std::size_t column_index(const std::string& name) const {
    for (std::size_t i = 0; i < columns_.size(); ++i)
      if (columns_[i] == name) return i;
    throw error("result table has no column '" + name + "'");
  }
  [[nodiscard]] bool has_column(const std::string& name) const {
    for (const auto& c : columns_)
      if (c == name) return true;
    return false;
  }
  [[nodiscard]] const table_cell& at(std::size_t row, const std::string& column) const {
    return rows_.at(row).at(column_index(column));
  }
  /// A numeric cell as double (integers converted; missing is NaN); error for text.
  [[nodiscard]] double number(std::size_t row, const std::string& column) const {
    const auto& cell = at(row, column);
    if (std::holds_alternative<double>(cell)) return std::get<double>(cell);
    if (std::holds_alternative<long long>(cell)) return static_cast<double>(std::get<long long>(cell));
    if (std::holds_alternative<std::monostate>(cell)) return std::nan("");
    throw error("result table: column '" + column + "' holds text, not a number");
  }
  [[nodiscard]] std::string text(std::size_t row, const std::string& column) const { return cell_text(at(row, column)); }

  /// RFC 4180: a header line, then one line per row; fields with , " or newlines are quoted.
  [[nodiscard]] std::string to_csv() const {
    std::string out;
    auto field = [&](const std::string& text) {
      if (text.find_first_of(",\"\n\r") == std::string::npos) {
        out += text;
        return;
      }
      out += '"';
      for (char c : text) {
        if (c == '"') out += '"';
        out += c;
      }
      out += '"';
    };
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (i) out += ',';
      field(columns_[i]);
    }
    out += '\n';
    for (const auto& row : rows_) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (i) out += ',';
        field(cell_text(row[i]));
      }
      out += '\n';
    }
    return out;
  }

  /// {"columns": [...], "rows": [{column: value, ...}, ...]}
  [[nodiscard]] nlohmann::json to_json() const {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& row : rows_) {
      nlohmann::json object = nlohmann::json::object();
      for (std::size_t i = 0; i < row.size(); ++i) object[columns_[i]] = cell_json(row[i]);
      rows.push_back(std::move(object));
    }
    return {{"columns", columns_}, {"rows", std::move(rows)}};
  }

  /// Reads the form written by to_json; integers stay integers, null is missing (so a non-finite
  /// real written as null comes back missing: the one loss of the JSON form).
  static result_table from_json(const nlohmann::json& j, const std::string& source = "<json>") {
    if (!j.is_object() || !j.contains("columns") || !j.contains("rows") || !j["columns"].is_array() || !j["rows"].is_array())
      throw parse_error(source, 1, 1, "a result table needs arrays \"columns\" and \"rows\"");
    std::vector<std::string> columns;
    for (const auto& c : j["columns"]) {
      if (!c.is_string()) throw parse_error(source, 1, 1, "column names must be strings");
      columns.push_back(c.get<std::string>());
    }
    result_table table(columns);
    for (std::size_t r = 0; r < j["rows"].size(); ++r) {
      const auto& object = j["rows"][r];
      if (!object.is_object()) throw parse_error(source, 1, 1, "row " + std::to_string(r) + " is not an object");
      std::vector<table_cell> row;
      for (const auto& c : columns) {
        if (!object.contains(c)) throw parse_error(source, 1, 1, "row " + std::to_string(r) + " lacks column '" + c + "'");
        const auto& v = object[c];
        if (v.is_null()) row.emplace_back(std::monostate{});
        else if (v.is_number_integer()) row.emplace_back(v.get<long long>());
        else if (v.is_number()) row.emplace_back(v.get<double>());
        else if (v.is_string()) row.emplace_back(v.get<std::string>());
        else if (v.is_boolean()) row.emplace_back(static_cast<long long>(v.get<bool>()));
        else throw parse_error(source, 1, 1, "row " + std::to_string(r) + " column '" + c + "' is not a scalar");
      }
      table.add_row(std::move(row));
    }
    return table;
  }

  /// Columns padded to their widest entry; reals with `digits` significant digits.
  [[nodiscard]] std::string to_text(int digits = 3) const {
    std::vector<std::vector<std::string>> cells;
    cells.push_back(columns_);
    for (const auto& row : rows_) {
      std::vector<std::string> line;
      for (const auto& cell : row) {
        if (std::holds_alternative<double>(cell)) {
          const double v = std::get<double>(cell);
          char buffer[32];
          if (std::isfinite(v)) std::snprintf(buffer, sizeof buffer, "%.*g", digits, v);
          else std::snprintf(buffer, sizeof buffer, "%s", std::isnan(v) ? "-" : (v > 0 ? "inf" : "-inf"));
          line.emplace_back(buffer);
        } else if (std::holds_alternative<std::monostate>(cell)) {
          line.emplace_back("-");
        } else {
          line.push_back(cell_text(cell));
        }
      }
      cells.push_back(std::move(line));
    }
    std::vector<std::size_t> widths(columns_.size(), 0);
    for (const auto& line : cells)
      for (std::size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
    std::string out;
    for (std::size_t r = 0; r < cells.size(); ++r) {
      for (std::size_t i = 0; i < cells[r].size(); ++i) {
        if (i) out += "  ";
        out += std::string(widths[i] - cells[r][i].size(), ' ') + cells[r][i];
      }
      out += '\n';
      if (r == 0) {
        std::size_t total = 0;
        for (auto w : widths) total += w + 2;
        out += std::string(total > 2 ? total - 2 : 0, '-') + '\n';
      }
    }
    return out;
  }

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<table_cell>> rows_;
};

/// The cells of one row of a result_table, set by column name. operator[] refuses (error) a column
/// the table lacks; result_table::add_row refuses a row with a column left unset. Setting a cell to
/// table_cell{} (missing) counts as setting it.
class result_table::row_builder {
 public:
  explicit row_builder(const result_table& table)
      : table_(&table), cells_(table.columns().size()), set_(table.columns().size(), false) {}

  /// The cell of `column`; error naming the column if the table has none of that name.
  table_cell& operator[](const std::string& column) {
    const auto& columns = table_->columns();
    for (std::size_t i = 0; i < columns.size(); ++i)
      if (columns[i] == column) {
        set_[i] = true;
        return cells_[i];
      }
    throw error("result table: a row sets unknown column '" + column + "'");
  }

  /// The cells in column order; error naming the first column never set.
  [[nodiscard]] std::vector<table_cell> cells() const {
    for (std::size_t i = 0; i < set_.size(); ++i)
      if (!set_[i]) throw error("result table: a row leaves column '" + table_->columns()[i] + "' unset");
    return cells_;
  }

  [[nodiscard]] const result_table& table() const noexcept { return *table_; }

 private:
  const result_table* table_;
  std::vector<table_cell> cells_;
  std::vector<bool> set_;
};

inline result_table::row_builder result_table::new_row() const { return row_builder(*this); }

inline void result_table::add_row(const row_builder& row) {
  if (&row.table() != this) throw error("result table: a row built for another table");
  add_row(row.cells());
}

/// Writes table.to_csv() atomically.
inline void write_csv(const std::filesystem::path& path, const result_table& table) {
  write_text_atomically(path, table.to_csv());
}

/// Writes {"metadata": ..., "columns": ..., "rows": ...} atomically (metadata omitted when null).
inline void write_json(const std::filesystem::path& path, const result_table& table,
                       const nlohmann::json& metadata = nullptr) {
  nlohmann::json j = table.to_json();
  if (!metadata.is_null()) j["metadata"] = metadata;
  write_text_atomically(path, j.dump(1) + "\n");
}

/// Reads a table written by write_json; errors name the file.
inline result_table read_json_table(const std::filesystem::path& path) {
  const std::string text = read_text_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw file_error(path.string(), std::string("not valid JSON: ") + e.what());
  }
  return result_table::from_json(j, path.string());
}

}  // namespace induct::experiment
