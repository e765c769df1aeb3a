// The fast idealized predictor against hand computation, against a naive enumeration of every
// (format, chain) hypothesis (tests/theory/reference_predictor.hpp) and against the implementation it
// replaced (tests/theory/previous_idealized_predictor.hpp: a trie and an index over all chains).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "induct/core/random.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/theory/idealized_predictor.hpp"
#include "previous_idealized_predictor.hpp"
#include "reference_predictor.hpp"

using namespace induct;
using induct::setup::token_id;

namespace {

setup::setup_config tiny_config(std::uint64_t seed) {
  setup::setup_config c;
  c.entities = 2;
  c.functions = 2;
  c.max_depth = 2;
  c.world_seed = seed;
  return c;
}

// Tokens of a list prefix drawn from a task: n complete items, then the query item cut after
// `cut` of its values (cut < 0: stop right after the query entity, before its ':').
std::vector<token_id> sample_prefix(const setup::world& w, setup::list_format format, const setup::function_chain& chain,
                                    int n, int cut, random_engine& rng) {
  const auto& v = w.vocab();
  std::vector<token_id> t{setup::vocabulary::document, setup::vocabulary::open_list};
  for (int i = 0; i <= n; ++i) {
    const int x = static_cast<int>(rng.below(static_cast<std::uint64_t>(w.entity_count())));
    t.push_back(v.entity(x));
    if (i == n && cut < 0) break;
    t.push_back(setup::vocabulary::colon);
    auto values = w.steps(chain, x);
    if (format == setup::list_format::direct) values = {values.back()};
    const int emit = i == n ? std::min<int>(cut, static_cast<int>(values.size())) : static_cast<int>(values.size());
    for (int j = 0; j < emit; ++j) t.push_back(v.entity(values[static_cast<std::size_t>(j)]));
    if (i < n) t.push_back(setup::vocabulary::semicolon);
  }
  return t;
}

void check_against_reference(const setup::world& w, const theory::idealized_list_model& model,
                             const std::vector<token_id>& prompt) {
  const theory::testing::reference_predictor reference{w};
  theory::idealized_predictor fast(model);
  fast.reset();
  std::vector<long double> got;
  // Every prefix of the prompt after `<d> [`.
  for (std::size_t end = 2; end <= prompt.size(); ++end) {
    if (end > 2) fast.advance(prompt[end - 1]);
    const std::vector<token_id> after(prompt.begin() + 2, prompt.begin() + static_cast<long>(end));
    const auto expected = reference.next_token_distribution(after);
    fast.next_token_distribution(got);
    REQUIRE(got.size() == expected.size());
    for (std::size_t t = 0; t < got.size(); ++t) {
      INFO("prompt ", w.vocab().decode(prompt), " prefix length ", end, " token ", w.vocab().name(static_cast<token_id>(t)));
      CHECK(std::abs(static_cast<double>(got[t] - expected[t])) <= 1e-12 * static_cast<double>(std::max(expected[t], 1e-300L)) + 1e-18);
      CHECK(std::abs(static_cast<double>(fast.probability(static_cast<token_id>(t)) - got[t])) <= 1e-15);
    }
  }
}

}  // namespace

TEST_CASE("idealized predictor: hand-computed posteriors on a tiny world (E = 2, m = 2, K = 2)") {
  // World seed 2: f0 = r1 is the constant map to e0 (x -> 0), f1 = r2 swaps e0 and e1.
  const setup::world w(tiny_config(2));
  REQUIRE(w.table(0) == std::vector<int>{0, 0});
  REQUIRE(w.table(1) == std::vector<int>{1, 0});
  // Chains: r1 = const0, r2 = swap, r1.r1 = const0, r1.r2 = const1, r2.r1 = const0, r2.r2 = identity.
  // P(direct | list) = 0.15/0.35 = 3/7, P(stepwise | list) = 4/7.
  // P(k) on k = 1, 2 with c = 0.4: 0.6/0.84 = 5/7, 0.24/0.84 = 2/7.
  // P(k | direct) with rate 0.25: 0.6/0.66 = 10/11, 0.06/0.66 = 1/11.
  // Per chain: direct depth 1 = 3/7 * 10/11 / 2 = 15/77 = 60/308, direct depth 2 = 3/7 * 1/11 / 4 = 3/308,
  //            stepwise depth 1 = 4/7 * 5/7 / 2 = 10/49, stepwise depth 2 = 4/7 * 2/7 / 4 = 2/49.
  const theory::idealized_list_model model(w);
  theory::idealized_predictor p(model);
  const auto& v = w.vocab();

  SUBCASE("n = 0: `<d> [ e0 :`") {
    // Direct maps at x = 0: const0 (r1, r1.r1, r2.r1: 60+3+3 = 66/308) and identity (r2.r2: 3/308) say e0,
    // swap (r2: 60/308) and const1 (r1.r2: 3/308) say e1. Stepwise first steps: r1 (with r1.r1, r1.r2:
    // 10/49 + 2/49 + 2/49 = 14/49 = 88/308) says e0, r2 (likewise 88/308) says e1.
    // p(e0) = (69 + 88)/308 = 157/308, p(e1) = (63 + 88)/308 = 151/308.
    p.start(v.encode("<d> [ e0 :"));
    CHECK(static_cast<double>(p.probability(v.id("e0"))) == doctest::Approx(157.0 / 308.0).epsilon(1e-14));
    CHECK(static_cast<double>(p.probability(v.id("e1"))) == doctest::Approx(151.0 / 308.0).epsilon(1e-14));
  }
  SUBCASE("n = 1: `<d> [ e0 : e1 ; e1 :`") {
    // Item 1 keeps direct swap (60/308 = 420/2156), direct const1 (3/308 = 21/2156) and stepwise r2
    // (10/49 = 440/2156); stepwise depth 2 dies at ';' and both formats share the length law, so
    // c(1) cancels. Total 881/2156. At x = 1: swap -> e0 (420 + 440), const1 -> e1 (21).
    p.start(v.encode("<d> [ e0 : e1 ; e1 :"));
    CHECK(static_cast<double>(p.probability(v.id("e0"))) == doctest::Approx(860.0 / 881.0).epsilon(1e-14));
    CHECK(static_cast<double>(p.probability(v.id("e1"))) == doctest::Approx(21.0 / 881.0).epsilon(1e-14));
    const auto posterior = p.posterior(10);
    REQUIRE(posterior.size() == 3);
    CHECK(posterior[0].format == setup::list_format::stepwise);
    CHECK(posterior[0].chain == setup::function_chain{1});
    CHECK(posterior[0].probability == doctest::Approx(440.0 / 881.0).epsilon(1e-14));
    CHECK(posterior[1].format == setup::list_format::direct);
    CHECK(posterior[1].chain == setup::function_chain{1});
    CHECK(posterior[1].probability == doctest::Approx(420.0 / 881.0).epsilon(1e-14));
    CHECK(posterior[2].chain == setup::function_chain{0, 1});
    CHECK(posterior[2].probability == doctest::Approx(21.0 / 881.0).epsilon(1e-14));
    // After the answer e0 every surviving task ends the item: ';' with c(2), ']' with 1 - c(2), where
    // the truncated geometric law (q = 5/6, cut at 32) has c(i) = (q^i - q^32) / (q^(i-1) - q^32).
    p.advance(v.id("e0"));
    const long double q = 5.0L / 6.0L;
    const long double c2 = (q * q - std::pow(q, 32.0L)) / (q - std::pow(q, 32.0L));
    CHECK(static_cast<double>(p.probability(setup::vocabulary::semicolon)) == doctest::Approx(static_cast<double>(c2)).epsilon(1e-13));
    CHECK(static_cast<double>(p.probability(setup::vocabulary::close_list)) == doctest::Approx(static_cast<double>(1 - c2)).epsilon(1e-12));
  }
  SUBCASE("n = 0, one value: `<d> [ e1 : e1`") {
    // Direct maps with phi(1) = 1: const1 and identity (3/308 each). No first step maps e1 to e1
    // (const0 and swap both give e0), so no stepwise task is left and the item must end.
    p.start(v.encode("<d> [ e1 : e1"));
    const long double q = 5.0L / 6.0L;
    const long double c1 = (q - std::pow(q, 32.0L)) / (1 - std::pow(q, 32.0L));
    CHECK(static_cast<double>(p.probability(setup::vocabulary::semicolon)) == doctest::Approx(static_cast<double>(c1)).epsilon(1e-13));
    const auto posterior = p.posterior(10);
    REQUIRE(posterior.size() == 2);
    CHECK(posterior[0].probability == doctest::Approx(0.5).epsilon(1e-14));
    CHECK(posterior[0].format == setup::list_format::direct);
  }
  SUBCASE("stepwise: `<d> [ e0 : e0 e1 ; e1 :` leaves only r1.r2") {
    // f_1(0) = 0 only for r1 (const0); then f_2(0) = 1 only for r2: the chain r1.r2 alone survives.
    p.start(v.encode("<d> [ e0 : e0 e1 ; e1 :"));
    CHECK(p.probability(v.id("e0")) == 1.0L);
    p.advance(v.id("e0"));
    CHECK(p.probability(v.id("e1")) == 1.0L);
    const auto posterior = p.posterior(10);
    REQUIRE(posterior.size() == 1);
    CHECK(posterior[0].chain == setup::function_chain{0, 1});
    CHECK(posterior[0].format == setup::list_format::stepwise);
  }
  SUBCASE("impossible prompts are errors that name the token") {
    CHECK_THROWS_WITH_AS(p.start(v.encode("<d> [ e0 : e1 ; e1 : e1 e1")), doctest::Contains("token 9 'e1'"), induct::error);
    CHECK_THROWS_AS(p.start(v.encode("<d> [ e0 e1")), induct::error);
    CHECK_THROWS_AS(p.start(v.encode("<d> e0")), induct::error);
    // An item with two values after items with one.
    CHECK_THROWS_AS(p.start(v.encode("<d> [ e0 : e1 ; e1 : e0 e0")), induct::error);
  }
}

TEST_CASE("idealized predictor: equals the naive enumeration of every hypothesis on every prefix") {
  random_engine rng(20261128);
  struct world_case {
    setup::setup_config config;
    int prompts;
    int max_items;
  };
  std::vector<world_case> cases;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) cases.push_back({tiny_config(seed), 40, 6});
  {
    setup::setup_config c;  // a mid world with collisions between chains, power-law lengths
    c.entities = 5;
    c.functions = 3;
    c.max_depth = 3;
    c.world_seed = 7;
    c.list_length_law = setup::length_law_kind::power_law;
    c.list_length_max = 9;
    cases.push_back({c, 40, 8});
    c.list_length_law = setup::length_law_kind::geometric;
    c.direct_composite_rate = 0.0;  // direct composite chains impossible
    cases.push_back({c, 30, 8});
  }
  {
    setup::setup_config c;  // depth 4 over few entities: many chains per map, deep stepwise tries
    c.entities = 3;
    c.functions = 4;
    c.max_depth = 4;
    c.world_seed = 3;
    cases.push_back({c, 30, 6});
    c.depth_continue = 0.0;  // only depth 1 has prior mass
    cases.push_back({c, 15, 6});
  }
  cases.push_back({setup::setup_config{}, 4, 5});  // the default world
  for (const auto& wc : cases) {
    const setup::world w(wc.config);
    const theory::idealized_list_model model(w);
    const setup::document_model doc(wc.config);
    for (int i = 0; i < wc.prompts; ++i) {
      const auto format = rng.bernoulli(0.5) ? setup::list_format::direct : setup::list_format::stepwise;
      setup::function_chain chain;
      do {
        chain = doc.chain_at(rng.below(doc.chain_count()));
      } while (chain.size() > 1 && (wc.config.depth_continue == 0.0 ||
                                    (format == setup::list_format::direct && wc.config.direct_composite_rate == 0.0)));
      const int n = static_cast<int>(rng.below(static_cast<std::uint64_t>(wc.max_items)));
      const int cut = static_cast<int>(rng.below(static_cast<std::uint64_t>(chain.size() + 2))) - 1;
      check_against_reference(w, model, sample_prefix(w, format, chain, n, cut, rng));
    }
  }
}

namespace {

// The prompt's tokens, then its query's answer (all steps in stepwise format) and `;` if another item
// may follow.
std::vector<token_id> with_answer(const setup::world& w, const setup::prompt& p) {
  auto tokens = p.tokens;
  if (p.format == setup::list_format::direct) {
    tokens.push_back(w.vocab().entity(p.answer));
  } else {
    for (int z : p.steps) tokens.push_back(w.vocab().entity(z));
  }
  if (p.examples + 1 < w.config().list_length_max) tokens.push_back(setup::vocabulary::semicolon);
  return tokens;
}

// The distribution at every prefix after `<d> [`, and the posterior at the end, against the previous
// implementation: equal up to long double summation order (relative 1e-12 of the larger value).
void check_against_previous(const theory::idealized_list_model& model, const theory::testing::trie_list_model& previous,
                            const std::vector<token_id>& tokens) {
  theory::idealized_predictor fast(model);
  theory::testing::trie_predictor old(previous);
  std::vector<long double> got, expected;
  for (std::size_t end = 2; end <= tokens.size(); ++end) {
    if (end > 2) {
      fast.advance(tokens[end - 1]);
      old.advance(tokens[end - 1]);
    }
    fast.next_token_distribution(got);
    old.next_token_distribution(expected);
    REQUIRE(got.size() == expected.size());
    for (std::size_t t = 0; t < got.size(); ++t) {
      const long double scale = std::max(got[t], expected[t]);
      if (!(std::abs(got[t] - expected[t]) <= 1e-12L * scale)) {
        INFO("prompt ", model.world().vocab().decode(tokens), " prefix length ", end, " token ",
             model.world().vocab().name(static_cast<token_id>(t)));
        CHECK(static_cast<double>(got[t]) == static_cast<double>(expected[t]));
      }
    }
  }
  const auto a = fast.posterior(10), b = old.posterior(10);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i].probability == doctest::Approx(b[i].probability).epsilon(1e-12));
}

}  // namespace

TEST_CASE("idealized predictor: equals the previous implementation on random task prompts of the default world") {
  // Default world (m = 8, K = 4, 4,680 chains): lookup, compose2, compose3 over seen chains and novel2,
  // novel3 over held-out ones, both formats, n = 0..31, every prefix through the query's answer and `;`.
  const setup::world w{};
  const theory::idealized_list_model model(w);
  const theory::testing::trie_list_model previous(w);
  const setup::document_model doc(w.config());
  int prompts = 0;
  for (const char* name : {"lookup", "compose2", "compose3", "novel2", "novel3"})
    for (const auto format : {setup::list_format::direct, setup::list_format::stepwise})
      for (int n : {0, 1, 2, 3, 5, 8, 13, 21, 31}) {
        const auto task = setup::task::by_name(name, format, doc);
        for (const auto& p : setup::generate_prompts(w, task, n, 24, 17)) {
          check_against_previous(model, previous, with_answer(w, p));
          ++prompts;
        }
      }
  CHECK(prompts == 2160);
}

TEST_CASE("idealized predictor: equals the previous implementation on m = 16, and on prompts from other tasks") {
  // m = 16, depth 4 (69,904 chains); prompts mixing formats (a direct prompt fed to a stepwise-looking
  // continuation is not possible, so mixing is by the task's own format), and random cut points.
  setup::setup_config config;
  config.functions = 16;
  const setup::world w(config);
  const theory::idealized_list_model model(w);
  const theory::testing::trie_list_model previous(w);
  const setup::document_model doc(w.config());
  random_engine rng(17);
  for (int i = 0; i < 200; ++i) {
    const auto format = rng.bernoulli(0.5) ? setup::list_format::direct : setup::list_format::stepwise;
    const auto chain = doc.chain_at(rng.below(doc.chain_count()));
    const int n = static_cast<int>(rng.below(12));
    const int cut = static_cast<int>(rng.below(static_cast<std::uint64_t>(chain.size() + 2))) - 1;
    check_against_previous(model, previous, sample_prefix(w, format, chain, n, cut, rng));
  }
  CHECK(model.prefix_map_count() == 1 + 16 + 256 + 4096);
}

TEST_CASE("idealized predictor: impossible tokens are refused exactly where the previous implementation refuses them") {
  // Every answer token of random default-world prompts replaced by every entity in turn: the new and the
  // previous predictor throw at the same prefix, or both accept it with equal distributions.
  const setup::world w{};
  const theory::idealized_list_model model(w);
  const theory::testing::trie_list_model previous(w);
  const setup::document_model doc(w.config());
  random_engine rng(5);
  int refused = 0, accepted = 0;
  for (int i = 0; i < 40; ++i) {
    const auto format = i % 2 ? setup::list_format::direct : setup::list_format::stepwise;
    const auto chain = doc.chain_at(rng.below(doc.chain_count()));
    auto tokens = sample_prefix(w, format, chain, 1 + static_cast<int>(rng.below(3)), static_cast<int>(chain.size()), rng);
    const std::size_t position = tokens.size() - 1 - rng.below(format == setup::list_format::direct ? 1 : chain.size());
    for (int e = 0; e < w.entity_count(); e += 7) {
      tokens[position] = w.vocab().entity(e);
      theory::idealized_predictor fast(model);
      theory::testing::trie_predictor old(previous);
      bool fast_ok = true, old_ok = true;
      try {
        fast.start(tokens);
      } catch (const induct::error&) {
        fast_ok = false;
      }
      try {
        old.start(tokens);
      } catch (const induct::error&) {
        old_ok = false;
      }
      CHECK(fast_ok == old_ok);
      if (fast_ok && old_ok) {
        ++accepted;
        std::vector<long double> a, b;
        fast.next_token_distribution(a);
        old.next_token_distribution(b);
        for (std::size_t t = 0; t < a.size(); ++t) CHECK(std::abs(static_cast<double>(a[t] - b[t])) <= 1e-12);
      } else {
        ++refused;
      }
    }
  }
  CHECK(refused > 0);
  CHECK(accepted > 0);
}

TEST_CASE("idealized predictor: a world whose prefix maps cannot fit is a resource_error, not bad_alloc") {
  setup::setup_config config;
  config.functions = 60000;  // 60000^2 depth-2 prefixes of 64 entities: terabytes
  config.held_out_fraction = 0.0;
  config.max_depth = 4;
  const setup::world w(config);
  CHECK_THROWS_AS(theory::idealized_list_model{w}, induct::resource_error);
}

TEST_CASE("idealized predictor: answers of exactly equal mass are exactly equal, so argmax takes the smaller id") {
  // Default world, `<d> [ e5 : e2 ; e14 :`: e2 and e45 have the same chain counts per depth among the
  // direct classes left by the first item, so equal mass in exact arithmetic; summing the chains' priors
  // in class order would round them apart (found by comparing scored prompts before and after).
  const setup::world w{};
  const theory::idealized_list_model model(w);
  const auto& v = w.vocab();
  const auto tokens = v.encode("<d> [ e5 : e2 ; e14 :");
  theory::idealized_predictor p(model);
  p.start(tokens);
  std::vector<long double> distribution;
  const auto [best, probability] = p.argmax(distribution);
  CHECK(distribution[v.id("e2")] == distribution[v.id("e45")]);
  CHECK(best == v.id("e2"));
  const theory::testing::reference_predictor reference{w};
  const auto expected = reference.next_token_distribution({tokens.begin() + 2, tokens.end()});
  CHECK(static_cast<double>(probability) == doctest::Approx(static_cast<double>(expected[v.id("e2")])).epsilon(1e-12));
  CHECK(static_cast<double>(expected[v.id("e45")]) == doctest::Approx(static_cast<double>(expected[v.id("e2")])).epsilon(1e-12));
}
