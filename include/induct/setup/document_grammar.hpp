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
  explicit document_grammar(const world& w) : world_(&w), model_(std::make_shared<document_model>(w.config())) {
    using grammar::cag_frame;
    using grammar::cag_rules;
    using grammar::no_attribute;
    const world* wp = world_;
    const auto model = model_;
    const auto& c = w.config();
    auto entity_name = [wp](int x) { return wp->vocab().name(wp->vocab().entity(x)); };

    auto entity = grammar_.add<no_attribute, int>("Entity", [wp, entity_name](const no_attribute&, const cag_frame&, cag_rules<int>& r) {
      const int e = wp->entity_count();
      for (int x = 0; x < e; ++x)
        r.alternative(1.0 / e).emit(entity_name(x)).synthesize([x](const cag_frame&) { return x; });
    });
    auto relation = grammar_.add<no_attribute, int>("Relation", [wp](const no_attribute&, const cag_frame&, cag_rules<int>& r) {
      const int m = wp->function_count();
      for (int i = 0; i < m; ++i)
        r.alternative(1.0 / m).emit(wp->vocab().name(wp->vocab().relation(i))).synthesize([i](const cag_frame&) { return i; });
    });
    auto fact = grammar_.add<no_attribute>("Fact", [=](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
      r.alternative(1.0)
          .child(entity)
          .child(relation)
          .emit([wp, entity_name](const cag_frame& f) { return entity_name(wp->apply(f.synthesized<int>(1), f.synthesized<int>(0))); })
          .emit(".");
    });
    auto filler_word = grammar_.add<no_attribute>("FillerWord", [wp](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
      const int words = wp->vocab().filler_count();
      for (int j = 0; j < words; ++j) r.alternative(1.0 / words).emit(wp->vocab().name(wp->vocab().filler(j)));
    });
    const int filler_min = c.filler_length_min, filler_max = c.filler_length_max;
    auto filler = grammar_.add<no_attribute>("Filler", [=](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
      for (int length = filler_min; length <= filler_max; ++length) {
        auto a = r.alternative(1.0 / (filler_max - filler_min + 1));
        for (int j = 0; j < length; ++j) a.child(filler_word);
        a.emit(".");
      }
    });
    auto direct_item = grammar_.add<no_attribute>(
        "DirectItem",
        [=](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
          r.alternative(1.0).child(entity).emit(":").emit([wp, entity_name](const cag_frame& f) {
            return entity_name(wp->apply(f.shared<function_chain>("phi"), f.synthesized<int>(0)));
          });
        },
        {"phi"});
    auto stepwise_item = grammar_.add<no_attribute>(
        "StepwiseItem",
        [=](const no_attribute&, const cag_frame& frame, cag_rules<no_attribute>& r) {
          const std::size_t depth = frame.shared<function_chain>("phi").size();
          auto a = r.alternative(1.0);
          a.child(entity).emit(":");
          for (std::size_t j = 0; j < depth; ++j)
            a.emit([wp, entity_name, j](const cag_frame& f) {
              const auto& phi = f.shared<function_chain>("phi");
              return entity_name(wp->apply(std::span<const int>(phi.data(), j + 1), f.synthesized<int>(0)));
            });
        },
        {"phi"});
    auto list = [&](const char* name, list_format format, grammar::nonterminal<no_attribute> item) {
      return grammar_.add<no_attribute>(name, [=](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
        const std::size_t chains = model->chain_count();
        for (std::size_t index = 0; index < chains; ++index) {
          const function_chain phi = model->chain_at(index);
          r.alternative(std::exp2(model->log2_chain_prior(format, phi)))
              .emit("[")
              .share<function_chain>("phi", [phi](const cag_frame&) { return phi; })
              .iterate(item, model->list_length_law(format), ";")
              .emit("]");
        }
      });
    };
    auto direct_list = list("DirectList", list_format::direct, direct_item);
    auto stepwise_list = list("StepwiseList", list_format::stepwise, stepwise_item);
    auto segment = grammar_.add<no_attribute>("Segment", [=](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
      r.alternative(model->segment_share(segment_kind::fact)).child(fact);
      r.alternative(model->segment_share(segment_kind::direct_list)).child(direct_list);
      r.alternative(model->segment_share(segment_kind::stepwise_list)).child(stepwise_list);
      r.alternative(model->segment_share(segment_kind::filler)).child(filler);
    });
    auto document = grammar_.add<no_attribute>("Document", [=](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
      r.alternative(1.0).emit("<d>").iterate(segment, model->segment_count_law(), "");
    });
    grammar_.set_start(document);
  }

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
  [[nodiscard]] grammar::grounded_cag ground(double max_rules = 2e5) const {
    if (grounded_rule_estimate() > max_rules)
      throw error("document grammar too large to ground (about " + std::to_string(static_cast<long long>(grounded_rule_estimate())) +
                  " rules > " + std::to_string(static_cast<long long>(max_rules)) +
                  "); use a small world (few entities and functions, small max_depth and list_length_max)");
    return grammar_.ground();
  }

  /// Samples one document directly from the CAG (tokens as names).
  grammar::cag::sample_result sample(random_engine& rng, bool record_steps = false) const { return grammar_.sample(rng, record_steps); }

  /// Replays a document_sampler choice record through the CAG: same tokens, and the CAG's
  /// log2-probability and grounded steps of that derivation.
  grammar::cag::sample_result replay(const choice_record& record, bool record_steps = false) const {
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
