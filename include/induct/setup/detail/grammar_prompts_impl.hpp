#pragma once
// Definitions for setup/grammar_prompts.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/random.hpp"
#include "induct/grammar/derivation.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/grammar/sample.hpp"
#include "induct/setup/grammar_prompts.hpp"

namespace induct::setup {

namespace grammar_prompts_detail {

/// "FILE: " or "" for a grammar without a source, so every message names where the grammar came from.
INDUCT_DETAIL std::string where(const grammar::pcfg& g) {
  std::string text = g.source();
  if (!text.empty()) text += ": ";
  return text;
}

/// Whether `s` starts an iteration of `item`: a nonterminal with a rule whose first symbol is `item`.
INDUCT_DETAIL bool iterates(const grammar::pcfg& g, grammar::symbol_id s, grammar::symbol_id item) {
  if (!g.is_nonterminal(s)) return false;
  for (std::size_t r : g.rules_of(s))
    if (!g.rules()[r].rhs.empty() && g.rules()[r].rhs.front() == item) return true;
  return false;
}

}  // namespace grammar_prompts_detail

INDUCT_DEFINE grammar_list_task::grammar_list_task(const grammar::pcfg& g, const std::string& item, const std::string& list,
                                                   const std::string& marker)
    : grammar_(g) {
  using grammar_prompts_detail::where;
  const auto item_symbol = g.find_nonterminal(item);
  if (!item_symbol) throw grammar_error(where(g) + "ICL task: the item '" + item + "' is not a nonterminal of the grammar");
  item_ = *item_symbol;
  if (list.empty()) {
    list_ = g.start();
  } else if (const auto l = g.find_nonterminal(list)) {
    list_ = *l;
  } else {
    throw grammar_error(where(g) + "ICL task: the list '" + list + "' is not a nonterminal of the grammar");
  }
  const auto marker_symbol = g.find_terminal(marker);
  if (!marker_symbol) throw grammar_error(where(g) + "ICL task: the answer marker \"" + marker + "\" is not a terminal of the grammar");
  marker_ = *marker_symbol;

  // The rules of the list that iterate the item: exactly one is the task.
  std::vector<std::pair<std::size_t, std::size_t>> found;  // (rule, position of I)
  for (std::size_t r : g.rules_of(list_)) {
    const auto& rhs = g.rules()[r].rhs;
    for (std::size_t j = 0; j < rhs.size(); ++j)
      if (grammar_prompts_detail::iterates(g, rhs[j], item_)) {
        found.emplace_back(r, j);
        break;
      }
  }
  const std::string what = "ICL task: list " + g.name(list_) + ", item " + item + ": ";
  if (found.empty())
    throw grammar_error(where(g) + what + "no rule of the list holds an iteration of the item (a nonterminal with a rule " +
                        "'I -> " + item + " ...')");
  if (found.size() > 1) {
    std::string lines;
    for (const auto& [r, j] : found) {
      lines += ' ';
      lines += std::to_string(g.rules()[r].source_line);
    }
    throw grammar_error(where(g) + what + std::to_string(found.size()) +
                        " rules of the list iterate the item (lines" + lines + "); give an item that one rule fixes");
  }
  task_rule_ = found.front().first;
  const auto& rhs = g.rules()[task_rule_].rhs;
  iteration_ = rhs[found.front().second];
  for (std::size_t j = 0; j < found.front().second; ++j) {
    if (!g.is_terminal(rhs[j]))
      throw grammar_error(where(g) + what + "the task rule has nonterminal " + g.name(rhs[j]) +
                          " before the iteration; prompts need a fixed opening of terminals");
    opening_.push_back(rhs[j]);
  }
  for (std::size_t r : g.rules_of(iteration_)) {
    const auto& it = g.rules()[r].rhs;
    if (it.size() == 3 && it[0] == item_ && g.is_terminal(it[1])) separator_ = it[1];
  }
  grammar::pcfg item_grammar = g;
  item_grammar.set_start(item_);
  item_sampler_.emplace(item_grammar);
}

INDUCT_DEFINE void grammar_list_task::draw_item(random_engine& rng, std::vector<grammar::symbol_id>& input,
                                                std::vector<grammar::symbol_id>& answer) const {
  std::vector<grammar::symbol_id> item;
  item_sampler_->sample(rng, item);
  const auto at = std::find(item.begin(), item.end(), marker_);
  if (at == item.end() || at + 1 == item.end())
    throw grammar_error(grammar_prompts_detail::where(grammar_) + "ICL task: item " + grammar_.name(item_) + " derived '" +
                        grammar::join_tokens(grammar_, item) + "', which has no answer after the marker \"" +
                        grammar_.name(marker_) + "\"");
  input.assign(item.begin(), at + 1);
  answer.assign(at + 1, item.end());
}

INDUCT_DEFINE grammar_prompt generate_grammar_prompt(const grammar_list_task& task, int examples, std::uint64_t seed,
                                                     std::uint64_t index) {
  if (examples < 0) throw error("grammar prompt: examples " + std::to_string(examples) + " is negative");
  random_engine rng = random_engine::for_stream(seed, index);
  grammar_prompt p;
  p.examples = examples;
  p.tokens = task.opening();
  std::vector<std::vector<grammar::symbol_id>> inputs;
  std::vector<grammar::symbol_id> input, answer;
  for (int i = 0; i < examples; ++i) {
    task.draw_item(rng, input, answer);
    p.tokens.insert(p.tokens.end(), input.begin(), input.end());
    p.answer_spans.emplace_back(p.tokens.size(), p.tokens.size() + answer.size());
    p.tokens.insert(p.tokens.end(), answer.begin(), answer.end());
    if (task.separator()) p.tokens.push_back(*task.separator());
    inputs.push_back(input);
  }
  for (int draw = 0; draw <= query_redraws; ++draw) {
    task.draw_item(rng, input, answer);
    if (std::find(inputs.begin(), inputs.end(), input) == inputs.end()) break;
  }
  p.tokens.insert(p.tokens.end(), input.begin(), input.end());
  p.answer_spans.emplace_back(p.tokens.size(), p.tokens.size() + answer.size());
  p.answer = std::move(answer);
  return p;
}

INDUCT_DEFINE std::string grammar_prompt_text(const grammar_list_task& task, const grammar_prompt& prompt) {
  std::string text = grammar::join_tokens(task.grammar(), prompt.tokens);
  text += " => ";
  text += grammar::join_tokens(task.grammar(), prompt.answer);
  return text;
}

}  // namespace induct::setup
