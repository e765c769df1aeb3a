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
// Speed: per world we precompute (a) the distinct maps of all chains with the summed direct
// prior of the chains denoting each, and for every (x, y) the maps with phi(x) = y; (b) a trie of
// step-map sequences (f_1, f_2 o f_1, ...) with the summed stepwise prior of the chains of each
// node, so stepwise hypotheses are pruned by the observed steps. All weights are long double.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
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
  INDUCT_DECLARE explicit idealized_list_model(const setup::world& world);

  [[nodiscard]] const setup::world& world() const noexcept { return world_; }
  [[nodiscard]] const setup::document_model& document() const noexcept { return document_; }
  [[nodiscard]] int entity_count() const noexcept { return entities_; }
  [[nodiscard]] int max_depth() const noexcept { return max_depth_; }
  [[nodiscard]] std::size_t vocabulary_size() const noexcept { return world_.vocab().size(); }
  [[nodiscard]] std::size_t distinct_map_count() const noexcept { return map_prior_.size(); }
  [[nodiscard]] std::size_t step_trie_size() const noexcept { return nodes_.size(); }

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

  struct trie_node {
    std::uint32_t parent = 0;
    std::uint32_t depth = 0;
    std::uint32_t first_child = 0;
    std::uint32_t child_count = 0;
    std::uint32_t path_offset = 0;        // node ids of the path, depth 1..depth, in paths_
    std::uint32_t chain_count = 0;        // chains of exactly this depth with this step sequence
    std::uint32_t functions_offset = 0;   // functions f with f o g_parent = g_node, in node_functions_
    std::uint32_t function_count = 0;
    long double terminal_prior = 0.0L;    // summed stepwise prior of those chains
    long double subtree_prior = 0.0L;     // terminal priors of the node and all its descendants
  };

  static std::size_t index(list_format format) noexcept { return format == list_format::direct ? 0 : 1; }

  // Level by level, so a node's children are contiguous; children merge when their step maps agree.
  INDUCT_DECLARE void build_trie();

  // The distinct maps of all trie nodes (a node's last step map is its chains' composite map).
  INDUCT_DECLARE void build_direct_maps();

  [[nodiscard]] std::size_t map_value(std::size_t map, std::size_t x) const noexcept {
    return step_values_[static_cast<std::size_t>(map_node_[map]) * static_cast<std::size_t>(entities_) + x];
  }
  [[nodiscard]] std::size_t node_value(std::size_t node, std::size_t x) const noexcept {
    return step_values_[node * static_cast<std::size_t>(entities_) + x];
  }

  // The chains of a trie node: chains(parent) x {f : f o g_parent = g_node}.
  INDUCT_DECLARE void append_chains(std::uint32_t node, std::vector<setup::function_chain>& out) const;

  setup::world world_;
  setup::document_model document_;
  int entities_ = 0;
  int functions_ = 0;
  int max_depth_ = 0;
  std::vector<long double> continue_[2];        // c_F(i), i = 0..max (bounded laws)
  long double unbounded_continue_[2] = {0.0L, 0.0L};
  std::vector<long double> chain_prior_[2];     // P(format, one chain of depth k | list)

  std::vector<trie_node> nodes_;                // node 0 is the root (depth 0, identity map)
  std::vector<std::uint16_t> step_values_;      // node * E + x -> g_node(x)
  std::vector<std::uint32_t> paths_;
  std::vector<std::uint32_t> node_functions_;

  std::vector<long double> map_prior_;          // summed direct prior of the chains denoting the map
  std::vector<std::uint32_t> map_node_;         // a trie node whose last step map is the map
  std::vector<std::uint32_t> map_nodes_offset_, map_nodes_;  // all such nodes (CSR)
  std::vector<long double> direct_marginal_;    // x * E + y -> sum of map priors with phi(x) = y
  std::vector<std::uint32_t> xy_offset_, xy_maps_;  // (x, y) -> maps with phi(x) = y (CSR)
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
    alive_maps_.clear();
    alive_nodes_.clear();
    frontier_.assign(1, 0);
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

  /// Feeds one token; error if it has probability 0 given the prefix (an impossible prompt).
  void advance(token_id token) { advance(token, false); }

  /// Feeds a token whose probability the caller has already found positive (skips the re-check
  /// of the answer and end-of-item tokens; structural checks remain).
  void advance_checked(token_id token) { advance(token, true); }

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

  /// Posterior over list tasks (format, chain) given the prefix, most probable first, at most `top`.
  /// Counts the current item's values so far; chains behaving alike share their map's likelihood.
  INDUCT_DECLARE [[nodiscard]] std::vector<task_posterior> posterior(std::size_t top = 10) const;

 private:
  INDUCT_DECLARE [[noreturn]] void impossible(token_id token, const std::string& why) const;

  INDUCT_DECLARE void advance_frontier(int value);

  // Item done with `;`: keep the hypotheses that emit exactly this item and continue.
  INDUCT_DECLARE void complete_item();

  // Whether the first `j` step values of a depth >= j node on the current input equal partial_.
  [[nodiscard]] bool node_matches(std::uint32_t node, int j) const noexcept {
    const auto& n = model_->nodes_[node];
    for (int d = 0; d < j; ++d)
      if (static_cast<int>(model_->node_value(model_->paths_[n.path_offset + static_cast<std::uint32_t>(d)],
                                              static_cast<std::size_t>(input_))) != partial_[static_cast<std::size_t>(d)])
        return false;
    return true;
  }

  // Calls visit(format, trie node, weight) for every hypothesis class consistent with the prefix
  // and able to continue it (within the current item). Direct classes are reported by one trie
  // node of their map (weight = the map's summed prior), stepwise ones by their trie node.
  template <class Visit>
  void for_each_hypothesis(Visit&& visit) const;

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
  std::vector<std::uint32_t> alive_maps_;   // direct maps consistent with the completed items
  std::vector<std::uint32_t> alive_nodes_;  // stepwise trie nodes (depth answer_length_) consistent with them
  std::vector<std::uint32_t> frontier_;     // first item: trie nodes at depth |partial_| consistent with it
  std::vector<std::uint32_t> next_frontier_;
  long double length_factor_[2] = {1.0L, 1.0L};  // prod_{i<=items} c_F(i)
};

}  // namespace induct::theory

#if INDUCT_HEADER_ONLY
#include "induct/theory/detail/idealized_predictor_impl.hpp"
#endif
