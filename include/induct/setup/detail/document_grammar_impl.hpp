#pragma once
// Definitions for setup/document_grammar.hpp (see induct/core/linkage.hpp for the two modes).
#include <cmath>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/grammar/cag.hpp"
#include "induct/setup/document_grammar.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/world.hpp"

namespace induct::setup {

INDUCT_DEFINE document_grammar::document_grammar(const world& w) : world_(&w), model_(std::make_shared<document_model>(w.config())) {
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

INDUCT_DEFINE grammar::grounded_cag document_grammar::ground(double max_rules) const {
  if (grounded_rule_estimate() > max_rules)
    throw error("document grammar too large to ground (about " + std::to_string(static_cast<long long>(grounded_rule_estimate())) +
                " rules > " + std::to_string(static_cast<long long>(max_rules)) +
                "); use a small world (few entities and functions, small max_depth and list_length_max)");
  return grammar_.ground();
}

}  // namespace induct::setup
