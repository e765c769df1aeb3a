#pragma once
// Definitions for setup/tasks.hpp (see induct/core/linkage.hpp for the two modes).
#include <cmath>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/held_out.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/tasks.hpp"

namespace induct::setup {

INDUCT_DEFINE task task::uniform_chain(std::string name, list_format format, int depth, int functions) {
  if (depth < 1) throw error("task " + name + ": depth must be >= 1");
  if (functions < 1) throw error("task " + name + ": needs at least one function");
  task t;
  t.name_ = std::move(name);
  t.format_ = format;
  t.depth_ = depth;
  t.functions_ = functions;
  return t;
}

INDUCT_DEFINE task task::custom(std::string name, list_format format, std::vector<function_chain> chains, const document_model& model) {
  if (chains.empty()) throw error("task " + name + ": no chains given");
  for (const auto& c : chains) model.check_chain(c);
  task t;
  t.name_ = std::move(name);
  t.format_ = format;
  t.depth_ = static_cast<int>(chains.front().size());
  t.candidates_ = std::move(chains);
  return t;
}

INDUCT_DEFINE task task::seen_chains(std::string name, list_format format, int depth, const held_out_set& held) {
  task t = uniform_chain(std::move(name), format, depth, held.functions());
  t.excluded_ = held.within_depth(depth);
  // m^k > |excluded| always for a validated config's fraction < 1; the explicit-list case can hold out all.
  double chains_of_depth = std::pow(static_cast<double>(held.functions()), depth);
  if (static_cast<double>(t.excluded_.size()) >= chains_of_depth)
    throw error("task " + t.name_ + ": every chain of depth " + std::to_string(depth) +
                " is held out, so no seen chain is left to pose");
  return t;
}

INDUCT_DEFINE task task::novel(list_format format, const held_out_set& held, const document_model& model, int depth) {
  const int max_depth = model.config().max_depth;
  if (depth != 0 && (depth < 2 || depth > max_depth))
    throw error("task novel" + std::to_string(depth) + ": depth " + std::to_string(depth) + " is outside 2.." +
                std::to_string(max_depth));
  int k = depth;
  if (k == 0)
    for (int d = 2; d <= max_depth && k == 0; ++d)
      if (!held.within_depth(d).empty()) k = d;
  if (k == 0 || held.within_depth(k).empty())
    throw error("task novel" + (depth ? std::to_string(depth) : std::string()) + ": the setup holds out no chain" +
                (depth ? " of depth " + std::to_string(depth) : std::string()) +
                " (set held_out_fraction > 0, held_out_max_depth, or list held_out_chains)");
  task t = custom("novel" + std::to_string(k), format, held.chains(k), model);
  t.held_out_of_ = held.applies_to(list_format::stepwise) ? "both" : "direct";
  return t;
}

INDUCT_DEFINE task task::unseen(list_format format, const nlohmann::json& sidecar, const document_model& model, int depth) {
  const std::set<std::string> seen = chains_seen_as_lists(sidecar);
  const int max_depth = model.config().max_depth;
  if (depth != 0 && (depth < 2 || depth > max_depth))
    throw error("task novel" + std::to_string(depth) + ": depth " + std::to_string(depth) + " is outside 2.." +
                std::to_string(max_depth));
  for (int k = depth ? depth : 2; k <= (depth ? depth : max_depth); ++k) {
    std::vector<function_chain> unseen_chains;
    if (std::pow(static_cast<double>(model.config().functions), k) > 1e6)
      throw error("task novel" + std::to_string(k) + ": too many chains of depth " + std::to_string(k) + " to list");
    for (std::size_t i = 0; i < model.chain_count(); ++i) {
      function_chain c = model.chain_at(i);
      if (static_cast<int>(c.size()) == k && !seen.count(chain_label(c))) unseen_chains.push_back(std::move(c));
    }
    if (!unseen_chains.empty()) {
      task t = custom("novel" + std::to_string(k), format, std::move(unseen_chains), model);
      t.held_out_of_ = "unseen";
      return t;
    }
  }
  throw error("task novel: the world holds out no chain and every chain of depth " +
              (depth ? std::to_string(depth) : "2.." + std::to_string(max_depth)) + " occurs as a list in the corpus (" +
              std::to_string(seen.size()) + " chains seen)");
}

INDUCT_DEFINE task task::by_name(std::string_view name, list_format format, const document_model& model,
                                 const nlohmann::json* sidecar) {
  const held_out_set held(model.config());
  const int max_depth = model.config().max_depth;
  if (name == "lookup") return lookup(format, model.config().functions);
  if (name == "compose2") return seen_chains("compose2", format, 2, held);
  if (name == "compose3") return seen_chains("compose3", format, 3, held);
  int novel_depth = -1;
  if (name == "novel") novel_depth = 0;
  if (name.size() > 5 && name.substr(0, 5) == "novel") {
    const std::string digits(name.substr(5));
    if (digits.find_first_not_of("0123456789") == std::string::npos && digits.size() < 6) novel_depth = std::stoi(digits);
  }
  if (novel_depth >= 0) {
    const bool none_held = novel_depth == 0 ? held.empty() : held.within_depth(novel_depth).empty();
    if (none_held && sidecar && novel_depth <= max_depth) return unseen(format, *sidecar, model, novel_depth);
    return novel(format, held, model, novel_depth);
  }
  throw error("unknown task '" + std::string(name) + "' (expected lookup, compose2, compose3, novel or novel2..novel" +
              std::to_string(max_depth) + ")");
}

}  // namespace induct::setup
