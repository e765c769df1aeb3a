#pragma once
// The idealized predictor, generic: the next-token distribution of ANY document prefix from exact
// prefix probabilities of the grounded document grammar (a PCFG over the vocabulary's tokens),
//   p(t | w_1..w_i) = P(S =>* w_1..w_i t ...) / P(S =>* w_1..w_i ...),
// computed by the incremental probabilistic Earley parser (grammar/earley.hpp; Stolcke 1995).
// It needs no knowledge of lists or tasks, so it checks the fast list predictor
// (idealized_predictor.hpp) on small worlds, where grounding the CAG is affordable.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/setup/vocabulary.hpp"

namespace induct::theory {

class generic_predictor {
 public:
  /// `document_grammar` (copied) has terminals named like the vocabulary's tokens.
  INDUCT_DECLARE generic_predictor(const grammar::pcfg& document_grammar, const setup::vocabulary& vocab);

  /// A parse state after a prefix; copyable, advance token by token.
  class state {
   public:
    INDUCT_DETAIL explicit state(const generic_predictor& owner) : owner_(&owner), earley_(owner.compiled_) {}

    /// Consumes one token; error naming its position if the prefix becomes impossible.
    INDUCT_DECLARE void advance(setup::token_id token);

    /// p(t | prefix) for every vocabulary token (the document's end is not a token: its
    /// probability is 1 minus the sum, returned by end_probability()).
    INDUCT_DECLARE void next_token_distribution(std::vector<long double>& out) const;
    [[nodiscard]] long double end_probability() const { return earley_.end_probability(); }
    /// log2 P(S =>* prefix ...).
    [[nodiscard]] long double prefix_log2() const noexcept { return earley_.prefix_log2(); }

   private:
    const generic_predictor* owner_;
    grammar::earley_state earley_;
  };

  /// The state after a whole prefix.
  INDUCT_DECLARE [[nodiscard]] state after(std::span<const setup::token_id> prefix) const;

  [[nodiscard]] const grammar::earley_grammar& compiled() const noexcept { return compiled_; }

 private:
  static constexpr grammar::symbol_id no_terminal = static_cast<grammar::symbol_id>(-1);
  [[nodiscard]] grammar::symbol_id terminal(setup::token_id token) const {
    if (token >= terminal_of_token_.size())
      throw error("generic predictor: token id " + std::to_string(token) + " is outside the vocabulary");
    return terminal_of_token_[token];
  }

  grammar::earley_grammar compiled_;
  const setup::vocabulary* vocab_;
  std::vector<grammar::symbol_id> terminal_of_token_;
};

}  // namespace induct::theory

#if INDUCT_HEADER_ONLY
#include "induct/theory/detail/generic_predictor_impl.hpp"
#endif
