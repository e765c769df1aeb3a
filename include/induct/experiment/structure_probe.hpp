#pragma once
// Probing a trained model for the prompt's compositional structure (SPEC section 4): linear probes
// (probe.hpp) on the residual stream after the embeddings and after every block, predicting
//   token_role      bos / bracket / input / answer / step / separator / query, at every token
//   item_index      0..n (the query item is n), at every token inside an item
//   first_function  f_1 of the list's chain, at the query's ':' (where the model must apply phi)
//   depth           k of the chain (direct lists of depth 1..3), at the query's ':'
//   composite_depth k - 2 of a direct composite list (compose2 = 0, compose3 = 1), at the query's ':':
//                   depth without the lookup-or-not split, on prompts balanced between the two
//   hidden_f1       the hidden intermediate value f_1(q) of a direct composite list, at the query's ':'
// Prompts: lookup, compose2 and compose3 in direct format and compose2 stepwise, each with n examples.
// The held-out split is by prompt, so no probe is tested on a prompt it was fitted on. A feature with
// fewer than 8 rows or a single label value (composite_depth in a world of max_depth 2) has no rows.
//
// Every probe is fitted once on the pooled training rows and reported on the pooled held-out rows
// (task = format = "all") and on the held-out rows of each task and format (a row per probe, layer and
// task-format). A subset row's majority_baseline is the pooled training majority label's share of the
// subset's held-out rows (the constant classifier restricted like the probe), so within one task a
// constant feature (depth) can score 1 against a baseline of 1.
//
// Controls, each reported beside test_accuracy on the same rows:
//   control_task_accuracy  Hewitt and Liang (2019): the same probe (features, split, classes, options)
//                          fitted on a control task, labels that are a random function of the row's
//                          input type v only:
//                            c(v) = labels[j_v],  j_v ~ uniform{0..rows-1} from random_engine::for_stream(
//                                                 control_seed, v),
//                          so c(v) is drawn from the feature's empirical label distribution (same label set
//                          and, over types, the same distribution) and is fixed by (control_seed, v). The type
//                          v is the token id at the probed position for token_role and item_index, and the
//                          query's input entity q for the query-':' probes (first_function, depth,
//                          composite_depth, hidden_f1), whose position is always the same ':' token.
//   selectivity            test_accuracy - control_task_accuracy: what the probe finds beyond what it can
//                          memorise per input type.
//   random_init_accuracy   the same probe on a randomly initialised model of the same shape (nn::gpt with the
//                          model's config, initialize(random_init_seed), no training): what the architecture
//                          and the embeddings give without learning. Training initialises from its seed
//                          (nn::trainer_config::seed, default 1), so with the same seed this is the model's
//                          own starting point: the same weights before training.
//   q_only_control         (hidden_f1 only) the best classifier that sees only q (control_accuracy below):
//                          f_1(q) varies with q, and q is in the residual stream, so a probe above it reads
//                          more than q.
// Beside the probes: the model's ICL accuracy on the same prompts, argmax at the query's ':' against the
// next token (phi(q) in direct format, f_1(q) in stepwise), per task-format (column icl_accuracy) and over
// the direct prompts (icl_accuracy in the result).
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
  std::uint64_t control_seed = 7;      // seeds the control tasks' label maps c(v)
  bool random_init_baseline = true;    // also probe a randomly initialised model of the same shape
  std::uint64_t random_init_seed = 1;  // its nn::gpt::initialize seed
  probe_options probe;

  /// Throws config_error naming the field: prompts_per_task >= 1, examples >= 1, max_token_rows >= 1.
  INDUCT_DECLARE void validate() const;
};

/// One probe target's rows: labels, the prompt of each row (split groups), and where to read features.
struct probe_dataset {
  std::string feature;
  std::string where;  // which positions
  int classes = 0;
  std::vector<int> labels;
  std::vector<int> groups;
  std::vector<std::pair<std::size_t, int>> positions;  // (prompt index, token position)
  std::vector<int> control;  // per row, the variable of the q-only classifier (empty: no q-only control)
  std::vector<int> types;    // per row, the input type v of the control task
  std::vector<int> subsets;  // per row, the index of its prompt's task-format
};

/// The control task's labels (header comment): row i gets c(types_i), c(v) = labels[j_v] with j_v uniform
/// in [0, rows) from random_engine::for_stream(seed, v). Types must be >= 0 and as many as the labels;
/// empty labels give an empty result.
INDUCT_DECLARE std::vector<int> control_task_labels(std::span<const int> labels, std::span<const int> types,
                                                    std::uint64_t seed);

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
/// The same classifier's prediction on each held-out row of `split` (in split.test_rows order).
INDUCT_DECLARE std::vector<int> control_predictions(std::span<const int> labels, std::span<const int> control,
                                                    const probe_split& split);

struct structure_probe_result {
  /// feature, where, task, format, layer, classes, train/test sizes, accuracies, majority_baseline,
  /// control_task_accuracy, selectivity, random_init_accuracy, q_only_control, icl_accuracy
  result_table table;
  double icl_accuracy = 0;      // the model's accuracy on the direct prompts' queries
  std::size_t icl_prompts = 0;
};

template <class Scalar>
structure_probe_result probe_structure(nn::gpt<Scalar>& model, const setup::world& world,
                                       const structure_probe_options& options = {});
// Compiled mode (INDUCT_COMPILED_LIB): defined for Scalar = float only, in src/experiment_reports.cpp.
INDUCT_EXTERN_TEMPLATE(structure_probe_result probe_structure<float>(nn::gpt<float>&, const setup::world&,
                                                                     const structure_probe_options&))

/// One causal test of the probes (activation patching at the query, Meng et al. 2022 style): for a direct
/// prompt A of chain phi_A and a prompt B of another chain phi_B with the same query q (and other examples),
/// phi_B(q) != phi_A(q), both with n examples, the residual stream x_l (after block l; 0 = embeddings) at
/// A's last position (the query's ':') is replaced by B's, and the model's argmax there is compared with
/// both answers; the control patch takes x_l from A', a prompt of chain phi_A with the same q and other
/// examples, and should keep phi_A(q). Per direct task (lookup, compose2, compose3 up to max_depth) and layer:
///   patched_to_b     #{argmax(A patched with B) = phi_B(q)} / pairs
///   patched_keeps_a  #{argmax(A patched with B) = phi_A(q)} / pairs
///   control_keeps_a  #{argmax(A patched with A') = phi_A(q)} / pairs
///   patched_argmax_is_b  #{argmax(A patched with B) = argmax(B)} / pairs (B's output, right or wrong)
///   control_argmax_is_a  #{argmax(A patched with A') = argmax(A)} / pairs
///   clean_a_accuracy, clean_b_accuracy: the unpatched argmax on A and B;
///   patched_to_b_when_correct: patched_to_b over the pairs the model answers right on both A and B
///   (both_correct of them; missing when none).
/// At layer 0 the patch is the identity (same token ':' at the same position), so patched_keeps_a =
/// control_keeps_a = clean_a_accuracy and control_argmax_is_a = 1; after the last block the position's
/// logits are B's, so patched_argmax_is_b = 1 and patched_to_b = clean_b_accuracy. Where between them the
/// answer moves is where phi(q) is assembled at ':'.
struct query_patching_options {
  int pairs_per_task = 100;
  int examples = 6;  // n
  std::uint64_t prompt_seed = 4343;

  /// Throws config_error naming the field: pairs_per_task >= 1, examples >= 1.
  INDUCT_DECLARE void validate() const;
};

struct query_patching_result {
  /// task, format, layer, pairs, clean_a_accuracy, clean_b_accuracy, patched_to_b, patched_keeps_a,
  /// control_keeps_a, patched_argmax_is_b, control_argmax_is_a, both_correct, patched_to_b_when_correct
  result_table table;
};

/// Runs the patching test above. A task whose chains all agree on every q (one function) has no pairs and
/// no rows. Error if a prompt exceeds the model's context.
template <class Scalar>
query_patching_result patch_query_residual(nn::gpt<Scalar>& model, const setup::world& world,
                                           const query_patching_options& options = {});
INDUCT_EXTERN_TEMPLATE(query_patching_result patch_query_residual<float>(nn::gpt<float>&, const setup::world&,
                                                                         const query_patching_options&))

/// Probe accuracy by layer on the pooled rows (task "all", or every row of a table without a task column):
/// one solid line per feature, its majority baseline dashed in the same colour, and where the table has
/// one, its q-only control dashed with markers in the same colour.
INDUCT_DECLARE line_chart probe_chart(const result_table& table, const std::string& title);

/// The controls by layer on the pooled rows: per feature, its selectivity (solid) and its gain over the
/// random-init model, test_accuracy - random_init_accuracy (dashed, same colour); y in [-1, 1]. A table
/// without the columns gives a chart without series.
INDUCT_DECLARE line_chart probe_controls_chart(const result_table& table, const std::string& title);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/structure_probe_impl.hpp"
#endif
