#include <doctest/doctest.h>

#include <set>

#include "induct/setup/world.hpp"

using namespace induct::setup;

TEST_CASE("default world: sizes, bijection split and a vocabulary under 128 tokens") {
  const world w;
  CHECK(w.entity_count() == 64);
  CHECK(w.function_count() == 8);
  CHECK(w.vocab().size() < 128);
  int bijections = 0;
  for (int f = 0; f < 8; ++f) {
    const std::set<int> image(w.table(f).begin(), w.table(f).end());
    CHECK(w.is_bijection(f) == (image.size() == 64));
    bijections += w.is_bijection(f);
  }
  CHECK(bijections == 4);
  CHECK(w.vocab().name(w.vocab().relation(0)) == "r1");
  CHECK(w.vocab().decode(w.vocab().encode("<d> [ e1 : e5 ;")) == "<d> [ e1 : e5 ;");
}

TEST_CASE("world fingerprint: same config same world, changed config different fingerprint") {
  setup_config c;
  const world a(c), b(c);
  CHECK(a.fingerprint() == b.fingerprint());
  CHECK(a.table(3) == b.table(3));
  c.world_seed = 2;
  CHECK(world(c).fingerprint() != a.fingerprint());
  setup_config d;
  d.direct_composite_rate = 0.5;
  CHECK(world(d).fingerprint() != a.fingerprint());
}

TEST_CASE("invalid configs are rejected naming the field") {
  setup_config c;
  c.entities = 0;
  CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains("entities"), induct::config_error);
  c = {};
  c.share_fact = 1.5;
  CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains("share_fact"), induct::config_error);
  c = {};
  c.max_depth = 0;
  CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains("max_depth"), induct::config_error);
  CHECK_THROWS_WITH_AS(setup_config::from_json({{"entitees", 3}}), doctest::Contains("entitees"), induct::config_error);
}

TEST_CASE("unknown tokens are an error naming the token and its column") {
  const world w;
  CHECK_THROWS_WITH_AS(w.vocab().encode("<d> [ e1 : x9"), doctest::Contains("'x9'"), induct::parse_error);
  CHECK_THROWS_WITH_AS(w.vocab().encode("<d> [ e1 : x9"), doctest::Contains(":12:"), induct::parse_error);
}
