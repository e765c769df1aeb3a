#pragma once
// Leo's completion against the item-by-item reference (earley_completion::item_by_item, Stolcke's completion
// as written): both parse the same tokens side by side and every quantity the public API gives is compared at
// every prefix, to a relative 1e-15 in long double (the two differ only by reassociated products of positive
// factors; long double's epsilon is 1.1e-19).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>

#include "induct/grammar/earley.hpp"

namespace induct_test {

using induct::grammar::earley_completion;
using induct::grammar::earley_grammar;
using induct::grammar::earley_state;
using induct::grammar::symbol_id;

constexpr long double leo_relative_tolerance = 1e-15L;

/// Probabilities: relative; equal infinities and zeros pass.
inline bool same_probability(long double leo, long double reference) {
  if (leo == reference) return true;
  return std::abs(leo - reference) <= leo_relative_tolerance * std::abs(reference);
}

/// log2 values: relative to max(1, |reference|) (a log2 near 0 carries an absolute error).
inline bool same_log2(long double leo, long double reference) {
  if (leo == reference) return true;  // both -inf for impossible prefixes
  return std::abs(leo - reference) <= leo_relative_tolerance * std::max(1.0L, std::abs(reference));
}

/// Compares the two states after the same prefix: possibility, prefix, string, end and next-token probabilities.
inline void check_same_state(const earley_state& leo, const earley_state& reference, const std::string& where) {
  INFO(where);
  REQUIRE(leo.possible() == reference.possible());
  CHECK(same_log2(leo.prefix_log2(), reference.prefix_log2()));
  CHECK(same_log2(leo.string_log2(), reference.string_log2()));
  if (!reference.possible()) return;
  CHECK(same_probability(leo.end_probability(), reference.end_probability()));
  const auto a = leo.next_tokens(), b = reference.next_tokens();
  CHECK(same_probability(a.end, b.end));
  REQUIRE(a.tokens.size() == b.tokens.size());
  for (std::size_t k = 0; k < a.tokens.size(); ++k) {
    INFO("next token id " << b.tokens[k].first);
    CHECK(a.tokens[k].first == b.tokens[k].first);
    CHECK(same_probability(a.tokens[k].second, b.tokens[k].second));
    CHECK(same_probability(leo.next_token_probability(b.tokens[k].first), b.tokens[k].second));
  }
}

/// Parses `tokens` with both completions, comparing at every prefix; returns (Leo, reference) completion steps.
inline std::pair<std::size_t, std::size_t> check_leo_matches_reference(const earley_grammar& g,
                                                                       std::span<const symbol_id> tokens,
                                                                       const std::string& what) {
  earley_state leo(g, earley_completion::leo), reference(g, earley_completion::item_by_item);
  check_same_state(leo, reference, what + ", empty prefix");
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    leo.advance(tokens[k]);
    reference.advance(tokens[k]);
    check_same_state(leo, reference, what + ", after token " + std::to_string(k + 1));
  }
  return {leo.completion_steps(), reference.completion_steps()};
}

}  // namespace induct_test
