#pragma once
// Training seeds (SPEC section 4: every measured figure from at least 3 seeds). One model per training
// seed is evaluated on the same prompts; combine_seed_tables joins the per-seed evaluation tables
// row by row, keyed by (task, format, examples):
//   theory and idealized columns (bound_*, ideal_*, D_bits, R_*, ...)  identical across seeds: copied
//                                                                        (error if they differ)
//   each model column c (model_*, K_bits, kl_*)                          c_mean, c_min, c_max over seeds
//   each model error rate r (model_*error_rate)                          also r_seeds (the per-seed values,
//                                                                        "0.02 0.03 0.01") and r_boot_low,
//                                                                        r_boot_high: the seeds-and-prompts
//                                                                        percentile bootstrap
//                                                                        (theory/statistics.hpp)
//   each seed's Clopper-Pearson interval (model_*ci_low/high)            c_seeds only
// plus "seeds" (how many) and "training_seeds" ("1 2 3"). Text columns (task, format, held_out_of) are
// copied. The bootstrap's errors are rate x prompts of each seed.
#include <cstdint>
#include <string>
#include <vector>

#include "induct/core/linkage.hpp"
#include "induct/experiment/report.hpp"

namespace induct::experiment {

/// Whether a column of an evaluation table depends on the trained model (and so varies with its seed).
inline bool is_model_column(const std::string& column) {
  return column.rfind("model_", 0) == 0 || column == "K_bits" || column.rfind("kl_", 0) == 0;
}

/// The across-seed table of `tables` (one evaluation table per entry of `seeds`, same rows in the same
/// order); error naming the row and column where two seeds disagree on a key or theory column.
INDUCT_DECLARE result_table combine_seed_tables(const std::vector<std::uint64_t>& seeds,
                                                const std::vector<result_table>& tables, double alpha = 0.05,
                                                int replicates = 2000);

/// The console form of an across-seed table: task, format, n, D + R_n (* vacuous), the idealized and the
/// model's cumulative mistakes (model: mean [min, max] over seeds), the query error (idealized; model mean,
/// the seeds-and-prompts bootstrap interval, and each seed's value).
INDUCT_DECLARE result_table compact_seed_table(const result_table& combined);

/// "1 2 3": seeds as written in tables and console lines.
INDUCT_DECLARE std::string seed_list_text(const std::vector<std::uint64_t>& seeds);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/seeds_impl.hpp"
#endif
