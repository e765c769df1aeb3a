#pragma once
// Definitions for grammar/earley.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/grammar/closure.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/epsilon_free.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

INDUCT_DEFINE earley_grammar::earley_grammar(const pcfg& g) : source_(g) {
  const std::size_t n = g.symbol_count();
  is_terminal_.resize(n);
  for (symbol_id s = 0; s < n; ++s) is_terminal_[s] = g.is_terminal(s) ? 1 : 0;
  start_ = g.start();
  epsilon_free_grammar free = eliminate_epsilon(g);
  start_null_ = free.start_null_probability;
  start_nonnull_ = 1.0L - start_null_;

  std::vector<sparse_row> unit_edges(n), left_corner_edges(n);
  rhs_offset_.push_back(0);
  for (const auto& r : free.rules) {
    const symbol_id first = r.rhs.front();
    if (!is_terminal_[first]) left_corner_edges[r.lhs].emplace_back(first, r.probability);
    if (r.rhs.size() == 1 && !is_terminal_[first]) {
      unit_edges[r.lhs].emplace_back(first, r.probability);
      continue;
    }
    lhs_.push_back(r.lhs);
    probability_.push_back(r.probability);
    rhs_symbols_.insert(rhs_symbols_.end(), r.rhs.begin(), r.rhs.end());
    rhs_offset_.push_back(static_cast<std::uint32_t>(rhs_symbols_.size()));
  }
  dummy_rule_ = static_cast<std::uint32_t>(lhs_.size());
  lhs_.push_back(static_cast<symbol_id>(n));  // sentinel left side of the dummy rule "-> S"
  probability_.push_back(1.0L);
  rhs_symbols_.push_back(start_);
  rhs_offset_.push_back(static_cast<std::uint32_t>(rhs_symbols_.size()));

  left_corner_closure_ = closure_of(left_corner_edges, "left-corner");
  const std::vector<sparse_row> unit_closure = closure_of(unit_edges, "unit");
  unit_closure_by_completed_.resize(n);
  for (symbol_id z = 0; z < n; ++z)
    for (const auto& [y, value] : unit_closure[z])
      if (!is_terminal_[z]) unit_closure_by_completed_[y].emplace_back(z, value);

  rules_by_first_terminal_.resize(n);
  rules_by_first_nonterminal_.resize(n);
  first_terminal_mass_.resize(n);
  for (std::uint32_t r = 0; r < dummy_rule_; ++r) {
    const symbol_id first = rhs_symbols_[rhs_offset_[r]];
    if (is_terminal_[first]) {
      rules_by_first_terminal_[first].push_back(r);
      auto& masses = first_terminal_mass_[lhs_[r]];
      auto it = std::find_if(masses.begin(), masses.end(), [&](const auto& e) { return e.first == first; });
      if (it == masses.end()) masses.emplace_back(first, probability_[r]);
      else it->second += probability_[r];
    } else {
      rules_by_first_nonterminal_[first].push_back(r);
    }
  }
}

INDUCT_DEFINE earley_state::earley_state(const earley_grammar& g, earley_completion completion)
    : g_(&g), completion_(completion) {
  const std::size_t n = g.is_terminal_.size() + 1;
  scratch_a_.assign(n, 0.0L);
  scratch_b_.assign(n, 0.0L);
  column first;
  first.items.push_back(item{0, g.dummy_rule_, 0, 1.0L, 1.0L});
  finish_column(first);
  columns_.push_back(std::move(first));
}

INDUCT_DEFINE void earley_state::advance(symbol_id t) {
  if (!g_->is_terminal(t)) {
    std::string message = "earley_state::advance: symbol id ";  // (appends: GCC 12 -Wrestrict false positive on "x" + string&&)
    message += std::to_string(t);
    message += " is not a terminal";
    throw error(message);
  }
  ++length_;
  if (dead_) return;
  scan_and_complete(t);
}

INDUCT_DEFINE void earley_state::advance(std::string_view name) {
  if (auto t = g_->source_.find_terminal(name)) return advance(*t);
  ++length_;
  if (!dead_) {
    dead_ = true;
    dead_reason_ = "token ";
    dead_reason_ += std::to_string(length_);
    dead_reason_ += " '";
    dead_reason_ += name;
    dead_reason_ += "' is not a terminal of the grammar";
  }
}

INDUCT_DEFINE next_token_distribution earley_state::next_tokens() const {
  require_possible();
  const column& c = columns_.back();
  std::vector<long double>& weight = scratch_a_;
  std::vector<symbol_id> touched;
  auto add = [&](symbol_id t, long double w) {
    if (weight[t] == 0.0L) touched.push_back(t);
    weight[t] += w;
  };
  for (const auto& [t, index] : c.scannable) add(t, c.items[index].alpha);
  for (const auto& [y, mass] : c.predicted)
    for (const auto& [t, m] : g_->first_terminal_mass_[y]) add(static_cast<symbol_id>(t), mass * m);
  std::sort(touched.begin(), touched.end());
  next_token_distribution out;
  const long double factor = length_ == 0 ? g_->start_nonnull_ : 1.0L;
  for (symbol_id t : touched) {
    if (weight[t] > 0.0L) out.tokens.emplace_back(t, weight[t] * factor);
    weight[t] = 0.0L;
  }
  out.end = length_ == 0 ? g_->start_null_ : c.end_alpha;
  return out;
}

INDUCT_DEFINE void earley_state::scan_and_complete(symbol_id t) {
  const earley_grammar& g = *g_;
  const auto i = static_cast<std::uint32_t>(columns_.size() - 1);
  const column& previous = columns_.back();
  column next;
  index_.clear(previous.items.size() + 16);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> complete;  // (start, item) heap
  // The dummy 0: -> S. completes nothing; it is read once completion is over, because Leo's memo can reach it
  // from a later start before the completions from start 0 add to it.
  std::uint32_t end_item = no_rule;
  auto note_new = [&](std::uint32_t index) {
    const item& it = next.items[index];
    if (it.rule == g.dummy_rule_ && it.dot == 1) {
      end_item = index;
    } else if (it.dot == g.length(it.rule)) {
      complete.emplace_back(it.start, index);
      std::push_heap(complete.begin(), complete.end());
    }
  };
  // Scan the non-predicted items and the predicted rules Y -> t beta.
  auto [begin, end] = entries_for(previous.scannable, t);
  for (auto it = begin; it != end; ++it) {
    const item& source = previous.items[it->second];
    next.items.push_back(item{source.start, source.rule, source.dot + 1, source.alpha, source.gamma});
  }
  for (std::uint32_t r : g.rules_by_first_terminal_[t]) {
    const long double mass = predicted(previous, g.lhs_[r]);
    if (mass > 0.0L) next.items.push_back(item{i, r, 1, mass * g.probability_[r], g.probability_[r]});
  }
  long double scale = 0.0L;
  for (const item& it : next.items) scale += it.alpha;
  if (!(scale > 0.0L)) {
    dead_ = true;
    dead_reason_ = "token ";
    dead_reason_ += std::to_string(length_);
    dead_reason_ += " '";
    dead_reason_ += g.source_.name(t);
    dead_reason_ += "' cannot follow the prefix";
    columns_.push_back(column{});
    return;
  }
  log2_scale_ += std::log2(scale);
  const std::uint32_t stride = max_rule_length() + 1;
  for (std::uint32_t k = 0; k < next.items.size(); ++k) {
    item& it = next.items[k];
    it.alpha /= scale;
    it.gamma /= scale;
    index_.emplace(key(it.start, it.rule, it.dot, stride), k);
    note_new(k);
  }
  auto accumulate = [&](std::uint32_t start, std::uint32_t rule, std::uint32_t dot, long double alpha, long double gamma) {
    ++completion_steps_;
    const auto [found, inserted] = index_.emplace(key(start, rule, dot, stride), static_cast<std::uint32_t>(next.items.size()));
    if (inserted) {
      next.items.push_back(item{start, rule, dot, alpha, gamma});
      note_new(found);
    } else {
      next.items[found].alpha += alpha;
      next.items[found].gamma += gamma;
    }
  };
  // Complete, latest start first: a completion from start j only creates complete items starting before j.
  std::vector<long double>& inside = scratch_a_;  // by completed Y: sum of gamma
  std::vector<long double>& total = scratch_b_;   // by waited-for Z: sum_Y R_U(Z, Y) inside[Y]
  std::vector<symbol_id> completed, wanted;
  while (!complete.empty()) {
    const std::uint32_t j = complete.front().first;
    completed.clear();
    wanted.clear();
    while (!complete.empty() && complete.front().first == j) {
      const item& it = next.items[complete.front().second];
      std::pop_heap(complete.begin(), complete.end());
      complete.pop_back();
      const symbol_id y = g.lhs_[it.rule];
      if (inside[y] == 0.0L) completed.push_back(y);
      inside[y] += it.gamma;
    }
    for (symbol_id y : completed) {
      if (completion_ == earley_completion::leo) {
        const transitive_item top = transitive_for(j, y);
        if (top.rule != no_rule) {  // the chain's top directly; its skipped links are complete items
          accumulate(top.start, top.rule, top.dot, top.alpha_factor * inside[y], top.gamma_factor * inside[y]);
          inside[y] = 0.0L;
          continue;
        }
      }
      for (const auto& [z, value] : g.unit_closure_by_completed_[y]) {
        if (total[z] == 0.0L) wanted.push_back(z);
        total[z] += value * inside[y];
      }
      inside[y] = 0.0L;
    }
    const column& source = columns_[j];
    for (symbol_id z : wanted) {
      const long double tz = total[z];
      total[z] = 0.0L;
      auto [wbegin, wend] = entries_for(source.waiting, z);
      for (auto w = wbegin; w != wend; ++w) {
        const item& waiting = source.items[w->second];
        accumulate(waiting.start, waiting.rule, waiting.dot + 1, waiting.alpha * tz, waiting.gamma * tz);
      }
      for (std::uint32_t r : g.rules_by_first_nonterminal_[z]) {
        const long double mass = predicted(source, g.lhs_[r]);
        if (mass > 0.0L) accumulate(j, r, 1, mass * g.probability_[r] * tz, g.probability_[r] * tz);
      }
    }
  }
  if (end_item != no_rule) next.end_alpha = next.items[end_item].alpha;
  finish_column(next);
  columns_.push_back(std::move(next));
}

INDUCT_DEFINE earley_state::transitive_item earley_state::single_target(std::uint32_t j, symbol_id y) const {
  const earley_grammar& g = *g_;
  const column& c = columns_[j];
  const transitive_item none{y, 0, no_rule, 0, 0.0L, 0.0L};
  transitive_item only = none;
  std::size_t targets = 0;
  // The targets scan_and_complete would reach from Y: waiting items and predicted rules, over all Z with R_U(Z, Y).
  for (const auto& [z, value] : g.unit_closure_by_completed_[y]) {
    auto [begin, end] = entries_for(c.waiting, z);
    for (auto w = begin; w != end; ++w) {
      if (++targets > 1) return none;
      const item& waiting = c.items[w->second];
      only = {y, waiting.start, waiting.rule, waiting.dot + 1, waiting.alpha * value, waiting.gamma * value};
    }
    for (std::uint32_t r : g.rules_by_first_nonterminal_[z]) {
      const long double mass = predicted(c, g.lhs_[r]);
      if (!(mass > 0.0L)) continue;
      if (++targets > 1) return none;
      only = {y, j, r, 1, mass * g.probability_[r] * value, g.probability_[r] * value};
    }
  }
  return only;
}

INDUCT_DEFINE earley_state::transitive_item earley_state::transitive_for(std::uint32_t j, symbol_id y) {
  const earley_grammar& g = *g_;
  auto by_completed = [](const transitive_item& e, symbol_id v) { return e.completed < v; };
  transitive_item below{y, 0, no_rule, 0, 0.0L, 0.0L};  // the memo under the walk's last link (none yet)
  // Walk down the chain through complete targets until a memoised (column, symbol) or the chain's end.
  for (;;) {
    const auto& memo = columns_[j].transitive;
    auto it = std::lower_bound(memo.begin(), memo.end(), y, by_completed);
    if (it != memo.end() && it->completed == y) {
      below = *it;
      break;
    }
    const transitive_item link = single_target(j, y);
    chain_.emplace_back(j, link);
    if (link.rule == no_rule || link.rule == g.dummy_rule_ || link.dot < g.length(link.rule)) break;
    j = link.start;
    y = g.lhs_[link.rule];
  }
  // Memoise back up: a complete link over a deterministic memo composes with it, any other link stands alone.
  while (!chain_.empty()) {
    const auto [column, link] = chain_.back();
    chain_.pop_back();
    const bool composes = below.rule != no_rule && link.rule != no_rule && link.rule != g.dummy_rule_ &&
                          link.dot == g.length(link.rule);
    const transitive_item memo =
        composes ? transitive_item{link.completed, below.start, below.rule, below.dot,
                                   below.alpha_factor * link.gamma_factor, below.gamma_factor * link.gamma_factor}
                 : link;
    auto& memos = columns_[column].transitive;
    memos.insert(std::lower_bound(memos.begin(), memos.end(), memo.completed, by_completed), memo);
    below = memo;
  }
  return below;
}

INDUCT_DEFINE void earley_state::finish_column(column& c) {
  const earley_grammar& g = *g_;
  std::vector<item> kept;
  kept.reserve(c.items.size());
  for (const item& it : c.items)
    if (it.dot < g.length(it.rule)) kept.push_back(it);
  // Items waiting for the same symbol stay contiguous, so completion reads them sequentially.
  std::stable_sort(kept.begin(), kept.end(), [&](const item& a, const item& b) {
    return g.symbol_at(a.rule, a.dot) < g.symbol_at(b.rule, b.dot);
  });
  c.items = std::move(kept);
  std::vector<long double>& wait_mass = scratch_a_;
  std::vector<long double>& prediction = scratch_b_;
  std::vector<symbol_id> waited, predicted_symbols;
  for (std::uint32_t k = 0; k < c.items.size(); ++k) {
    const item& it = c.items[k];
    const symbol_id s = g.symbol_at(it.rule, it.dot);
    if (g.is_terminal_[s]) {
      c.scannable.emplace_back(s, k);
    } else {
      c.waiting.emplace_back(s, k);
      if (wait_mass[s] == 0.0L) waited.push_back(s);
      wait_mass[s] += it.alpha;
    }
  }
  std::sort(c.scannable.begin(), c.scannable.end());
  std::sort(c.waiting.begin(), c.waiting.end());
  for (symbol_id z : waited) {
    for (const auto& [y, value] : g.left_corner_closure_[z]) {
      if (prediction[y] == 0.0L) predicted_symbols.push_back(y);
      prediction[y] += wait_mass[z] * value;
    }
    wait_mass[z] = 0.0L;
  }
  std::sort(predicted_symbols.begin(), predicted_symbols.end());
  for (symbol_id y : predicted_symbols) {
    if (prediction[y] > 0.0L) c.predicted.emplace_back(y, prediction[y]);
    prediction[y] = 0.0L;
  }
}

INDUCT_DEFINE long double inside_log2(const earley_grammar& g, std::span<const symbol_id> tokens) {
  earley_state s(g);
  for (symbol_id t : tokens) {
    s.advance(t);
    if (!s.possible()) break;
  }
  return s.string_log2();
}

INDUCT_DEFINE long double prefix_log2(const earley_grammar& g, std::span<const symbol_id> tokens) {
  earley_state s(g);
  for (symbol_id t : tokens) {
    s.advance(t);
    if (!s.possible()) break;
  }
  return s.prefix_log2();
}

INDUCT_DEFINE next_token_distribution next_tokens(const earley_grammar& g, std::span<const symbol_id> prefix) {
  earley_state s(g);
  for (symbol_id t : prefix) s.advance(t);
  return s.next_tokens();
}

}  // namespace induct::grammar
