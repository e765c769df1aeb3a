#pragma once
// What an evaluation writes and prints: the results directory of a run or of an evaluated model
// (results.csv, results.json with metadata, error_vs_n.svg, <task>_<format>.svg,
// stepwise_vs_direct.svg, summary.txt), the compact console table and the in-context-learning
// verdict on lookup (error at n = 8 at most half of that at n = 0).
//
// The compact table sets Theorem 1's bound beside what it bounds, and the query apart:
//   n | D+R_n (* vacuous: D + R_n >= n + 1) | cumulative answer bits, idealized / model |
//   cumulative mistakes, idealized / model | query error, idealized / model [model's 95% CI] | K
// with "cumulative" over the n + 1 answers of a prompt, teacher-forced, averaged over its prompts.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/linkage.hpp"
#include "induct/experiment/report.hpp"

namespace induct::experiment {

struct run_config;
struct run_result;

/// The compact console table of an evaluation table (evaluation_columns()): per task, format and n
/// the columns of the header comment, the pairs as text cells; at most 110 characters wide as text.
INDUCT_DECLARE result_table compact_table(const result_table& table);

/// compact_table(table).to_text(3) followed by its legend (what the columns are, and the vacuous
/// mark's footnote when a row has it): what the demo and `induct evaluate` print and summary.txt holds.
INDUCT_DECLARE std::string compact_summary(const result_table& table);

/// A column (default: the model's query error) of `task` at n from an evaluation table; NaN if absent.
INDUCT_DECLARE double error_at(const result_table& table, const std::string& task, const std::string& format, int n,
                               const std::string& column = "model_query_error_rate");

/// Writes an evaluation table (evaluation_columns()) into `out`: results.csv, results.json (with
/// `metadata`), error_vs_n.svg, <task>_<format>.svg, stepwise_vs_direct.svg (if any task is
/// stepwise), summary.txt (compact_summary) and report.html (write_evaluation_report).
INDUCT_DECLARE void write_evaluation_outputs(const std::filesystem::path& out, const result_table& table,
                                             const nlohmann::json& metadata, const std::string& title);

/// Writes an across-seed table (combine_seed_tables) into `out`: results_across_seeds.csv,
/// results_across_seeds.json (with `metadata`), error_vs_n_across_seeds.svg (seed_error_figure) and
/// report.html (write_seed_report, linking each of `subfolders`' own report).
INDUCT_DECLARE void write_seed_outputs(const std::filesystem::path& out, const result_table& across_seeds,
                                       const nlohmann::json& metadata, const std::string& title,
                                       const std::vector<std::string>& subfolders = {});

/// What an evaluation table shows, in a few sentences computed from its numbers: ICL on lookup (the error at
/// n = 0 against the largest n), per composite task stepwise against direct at the largest n both
/// formats reached, held-out (novel) against seen compositions, and up to which n Theorem 1's bound is
/// vacuous. Each figure is the model's query error unless it says otherwise.
/// `column` names the model's error column: model_query_error_rate, or model_query_error_rate_mean in an
/// across-seed table (combine_seed_tables), where the findings are about the mean over seeds.
INDUCT_DECLARE std::string evaluation_findings(const result_table& table,
                                               const std::string& column = "model_query_error_rate");

/// Writes out/report.html (experiment/report_page.hpp) for an evaluation in `out`: `metadata`'s facts,
/// evaluation_findings, the compact table, every plot and raw file the folder holds.
INDUCT_DECLARE void write_evaluation_report(const std::filesystem::path& out, const result_table& table,
                                            const nlohmann::json& metadata, const std::string& title);

/// Writes out/report.html for an across-seed table (write_seed_outputs' folder): the seeds, the findings on
/// the mean over seeds, the across-seed compact table, the across-seed plots, and links to each seed's
/// own report (`subfolders`, e.g. seed-1, seed-2).
INDUCT_DECLARE void write_seed_report(const std::filesystem::path& out, const result_table& across_seeds,
                                      const nlohmann::json& metadata, const std::string& title,
                                      const std::vector<std::string>& subfolders);

/// The metadata a finished run's results.json holds: its config, training summary, parameters, skipped
/// (task, format, n) and the seconds of each phase.
INDUCT_DECLARE nlohmann::json run_metadata(const run_config& config, const run_result& result);

/// Writes results.csv, results.json, the plots, training_loss.svg and summary.txt of a finished run into `out`.
INDUCT_DECLARE void write_run_outputs(const std::filesystem::path& out, const run_config& config, const run_result& result,
                                      const std::string& title);

/// The in-context-learning verdict on lookup (direct): its measured error at n = 0 against n = 8,
/// shown when n = 8 is at most half of n = 0; empty if the table lacks either.
INDUCT_DECLARE std::string icl_verdict(const result_table& table);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/evaluation_outputs_impl.hpp"
#endif
