#pragma once
// Definitions for grammar/cag.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/random.hpp"
#include "induct/grammar/cag.hpp"
#include "induct/grammar/length_law.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

INDUCT_DEFINE std::string cag_environment::label() const {
  if (bindings_.empty()) return {};
  std::map<std::string, std::string> sorted;
  for (const auto& b : bindings_) sorted[b.first] = b.second.label();
  std::string text = "{";
  bool first = true;
  for (const auto& [name, value] : sorted) {
    if (!first) text += ',';
    first = false;
    text += name + "=" + value;
  }
  return text + "}";
}

INDUCT_DEFINE cag::sample_result cag::sample(random_engine& rng, bool record_steps) const {
  random_cag_chooser chooser(rng);
  return sample(chooser, record_steps);
}

INDUCT_DEFINE cag::sample_result cag::sample(cag_chooser& chooser, bool record_steps) const {
  sample_result result;
  sample_node(start(), start_inherited_, cag_environment{}, chooser, result, record_steps);
  return result;
}

INDUCT_DEFINE std::string cag::instance_name(std::size_t id, const attribute_value& inherited, const cag_environment& env) const {
  std::string n = definitions_[id].name;
  if (!inherited.label().empty()) n += "[" + inherited.label() + "]";
  return n + env.label();
}

INDUCT_DEFINE std::string cag::iteration_name(const std::string& item, const std::string& separator, const length_law& law,
                                              int counter, bool last_state) {
  return "Iter<" + item + "|" + separator + "|" + law.to_json().dump() + ">#" + std::to_string(counter) + (last_state ? "+" : "");
}

INDUCT_DEFINE const std::vector<cag_detail::alternative>& cag::alternatives(std::size_t id, const attribute_value& inherited,
                                                                            const cag_environment& env, const std::string& name) const {
  auto it = cache_.find(name);
  if (it != cache_.end()) return it->second;
  std::vector<cag_detail::alternative> out;
  cag_frame frame;
  frame.node_ = &definitions_[id].name;
  frame.inherited_ = &inherited;
  frame.environment_ = &env;
  definitions_[id].rules(inherited, frame, out);
  if (out.empty()) throw grammar_error("CAG: nonterminal " + name + " has no alternatives");
  long double total = 0;
  for (const auto& a : out) total += a.probability;
  if (std::abs(static_cast<double>(total) - 1.0) > 1e-9)
    throw grammar_error("CAG: alternatives of " + name + " sum to " + std::to_string(static_cast<double>(total)) + ", not 1");
  return cache_.emplace(name, std::move(out)).first->second;
}

INDUCT_DEFINE attribute_value cag::sample_node(std::size_t id, const attribute_value& inherited, const cag_environment& outer_env,
                                               cag_chooser& chooser, sample_result& result, bool record) const {
  const cag_environment env = outer_env.restricted(definitions_[id].reads);
  const std::string name = instance_name(id, inherited, env);
  const auto& alts = alternatives(id, inherited, env, name);
  std::vector<double> probabilities(alts.size());
  for (std::size_t i = 0; i < alts.size(); ++i) probabilities[i] = alts[i].probability;
  const std::size_t chosen = chooser.choose_alternative(probabilities);
  if (chosen >= alts.size() || !(alts[chosen].probability > 0))
    throw grammar_error("CAG: choice " + std::to_string(chosen) + " is not a possible alternative of " + name);
  const auto& alt = alts[chosen];
  result.log2_probability += std::log2(alt.probability);
  std::size_t step_index = 0;
  if (record) {
    step_index = result.steps.size();
    result.steps.emplace_back();
  }
  std::vector<std::pair<bool, std::string>> rhs;
  cag_frame frame;
  frame.node_ = &definitions_[id].name;
  frame.inherited_ = &inherited;
  cag_environment current = env;
  frame.environment_ = &current;
  for (const auto& e : alt.body) {
    using k = cag_detail::element::kind;
    switch (e.what) {
      case k::terminal:
        result.tokens.push_back(e.text);
        rhs.emplace_back(true, e.text);
        break;
      case k::computed_terminal: {
        std::string t = e.terminal(frame);
        if (t.empty()) throw grammar_error("CAG: " + name + " computed an empty terminal");
        result.tokens.push_back(t);
        rhs.emplace_back(true, std::move(t));
        break;
      }
      case k::child: {
        const attribute_value child_inherited = e.value(frame);
        const cag_environment child_env = current.restricted(definitions_[e.nonterminal].reads);
        attribute_value s = sample_node(e.nonterminal, child_inherited, current, chooser, result, record);
        std::string child_name = instance_name(e.nonterminal, child_inherited, child_env);
        if (definitions_[e.nonterminal].has_synthesized) child_name += "=" + s.label();
        rhs.emplace_back(false, std::move(child_name));
        frame.synthesized_.push_back(std::move(s));
        break;
      }
      case k::share:
        current = current.bound(e.text, e.value(frame));
        break;
      case k::iterate: {
        const attribute_value item_inherited = e.value(frame);
        const int n = chooser.choose_length(*e.law);
        if (!(e.law->pmf(n) > 0)) throw grammar_error("CAG: length " + std::to_string(n) + " is impossible in " + name);
        result.log2_probability += e.law->log2_pmf(n);
        const cag_environment item_env = current.restricted(definitions_[e.nonterminal].reads);
        const std::string item_name = instance_name(e.nonterminal, item_inherited, item_env);
        const int last = e.law->constant_hazard_from();
        rhs.emplace_back(false, iteration_name(item_name, e.text, *e.law, 1, 1 >= last));
        for (int i = 1; i <= n; ++i) {
          if (record) {
            grounded_step step;
            step.lhs = iteration_name(item_name, e.text, *e.law, std::min(i, last), i >= last);
            step.rhs.emplace_back(false, item_name);
            if (i < n) {
              if (!e.text.empty()) step.rhs.emplace_back(true, e.text);
              step.rhs.emplace_back(false, iteration_name(item_name, e.text, *e.law, std::min(i + 1, last), i + 1 >= last));
            }
            result.steps.push_back(std::move(step));
          }
          sample_node(e.nonterminal, item_inherited, current, chooser, result, record);
          if (i < n && !e.text.empty()) result.tokens.push_back(e.text);
        }
        frame.synthesized_.emplace_back();
        break;
      }
    }
  }
  attribute_value synthesized = alt.synthesize ? alt.synthesize(frame) : attribute_value{};
  if (record) {
    auto& step = result.steps[step_index];
    step.lhs = name + (definitions_[id].has_synthesized ? "=" + synthesized.label() : "");
    step.rhs = std::move(rhs);
  }
  return synthesized;
}

// The grounding of a cag (see the header comment of grammar/cag.hpp).
class cag::grounder {
 public:
  explicit grounder(const cag& g) : g_(g) {}

  INDUCT_DETAIL grounded_cag run() {
    const std::size_t start = g_.start();
    if (g_.definitions_[start].has_synthesized) throw grammar_error("CAG: the start nonterminal must not synthesize");
    const symbol_id s = instance_symbol(start, g_.start_inherited_, cag_environment{}, nullptr);
    out_.grammar.set_start(s);
    while (!pending_.empty()) {
      auto job = std::move(pending_.back());
      pending_.pop_back();
      job();
    }
    return std::move(out_);
  }

 private:
  using syn_distribution = std::vector<std::pair<attribute_value, long double>>;

  /// Calls `done(frame, probability, rhs)` for each way (alternative x children's synthesized
  /// values) of expanding the instance; rhs holds grounded symbols if `build`.
  template <class Done>
  void expand(std::size_t id, const attribute_value& inherited, const cag_environment& env, const std::string& name,
              bool build, Done&& done) {
    const auto& alts = g_.alternatives(id, inherited, env, name);
    for (const auto& alt : alts) {
      if (!(alt.probability > 0)) continue;
      cag_frame frame;
      frame.node_ = &g_.definitions_[id].name;
      frame.inherited_ = &inherited;
      std::vector<symbol_id> rhs;
      walk(alt, 0, frame, env, static_cast<long double>(alt.probability), rhs, build, done);
    }
  }

  template <class Done>
  void walk(const cag_detail::alternative& alt, std::size_t at, cag_frame& frame, const cag_environment& env,
            long double probability, std::vector<symbol_id>& rhs, bool build, Done& done) {
    frame.environment_ = &env;
    if (at == alt.body.size()) {
      done(alt, frame, probability, rhs);
      return;
    }
    const auto& e = alt.body[at];
    using k = cag_detail::element::kind;
    switch (e.what) {
      case k::terminal:
      case k::computed_terminal: {
        if (build) {
          const std::string t = e.what == k::terminal ? e.text : e.terminal(frame);
          if (t.empty()) throw grammar_error("CAG: computed an empty terminal");
          rhs.push_back(out_.grammar.terminal(t));
        }
        walk(alt, at + 1, frame, env, probability, rhs, build, done);
        if (build) rhs.pop_back();
        return;
      }
      case k::share: {
        const cag_environment bound = env.bound(e.text, e.value(frame));
        walk(alt, at + 1, frame, bound, probability, rhs, build, done);
        frame.environment_ = &env;
        return;
      }
      case k::iterate: {
        if (build) {
          const attribute_value item_inherited = e.value(frame);
          rhs.push_back(iteration_symbol(e.nonterminal, item_inherited, env, e.text, *e.law, 1));
        }
        frame.synthesized_.emplace_back();
        walk(alt, at + 1, frame, env, probability, rhs, build, done);
        frame.synthesized_.pop_back();
        if (build) rhs.pop_back();
        return;
      }
      case k::child: {
        const attribute_value child_inherited = e.value(frame);
        const auto& d = g_.definitions_[e.nonterminal];
        if (!d.has_synthesized) {
          if (build) rhs.push_back(instance_symbol(e.nonterminal, child_inherited, env, nullptr));
          frame.synthesized_.emplace_back();
          walk(alt, at + 1, frame, env, probability, rhs, build, done);
          frame.synthesized_.pop_back();
          if (build) rhs.pop_back();
          return;
        }
        const syn_distribution dist = distribution(e.nonterminal, child_inherited, env);
        for (const auto& [value, p] : dist) {
          if (build) rhs.push_back(instance_symbol(e.nonterminal, child_inherited, env, &value));
          frame.synthesized_.push_back(value);
          walk(alt, at + 1, frame, env, probability * p, rhs, build, done);
          frame.synthesized_.pop_back();
          if (build) rhs.pop_back();
          frame.environment_ = &env;
        }
        return;
      }
    }
  }

  /// P(the instance synthesizes s), for each s with positive probability (exact, memoised).
  INDUCT_DETAIL syn_distribution distribution(std::size_t id, const attribute_value& inherited, const cag_environment& outer_env) {
    const cag_environment env = outer_env.restricted(g_.definitions_[id].reads);
    const std::string name = g_.instance_name(id, inherited, env);
    if (auto it = distributions_.find(name); it != distributions_.end()) return it->second;
    if (!in_progress_.insert(name).second)
      throw grammar_error("CAG: the synthesized attribute of " + name +
                          " depends on itself recursively; grounding supports only non-recursive synthesized attributes");
    std::map<std::string, std::pair<attribute_value, long double>> by_label;
    expand(id, inherited, env, name, false,
           [&](const cag_detail::alternative& alt, const cag_frame& frame, long double p, const std::vector<symbol_id>&) {
             attribute_value s = alt.synthesize ? alt.synthesize(frame) : attribute_value{};
             auto [it, fresh] = by_label.try_emplace(s.label(), s, 0.0L);
             it->second.second += p;
           });
    in_progress_.erase(name);
    syn_distribution dist;
    for (auto& [label, entry] : by_label) dist.push_back(std::move(entry));
    return distributions_.emplace(name, std::move(dist)).first->second;
  }

  /// The grounded symbol of an instance (restricting the environment to what it reads), queued
  /// for expansion when new. `synthesized` non-null: the instance restricted to that value.
  INDUCT_DETAIL symbol_id instance_symbol(std::size_t id, const attribute_value& inherited, const cag_environment& outer_env,
                                          const attribute_value* synthesized) {
    const cag_environment env = outer_env.restricted(g_.definitions_[id].reads);
    const std::string base = g_.instance_name(id, inherited, env);
    const std::string name = synthesized ? base + "=" + synthesized->label() : base;
    if (auto found = out_.grammar.find_nonterminal(name)) return *found;
    const symbol_id symbol = out_.grammar.nonterminal(name);
    std::optional<attribute_value> target;
    if (synthesized) target = *synthesized;
    pending_.push_back([this, id, inherited, env, base, symbol, target]() {
      long double normaliser = 1;
      if (target) {
        normaliser = 0;
        for (const auto& [value, p] : distribution(id, inherited, env))
          if (value.label() == target->label()) normaliser = p;
      }
      expand(id, inherited, env, base, true,
             [&](const cag_detail::alternative& alt, const cag_frame& frame, long double p, const std::vector<symbol_id>& rhs) {
               if (target) {
                 const attribute_value s = alt.synthesize ? alt.synthesize(frame) : attribute_value{};
                 if (s.label() != target->label()) return;
               }
               add_rule(symbol, rhs, p / normaliser);
             });
    });
    return symbol;
  }

  INDUCT_DETAIL symbol_id iteration_symbol(std::size_t item, const attribute_value& inherited, const cag_environment& outer_env,
                                           const std::string& separator, const length_law& law, int counter) {
    const int last = law.constant_hazard_from();
    counter = std::min(counter, last);
    const cag_environment env = outer_env.restricted(g_.definitions_[item].reads);
    const std::string item_name = g_.instance_name(item, inherited, env);
    const std::string name = iteration_name(item_name, separator, law, counter, counter >= last);
    if (auto found = out_.grammar.find_nonterminal(name)) return *found;
    const symbol_id symbol = out_.grammar.nonterminal(name);
    pending_.push_back([this, item, inherited, env, separator, law, counter, symbol]() {
      const symbol_id item_symbol = instance_symbol(item, inherited, env, nullptr);
      const double h = law.continue_probability(counter);
      if (h < 1) add_rule(symbol, {item_symbol}, 1 - static_cast<long double>(h));
      if (h > 0) {
        std::vector<symbol_id> rhs{item_symbol};
        if (!separator.empty()) rhs.push_back(out_.grammar.terminal(separator));
        rhs.push_back(iteration_symbol(item, inherited, env, separator, law, counter + 1));
        add_rule(symbol, rhs, h);
      }
    });
    return symbol;
  }

  INDUCT_DETAIL void add_rule(symbol_id lhs, const std::vector<symbol_id>& rhs, long double probability) {
    grounded_step step;
    step.lhs = out_.grammar.name(lhs);
    for (symbol_id s : rhs) step.rhs.emplace_back(out_.grammar.is_terminal(s), out_.grammar.name(s));
    const std::string key = grounded_cag::key(step);
    if (auto it = out_.rule_by_key.find(key); it != out_.rule_by_key.end()) {
      // The same grounded rule reached twice: one rule with the summed probability.
      const auto r = it->second;
      out_.grammar.set_probability(r, out_.grammar.rules()[r].probability + static_cast<double>(probability));
      return;
    }
    const auto index = out_.grammar.add_rule(lhs, rhs, static_cast<double>(probability));
    out_.rule_by_key.emplace(key, static_cast<std::uint32_t>(index));
  }

  const cag& g_;
  grounded_cag out_;
  std::vector<std::function<void()>> pending_;
  std::unordered_map<std::string, syn_distribution> distributions_;
  std::set<std::string> in_progress_;
};

INDUCT_DEFINE grounded_cag cag::ground() const {
  grounder g(*this);
  return g.run();
}

}  // namespace induct::grammar
