#pragma once
// Definitions for theory/grammar_icl.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/setup/grammar_prompts.hpp"
#include "induct/theory/bounds.hpp"
#include "induct/theory/grammar_icl.hpp"

namespace induct::theory {

namespace grammar_icl_detail {

/// The task's grammar with start L: the idealized predictor's.
INDUCT_DETAIL grammar::pcfg list_grammar(const setup::grammar_list_task& task) {
  grammar::pcfg g = task.grammar();
  g.set_start(task.list());
  return g;
}

/// The task's grammar with a fresh start S_tau -> rhs(r_tau) [1]: tau's own law.
INDUCT_DETAIL grammar::pcfg task_grammar(const setup::grammar_list_task& task) {
  grammar::pcfg g = task.grammar();
  std::string name = "<task>";
  while (g.find_nonterminal(name)) name += "'";  // a name the user's grammar does not use
  const grammar::symbol_id start = g.nonterminal(name);
  g.add_rule(start, g.rules()[task.task_rule()].rhs, 1.0);
  g.set_start(start);
  return g;
}

/// Advances `state` by token `t` of s, or an error naming the position and which law made s impossible.
INDUCT_DETAIL void advance_or_throw(grammar::earley_state& state, grammar::symbol_id t, std::size_t position,
                                    const grammar::pcfg& g, const char* law) {
  state.advance(t);
  if (!state.possible())
    throw error("grammar ICL: token " + std::to_string(position) + " '" + g.name(t) + "' of the scored sequence has probability 0 under " +
                law + ": " + state.why_impossible());
}

/// Adds the answer token `t` under distribution `next` to `out`: its bits and whether it is a mistake (not
/// the strict argmax, the end competing); returns its bits.
INDUCT_DETAIL long double account_answer(const grammar::next_token_distribution& next, grammar::symbol_id t, bool query,
                                         grammar_prompt_score& out) {
  const long double p = next.probability(t);
  long double best_other = next.end;
  for (const auto& [other, q] : next.tokens)
    if (other != t) best_other = std::max(best_other, q);
  const bool mistake = !(p > best_other);
  const long double bits = -std::log2(p);
  out.cumulative_answer_bits += static_cast<double>(bits);
  out.cumulative_mistakes += mistake ? 1 : 0;
  if (query) {
    out.query_answer_bits += static_cast<double>(bits);
    out.query_wrong = out.query_wrong || mistake;
  }
  return bits;
}

/// 1 at the positions of s = prompt ++ answer that are answer tokens.
INDUCT_DETAIL std::vector<char> answer_mask(const setup::grammar_prompt& prompt, std::size_t length) {
  std::vector<char> is_answer(length, 0);
  for (const auto& [begin, end] : prompt.answer_spans) std::fill(is_answer.begin() + begin, is_answer.begin() + end, 1);
  return is_answer;
}

}  // namespace grammar_icl_detail

INDUCT_DEFINE void grammar_icl_options::validate() const {
  if (examples.empty()) throw config_error("examples", "the list of example counts is empty");
  for (int n : examples)
    if (n < 0) throw config_error("examples", "example count " + std::to_string(n) + " is negative");
  if (prompts < 1) throw config_error("prompts", "must be at least 1, got " + std::to_string(prompts));
}

INDUCT_DEFINE grammar_icl_model::grammar_icl_model(const setup::grammar_list_task& task)
    : task_(&task),
      ideal_(grammar_icl_detail::list_grammar(task)),
      own_(grammar_icl_detail::task_grammar(task)),
      description_length_bits_(-std::log2(task.grammar().rules()[task.task_rule()].probability)) {}

INDUCT_DEFINE grammar::next_token_distribution grammar_icl_model::ideal_next_tokens(const std::vector<grammar::symbol_id>& s,
                                                                                   std::size_t length) const {
  grammar::earley_state state(ideal_);
  for (std::size_t i = 0; i < length && i < s.size(); ++i)
    grammar_icl_detail::advance_or_throw(state, s[i], i, task_->grammar(), "the list's grammar");
  return state.next_tokens();
}

INDUCT_DEFINE grammar_prompt_score grammar_icl_model::score(const setup::grammar_prompt& prompt) const {
  const std::vector<grammar::symbol_id> s = prompt.scored_sequence();
  const grammar::pcfg& g = task_->grammar();
  const std::vector<char> is_answer = grammar_icl_detail::answer_mask(prompt, s.size());
  const std::size_t query_begin = prompt.answer_spans.back().first;

  grammar_prompt_score out;
  out.examples = prompt.examples;
  grammar::earley_state ideal(ideal_), own(own_);
  long double answer_bits = 0.0L, own_answer_bits = 0.0L;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (is_answer[i]) {
      answer_bits += grammar_icl_detail::account_answer(ideal.next_tokens(), s[i], i >= query_begin, out);
      own_answer_bits -= std::log2(own.next_token_probability(s[i]));
    }
    grammar_icl_detail::advance_or_throw(ideal, s[i], i, g, "the list's grammar");
    grammar_icl_detail::advance_or_throw(own, s[i], i, g, "the task's own derivation");
  }
  out.cumulative_answer_bits = static_cast<double>(answer_bits);  // the long double sum, not the rounded one
  out.task_answer_bits = static_cast<double>(own_answer_bits);
  out.iteration_complexity_bits =
      static_cast<double>(-own.prefix_log2() + ideal.prefix_log2() - own_answer_bits + answer_bits);
  out.bound_bits = description_length_bits_ + out.iteration_complexity_bits + out.task_answer_bits;
  return out;
}

INDUCT_DEFINE grammar_prompt_score score_predictor(const setup::grammar_prompt& prompt, const next_terminal_predictor& predictor) {
  const std::vector<grammar::symbol_id> s = prompt.scored_sequence();
  const std::vector<char> is_answer = grammar_icl_detail::answer_mask(prompt, s.size());
  const std::size_t query_begin = prompt.answer_spans.back().first;
  grammar_prompt_score out;
  out.examples = prompt.examples;
  grammar::next_token_distribution next;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!is_answer[i]) continue;
    predictor(std::span<const grammar::symbol_id>(s.data(), i), next);
    grammar_icl_detail::account_answer(next, s[i], i >= query_begin, out);
  }
  return out;
}

INDUCT_DEFINE std::vector<grammar_icl_row> grammar_icl_curve(const grammar_icl_model& model,
                                                             const grammar_icl_options& options,
                                                             const next_terminal_predictor* measured) {
  options.validate();
  std::vector<grammar_icl_row> rows;
  for (int n : options.examples) {
    grammar_icl_row row;
    row.examples = n;
    row.prompts = options.prompts;
    row.description_length_bits = model.description_length_bits();
    row.max_bound_excess_bits = -std::numeric_limits<double>::infinity();
    int wrong = 0, measured_wrong = 0;
    double measured_bits = 0.0, measured_mistakes = 0.0;
    for (int i = 0; i < options.prompts; ++i) {
      const setup::grammar_prompt prompt =
          setup::generate_grammar_prompt(model.task(), n, options.seed, static_cast<std::uint64_t>(i));
      const grammar_prompt_score score = model.score(prompt);
      if (measured) {
        const grammar_prompt_score q = score_predictor(prompt, *measured);
        measured_bits += q.cumulative_answer_bits;
        measured_mistakes += q.cumulative_mistakes;
        measured_wrong += q.query_wrong ? 1 : 0;
      }
      row.mean_iteration_complexity_bits += score.iteration_complexity_bits;
      row.mean_bound_bits += score.bound_bits;
      row.ideal_mean_cum_bits += score.cumulative_answer_bits;
      row.ideal_mean_cum_mistakes += score.cumulative_mistakes;
      row.max_bound_excess_bits = std::max(row.max_bound_excess_bits, score.cumulative_answer_bits - score.bound_bits);
      wrong += score.query_wrong ? 1 : 0;
    }
    const double count = options.prompts;
    row.mean_iteration_complexity_bits /= count;
    row.mean_bound_bits /= count;
    row.ideal_mean_cum_bits /= count;
    row.ideal_mean_cum_mistakes /= count;
    row.ideal_query_error_rate = wrong / count;
    row.bound_per_answer = row.mean_bound_bits / (n + 1);
    row.vacuous = bound_vacuous(row.mean_bound_bits, n);
    if (measured) {
      row.measured_mean_cum_bits = measured_bits / count;
      row.measured_mean_cum_mistakes = measured_mistakes / count;
      row.measured_query_error_rate = measured_wrong / count;
    }
    rows.push_back(row);
  }
  return rows;
}

}  // namespace induct::theory
