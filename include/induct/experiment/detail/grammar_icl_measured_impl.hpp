#pragma once
// Definitions for experiment/grammar_icl_measured.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/experiment/grammar_icl_measured.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/nn/generate.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/setup/grammar_corpus.hpp"
#include "induct/theory/grammar_icl.hpp"

namespace induct::experiment {

INDUCT_DEFINE theory::next_terminal_predictor model_terminal_predictor(nn::gpt<float>& model,
                                                                       const setup::corpus_grammar& corpus,
                                                                       const grammar::pcfg& task_grammar) {
  if (static_cast<std::size_t>(model.config().vocab_size) != corpus.vocabulary_size())
    throw grammar_error("model predictor: the model has " + std::to_string(model.config().vocab_size) +
                        " tokens but the grammar's corpus vocabulary has " + std::to_string(corpus.vocabulary_size()));
  // token_of[s]: the corpus token of task terminal s; terminals: (task terminal, token), sorted by terminal id.
  std::vector<std::int32_t> token_of(task_grammar.symbol_count(), -1);
  std::vector<std::pair<grammar::symbol_id, std::int32_t>> terminals;
  for (grammar::symbol_id s = 0; s < task_grammar.symbol_count(); ++s) {
    if (!task_grammar.is_terminal(s)) continue;
    const auto in_corpus = corpus.grammar().find_terminal(task_grammar.name(s));
    if (!in_corpus)
      throw grammar_error("model predictor: terminal \"" + task_grammar.name(s) + "\" of the task grammar is not a token of the corpus");
    token_of[s] = static_cast<std::int32_t>(corpus.token_of(*in_corpus));
    terminals.emplace_back(s, token_of[s]);
  }
  return [&model, token_of = std::move(token_of), terminals = std::move(terminals)](
             std::span<const grammar::symbol_id> prefix, grammar::next_token_distribution& out) {
    const auto context = static_cast<std::size_t>(model.config().context_length);
    if (prefix.size() + 1 > context)
      throw error("model predictor: a prefix of " + std::to_string(prefix.size()) + " tokens and <doc> exceed the model's context of " +
                  std::to_string(context));
    std::vector<std::int32_t> ids{static_cast<std::int32_t>(setup::grammar_boundary_token)};
    for (grammar::symbol_id s : prefix) ids.push_back(token_of.at(s));
    const std::vector<double> log_probs = nn::next_token_log_probs(model, ids);
    out.tokens.clear();
    for (const auto& [terminal, token] : terminals)
      out.tokens.emplace_back(terminal, std::exp(static_cast<long double>(log_probs[static_cast<std::size_t>(token)])));
    out.end = std::exp(static_cast<long double>(log_probs[setup::grammar_boundary_token]));
  };
}

}  // namespace induct::experiment
