#pragma once
// The idealized predictor as it was before issue 17 (commit 3b04e84), kept verbatim as a reference for
// the tests: a trie of all chains' step maps and an (x, y) index over all distinct chain maps. It is
// exact but sized by all hypotheses; the library's version (theory/idealized_predictor.hpp) must agree
// with it on every prefix up to long double summation order.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/vocabulary.hpp"
#include "induct/setup/world.hpp"
#include "induct/theory/idealized_predictor.hpp"

namespace induct::theory::testing {

using setup::list_format;
using setup::token_id;

/// Per-world precomputation shared by every trie_predictor state (immutable, thread-safe).
class trie_list_model {
 public:
  explicit trie_list_model(const setup::world& world);

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
  friend class trie_predictor;

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
  void build_trie();

  // The distinct maps of all trie nodes (a node's last step map is its chains' composite map).
  void build_direct_maps();

  [[nodiscard]] std::size_t map_value(std::size_t map, std::size_t x) const noexcept {
    return step_values_[static_cast<std::size_t>(map_node_[map]) * static_cast<std::size_t>(entities_) + x];
  }
  [[nodiscard]] std::size_t node_value(std::size_t node, std::size_t x) const noexcept {
    return step_values_[node * static_cast<std::size_t>(entities_) + x];
  }

  // The chains of a trie node: chains(parent) x {f : f o g_parent = g_node}.
  void append_chains(std::uint32_t node, std::vector<setup::function_chain>& out) const;

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
class trie_predictor {
 public:
  enum class phase { expect_input, expect_colon, in_answer, closed };

  explicit trie_predictor(const trie_list_model& model) : model_(&model) { reset(); }

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
  void start(std::span<const token_id> prefix);

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
  void advance(token_id token, bool known_possible);

 public:

  /// Writes p(t | prefix) for every token of the vocabulary into `out` (resized).
  void next_token_distribution(std::vector<long double>& out) const;

  /// p(token | prefix).
  [[nodiscard]] long double probability(token_id token) const;

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
  [[nodiscard]] std::vector<task_posterior> posterior(std::size_t top = 10) const;

 private:
  [[noreturn]] void impossible(token_id token, const std::string& why) const;

  void advance_frontier(int value);

  // Item done with `;`: keep the hypotheses that emit exactly this item and continue.
  void complete_item();

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

  const trie_list_model* model_;
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

inline trie_list_model::trie_list_model(const setup::world& world) : world_(world), document_(world.config()) {
  entities_ = world_.entity_count();
  functions_ = world_.function_count();
  max_depth_ = world_.config().max_depth;
  for (int f = 0; f < 2; ++f) {
    const auto format = f == 0 ? list_format::direct : list_format::stepwise;
    const auto& law = document_.list_length_law(format);
    const int limit = law.bounded() ? law.max_length() : 0;
    continue_[f].assign(static_cast<std::size_t>(std::max(limit, 1)) + 1, 0.0L);
    unbounded_continue_[f] = law.bounded() ? 0.0L : static_cast<long double>(law.continue_probability(1));
    for (int i = 1; i <= limit; ++i)
      continue_[f][static_cast<std::size_t>(i)] = static_cast<long double>(law.continue_probability(i));
    for (int k = 0; k <= max_depth_; ++k)
      chain_prior_[f].push_back(k == 0 ? 0.0L : std::exp2(static_cast<long double>(document_.log2_task_prior(
                                                              format, setup::function_chain(static_cast<std::size_t>(k), 0)))));
  }
  build_trie();
  build_direct_maps();
}

inline void trie_list_model::build_trie() {
  const auto e = static_cast<std::size_t>(entities_);
  nodes_.push_back(trie_node{});
  nodes_[0].chain_count = 1;  // the empty chain, the root of every chain
  step_values_.resize(e);
  for (std::size_t x = 0; x < e; ++x) step_values_[x] = static_cast<std::uint16_t>(x);
  std::vector<std::uint16_t> candidate(e);
  std::vector<std::vector<std::uint32_t>> functions_of_child;
  std::size_t level_begin = 0, level_end = 1;
  for (int depth = 1; depth <= max_depth_; ++depth) {
    for (std::size_t parent = level_begin; parent < level_end; ++parent) {
      nodes_[parent].first_child = static_cast<std::uint32_t>(nodes_.size());
      const std::size_t children_begin = nodes_.size();
      functions_of_child.clear();
      for (int f = 0; f < functions_; ++f) {
        const auto& table = world_.table(f);
        for (std::size_t x = 0; x < e; ++x)
          candidate[x] = static_cast<std::uint16_t>(table[step_values_[parent * e + x]]);
        std::size_t child = children_begin;
        for (; child < nodes_.size(); ++child)
          if (std::equal(candidate.begin(), candidate.end(), step_values_.begin() + static_cast<std::ptrdiff_t>(child * e)))
            break;
        if (child == nodes_.size()) {
          trie_node node;
          node.parent = static_cast<std::uint32_t>(parent);
          node.depth = static_cast<std::uint32_t>(depth);
          nodes_.push_back(node);
          step_values_.insert(step_values_.end(), candidate.begin(), candidate.end());
          functions_of_child.emplace_back();
        }
        functions_of_child[child - children_begin].push_back(static_cast<std::uint32_t>(f));
      }
      nodes_[parent].child_count = static_cast<std::uint32_t>(nodes_.size() - children_begin);
      for (std::size_t child = children_begin; child < nodes_.size(); ++child) {
        auto& node = nodes_[child];
        const auto& fs = functions_of_child[child - children_begin];
        node.functions_offset = static_cast<std::uint32_t>(node_functions_.size());
        node.function_count = static_cast<std::uint32_t>(fs.size());
        node_functions_.insert(node_functions_.end(), fs.begin(), fs.end());
        node.chain_count = nodes_[parent].chain_count * node.function_count;
        node.terminal_prior = static_cast<long double>(node.chain_count) * chain_prior(list_format::stepwise, depth);
        node.path_offset = static_cast<std::uint32_t>(paths_.size());
        const auto& parent_node = nodes_[parent];
        for (std::uint32_t d = 0; d + 1 < static_cast<std::uint32_t>(depth); ++d) paths_.push_back(paths_[parent_node.path_offset + d]);
        paths_.push_back(static_cast<std::uint32_t>(child));
      }
    }
    level_begin = level_end;
    level_end = nodes_.size();
  }
  for (std::size_t i = nodes_.size(); i-- > 1;) {
    nodes_[i].subtree_prior += nodes_[i].terminal_prior;
    nodes_[nodes_[i].parent].subtree_prior += nodes_[i].subtree_prior;
  }
}

inline void trie_list_model::build_direct_maps() {
  const auto e = static_cast<std::size_t>(entities_);
  std::unordered_map<std::string, std::uint32_t> seen;
  std::vector<std::vector<std::uint32_t>> nodes_of_map;
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    const std::string key(reinterpret_cast<const char*>(step_values_.data() + i * e), e * sizeof(std::uint16_t));
    auto [it, inserted] = seen.emplace(key, static_cast<std::uint32_t>(map_prior_.size()));
    if (inserted) {
      map_prior_.push_back(0.0L);
      map_node_.push_back(static_cast<std::uint32_t>(i));
      nodes_of_map.emplace_back();
    }
    map_prior_[it->second] += static_cast<long double>(nodes_[i].chain_count) *
                              chain_prior(list_format::direct, static_cast<int>(nodes_[i].depth));
    nodes_of_map[it->second].push_back(static_cast<std::uint32_t>(i));
  }
  map_nodes_offset_.push_back(0);
  for (const auto& list : nodes_of_map) {
    map_nodes_.insert(map_nodes_.end(), list.begin(), list.end());
    map_nodes_offset_.push_back(static_cast<std::uint32_t>(map_nodes_.size()));
  }
  // For every (x, y): the maps with phi(x) = y and their summed prior (the n = 0 marginal).
  direct_marginal_.assign(e * e, 0.0L);
  std::vector<std::uint32_t> counts(e * e + 1, 0);
  for (std::size_t m = 0; m < map_prior_.size(); ++m)
    for (std::size_t x = 0; x < e; ++x) {
      const std::size_t y = map_value(m, x);
      ++counts[x * e + y + 1];
      direct_marginal_[x * e + y] += map_prior_[m];
    }
  for (std::size_t i = 1; i < counts.size(); ++i) counts[i] += counts[i - 1];
  xy_offset_ = counts;
  xy_maps_.assign(counts.back(), 0);
  for (std::size_t m = 0; m < map_prior_.size(); ++m)
    for (std::size_t x = 0; x < e; ++x) xy_maps_[counts[x * e + map_value(m, x)]++] = static_cast<std::uint32_t>(m);
}

inline void trie_list_model::append_chains(std::uint32_t node, std::vector<setup::function_chain>& out) const {
  if (node == 0) {
    out.emplace_back();
    return;
  }
  std::vector<setup::function_chain> prefixes;
  append_chains(nodes_[node].parent, prefixes);
  const auto& n = nodes_[node];
  for (const auto& prefix : prefixes)
    for (std::uint32_t i = 0; i < n.function_count; ++i) {
      out.push_back(prefix);
      out.back().push_back(static_cast<int>(node_functions_[n.functions_offset + i]));
    }
}

inline void trie_predictor::start(std::span<const token_id> prefix) {
  if (prefix.size() < 2 || prefix[0] != setup::vocabulary::document || prefix[1] != setup::vocabulary::open_list)
    throw error("idealized predictor: a list prompt must start with '<d> [' (its first segment is a list)");
  reset();
  for (std::size_t i = 2; i < prefix.size(); ++i) advance(prefix[i]);
}

inline void trie_predictor::advance(token_id token, bool known_possible) {
  const auto& vocab = model_->world_.vocab();
  const auto entity = vocab.entity_index(token);
  switch (phase_) {
    case phase::expect_input:
      if (!entity) impossible(token, "an item starts with an entity");
      input_ = *entity;
      phase_ = phase::expect_colon;
      break;
    case phase::expect_colon:
      if (token != setup::vocabulary::colon) impossible(token, "an item's entity is followed by ':'");
      phase_ = phase::in_answer;
      partial_.clear();
      if (items_ == 0) frontier_.assign(1, 0);
      break;
    case phase::in_answer:
      if (!known_possible && !(probability(token) > 0.0L))
        impossible(token, "no list task consistent with the prompt emits it here");
      if (entity) {
        partial_.push_back(*entity);
        if (items_ == 0) advance_frontier(*entity);
      } else if (token == setup::vocabulary::semicolon) {
        complete_item();
      } else {
        phase_ = phase::closed;
      }
      break;
    case phase::closed:
      throw error("idealized predictor: token " + std::to_string(position_) +
                  " follows the end of the list ']'; this predictor covers only the prompt's first list");
  }
  ++position_;
}

inline void trie_predictor::next_token_distribution(std::vector<long double>& out) const {
  out.assign(model_->vocabulary_size(), 0.0L);
  const auto& vocab = model_->world_.vocab();
  switch (phase_) {
    case phase::expect_input: {
      const long double p = 1.0L / static_cast<long double>(model_->entities_);
      for (int x = 0; x < model_->entities_; ++x) out[vocab.entity(x)] = p;
      return;
    }
    case phase::expect_colon:
      out[setup::vocabulary::colon] = 1.0L;
      return;
    case phase::closed:
      throw error("idealized predictor: the list is closed; its continuation is outside this predictor");
    case phase::in_answer:
      break;
  }
  long double total = 0.0L;
  for_each_prediction([&](token_id t, long double weight) {
    out[t] += weight;
    total += weight;
  });
  if (!(total > 0.0L)) throw error("idealized predictor: no list task is consistent with the prompt");
  for (auto& p : out) p /= total;
}

inline long double trie_predictor::probability(token_id token) const {
  switch (phase_) {
    case phase::expect_input:
      return model_->world_.vocab().entity_index(token) ? 1.0L / static_cast<long double>(model_->entities_) : 0.0L;
    case phase::expect_colon:
      return token == setup::vocabulary::colon ? 1.0L : 0.0L;
    case phase::closed:
      throw error("idealized predictor: the list is closed; its continuation is outside this predictor");
    case phase::in_answer:
      break;
  }
  long double total = 0.0L, mass = 0.0L;
  for_each_prediction([&](token_id t, long double weight) {
    total += weight;
    if (t == token) mass += weight;
  });
  if (!(total > 0.0L)) throw error("idealized predictor: no list task is consistent with the prompt");
  return mass / total;
}

inline std::vector<task_posterior> trie_predictor::posterior(std::size_t top) const {
  struct weighted_node {
    list_format format;
    std::uint32_t node;
    long double weight;
  };
  std::vector<weighted_node> weighted;
  long double total = 0.0L;
  for_each_hypothesis([&](list_format format, std::uint32_t node, long double weight) {
    weighted.push_back({format, node, weight});
    total += weight;
  });
  if (!(total > 0.0L)) throw error("idealized predictor: no list task is consistent with the prompt");
  std::vector<task_posterior> result;
  std::vector<setup::function_chain> chains;
  for (const auto& w : weighted) {
    chains.clear();
    model_->append_chains(w.node, chains);
    const long double each = w.weight / static_cast<long double>(chains.size()) / total;
    for (auto& chain : chains) result.push_back({w.format, std::move(chain), static_cast<double>(each)});
  }
  std::stable_sort(result.begin(), result.end(), [](const task_posterior& a, const task_posterior& b) {
    return a.probability > b.probability;
  });
  if (result.size() > top) result.resize(top);
  return result;
}

inline void trie_predictor::impossible(token_id token, const std::string& why) const {
  throw error("impossible list prompt: token " + std::to_string(position_) + " '" +
              model_->world_.vocab().name(token) + "' has probability 0 under the pretraining distribution (" + why + ")");
}

inline void trie_predictor::advance_frontier(int value) {
  next_frontier_.clear();
  for (std::uint32_t node : frontier_) {
    const auto& n = model_->nodes_[node];
    for (std::uint32_t c = n.first_child; c < n.first_child + n.child_count; ++c)
      if (static_cast<int>(model_->node_value(c, static_cast<std::size_t>(input_))) == value) next_frontier_.push_back(c);
  }
  frontier_.swap(next_frontier_);
}

inline void trie_predictor::complete_item() {
  const auto j = static_cast<int>(partial_.size());
  const auto e = static_cast<std::size_t>(model_->entities_);
  const auto x = static_cast<std::size_t>(input_);
  if (items_ == 0) {
    alive_maps_.clear();
    if (j == 1) {
      const std::size_t cell = x * e + static_cast<std::size_t>(partial_[0]);
      alive_maps_.assign(model_->xy_maps_.begin() + model_->xy_offset_[cell],
                         model_->xy_maps_.begin() + model_->xy_offset_[cell + 1]);
    }
    alive_nodes_.clear();
    for (std::uint32_t node : frontier_)
      if (model_->nodes_[node].terminal_prior > 0.0L) alive_nodes_.push_back(node);
  } else {
    if (j == 1) {
      std::erase_if(alive_maps_, [&](std::uint32_t m) {
        return static_cast<int>(model_->map_value(m, x)) != partial_[0];
      });
    } else {
      alive_maps_.clear();
    }
    if (j == answer_length_) {
      std::erase_if(alive_nodes_, [&](std::uint32_t node) { return !node_matches(node, j); });
    } else {
      alive_nodes_.clear();
    }
  }
  answer_length_ = j;
  ++items_;
  length_factor_[0] *= model_->continue_probability(list_format::direct, items_);
  length_factor_[1] *= model_->continue_probability(list_format::stepwise, items_);
  phase_ = phase::expect_input;
  partial_.clear();
}

template <class Visit>
void trie_predictor::for_each_hypothesis(Visit&& visit) const {
  const auto x = static_cast<std::size_t>(input_);
  const auto j = static_cast<int>(partial_.size());
  const bool in_item = phase_ == phase::in_answer;
  if (items_ == 0) {
    if (!in_item || j <= 1) {
      for (std::size_t m = 0; m < model_->map_prior_.size(); ++m)
        if (!in_item || j == 0 || static_cast<int>(model_->map_value(m, x)) == partial_[0])
          for (std::uint32_t i = model_->map_nodes_offset_[m]; i < model_->map_nodes_offset_[m + 1]; ++i) {
            const std::uint32_t node = model_->map_nodes_[i];
            visit(list_format::direct, node,
                  static_cast<long double>(model_->nodes_[node].chain_count) *
                      model_->chain_prior(list_format::direct, static_cast<int>(model_->nodes_[node].depth)));
          }
    }
    // Stepwise: every node below the frontier (each frontier node stands for its subtree).
    std::vector<std::uint32_t> stack(frontier_.begin(), frontier_.end());
    if (!in_item) stack.assign(1, 0);
    while (!stack.empty()) {
      const std::uint32_t node = stack.back();
      stack.pop_back();
      const auto& n = model_->nodes_[node];
      if (n.terminal_prior > 0.0L) visit(list_format::stepwise, node, n.terminal_prior);
      for (std::uint32_t c = n.first_child; c < n.first_child + n.child_count; ++c) stack.push_back(c);
    }
    return;
  }
  if (!in_item || j <= 1)
    for (std::uint32_t m : alive_maps_)
      if (!in_item || j == 0 || static_cast<int>(model_->map_value(m, x)) == partial_[0])
        for (std::uint32_t i = model_->map_nodes_offset_[m]; i < model_->map_nodes_offset_[m + 1]; ++i) {
          const std::uint32_t node = model_->map_nodes_[i];
          visit(list_format::direct, node,
                length_factor_[0] * static_cast<long double>(model_->nodes_[node].chain_count) *
                    model_->chain_prior(list_format::direct, static_cast<int>(model_->nodes_[node].depth)));
        }
  for (std::uint32_t node : alive_nodes_)
    if (!in_item || (j <= answer_length_ && node_matches(node, j)))
      visit(list_format::stepwise, node, length_factor_[1] * model_->nodes_[node].terminal_prior);
}

template <class Visit>
void trie_predictor::for_each_prediction(Visit&& visit) const {
  const auto& m = *model_;
  const auto& vocab = m.world_.vocab();
  const auto e = static_cast<std::size_t>(m.entities_);
  const auto x = static_cast<std::size_t>(input_);
  const auto j = static_cast<int>(partial_.size());
  const int next_item = items_ + 1;
  const long double direct_continue = m.continue_probability(list_format::direct, next_item);
  const long double stepwise_continue = m.continue_probability(list_format::stepwise, next_item);
  long double direct_stop = 0.0L, stepwise_stop = 0.0L;
  if (items_ == 0) {
    if (j == 0) {
      for (std::size_t y = 0; y < e; ++y)
        if (m.direct_marginal_[x * e + y] > 0.0L) visit(vocab.entity(static_cast<int>(y)), m.direct_marginal_[x * e + y]);
    } else if (j == 1) {
      direct_stop = m.direct_marginal_[x * e + static_cast<std::size_t>(partial_[0])];
    }
    for (std::uint32_t node : frontier_) {
      const auto& n = m.nodes_[node];
      stepwise_stop += n.terminal_prior;
      for (std::uint32_t c = n.first_child; c < n.first_child + n.child_count; ++c)
        if (m.nodes_[c].subtree_prior > 0.0L)
          visit(vocab.entity(static_cast<int>(m.node_value(c, x))), m.nodes_[c].subtree_prior);
    }
  } else {
    if (j == 0) {
      for (std::uint32_t map : alive_maps_)
        visit(vocab.entity(static_cast<int>(m.map_value(map, x))), length_factor_[0] * m.map_prior_[map]);
    } else if (j == 1) {
      for (std::uint32_t map : alive_maps_)
        if (static_cast<int>(m.map_value(map, x)) == partial_[0]) direct_stop += length_factor_[0] * m.map_prior_[map];
    }
    if (j <= answer_length_)
      for (std::uint32_t node : alive_nodes_) {
        if (!node_matches(node, j)) continue;
        const long double weight = length_factor_[1] * m.nodes_[node].terminal_prior;
        if (j == answer_length_) {
          stepwise_stop += weight;
        } else {
          const std::uint32_t step = m.paths_[m.nodes_[node].path_offset + static_cast<std::uint32_t>(j)];
          visit(vocab.entity(static_cast<int>(m.node_value(step, x))), weight);
        }
      }
  }
  // The end of the item: `;` if the list goes on, `]` if it ends here.
  const long double more = direct_stop * direct_continue + stepwise_stop * stepwise_continue;
  const long double done = direct_stop * (1.0L - direct_continue) + stepwise_stop * (1.0L - stepwise_continue);
  if (more > 0.0L) visit(setup::vocabulary::semicolon, more);
  if (done > 0.0L) visit(setup::vocabulary::close_list, done);
}

}  // namespace induct::theory::testing
