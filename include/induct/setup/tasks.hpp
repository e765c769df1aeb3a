#pragma once
// The ICL task suite (SPEC section 3): which chain phi a prompt's list iterates, and in which format.
//
// Per prompt the chain is drawn from the task with the prompt's own seeded engine:
//   lookup    phi = f_1,              f_1 ~ U(m)
//   compose2  phi = f_2 o f_1,        f_1, f_2 ~ U(m) independent
//   compose3  phi = f_3 o f_2 o f_1,  f_1, f_2, f_3 ~ U(m) independent
//   novel     phi ~ U(chains of one depth that never occur as a list, in either format, in a
//             corpus sidecar); the depth is given or else the smallest depth >= 2 that has one
//   custom    phi ~ U(a user-given list of chains) (one chain: always that chain)
// Any format may be combined with any task; a task whose chain has prior 0 under the format
// (e.g. a composite direct chain with direct_composite_rate = 0) is rejected when prompted.
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/random.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/document_model.hpp"

namespace induct::setup {

class task {
 public:
  /// A chain of `depth` independent uniform functions (lookup: 1, compose2: 2, compose3: 3).
  static task uniform_chain(std::string name, list_format format, int depth, int functions) {
    if (depth < 1) throw error("task " + name + ": depth must be >= 1");
    if (functions < 1) throw error("task " + name + ": needs at least one function");
    task t;
    t.name_ = std::move(name);
    t.format_ = format;
    t.depth_ = depth;
    t.functions_ = functions;
    return t;
  }
  static task lookup(list_format format, int functions) { return uniform_chain("lookup", format, 1, functions); }
  static task compose2(list_format format, int functions) { return uniform_chain("compose2", format, 2, functions); }
  static task compose3(list_format format, int functions) { return uniform_chain("compose3", format, 3, functions); }

  /// User-defined: one of `chains`, uniformly (each checked against the model).
  static task custom(std::string name, list_format format, std::vector<function_chain> chains, const document_model& model) {
    if (chains.empty()) throw error("task " + name + ": no chains given");
    for (const auto& c : chains) model.check_chain(c);
    task t;
    t.name_ = std::move(name);
    t.format_ = format;
    t.depth_ = static_cast<int>(chains.front().size());
    t.candidates_ = std::move(chains);
    return t;
  }

  /// Chains of depth `depth` (0: the smallest depth >= 2 with one) never seen as a list in `sidecar`.
  static task novel(list_format format, const nlohmann::json& sidecar, const document_model& model, int depth = 0) {
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

  /// lookup | compose2 | compose3 | novel (needs a sidecar); error naming the task otherwise.
  static task by_name(std::string_view name, list_format format, const document_model& model,
                      const nlohmann::json* sidecar = nullptr, int novel_depth = 0) {
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

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] list_format format() const noexcept { return format_; }
  /// Depth of the task's chains (of the first candidate for custom tasks).
  [[nodiscard]] int depth() const noexcept { return depth_; }
  /// The explicit candidate chains (custom and novel), empty for uniform-chain tasks.
  [[nodiscard]] const std::vector<function_chain>& candidates() const noexcept { return candidates_; }

  /// Draws the chain of one prompt.
  [[nodiscard]] function_chain draw_chain(random_engine& rng) const {
    if (!candidates_.empty()) return candidates_[static_cast<std::size_t>(rng.below(candidates_.size()))];
    function_chain chain(static_cast<std::size_t>(depth_));
    for (auto& f : chain) f = static_cast<int>(rng.below(static_cast<std::uint64_t>(functions_)));
    return chain;
  }

 private:
  task() = default;
  std::string name_;
  list_format format_ = list_format::direct;
  int depth_ = 1;
  int functions_ = 1;
  std::vector<function_chain> candidates_;
};

}  // namespace induct::setup
