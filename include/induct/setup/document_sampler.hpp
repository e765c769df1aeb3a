#pragma once
// The compiled token-level document sampler: draws documents of the model in
// setup/document_model.hpp straight into a token buffer (alias tables, no per-token allocation),
// and accounts the exact log2-probability of the derivation it drew.
//
// It is a compiled form of the document CAG (setup/document_grammar.hpp): it can record its choices
// in the CAG's order (choice_record) so that replaying them through the CAG reproduces the same
// tokens and the same log2-probability (tests/setup/test_document_grammar.cpp), when nothing is held
// out. With a held-out set (setup/held_out.hpp) a list's (depth, chain) draw is repeated until the chain
// is not held out in the list's format, and each list adds -log2(1 - P(H_F | F)) to the log2-probability:
// the corpus grammar is the population conditioned on its lists avoiding H_F.
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "induct/core/linkage.hpp"
#include "induct/core/random.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/held_out.hpp"
#include "induct/setup/world.hpp"

namespace induct::setup {

/// One segment as the sampler drew it (for lists: the task and the drawn length n).
struct segment_event {
  segment_kind kind = segment_kind::fact;
  std::span<const int> chain;     // lists only: the chain, applied first to last
  std::uint64_t chain_index = 0;  // lists only: document_model::chain_index(chain)
  int function = -1;              // facts only: the relation's function index
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
  INDUCT_DECLARE explicit document_sampler(const world& w);

  [[nodiscard]] const document_model& model() const noexcept { return model_; }
  [[nodiscard]] const world& world_ref() const noexcept { return *world_; }
  [[nodiscard]] const held_out_set& held_out() const noexcept { return held_out_; }

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
          event.function = i;
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
          int depth = 0;
          std::uint64_t within = 0;
          do {  // rejection: the population's draw conditioned on not being held out in this format
            depth = static_cast<int>(depth_alias_[f](rng)) + 1;
            chain_.clear();
            within = 0;
            for (int j = 0; j < depth; ++j) {
              const auto fn = static_cast<int>(rng.below(functions_));
              chain_.push_back(fn);
              within = within * functions_ + static_cast<std::uint64_t>(fn);
            }
          } while (holds_out_[f] && held_out_.contains(depth, within));
          const int length = static_cast<int>(length_alias_[f](rng)) + 1;
          event.chain = chain_;
          event.chain_index = depth_offset_[static_cast<std::size_t>(depth)] + within;
          event.length = length;
          log2_probability += log2_depth_[f][static_cast<std::size_t>(depth)] - depth * log2_functions_ +
                              log2_length_[f][static_cast<std::size_t>(length)] - length * log2_entities_ +
                              log2_kept_correction_[f];
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
  INDUCT_DECLARE sampled_document sample(random_engine& rng, choice_record* record = nullptr);

 private:
  const world* world_;
  document_model model_;
  held_out_set held_out_;
  bool holds_out_[2] = {false, false};       // per format (direct, stepwise): whether lists avoid held_out_
  double log2_kept_correction_[2] = {0, 0};  // -log2(1 - P(H_F | F))
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

#if INDUCT_HEADER_ONLY
#include "induct/setup/detail/document_sampler_impl.hpp"
#endif
