#pragma once
// Portable, seeded randomness. Every draw is defined here bit for bit (no std::*_distribution,
// whose output is implementation-defined), so a seed gives the same corpus on every platform.
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <span>
#include <stdexcept>
#include <vector>

namespace induct {

/// SplitMix64 step: used to expand a 64-bit seed into a full generator state.
constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// xoshiro256** (Blackman and Vigna 2018) with portable derived draws.
/// Satisfies std::uniform_random_bit_generator; the state is four words, saved in checkpoints.
class random_engine {
 public:
  using result_type = std::uint64_t;
  using state_type = std::array<std::uint64_t, 4>;

  explicit random_engine(std::uint64_t seed = 1) noexcept { reseed(seed); }

  void reseed(std::uint64_t seed) noexcept {
    std::uint64_t s = seed;
    for (auto& word : state_) word = splitmix64(s);
  }

  /// An independent stream for `stream_id` (e.g. one per sweep point or worker), derived from a seed.
  static random_engine for_stream(std::uint64_t seed, std::uint64_t stream_id) noexcept {
    std::uint64_t s = seed ^ (0xd1b54a32d192ed03ULL * (stream_id + 1));
    return random_engine(splitmix64(s));
  }

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  result_type operator()() noexcept {
    const std::uint64_t result = std::rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = std::rotl(state_[3], 45);
    return result;
  }

  /// Uniform double in [0, 1) from the top 53 bits.
  double uniform() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

  /// Uniform integer in [0, bound), unbiased (Lemire's multiply-and-reject). bound must be > 0.
  std::uint64_t below(std::uint64_t bound) noexcept {
    __uint128_t m = static_cast<__uint128_t>((*this)()) * bound;
    auto low = static_cast<std::uint64_t>(m);
    if (low < bound) {
      const std::uint64_t threshold = (0 - bound) % bound;
      while (low < threshold) {
        m = static_cast<__uint128_t>((*this)()) * bound;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  /// Bernoulli(p).
  bool bernoulli(double p) noexcept { return uniform() < p; }

  /// Standard normal by Box-Muller (cosine branch only, so one draw per call is reproducible).
  double normal() noexcept {
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

  /// Index drawn with probability weights[i] / sum(weights) by linear search (small supports).
  template <class Weights>
  std::size_t categorical(const Weights& weights) noexcept {
    double total = 0.0;
    for (double w : weights) total += w;
    double u = uniform() * total;
    std::size_t last_positive = 0;
    for (std::size_t i = 0; i < std::size(weights); ++i) {
      if (weights[i] <= 0.0) continue;
      last_positive = i;
      if (u < weights[i]) return i;
      u -= weights[i];
    }
    return last_positive;  // rounding left u >= 0 at the end: the last positive weight
  }

  /// Fisher-Yates shuffle with portable draws.
  template <class Range>
  void shuffle(Range& range) noexcept {
    const auto n = std::size(range);
    for (std::size_t i = n; i > 1; --i) {
      using std::swap;
      swap(range[i - 1], range[below(i)]);
    }
  }

  [[nodiscard]] const state_type& state() const noexcept { return state_; }
  void set_state(const state_type& state) {
    if (state == state_type{}) throw std::invalid_argument("random_engine: all-zero state is invalid");
    state_ = state;
  }

 private:
  state_type state_{};
};

/// Walker/Vose alias table: O(1) draws from a fixed categorical law, for hot samplers.
class alias_table {
 public:
  alias_table() = default;
  explicit alias_table(std::span<const double> weights) {
    const std::size_t n = weights.size();
    if (n == 0) throw std::invalid_argument("alias_table: empty support");
    double total = 0.0;
    for (double w : weights) {
      if (!(w >= 0.0) || !std::isfinite(w)) throw std::invalid_argument("alias_table: weights must be finite and >= 0");
      total += w;
    }
    if (!(total > 0.0)) throw std::invalid_argument("alias_table: weights sum to zero");
    probability_.assign(n, 0.0);
    alias_.assign(n, 0);
    std::vector<double> scaled(n);
    std::vector<std::uint32_t> small, large;
    for (std::size_t i = 0; i < n; ++i) {
      scaled[i] = weights[i] * static_cast<double>(n) / total;
      (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
      const auto s = small.back();
      small.pop_back();
      const auto l = large.back();
      probability_[s] = scaled[s];
      alias_[s] = l;
      scaled[l] = (scaled[l] + scaled[s]) - 1.0;
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    for (auto i : large) probability_[i] = 1.0;
    for (auto i : small) probability_[i] = 1.0;  // only rounding leaves entries here
  }

  std::uint32_t operator()(random_engine& rng) const noexcept {
    const std::uint64_t bits = rng();
    const auto column = static_cast<std::uint32_t>((static_cast<__uint128_t>(bits) * probability_.size()) >> 64);
    const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    return u < probability_[column] ? column : alias_[column];
  }

  [[nodiscard]] std::size_t size() const noexcept { return probability_.size(); }

 private:
  std::vector<double> probability_;
  std::vector<std::uint32_t> alias_;
};

}  // namespace induct
