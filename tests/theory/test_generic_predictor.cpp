// The generic idealized predictor (Earley prefix probabilities on the grounded document CAG) and
// the fast one (exact posterior over list tasks) agree to 1e-9 relative on every prefix of every
// prompt kind of small worlds, n up to 8; and the generic one sees the whole document model.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "induct/setup/document_grammar.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/theory/generic_predictor.hpp"
#include "induct/theory/idealized_predictor.hpp"

using namespace induct;
using setup::token_id;

namespace {

setup::setup_config small_world(std::uint64_t seed, setup::length_law_kind law, int max_depth = 2) {
  setup::setup_config c;
  c.entities = 4;
  c.functions = 2;
  c.max_depth = max_depth;
  c.filler_words = 3;
  c.filler_length_max = 2;
  c.list_length_max = 9;  // prompts with n = 8 examples have 9 items
  c.list_length_law = law;
  c.world_seed = seed;
  return c;
}

// Compares the two predictors on every prefix of `tokens` (from `<d> [` on); returns the number
// of probabilities compared.
int compare_on_prefixes(const setup::world& w, const theory::generic_predictor& generic,
                        const theory::idealized_list_model& model, const std::vector<token_id>& tokens) {
  theory::idealized_predictor fast(model);
  auto slow = generic.after(std::span<const token_id>(tokens.data(), 2));
  std::vector<long double> expected, got;
  int compared = 0;
  for (std::size_t end = 2; end <= tokens.size(); ++end) {
    if (end > 2) {
      fast.advance(tokens[end - 1]);
      slow.advance(tokens[end - 1]);
    }
    slow.next_token_distribution(expected);
    fast.next_token_distribution(got);
    // Inside a list the document cannot end.
    CHECK(static_cast<double>(slow.end_probability()) == doctest::Approx(0.0));
    for (std::size_t t = 0; t < got.size(); ++t) {
      INFO("prompt ", w.vocab().decode(tokens), " prefix length ", end, " token ", w.vocab().name(static_cast<token_id>(t)));
      const double a = static_cast<double>(expected[t]), b = static_cast<double>(got[t]);
      if (a == 0.0) {
        CHECK(b <= 1e-15);  // exact zeros may come out as rounding residue of the Earley sums
      } else {
        CHECK(std::abs(a - b) <= 1e-9 * a);
      }
      ++compared;
    }
  }
  return compared;
}

}  // namespace

TEST_CASE("generic (Earley, grounded CAG) and fast idealized predictors agree on every prompt prefix") {
  int compared = 0, prompts = 0;
  for (auto law : {setup::length_law_kind::geometric, setup::length_law_kind::power_law}) {
    for (std::uint64_t seed : {1, 2, 3}) {
      // Seed 3 has chains up to depth 3, so compose3 prompts exist too.
      const setup::world w(small_world(seed, law, seed == 3 ? 3 : 2));
      const setup::document_grammar grammar(w);
      const grammar::grounded_cag grounded = grammar.ground();
      const theory::generic_predictor generic(grounded.grammar, w.vocab());
      const theory::idealized_list_model model(w);
      for (const char* name : {"lookup", "compose2", "compose3"}) {
        if (std::string(name) == "compose3" && w.config().max_depth < 3) continue;
        for (auto format : {setup::list_format::direct, setup::list_format::stepwise}) {
          const auto task = setup::task::by_name(name, format, model.document());
          for (int n : {0, 1, 2, 3, 5, 8}) {
            for (std::uint64_t i = 0; i < 2; ++i) {
              auto p = setup::generate_prompt(w, task, n, 11 + seed, i);
              // Score the answer too: append the query's answer tokens, then the end of the item.
              if (format == setup::list_format::direct) {
                p.tokens.push_back(w.vocab().entity(p.answer));
              } else {
                for (int z : p.steps) p.tokens.push_back(w.vocab().entity(z));
              }
              compared += compare_on_prefixes(w, generic, model, p.tokens);
              ++prompts;
            }
          }
        }
      }
    }
  }
  MESSAGE(prompts, " prompts, ", compared, " next-token probabilities compared");
  CHECK(prompts == 2 * (2 * 2 + 3) * 2 * 6 * 2);
}

TEST_CASE("generic predictor: outside lists it predicts the rest of the document model") {
  const setup::world w(small_world(1, setup::length_law_kind::geometric));
  const setup::document_grammar grammar(w);
  const grammar::grounded_cag grounded = grammar.ground();
  const theory::generic_predictor generic(grounded.grammar, w.vocab());
  const auto& v = w.vocab();
  // After `<d>` a segment starts: a fact (an entity, 0.5 / E each), `[` (0.15 + 0.20), a filler word (0.15 / F each).
  std::vector<long double> d;
  generic.after(v.encode("<d>")).next_token_distribution(d);
  CHECK(static_cast<double>(d[setup::vocabulary::open_list]) == doctest::Approx(0.35).epsilon(1e-12));
  CHECK(static_cast<double>(d[v.entity(0)]) == doctest::Approx(0.5 / 4).epsilon(1e-12));
  CHECK(static_cast<double>(d[v.filler(0)]) == doctest::Approx(0.15 / 3).epsilon(1e-12));
  // A fact's object is determined: `e_x r_i` -> e_{f_i(x)} with probability 1.
  generic.after(v.encode("<d> e1 r2")).next_token_distribution(d);
  CHECK(static_cast<double>(d[v.entity(w.apply(1, 1))]) == doctest::Approx(1.0).epsilon(1e-12));
  // After a segment the document ends with probability 1/8 (geometric segment count, mean 8).
  const auto after_fact = generic.after(v.encode("<d> e1 r2 " + v.name(v.entity(w.apply(1, 1))) + " ."));
  CHECK(static_cast<double>(after_fact.end_probability()) == doctest::Approx(0.125).epsilon(1e-12));
  CHECK_THROWS_AS(generic.after(v.encode("<d> e1 e1")), induct::error);
}
