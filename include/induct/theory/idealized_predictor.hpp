#pragma once
// The idealized predictor on list prompts, fast and exact: the next-token distribution of the
// pretraining distribution (setup::document_model) given a prefix `<d> [ x1 : a1 ; ... ; x : z1..zj`
// whose first segment is a list, computed as an exact posterior over list tasks.
//
// Hypotheses h = (format, chain), prior pi(h) = P(format, chain | list). Given n complete items
// (each followed by `;`) the likelihood of h is
//   L(h) = prod_{i=1..n} [ 1/E * 1{item i is what h emits on x_i} * c_F(i) ],
// with c_F(i) = P(n > i | n >= i) the continue probability of the format's length law. The 1/E
// and the `:` factors are common to all hypotheses and cancel. A direct h emits one value phi(x),
// a stepwise h of depth k emits the k step values, so after the first item only direct hypotheses
// and stepwise hypotheses of the observed depth survive. Within the current item (answers z1..zj
// so far) h predicts its next value, or the end of the item: `;` with c_F(n+1), `]` otherwise.
//   p(t | prefix) = sum_h pi(h) L(h) 1{h agrees with z1..zj} P(t | h, ...) / same sum without P(t|.)
// The `<d> [` prefix is conditioned on: the predictor starts after it (so P(list) cancels).
//
// Cost follows the hypotheses still consistent with the prompt, not all m + ... + m^K chains:
// * Stepwise: every step value is observed, so each observation constrains one function only. The
//   stepwise chains of depth k consistent with the items are a product F_1 x ... x F_k with
//   F_i = {f : f(z_{i-1}) = z_i on every item} (z_0 = x): kept as k function sets, O(m k) per item.
// * Direct: a chain of depth d + 1 is f o g with g a prefix of depth d <= K - 1. Per world we keep
//   the distinct maps g of the prefixes of each depth d (weight w(g) = #chains of depth d denoting g
//   times the direct prior of depth d + 1, equal for every f), and for every (x, z) the prefixes with
//   g(x) = z. A direct class (f, g) denotes f o g. The classes consistent with one item (x, y) are
//     A(x, y) = U_{(f, z): f(z) = y} {f} x {g : g(x) = z},
//   read straight from the index (no copy); the second item keeps A(x1, y1) & A(x2, y2), listed from
//   the smaller side; later items filter that list. The n = 0 answer law is precomputed per (x, y).
//   Memory: the prefix maps (sum_{d<K} m^d at most, 33,825 for m = 32, K = 4) times E, not the chains.
// All weights are long double.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/vocabulary.hpp"
#include "induct/setup/world.hpp"

namespace induct::theory {

using setup::list_format;
using setup::list_task;
using setup::token_id;

/// One hypothesis of the posterior: a list task and its posterior probability.
struct task_posterior {
  list_format format;
  setup::function_chain chain;
  double probability;
};

/// Per-world precomputation shared by every idealized_predictor state (immutable, thread-safe).
class idealized_list_model {
 public:
  /// resource_error if the prefix maps or the E x E tables do not fit in the available memory.
  INDUCT_DECLARE explicit idealized_list_model(const setup::world& world);

  [[nodiscard]] const setup::world& world() const noexcept { return world_; }
  [[nodiscard]] const setup::document_model& document() const noexcept { return document_; }
  [[nodiscard]] int entity_count() const noexcept { return entities_; }
  [[nodiscard]] int max_depth() const noexcept { return max_depth_; }
  [[nodiscard]] std::size_t vocabulary_size() const noexcept { return world_.vocab().size(); }
  /// Distinct maps of the chain prefixes of depth 0..K-1, counted once per depth (the direct index).
  [[nodiscard]] std::size_t prefix_map_count() const noexcept { return prefix_weight_.size(); }

  /// c_F(i) = P(another item after item i | format), i >= 1.
  [[nodiscard]] long double continue_probability(list_format format, int item) const noexcept {
    const auto f = index(format);
    if (item < 1) return 0.0L;
    if (continue_[f].size() <= 1) return unbounded_continue_[f];
    if (static_cast<std::size_t>(item) >= continue_[f].size()) return 0.0L;
    return continue_[f][static_cast<std::size_t>(item)];
  }
  /// P(format, chain | list) of any chain of depth k in `format`.
  [[nodiscard]] long double chain_prior(list_format format, int depth) const noexcept {
    if (depth < 1 || depth > max_depth_) return 0.0L;
    return chain_prior_[index(format)][static_cast<std::size_t>(depth)];
  }

 private:
  friend class idealized_predictor;

  static std::size_t index(list_format format) noexcept { return format == list_format::direct ? 0 : 1; }

  // Level by level (depth 0..K-1): the distinct maps f o g of the previous level's maps g, with their
  // chain counts and the (g, f) edges that reach them; then the column-major value table.
  INDUCT_DECLARE void build_prefix_maps();

  // The (x, z) -> prefixes index over the prefixes of positive weight, the preimages of the functions
  // and the n = 0 answer law.
  INDUCT_DECLARE void build_direct_index();

  // sum_d counts[d] P(direct, depth d + 1 | list) for chain counts per prefix depth d = 0..K-1: answers
  // with equal counts get bit-equal masses, so exact ties stay ties for argmax.
  [[nodiscard]] long double direct_mass(const long double* counts) const noexcept {
    long double mass = 0.0L;
    for (int d = 0; d < max_depth_; ++d)
      if (counts[d] > 0.0L) mass += counts[d] * chain_prior(list_format::direct, d + 1);
    return mass;
  }
  [[nodiscard]] std::size_t prefix_value(std::uint32_t prefix, std::size_t x) const noexcept {
    return prefix_values_[x * prefix_weight_.size() + prefix];
  }
  [[nodiscard]] std::size_t apply(std::uint32_t function, std::size_t value) const noexcept {
    return tables_[static_cast<std::size_t>(function) * static_cast<std::size_t>(entities_) + value];
  }

  // The chains of depth d denoting prefix map `prefix` of level d (d = prefix_depth_[prefix]).
  INDUCT_DECLARE void append_prefix_chains(std::uint32_t prefix, std::vector<setup::function_chain>& out) const;

  setup::world world_;
  setup::document_model document_;
  int entities_ = 0;
  int functions_ = 0;
  int max_depth_ = 0;
  std::vector<long double> continue_[2];        // c_F(i), i = 0..max (bounded laws)
  long double unbounded_continue_[2] = {0.0L, 0.0L};
  std::vector<long double> chain_prior_[2];     // P(format, one chain of depth k | list)
  std::vector<long double> stepwise_extension_prior_;  // index d: sum_{k=d..K} m^(k-d) P(stepwise, depth k)
  std::vector<std::uint32_t> tables_;           // f * E + v -> f(v)
  std::vector<std::uint32_t> preimage_offset_;  // y -> (f, z) with f(z) = y, in preimage_ (CSR)
  struct step {
    std::uint32_t function;
    std::uint32_t value;
  };
  std::vector<step> preimage_;

  std::vector<std::uint16_t> prefix_values_;    // x * P + g -> g(x), P = prefix_map_count()
  std::vector<std::uint32_t> prefix_depth_;     // g -> its level d
  std::vector<long double> prefix_chain_count_; // g -> chains of depth d denoting g
  std::vector<long double> prefix_weight_;      // g -> chain count * P(direct, depth d + 1 | list)
  std::vector<std::uint32_t> parent_offset_;    // g -> (parent, f) with f o parent = g, in parents_ (CSR)
  std::vector<step> parents_;                   // .value holds the parent prefix
  std::vector<std::uint32_t> prefix_at_offset_, prefix_at_;  // (x * E + z) -> prefixes with g(x) = z (CSR)
  std::vector<long double> direct_marginal_;    // x * E + y -> sum over classes with f(g(x)) = y of w(g)
};

/// The state of the idealized predictor inside one list prompt. A value type: copy it to branch
/// (greedy generation from a prompt). Tokens are fed one at a time after `<d> [`.
class idealized_predictor {
 public:
  enum class phase { expect_input, expect_colon, in_answer, closed };

  explicit idealized_predictor(const idealized_list_model& model) : model_(&model) { reset(); }

  /// Back to the state right after `<d> [`.
  void reset() {
    phase_ = phase::expect_input;
    items_ = 0;
    answer_length_ = 0;
    input_ = 0;
    position_ = 2;
    partial_.clear();
    first_item_ = {0, 0};
    direct_alive_.clear();
    direct_candidates_.clear();
    candidate_weight_ = 0.0L;
    step_sets_.clear();
    item_sets_.clear();
    stepwise_alive_ = true;
    length_factor_[0] = length_factor_[1] = 1.0L;
  }

  /// Resets and feeds a whole prefix, which must start with `<d> [`.
  INDUCT_DECLARE void start(std::span<const token_id> prefix);

  [[nodiscard]] phase current_phase() const noexcept { return phase_; }
  /// Items completed (each followed by `;`).
  [[nodiscard]] int completed_items() const noexcept { return items_; }
  /// Values emitted so far in the current item (after its `:`).
  [[nodiscard]] const std::vector<int>& current_answer() const noexcept { return partial_; }
  [[nodiscard]] int current_input() const noexcept { return input_; }

  /// Feeds one token; error if it has probability 0 given the prefix (an impossible prompt). On that
  /// error the state is unchanged.
  INDUCT_DETAIL void advance(token_id token) { advance(token, false); }

  /// Feeds a token whose probability the caller has already found positive (skips the re-check
  /// of the end-of-item tokens; structural checks remain).
  INDUCT_DETAIL void advance_checked(token_id token) { advance(token, true); }

 private:
  INDUCT_DECLARE void advance(token_id token, bool known_possible);

 public:

  /// Writes p(t | prefix) for every token of the vocabulary into `out` (resized).
  INDUCT_DECLARE void next_token_distribution(std::vector<long double>& out) const;

  /// p(token | prefix).
  INDUCT_DECLARE [[nodiscard]] long double probability(token_id token) const;

  /// The most probable next token (ties: the smallest token id) and its probability.
  [[nodiscard]] std::pair<token_id, long double> argmax(std::vector<long double>& scratch) const {
    next_token_distribution(scratch);
    std::size_t best = 0;
    for (std::size_t t = 1; t < scratch.size(); ++t)
      if (scratch[t] > scratch[best]) best = t;
    return {static_cast<token_id>(best), scratch[best]};
  }

  /// Posterior over list tasks (format, chain) given the prefix, most probable first (ties: direct
  /// first, then by setup::document_model::chain_index), at most `top`. Counts the current item's
  /// values so far. Only the hypotheses up to the `top`-th one's probability are listed out.
  INDUCT_DECLARE [[nodiscard]] std::vector<task_posterior> posterior(std::size_t top = 10) const;

 private:
  // A direct class: the chains f o g for the chains g of one prefix map.
  struct direct_class {
    std::uint32_t prefix;
    std::uint32_t function;
  };
  // Function sets per step level, flat: level i is functions[offsets[i] .. offsets[i + 1]).
  struct function_sets {
    std::vector<std::uint32_t> functions;
    std::vector<std::uint32_t> offsets{0};
    void clear() {
      functions.clear();
      offsets.assign(1, 0);
    }
    [[nodiscard]] std::size_t levels() const noexcept { return offsets.size() - 1; }
    [[nodiscard]] std::span<const std::uint32_t> level(std::size_t i) const noexcept {
      return {functions.data() + offsets[i], offsets[i + 1] - offsets[i]};
    }
    void close_level() { offsets.push_back(static_cast<std::uint32_t>(functions.size())); }
  };

  INDUCT_DECLARE [[noreturn]] void impossible(token_id token, const std::string& why) const;

  // The current item's value `value` arrived: the direct classes and stepwise sets that emit it
  // (into direct_candidates_/candidate_weight_ and item_sets_); false if no hypothesis of positive
  // weight does (the state is then unchanged).
  INDUCT_DECLARE bool observe_value(int value);

  // Item done with `;`: keep the hypotheses that emit exactly this item and continue.
  INDUCT_DECLARE void complete_item();

  // Calls visit(class) for the direct classes consistent with the completed items (none once
  // direct is ruled out): A(x1, y1) read from the index after one item, direct_alive_ after more.
  template <class Visit>
  void for_each_alive_direct(Visit&& visit) const;

  // Number of stepwise chains consistent with the prefix whose step `skip` (0-based; none if >= the
  // levels) is left free: the product of the current item's sets F'_i before it and step_sets_ after.
  INDUCT_DECLARE [[nodiscard]] long double stepwise_product(std::size_t skip) const noexcept;

  // Calls visit(token, weight) with every hypothesis class's prediction of the next token in the
  // current item (phase in_answer); the weights are unnormalised posterior masses.
  template <class Visit>
  void for_each_prediction(Visit&& visit) const;

  const idealized_list_model* model_;
  phase phase_ = phase::expect_input;
  int items_ = 0;
  int answer_length_ = 0;  // values per item of the completed items
  int input_ = 0;
  std::size_t position_ = 2;
  std::vector<int> partial_;
  std::pair<int, int> first_item_{0, 0};        // (x1, y1) while one direct item is complete
  std::vector<direct_class> direct_alive_;      // direct classes consistent with >= 2 completed items
  std::vector<direct_class> direct_candidates_; // items >= 1: alive classes that emit the item's first value
  long double candidate_weight_ = 0.0L;         // their summed w(g)
  function_sets step_sets_;   // first item: F_1..F_j so far; later: F_1..F_k of the completed items
  function_sets item_sets_;   // items >= 1: F'_1..F'_j, the levels of step_sets_ that emit this item so far
  bool stepwise_alive_ = true;  // some stepwise chain of positive prior is consistent with the prefix
  long double length_factor_[2] = {1.0L, 1.0L};  // prod_{i<=items} c_F(i)
};

}  // namespace induct::theory

#if INDUCT_HEADER_ONLY
#include "induct/theory/detail/idealized_predictor_impl.hpp"
#endif
