#pragma once
// Definitions for theory/iteration_complexity.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/theory/idealized_predictor.hpp"
#include "induct/theory/iteration_complexity.hpp"

namespace induct::theory {

INDUCT_DEFINE double iteration_complexity_bound_bits(const setup::document_model& model, list_format format, int examples) {
  if (examples < 0) throw error("iteration_complexity_bound_bits: examples must be >= 0, got " + std::to_string(examples));
  long double bits = 0.0L;
  const auto& own = model.list_length_law(format);
  for (int i = 1; i <= examples; ++i) {
    const long double mine = own.continue_probability(i);
    if (!(mine > 0.0L)) return std::numeric_limits<double>::infinity();
    long double best = mine;
    for (auto other : {list_format::direct, list_format::stepwise})
      if (model.format_probability(other) > 0.0)
        best = std::max(best, static_cast<long double>(model.list_length_law(other).continue_probability(i)));
    bits += std::log2(best) - std::log2(mine);
  }
  return static_cast<double>(bits);
}

INDUCT_DEFINE long double task_token_probability(const idealized_list_model& model, const list_task& task,
                                                 const idealized_predictor& state, token_id token) {
  const auto& vocab = model.world().vocab();
  switch (state.current_phase()) {
    case idealized_predictor::phase::expect_input:
      return vocab.entity_index(token) ? 1.0L / static_cast<long double>(model.entity_count()) : 0.0L;
    case idealized_predictor::phase::expect_colon:
      return token == setup::vocabulary::colon ? 1.0L : 0.0L;
    case idealized_predictor::phase::closed:
      return 0.0L;
    case idealized_predictor::phase::in_answer:
      break;
  }
  // The item's j-th value under tau, computed in place (no allocation: this runs per token).
  const std::size_t length = task.format == list_format::direct ? 1 : task.chain.size();
  const std::span<const int> chain(task.chain);
  auto value = [&](std::size_t j) {
    return model.world().apply(task.format == list_format::direct ? chain : chain.first(j + 1), state.current_input());
  };
  const auto& partial = state.current_answer();
  if (partial.size() > length) return 0.0L;
  for (std::size_t j = 0; j < partial.size(); ++j)
    if (partial[j] != value(j)) return 0.0L;
  if (partial.size() < length) return vocab.entity_index(token) == value(partial.size()) ? 1.0L : 0.0L;
  const long double more = model.continue_probability(task.format, state.completed_items() + 1);
  if (token == setup::vocabulary::semicolon) return more;
  if (token == setup::vocabulary::close_list) return 1.0L - more;
  return 0.0L;
}

INDUCT_DEFINE double iteration_complexity_bits(const idealized_list_model& model, const list_task& task,
                                               std::span<const token_id> sequence) {
  model.document().check_chain(task.chain);
  if (sequence.size() < 2 || sequence[0] != setup::vocabulary::document || sequence[1] != setup::vocabulary::open_list)
    throw error("iteration_complexity_bits: a list sequence must start with '<d> ['");
  idealized_predictor state(model);
  long double bits = 0.0L;
  for (std::size_t i = 2; i < sequence.size(); ++i) {
    const token_id t = sequence[i];
    const long double own = task_token_probability(model, task, state, t);
    if (!(own > 0.0L))
      throw error("iteration_complexity_bits: token " + std::to_string(i) + " '" + model.world().vocab().name(t) +
                  "' is not what the task " + setup::to_string(task.format) + " " + setup::chain_label(task.chain) + " emits");
    if (!is_task_answer_position(task, state)) bits += std::log2(state.probability(t)) - std::log2(own);
    state.advance(t);
  }
  return static_cast<double>(bits);
}

}  // namespace induct::theory
