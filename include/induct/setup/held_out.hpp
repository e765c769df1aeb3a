#pragma once
// Held-out compositions (SPEC section 3): composite chains a sampled corpus never uses in a list.
//
//   H = the chains labelled in config.held_out_chains, if any; otherwise, for each depth
//       k = 2..min(held_out_max_depth, max_depth), round(held_out_fraction * m^k) of the m^k chains of
//       depth k, drawn uniformly without replacement (Floyd's algorithm) from
//       random_engine::for_stream(held_out_seed, held_out_stream + k), so the depth-2 set does not move
//       when max_depth does.
//   H_F = H for the formats held out (held_out_formats: both, or direct only), empty otherwise.
//
// The held-out set belongs to the corpus, not to the grammar: document_model, the idealized predictor,
// D and the bounds stay the population's. The corpus sampler draws a list's chain from the population
// conditioned on not being held out in the list's format (rejection of the whole (depth, chain) draw):
//   P_corpus(phi | F) = P(phi | F) 1{phi not in H_F} / (1 - P(H_F | F)),   P(H_F | F) = sum_{phi in H_F} P(phi | F),
// so each seen chain keeps its relative weight. Primitives (depth 1) are never held out, so they still
// occur in facts and in other chains' lists.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/linkage.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/document_model.hpp"

namespace induct::setup {

/// Stream id base of the held-out draw (see random_engine::for_stream); depth k uses base + k.
inline constexpr std::uint64_t held_out_stream = 0x68656c646f7574ULL;  // "heldout"

class held_out_set {
 public:
  /// The held-out set of `config` (validated first).
  INDUCT_DECLARE explicit held_out_set(const setup_config& config);

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// Number of held-out chains (over all depths).
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] held_out_formats formats() const noexcept { return formats_; }
  [[nodiscard]] int functions() const noexcept { return functions_; }
  /// Whether lists of `format` leave the held-out chains out.
  [[nodiscard]] bool applies_to(list_format format) const noexcept {
    return format == list_format::direct || formats_ == held_out_formats::both;
  }

  /// Whether the chain of depth `depth` with within-depth index `within` (base-m digits f_1..f_k) is held out.
  [[nodiscard]] bool contains(int depth, std::uint64_t within) const noexcept {
    const auto& held = within_depth(depth);
    return !held.empty() && std::binary_search(held.begin(), held.end(), within);
  }
  /// Whether `chain` is held out (any format).
  [[nodiscard]] bool contains(std::span<const int> chain) const noexcept {
    std::uint64_t within = 0;
    for (int f : chain) within = within * static_cast<std::uint64_t>(functions_) + static_cast<std::uint64_t>(f);
    return contains(static_cast<int>(chain.size()), within);
  }
  /// Whether a list of `format` may not use `chain`.
  [[nodiscard]] bool excludes(list_format format, std::span<const int> chain) const noexcept {
    return applies_to(format) && contains(chain);
  }

  /// The sorted within-depth indices of the held-out chains of depth `depth` (empty outside 2..max_depth).
  [[nodiscard]] const std::vector<std::uint64_t>& within_depth(int depth) const noexcept {
    static const std::vector<std::uint64_t> none;
    return depth >= 0 && static_cast<std::size_t>(depth) < by_depth_.size() ? by_depth_[static_cast<std::size_t>(depth)] : none;
  }
  /// The held-out chains of depth `depth`, in index order.
  INDUCT_DECLARE [[nodiscard]] std::vector<function_chain> chains(int depth) const;
  /// Every held-out chain, by depth then index.
  INDUCT_DECLARE [[nodiscard]] std::vector<function_chain> chains() const;

  /// P(H_F | F): the population prior mass of the chains lists of `format` leave out (0 if none).
  INDUCT_DECLARE [[nodiscard]] double prior_mass(const document_model& model, list_format format) const;

  /// {"formats": "both"|"direct", "chains": ["r1.r3", ...], "prior_mass": {"direct": p, "stepwise": p}}
  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json(const document_model& model) const;

 private:
  int functions_ = 1;
  held_out_formats formats_ = held_out_formats::both;
  std::size_t size_ = 0;
  std::vector<std::vector<std::uint64_t>> by_depth_;  // index k: sorted within-depth indices
};

/// The chain labels of a held-out file: one chain per line ("r2.r5"), blank lines and '#' comments skipped.
/// file_error naming the file and line for a malformed label (labels are checked against the world when
/// the configuration is validated).
INDUCT_DECLARE std::vector<std::string> read_held_out_file(const std::filesystem::path& path);

}  // namespace induct::setup

#if INDUCT_HEADER_ONLY
#include "induct/setup/detail/held_out_impl.hpp"
#endif
