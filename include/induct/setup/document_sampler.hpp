#pragma once
// The compiled token-level document sampler: draws documents of the model in
// setup/document_model.hpp straight into a token buffer (alias tables, no per-token allocation),
// and accounts the exact log2-probability of the derivation it drew.
//
// It is a compiled form of the document CAG (setup/document_grammar.hpp): it can record its choices
// in the CAG's order (choice_record) so that replaying them through the CAG reproduces the same
// tokens and the same log2-probability (tests/setup/test_document_grammar.cpp).
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "induct/core/random.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/world.hpp"

namespace induct::setup {

/// One segment as the sampler drew it (for lists: the task and the drawn length n).
struct segment_event {
  segment_kind kind = segment_kind::fact;
  std::span<const int> chain;     // lists only: the chain, applied first to last
  std::uint64_t chain_index = 0;  // lists only: document_model::chain_index(chain)
  int length = 0;                 // lists: items n; filler: words L; fact: 1
  std::size_t begin = 0;          // offset of the segment's first token in the output buffer
};

/// The choices of one derivation in the document CAG's order: alternative indices in depth-first
/// order, and iteration lengths in depth-first order (the document's segment count first).
struct choice_record {
  std::vector<std::uint32_t> alternatives;
  std::vector<int> lengths;
};

/// A whole sampled document, for tests and small tools (the corpus writer streams instead).
struct sampled_document {
  std::vector<token_id> tokens;
  double log2_probability = 0.0;
  struct segment {
    segment_kind kind;
    function_chain chain;
    int length;
    std::size_t begin;
  };
  std::vector<segment> segments;
};

/// An alias table over the positive-weight entries only, so a zero-weight outcome can never be
/// drawn even when rounding leaves the table's last columns at probability 1.
class positive_alias_table {
 public:
  positive_alias_table() = default;
  explicit positive_alias_table(std::span<const double> weights) {
    std::vector<double> positive;
    for (std::size_t i = 0; i < weights.size(); ++i)
      if (weights[i] > 0.0) {
        positive.push_back(weights[i]);
        outcome_.push_back(static_cast<std::uint32_t>(i));
      }
    table_ = alias_table(positive);
  }
  std::uint32_t operator()(random_engine& rng) const noexcept { return outcome_[table_(rng)]; }

 private:
  alias_table table_;
  std::vector<std::uint32_t> outcome_;
};

class document_sampler {
 public:
  explicit document_sampler(const world& w) : world_(&w), model_(w.config()) {
    const auto& c = w.config();
    entities_ = static_cast<std::uint64_t>(c.entities);
    functions_ = static_cast<std::uint64_t>(c.functions);
    filler_words_ = static_cast<std::uint64_t>(c.filler_words);
    filler_min_ = c.filler_length_min;
    filler_range_ = static_cast<std::uint64_t>(c.filler_length_max - c.filler_length_min + 1);
    const double shares[segment_kind_count] = {c.share_fact, c.share_direct_list, c.share_stepwise_list, c.share_filler};
    segment_alias_ = positive_alias_table(std::span<const double>(shares, segment_kind_count));
    for (int k = 0; k < segment_kind_count; ++k) log2_share_[k] = std::log2(shares[k]);
    for (int f = 0; f < 2; ++f) {
      const auto format = f == 0 ? list_format::direct : list_format::stepwise;
      std::vector<double> depth(static_cast<std::size_t>(c.max_depth));
      auto& log2_depth = log2_depth_[f];
      log2_depth.assign(static_cast<std::size_t>(c.max_depth) + 1, 0.0);
      for (int k = 1; k <= c.max_depth; ++k) {
        depth[static_cast<std::size_t>(k - 1)] = model_.depth_probability(k, format);
        log2_depth[static_cast<std::size_t>(k)] = std::log2(model_.depth_probability(k, format));
      }
      depth_alias_[f] = positive_alias_table(depth);
      const auto& law = model_.list_length_law(format);
      std::vector<double> lengths(static_cast<std::size_t>(law.max_length()));
      auto& log2_length = log2_length_[f];
      log2_length.assign(lengths.size() + 1, 0.0);
      for (int n = 1; n <= law.max_length(); ++n) {
        lengths[static_cast<std::size_t>(n - 1)] = law.pmf(n);
        log2_length[static_cast<std::size_t>(n)] = law.log2_pmf(n);
      }
      length_alias_[f] = positive_alias_table(lengths);
    }
    log2_entities_ = std::log2(static_cast<double>(c.entities));
    log2_functions_ = std::log2(static_cast<double>(c.functions));
    log2_filler_words_ = std::log2(static_cast<double>(c.filler_words));
    log2_filler_range_ = std::log2(static_cast<double>(filler_range_));
    continue_segments_ = 1.0 - 1.0 / c.segments_per_document_mean;
    log2_continue_ = std::log2(continue_segments_);
    log2_stop_ = std::log2(1.0 - continue_segments_);
    chain_.reserve(static_cast<std::size_t>(c.max_depth));
    // Chain-index offsets of each depth (m + m^2 + ... + m^(k-1)).
    depth_offset_.assign(static_cast<std::size_t>(c.max_depth) + 1, 0);
    std::uint64_t power = 1, offset = 0;
    for (int k = 1; k <= c.max_depth; ++k) {
      depth_offset_[static_cast<std::size_t>(k)] = offset;
      power *= functions_;
      offset += power;
    }
  }

  [[nodiscard]] const document_model& model() const noexcept { return model_; }
  [[nodiscard]] const world& world_ref() const noexcept { return *world_; }

  /// Appends one document to `out`, calls `on_segment(const segment_event&)` after each segment,
  /// records the choices in `record` if given, and returns the document's log2-probability.
  template <class OnSegment>
  double sample_document(random_engine& rng, std::vector<token_id>& out, OnSegment&& on_segment,
                         choice_record* record = nullptr) {
    const vocabulary& v = world_->vocab();
    double log2_probability = 0.0;
    std::size_t first_length = 0;
    if (record) {
      record->alternatives.push_back(0);  // Document -> <d> Iter(Segment)
      first_length = record->lengths.size();
      record->lengths.push_back(0);  // the segment count, filled in at the end
    }
    out.push_back(vocabulary::document);
    int segments = 0;
    for (;;) {
      ++segments;
      segment_event event;
      event.begin = out.size();
      const auto kind = static_cast<segment_kind>(segment_alias_(rng));
      event.kind = kind;
      log2_probability += log2_share_[static_cast<int>(kind)];
      if (record) record->alternatives.push_back(static_cast<std::uint32_t>(kind));
      switch (kind) {
        case segment_kind::fact: {
          const auto x = static_cast<int>(rng.below(entities_));
          const auto i = static_cast<int>(rng.below(functions_));
          out.push_back(v.entity(x));
          out.push_back(v.relation(i));
          out.push_back(v.entity(world_->apply(i, x)));
          out.push_back(vocabulary::period);
          log2_probability -= log2_entities_ + log2_functions_;
          event.length = 1;
          if (record) {
            record->alternatives.push_back(0);  // Fact -> Entity Relation e_y .
            record->alternatives.push_back(static_cast<std::uint32_t>(x));
            record->alternatives.push_back(static_cast<std::uint32_t>(i));
          }
          break;
        }
        case segment_kind::filler: {
          const auto extra = rng.below(filler_range_);
          const int length = filler_min_ + static_cast<int>(extra);
          if (record) record->alternatives.push_back(static_cast<std::uint32_t>(extra));
          for (int j = 0; j < length; ++j) {
            const auto w = static_cast<int>(rng.below(filler_words_));
            out.push_back(v.filler(w));
            if (record) record->alternatives.push_back(static_cast<std::uint32_t>(w));
          }
          out.push_back(vocabulary::period);
          log2_probability -= log2_filler_range_ + length * log2_filler_words_;
          event.length = length;
          break;
        }
        case segment_kind::direct_list:
        case segment_kind::stepwise_list: {
          const int f = kind == segment_kind::direct_list ? 0 : 1;
          const int depth = static_cast<int>(depth_alias_[f](rng)) + 1;
          chain_.clear();
          std::uint64_t within = 0;
          for (int j = 0; j < depth; ++j) {
            const auto fn = static_cast<int>(rng.below(functions_));
            chain_.push_back(fn);
            within = within * functions_ + static_cast<std::uint64_t>(fn);
          }
          const int length = static_cast<int>(length_alias_[f](rng)) + 1;
          event.chain = chain_;
          event.chain_index = depth_offset_[static_cast<std::size_t>(depth)] + within;
          event.length = length;
          log2_probability += log2_depth_[f][static_cast<std::size_t>(depth)] - depth * log2_functions_ +
                              log2_length_[f][static_cast<std::size_t>(length)] - length * log2_entities_;
          if (record) {
            record->alternatives.push_back(static_cast<std::uint32_t>(event.chain_index));
            record->lengths.push_back(length);
          }
          out.push_back(vocabulary::open_list);
          for (int item = 0; item < length; ++item) {
            if (item) out.push_back(vocabulary::semicolon);
            int x = static_cast<int>(rng.below(entities_));
            if (record) {
              record->alternatives.push_back(0);  // Item -> Entity : ...
              record->alternatives.push_back(static_cast<std::uint32_t>(x));
            }
            out.push_back(v.entity(x));
            out.push_back(vocabulary::colon);
            if (f == 0) {
              for (int fn : chain_) x = world_->apply(fn, x);
              out.push_back(v.entity(x));
            } else {
              for (int fn : chain_) out.push_back(v.entity(x = world_->apply(fn, x)));
            }
          }
          out.push_back(vocabulary::close_list);
          break;
        }
      }
      on_segment(static_cast<const segment_event&>(event));
      if (rng.uniform() < continue_segments_) {
        log2_probability += log2_continue_;
      } else {
        log2_probability += log2_stop_;
        break;
      }
    }
    if (record) record->lengths[first_length] = segments;
    return log2_probability;
  }

  /// One whole document with its segments (convenience for tests and tools).
  sampled_document sample(random_engine& rng, choice_record* record = nullptr) {
    sampled_document document;
    document.log2_probability = sample_document(
        rng, document.tokens,
        [&](const segment_event& e) {
          document.segments.push_back({e.kind, function_chain(e.chain.begin(), e.chain.end()), e.length, e.begin});
        },
        record);
    return document;
  }

 private:
  const world* world_;
  document_model model_;
  std::uint64_t entities_ = 0, functions_ = 0, filler_words_ = 0, filler_range_ = 0;
  int filler_min_ = 1;
  positive_alias_table segment_alias_;
  double log2_share_[segment_kind_count] = {};
  positive_alias_table depth_alias_[2];
  positive_alias_table length_alias_[2];
  std::vector<double> log2_depth_[2];
  std::vector<double> log2_length_[2];
  std::vector<std::uint64_t> depth_offset_;
  double log2_entities_ = 0, log2_functions_ = 0, log2_filler_words_ = 0, log2_filler_range_ = 0;
  double continue_segments_ = 0, log2_continue_ = 0, log2_stop_ = 0;
  function_chain chain_;
};

}  // namespace induct::setup
