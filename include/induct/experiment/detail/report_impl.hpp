#pragma once
// Definitions for experiment/report.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/experiment/report.hpp"

namespace induct::experiment {

namespace report_detail {
INDUCT_DETAIL std::string shortest(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, result.ptr);
}
}  // namespace report_detail

INDUCT_DEFINE std::string cell_text(const table_cell& cell) {
  if (std::holds_alternative<long long>(cell)) return std::to_string(std::get<long long>(cell));
  if (std::holds_alternative<double>(cell)) return report_detail::shortest(std::get<double>(cell));
  if (std::holds_alternative<std::string>(cell)) return std::get<std::string>(cell);
  return {};
}

INDUCT_DEFINE nlohmann::json cell_json(const table_cell& cell) {
  if (std::holds_alternative<long long>(cell)) return std::get<long long>(cell);
  if (std::holds_alternative<double>(cell)) {
    const double v = std::get<double>(cell);
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  }
  if (std::holds_alternative<std::string>(cell)) return std::get<std::string>(cell);
  return nullptr;
}

INDUCT_DEFINE result_table::result_table(std::vector<std::string> columns) : columns_(std::move(columns)) {
  for (std::size_t i = 0; i < columns_.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (columns_[i] == columns_[j]) throw error("result table: column '" + columns_[i] + "' given twice");
}

INDUCT_DEFINE std::string result_table::to_csv() const {
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

INDUCT_DEFINE result_table result_table::select(const std::vector<std::string>& columns) const {
  result_table selected(columns);
  for (std::size_t r = 0; r < row_count(); ++r) {
    std::vector<table_cell> row;
    for (const auto& c : columns) row.push_back(at(r, c));
    selected.add_row(std::move(row));
  }
  return selected;
}

INDUCT_DEFINE nlohmann::json result_table::to_json() const {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : rows_) {
    nlohmann::json object = nlohmann::json::object();
    for (std::size_t i = 0; i < row.size(); ++i) object[columns_[i]] = cell_json(row[i]);
    rows.push_back(std::move(object));
  }
  return {{"columns", columns_}, {"rows", std::move(rows)}};
}

INDUCT_DEFINE result_table result_table::from_json(const nlohmann::json& j, const std::string& source) {
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

INDUCT_DEFINE std::string result_table::to_text(int digits) const {
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

INDUCT_DEFINE void write_csv(const std::filesystem::path& path, const result_table& table) {
  write_text_atomically(path, table.to_csv());
}

INDUCT_DEFINE void write_json(const std::filesystem::path& path, const result_table& table,
                             const nlohmann::json& metadata) {
  nlohmann::json j = table.to_json();
  if (!metadata.is_null()) j["metadata"] = metadata;
  write_text_atomically(path, j.dump(1) + "\n");
}

INDUCT_DEFINE result_table read_json_table(const std::filesystem::path& path) {
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
