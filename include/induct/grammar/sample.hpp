#pragma once
// Seeded ancestral sampling from a PCFG: tau ~ P(tau) = prod p(r), expanding the leftmost nonterminal.
// One alias table per nonterminal (Walker/Vose; one 64-bit draw per choice: the high part of
// bits * k picks the column, the low 64 bits are the uniform for the column's threshold, exact to 2^-64),
// an explicit stack, and caller-owned output buffers: no recursion and no allocation per token once warm.
// Only induct::random_engine is used, so a seed gives the same strings on every platform.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"
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
  INDUCT_DECLARE explicit sampler(const pcfg& g, sample_options options = {});

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
  INDUCT_DECLARE void append_alias(const std::vector<double>& weights, std::span<const std::size_t> rules);

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
      if (++expanded > options_.max_symbols) {
        std::string message = source_.empty() ? std::string() : source_ + ": ";  // the grammar's file
        message += "sampled derivation exceeded ";
        message += std::to_string(options_.max_symbols);
        message += " expansions (raise sample_options::max_symbols or check the grammar's consistency)";
        throw grammar_error(message);
      }
      const std::uint32_t r = draw_rule(rng, s);
      if constexpr (WithTree) tree->rules.push_back(r);
      stack_.insert(stack_.end(), reversed_rhs_.begin() + rhs_offset_[r], reversed_rhs_.begin() + rhs_offset_[r + 1]);
    }
  }

  sample_options options_;
  std::string source_;  // pcfg::source(), for the error message
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

#if INDUCT_HEADER_ONLY
#include "induct/grammar/detail/sample_impl.hpp"
#endif
