#include <doctest/doctest.h>

#include <boost/math/distributions/chi_squared.hpp>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "induct/grammar/derivation.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/sample.hpp"
#include "induct/grammar/validate.hpp"
#include "induct/setup/document_grammar.hpp"
#include "induct/setup/document_sampler.hpp"
#include "induct/setup/held_out.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/tasks.hpp"

using namespace induct::setup;
namespace g = induct::grammar;

namespace {

setup_config small_config() {
  setup_config c;
  c.entities = 3;
  c.functions = 2;
  c.filler_words = 2;
  c.max_depth = 2;
  c.list_length_max = 4;
  c.list_length_mean = 2.0;
  c.filler_length_min = 1;
  c.filler_length_max = 2;
  c.segments_per_document_mean = 2.0;
  c.held_out_fraction = 0;  // the sampler then draws the grounded grammar's documents
  return c;
}

std::vector<std::string> names(const world& w, const std::vector<token_id>& tokens) {
  std::vector<std::string> out;
  for (auto t : tokens) out.push_back(w.vocab().name(t));
  return out;
}

std::vector<g::symbol_id> to_symbols(const g::pcfg& grammar, const std::vector<std::string>& words) {
  std::vector<g::symbol_id> ids;
  for (const auto& word : words) {
    const auto id = grammar.find_terminal(word);
    REQUIRE_MESSAGE(id.has_value(), "terminal ", word, " not in the grounded grammar");
    ids.push_back(*id);
  }
  return ids;
}

}  // namespace

TEST_CASE("document grammar grounds into a valid PCFG whose list rules carry the task prior") {
  for (auto law : {length_law_kind::geometric, length_law_kind::power_law}) {
    setup_config c = small_config();
    c.list_length_law = law;
    const world w(c);
    const document_grammar dg(w);
    auto grounded = dg.ground();
    const auto report = g::validate(grounded.grammar);
    CHECK(report.spectral_radius < 1.0);
    // DirectList -> "[" Iter<...phi...> "]" has probability P(chain | direct) = exp2(log2_chain_prior).
    const auto& model = dg.model();
    int checked = 0;
    for (const auto& rule : grounded.grammar.rules()) {
      const std::string& lhs = grounded.grammar.name(rule.lhs);
      if (lhs != "DirectList" && lhs != "StepwiseList") continue;
      const auto format = lhs == "DirectList" ? list_format::direct : list_format::stepwise;
      const std::string& iter = grounded.grammar.name(rule.rhs[1]);
      // The chain is in the iteration state's name: "{phi=a,b}".
      const auto open = iter.find("{phi=") + 5;
      const auto close = iter.find('}', open);
      function_chain chain;
      for (char ch : iter.substr(open, close - open))
        if (ch != ',') chain.push_back(ch - '0');
      CHECK(rule.probability == doctest::Approx(std::exp2(model.log2_chain_prior(format, chain))).epsilon(1e-14));
      ++checked;
    }
    CHECK(checked == 2 * 6);
  }
}

TEST_CASE("the compiled sampler's documents replay through the CAG with the same tokens and log2-probability, "
          "which equals the grounded grammar's derivation probability; a held-out set adds -log2(1 - P(H_F)) per list") {
  for (auto law : {length_law_kind::geometric, length_law_kind::power_law})
    for (double held_out_fraction : {0.0, 0.5}) {
      setup_config c = small_config();
      c.list_length_law = law;
      c.held_out_fraction = held_out_fraction;  // 0.5: 2 of the 4 depth-2 chains
      const world w(c);
      const document_grammar dg(w);
      const auto grounded = dg.ground();
      document_sampler sampler(w);
      const held_out_set held(c);
      CHECK(held.size() == (held_out_fraction > 0 ? 2u : 0u));
      // P(H_F | F) by hand: 2 chains of depth 2, each with prior P(2 | F) / m^2.
      double kept_log2[2];
      for (int f = 0; f < 2; ++f) {
        const auto format = f == 0 ? list_format::direct : list_format::stepwise;
        const double mass = held.size() * dg.model().depth_probability(2, format) / 4.0;
        CHECK(held.prior_mass(dg.model(), format) == doctest::Approx(mass).epsilon(1e-15));
        kept_log2[f] = -std::log2(1.0 - mass);
      }
      induct::random_engine rng(17);
      for (int i = 0; i < 300; ++i) {
        choice_record record;
        const auto doc = sampler.sample(rng, &record);
        const auto replayed = dg.replay(record, true);
        REQUIRE(replayed.tokens == names(w, doc.tokens));
        double correction = 0;
        for (const auto& segment : doc.segments) {
          if (segment.kind == segment_kind::direct_list) correction += kept_log2[0];
          if (segment.kind == segment_kind::stepwise_list) correction += kept_log2[1];
          if (segment.kind == segment_kind::direct_list || segment.kind == segment_kind::stepwise_list)
            CHECK_FALSE(held.contains(segment.chain));
        }
        CHECK(replayed.log2_probability + correction == doctest::Approx(doc.log2_probability).epsilon(1e-12));
        const g::derivation d = grounded.to_derivation(replayed.steps);
        CHECK(g::derivation_log2_probability(grounded.grammar, d) + correction ==
              doctest::Approx(doc.log2_probability).epsilon(1e-12));
        CHECK(g::yield(grounded.grammar, d) == to_symbols(grounded.grammar, replayed.tokens));
      }
    }
}

TEST_CASE("compiled sampler and grounded PCFG sampler agree on first segments and document lengths "
          "(two-sample chi-square, false-alarm rate 1e-6 each)") {
  const world w(small_config());
  const document_grammar dg(w);
  const auto grounded = dg.ground();
  g::sampler pcfg_sampler(grounded.grammar);
  document_sampler fast(w);
  induct::random_engine rng_fast(1), rng_pcfg(2);
  std::map<std::string, std::pair<double, double>> first_segment, segment_count;
  auto first = [](const std::vector<std::string>& tokens) {
    std::string s;
    for (std::size_t i = 1; i < tokens.size(); ++i) {
      s += tokens[i] + " ";
      if (tokens[i] == "." || tokens[i] == "]") break;
    }
    return s;
  };
  auto segments = [](const std::vector<std::string>& tokens) {
    int n = 0;
    for (const auto& t : tokens) n += t == "." || t == "]";
    return std::to_string(n);
  };
  const int draws = 30000;
  std::vector<g::symbol_id> out;
  for (int i = 0; i < draws; ++i) {
    const auto a = names(w, fast.sample(rng_fast).tokens);
    pcfg_sampler.sample(rng_pcfg, out);
    std::vector<std::string> b;
    for (auto t : out) b.push_back(grounded.grammar.name(t));
    first_segment[first(a)].first += 1;
    first_segment[first(b)].second += 1;
    segment_count[segments(a)].first += 1;
    segment_count[segments(b)].second += 1;
  }
  for (const auto* table : {&first_segment, &segment_count}) {
    double statistic = 0, pooled_a = 0, pooled_b = 0;
    int bins = 0;
    for (const auto& [key, c] : *table) {
      if (c.first + c.second < 20) {
        pooled_a += c.first;
        pooled_b += c.second;
        continue;
      }
      statistic += (c.first - c.second) * (c.first - c.second) / (c.first + c.second);
      ++bins;
    }
    if (pooled_a + pooled_b > 0) {
      statistic += (pooled_a - pooled_b) * (pooled_a - pooled_b) / (pooled_a + pooled_b);
      ++bins;
    }
    REQUIRE(bins > 10);
    const double critical = boost::math::quantile(boost::math::chi_squared_distribution<double>(bins - 1), 1 - 1e-6);
    INFO("chi2 ", statistic, " critical ", critical, " bins ", bins);
    CHECK(statistic <= critical);
  }
}

TEST_CASE("every generated prompt has positive prefix probability under the grounded grammar (small world)") {
  setup_config c = small_config();
  c.held_out_fraction = 0.25;
  const world w(c);
  const document_grammar dg(w);
  const auto grounded = dg.ground();
  const g::earley_grammar compiled(grounded.grammar);
  const auto& model = dg.model();
  // n = 0: P(<d> [ e0 :) = P(first segment is a list) / E, by hand.
  const double p0 = std::exp2(static_cast<double>(
      g::prefix_log2(compiled, to_symbols(grounded.grammar, {"<d>", "[", "e0", ":"}))));
  CHECK(p0 == doctest::Approx((0.15 + 0.20) / 3).epsilon(1e-12));
  int prompts = 0;
  REQUIRE(held_out_set(w.config()).size() == 1);  // 25% of the 4 depth-2 chains: novel2 poses it
  for (const char* name : {"lookup", "compose2", "novel2"})
    for (auto format : {list_format::direct, list_format::stepwise})
      for (int n = 0; n <= 3; ++n) {
        const auto t = task::by_name(name, format, model);
        for (const auto& p : generate_prompts(w, t, n, 5, 7)) {
          const auto lp = g::prefix_log2(compiled, to_symbols(grounded.grammar, names(w, p.tokens)));
          CHECK(std::isfinite(static_cast<double>(lp)));
          ++prompts;
          // The prompt continued by its answer (direct) or steps (stepwise) and ";" is still possible.
          auto continued = names(w, p.tokens);
          if (format == list_format::direct) continued.push_back(w.vocab().name(w.vocab().entity(p.answer)));
          else
            for (int s : p.steps) continued.push_back(w.vocab().name(w.vocab().entity(s)));
          if (n + 2 <= 4) {
            continued.push_back(";");
            CHECK(std::isfinite(static_cast<double>(g::prefix_log2(compiled, to_symbols(grounded.grammar, continued)))));
          }
        }
      }
  CHECK(prompts == 3 * 2 * 4 * 5);
  // A prompt with a wrong answer in an example is impossible.
  const auto p = make_prompt(w, list_format::direct, {0}, {0, 1});
  auto wrong = names(w, p.tokens);
  wrong[4] = w.vocab().name(w.vocab().entity((w.apply(0, 0) + 1) % 3));
  // e0 : wrong could still be explained by another chain; require that no chain of the model maps 0 to it.
  bool explained = false;
  for (std::size_t i = 0; i < model.chain_count(); ++i)
    explained |= w.apply(model.chain_at(i), 0) == (w.apply(0, 0) + 1) % 3;
  if (!explained) CHECK(std::isinf(static_cast<double>(g::prefix_log2(compiled, to_symbols(grounded.grammar, wrong)))));
}

TEST_CASE("grounding the default world is refused with a clear message") {
  const world w;
  const document_grammar dg(w);
  CHECK_THROWS_WITH_AS(dg.ground(), doctest::Contains("too large to ground"), induct::error);
}
