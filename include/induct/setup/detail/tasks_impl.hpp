#pragma once
// Definitions for setup/tasks.hpp (see induct/core/linkage.hpp for the two modes).
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/setup/corpus.hpp"
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

INDUCT_DEFINE task task::novel(list_format format, const nlohmann::json& sidecar, const document_model& model, int depth) {
  const std::set<std::string> seen = chains_seen_as_lists(sidecar);
  const int max_depth = model.config().max_depth;
  if (depth != 0 && (depth < 1 || depth > max_depth))
    throw error("task novel: depth " + std::to_string(depth) + " is outside 1.." + std::to_string(max_depth));
  for (int k = depth ? depth : 2; k <= (depth ? depth : max_depth); ++k) {
    std::vector<function_chain> unseen;
    for (std::size_t i = 0; i < model.chain_count(); ++i) {
      function_chain c = model.chain_at(i);
      if (static_cast<int>(c.size()) == k && !seen.count(chain_label(c))) unseen.push_back(std::move(c));
    }
    if (!unseen.empty()) {
      task t = custom("novel", format, std::move(unseen), model);
      return t;
    }
  }
  throw error("task novel: every chain of depth " + (depth ? std::to_string(depth) : "2.." + std::to_string(max_depth)) +
              " occurs as a list in the corpus (" + std::to_string(seen.size()) +
              " chains seen); use a smaller corpus or a larger max_depth");
}

INDUCT_DEFINE task task::by_name(std::string_view name, list_format format, const document_model& model,
                                 const nlohmann::json* sidecar, int novel_depth) {
  const int m = model.config().functions;
  if (name == "lookup") return lookup(format, m);
  if (name == "compose2") return compose2(format, m);
  if (name == "compose3") return compose3(format, m);
  if (name == "novel") {
    if (!sidecar) throw error("task novel needs a corpus (its sidecar lists the chains seen as lists)");
    return novel(format, *sidecar, model, novel_depth);
  }
  throw error("unknown task '" + std::string(name) + "' (expected lookup, compose2, compose3 or novel)");
}

}  // namespace induct::setup
