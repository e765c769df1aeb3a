#pragma once
// What an evaluation writes and prints: the results directory of a run or of an evaluated model
// (results.csv, results.json with metadata, error_vs_n.svg, <task>_<format>.svg,
// stepwise_vs_direct.svg, summary.txt), the compact console table (n, bound (D + R_n)/n, idealized,
// measured with its interval, K) and the in-context-learning verdict on lookup (error at n = 8 at
// most half of that at n = 0).
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "induct/core/linkage.hpp"
#include "induct/experiment/report.hpp"

namespace induct::experiment {

struct run_config;
struct run_result;

/// The compact console table: per task, format and n the bound, the idealized error and the measured error.
INDUCT_DECLARE result_table compact_table(const result_table& table);

/// Error of `task` (direct) at n from an evaluation table; NaN if absent.
INDUCT_DECLARE double error_at(const result_table& table, const std::string& task, const std::string& format, int n,
                               const std::string& column = "model_error_rate");

/// Writes an evaluation table (evaluation_columns()) into `out`: results.csv, results.json (with
/// `metadata`), error_vs_n.svg, <task>_<format>.svg, stepwise_vs_direct.svg (if any task is
/// stepwise) and summary.txt (the compact table).
INDUCT_DECLARE void write_evaluation_outputs(const std::filesystem::path& out, const result_table& table,
                                             const nlohmann::json& metadata, const std::string& title);

/// Writes results.csv, results.json, the plots and summary.txt of a finished run into `out`.
INDUCT_DECLARE void write_run_outputs(const std::filesystem::path& out, const run_config& config, const run_result& result,
                                      const std::string& title);

/// The in-context-learning verdict on lookup (direct): its measured error at n = 0 against n = 8,
/// shown when n = 8 is at most half of n = 0; empty if the table lacks either.
INDUCT_DECLARE std::string icl_verdict(const result_table& table);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/evaluation_outputs_impl.hpp"
#endif
