#pragma once
// Definitions for experiment/evaluate.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
#include "induct/core/log_space.hpp"
#include "induct/experiment/evaluate.hpp"
#include "induct/experiment/report.hpp"
#include "induct/nn/generate.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/setup/vocabulary.hpp"
#include "induct/setup/world.hpp"
#include "induct/theory/bounds.hpp"
#include "induct/theory/idealized_predictor.hpp"
#include "induct/theory/iteration_complexity.hpp"
#include "induct/theory/scoring.hpp"
#include "induct/theory/statistics.hpp"
#include "induct/theory/version_space.hpp"

namespace induct::experiment {

INDUCT_DEFINE void evaluation_options::validate() const {
  check_field_bounds(*this);
  if (!(alpha < 1.0)) throw config_error("alpha", "must be in (0, 1), got " + format_number(alpha));
}

INDUCT_DEFINE nlohmann::json evaluation_options::to_json() const { return fields_to_json(*this); }

INDUCT_DEFINE evaluation_options evaluation_options::from_json(const nlohmann::json& j) {
  evaluation_options o;
  fields_from_json(o, j);
  o.validate();
  return o;
}

namespace evaluate_detail {

/// Sums over the prompts of one (task, format, n) group.
struct group_sums {
  std::size_t prompts = 0;
  std::size_t answer_tokens = 0;
  std::size_t model_errors = 0, model_step_errors = 0, ideal_errors = 0, ideal_step_errors = 0;
  double model_log_loss = 0, model_cum_loss = 0, model_cum_mistakes = 0;
  double ideal_log_loss = 0, ideal_cum_loss = 0, ideal_cum_mistakes = 0, exact_r = 0;
  double version_space = 0, version_space_correction = 0;
  std::size_t ideal_bits_within = 0, ideal_mistakes_within = 0;  // <= D + R(s) (+1e-9)
  std::size_t model_bits_within = 0, model_mistakes_within = 0;  // <= D + Rbar_n (+1e-9)
  double kl_sum = 0;
};

/// The entity values of generated tokens up to the first non-entity token (theory::prompt_scorer's rule).
INDUCT_DETAIL std::vector<int> leading_values(const setup::vocabulary& vocab, const std::vector<setup::token_id>& tokens) {
  std::vector<int> values;
  for (auto t : tokens) {
    const auto e = vocab.entity_index(t);
    if (!e) break;
    values.push_back(*e);
  }
  return values;
}

/// The table row of one (task, format, n) group from its sums (columns: evaluation_columns()).
INDUCT_DETAIL void add_group_row(result_table& table, const setup::task& task, int examples, const theory::bound_row& bound,
                                 const group_sums& sums, double alpha) {
  const bool direct = task.format() == setup::list_format::direct;
  const double count = static_cast<double>(sums.prompts);
  auto share = [&](std::size_t within) { return static_cast<double>(within) / count; };
  const auto interval = theory::clopper_pearson(sums.model_errors, sums.prompts, alpha);
  const double k_bits = (sums.model_cum_loss - sums.ideal_cum_loss) / count;
  const double missing = std::numeric_limits<double>::quiet_NaN();
  auto finite_or_missing = [](double v) { return std::isfinite(v) ? table_cell{v} : table_cell{}; };
  auto row = table.new_row();
  row["task"] = task.name();
  row["format"] = std::string(setup::to_string(task.format()));
  row["depth"] = static_cast<long long>(task.depth());
  row["examples"] = static_cast<long long>(examples);
  row["prompts"] = static_cast<long long>(sums.prompts);
  row["D_bits"] = bound.description_length_bits;
  row["R_n_bits"] = bound.iteration_complexity_bits;
  row["bound_cum_bits"] = bound.bound_cumulative_bits;
  row["bound_mistakes"] = bound.bound_mistakes;
  row["bound_mistakes_per_example"] = finite_or_missing(bound.bound_mistakes_per_example);
  row["bound_vacuous"] = static_cast<long long>(bound.vacuous);
  row["ideal_mean_cum_loss_bits"] = sums.ideal_cum_loss / count;
  row["ideal_mean_cum_mistakes"] = sums.ideal_cum_mistakes / count;
  row["R_exact_mean_bits"] = sums.exact_r / count;
  row["version_space_mean_bits"] = sums.version_space / count;
  row["version_space_correction_mean_bits"] = sums.version_space_correction / count;
  row["ideal_share_cum_bits_within_D_R"] = share(sums.ideal_bits_within);
  row["ideal_share_cum_mistakes_within_D_R"] = share(sums.ideal_mistakes_within);
  row["ideal_query_error_rate"] = static_cast<double>(sums.ideal_errors) / count;
  row["ideal_query_step_error_rate"] =
      direct ? table_cell{} : table_cell{static_cast<double>(sums.ideal_step_errors) / count};
  row["ideal_mean_query_loss_bits"] = sums.ideal_log_loss / count;
  row["model_mean_cum_loss_bits"] = sums.model_cum_loss / count;
  row["model_mean_cum_mistakes"] = sums.model_cum_mistakes / count;
  row["K_bits"] = k_bits;
  row["model_bound_cum_bits"] =
      theory::trained_model_bound_bits(bound.description_length_bits, bound.iteration_complexity_bits, k_bits);
  row["model_share_cum_bits_within_D_R_n"] = share(sums.model_bits_within);
  row["model_share_cum_mistakes_within_D_R_n"] = share(sums.model_mistakes_within);
  row["model_query_error_rate"] = interval.estimate;
  row["model_query_ci_low"] = interval.low;
  row["model_query_ci_high"] = interval.high;
  row["model_query_step_error_rate"] =
      direct ? table_cell{} : table_cell{static_cast<double>(sums.model_step_errors) / count};
  row["model_mean_query_loss_bits"] = sums.model_log_loss / count;
  row["kl_bits_per_token"] = sums.answer_tokens ? sums.kl_sum / static_cast<double>(sums.answer_tokens) : missing;
  row["kl_cum_bits"] = sums.kl_sum / count;
  table.add_row(row);
}

}  // namespace evaluate_detail

INDUCT_DEFINE int evaluation_length(const setup::task& task, int examples) {
  const int values = task.format() == setup::list_format::direct ? 1 : task.depth();
  return 2 + examples * (values + 3) + 2 + values;
}

template <class Scalar>
result_table evaluate_model(nn::gpt<Scalar>& model, const theory::idealized_list_model& ideal,
                            const std::vector<setup::task>& tasks, const evaluation_options& options,
                            std::vector<std::string>* skipped) {
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
  theory::prompt_scorer scorer(ideal);
  const theory::version_space_model spaces(world);
  std::vector<double> ideal_p(static_cast<std::size_t>(vocab_size)), model_p(static_cast<std::size_t>(vocab_size));
  for (const auto& g : plan) {
    const setup::task& task = tasks[g.task];
    const bool direct = task.format() == setup::list_format::direct;
    const auto prompts = setup::generate_prompts(world, task, g.examples, options.prompts, options.prompt_seed);
    const auto bound = theory::theorem1_bound(document, task.format(), task.depth(), g.examples);
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
        // The idealized predictor's own scores (theory::prompt_scorer); its distributions again for the KL.
        const theory::prompt_score ideal_score = scorer.score(p);
        theory::idealized_predictor state(ideal);
        double model_cum = 0, model_query = 0;
        int model_mistakes = 0;
        for (int pos = 2; pos < length; ++pos) {  // predicting s[pos + 1] from the prefix s[0..pos]
          state.advance(s[static_cast<std::size_t>(pos)]);
          const int target_index = pos + 1;
          const bool in_query = target_index >= prompt_length;
          const auto role = in_query ? setup::token_role::answer : p.annotation[static_cast<std::size_t>(target_index)].role;
          if (role != setup::token_role::answer && role != setup::token_role::step) continue;
          const auto target = s[static_cast<std::size_t>(target_index)];
          // Model: softmax and log-softmax in double (core/log_space.hpp), greedy = first argmax.
          const Scalar* row = logits + (static_cast<std::size_t>(b) * length + pos) * vocab_size;
          const auto normalizer = softmax(std::span<const Scalar>(row, static_cast<std::size_t>(vocab_size)),
                                          std::span<double>(model_p));
          const auto model_best = static_cast<int>(std::max_element(row, row + vocab_size) - row);
          const double model_bits = -normalizer.log_probability(static_cast<double>(row[target])) / std::log(2.0);
          state.next_token_distribution(ideal_distribution);
          std::fill(ideal_p.begin(), ideal_p.end(), 0.0);
          for (std::size_t v = 0; v < ideal_distribution.size(); ++v) ideal_p[v] = static_cast<double>(ideal_distribution[v]);
          sums.kl_sum += theory::kl_divergence_bits(ideal_p, model_p);
          ++sums.answer_tokens;
          model_cum += model_bits;
          model_mistakes += model_best != target;
          if (in_query) model_query += model_bits;
        }
        if (direct) {  // greedy = argmax at the query's ':'
          const Scalar* row = logits + (static_cast<std::size_t>(b) * length + (prompt_length - 1)) * vocab_size;
          const auto best = static_cast<setup::token_id>(std::max_element(row, row + vocab_size) - row);
          sums.model_errors += best != vocab.entity(p.answer);
        } else {  // greedy generation with the KV cache until ';' (or ']'), as the idealized predictor does
          const std::vector<std::int32_t> prefix(p.tokens.begin(), p.tokens.end());
          const std::int32_t stops[] = {setup::vocabulary::semicolon, setup::vocabulary::close_list};
          const auto generated = nn::generate_greedy(model, prefix, ideal.max_depth() + 1, stops);
          const auto values =
              evaluate_detail::leading_values(vocab, std::vector<setup::token_id>(generated.tokens.begin(), generated.tokens.end()));
          sums.model_errors += values.empty() || values.back() != p.answer;
          sums.model_step_errors += values != p.steps;
        }
        sums.ideal_errors += !ideal_score.query_correct;
        sums.ideal_step_errors += !ideal_score.query_steps_correct;
        sums.model_log_loss += model_query;
        sums.ideal_log_loss += ideal_score.query_loss_bits;
        sums.model_cum_loss += model_cum;
        sums.ideal_cum_loss += ideal_score.cumulative_loss_bits;
        sums.model_cum_mistakes += model_mistakes;
        sums.ideal_cum_mistakes += ideal_score.answer_token_mistakes;
        sums.exact_r += ideal_score.iteration_complexity_bits;
        const theory::version_space_account account = spaces.account(p);
        sums.version_space += account.version_space_bits;
        sums.version_space_correction += account.correction_bits();
        // Per prompt against the bound: the idealized predictor against its own D + R(s), the model against D + Rbar_n.
        const double own_bound = ideal_score.description_length_bits + ideal_score.iteration_complexity_bits + 1e-9;
        sums.ideal_bits_within += ideal_score.cumulative_loss_bits <= own_bound;
        sums.ideal_mistakes_within += ideal_score.answer_token_mistakes <= own_bound;
        sums.model_bits_within += model_cum <= bound.bound_cumulative_bits + 1e-9;
        sums.model_mistakes_within += model_mistakes <= bound.bound_cumulative_bits + 1e-9;
      }
      sums.prompts += static_cast<std::size_t>(batch);
      done += static_cast<std::size_t>(batch);
      if (options.progress) options.progress(done, total);
    }

    evaluate_detail::add_group_row(table, task, g.examples, bound, sums, options.alpha);
  }
  return table;
}

}  // namespace induct::experiment
