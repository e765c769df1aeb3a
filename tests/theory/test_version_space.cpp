// The version-space identity L(s) = VS(s) + C(s) (theory/version_space.hpp, docs/theory.md section 3):
// a hand-worked example, and the brute-force account against the fast idealized predictor's
// cumulative answer bits (theory::prompt_scorer) on >= 10,000 prompts.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/theory/scoring.hpp"
#include "induct/theory/version_space.hpp"

using namespace induct;
using setup::list_format;

TEST_CASE("version space: a hand-worked direct prompt on a tiny world (E = 2, m = 2, K = 2)") {
  setup::setup_config c;
  c.entities = 2;
  c.functions = 2;
  c.max_depth = 2;
  c.world_seed = 2;  // r1 = x -> e0 (constant), r2 swaps e0 and e1 (tests/theory/test_idealized_predictor.cpp)
  const setup::world w(c);
  REQUIRE(w.table(0) == std::vector<int>{0, 0});
  REQUIRE(w.table(1) == std::vector<int>{1, 0});
  const theory::version_space_model spaces(w);
  CHECK(spaces.hypothesis_count() == 12);  // 2 formats x (2 + 4) chains
  // Priors per chain: direct depth 1: 60/308, direct depth 2: 3/308, stepwise depth 1: 10/49, stepwise depth 2: 2/49.
  // Chains as maps: r1 = const0, r2 = swap, r1.r1 = const0, r1.r2 = const1, r2.r1 = const0, r2.r2 = identity.
  // s = <d> [ e0 : e1 ; e1 : e0, the task direct r2 (swap), n = 1.
  const auto p = setup::make_prompt(w, list_format::direct, {1}, {0, 1});
  const auto a = spaces.account(p);
  // Version space: direct r2 (swap) and stepwise r2 (emits `x : swap(x)` too); every other chain maps
  // e0 or e1 elsewhere, and a depth-2 stepwise chain would have written a second value before the `;`.
  const double v = 60.0 / 308 + 10.0 / 49;
  CHECK(a.hypotheses == 2);
  CHECK(a.version_space_bits == doctest::Approx(-std::log2(v)).epsilon(1e-12));
  // The `;` after item 1: the tasks whose value on e0 is e1 are direct r2 (60/308), direct r1.r2 (3/308),
  // stepwise r2 (10/49) and stepwise r2.r1, r2.r2 (2/49 each, first step e1); the last two do not end the item.
  const double q1 = (63.0 / 308 + 10.0 / 49) / (63.0 / 308 + 14.0 / 49);
  CHECK(a.separator_bits == doctest::Approx(std::log2(q1)).epsilon(1e-12));
  CHECK(a.length_law_bits == 0.0);  // one geometric law for both formats
  // The same loss token by token: p(e1 | e0 :) = 63/308 + 14/49; p(e0 | ... ; e1 :) = v / (63/308 + 10/49).
  const double loss = -std::log2(63.0 / 308 + 14.0 / 49) - std::log2(v / (63.0 / 308 + 10.0 / 49));
  CHECK(a.cumulative_answer_bits() == doctest::Approx(loss).epsilon(1e-12));
  const theory::idealized_list_model model(w);
  theory::prompt_scorer scorer(model);
  CHECK(scorer.score(p).cumulative_loss_bits == doctest::Approx(loss).epsilon(1e-12));
  CHECK(a.description_length_bits == doctest::Approx(-std::log2(60.0 / 308)).epsilon(1e-12));
  CHECK(a.version_space_bits <= a.description_length_bits);  // tau is in its version space
}

TEST_CASE("version space: malformed sequences and tasks that cannot emit them are errors") {
  const setup::world w{};
  const theory::version_space_model spaces(w);
  const auto& v = w.vocab();
  const auto e = [&](int i) { return v.entity(i); };
  using V = setup::vocabulary;
  const int y = w.apply(0, 5), z = w.apply(0, 6);
  const std::vector<setup::token_id> good = {V::document, V::open_list, e(5), V::colon, e(y), V::semicolon, e(6), V::colon, e(z)};
  CHECK(spaces.account({list_format::direct, {0}}, good).examples == 1);
  // A function that does not map e5 to y cannot emit the first item; a depth-2 stepwise chain would
  // have written a second value before the `;`.
  int other = 1;
  while (w.apply(other, 5) == y) ++other;
  CHECK_THROWS_AS((void)spaces.account({list_format::direct, {other}}, good), induct::error);
  CHECK_THROWS_AS((void)spaces.account({list_format::stepwise, {0, 1}}, good), induct::error);
  const std::vector<setup::token_id> open_end(good.begin(), good.begin() + 6);  // `<d> [ e5 : y ;`
  CHECK_THROWS_AS((void)spaces.account({list_format::direct, {0}}, open_end), induct::error);
  std::vector<setup::token_id> no_bracket(good.begin() + 1, good.end());
  CHECK_THROWS_AS((void)spaces.account({list_format::direct, {0}}, no_bracket), induct::error);
  std::vector<setup::token_id> closed = good;
  closed.push_back(V::close_list);
  CHECK_THROWS_AS((void)spaces.account({list_format::direct, {0}}, closed), induct::error);
}

namespace {

struct identity_case {
  const char* name;
  setup::setup_config config;
  int count;  // prompts per task, format and n
};

}  // namespace

TEST_CASE("version-space identity on >= 10,000 prompts: cumulative answer bits = VS + separators + length laws") {
  std::vector<identity_case> cases;
  cases.push_back({"default", setup::setup_config{}, 60});
  setup::setup_config zipf;
  zipf.list_length_law = setup::length_law_kind::power_law;
  cases.push_back({"power law", zipf, 40});
  setup::setup_config small;  // chains collide: version spaces hold several chains for long
  small.entities = 6;
  small.functions = 4;
  small.world_seed = 3;
  cases.push_back({"small world", small, 30});
  small.list_length_law = setup::length_law_kind::power_law;
  cases.push_back({"small world, power law", small, 30});
  const std::vector<int> ns = {0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 31};
  int checked = 0;
  double largest_deviation = 0.0, largest_length_law = 0.0;
  for (const auto& ic : cases) {
    const setup::world w(ic.config);
    const theory::idealized_list_model model(w);
    const theory::version_space_model spaces(w);
    theory::prompt_scorer scorer(model);
    const bool shared_law = ic.config.list_length_law == setup::length_law_kind::geometric;
    for (std::string name : {"lookup", "compose2", "compose3"}) {
      for (auto format : {list_format::direct, list_format::stepwise}) {
        const auto task = setup::task::by_name(name, format, model.document());
        for (int n : ns) {
          for (int i = 0; i < ic.count; ++i) {
            const auto p = setup::generate_prompt(w, task, n, 4242 + static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(i));
            const auto s = scorer.score(p);
            const auto a = spaces.account(p);
            INFO(ic.name, ": ", name, " ", setup::to_string(format), " n=", n, " prompt ", w.vocab().decode(p.tokens));
            const double scale = std::max(1.0, std::abs(s.cumulative_loss_bits));
            const double deviation = std::abs(a.cumulative_answer_bits() - s.cumulative_loss_bits);
            REQUIRE(deviation <= 1e-9 * scale);
            largest_deviation = std::max(largest_deviation, deviation / scale);
            // The separator term is R(s; tau), computed here without the predictor.
            REQUIRE(a.separator_bits == doctest::Approx(s.iteration_complexity_bits).epsilon(1e-9).scale(1.0));
            REQUIRE(a.description_length_bits == s.description_length_bits);
            REQUIRE(a.hypotheses >= 1);
            // Theorem 1 through the identity: V >= pi(tau), and VS + length-law term <= D.
            REQUIRE(a.version_space_bits <= a.description_length_bits + 1e-9);
            REQUIRE(a.version_space_bits + a.length_law_bits <= a.description_length_bits + 1e-9);
            if (n == 0) REQUIRE(a.correction_bits() == 0.0);  // no `;`, S(0) = 1: L = VS
            if (shared_law) {
              REQUIRE(a.length_law_bits == 0.0);
              REQUIRE(a.separator_bits <= 0.0);
              // The whole correction is the first `;`: the same prompt cut to one example has the same C.
              if (n >= 2) {
                const std::vector<int> first_two(p.inputs.begin(), p.inputs.begin() + 2);
                const auto cut = setup::make_prompt(w, format, p.chain, first_two);
                REQUIRE(spaces.account(cut).separator_bits == doctest::Approx(a.separator_bits).epsilon(1e-12).scale(1.0));
              }
            }
            largest_length_law = std::max(largest_length_law, std::abs(a.length_law_bits));
            ++checked;
          }
        }
      }
    }
  }
  CHECK(checked >= 10000);
  CHECK(largest_length_law > 0.1);  // the power-law cases exercise a non-zero length-law term
  MESSAGE("prompts checked: ", checked, "; largest |VS + C - L| / max(1, L): ", largest_deviation,
          "; largest |length-law term|: ", largest_length_law, " bits");
}

TEST_CASE("version space in the default world: stepwise items rule out more hypotheses per example") {
  const setup::world w{};
  const theory::version_space_model spaces(w);
  const theory::idealized_list_model model(w);
  for (std::string name : {"compose2", "compose3"}) {
    const auto direct = setup::task::by_name(name, list_format::direct, model.document());
    const auto stepwise = setup::task::by_name(name, list_format::stepwise, model.document());
    for (int n : {1, 2}) {
      double direct_hypotheses = 0, stepwise_hypotheses = 0, direct_gap = 0, stepwise_gap = 0;
      const int count = 200;
      for (int i = 0; i < count; ++i) {
        const auto d = spaces.account(setup::generate_prompt(w, direct, n, 8, static_cast<std::uint64_t>(i)));
        const auto s = spaces.account(setup::generate_prompt(w, stepwise, n, 8, static_cast<std::uint64_t>(i)));
        direct_hypotheses += static_cast<double>(d.hypotheses);
        stepwise_hypotheses += static_cast<double>(s.hypotheses);
        direct_gap += d.description_length_bits - d.version_space_bits;
        stepwise_gap += s.description_length_bits - s.version_space_bits;
      }
      INFO(name, " n=", n);
      // A stepwise item shows every step, so fewer tasks survive it and VS is closer to D (from
      // n = 4 on both version spaces hold the chain alone on these prompts).
      CHECK(stepwise_hypotheses < direct_hypotheses);
      CHECK(stepwise_gap / count < direct_gap / count);
      if (n >= 2) CHECK(stepwise_hypotheses == count);  // only the chain itself: all 4,680 step sequences differ
    }
  }
}
