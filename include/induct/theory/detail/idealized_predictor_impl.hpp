#pragma once
// Definitions for theory/idealized_predictor.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/resources.hpp"
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
  // S(d) = P(d) + m S(d + 1): the stepwise prior of every chain extending one depth-d prefix.
  stepwise_extension_prior_.assign(static_cast<std::size_t>(max_depth_) + 2, 0.0L);
  for (int d = max_depth_; d >= 1; --d)
    stepwise_extension_prior_[static_cast<std::size_t>(d)] =
        chain_prior(list_format::stepwise, d) +
        static_cast<long double>(functions_) * stepwise_extension_prior_[static_cast<std::size_t>(d) + 1];
  const auto e = static_cast<std::size_t>(entities_);
  tables_.resize(static_cast<std::size_t>(functions_) * e);
  for (int f = 0; f < functions_; ++f)
    for (std::size_t v = 0; v < e; ++v)
      tables_[static_cast<std::size_t>(f) * e + v] = static_cast<std::uint32_t>(world_.table(f)[v]);
  build_prefix_maps();
  build_direct_index();
}

INDUCT_DEFINE void idealized_list_model::build_prefix_maps() {
  const auto e = static_cast<std::size_t>(entities_);
  const auto m = static_cast<std::size_t>(functions_);
  std::vector<std::uint16_t> rows(e);  // row-major while building: g * E + x -> g(x)
  for (std::size_t x = 0; x < e; ++x) rows[x] = static_cast<std::uint16_t>(x);
  prefix_depth_.assign(1, 0);
  prefix_chain_count_.assign(1, 1.0L);  // the empty chain
  struct edge {
    std::uint32_t child, parent, function;
  };
  std::vector<edge> edges;
  std::vector<std::uint16_t> candidate(e);
  std::size_t level_begin = 0, level_end = 1;
  for (int depth = 1; depth < max_depth_; ++depth) {
    const double most = static_cast<double>(level_end - level_begin) * static_cast<double>(m);
    require_memory(most * (static_cast<double>(e) * 8.0 + 64.0),
                   "the idealized predictor's prefix maps of depth " + std::to_string(depth) + " (m = " +
                       std::to_string(functions_) + ", E = " + std::to_string(entities_) + ")");
    std::unordered_map<std::string, std::uint32_t> seen;  // this level's maps by their value bytes
    for (std::size_t parent = level_begin; parent < level_end; ++parent)
      for (std::size_t f = 0; f < m; ++f) {
        for (std::size_t x = 0; x < e; ++x) candidate[x] = static_cast<std::uint16_t>(tables_[f * e + rows[parent * e + x]]);
        std::string key(reinterpret_cast<const char*>(candidate.data()), e * sizeof(std::uint16_t));
        const auto [it, inserted] = seen.emplace(std::move(key), static_cast<std::uint32_t>(prefix_depth_.size()));
        if (inserted) {
          rows.insert(rows.end(), candidate.begin(), candidate.end());
          prefix_depth_.push_back(static_cast<std::uint32_t>(depth));
          prefix_chain_count_.push_back(0.0L);
        }
        prefix_chain_count_[it->second] += prefix_chain_count_[parent];
        edges.push_back({it->second, static_cast<std::uint32_t>(parent), static_cast<std::uint32_t>(f)});
      }
    level_begin = level_end;
    level_end = prefix_depth_.size();
  }
  const std::size_t p = prefix_depth_.size();
  if (static_cast<double>(p) * static_cast<double>(e) >= static_cast<double>(std::numeric_limits<std::uint32_t>::max()))
    throw resource_error("the idealized predictor's prefix index has more than 2^32 entries (" + std::to_string(p) +
                             " prefix maps x " + std::to_string(entities_) + " entities)",
                         static_cast<double>(p) * static_cast<double>(e) * 4.0, available_memory_bytes());
  prefix_weight_.resize(p);
  for (std::size_t g = 0; g < p; ++g)
    prefix_weight_[g] = prefix_chain_count_[g] * chain_prior(list_format::direct, static_cast<int>(prefix_depth_[g]) + 1);
  prefix_values_.resize(p * e);
  for (std::size_t g = 0; g < p; ++g)
    for (std::size_t x = 0; x < e; ++x) prefix_values_[x * p + g] = rows[g * e + x];
  // Edges are made child by child within a level only in parent order, so sort them into CSR by child.
  parent_offset_.assign(p + 1, 0);
  for (const auto& edge_in : edges) ++parent_offset_[edge_in.child + 1];
  for (std::size_t g = 1; g <= p; ++g) parent_offset_[g] += parent_offset_[g - 1];
  parents_.resize(edges.size());
  std::vector<std::uint32_t> fill(parent_offset_.begin(), parent_offset_.end() - 1);
  for (const auto& edge_in : edges) parents_[fill[edge_in.child]++] = {edge_in.function, edge_in.parent};
}

INDUCT_DEFINE void idealized_list_model::build_direct_index() {
  const auto e = static_cast<std::size_t>(entities_);
  const auto m = static_cast<std::size_t>(functions_);
  const std::size_t p = prefix_weight_.size();
  require_memory(static_cast<double>(e) * static_cast<double>(e) * (40.0 + 16.0 * max_depth_) +
                     static_cast<double>(p) * static_cast<double>(e) * 4.0,
                 "the idealized predictor's (x, y) tables (E = " + std::to_string(entities_) + ")");
  // (x, z) -> the prefixes of positive weight with g(x) = z; a zero-weight prefix starts no direct chain.
  prefix_at_offset_.assign(e * e + 1, 0);
  for (std::size_t x = 0; x < e; ++x)
    for (std::size_t g = 0; g < p; ++g)
      if (prefix_weight_[g] > 0.0L) ++prefix_at_offset_[x * e + prefix_values_[x * p + g] + 1];
  for (std::size_t i = 1; i < prefix_at_offset_.size(); ++i) prefix_at_offset_[i] += prefix_at_offset_[i - 1];
  prefix_at_.resize(prefix_at_offset_.back());
  std::vector<std::uint32_t> fill(prefix_at_offset_.begin(), prefix_at_offset_.end() - 1);
  for (std::size_t x = 0; x < e; ++x)
    for (std::size_t g = 0; g < p; ++g)
      if (prefix_weight_[g] > 0.0L) prefix_at_[fill[x * e + prefix_values_[x * p + g]]++] = static_cast<std::uint32_t>(g);
  // y -> (f, z) with f(z) = y, by f then z.
  preimage_offset_.assign(e + 1, 0);
  for (std::size_t i = 0; i < m * e; ++i) ++preimage_offset_[tables_[i] + 1];
  for (std::size_t y = 1; y <= e; ++y) preimage_offset_[y] += preimage_offset_[y - 1];
  preimage_.resize(m * e);
  fill.assign(preimage_offset_.begin(), preimage_offset_.end() - 1);
  for (std::size_t f = 0; f < m; ++f)
    for (std::size_t z = 0; z < e; ++z)
      preimage_[fill[tables_[f * e + z]]++] = {static_cast<std::uint32_t>(f), static_cast<std::uint32_t>(z)};
  // n = 0: sum_{(f, z): f(z) = y} sum_{g: g(x) = z} w(g), from exact chain counts per prefix depth.
  const auto k = static_cast<std::size_t>(max_depth_);
  std::vector<long double> at(e * e * k, 0.0L);
  for (std::size_t x = 0; x < e; ++x)
    for (std::size_t g = 0; g < p; ++g)
      if (prefix_weight_[g] > 0.0L) at[(x * e + prefix_values_[x * p + g]) * k + prefix_depth_[g]] += prefix_chain_count_[g];
  direct_marginal_.assign(e * e, 0.0L);
  std::vector<long double> counts(k);
  for (std::size_t x = 0; x < e; ++x)
    for (std::size_t y = 0; y < e; ++y) {
      std::fill(counts.begin(), counts.end(), 0.0L);
      for (std::uint32_t i = preimage_offset_[y]; i < preimage_offset_[y + 1]; ++i)
        for (std::size_t d = 0; d < k; ++d) counts[d] += at[(x * e + preimage_[i].value) * k + d];
      direct_marginal_[x * e + y] = direct_mass(counts.data());
    }
}

INDUCT_DEFINE void idealized_list_model::append_prefix_chains(std::uint32_t prefix,
                                                              std::vector<setup::function_chain>& out) const {
  if (prefix_depth_[prefix] == 0) {
    out.emplace_back();
    return;
  }
  for (std::uint32_t i = parent_offset_[prefix]; i < parent_offset_[prefix + 1]; ++i) {
    const std::size_t first = out.size();
    append_prefix_chains(parents_[i].value, out);
    for (std::size_t c = first; c < out.size(); ++c) out[c].push_back(static_cast<int>(parents_[i].function));
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
      item_sets_.clear();
      direct_candidates_.clear();
      candidate_weight_ = 0.0L;
      break;
    case phase::in_answer:
      if (entity) {
        if (!observe_value(*entity)) impossible(token, "no list task consistent with the prompt emits it here");
        partial_.push_back(*entity);
        break;
      }
      if ((token != setup::vocabulary::semicolon && token != setup::vocabulary::close_list) ||
          (!known_possible && !(probability(token) > 0.0L)))
        impossible(token, "no list task consistent with the prompt emits it here");
      if (token == setup::vocabulary::semicolon) {
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

INDUCT_DEFINE bool idealized_predictor::observe_value(int value) {
  const auto& m = *model_;
  const auto e = static_cast<std::size_t>(m.entities_);
  const auto x = static_cast<std::size_t>(input_);
  const auto y = static_cast<std::size_t>(value);
  const std::size_t j = partial_.size();
  long double direct = 0.0L;
  if (j == 0 && items_ == 0) {
    direct = m.direct_marginal_[x * e + y];
  } else if (j == 0 && answer_length_ == 1) {
    // Keep the alive classes (f, g) with f(g(x)) = y: after one item A(x1, y1) & A(x, y), listed from
    // the index, else a filter of direct_alive_.
    direct_candidates_.clear();
    auto x_check = x, y_check = y;
    auto keep = [&](idealized_predictor::direct_class c) {
      if (m.apply(c.function, m.prefix_value(c.prefix, x_check)) == y_check) {
        direct_candidates_.push_back(c);
        candidate_weight_ += m.prefix_weight_[c.prefix];
      }
    };
    candidate_weight_ = 0.0L;
    if (items_ == 1) {
      // Per function f, A_f(x, y) = {g : f(g(x)) = y} is listed from the smaller of the two items' sides
      // (the preimages (f, z) of y are sorted by f, so f's block is contiguous in both).
      const auto x1 = static_cast<std::size_t>(first_item_.first), y1 = static_cast<std::size_t>(first_item_.second);
      auto side_size = [&](std::size_t at, std::uint32_t begin, std::uint32_t end) {
        std::size_t total = 0;
        for (std::uint32_t i = begin; i < end; ++i) {
          const std::size_t cell = at * e + m.preimage_[i].value;
          total += m.prefix_at_offset_[cell + 1] - m.prefix_at_offset_[cell];
        }
        return total;
      };
      std::uint32_t a = m.preimage_offset_[y1], b = m.preimage_offset_[y];
      const std::uint32_t a_end = m.preimage_offset_[y1 + 1], b_end = m.preimage_offset_[y + 1];
      while (a < a_end && b < b_end) {
        const std::uint32_t fa = m.preimage_[a].function, fb = m.preimage_[b].function;
        std::uint32_t a_next = a, b_next = b;
        while (a_next < a_end && m.preimage_[a_next].function == fa) ++a_next;
        while (b_next < b_end && m.preimage_[b_next].function == fb) ++b_next;
        if (fa == fb) {
          std::size_t x_list = x1;
          std::uint32_t begin = a, end = a_next;
          x_check = x;
          y_check = y;
          if (side_size(x, b, b_next) < side_size(x1, a, a_next)) {
            x_list = x;
            begin = b;
            end = b_next;
            x_check = x1;
            y_check = y1;
          }
          for (std::uint32_t i = begin; i < end; ++i) {
            const std::size_t cell = x_list * e + m.preimage_[i].value;
            for (std::uint32_t k = m.prefix_at_offset_[cell]; k < m.prefix_at_offset_[cell + 1]; ++k)
              keep({m.prefix_at_[k], fa});
          }
        }
        if (fa <= fb) a = a_next;
        if (fb <= fa) b = b_next;
      }
    } else {
      for (const auto c : direct_alive_) keep(c);
    }
    direct = length_factor_[0] * candidate_weight_;
  }
  // Stepwise: the functions of the next level that map the previous value (x at step 1) to y, appended
  // to the sets as an open level (closed below, or dropped).
  long double stepwise = 0.0L;
  auto& sets = items_ == 0 ? step_sets_ : item_sets_;
  const std::size_t open = sets.functions.size();
  const std::size_t prev = j == 0 ? x : static_cast<std::size_t>(partial_[j - 1]);
  if (stepwise_alive_ && items_ == 0 && static_cast<int>(j) < m.max_depth_) {
    for (std::uint32_t f = 0; f < static_cast<std::uint32_t>(m.functions_); ++f)
      if (m.apply(f, prev) == y) sets.functions.push_back(f);
    stepwise = stepwise_product(step_sets_.levels()) * static_cast<long double>(sets.functions.size() - open) *
               m.stepwise_extension_prior_[j + 1];
  } else if (stepwise_alive_ && items_ > 0 && static_cast<int>(j) < answer_length_) {
    for (const std::uint32_t f : step_sets_.level(j))
      if (m.apply(f, prev) == y) sets.functions.push_back(f);
    stepwise = length_factor_[1] * m.chain_prior(list_format::stepwise, answer_length_) * stepwise_product(j) *
               static_cast<long double>(sets.functions.size() - open);
  }
  if (!(stepwise > 0.0L)) sets.functions.resize(open);
  if (!(direct + stepwise > 0.0L)) {
    direct_candidates_.clear();
    candidate_weight_ = 0.0L;
    return false;
  }
  if (stepwise > 0.0L) {
    sets.close_level();
  } else {
    stepwise_alive_ = false;  // this value rules every stepwise chain out
  }
  return true;
}

INDUCT_DEFINE long double idealized_predictor::stepwise_product(std::size_t skip) const noexcept {
  long double product = 1.0L;
  if (items_ == 0) {
    for (std::size_t i = 0; i < step_sets_.levels(); ++i)
      if (i != skip) product *= static_cast<long double>(step_sets_.level(i).size());
    return product;
  }
  for (std::size_t i = 0; i < step_sets_.levels(); ++i)
    if (i != skip)
      product *= static_cast<long double>(i < item_sets_.levels() ? item_sets_.level(i).size() : step_sets_.level(i).size());
  return product;
}

INDUCT_DEFINE void idealized_predictor::complete_item() {
  const auto j = static_cast<int>(partial_.size());
  const auto& m = *model_;
  if (items_ == 0) {
    if (j == 1) first_item_ = {input_, partial_[0]};
    stepwise_alive_ = stepwise_alive_ && static_cast<int>(step_sets_.levels()) == j &&
                      m.chain_prior(list_format::stepwise, j) > 0.0L;
  } else {
    if (j == 1 && answer_length_ == 1) {
      direct_alive_.swap(direct_candidates_);
    } else {
      direct_alive_.clear();
    }
    stepwise_alive_ = stepwise_alive_ && j == answer_length_ && static_cast<int>(item_sets_.levels()) == j;
    if (stepwise_alive_) std::swap(step_sets_, item_sets_);
  }
  if (!stepwise_alive_) step_sets_.clear();
  direct_candidates_.clear();
  candidate_weight_ = 0.0L;
  item_sets_.clear();
  answer_length_ = j;
  ++items_;
  length_factor_[0] *= m.continue_probability(list_format::direct, items_);
  length_factor_[1] *= m.continue_probability(list_format::stepwise, items_);
  phase_ = phase::expect_input;
  partial_.clear();
}

template <class Visit>
void idealized_predictor::for_each_alive_direct(Visit&& visit) const {
  if (items_ == 0 || answer_length_ != 1) return;
  if (items_ >= 2) {
    for (const auto c : direct_alive_) visit(c);
    return;
  }
  const auto& m = *model_;
  const auto e = static_cast<std::size_t>(m.entities_);
  const auto y = static_cast<std::size_t>(first_item_.second);
  for (std::uint32_t i = m.preimage_offset_[y]; i < m.preimage_offset_[y + 1]; ++i) {
    const auto& s = m.preimage_[i];
    const std::size_t cell = static_cast<std::size_t>(first_item_.first) * e + s.value;
    for (std::uint32_t k = m.prefix_at_offset_[cell]; k < m.prefix_at_offset_[cell + 1]; ++k)
      visit(direct_class{m.prefix_at_[k], s.function});
  }
}

template <class Visit>
void idealized_predictor::for_each_prediction(Visit&& visit) const {
  const auto& m = *model_;
  const auto& vocab = m.world_.vocab();
  const auto e = static_cast<std::size_t>(m.entities_);
  const auto x = static_cast<std::size_t>(input_);
  const std::size_t j = partial_.size();
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
  } else if (j == 0 && answer_length_ == 1) {
    // Chain counts per (answer, prefix depth), then one mass per answer: exact ties stay ties.
    const auto k = static_cast<std::size_t>(m.max_depth_);
    std::vector<long double> counts(e * k, 0.0L);
    for_each_alive_direct([&](direct_class c) {
      counts[m.apply(c.function, m.prefix_value(c.prefix, x)) * k + m.prefix_depth_[c.prefix]] += m.prefix_chain_count_[c.prefix];
    });
    for (std::size_t y = 0; y < e; ++y) {
      const long double mass = m.direct_mass(counts.data() + y * k);
      if (mass > 0.0L) visit(vocab.entity(static_cast<int>(y)), length_factor_[0] * mass);
    }
  } else if (j == 1 && answer_length_ == 1) {
    direct_stop = length_factor_[0] * candidate_weight_;
  }
  const std::size_t prev = j == 0 ? x : static_cast<std::size_t>(partial_[j - 1]);
  if (stepwise_alive_ && items_ == 0) {
    const long double consistent = stepwise_product(step_sets_.levels());
    if (j >= 1) stepwise_stop = consistent * m.chain_prior(list_format::stepwise, static_cast<int>(j));
    const long double extension = static_cast<int>(j) < m.max_depth_ ? consistent * m.stepwise_extension_prior_[j + 1] : 0.0L;
    if (extension > 0.0L)
      for (std::uint32_t f = 0; f < static_cast<std::uint32_t>(m.functions_); ++f)
        visit(vocab.entity(static_cast<int>(m.apply(f, prev))), extension);
  } else if (stepwise_alive_ && static_cast<int>(j) <= answer_length_) {
    const long double each = length_factor_[1] * m.chain_prior(list_format::stepwise, answer_length_);
    if (static_cast<int>(j) == answer_length_) {
      stepwise_stop = each * stepwise_product(j);
    } else {
      const long double weight = each * stepwise_product(j);
      if (weight > 0.0L)
        for (const std::uint32_t f : step_sets_.level(j)) visit(vocab.entity(static_cast<int>(m.apply(f, prev))), weight);
    }
  }
  // The end of the item: `;` if the list goes on, `]` if it ends here.
  const long double more = direct_stop * direct_continue + stepwise_stop * stepwise_continue;
  const long double done = direct_stop * (1.0L - direct_continue) + stepwise_stop * (1.0L - stepwise_continue);
  if (more > 0.0L) visit(setup::vocabulary::semicolon, more);
  if (done > 0.0L) visit(setup::vocabulary::close_list, done);
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
  const auto& m = *model_;
  const auto e = static_cast<std::size_t>(m.entities_);
  const auto x = static_cast<std::size_t>(input_);
  const std::size_t j = partial_.size();
  const bool in_item = phase_ == phase::in_answer;
  // A group: chains of one format and equal posterior weight `each` (prior times length factor):
  // one direct class, or one stepwise product of function sets (one set per step).
  struct chain_group {
    list_format format;
    long double each;
    long double count;
    direct_class direct;
    std::vector<std::vector<std::uint32_t>> steps;
  };
  std::vector<chain_group> groups;
  auto add_direct = [&](direct_class c, long double factor) {
    const int depth = static_cast<int>(m.prefix_depth_[c.prefix]) + 1;
    groups.push_back({list_format::direct, factor * m.chain_prior(list_format::direct, depth), m.prefix_chain_count_[c.prefix], c, {}});
  };
  if (items_ == 0) {
    if (!in_item || j == 0) {
      for (std::uint32_t g = 0; g < m.prefix_weight_.size(); ++g)
        if (m.prefix_weight_[g] > 0.0L)
          for (std::uint32_t f = 0; f < static_cast<std::uint32_t>(m.functions_); ++f) add_direct({g, f}, 1.0L);
    } else if (j == 1) {
      const auto y = static_cast<std::size_t>(partial_[0]);
      for (std::uint32_t i = m.preimage_offset_[y]; i < m.preimage_offset_[y + 1]; ++i) {
        const std::size_t cell = x * e + m.preimage_[i].value;
        for (std::uint32_t k = m.prefix_at_offset_[cell]; k < m.prefix_at_offset_[cell + 1]; ++k)
          add_direct({m.prefix_at_[k], m.preimage_[i].function}, 1.0L);
      }
    }
  } else if (!in_item || j == 0) {
    for_each_alive_direct([&](direct_class c) { add_direct(c, length_factor_[0]); });
  } else if (j == 1 && answer_length_ == 1) {
    for (const auto c : direct_candidates_) add_direct(c, length_factor_[0]);
  }
  std::vector<std::uint32_t> all(static_cast<std::size_t>(m.functions_));
  for (std::uint32_t f = 0; f < all.size(); ++f) all[f] = f;
  auto add_stepwise = [&](int depth, long double factor, std::vector<std::vector<std::uint32_t>> steps) {
    long double count = 1.0L;
    for (const auto& s : steps) count *= static_cast<long double>(s.size());
    const long double each = factor * m.chain_prior(list_format::stepwise, depth);
    if (count > 0.0L && each > 0.0L) groups.push_back({list_format::stepwise, each, count, {0, 0}, std::move(steps)});
  };
  if (stepwise_alive_ && items_ == 0) {
    const std::size_t known = in_item ? step_sets_.levels() : 0;
    for (int k = std::max<int>(1, static_cast<int>(known)); k <= m.max_depth_; ++k) {
      std::vector<std::vector<std::uint32_t>> steps;
      for (std::size_t i = 0; i < static_cast<std::size_t>(k); ++i)
        steps.push_back(i < known ? std::vector<std::uint32_t>(step_sets_.level(i).begin(), step_sets_.level(i).end()) : all);
      add_stepwise(k, 1.0L, std::move(steps));
    }
  } else if (stepwise_alive_ && (!in_item || static_cast<int>(j) <= answer_length_)) {
    std::vector<std::vector<std::uint32_t>> steps;
    for (std::size_t i = 0; i < step_sets_.levels(); ++i) {
      const auto level = in_item && i < item_sets_.levels() ? item_sets_.level(i) : step_sets_.level(i);
      steps.emplace_back(level.begin(), level.end());
    }
    add_stepwise(answer_length_, length_factor_[1], std::move(steps));
  }
  long double total = 0.0L;
  for (const auto& g : groups) total += g.each * g.count;
  if (!(total > 0.0L)) throw error("idealized predictor: no list task is consistent with the prompt");
  std::stable_sort(groups.begin(), groups.end(), [](const chain_group& a, const chain_group& b) { return a.each > b.each; });
  // List the groups run by run of equal weight until `top` chains are listed; within a run, direct
  // first, then by chain index.
  std::vector<task_posterior> result;
  std::vector<setup::function_chain> chains;
  std::vector<std::pair<std::pair<int, std::size_t>, setup::function_chain>> run;
  for (std::size_t begin = 0; begin < groups.size() && result.size() < top;) {
    std::size_t end = begin;
    run.clear();
    for (; end < groups.size() && groups[end].each == groups[begin].each; ++end) {
      const auto& g = groups[end];
      chains.clear();
      if (g.format == list_format::direct) {
        m.append_prefix_chains(g.direct.prefix, chains);
        for (auto& c : chains) c.push_back(static_cast<int>(g.direct.function));
      } else {
        std::vector<std::size_t> digit(g.steps.size(), 0);  // odometer over the product
        for (bool more = true; more;) {
          setup::function_chain c;
          for (std::size_t i = 0; i < digit.size(); ++i) c.push_back(static_cast<int>(g.steps[i][digit[i]]));
          chains.push_back(std::move(c));
          more = false;
          for (std::size_t i = digit.size(); i-- > 0;) {
            if (++digit[i] < g.steps[i].size()) {
              more = true;
              break;
            }
            digit[i] = 0;
          }
        }
      }
      for (auto& c : chains)
        run.push_back({{g.format == list_format::direct ? 0 : 1, m.document_.chain_index(c)}, std::move(c)});
    }
    std::sort(run.begin(), run.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [key, chain] : run) {
      if (result.size() == top) break;
      result.push_back({key.first == 0 ? list_format::direct : list_format::stepwise, std::move(chain),
                        static_cast<double>(groups[begin].each / total)});
    }
    begin = end;
  }
  return result;
}

INDUCT_DEFINE void idealized_predictor::impossible(token_id token, const std::string& why) const {
  throw error("impossible list prompt: token " + std::to_string(position_) + " '" +
              model_->world_.vocab().name(token) + "' has probability 0 under the pretraining distribution (" + why + ")");
}

}  // namespace induct::theory
