#pragma once
// Definitions for theory/scoring.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/json_number.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/theory/bounds.hpp"
#include "induct/theory/idealized_predictor.hpp"
#include "induct/theory/iteration_complexity.hpp"
#include "induct/theory/scoring.hpp"
#include "induct/theory/statistics.hpp"
#include "induct/theory/version_space.hpp"

namespace induct::theory {

INDUCT_DEFINE prompt_score prompt_scorer::score(const setup::prompt& p) {
  const auto& vocab = model_->world().vocab();
  const list_task task{p.format, p.chain};
  if (p.tokens.size() < 4 || p.tokens[0] != setup::vocabulary::document || p.tokens[1] != setup::vocabulary::open_list ||
      p.tokens.back() != setup::vocabulary::colon)
    throw error("score: a prompt must be `<d> [ ... q :`, got '" + vocab.decode(p.tokens) + "'");
  sequence_.assign(p.tokens.begin(), p.tokens.end());
  if (p.format == list_format::direct) {
    sequence_.push_back(vocab.entity(p.answer));
  } else {
    for (int z : p.steps) sequence_.push_back(vocab.entity(z));
  }
  prompt_score score;
  score.examples = p.examples;
  score.description_length_bits = model_->document().description_length_bits(task);
  state_.reset();
  long double iteration_bits = 0.0L, cumulative = 0.0L, query_loss = 0.0L;
  for (std::size_t i = 2; i < sequence_.size(); ++i) {
    const token_id t = sequence_[i];
    if (i == p.tokens.size() && p.format == list_format::stepwise) generate(p, score);
    if (is_task_answer_position(task, state_)) {
      const token_id best = state_.argmax(distribution_).first;
      const long double probability = distribution_[t];
      if (!(probability > 0.0L))
        throw error("score: answer token " + std::to_string(i) + " '" + vocab.name(t) + "' has probability 0");
      const long double loss = -std::log2(probability);
      const bool mistake = best != t;
      cumulative += loss;
      score.answer_token_mistakes += mistake;
      ++score.answer_tokens;
      if (i >= p.tokens.size()) {
        query_loss += loss;
        score.query_step_mistakes += mistake;
        if (p.format == list_format::direct) {
          score.query_correct = score.query_steps_correct = !mistake;
          score.generated.assign(1, vocab.entity_index(best).value_or(-1));
        }
      }
    } else {
      const long double own = task_token_probability(*model_, task, state_, t);
      if (!(own > 0.0L))
        throw error("score: token " + std::to_string(i) + " '" + vocab.name(t) + "' is not what the prompt's task emits");
      const long double ideal = state_.probability(t);
      if (!(ideal > 0.0L))
        throw error("score: token " + std::to_string(i) + " '" + vocab.name(t) + "' has probability 0 given the prompt");
      iteration_bits += std::log2(ideal) - std::log2(own);
    }
    state_.advance_checked(t);
  }
  // Greedy generation can also go wrong by not stopping after the k-th value; with n >= 1
  // examples no surviving task has another depth, so this happens only at n = 0.
  if (p.format == list_format::stepwise)
    score.query_stop_mistake = vocab.entity_index(state_.argmax(distribution_).first).has_value();
  score.cumulative_loss_bits = static_cast<double>(cumulative);
  score.query_loss_bits = static_cast<double>(query_loss);
  score.iteration_complexity_bits = static_cast<double>(iteration_bits);
  return score;
}

INDUCT_DEFINE void prompt_scorer::generate(const setup::prompt& p, prompt_score& score) {
  greedy_ = state_;
  score.generated.clear();
  const int limit = model_->max_depth() + 1;
  for (int step = 0; step < limit; ++step) {
    const token_id best = greedy_.argmax(distribution_).first;
    const auto value = model_->world().vocab().entity_index(best);
    if (!value) break;
    score.generated.push_back(*value);
    greedy_.advance_checked(best);  // the argmax has positive probability
  }
  score.query_correct = !score.generated.empty() && score.generated.back() == p.answer;
  score.query_steps_correct = score.generated == p.steps;
}

INDUCT_DEFINE nlohmann::json score_row::to_json() const {
  nlohmann::json row = {{"task", task},
                        {"format", setup::to_string(format)},
                        {"examples", examples},
                        {"possible", possible},
                        {"prompts", prompts},
                        {"D_bits", finite_or_null(description_length_bits)},
                        {"R_n_bits", finite_or_null(iteration_complexity_bound_bits)},
                        {"bound_cum_bits", finite_or_null(bound_cum_bits)},
                        {"bound_mistakes_per_example", finite_or_null(bound_mistakes_per_example)},
                        {"bound_vacuous", bound_vacuous}};
  if (possible) {
    row["errors"] = errors;
    row["query_error_rate"] = query_error_rate;
    row["query_ci_low"] = query_ci_low;
    row["query_ci_high"] = query_ci_high;
    row["query_step_error_rate"] = query_step_error_rate;
    row["mean_query_loss_bits"] = mean_query_loss_bits;
    row["mean_cum_loss_bits"] = mean_cum_loss_bits;
    row["mean_mistakes"] = mean_mistakes;
    row["mean_R_bits"] = mean_iteration_complexity_bits;
    row["mean_version_space_bits"] = mean_version_space_bits;
    row["mean_version_space_correction_bits"] = mean_version_space_correction_bits;
    row["bound_violations"] = bound_violations;
  }
  return row;
}

INDUCT_DEFINE score_row score_task(const idealized_list_model& model, const setup::task& task, int examples, int count,
                                   std::uint64_t seed) {
  if (count < 1) throw error("score: count must be >= 1, got " + std::to_string(count));
  score_row row;
  row.task = task.name();
  row.format = task.format();
  row.examples = examples;
  const auto bound = theorem1_bound(model.document(), task.format(), task.depth(), examples);
  row.description_length_bits = bound.description_length_bits;
  row.iteration_complexity_bound_bits = bound.iteration_complexity_bits;
  row.bound_cum_bits = bound.bound_cumulative_bits;
  row.bound_mistakes_per_example = bound.bound_mistakes_per_example;
  row.bound_vacuous = bound.vacuous;
  row.possible = bound.possible;
  if (!row.possible) return row;
  prompt_scorer scorer(model);
  const version_space_model spaces(model.world());
  long double log_loss = 0, cum_loss = 0, mistakes = 0, iteration = 0, version_space = 0, correction = 0;
  int step_errors = 0;
  for (int i = 0; i < count; ++i) {
    const setup::prompt p = setup::generate_prompt(model.world(), task, examples, seed, static_cast<std::uint64_t>(i));
    const prompt_score s = scorer.score(p);
    row.errors += !s.query_correct;
    step_errors += !s.query_steps_correct;
    log_loss += s.query_loss_bits;
    cum_loss += s.cumulative_loss_bits;
    mistakes += s.answer_token_mistakes;
    iteration += s.iteration_complexity_bits;
    const version_space_account account = spaces.account(p);
    version_space += account.version_space_bits;
    correction += account.correction_bits();
    row.max_iteration_complexity_bits = std::max(row.max_iteration_complexity_bits, s.iteration_complexity_bits);
    const double budget = s.description_length_bits + s.iteration_complexity_bits + 1e-9;
    if (s.cumulative_loss_bits > budget || s.answer_token_mistakes > budget) ++row.bound_violations;
  }
  row.prompts = count;
  row.query_error_rate = static_cast<double>(row.errors) / count;
  const auto interval = clopper_pearson(static_cast<std::uint64_t>(row.errors), static_cast<std::uint64_t>(count));
  row.query_ci_low = interval.low;
  row.query_ci_high = interval.high;
  row.query_step_error_rate = static_cast<double>(step_errors) / count;
  row.mean_query_loss_bits = static_cast<double>(log_loss / count);
  row.mean_cum_loss_bits = static_cast<double>(cum_loss / count);
  row.mean_mistakes = static_cast<double>(mistakes / count);
  row.mean_iteration_complexity_bits = static_cast<double>(iteration / count);
  row.mean_version_space_bits = static_cast<double>(version_space / count);
  row.mean_version_space_correction_bits = static_cast<double>(correction / count);
  return row;
}

}  // namespace induct::theory
