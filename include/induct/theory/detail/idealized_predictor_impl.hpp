#pragma once
// Definitions for theory/idealized_predictor.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/vocabulary.hpp"
#include "induct/setup/world.hpp"
#include "induct/theory/idealized_predictor.hpp"

namespace induct::theory {

INDUCT_DEFINE idealized_list_model::idealized_list_model(const setup::world& world) : world_(world), document_(world.config()) {
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

INDUCT_DEFINE void idealized_list_model::build_trie() {
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

INDUCT_DEFINE void idealized_list_model::build_direct_maps() {
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

INDUCT_DEFINE void idealized_list_model::append_chains(std::uint32_t node, std::vector<setup::function_chain>& out) const {
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

INDUCT_DEFINE void idealized_predictor::start(std::span<const token_id> prefix) {
  if (prefix.size() < 2 || prefix[0] != setup::vocabulary::document || prefix[1] != setup::vocabulary::open_list)
    throw error("idealized predictor: a list prompt must start with '<d> [' (its first segment is a list)");
  reset();
  for (std::size_t i = 2; i < prefix.size(); ++i) advance(prefix[i]);
}

INDUCT_DEFINE void idealized_predictor::advance(token_id token, bool known_possible) {
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

INDUCT_DEFINE void idealized_predictor::next_token_distribution(std::vector<long double>& out) const {
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

INDUCT_DEFINE long double idealized_predictor::probability(token_id token) const {
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

INDUCT_DEFINE std::vector<task_posterior> idealized_predictor::posterior(std::size_t top) const {
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

INDUCT_DEFINE void idealized_predictor::impossible(token_id token, const std::string& why) const {
  throw error("impossible list prompt: token " + std::to_string(position_) + " '" +
              model_->world_.vocab().name(token) + "' has probability 0 under the pretraining distribution (" + why + ")");
}

INDUCT_DEFINE void idealized_predictor::advance_frontier(int value) {
  next_frontier_.clear();
  for (std::uint32_t node : frontier_) {
    const auto& n = model_->nodes_[node];
    for (std::uint32_t c = n.first_child; c < n.first_child + n.child_count; ++c)
      if (static_cast<int>(model_->node_value(c, static_cast<std::size_t>(input_))) == value) next_frontier_.push_back(c);
  }
  frontier_.swap(next_frontier_);
}

INDUCT_DEFINE void idealized_predictor::complete_item() {
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
void idealized_predictor::for_each_hypothesis(Visit&& visit) const {
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
void idealized_predictor::for_each_prediction(Visit&& visit) const {
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

}  // namespace induct::theory
