#pragma once
// Exact string, prefix and next-token probabilities: Stolcke's (1995) probabilistic Earley parser.
//
// Preparation (earley_grammar): exact epsilon elimination (grammar/epsilon_free.hpp) gives G' with
// P(w) = (1 - e_S) P'(w) for w != eps and P(eps) = e_S. The unit rules A -> B of G' are folded into the
// unit closure R_U = (I - P_U)^-1 (P_U[A][B] = p'(A -> B)); prediction uses the left-corner closure
// R_L = (I - P_L)^-1 (P_L[A][B] = sum of p'(A -> B beta)); both exact (grammar/closure.hpp), so unary cycles
// and left recursion are summed in closed form. Items carry forward alpha and inner gamma probabilities:
//   predict   i: kX -> l.Zm [a]            => i: iY -> .v       alpha = sum a R_L(Z,Y) p(Y -> v), gamma = p
//   scan      i: kX -> l.tm [a,g], w_i = t => i+1: kX -> lt.m  [a, g]
//   complete  i: jY -> v. [g''] , j: kX -> l.Zm [a,g] => i: kX -> lZ.m [a R_U(Z,Y) g'', g R_U(Z,Y) g'']
// Then (Stolcke 1995, lemma 3; Jelinek and Lafferty 1991):
//   P(S =>* w_1..w_i ...) = (1 - e_S) * sum of alpha over the items scanned into column i
//   P(w_1..w_i)           = (1 - e_S) * alpha(0: -> S.) at column i
//   P(next = t | prefix)  = sum of alpha over column-i items (incl. predicted) with t after the dot / P(prefix...)
//   P(end | prefix)       = P(w_1..w_i) / P(prefix ...)
// Leo (1991) for right recursion: completing Y from column j is deterministic when it has exactly one target,
// one item over all Z with R_U(Z,Y) > 0 (a waiting j: kX -> l.Zm [a_w,g_w] or a predicted rule X -> Z beta).
// The target then gains (A g'', G g'') with A = a_w R_U(Z,Y), G = g_w R_U(Z,Y), linear in g''. When the target
// is complete (m empty) its own completion, (k, X), may be deterministic too, and the chain composes:
//   T(j, Y) = (top of T(k, X), A(k,X) G, G(k,X) G)   if the target is complete and T(k, X) exists
//           = (target, A, G)                         otherwise,
// memoised per (column, completed symbol) the first time it is needed, so a completion chain costs O(1)
// amortised instead of one item per link. The skipped links are complete items, which no later column reads;
// by linearity the top's sums are Stolcke's (the same factors reassociated: equal to rounding). The item-by-item
// completion is kept (earley_completion::item_by_item) as the reference the tests and benchmarks compare with.
// Numerics: long double, and each column is rescaled by s_i = P(w_1..w_i ...)/P(w_1..w_{i-1} ...), so alphas
// and gammas never underflow; log2 of the prefix probability is sum_i log2 s_i (exact to rounding).
//
// Incremental use (one Earley column per token; the state is a copyable value, so it can be branched):
//   earley_grammar compiled(g);             // g validated (grammar/validate.hpp); keep `compiled` alive
//   earley_state s(compiled);
//   for (symbol_id t : prompt) { auto d = s.next_tokens(); ...; s.advance(t); }
//   s.prefix_log2();  s.string_log2();  s.end_probability();  s.next_token_probability(t);
// One-shot: inside_log2(compiled, tokens), prefix_log2(compiled, tokens), next_tokens(compiled, tokens).
// Threads: an earley_grammar is immutable after construction and may be shared; use one earley_state per thread.
// Cost: one column is O(items x closure rows); cubic in length in the worst (highly ambiguous) case, linear for
// right-recursive lists with Leo's memo (quadratic item by item; bench/RESULTS.md, grammar section). Copying a
// state copies its columns: O(length).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"
#include "induct/grammar/closure.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

/// The conditional distribution of what follows a prefix: next tokens (sparse, by terminal id) and the end.
/// Sums to 1 up to rounding: sum of probabilities + end == 1.
struct next_token_distribution {
  std::vector<std::pair<symbol_id, long double>> tokens;  // sorted by terminal id, positive entries only
  long double end = 0.0L;                                 // P(the string is exactly the prefix | prefix ...)
  /// P(next = t | prefix); 0 for tokens not listed.
  [[nodiscard]] long double probability(symbol_id t) const {
    auto it = std::lower_bound(tokens.begin(), tokens.end(), t, [](const auto& e, symbol_id v) { return e.first < v; });
    return it != tokens.end() && it->first == t ? it->second : 0.0L;
  }
};

/// How completion handles deterministic chains (right recursion); both give the same probabilities to rounding.
enum class earley_completion {
  leo,           // Leo's memo of the chain's top item and factors: linear for right-recursive lists
  item_by_item,  // Stolcke's completion of every item of the chain: the reference, quadratic for such lists
};

/// A PCFG compiled for Earley parsing (epsilon-free, unit rules folded into R_U, closures precomputed).
class earley_grammar {
 public:
  INDUCT_DECLARE explicit earley_grammar(const pcfg& g);

  [[nodiscard]] const pcfg& source() const noexcept { return source_; }
  [[nodiscard]] bool is_terminal(symbol_id s) const noexcept { return s < is_terminal_.size() && is_terminal_[s]; }
  /// P(S =>* eps).
  [[nodiscard]] long double empty_string_probability() const noexcept { return start_null_; }
  /// Rules of G' without unit rules (for diagnostics and benchmarks).
  [[nodiscard]] std::size_t compiled_rule_count() const noexcept { return dummy_rule_; }

 private:
  friend class earley_state;
  [[nodiscard]] std::uint32_t length(std::uint32_t r) const noexcept { return rhs_offset_[r + 1] - rhs_offset_[r]; }
  [[nodiscard]] symbol_id symbol_at(std::uint32_t r, std::uint32_t dot) const noexcept {
    return rhs_symbols_[rhs_offset_[r] + dot];
  }

  pcfg source_;
  std::vector<char> is_terminal_;
  symbol_id start_ = 0;
  long double start_null_ = 0.0L, start_nonnull_ = 1.0L;
  std::vector<symbol_id> lhs_;
  std::vector<long double> probability_;
  std::vector<std::uint32_t> rhs_offset_;
  std::vector<symbol_id> rhs_symbols_;
  std::uint32_t dummy_rule_ = 0;
  std::vector<sparse_row> left_corner_closure_;       // Z -> (Y, R_L(Z, Y))
  std::vector<sparse_row> unit_closure_by_completed_;  // Y -> (Z, R_U(Z, Y))
  std::vector<std::vector<std::uint32_t>> rules_by_first_terminal_;
  std::vector<std::vector<std::uint32_t>> rules_by_first_nonterminal_;  // non-unit rules Y -> Z beta, by Z
  std::vector<sparse_row> first_terminal_mass_;                         // Y -> (t, sum p'(Y -> t beta))
};

/// The Earley chart after a prefix; advance() adds one column. See the header comment.
class earley_state {
 public:
  /// The chart of the empty prefix; `g` must outlive the state.
  INDUCT_DECLARE explicit earley_state(const earley_grammar& g, earley_completion completion = earley_completion::leo);

  /// Number of tokens consumed.
  [[nodiscard]] std::size_t length() const noexcept { return length_; }
  /// False once the prefix has probability 0 (then prefix_log2() = -inf and why_impossible() says why).
  [[nodiscard]] bool possible() const noexcept { return !dead_; }
  [[nodiscard]] const std::string& why_impossible() const noexcept { return dead_reason_; }

  /// Consumes terminal `t` (one Earley column). induct::error if `t` is not a terminal id of the grammar.
  INDUCT_DECLARE void advance(symbol_id t);
  /// Consumes the terminal named `name`; an unknown name makes the prefix impossible (probability 0).
  INDUCT_DECLARE void advance(std::string_view name);

  /// log2 P(S =>* prefix ...) (0 for the empty prefix, -inf if impossible).
  [[nodiscard]] long double prefix_log2() const noexcept {
    if (dead_) return -std::numeric_limits<long double>::infinity();
    if (length_ == 0) return 0.0L;
    return std::log2(g_->start_nonnull_) + log2_scale_;
  }
  /// log2 P(string == prefix), the inside probability of the prefix as a whole string.
  [[nodiscard]] long double string_log2() const noexcept {
    if (dead_) return -std::numeric_limits<long double>::infinity();
    if (length_ == 0) return std::log2(g_->start_null_);
    return std::log2(g_->start_nonnull_) + log2_scale_ + std::log2(columns_.back().end_alpha);
  }
  /// P(string == prefix | prefix ...). induct::error if the prefix is impossible.
  [[nodiscard]] long double end_probability() const {
    require_possible();
    return length_ == 0 ? g_->start_null_ : columns_.back().end_alpha;
  }
  /// P(next = t | prefix ...).
  [[nodiscard]] long double next_token_probability(symbol_id t) const {
    require_possible();
    const column& c = columns_.back();
    long double mass = 0.0L;
    auto [begin, end] = entries_for(c.scannable, t);
    for (auto it = begin; it != end; ++it) mass += c.items[it->second].alpha;
    for (std::uint32_t r : g_->rules_by_first_terminal_[t]) mass += predicted(c, g_->lhs_[r]) * g_->probability_[r];
    return length_ == 0 ? mass * g_->start_nonnull_ : mass;
  }
  /// The full conditional distribution of the next token and of the end.
  INDUCT_DECLARE [[nodiscard]] next_token_distribution next_tokens() const;
  /// Items created or updated by completion so far (a cost measure): for S -> "a" S | "a" after n tokens,
  /// n with Leo's memo and n (n + 1) / 2 item by item.
  [[nodiscard]] std::size_t completion_steps() const noexcept { return completion_steps_; }

 private:
  struct item {
    std::uint32_t start;
    std::uint32_t rule;
    std::uint32_t dot;
    long double alpha;  // forward probability / prod of column scales up to this column
    long double gamma;  // inner probability / prod of column scales over its span
  };
  static constexpr std::uint32_t no_rule = std::numeric_limits<std::uint32_t>::max();
  /// T(j, Y) of the header comment, kept in column j: completing Y from j with inner g'' adds
  /// (alpha_factor g'', gamma_factor g'') to item (start, rule, dot); rule == no_rule if not deterministic.
  struct transitive_item {
    symbol_id completed;
    std::uint32_t start, rule, dot;
    long double alpha_factor, gamma_factor;
  };
  using symbol_items = std::vector<std::pair<symbol_id, std::uint32_t>>;  // (symbol after the dot, item), sorted
  struct column {
    std::vector<item> items;                                   // non-predicted items, incomplete ones only once finished
    symbol_items waiting;                                      // by the nonterminal after the dot
    symbol_items scannable;                                    // by the terminal after the dot
    sparse_row predicted;                                      // (Y, sum alpha R_L(Z, Y)), sorted by Y
    long double end_alpha = 0.0L;                              // alpha of the completed dummy item 0: -> S.
    std::vector<transitive_item> transitive;                   // Leo's memo, sorted by completed symbol, lazy
  };

  /// Open-addressing map from item key to index, cleared per column (std::unordered_map was the hot spot).
  class item_index {
   public:
    void clear(std::size_t expected) {
      std::size_t capacity = 64;
      while (capacity < 2 * expected) capacity *= 2;
      if (keys_.size() < capacity || keys_.size() > 8 * capacity) {
        keys_.assign(capacity, empty);
        values_.resize(capacity);
      } else {
        std::fill(keys_.begin(), keys_.end(), empty);
      }
      size_ = 0;
    }
    /// The slot for `key`, inserting `value` if absent; returns (value, inserted).
    std::pair<std::uint32_t, bool> emplace(std::uint64_t key, std::uint32_t value) {
      if (2 * (size_ + 1) > keys_.size()) grow();
      std::size_t mask = keys_.size() - 1;
      for (std::size_t slot = hash(key) & mask;; slot = (slot + 1) & mask) {
        if (keys_[slot] == key) return {values_[slot], false};
        if (keys_[slot] == empty) {
          keys_[slot] = key;
          values_[slot] = value;
          ++size_;
          return {value, true};
        }
      }
    }

   private:
    static constexpr std::uint64_t empty = ~std::uint64_t{0};
    static std::size_t hash(std::uint64_t key) noexcept {
      key ^= key >> 33;
      key *= 0xff51afd7ed558ccdULL;
      key ^= key >> 33;
      return static_cast<std::size_t>(key);
    }
    void grow() {
      std::vector<std::uint64_t> old_keys(std::max<std::size_t>(64, keys_.size() * 2), empty);
      std::vector<std::uint32_t> old_values(old_keys.size());
      old_keys.swap(keys_);
      old_values.swap(values_);
      size_ = 0;
      for (std::size_t k = 0; k < old_keys.size(); ++k)
        if (old_keys[k] != empty) emplace(old_keys[k], old_values[k]);
    }
    std::vector<std::uint64_t> keys_;
    std::vector<std::uint32_t> values_;
    std::size_t size_ = 0;
  };

  void require_possible() const {
    if (dead_) throw error("the prefix has probability 0: " + dead_reason_);
  }

  /// The entries of a (symbol, item) list sorted by symbol that have symbol `s`.
  static std::pair<symbol_items::const_iterator, symbol_items::const_iterator> entries_for(const symbol_items& list,
                                                                                           symbol_id s) {
    return std::equal_range(list.begin(), list.end(), std::make_pair(s, 0U),
                            [](const auto& a, const auto& b) { return a.first < b.first; });
  }

  static long double predicted(const column& c, symbol_id y) {
    auto it = std::lower_bound(c.predicted.begin(), c.predicted.end(), y,
                               [](const auto& e, symbol_id v) { return e.first < v; });
    return it != c.predicted.end() && it->first == y ? it->second : 0.0L;
  }

  static std::uint64_t key(std::uint32_t start, std::uint32_t rule, std::uint32_t dot, std::uint32_t dotted_stride) {
    return (static_cast<std::uint64_t>(start) << 32) | (static_cast<std::uint64_t>(rule) * dotted_stride + dot);
  }

  INDUCT_DECLARE void scan_and_complete(symbol_id t);

  /// The only item completing Y from column j would touch, with its factors; rule == no_rule if none or several.
  INDUCT_DECLARE transitive_item single_target(std::uint32_t j, symbol_id y) const;
  /// T(j, Y), memoising it and the links below it in their columns (iterative: chains may be as long as the prefix).
  INDUCT_DECLARE transitive_item transitive_for(std::uint32_t j, symbol_id y);

  /// Drops complete items, indexes the rest by the symbol after the dot, and computes the predictions.
  INDUCT_DECLARE void finish_column(column& c);

  std::uint32_t max_rule_length() {
    if (max_rule_length_ == 0)
      for (std::uint32_t r = 0; r <= g_->dummy_rule_; ++r) max_rule_length_ = std::max(max_rule_length_, g_->length(r));
    return max_rule_length_;
  }

  const earley_grammar* g_;
  earley_completion completion_ = earley_completion::leo;
  std::size_t completion_steps_ = 0;
  std::vector<column> columns_;
  std::size_t length_ = 0;
  long double log2_scale_ = 0.0L;
  bool dead_ = false;
  std::string dead_reason_;
  std::uint32_t max_rule_length_ = 0;
  item_index index_;
  mutable std::vector<long double> scratch_a_, scratch_b_;  // dense by symbol id, all zero between calls
  std::vector<std::pair<std::uint32_t, transitive_item>> chain_;  // transitive_for's (column, link) walk
};

/// log2 P(w) (inside probability, all derivations); -inf if impossible.
INDUCT_DECLARE long double inside_log2(const earley_grammar& g, std::span<const symbol_id> tokens);

/// log2 P(S =>* w ...) (prefix probability); -inf if impossible.
INDUCT_DECLARE long double prefix_log2(const earley_grammar& g, std::span<const symbol_id> tokens);

/// The next-token distribution after `prefix` (induct::error if the prefix is impossible).
INDUCT_DECLARE next_token_distribution next_tokens(const earley_grammar& g, std::span<const symbol_id> prefix);

/// Splits `text` on whitespace into terminal names (a terminal containing spaces cannot be written this way).
inline std::vector<std::string> split_tokens(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
    std::size_t end = i;
    while (end < text.size() && !(text[end] == ' ' || text[end] == '\t' || text[end] == '\n' || text[end] == '\r')) ++end;
    if (end > i) out.emplace_back(text.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace induct::grammar

#if INDUCT_HEADER_ONLY
#include "induct/grammar/detail/earley_impl.hpp"
#endif
