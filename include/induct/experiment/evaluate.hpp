#pragma once
// Predicted against measured (SPEC section 4): a trained model and the idealized predictor on the
// same ICL prompts, joined with the bounds of Theorems 1 and 2.
//
// Per task, format and number of examples n, over the same prompts (setup::generate_prompts with
// one seed), with "answer tokens" the values of every item (direct: y_i; stepwise: z_i1..z_ik),
// the n examples' and the query's, all teacher-forced:
//   error rate         query answered wrongly: direct, argmax at the query's ':' differs from phi(q);
//                      stepwise, the last value greedily generated before ';' differs from phi(q)
//   step error rate    stepwise: the greedily generated values differ from (f_1(q), ..., phi(q))
//   log-loss           -log2 p(answer values of the query | prompt), bits
//   cumulative loss    sum over all answer tokens of the prompt and the query of -log2 p, bits
//   cumulative mistakes  answer tokens whose argmax is wrong (teacher-forced)
//   K                  model cumulative loss - idealized cumulative loss (mean over prompts), so the
//                      model's cumulative loss is D + R + K at most where the idealized one is D + R
//   KL per token       mean over answer tokens of KL(p_ideal || p_model), bits; the summed KL is the
//                      expectation of K over the answers
// The error rate has an exact Clopper-Pearson interval. Bounds: D, Rbar_n, D + Rbar_n and
// (D + Rbar_n)/n from theory::theorem1_bound, and the model's bound D + Rbar_n + K.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/experiment/report.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/setup/world.hpp"
#include "induct/theory/bounds.hpp"
#include "induct/theory/idealized_predictor.hpp"
#include "induct/theory/iteration_complexity.hpp"
#include "induct/theory/statistics.hpp"

namespace induct::experiment {

struct evaluation_options {
  std::vector<int> examples = {0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32};  // n values (those that fit the context)
  int prompts = 1000;                 // per task, format and n
  std::uint64_t prompt_seed = 2024;   // seeds generate_prompts (the same prompts for every model)
  int batch = 64;                     // prompts per forward pass
  double alpha = 0.05;                // 1 - confidence of the Clopper-Pearson interval
  /// Called after each batch: (prompts done, prompts in total).
  std::function<void(std::size_t, std::size_t)> progress;
};

/// Columns of the evaluation table, in order.
inline const std::vector<std::string>& evaluation_columns() {
  static const std::vector<std::string> columns = {
      "task", "format", "depth", "examples", "prompts",
      // Theory (theory::theorem1_bound).
      "D_bits", "R_n_bits", "bound_cum_bits", "bound_mistakes", "bound_error_rate",
      // The idealized predictor on these prompts.
      "ideal_error_rate", "ideal_step_error_rate", "ideal_mean_log_loss_bits", "ideal_mean_cum_loss_bits",
      "ideal_mean_cum_mistakes", "R_exact_mean_bits",
      // The trained model.
      "model_error_rate", "model_ci_low", "model_ci_high", "model_step_error_rate", "model_mean_log_loss_bits",
      "model_mean_cum_loss_bits", "model_mean_cum_mistakes", "K_bits", "model_bound_cum_bits", "kl_bits_per_token",
      "kl_cum_bits"};
  return columns;
}

namespace evaluate_detail {

/// Sums over the prompts of one (task, format, n) group.
struct group_sums {
  std::size_t prompts = 0;
  std::size_t answer_tokens = 0;
  std::size_t model_errors = 0, model_step_errors = 0, ideal_errors = 0, ideal_step_errors = 0;
  double model_log_loss = 0, model_cum_loss = 0, model_cum_mistakes = 0;
  double ideal_log_loss = 0, ideal_cum_loss = 0, ideal_cum_mistakes = 0, exact_r = 0;
  double kl_sum = 0;
};

/// Greedy continuation by the idealized predictor from `state` until ';' or ']' (at most `limit` tokens).
inline std::vector<setup::token_id> ideal_greedy(theory::idealized_predictor state, int limit,
                                                 std::vector<long double>& scratch) {
  std::vector<setup::token_id> out;
  for (int i = 0; i < limit; ++i) {
    const auto [token, p] = state.argmax(scratch);
    out.push_back(token);
    if (token == setup::vocabulary::semicolon || token == setup::vocabulary::close_list) break;
    state.advance(token);
  }
  return out;
}

/// The entity values of a generated item up to its end token: final value and all values.
struct generated_item {
  std::vector<int> values;
  bool ended = false;  // reached ';' or ']' right after entity values
};
inline generated_item read_item(const setup::vocabulary& vocab, const std::vector<setup::token_id>& tokens) {
  generated_item item;
  for (auto t : tokens) {
    if (auto e = vocab.entity_index(t)) {
      item.values.push_back(*e);
      continue;
    }
    item.ended = t == setup::vocabulary::semicolon || t == setup::vocabulary::close_list;
    break;
  }
  return item;
}

}  // namespace evaluate_detail

/// Greedy generation for a batch of equal-length prefixes (row-major [batch, time]): appends the
/// argmax token until every row has produced `stop` or `max_new` tokens; returns the new tokens
/// per row (through the stop token). Each step re-runs the batched forward pass.
template <class Scalar>
std::vector<std::vector<setup::token_id>> greedy_generate_batch(nn::gpt<Scalar>& model, std::vector<std::int32_t> tokens,
                                                                int batch, int time, int max_new, setup::token_id stop) {
  const int vocab = model.config().vocab_size;
  std::vector<std::vector<setup::token_id>> generated(static_cast<std::size_t>(batch));
  std::vector<char> done(static_cast<std::size_t>(batch), 0);
  for (int step = 0; step < max_new; ++step) {
    const int length = time + step;
    if (length > model.config().context_length) break;
    model.forward(tokens.data(), nullptr, batch, length);
    const Scalar* logits = model.logits();
    std::vector<std::int32_t> next((static_cast<std::size_t>(length) + 1) * static_cast<std::size_t>(batch));
    bool all_done = true;
    for (int b = 0; b < batch; ++b) {
      const Scalar* row = logits + (static_cast<std::size_t>(b) * length + (length - 1)) * vocab;
      const auto best = static_cast<setup::token_id>(std::max_element(row, row + vocab) - row);
      std::copy_n(tokens.begin() + static_cast<long>(b) * length, length, next.begin() + static_cast<long>(b) * (length + 1));
      next[static_cast<std::size_t>(b) * (length + 1) + length] = best;
      if (!done[static_cast<std::size_t>(b)]) {
        generated[static_cast<std::size_t>(b)].push_back(best);
        if (best == stop || best == setup::vocabulary::close_list) done[static_cast<std::size_t>(b)] = 1;
      }
      all_done = all_done && done[static_cast<std::size_t>(b)];
    }
    tokens.swap(next);
    if (all_done) break;
  }
  return generated;
}

/// Tokens a prompt needs in the context: the prompt plus the query's values (the last of which is
/// the input that predicts the closing ';' in greedy generation).
inline int evaluation_length(const setup::task& task, int examples) {
  const int values = task.format() == setup::list_format::direct ? 1 : task.depth();
  return 2 + examples * (values + 3) + 2 + values;
}

/// Evaluates `model` against the idealized predictor on `tasks` (each with its format). n values
/// whose prompt plus answer exceed the context are left out (listed in `skipped`, if given).
template <class Scalar>
result_table evaluate_model(nn::gpt<Scalar>& model, const theory::idealized_list_model& ideal,
                            const std::vector<setup::task>& tasks, const evaluation_options& options = {},
                            std::vector<std::string>* skipped = nullptr) {
  const setup::world& world = ideal.world();
  const setup::vocabulary& vocab = world.vocab();
  const setup::document_model& document = ideal.document();
  const int vocab_size = model.config().vocab_size;
  if (static_cast<std::size_t>(vocab_size) < vocab.size())
    throw config_error("vocab_size", "the model's vocabulary of " + std::to_string(vocab_size) +
                                         " is smaller than the world's " + std::to_string(vocab.size()));
  if (options.prompts < 1) throw config_error("prompts", "must be >= 1");
  if (options.batch < 1) throw config_error("batch", "must be >= 1");

  // Plan: the (task, n) groups that fit.
  struct group {
    std::size_t task;
    int examples;
  };
  std::vector<group> plan;
  for (std::size_t t = 0; t < tasks.size(); ++t)
    for (int n : options.examples) {
      if (n < 0) throw config_error("examples", "must be >= 0, got " + std::to_string(n));
      const bool fits = evaluation_length(tasks[t], n) <= model.config().context_length;
      const bool possible = theory::prompt_possible(document, tasks[t].format(), n);
      if (fits && possible) plan.push_back({t, n});
      else if (skipped)
        skipped->push_back(tasks[t].name() + " " + setup::to_string(tasks[t].format()) + " n=" + std::to_string(n) +
                           (fits ? " (impossible under the length law)" : " (longer than the context)"));
    }
  const std::size_t total = plan.size() * static_cast<std::size_t>(options.prompts);
  std::size_t done = 0;

  result_table table(evaluation_columns());
  std::vector<long double> ideal_distribution;
  std::vector<double> ideal_p(static_cast<std::size_t>(vocab_size)), model_p(static_cast<std::size_t>(vocab_size));
  for (const auto& g : plan) {
    const setup::task& task = tasks[g.task];
    const bool direct = task.format() == setup::list_format::direct;
    const auto prompts = setup::generate_prompts(world, task, g.examples, options.prompts, options.prompt_seed);
    evaluate_detail::group_sums sums;
    for (std::size_t first = 0; first < prompts.size(); first += static_cast<std::size_t>(options.batch)) {
      const int batch = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(options.batch), prompts.size() - first));
      // Teacher-forced sequences: prompt then the query's values, all but the last token as input.
      const auto prompt_length = static_cast<int>(prompts[first].tokens.size());
      const auto query_values = static_cast<int>(direct ? 1 : prompts[first].steps.size());
      const int length = prompt_length + query_values - 1;
      std::vector<std::vector<setup::token_id>> sequences(static_cast<std::size_t>(batch));
      std::vector<std::int32_t> inputs(static_cast<std::size_t>(batch) * length);
      for (int b = 0; b < batch; ++b) {
        const auto& p = prompts[first + static_cast<std::size_t>(b)];
        auto& s = sequences[static_cast<std::size_t>(b)];
        s = p.tokens;
        if (direct) s.push_back(vocab.entity(p.answer));
        else
          for (int v : p.steps) s.push_back(vocab.entity(v));
        if (static_cast<int>(s.size()) != length + 1) throw error("evaluate: prompts of one group differ in length");
        std::copy_n(s.begin(), length, inputs.begin() + static_cast<long>(b) * length);
      }
      model.forward(inputs.data(), nullptr, batch, length);
      const Scalar* logits = model.logits();
      for (int b = 0; b < batch; ++b) {
        const auto& p = prompts[first + static_cast<std::size_t>(b)];
        const auto& s = sequences[static_cast<std::size_t>(b)];
        theory::idealized_predictor state(ideal);
        double model_cum = 0, ideal_cum = 0, model_query = 0, ideal_query = 0;
        int model_mistakes = 0, ideal_mistakes = 0;
        for (int pos = 2; pos < length; ++pos) {  // predicting s[pos + 1] from the prefix s[0..pos]
          state.advance(s[static_cast<std::size_t>(pos)]);
          const int target_index = pos + 1;
          const bool in_query = target_index >= prompt_length;
          const bool is_value =
              in_query || p.annotation[static_cast<std::size_t>(target_index)].role == setup::token_role::answer ||
              p.annotation[static_cast<std::size_t>(target_index)].role == setup::token_role::step;
          if (!is_value) continue;
          const auto target = s[static_cast<std::size_t>(target_index)];
          // Model: log-softmax in double.
          const Scalar* row = logits + (static_cast<std::size_t>(b) * length + pos) * vocab_size;
          double peak = -std::numeric_limits<double>::infinity();
          for (int v = 0; v < vocab_size; ++v) peak = std::max(peak, static_cast<double>(row[v]));
          double total_exp = 0;
          for (int v = 0; v < vocab_size; ++v) total_exp += std::exp(static_cast<double>(row[v]) - peak);
          int model_best = 0;
          for (int v = 0; v < vocab_size; ++v) {
            model_p[static_cast<std::size_t>(v)] = std::exp(static_cast<double>(row[v]) - peak) / total_exp;
            if (row[v] > row[model_best]) model_best = v;
          }
          const double model_bits = -(static_cast<double>(row[target]) - peak - std::log(total_exp)) / std::log(2.0);
          // Idealized predictor.
          state.next_token_distribution(ideal_distribution);
          std::fill(ideal_p.begin(), ideal_p.end(), 0.0);
          std::size_t ideal_best = 0;
          for (std::size_t v = 0; v < ideal_distribution.size(); ++v) {
            ideal_p[v] = static_cast<double>(ideal_distribution[v]);
            if (ideal_distribution[v] > ideal_distribution[ideal_best]) ideal_best = v;
          }
          const double ideal_bits = -static_cast<double>(std::log2(ideal_distribution[target]));
          sums.kl_sum += theory::kl_divergence_bits(ideal_p, model_p);
          ++sums.answer_tokens;
          model_cum += model_bits;
          ideal_cum += ideal_bits;
          model_mistakes += model_best != target;
          ideal_mistakes += ideal_best != target;
          if (in_query) {
            model_query += model_bits;
            ideal_query += ideal_bits;
          }
        }
        // Greedy answers. The idealized predictor from the prompt's end (stepwise: generated).
        theory::idealized_predictor at_query(ideal);
        at_query.start(p.tokens);
        const auto ideal_item = evaluate_detail::read_item(
            vocab, evaluate_detail::ideal_greedy(at_query, direct ? 1 : ideal.max_depth() + 1, ideal_distribution));
        const bool ideal_final_ok = !ideal_item.values.empty() && ideal_item.values.back() == p.answer &&
                                    (direct || ideal_item.ended);
        sums.ideal_errors += !ideal_final_ok;
        sums.ideal_step_errors += !(ideal_item.values == p.steps && ideal_item.ended);
        if (direct) {
          const Scalar* row = logits + (static_cast<std::size_t>(b) * length + (prompt_length - 1)) * vocab_size;
          const auto best = static_cast<setup::token_id>(std::max_element(row, row + vocab_size) - row);
          sums.model_errors += best != vocab.entity(p.answer);
        }
        sums.model_log_loss += model_query;
        sums.ideal_log_loss += ideal_query;
        sums.model_cum_loss += model_cum;
        sums.ideal_cum_loss += ideal_cum;
        sums.model_cum_mistakes += model_mistakes;
        sums.ideal_cum_mistakes += ideal_mistakes;
        sums.exact_r += theory::iteration_complexity_bits(ideal, setup::list_task{p.format, p.chain}, s);
      }
      if (!direct) {  // the model's greedy stepwise answers, batched
        std::vector<std::int32_t> prefix(static_cast<std::size_t>(batch) * prompt_length);
        for (int b = 0; b < batch; ++b) {
          const auto& t = prompts[first + static_cast<std::size_t>(b)].tokens;
          std::copy(t.begin(), t.end(), prefix.begin() + static_cast<long>(b) * prompt_length);
        }
        const auto generated = greedy_generate_batch(model, std::move(prefix), batch, prompt_length, ideal.max_depth() + 1,
                                                     setup::vocabulary::semicolon);
        for (int b = 0; b < batch; ++b) {
          const auto& p = prompts[first + static_cast<std::size_t>(b)];
          const auto item = evaluate_detail::read_item(vocab, generated[static_cast<std::size_t>(b)]);
          sums.model_errors += !(item.ended && !item.values.empty() && item.values.back() == p.answer);
          sums.model_step_errors += !(item.ended && item.values == p.steps);
        }
      }
      sums.prompts += static_cast<std::size_t>(batch);
      done += static_cast<std::size_t>(batch);
      if (options.progress) options.progress(done, total);
    }

    const auto bound = theory::theorem1_bound(document, task.format(), task.depth(), g.examples);
    const double count = static_cast<double>(sums.prompts);
    const auto interval = theory::clopper_pearson(sums.model_errors, sums.prompts, options.alpha);
    const double k_bits = (sums.model_cum_loss - sums.ideal_cum_loss) / count;
    const double missing = std::numeric_limits<double>::quiet_NaN();
    auto finite_or_missing = [](double v) { return std::isfinite(v) ? table_cell{v} : table_cell{}; };
    table.add_row({task.name(), std::string(setup::to_string(task.format())), static_cast<long long>(task.depth()),
                   static_cast<long long>(g.examples), static_cast<long long>(sums.prompts),
                   bound.description_length_bits, bound.iteration_complexity_bits, bound.bound_cumulative_bits,
                   bound.bound_mistakes, finite_or_missing(bound.bound_error_rate),
                   static_cast<double>(sums.ideal_errors) / count,
                   direct ? table_cell{} : table_cell{static_cast<double>(sums.ideal_step_errors) / count},
                   sums.ideal_log_loss / count, sums.ideal_cum_loss / count, sums.ideal_cum_mistakes / count,
                   sums.exact_r / count, interval.estimate, interval.low, interval.high,
                   direct ? table_cell{} : table_cell{static_cast<double>(sums.model_step_errors) / count},
                   sums.model_log_loss / count, sums.model_cum_loss / count, sums.model_cum_mistakes / count, k_bits,
                   theory::trained_model_bound_bits(bound.description_length_bits, bound.iteration_complexity_bits, k_bits),
                   sums.answer_tokens ? sums.kl_sum / static_cast<double>(sums.answer_tokens) : missing,
                   sums.kl_sum / count});
  }
  return table;
}

}  // namespace induct::experiment
