#pragma once
// Definitions for theory/generic_predictor.hpp (see induct/core/linkage.hpp for the two modes).
#include <cstddef>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/setup/vocabulary.hpp"
#include "induct/theory/generic_predictor.hpp"

namespace induct::theory {

INDUCT_DEFINE generic_predictor::generic_predictor(const grammar::pcfg& document_grammar, const setup::vocabulary& vocab)
    : compiled_(document_grammar), vocab_(&vocab) {
  terminal_of_token_.assign(vocab.size(), no_terminal);
  for (std::size_t t = 0; t < vocab.size(); ++t)
    if (auto id = document_grammar.find_terminal(vocab.names()[t])) terminal_of_token_[t] = *id;
  // Every terminal must be a token, or the distribution would leak mass outside the vocabulary.
  for (std::size_t s = 0; s < document_grammar.symbol_count(); ++s)
    if (document_grammar.is_terminal(static_cast<grammar::symbol_id>(s)) &&
        !vocab.find(document_grammar.name(static_cast<grammar::symbol_id>(s))))
      throw error("generic predictor: grammar terminal '" + document_grammar.name(static_cast<grammar::symbol_id>(s)) +
                  "' is not a token of the vocabulary");
}

INDUCT_DEFINE generic_predictor::state generic_predictor::after(std::span<const setup::token_id> prefix) const {
  state s(*this);
  for (setup::token_id t : prefix) s.advance(t);
  return s;
}

INDUCT_DEFINE void generic_predictor::state::advance(setup::token_id token) {
  const auto terminal = owner_->terminal(token);
  if (terminal == no_terminal) {
    throw error("generic predictor: token " + std::to_string(earley_.length()) + " '" + owner_->vocab_->name(token) +
                "' never occurs in the grammar (probability 0)");
  }
  earley_.advance(terminal);
  if (!earley_.possible())
    throw error("generic predictor: the prefix has probability 0 at token " + std::to_string(earley_.length() - 1) +
                " '" + owner_->vocab_->name(token) + "': " + earley_.why_impossible());
}

INDUCT_DEFINE void generic_predictor::state::next_token_distribution(std::vector<long double>& out) const {
  out.assign(owner_->vocab_->size(), 0.0L);
  const grammar::next_token_distribution d = earley_.next_tokens();
  for (const auto& [terminal, p] : d.tokens) {
    const auto token = owner_->vocab_->find(owner_->compiled_.source().name(terminal));
    out[*token] += p;
  }
}

}  // namespace induct::theory
