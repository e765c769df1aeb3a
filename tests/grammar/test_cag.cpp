#include <doctest/doctest.h>

#include <boost/math/distributions/chi_squared.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "induct/core/random.hpp"
#include "induct/grammar/cag.hpp"
#include "induct/grammar/derivation.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/grammar/sample.hpp"
#include "induct/grammar/validate.hpp"

using namespace induct::grammar;

namespace {

// entity_name(x) trips a false GCC 12 -Wrestrict warning; append instead.
std::string entity_name(int x) {
  std::string name = "e";
  name += std::to_string(x);
  return name;
}

// The header's example: lists `[ x : (x + f) mod 3 ; ... ]` sharing one shift f in {0, 1}.
cag shifted_lists() {
  cag g;
  auto entity = g.add<no_attribute, int>("Entity", [](const no_attribute&, const cag_frame&, cag_rules<int>& r) {
    for (int x = 0; x < 3; ++x) r.alternative(1.0 / 3).emit(entity_name(x)).synthesize([x](const cag_frame&) { return x; });
  });
  auto item = g.add<no_attribute>(
      "Item",
      [entity](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
        r.alternative(1.0).child(entity).emit(":").emit([](const cag_frame& f) {
          return entity_name((f.synthesized<int>(0) + f.shared<int>("f")) % 3);
        });
      },
      {"f"});
  auto list = g.add<no_attribute>("List", [item](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
    for (int shift = 0; shift < 2; ++shift)
      r.alternative(0.5)
          .emit("[")
          .share<int>("f", [shift](const cag_frame&) { return shift; })
          .iterate(item, length_law::geometric(2.0, 4), ";")
          .emit("]");
  });
  g.set_start(list);
  return g;
}

std::string join(const std::vector<std::string>& tokens) {
  std::string s;
  for (const auto& t : tokens) s += (s.empty() ? "" : " ") + t;
  return s;
}

// Two-sample chi-square homogeneity test over strings (rare strings pooled); true if accepted.
bool same_distribution(const std::map<std::string, double>& a, const std::map<std::string, double>& b, double alpha,
                       double* statistic_out = nullptr) {
  std::map<std::string, std::pair<double, double>> both;
  for (const auto& [s, c] : a) both[s].first += c;
  for (const auto& [s, c] : b) both[s].second += c;
  double statistic = 0, pooled_a = 0, pooled_b = 0;
  int bins = 0;
  for (const auto& [s, c] : both) {
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
  if (statistic_out) *statistic_out = statistic;
  const double critical = boost::math::quantile(boost::math::chi_squared_distribution<double>(bins - 1), 1 - alpha);
  return statistic <= critical;
}

}  // namespace

TEST_CASE("CAG example: shared variables and iteration give exactly the repeated structure") {
  const cag g = shifted_lists();
  induct::random_engine rng(5);
  const auto law = length_law::geometric(2.0, 4);
  for (int i = 0; i < 500; ++i) {
    const auto s = g.sample(rng);
    REQUIRE(s.tokens.size() >= 5);
    CHECK(s.tokens.front() == "[");
    CHECK(s.tokens.back() == "]");
    // items of 3 tokens separated by ';': the same shift in every item.
    const std::size_t n = (s.tokens.size() - 1) / 4;
    REQUIRE(s.tokens.size() == 4 * n + 1);
    int shift = -1;
    double expected_log2 = std::log2(0.5) + law.log2_pmf(static_cast<long long>(n)) - static_cast<double>(n) * std::log2(3.0);
    for (std::size_t k = 0; k < n; ++k) {
      const int x = s.tokens[1 + 4 * k][1] - '0';
      const int y = s.tokens[3 + 4 * k][1] - '0';
      CHECK(s.tokens[2 + 4 * k] == ":");
      if (k + 1 < n) CHECK(s.tokens[4 + 4 * k] == ";");
      const int d = (y - x + 3) % 3;
      if (shift < 0) shift = d;
      CHECK(d == shift);
    }
    CHECK(shift <= 1);
    CHECK(s.log2_probability == doctest::Approx(expected_log2).epsilon(1e-12));
  }
}

TEST_CASE("CAG grounding: a valid PCFG, derivation probabilities equal, exact string probabilities by hand") {
  const cag g = shifted_lists();
  grounded_cag grounded = g.ground();
  validate(grounded.grammar);  // proper and consistent, or throws
  induct::random_engine rng(8);
  for (int i = 0; i < 300; ++i) {
    const auto s = g.sample(rng, true);
    const derivation d = grounded.to_derivation(s.steps);
    CHECK(derivation_log2_probability(grounded.grammar, d) == doctest::Approx(s.log2_probability).epsilon(1e-12));
    std::vector<std::string> y;
    for (auto t : yield(grounded.grammar, d)) y.push_back(grounded.grammar.name(t));
    CHECK(y == s.tokens);
  }
  // Exact inside probabilities of the grounded grammar against hand values.
  const earley_grammar compiled(grounded.grammar);
  auto inside = [&](const std::string& text) {
    std::vector<symbol_id> ids;
    for (const auto& w : split_tokens(text)) ids.push_back(*grounded.grammar.find_terminal(w));
    return std::exp2(static_cast<double>(inside_log2(compiled, ids)));
  };
  const auto law = length_law::geometric(2.0, 4);
  CHECK(inside("[ e0 : e0 ]") == doctest::Approx(0.5 * law.pmf(1) / 3).epsilon(1e-12));
  CHECK(inside("[ e0 : e1 ; e2 : e0 ]") == doctest::Approx(0.5 * law.pmf(2) / 9).epsilon(1e-12));
  CHECK(inside("[ e0 : e1 ; e2 : e2 ]") == 0.0);  // mixes the two shifts
}

TEST_CASE("CAG sampling and grounded PCFG sampling agree (two-sample chi-square, false-alarm rate 1e-6)") {
  const cag g = shifted_lists();
  const grounded_cag grounded = g.ground();
  sampler pcfg_sampler(grounded.grammar);
  induct::random_engine rng_cag(21), rng_pcfg(22);
  std::map<std::string, double> from_cag, from_pcfg;
  const int draws = 40000;
  std::vector<symbol_id> out;
  for (int i = 0; i < draws; ++i) {
    from_cag[join(g.sample(rng_cag).tokens)] += 1;
    pcfg_sampler.sample(rng_pcfg, out);
    std::vector<std::string> names;
    for (auto t : out) names.push_back(grounded.grammar.name(t));
    from_pcfg[join(names)] += 1;
  }
  double statistic = 0;
  CHECK(same_distribution(from_cag, from_pcfg, 1e-6, &statistic));
  INFO("chi2 ", statistic);
  // Power: a CAG with a different length law is told apart on the same number of draws.
  cag other;
  {
    auto entity = other.add<no_attribute, int>("Entity", [](const no_attribute&, const cag_frame&, cag_rules<int>& r) {
      for (int x = 0; x < 3; ++x) r.alternative(1.0 / 3).emit(entity_name(x)).synthesize([x](const cag_frame&) { return x; });
    });
    auto item = other.add<no_attribute>(
        "Item",
        [entity](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
          r.alternative(1.0).child(entity).emit(":").emit(
              [](const cag_frame& f) { return entity_name((f.synthesized<int>(0) + f.shared<int>("f")) % 3); });
        },
        {"f"});
    auto list = other.add<no_attribute>("List", [item](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
      for (int shift = 0; shift < 2; ++shift)
        r.alternative(0.5).emit("[").share<int>("f", [shift](const cag_frame&) { return shift; }).iterate(item, length_law::geometric(3.5, 4), ";").emit("]");
    });
    other.set_start(list);
  }
  induct::random_engine rng_other(23);
  std::map<std::string, double> from_other;
  for (int i = 0; i < draws; ++i) from_other[join(other.sample(rng_other).tokens)] += 1;
  CHECK_FALSE(same_distribution(from_cag, from_other, 1e-6));
}

TEST_CASE("CAG inherited attributes and rule probabilities that depend on them; errors") {
  // Count[n] -> "a" Count[n-1] [1/2] | "b" [1/2] for n > 0; Count[0] -> "b".
  cag g;
  nonterminal<int> count{};
  count = g.add<int>("Count", [&count](const int& n, const cag_frame&, cag_rules<no_attribute>& r) {
    if (n == 0) {
      r.alternative(1.0).emit("b");
      return;
    }
    r.alternative(0.5).emit("a").child(count, [n](const cag_frame&) { return n - 1; });
    r.alternative(0.5).emit("b");
  });
  g.set_start(count, 2);
  const grounded_cag p = g.ground();
  CHECK(p.grammar.nonterminal_count() == 3);  // Count[2], Count[1], Count[0]
  const earley_grammar compiled(p.grammar);
  auto prob = [&](std::vector<std::string> words) {
    std::vector<symbol_id> ids;
    for (const auto& w : words) ids.push_back(*p.grammar.find_terminal(w));
    return std::exp2(static_cast<double>(inside_log2(compiled, ids)));
  };
  CHECK(prob({"b"}) == doctest::Approx(0.5));
  CHECK(prob({"a", "b"}) == doctest::Approx(0.25));
  CHECK(prob({"a", "a", "b"}) == doctest::Approx(0.25));

  cag bad;
  auto x = bad.add<no_attribute>("X", [](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
    r.alternative(0.5).emit("a");
    r.alternative(0.4).emit("b");
  });
  bad.set_start(x);
  CHECK_THROWS_WITH_AS(bad.ground(), doctest::Contains("sum to 0.9"), induct::grammar_error);

  cag unbound;
  auto y = unbound.add<no_attribute>("Y", [](const no_attribute&, const cag_frame& f, cag_rules<no_attribute>& r) {
    r.alternative(1.0).emit(entity_name(f.shared<int>("v")));
  });
  unbound.set_start(y);
  induct::random_engine rng(1);
  CHECK_THROWS_WITH_AS(unbound.sample(rng), doctest::Contains("shared variable 'v'"), induct::grammar_error);

  // A synthesized attribute that depends on itself is rejected by grounding.
  cag recursive;
  nonterminal<no_attribute, int> z{};
  z = recursive.add<no_attribute, int>("Z", [&z](const no_attribute&, const cag_frame&, cag_rules<int>& r) {
    r.alternative(0.5).emit("z").synthesize([](const cag_frame&) { return 0; });
    r.alternative(0.5).emit("s").child(z).synthesize([](const cag_frame& f) { return std::min(1, f.synthesized<int>(0) + 1); });
  });
  auto top = recursive.add<no_attribute>("Top", [z](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
    r.alternative(1.0).child(z);
  });
  recursive.set_start(top);
  CHECK_THROWS_WITH_AS(recursive.ground(), doctest::Contains("recursively"), induct::grammar_error);
}

namespace {

/// A temporary file name of this process, so concurrent test runs do not share it.
std::filesystem::path scratch_file(const std::string& name) {
  std::string file = "induct_test_";
  file += std::to_string(::getpid());
  file += '_';
  file += name;
  return std::filesystem::temp_directory_path() / file;
}

}  // namespace

TEST_CASE("CAG: a grounded CAG written as a grammar file parses back to an equal grammar") {
  const grounded_cag grounded = shifted_lists().ground();
  const pcfg& g = grounded.grammar;
  const std::filesystem::path path = scratch_file("grounded_cag.cfg");
  write_grammar_file(g, path);
  const pcfg back = read_grammar_file(path);
  std::filesystem::remove(path);
  // Equal up to the renaming of the iteration states (their names hold the law's JSON, with '"').
  REQUIRE(back.rule_count() == g.rule_count());
  std::map<std::string, std::string> renamed;  // original nonterminal -> parsed name, must be one to one
  std::set<std::string> parsed_names;
  auto same_symbol = [&](symbol_id a, symbol_id b) {
    if (g.is_terminal(a) != back.is_terminal(b)) return false;
    if (g.is_terminal(a)) return g.name(a) == back.name(b);
    const auto [it, fresh] = renamed.emplace(g.name(a), back.name(b));
    if (fresh) CHECK(parsed_names.insert(back.name(b)).second);
    const bool plain = g.name(a).find('"') == std::string::npos;
    return it->second == back.name(b) && (!plain || g.name(a) == back.name(b));
  };
  CHECK(same_symbol(g.start(), back.start()));
  for (std::size_t r = 0; r < g.rule_count(); ++r) {
    const rule& a = g.rules()[r];
    const rule& b = back.rules()[r];
    CHECK(same_symbol(a.lhs, b.lhs));
    CHECK(a.probability == b.probability);  // 17 digits: exact
    REQUIRE(a.rhs.size() == b.rhs.size());
    for (std::size_t k = 0; k < a.rhs.size(); ++k) CHECK(same_symbol(a.rhs[k], b.rhs[k]));
  }
  CHECK(renamed.at("Item{f=1}") == "Item{f=1}");
  // The same law over strings: one list's exact probability in both.
  const earley_grammar original(g), parsed(back);
  std::vector<symbol_id> a_list, b_list;
  for (const char* name : {"[", "e0", ":", "e1", ";", "e2", ":", "e0", "]"}) {
    a_list.push_back(*g.find_terminal(name));
    b_list.push_back(*back.find_terminal(name));
  }
  CHECK(static_cast<double>(inside_log2(parsed, b_list)) == doctest::Approx(static_cast<double>(inside_log2(original, a_list))));
}

TEST_CASE("CAG: format_grammar refuses two nonterminals that would be written alike") {
  pcfg g;
  const symbol_id spaced = g.nonterminal("A B");
  const symbol_id written = g.nonterminal("A%20B");
  g.add_rule(spaced, {written}, 1.0);
  g.add_rule(written, {g.terminal("x")}, 1.0);
  CHECK_THROWS_WITH_AS(format_grammar(g), doctest::Contains("would both be written as 'A%20B'"), induct::grammar_error);
  pcfg digit;
  digit.add_rule(digit.nonterminal("S"), {digit.nonterminal("9lives")}, 1.0);
  digit.add_rule(*digit.find_nonterminal("9lives"), {digit.terminal("x")}, 1.0);
  const std::filesystem::path path = scratch_file("unwritable.cfg");
  CHECK_THROWS_AS(write_grammar_file(digit, path), induct::parse_error);
  CHECK_FALSE(std::filesystem::exists(path));
}
