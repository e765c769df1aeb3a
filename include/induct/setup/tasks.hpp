#pragma once
// The ICL task suite (SPEC section 3): which chain phi a prompt's list iterates, and in which format.
//
// Per prompt the chain is drawn from the task with the prompt's own seeded engine:
//   lookup    phi = f_1,              f_1 ~ U(m)
//   compose2  phi = f_2 o f_1,        f_1, f_2 ~ U(m) independent, conditioned on phi not held out
//   compose3  phi = f_3 o f_2 o f_1,  f_1, f_2, f_3 ~ U(m) independent, conditioned on phi not held out
//   novelK    phi ~ U(the held-out chains of depth K) (setup/held_out.hpp): never a list in the training
//             corpus (in the held-out formats); `novel` names novelK for the smallest K that has one
//   custom    phi ~ U(a user-given list of chains) (one chain: always that chain)
// So seen (compose) and held-out (novel) chains are compared on equal terms: the same depth, the same
// population prior, the same prompts' law.
// Any format may be combined with any task; a task whose chain has prior 0 under the format
// (e.g. a composite direct chain with direct_composite_rate = 0) is rejected when prompted.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/linkage.hpp"
#include "induct/core/random.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/held_out.hpp"

namespace induct::setup {

class task {
 public:
  /// A chain of `depth` independent uniform functions (lookup: 1, compose2: 2, compose3: 3), over every chain
  /// of the depth, held-out ones included; by_name poses compose tasks over the seen chains only.
  INDUCT_DECLARE static task uniform_chain(std::string name, list_format format, int depth, int functions);
  INDUCT_DETAIL static task lookup(list_format format, int functions) { return uniform_chain("lookup", format, 1, functions); }
  INDUCT_DETAIL static task compose2(list_format format, int functions) { return uniform_chain("compose2", format, 2, functions); }
  INDUCT_DETAIL static task compose3(list_format format, int functions) { return uniform_chain("compose3", format, 3, functions); }

  /// User-defined: one of `chains`, uniformly (each checked against the model).
  INDUCT_DECLARE static task custom(std::string name, list_format format, std::vector<function_chain> chains,
                                    const document_model& model);

  /// `name`: a uniform chain of `depth` conditioned on not being held out in `held` (any format).
  INDUCT_DECLARE static task seen_chains(std::string name, list_format format, int depth, const held_out_set& held);

  /// novel{depth}: the held-out chains of `depth` (0: the smallest depth with one); error if there are none.
  INDUCT_DECLARE static task novel(list_format format, const held_out_set& held, const document_model& model, int depth = 0);

  /// novel{depth} for a corpus whose world holds nothing out (e.g. one sampled before held-out sets existed):
  /// the chains of `depth` (0: the smallest >= 2 with one) never seen as a list in its `sidecar`
  /// (held_out_of() "unseen"); error if the corpus saw them all.
  INDUCT_DECLARE static task unseen(list_format format, const nlohmann::json& sidecar, const document_model& model,
                                    int depth = 0);

  /// lookup | compose2 | compose3 | novel | novel2 .. novel{max_depth}, with the held-out set of model.config();
  /// a novel task of a world that holds out no chain of its depth falls back to unseen(...) when a corpus
  /// `sidecar` is given. Error naming the task otherwise.
  INDUCT_DECLARE static task by_name(std::string_view name, list_format format, const document_model& model,
                                     const nlohmann::json* sidecar = nullptr);

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] list_format format() const noexcept { return format_; }
  /// Depth of the task's chains (of the first candidate for custom tasks).
  [[nodiscard]] int depth() const noexcept { return depth_; }
  /// The explicit candidate chains (custom and novel), empty for uniform-chain tasks.
  [[nodiscard]] const std::vector<function_chain>& candidates() const noexcept { return candidates_; }
  /// Whether the task's chains were held out of the training corpus's lists (novel tasks), and in which
  /// formats: "both", "direct" (still in stepwise lists); "unseen" (no list of a given corpus used them, by
  /// chance: unseen()); "" for chains a corpus can use.
  [[nodiscard]] const std::string& held_out_of() const noexcept { return held_out_of_; }

  /// Draws the chain of one prompt.
  [[nodiscard]] function_chain draw_chain(random_engine& rng) const {
    if (!candidates_.empty()) return candidates_[static_cast<std::size_t>(rng.below(candidates_.size()))];
    function_chain chain(static_cast<std::size_t>(depth_));
    for (;;) {  // uniform over the chains of depth_ outside excluded_
      std::uint64_t within = 0;
      for (auto& f : chain) {
        f = static_cast<int>(rng.below(static_cast<std::uint64_t>(functions_)));
        within = within * static_cast<std::uint64_t>(functions_) + static_cast<std::uint64_t>(f);
      }
      if (!std::binary_search(excluded_.begin(), excluded_.end(), within)) return chain;
    }
  }

 private:
  task() = default;
  std::string name_;
  list_format format_ = list_format::direct;
  int depth_ = 1;
  int functions_ = 1;
  std::vector<function_chain> candidates_;
  std::vector<std::uint64_t> excluded_;  // sorted within-depth indices a uniform chain may not take
  std::string held_out_of_;
};

}  // namespace induct::setup

#if INDUCT_HEADER_ONLY
#include "induct/setup/detail/tasks_impl.hpp"
#endif
