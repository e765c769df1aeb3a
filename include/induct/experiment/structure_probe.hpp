#pragma once
// Probing a trained model for the prompt's compositional structure (SPEC section 4): linear probes
// (probe.hpp) on the residual stream after the embeddings and after every block, predicting
//   token_role     bos / bracket / input / answer / step / separator / query, at every token
//   item_index     0..n (the query item is n), at every token inside an item
//   first_function f_1 of the list's chain, at the query's ':' (where the model must apply phi)
//   depth          k of the chain (direct lists of depth 1..3), at the query's ':'
//   hidden_f1      the hidden intermediate value f_1(q) of a direct composite list, at the query's ':'
// Beside each probe's majority baseline, hidden_f1 has a q-only control (column q_only_control):
// f_1(q) varies with q, and q itself is in the residual stream, so a probe could read f_1(q) off q
// without the model computing anything. The control is the held-out accuracy of the best
// classifier that sees only q (control_accuracy); a probe above it finds more than q.
// Prompts: lookup, compose2 and compose3 in direct format and compose2 stepwise, each with n
// examples. The held-out split is by prompt, so no probe is tested on a prompt it was fitted on.
// Beside the probes: the model's ICL accuracy on the same direct prompts (argmax at the query).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "induct/core/linkage.hpp"
#include "induct/experiment/probe.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/svg_plot.hpp"

namespace induct::nn {
template <class Scalar>
class gpt;
}  // namespace induct::nn
namespace induct::setup {
class world;
}  // namespace induct::setup

namespace induct::experiment {

struct structure_probe_options {
  int prompts_per_task = 300;  // per task and format
  int examples = 6;            // n
  std::uint64_t prompt_seed = 4242;
  int max_token_rows = 12000;  // cap on rows of the per-token features (token role, item index)
  probe_options probe;
};

/// One probe target's rows: labels, the prompt of each row (split groups), and where to read features.
struct probe_dataset {
  std::string feature;
  std::string where;  // which positions
  int classes = 0;
  std::vector<int> labels;
  std::vector<int> groups;
  std::vector<std::pair<std::size_t, int>> positions;  // (prompt index, token position)
  std::vector<int> control;  // per row, the variable of the control classifier (empty: no control)
};

/// Held-out accuracy of the best classifier that sees only a discrete `control` variable per
/// example, on the probe's own split (split_probe_rows with the same groups and options): for each
/// control value c it predicts the training split's most frequent label among rows with c,
///   predict(c) = argmax_y #{j in train : control_j = c, label_j = y}   (lowest y on ties),
///   control accuracy = #{i in test : label_i = predict(control_i)} / |test|;
/// a value absent from the training split predicts the training majority label (the majority
/// baseline's guess). Labels that are a function of the control variable give 1 whenever every
/// held-out value was seen in training.
INDUCT_DECLARE double control_accuracy(std::span<const int> labels, std::span<const int> control,
                                       std::span<const int> groups = {}, const probe_options& options = {});

struct structure_probe_result {
  result_table table;           // feature, where, layer, classes, train/test sizes, accuracies, baseline
  double icl_accuracy = 0;      // the model's accuracy on the direct prompts' queries
  std::size_t icl_prompts = 0;
};

template <class Scalar>
structure_probe_result probe_structure(nn::gpt<Scalar>& model, const setup::world& world,
                                       const structure_probe_options& options = {});
// Compiled mode (INDUCT_COMPILED_LIB): defined for Scalar = float only, in src/experiment_reports.cpp.
INDUCT_EXTERN_TEMPLATE(structure_probe_result probe_structure<float>(nn::gpt<float>&, const setup::world&,
                                                                     const structure_probe_options&))

/// Probe accuracy by layer: one solid line per feature, its majority baseline dashed in the same colour,
/// and where the table has one, its q-only control dashed with markers in the same colour.
INDUCT_DECLARE line_chart probe_chart(const result_table& table, const std::string& title);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/structure_probe_impl.hpp"
#endif
