#include <doctest/doctest.h>

#include <cmath>

#include "induct/setup/document_model.hpp"

using namespace induct::setup;

TEST_CASE("task prior: closed forms by hand for the default setup") {
  const document_model model{setup_config{}};
  // P(k) = 0.6 * 0.4^(k-1) / (1 - 0.4^4); direct weights 1, .25, .25, .25.
  const double z = 1 - std::pow(0.4, 4);
  const double p1 = 0.6 / z, p2 = 0.24 / z, p3 = 0.096 / z, p4 = 0.0384 / z;
  CHECK(model.depth_probability(2, list_format::stepwise) == doctest::Approx(p2).epsilon(1e-14));
  const double direct_z = p1 + 0.25 * (p2 + p3 + p4);
  CHECK(model.depth_probability(1, list_format::direct) == doctest::Approx(p1 / direct_z).epsilon(1e-14));
  CHECK(model.depth_probability(3, list_format::direct) == doctest::Approx(0.25 * p3 / direct_z).epsilon(1e-14));
  CHECK(model.depth_probability(5, list_format::direct) == 0.0);
  CHECK(model.format_probability(list_format::direct) == doctest::Approx(0.15 / 0.35));
  const list_task compose2{list_format::stepwise, {3, 5}};
  CHECK(model.log2_task_prior(compose2) == doctest::Approx(std::log2(0.20 / 0.35) + std::log2(p2) - 6).epsilon(1e-13));
  CHECK(model.description_length_bits({list_format::direct, {1, 2}}) ==
        doctest::Approx(-(std::log2(0.15 / 0.35) + std::log2(0.25 * p2 / direct_z) - 6)).epsilon(1e-13));
  // D_cot < D_direct for composites (the linguistic assumption).
  CHECK(model.description_length_bits({list_format::stepwise, {1, 2}}) < model.description_length_bits({list_format::direct, {1, 2}}));
  // Sum over all tasks of the prior is 1.
  double total = 0;
  for (std::size_t i = 0; i < model.chain_count(); ++i)
    for (auto f : {list_format::direct, list_format::stepwise}) total += std::exp2(model.log2_task_prior(f, model.chain_at(i)));
  CHECK(total == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(model.chain_count() == 8 + 64 + 512 + 4096);
  CHECK_THROWS_AS((void)model.log2_task_prior(list_format::direct, function_chain{1, 9}), induct::error);
  CHECK_THROWS_AS((void)model.log2_task_prior(list_format::direct, function_chain{}), induct::error);
}

TEST_CASE("chain enumeration is a bijection and labels are 1-based") {
  setup_config c;
  c.functions = 3;
  c.max_depth = 3;
  const document_model model(c);
  CHECK(model.chain_count() == 3 + 9 + 27);
  for (std::size_t i = 0; i < model.chain_count(); ++i) CHECK(model.chain_index(model.chain_at(i)) == i);
  CHECK(model.chain_at(0) == function_chain{0});
  CHECK(model.chain_at(3) == function_chain{0, 0});
  CHECK(model.chain_at(4) == function_chain{0, 1});
  CHECK(chain_label(function_chain{0, 2}) == "r1.r3");
  CHECK(parse_list_format("stepwise") == list_format::stepwise);
  CHECK_THROWS_WITH_AS(parse_list_format("cot"), doctest::Contains("'cot'"), induct::error);
}

TEST_CASE("direct_composite_rate 0 makes composite direct chains impossible") {
  setup_config c;
  c.direct_composite_rate = 0.0;
  const document_model model(c);
  CHECK(model.depth_probability(1, list_format::direct) == 1.0);
  CHECK(std::isinf(model.log2_task_prior(list_format::direct, function_chain{0, 1})));
  CHECK(std::isfinite(model.log2_task_prior(list_format::stepwise, function_chain{0, 1})));
}
