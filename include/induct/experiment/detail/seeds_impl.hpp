#pragma once
// Definitions for experiment/seeds.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/seeds.hpp"
#include "induct/theory/statistics.hpp"

namespace induct::experiment {

namespace seeds_detail {
INDUCT_DETAIL bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}
INDUCT_DETAIL bool is_interval_column(const std::string& column) {
  return ends_with(column, "ci_low") || ends_with(column, "ci_high");
}
INDUCT_DETAIL bool is_error_rate_column(const std::string& column) {
  return is_model_column(column) && ends_with(column, "error_rate");
}
INDUCT_DETAIL bool same_cell(const table_cell& a, const table_cell& b) {
  if (a.index() != b.index()) return false;
  if (std::holds_alternative<double>(a)) {
    const double x = std::get<double>(a), y = std::get<double>(b);
    return (std::isnan(x) && std::isnan(y)) || x == y;
  }
  return a == b;
}
}  // namespace seeds_detail

INDUCT_DEFINE std::string seed_list_text(const std::vector<std::uint64_t>& seeds) {
  std::string text;
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    if (i) text += ' ';  // appends: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string
    text += std::to_string(seeds[i]);
  }
  return text;
}

INDUCT_DEFINE result_table combine_seed_tables(const std::vector<std::uint64_t>& seeds,
                                               const std::vector<result_table>& tables, double alpha, int replicates) {
  using namespace seeds_detail;
  if (tables.empty() || tables.size() != seeds.size())
    throw error("combine_seed_tables: " + std::to_string(tables.size()) + " tables for " + std::to_string(seeds.size()) +
                " seeds");
  const result_table& first = tables.front();
  for (std::size_t s = 1; s < tables.size(); ++s) {
    if (tables[s].columns() != first.columns())
      throw error("combine_seed_tables: the table of seed " + std::to_string(seeds[s]) + " has other columns than seed " +
                  std::to_string(seeds[0]) + "'s");
    if (tables[s].row_count() != first.row_count())
      throw error("combine_seed_tables: the table of seed " + std::to_string(seeds[s]) + " has " +
                  std::to_string(tables[s].row_count()) + " rows, seed " + std::to_string(seeds[0]) + "'s " +
                  std::to_string(first.row_count()));
  }
  std::vector<std::string> columns{"seeds", "training_seeds"};
  for (const auto& c : first.columns()) {
    if (is_interval_column(c)) {
      columns.push_back(c + "_seeds");
    } else if (is_model_column(c)) {
      for (const char* suffix : {"_mean", "_min", "_max"}) columns.push_back(c + suffix);
      if (is_error_rate_column(c))
        for (const char* suffix : {"_seeds", "_boot_low", "_boot_high"}) columns.push_back(c + suffix);
    } else {
      columns.push_back(c);
    }
  }
  result_table combined(columns);
  const bool has_prompts = first.has_column("prompts");
  for (std::size_t r = 0; r < first.row_count(); ++r) {
    auto row = combined.new_row();
    row["seeds"] = static_cast<long long>(seeds.size());
    row["training_seeds"] = seed_list_text(seeds);
    for (const auto& c : first.columns()) {
      if (!is_model_column(c)) {
        const table_cell& cell = first.at(r, c);
        for (std::size_t s = 1; s < tables.size(); ++s)
          if (!same_cell(tables[s].at(r, c), cell))
            throw error("combine_seed_tables: row " + std::to_string(r) + " column '" + c + "' is " + cell_text(cell) +
                        " for seed " + std::to_string(seeds[0]) + " but " + cell_text(tables[s].at(r, c)) + " for seed " +
                        std::to_string(seeds[s]) + " (not the same prompts?)");
        row[c] = cell;
        continue;
      }
      std::string listed;
      std::vector<double> values;
      for (std::size_t s = 0; s < tables.size(); ++s) {
        if (s) listed += ' ';
        listed += cell_text(tables[s].at(r, c));
        values.push_back(tables[s].number(r, c));
      }
      if (is_interval_column(c)) {
        row[c + "_seeds"] = listed;
        continue;
      }
      const bool all_finite = std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
      double sum = 0;
      for (double v : values) sum += v;
      row[c + "_mean"] = table_cell{};
      row[c + "_min"] = table_cell{};
      row[c + "_max"] = table_cell{};
      if (all_finite) {
        row[c + "_mean"] = sum / static_cast<double>(values.size());
        row[c + "_min"] = *std::min_element(values.begin(), values.end());
        row[c + "_max"] = *std::max_element(values.begin(), values.end());
      }
      if (is_error_rate_column(c)) {
        row[c + "_seeds"] = listed;
        if (all_finite && has_prompts) {
          std::vector<std::uint64_t> errors, prompts;
          for (std::size_t s = 0; s < tables.size(); ++s) {
            const double n = tables[s].number(r, "prompts");
            prompts.push_back(static_cast<std::uint64_t>(n));
            errors.push_back(static_cast<std::uint64_t>(std::llround(values[s] * n)));
          }
          const auto interval = theory::seed_bootstrap_interval(errors, prompts, alpha, replicates, 1 + r);
          row[c + "_boot_low"] = interval.low;
          row[c + "_boot_high"] = interval.high;
        } else {
          row[c + "_boot_low"] = table_cell{};
          row[c + "_boot_high"] = table_cell{};
        }
      }
    }
    combined.add_row(row);
  }
  return combined;
}

INDUCT_DEFINE result_table compact_seed_table(const result_table& combined) {
  result_table compact({"task", "format", "n", "D+R_n", "mistakes ideal", "mistakes model [range]", "query err ideal",
                        "query err model", "[95% seeds x prompts]", "per seed"});
  const auto number = [](double v, const char* format) {
    if (!std::isfinite(v)) return std::string("-");
    char text[64];
    std::snprintf(text, sizeof text, format, v);
    return std::string(text);
  };
  const auto range = [&](std::size_t r, const std::string& low, const std::string& high, const char* format) {
    std::string text = "[";  // appends: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string
    text += number(combined.number(r, low), format);
    text += ", ";
    text += number(combined.number(r, high), format);
    text += ']';
    return text;
  };
  for (std::size_t r = 0; r < combined.row_count(); ++r) {
    std::string bound = number(combined.number(r, "bound_cum_bits"), "%.3g");
    if (combined.number(r, "bound_vacuous") != 0) bound += '*';
    std::string mistakes = number(combined.number(r, "model_mean_cum_mistakes_mean"), "%.3g");
    mistakes += ' ';
    mistakes += range(r, "model_mean_cum_mistakes_min", "model_mean_cum_mistakes_max", "%.3g");
    compact.add_row({combined.text(r, "task"), combined.text(r, "format"), combined.at(r, "examples"), bound,
                     number(combined.number(r, "ideal_mean_cum_mistakes"), "%.3g"), mistakes,
                     number(combined.number(r, "ideal_query_error_rate"), "%.3g"),
                     number(combined.number(r, "model_query_error_rate_mean"), "%.3g"),
                     range(r, "model_query_error_rate_boot_low", "model_query_error_rate_boot_high", "%.3f"),
                     combined.text(r, "model_query_error_rate_seeds")});
  }
  return compact;
}

}  // namespace induct::experiment
