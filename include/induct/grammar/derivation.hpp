#pragma once
// A derivation tree, stored as its leftmost derivation: the rules in preorder (a tree is determined by it).
//
//   P(tau) = prod_{r in tau} p(r),     D(tau) = description_length_bits(tau) = -log2 P(tau),
//   yield(tau) = the terminals at the leaves, left to right.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

struct derivation {
  std::vector<std::uint32_t> rules;  // rule indices into pcfg::rules(), preorder (leftmost derivation order)
  friend bool operator==(const derivation&, const derivation&) = default;
};

namespace derivation_detail {

/// Replays the leftmost derivation, calling on_terminal(id) for each leaf terminal in order.
template <class OnTerminal>
void replay(const pcfg& g, const derivation& d, OnTerminal&& on_terminal) {
  std::vector<symbol_id> stack{g.start()};
  std::size_t next = 0;
  while (!stack.empty()) {
    const symbol_id s = stack.back();
    stack.pop_back();
    if (g.is_terminal(s)) {
      on_terminal(s);
      continue;
    }
    if (next >= d.rules.size())
      throw grammar_error("derivation ends early: nonterminal '" + g.name(s) + "' is left unexpanded");
    const std::uint32_t r = d.rules[next++];
    if (r >= g.rule_count()) throw grammar_error("derivation uses rule " + std::to_string(r) + ", out of range");
    const rule& rule = g.rules()[r];
    if (rule.lhs != s)
      throw grammar_error("derivation step " + std::to_string(next - 1) + " expands '" + g.name(rule.lhs) +
                          "' where '" + g.name(s) + "' is the leftmost nonterminal");
    for (auto it = rule.rhs.rbegin(); it != rule.rhs.rend(); ++it) stack.push_back(*it);
  }
  if (next != d.rules.size()) throw grammar_error("derivation has rules left over after the tree is complete");
}

}  // namespace derivation_detail

/// log2 P(tau) = sum of log2 p(r) over the rules of tau (grammar_error if tau is not a derivation from the start).
inline double derivation_log2_probability(const pcfg& g, const derivation& d) {
  derivation_detail::replay(g, d, [](symbol_id) {});
  long double sum = 0.0L;
  for (std::uint32_t r : d.rules) sum += std::log2(static_cast<long double>(g.rules()[r].probability));
  return static_cast<double>(sum);
}

/// P(tau) (may underflow to 0 for huge trees: use derivation_log2_probability).
inline double derivation_probability(const pcfg& g, const derivation& d) { return std::exp2(derivation_log2_probability(g, d)); }

/// D(tau) = -log2 P(tau) bits.
inline double description_length_bits(const pcfg& g, const derivation& d) { return -derivation_log2_probability(g, d); }

/// The terminal string derived by tau.
inline std::vector<symbol_id> yield(const pcfg& g, const derivation& d) {
  std::vector<symbol_id> out;
  derivation_detail::replay(g, d, [&](symbol_id t) { out.push_back(t); });
  return out;
}

/// Bracketed form, e.g. (S (NP "the" (N "cat")) (VP "runs")); an epsilon rule prints as (A).
INDUCT_DECLARE std::string to_bracketed(const pcfg& g, const derivation& d);

/// Tokens joined by single spaces.
inline std::string join_tokens(const pcfg& g, const std::vector<symbol_id>& tokens) {
  std::string out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i) out += ' ';
    out += g.name(tokens[i]);
  }
  return out;
}

}  // namespace induct::grammar

#if INDUCT_HEADER_ONLY
#include "induct/grammar/detail/derivation_impl.hpp"
#endif
