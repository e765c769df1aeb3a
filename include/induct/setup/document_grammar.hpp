#pragma once
// The document grammar of the default setup, written with the CAG templates (grammar/cag.hpp)
// exactly as a user would write their own; the generative model it encodes is stated in
// setup/document_model.hpp. Nonterminals (inherited attribute, synthesized attribute):
//
//   Document           -> "<d>" Iter[Segment]           (no separator; geometric, mean M, unbounded)
//   Segment            -> Fact [share_fact] | DirectList [share_direct_list]
//                       | StepwiseList [share_stepwise_list] | Filler [share_filler]
//   Fact               -> Entity Relation "e_{f_i(x)}" "."       (x, i synthesized by the children)
//   Entity      (, x)  -> "e_x"          [1/E] for each x
//   Relation    (, i)  -> "r_{i+1}"      [1/m] for each i
//   Filler             -> FillerWord^L "."   [1/(max-min+1)] for each L in min..max
//   FillerWord         -> "w_j"          [1/F]
//   DirectList         -> "[" share phi Iter[DirectItem] "]"      [P(k | direct) m^-k] for each chain phi
//   StepwiseList       -> "[" share phi Iter[StepwiseItem] "]"    [P(k | stepwise) m^-k] for each phi
//   DirectItem   {phi} -> Entity ":" "e_{phi(x)}"
//   StepwiseItem {phi} -> Entity ":" "e_{f_1(x)}" ... "e_{phi(x)}"
// Iter[DirectItem] has separator ";" and the direct length law, Iter[StepwiseItem] the stepwise one.
// Alternatives are listed in this order (chains in document_model's enumeration order, zero-prior
// chains included with probability 0), which is the order document_sampler records its choices in,
// so a choice_record replays through this grammar (replay_chooser).
//
// Grounding enumerates every chain and entity, so it is for small worlds (e.g. E = 3..5, m = 2,
// max_depth 2, list_length_max 4..6); ground() refuses worlds whose grounding would be too large.
#include <memory>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"
#include "induct/grammar/cag.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/document_sampler.hpp"
#include "induct/setup/world.hpp"

namespace induct::setup {

/// Replays a choice_record (from document_sampler) through the document CAG.
class replay_chooser final : public grammar::cag_chooser {
 public:
  explicit replay_chooser(const choice_record& record) : record_(&record) {}
  std::size_t choose_alternative(std::span<const double>) override {
    if (next_alternative_ >= record_->alternatives.size()) throw error("choice record exhausted (alternatives)");
    return record_->alternatives[next_alternative_++];
  }
  int choose_length(const grammar::length_law&) override {
    if (next_length_ >= record_->lengths.size()) throw error("choice record exhausted (lengths)");
    return record_->lengths[next_length_++];
  }
  [[nodiscard]] bool finished() const noexcept {
    return next_alternative_ == record_->alternatives.size() && next_length_ == record_->lengths.size();
  }

 private:
  const choice_record* record_;
  std::size_t next_alternative_ = 0;
  std::size_t next_length_ = 0;
};

class document_grammar {
 public:
  /// Builds the CAG of `w`'s config; `w` must outlive the grammar.
  INDUCT_DECLARE explicit document_grammar(const world& w);

  [[nodiscard]] const grammar::cag& cag() const noexcept { return grammar_; }
  [[nodiscard]] const document_model& model() const noexcept { return *model_; }

  /// Rough count of grounded rules; ground() refuses more than `max_rules`.
  [[nodiscard]] double grounded_rule_estimate() const {
    const auto& c = world_->config();
    const double chains = static_cast<double>(model_->chain_count());
    return 2.0 * chains * (c.entities + c.list_length_max + 2) + c.entities * c.functions + c.filler_words +
           c.filler_length_max + 16;
  }

  /// The grounded PCFG of one document (small worlds only).
  INDUCT_DECLARE [[nodiscard]] grammar::grounded_cag ground(double max_rules = 2e5) const;

  /// Samples one document directly from the CAG (tokens as names).
  INDUCT_DETAIL grammar::cag::sample_result sample(random_engine& rng, bool record_steps = false) const { return grammar_.sample(rng, record_steps); }

  /// Replays a document_sampler choice record through the CAG: same tokens, and the CAG's
  /// log2-probability and grounded steps of that derivation.
  INDUCT_DETAIL grammar::cag::sample_result replay(const choice_record& record, bool record_steps = false) const {
    replay_chooser chooser(record);
    auto result = grammar_.sample(chooser, record_steps);
    if (!chooser.finished()) throw error("choice record has choices left over after the document");
    return result;
  }

 private:
  const world* world_;
  std::shared_ptr<const document_model> model_;
  grammar::cag grammar_;
};

}  // namespace induct::setup

#if INDUCT_HEADER_ONLY
#include "induct/setup/detail/document_grammar_impl.hpp"
#endif
