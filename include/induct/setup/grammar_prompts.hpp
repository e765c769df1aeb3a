#pragma once
// ICL tasks and prompts for a user's grammar (issue 16): the built-in list prompts (setup/prompt.hpp) for
// any PCFG with an iteration, a grounded CAG (grammar/cag.hpp) included.
//
// A list nonterminal L (default: the start symbol) chooses its task in one rule, the task rule,
//   r_tau = L -> a_1 .. a_j  I  beta     [p(r_tau)],   a_1 .. a_j terminals (the opening),
// where I is the first state of an iteration of the item nonterminal X, i.e. I has a rule starting with X:
//   I -> X sep I'  |  X        (cag grounding: Iter<X|sep|law>#1 -> X sep Iter#2 | X; in text: Items -> X ";" Items | X).
// The task is named by X, the iterated nonterminal's instance, e.g. Item{class=1}: its shared variables are
// what tau fixed. D(tau) = -log2 P(tau | L) = -log2 p(r_tau) (theory/grammar_icl.hpp).
// An item w ~ P(w | X) splits at its first `marker` terminal (default ":"):
//   input(w) = w up to and including the marker,   answer(w) = the rest (must be non-empty).
//
// Prompt `index` of a request with seed S and n examples: engine random_engine::for_stream(S, index); items
// w_1 .. w_n, w_q drawn i.i.d. from P(. | X) (grammar::sampler, leftmost), the query redrawn (at most
// query_redraws times) while its input equals an example's, so the query is new whenever the law allows:
//   prompt = a_1 .. a_j  w_1 sep w_2 sep .. sep w_n sep input(w_q)      (n = 0: a_1 .. a_j input(w_q)),
//   answer = answer(w_q),    scored sequence s = prompt ++ answer.
// Every item's answer is one span of s (answer_spans, in order; the last is the query's).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "induct/core/linkage.hpp"
#include "induct/core/random.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/grammar/sample.hpp"

namespace induct::setup {

/// How many times the query item is redrawn while its input repeats an example's.
inline constexpr int query_redraws = 64;

/// One ICL task of a user's grammar: the task rule, the iterated item, its separator and answer marker.
class grammar_list_task {
 public:
  /// The task whose iterated item is the nonterminal named `item`, below list nonterminal `list` ("" = the
  /// start symbol). grammar_error naming the grammar, `list` and `item` when there is no such rule, when
  /// several rules of `list` iterate `item`, when the opening holds a nonterminal, or when `marker` is not a
  /// terminal. `g` should be validated (grammar/validate.hpp); it is copied.
  INDUCT_DECLARE grammar_list_task(const grammar::pcfg& g, const std::string& item, const std::string& list = {},
                                   const std::string& marker = ":");

  [[nodiscard]] const grammar::pcfg& grammar() const noexcept { return grammar_; }
  [[nodiscard]] grammar::symbol_id list() const noexcept { return list_; }
  [[nodiscard]] grammar::symbol_id item() const noexcept { return item_; }
  /// The first iteration state I in the task rule.
  [[nodiscard]] grammar::symbol_id iteration() const noexcept { return iteration_; }
  /// Index of r_tau in grammar().rules().
  [[nodiscard]] std::size_t task_rule() const noexcept { return task_rule_; }
  /// The terminals a_1 .. a_j before the iteration.
  [[nodiscard]] const std::vector<grammar::symbol_id>& opening() const noexcept { return opening_; }
  /// The separator terminal between items, if the iteration has one.
  [[nodiscard]] const std::optional<grammar::symbol_id>& separator() const noexcept { return separator_; }
  [[nodiscard]] grammar::symbol_id marker() const noexcept { return marker_; }

  /// An item drawn from P(. | X) split at the marker; grammar_error if the item has no marker or nothing after it.
  INDUCT_DECLARE void draw_item(random_engine& rng, std::vector<grammar::symbol_id>& input,
                                std::vector<grammar::symbol_id>& answer) const;

 private:
  grammar::pcfg grammar_;
  grammar::symbol_id list_ = 0, item_ = 0, iteration_ = 0, marker_ = 0;
  std::size_t task_rule_ = 0;
  std::vector<grammar::symbol_id> opening_;
  std::optional<grammar::symbol_id> separator_;
  // Sampling from X reuses the sampler's stack, so a task is not safe to use from several threads at once.
  mutable std::optional<grammar::sampler> item_sampler_;
};

/// A prompt of a grammar task with the query's answer and where every item's answer lies.
struct grammar_prompt {
  std::vector<grammar::symbol_id> tokens;  // the prompt, terminal ids of the task's grammar
  std::vector<grammar::symbol_id> answer;  // answer(w_q)
  int examples = 0;                        // n
  /// [begin, end) in tokens ++ answer of each item's answer, examples first, the query's last.
  std::vector<std::pair<std::size_t, std::size_t>> answer_spans;
  /// The scored sequence s = tokens ++ answer.
  [[nodiscard]] std::vector<grammar::symbol_id> scored_sequence() const {
    std::vector<grammar::symbol_id> s = tokens;
    s.insert(s.end(), answer.begin(), answer.end());
    return s;
  }
};

/// Prompt `index` with `examples` examples (header comment); error for examples < 0.
INDUCT_DECLARE grammar_prompt generate_grammar_prompt(const grammar_list_task& task, int examples, std::uint64_t seed,
                                                      std::uint64_t index);

/// The prompt's tokens as names joined by spaces (the answer after " => ").
INDUCT_DECLARE std::string grammar_prompt_text(const grammar_list_task& task, const grammar_prompt& prompt);

}  // namespace induct::setup

#if INDUCT_HEADER_ONLY
#include "induct/setup/detail/grammar_prompts_impl.hpp"
#endif
