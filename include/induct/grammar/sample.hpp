#pragma once
// Seeded ancestral sampling from a PCFG: tau ~ P(tau) = prod p(r), expanding the leftmost nonterminal.
// One alias table per nonterminal (Walker/Vose; one 64-bit draw per choice: the high part of
// bits * k picks the column, the low 64 bits are the uniform for the column's threshold, exact to 2^-64),
// an explicit stack, and caller-owned output buffers: no recursion and no allocation per token once warm.
// Only induct::random_engine is used, so a seed gives the same strings on every platform.
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/random.hpp"
#include "induct/grammar/derivation.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

struct sample_options {
  /// A derivation expanding more than this many symbols is an error (a consistent grammar almost never does).
  std::uint64_t max_symbols = 100'000'000;
};

class sampler {
 public:
  /// `g` should be validated (grammar/validate.hpp); only its probabilities' ratios per left side matter here.
  explicit sampler(const pcfg& g, sample_options options = {}) : options_(options), start_(g.start()) {
    const std::size_t n = g.symbol_count();
    is_terminal_.resize(n);
    table_offset_.assign(n + 1, 0);
    for (symbol_id s = 0; s < n; ++s) is_terminal_[s] = g.is_terminal(s) ? 1 : 0;
    for (symbol_id s = 0; s < n; ++s) {
      table_offset_[s + 1] = table_offset_[s];
      if (g.is_terminal(s)) continue;
      const auto rules = g.rules_of(s);
      if (rules.empty()) continue;
      std::vector<double> weights;
      for (std::size_t r : rules) weights.push_back(g.rules()[r].probability);
      append_alias(weights, rules);
      table_offset_[s + 1] = static_cast<std::uint32_t>(threshold_.size());
    }
    rhs_offset_.assign(g.rule_count() + 1, 0);
    for (std::size_t r = 0; r < g.rule_count(); ++r) {
      const auto& rhs = g.rules()[r].rhs;
      for (auto it = rhs.rbegin(); it != rhs.rend(); ++it) reversed_rhs_.push_back(*it);
      rhs_offset_[r + 1] = static_cast<std::uint32_t>(reversed_rhs_.size());
    }
  }

  /// Samples one string into `out` (cleared first).
  void sample(random_engine& rng, std::vector<symbol_id>& out) { run<false>(rng, out, nullptr); }

  /// Samples one string into `out` and its derivation into `tree` (both cleared first).
  void sample(random_engine& rng, std::vector<symbol_id>& out, derivation& tree) { run<true>(rng, out, &tree); }

  /// Convenience: a fresh vector.
  std::vector<symbol_id> sample(random_engine& rng) {
    std::vector<symbol_id> out;
    sample(rng, out);
    return out;
  }

  /// Draws the index (into pcfg::rules()) of a rule of nonterminal `lhs`.
  std::uint32_t draw_rule(random_engine& rng, symbol_id lhs) const noexcept {
    const std::uint32_t begin = table_offset_[lhs];
    const std::uint32_t k = table_offset_[lhs + 1] - begin;
    if (k == 1) return rule_of_[begin];
    const __uint128_t product = static_cast<__uint128_t>(rng()) * k;
    const std::uint32_t column = begin + static_cast<std::uint32_t>(product >> 64);
    const auto low = static_cast<std::uint64_t>(product);
    return low < threshold_[column] ? rule_of_[column] : rule_of_[alias_[column]];
  }

 private:
  void append_alias(const std::vector<double>& weights, std::span<const std::size_t> rules) {
    const std::size_t k = weights.size();
    const auto base = static_cast<std::uint32_t>(threshold_.size());
    double total = 0.0;
    for (double w : weights) total += w;
    std::vector<double> scaled(k);
    std::vector<std::uint32_t> small, large;
    std::vector<std::uint64_t> threshold(k, std::numeric_limits<std::uint64_t>::max());
    std::vector<std::uint32_t> alias(k);
    for (std::size_t i = 0; i < k; ++i) {
      alias[i] = static_cast<std::uint32_t>(i);
      scaled[i] = weights[i] * static_cast<double>(k) / total;
      (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
      const auto s = small.back();
      small.pop_back();
      const auto l = large.back();
      threshold[s] = static_cast<std::uint64_t>(std::ldexp(scaled[s], 64));  // scaled < 1: fits
      alias[s] = l;
      scaled[l] = (scaled[l] + scaled[s]) - 1.0;
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    // Columns left in either list hold (up to rounding) exactly 1: always keep themselves.
    for (std::size_t i = 0; i < k; ++i) {
      threshold_.push_back(threshold[i]);
      alias_.push_back(base + alias[i]);
      rule_of_.push_back(static_cast<std::uint32_t>(rules[i]));
    }
  }

  template <bool WithTree>
  void run(random_engine& rng, std::vector<symbol_id>& out, derivation* tree) {
    out.clear();
    if constexpr (WithTree) tree->rules.clear();
    stack_.clear();
    stack_.push_back(start_);
    std::uint64_t expanded = 0;
    while (!stack_.empty()) {
      const symbol_id s = stack_.back();
      stack_.pop_back();
      if (is_terminal_[s]) {
        out.push_back(s);
        continue;
      }
      if (++expanded > options_.max_symbols)
        throw grammar_error("sampled derivation exceeded " + std::to_string(options_.max_symbols) +
                            " expansions (raise sample_options::max_symbols or check the grammar's consistency)");
      const std::uint32_t r = draw_rule(rng, s);
      if constexpr (WithTree) tree->rules.push_back(r);
      stack_.insert(stack_.end(), reversed_rhs_.begin() + rhs_offset_[r], reversed_rhs_.begin() + rhs_offset_[r + 1]);
    }
  }

  sample_options options_;
  symbol_id start_;
  std::vector<char> is_terminal_;
  std::vector<std::uint32_t> table_offset_;  // nonterminal -> first alias column; columns of s: [offset[s], offset[s+1])
  std::vector<std::uint64_t> threshold_;     // keep column if low 64 bits < threshold
  std::vector<std::uint32_t> alias_;
  std::vector<std::uint32_t> rule_of_;
  std::vector<std::uint32_t> rhs_offset_;
  std::vector<symbol_id> reversed_rhs_;
  std::vector<symbol_id> stack_;
};

}  // namespace induct::grammar
