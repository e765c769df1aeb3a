#pragma once
// Result tables: named columns, rows of typed cells, written as CSV (RFC 4180) and JSON, both
// atomically, and printed as an aligned text table for the terminal. Rows are added by position
// (add_row({...}), for short tables) or by column name (new_row(), row["error_rate"] = ..., add_row(row):
// an unknown or unset column is an error), as evaluate_model builds its rows.
//
// Doubles are written in their shortest round-trip form (std::to_chars), so a table read back
// from JSON equals the one written. JSON has no infinities: non-finite doubles become null in
// JSON and "inf", "-inf" or "nan" in CSV (which pandas and R read as such).
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"

namespace induct::experiment {

/// One table cell: missing (null), integer, real or text.
using table_cell = std::variant<std::monostate, long long, double, std::string>;

/// Text of a cell as written in CSV ("" for missing).
INDUCT_DECLARE std::string cell_text(const table_cell& cell);

/// JSON value of a cell (null for missing and non-finite reals).
INDUCT_DECLARE nlohmann::json cell_json(const table_cell& cell);

class result_table {
 public:
  result_table() = default;
  INDUCT_DECLARE explicit result_table(std::vector<std::string> columns);

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
  INDUCT_DECLARE [[nodiscard]] std::string to_csv() const;

  /// {"columns": [...], "rows": [{column: value, ...}, ...]}
  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json() const;

  /// Reads the form written by to_json; integers stay integers, null is missing (so a non-finite
  /// real written as null comes back missing: the one loss of the JSON form).
  INDUCT_DECLARE static result_table from_json(const nlohmann::json& j, const std::string& source = "<json>");

  /// Columns padded to their widest entry; reals with `digits` significant digits.
  INDUCT_DECLARE [[nodiscard]] std::string to_text(int digits = 3) const;

  /// A new table of `columns` (each one of this table's, in the order given) and every row.
  INDUCT_DECLARE [[nodiscard]] result_table select(const std::vector<std::string>& columns) const;

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
INDUCT_DECLARE void write_csv(const std::filesystem::path& path, const result_table& table);

/// Writes {"metadata": ..., "columns": ..., "rows": ...} atomically (metadata omitted when null).
INDUCT_DECLARE void write_json(const std::filesystem::path& path, const result_table& table,
                              const nlohmann::json& metadata = nullptr);

/// Reads a table written by write_json; errors name the file.
INDUCT_DECLARE result_table read_json_table(const std::filesystem::path& path);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/report_impl.hpp"
#endif
