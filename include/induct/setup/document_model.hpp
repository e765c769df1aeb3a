#pragma once
// The exact generative model of the default setup's documents (SPEC section 3). Every sampler,
// the document CAG (setup/document_grammar.hpp) and the idealized predictor agree on it.
//
// A document is `<d>` followed by N >= 1 segments, N geometric with mean M =
// segments_per_document_mean (after each segment the document ends with probability 1/M;
// P(N) = (1/M) (1 - 1/M)^(N-1), unbounded). There is no end token: the next `<d>` starts the next
// document. Each segment independently is
//   fact      with probability share_fact:          `e_x r_i e_y .`   x ~ U(E), i ~ U(m), y = f_i(x)
//   direct    with probability share_direct_list:   `[ x1 : y1 ; ... ; xn : yn ]`
//   stepwise  with probability share_stepwise_list: `[ x1 : z11 ... z1k ; ... ; xn : zn1 ... znk ]`
//   filler    with probability share_filler:        L ~ U{filler_length_min..max} words w ~ U(F), then `.`
// A list draws its task once (the iteration's shared variable) and then n items:
//   depth     P(k | stepwise) = P(k),  P(k | direct) = P(k) w_k / sum_j P(j) w_j, with
//             P(k) = (1-c) c^(k-1) / (1 - c^K) on k = 1..K (c = depth_continue, K = max_depth) and
//             w_1 = 1, w_k = direct_composite_rate for k >= 2;
//   chain     f_1..f_k independent and uniform over the m functions: P(chain | k) = m^-k;
//   length    n ~ the format's length law (geometric: mean list_length_mean truncated to
//             [1, list_length_max] for both formats; power_law: Zipf(direct_zipf_exponent) for
//             direct, Zipf(stepwise_zipf_exponent) for stepwise, both on [1, list_length_max]);
//   items     x ~ U(E) independently (with replacement); direct emits `x : phi(x)`, stepwise emits
//             `x : f_1(x) f_2(f_1(x)) ... phi(x)` (k values); items are separated by `;`.
// So the log2 prior of a list task given that the segment is a list is
//   log2 P(format | list) + log2 P(k | format) - k log2 m,
// with P(format | list) = share_format / (share_direct_list + share_stepwise_list), and its
// description length D(format, chain) is minus that (SPEC section 1).
#include <array>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"
#include "induct/grammar/length_law.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/world.hpp"

namespace induct::setup {

enum class list_format { direct, stepwise };

}  // namespace induct::setup

template <>
struct induct::enum_names<induct::setup::list_format> {
  static constexpr std::array<std::pair<setup::list_format, const char*>, 2> values = {
      {{setup::list_format::direct, "direct"}, {setup::list_format::stepwise, "stepwise"}}};
};

namespace induct::setup {

inline const char* to_string(list_format format) noexcept {
  return format == list_format::direct ? "direct" : "stepwise";
}
/// "direct" or "stepwise"; error naming the value otherwise.
inline list_format parse_list_format(std::string_view text) {
  if (text == "direct") return list_format::direct;
  if (text == "stepwise") return list_format::stepwise;
  throw error("unknown list format '" + std::string(text) + "' (expected direct or stepwise)");
}

enum class segment_kind { fact, direct_list, stepwise_list, filler };
inline constexpr int segment_kind_count = 4;
inline const char* to_string(segment_kind kind) noexcept {
  switch (kind) {
    case segment_kind::fact: return "fact";
    case segment_kind::direct_list: return "direct_list";
    case segment_kind::stepwise_list: return "stepwise_list";
    case segment_kind::filler: return "filler";
  }
  return "?";
}

/// A list's task: its format and function chain (applied first to last).
struct list_task {
  list_format format = list_format::direct;
  function_chain chain;
  friend bool operator==(const list_task&, const list_task&) = default;
};

/// The probabilities of the document model for one config; cheap to copy.
class document_model {
 public:
  INDUCT_DECLARE explicit document_model(const setup_config& config);

  [[nodiscard]] const setup_config& config() const noexcept { return config_; }

  // ---- segments ----
  /// Law of the number of segments of a document (unbounded geometric).
  [[nodiscard]] const grammar::length_law& segment_count_law() const noexcept { return segments_; }
  [[nodiscard]] double segment_share(segment_kind kind) const noexcept {
    switch (kind) {
      case segment_kind::fact: return config_.share_fact;
      case segment_kind::direct_list: return config_.share_direct_list;
      case segment_kind::stepwise_list: return config_.share_stepwise_list;
      case segment_kind::filler: return config_.share_filler;
    }
    return 0.0;
  }

  // ---- list tasks ----
  /// P(format | the segment is a list).
  [[nodiscard]] double format_probability(list_format format) const noexcept {
    const double lists = config_.share_direct_list + config_.share_stepwise_list;
    return (format == list_format::direct ? config_.share_direct_list : config_.share_stepwise_list) / lists;
  }
  /// P(k | format); 0 outside 1..max_depth.
  [[nodiscard]] double depth_probability(int depth, list_format format) const noexcept {
    if (depth < 1 || depth > config_.max_depth) return 0.0;
    return (format == list_format::direct ? depth_direct_ : depth_stepwise_)[static_cast<std::size_t>(depth)];
  }
  /// log2 P(chain | format) = log2 P(k | format) - k log2 m; -inf for an impossible chain.
  [[nodiscard]] double log2_chain_prior(list_format format, std::span<const int> chain) const {
    check_chain(chain);
    const int k = static_cast<int>(chain.size());
    return std::log2(depth_probability(k, format)) - k * std::log2(static_cast<double>(config_.functions));
  }
  /// log2 P(format, chain | list): the log2 prior of a list task (see the header comment).
  [[nodiscard]] double log2_task_prior(list_format format, std::span<const int> chain) const {
    return std::log2(format_probability(format)) + log2_chain_prior(format, chain);
  }
  [[nodiscard]] double log2_task_prior(const list_task& task) const { return log2_task_prior(task.format, task.chain); }
  /// D(format, chain) = -log2 P(format, chain | list) bits.
  [[nodiscard]] double description_length_bits(const list_task& task) const { return -log2_task_prior(task); }

  /// The list length law of a format.
  [[nodiscard]] const grammar::length_law& list_length_law(list_format format) const noexcept {
    return format == list_format::direct ? direct_length_ : stepwise_length_;
  }

  // ---- chain enumeration: all chains of depth 1..max_depth, by depth then lexicographically ----
  /// Number of chains of depth 1..max_depth: m + m^2 + ... + m^K.
  [[nodiscard]] std::size_t chain_count() const noexcept {
    std::size_t total = 0, power = 1;
    for (int k = 1; k <= config_.max_depth; ++k) total += (power *= static_cast<std::size_t>(config_.functions));
    return total;
  }
  /// Index of a chain in the enumeration.
  [[nodiscard]] std::size_t chain_index(std::span<const int> chain) const {
    check_chain(chain);
    const auto m = static_cast<std::size_t>(config_.functions);
    std::size_t offset = 0, power = 1;
    for (std::size_t k = 1; k < chain.size(); ++k) offset += (power *= m);
    std::size_t within = 0;
    for (int f : chain) within = within * m + static_cast<std::size_t>(f);
    return offset + within;
  }
  /// The chain with enumeration index `index`.
  INDUCT_DECLARE [[nodiscard]] function_chain chain_at(std::size_t index) const;

  /// Throws unless 1 <= k <= max_depth and every function index is in [0, m).
  INDUCT_DECLARE void check_chain(std::span<const int> chain) const;

  static grammar::length_law make_length_law(const setup_config& config, list_format format) {
    if (config.list_length_law == length_law_kind::geometric)
      return grammar::length_law::geometric(config.list_length_mean, config.list_length_max);
    return grammar::length_law::zipf(
        format == list_format::direct ? config.direct_zipf_exponent : config.stepwise_zipf_exponent, config.list_length_max);
  }

 private:
  INDUCT_DETAIL static const setup_config& validated(const setup_config& config) {
    config.validate();
    return config;
  }

  setup_config config_;
  grammar::length_law segments_;
  grammar::length_law direct_length_;
  grammar::length_law stepwise_length_;
  std::vector<double> depth_direct_;    // P(k | direct), index k
  std::vector<double> depth_stepwise_;  // P(k | stepwise) = P(k)
};

/// "1.3" style label of a chain with 1-based relation numbers: {0, 2} -> "r1.r3".
INDUCT_DECLARE std::string chain_label(std::span<const int> chain);

}  // namespace induct::setup

#if INDUCT_HEADER_ONLY
#include "induct/setup/detail/document_model_impl.hpp"
#endif
