// Description length of generic derivations: a CAG sample's recorded log-probability against the
// grounded PCFG rules of its derivation; PCFG derivations by hand.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "induct/core/random.hpp"
#include "induct/grammar/cag.hpp"
#include "induct/grammar/length_law.hpp"
#include "induct/theory/description_length.hpp"

using namespace induct;
using namespace induct::grammar;

namespace {
// Appending avoids GCC 12's false -Wrestrict on `"e" + std::to_string(x)`.
std::string entity_name(int x) {
  std::string name = "e";
  name += std::to_string(x);
  return name;
}
}  // namespace

TEST_CASE("description length of a PCFG derivation, by hand") {
  pcfg g;
  const auto s = g.nonterminal("S");
  const auto a = g.terminal("a");
  const auto b = g.terminal("b");
  g.add_rule(s, {a, s}, 0.25);
  g.add_rule(s, {b}, 0.75);
  // a a b: rules 0, 0, 1: D = 2 * 2 + log2(4/3) bits.
  const std::vector<std::size_t> rules{0, 0, 1};
  CHECK(theory::derivation_description_length_bits(g, rules) == doctest::Approx(4.0 + std::log2(4.0 / 3.0)).epsilon(1e-14));
  const std::vector<std::size_t> bad{7};
  CHECK_THROWS_AS(theory::derivation_description_length_bits(g, bad), induct::error);
  g.set_probability(1, 0.0);
  CHECK(std::isinf(theory::derivation_description_length_bits(g, rules)));
}

TEST_CASE("description length of CAG derivations equals -log2 of their sampled probability") {
  // Lists `[ x : (x + f) mod 3 ; ... ]` sharing one shift f (the example of grammar/cag.hpp).
  cag g;
  auto entity = g.add<no_attribute, int>("Entity", [](const no_attribute&, const cag_frame&, cag_rules<int>& r) {
    for (int x = 0; x < 3; ++x)
      r.alternative(1.0 / 3).emit(entity_name(x)).synthesize([x](const cag_frame&) { return x; });
  });
  auto item = g.add<no_attribute>(
      "Item",
      [&](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
        r.alternative(1.0).child(entity).emit(":").emit([](const cag_frame& f) {
          return entity_name((f.synthesized<int>(0) + f.shared<int>("f")) % 3);
        });
      },
      {"f"});
  auto list = g.add<no_attribute>("List", [&](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
    for (int shift = 0; shift < 2; ++shift)
      r.alternative(shift == 0 ? 0.3 : 0.7)
          .emit("[")
          .share<int>("f", [shift](const cag_frame&) { return shift; })
          .iterate(item, length_law::geometric(2.0, 4), ";")
          .emit("]");
  });
  g.set_start(list);
  const grounded_cag grounded = g.ground();
  random_engine rng(5);
  for (int i = 0; i < 50; ++i) {
    const auto sample = g.sample(rng, true);
    CHECK(theory::derivation_description_length_bits(grounded, sample.steps) ==
          doctest::Approx(-sample.log2_probability).epsilon(1e-12));
  }
}
