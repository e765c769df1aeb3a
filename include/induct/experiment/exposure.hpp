#pragma once
// What the training corpus showed of each evaluated task (issue 11: seen against held-out chains).
// add_training_exposure appends to an evaluation table (evaluation_columns()) the columns
//   held_out_of                    "both" | "direct" for novel tasks (the list formats the training corpus
//                                  kept their chains out of), "" for tasks over chains a corpus can use
//   corpus_direct_lists_per_chain  mean over the task's chains of their direct lists in the corpus
//   corpus_stepwise_lists_per_chain  the same for stepwise lists
//   corpus_facts_per_primitive     mean over the task's chains of the mean fact count of their functions
// The task's chains: a novel task's held-out chains, else every chain of its depth that is not held out
// (setup::task::by_name). The counts come from the corpus sidecar (setup::corpus_chain_exposure); without
// one they are missing. The reference for every row, held out or not, stays the population's idealized
// predictor: the held-out set changes what the corpus shows, not the theory's prediction.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/linkage.hpp"
#include "induct/experiment/report.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/setup/config.hpp"

namespace induct::experiment {

/// The columns add_training_exposure appends, in order.
inline const std::vector<std::string>& exposure_columns() {
  static const std::vector<std::string> columns = {"held_out_of", "corpus_direct_lists_per_chain",
                                                   "corpus_stepwise_lists_per_chain", "corpus_facts_per_primitive"};
  return columns;
}

/// `table` (with "task", "format" columns) with the exposure columns appended, for tasks of the world of
/// `setup`; `corpus_sidecar` (nullptr: counts missing) is the training corpus's sidecar.
INDUCT_DECLARE result_table add_training_exposure(const result_table& table, const setup::setup_config& setup,
                                                  const nlohmann::json* corpus_sidecar);

}  // namespace induct::experiment

namespace induct::experiment {

/// `table` with the training loss weights appended as "train_answer_loss_weight" and "train_input_loss_weight"
/// in every row (1 and 1: the plain next-token loss), so a row says how its model was trained.
INDUCT_DECLARE result_table add_loss_weights(const result_table& table, double answer_weight, double input_weight);

/// The loss weights (answer, input) a model was trained with: its checkpoint's "loss_weights" key (written
/// by `induct train`), else its run_config's "loss_weights" (run_experiment), else 1 and 1 (the plain loss).
/// file_error naming `source` (the model file) on a corrupt record.
INDUCT_DECLARE std::pair<double, double> recorded_loss_weights(const nn::checkpoint_info& info,
                                                               const nlohmann::json& run_config, const std::string& source);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/exposure_impl.hpp"
#endif
