#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/fields.hpp"

namespace {

enum class color { red, green };

struct inner {
  double rate = 0.5;
  int count = 3;
  template <class Self, class Visit>
  static void for_each_field(Self& self, Visit&& visit) {
    visit(induct::field_info{"rate", "rate", "a probability", 0, 1}, self.rate);
    visit(induct::field_info{"count", "count", "a small count", 1, 10}, self.count);
  }
};

struct toy {
  bool flag = false;
  int n = 2;
  std::int64_t big = 1;
  std::uint64_t seed = 7;
  double x = 1.5;
  std::string label = "a";
  std::vector<int> ns = {0, 1};
  color shade = color::red;
  inner nested;
  template <class Self, class Visit>
  static void for_each_field(Self& self, Visit&& visit) {
    visit(induct::field_info{"flag", "flag", "a switch"}, self.flag);
    visit(induct::field_info{"n", "n", "an int in [1, 100]", 1, 100}, self.n);
    visit(induct::field_info{"big", "big", "an int64"}, self.big);
    visit(induct::field_info{"seed", "seed", "a uint64"}, self.seed);
    visit(induct::field_info{"x", nullptr, "any double"}, self.x);
    visit(induct::field_info{"label", "label", "a string"}, self.label);
    visit(induct::field_info{"ns", "ns", "non-negative ints", 0}, self.ns);
    visit(induct::field_info{"shade", "shade", "red or green"}, self.shade);
    visit(induct::field_info{"nested", nullptr, "an inner config"}, self.nested);
  }
};

struct not_a_config {
  int n = 0;
};

/// The config_error's field of from_json({key: value}) over a default toy, or "" if it succeeds.
std::string error_field(const nlohmann::json& j) {
  toy t;
  try {
    induct::fields_from_json(t, j);
  } catch (const induct::config_error& e) {
    return e.field();
  }
  return "";
}

}  // namespace

template <>
struct induct::enum_names<color> {
  static constexpr std::array<std::pair<color, const char*>, 2> values = {{{color::red, "red"}, {color::green, "green"}}};
};

using induct::config_error;

TEST_CASE("has_fields tells configs from other types") {
  CHECK(induct::has_fields<toy>);
  CHECK(induct::has_fields<inner>);
  CHECK_FALSE(induct::has_fields<not_a_config>);
  CHECK_FALSE(induct::has_fields<int>);
}

TEST_CASE("fields_to_json writes every field once, nested configs as objects, enums by name") {
  const auto j = induct::fields_to_json(toy{});
  CHECK(j.dump() ==
        R"({"big":1,"flag":false,"label":"a","n":2,"nested":{"count":3,"rate":0.5},"ns":[0,1],"seed":7,"shade":"red","x":1.5})");
  int fields = 0;
  const toy defaults;
  toy::for_each_field(defaults, [&](const induct::field_info& info, const auto&) {
    ++fields;
    CHECK(j.contains(info.name));
  });
  CHECK(fields == static_cast<int>(j.size()));
  CHECK(j["seed"].is_number_unsigned());
  CHECK(j["n"].is_number_integer());
}

TEST_CASE("fields_from_json reads the keys present over the current values and round-trips") {
  toy t;
  t.flag = true;
  t.n = 99;
  t.big = -5'000'000'000;
  t.seed = std::numeric_limits<std::uint64_t>::max();
  t.x = -0.25;
  t.label = "b";
  t.ns = {3, 4, 5};
  t.shade = color::green;
  t.nested.rate = 1.0;
  t.nested.count = 10;
  toy back;
  induct::fields_from_json(back, induct::fields_to_json(t));
  CHECK(induct::fields_to_json(back) == induct::fields_to_json(t));
  CHECK(back.seed == std::numeric_limits<std::uint64_t>::max());
  CHECK(back.big == -5'000'000'000);

  toy partial;
  induct::fields_from_json(partial, {{"n", 5}, {"nested", {{"count", 4}}}});
  CHECK(partial.n == 5);
  CHECK(partial.nested.count == 4);
  CHECK(partial.nested.rate == 0.5);  // untouched keys keep their values
  CHECK(partial.label == "a");
  // An integer written as a float without a fraction is an integer; an integer is a double.
  induct::fields_from_json(partial, {{"n", 7.0}, {"x", 3}});
  CHECK(partial.n == 7);
  CHECK(partial.x == 3.0);
}

TEST_CASE("fields_from_json names the key of every kind of bad value") {
  CHECK(error_field({{"nope", 1}}) == "nope");                      // unknown key
  CHECK(error_field({{"n", "many"}}) == "n");                       // wrong type
  CHECK(error_field({{"flag", 1}}) == "flag");                      // a number is not a bool
  CHECK(error_field({{"label", 3}}) == "label");
  CHECK(error_field({{"n", 5e9}}) == "n");                          // does not fit int (float)
  CHECK(error_field({{"n", 5'000'000'000LL}}) == "n");              // does not fit int (integer)
  CHECK(error_field({{"n", -5'000'000'000LL}}) == "n");
  CHECK(error_field({{"big", 1e19}}) == "big");                     // does not fit int64
  CHECK(error_field({{"big", std::numeric_limits<std::uint64_t>::max()}}) == "big");
  CHECK(error_field({{"seed", -1}}) == "seed");                     // negative into uint64
  CHECK(error_field({{"seed", 1.8446744073709552e19}}) == "seed");  // 2^64 does not fit uint64
  CHECK(error_field({{"n", 1.5}}) == "n");                          // fraction into int
  CHECK(error_field({{"n", 0}}) == "n");                            // below min
  CHECK(error_field({{"n", 101}}) == "n");                          // above max
  CHECK(error_field({{"ns", {1, -1}}}) == "ns");                    // an element below min
  CHECK(error_field({{"ns", {1, 2.5}}}) == "ns");
  CHECK(error_field({{"ns", 3}}) == "ns");
  CHECK(error_field({{"shade", "blue"}}) == "shade");
  CHECK(error_field({{"shade", 0}}) == "shade");
  CHECK(error_field({{"nested", {{"rate", 1.5}}}}) == "nested.rate");
  CHECK(error_field({{"nested", {{"zzz", 1}}}}) == "nested.zzz");
  CHECK(error_field({{"nested", 3}}) == "nested");
  CHECK(error_field(nlohmann::json::array()) == "<root>");
  CHECK(error_field({{"n", 100}, {"big", -1}, {"seed", 0}, {"n", 1}}).empty());
  // The edges of each type fit.
  CHECK(error_field({{"big", std::numeric_limits<std::int64_t>::min()}}).empty());
  CHECK(error_field({{"seed", std::numeric_limits<std::uint64_t>::max()}}).empty());

  // Messages name the field and say why.
  toy t;
  CHECK_THROWS_WITH_AS(induct::fields_from_json(t, {{"n", 0}}), "invalid config field 'n': must be in [1, 100], got 0", config_error);
  CHECK_THROWS_WITH_AS(induct::fields_from_json(t, {{"shade", "blue"}}), doctest::Contains("red, green"), config_error);
  CHECK_THROWS_WITH_AS(induct::fields_from_json(t, {{"n", 1.5}}), doctest::Contains("integer"), config_error);
  CHECK_THROWS_WITH_AS(induct::fields_from_json(t, {{"n", 5e9}}), doctest::Contains("does not fit"), config_error);

  // A failed read leaves the config as it was.
  toy u;
  CHECK_THROWS_AS(induct::fields_from_json(u, {{"label", "changed"}, {"n", 0}}), config_error);
  CHECK(u.label == "a");
  CHECK(u.n == 2);
}

TEST_CASE("check_field_bounds names the first field outside its range, nested ones by their dotted key") {
  auto field_of = [](const toy& t) -> std::string {
    try {
      induct::check_field_bounds(t);
    } catch (const config_error& e) {
      return e.field();
    }
    return "";
  };
  toy t;
  CHECK(field_of(t).empty());
  t.x = std::numeric_limits<double>::infinity();  // unbounded on both sides: infinities allowed
  CHECK(field_of(t).empty());
  t.x = std::nan("");
  CHECK(field_of(t) == "x");
  t.x = 0;
  t.nested.rate = std::nan("");
  CHECK(field_of(t) == "nested.rate");
  t.nested.rate = 0.5;
  t.nested.count = 11;
  CHECK(field_of(t) == "nested.count");
  t.ns = {0, -2};
  CHECK(field_of(t) == "ns");  // the first in list order
  t.n = 0;
  CHECK(field_of(t) == "n");
}

TEST_CASE("find_field finds top-level and nested keys") {
  const auto* n = induct::find_field<toy>("n");
  REQUIRE(n != nullptr);
  CHECK(std::string(n->option) == "n");
  CHECK(n->max == 100);
  const auto* rate = induct::find_field<toy>("nested.rate");
  REQUIRE(rate != nullptr);
  CHECK(std::string(rate->name) == "rate");
  CHECK(rate->max == 1);
  REQUIRE(induct::find_field<toy>("nested") != nullptr);
  CHECK(induct::find_field<toy>("nested")->option == nullptr);
  CHECK(induct::find_field<toy>("x")->option == nullptr);
  CHECK(induct::find_field<toy>("rate") == nullptr);
  CHECK(induct::find_field<toy>("nested.") == nullptr);
  CHECK(induct::find_field<toy>("") == nullptr);
  CHECK(induct::find_field<toy>("n") == n);  // stable
}

TEST_CASE("field_list lists nested fields after their parent; set_field sets a dotted key") {
  std::vector<std::string> keys;
  for (const auto& [key, info] : induct::field_list<toy>()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"flag", "n", "big", "seed", "x", "label", "ns", "shade", "nested", "nested.rate",
                                         "nested.count"});
  toy t;
  induct::set_field(t, "nested.rate", 0.25);
  induct::set_field(t, "n", 9);
  CHECK(t.nested.rate == 0.25);
  CHECK(t.n == 9);
  CHECK(t.nested.count == 3);
  auto field_of = [&](std::string_view key, const nlohmann::json& v) -> std::string {
    try {
      induct::set_field(t, key, v);
    } catch (const config_error& e) {
      return e.field();
    }
    return "";
  };
  CHECK(field_of("nested.rate", 2.0) == "nested.rate");
  CHECK(field_of("nested.zzz", 1) == "nested.zzz");
  CHECK(field_of("zzz", 1) == "zzz");
  CHECK(t.nested.rate == 0.25);
}

TEST_CASE("enum names convert both ways") {
  CHECK(std::string(induct::to_string(color::green)) == "green");
  CHECK(induct::enum_from_string<color>("red", "shade") == color::red);
  CHECK_THROWS_WITH_AS(induct::enum_from_string<color>("blue", "shade"),
                       "invalid config field 'shade': must be one of red, green; got \"blue\"", config_error);
  CHECK_THROWS_AS(induct::to_string(static_cast<color>(7)), induct::error);
  CHECK(induct::enum_name_list<color>() == "red, green");
}

TEST_CASE("describe_bounds and format_number say ranges in words") {
  using induct::field_info;
  CHECK(induct::describe_bounds(field_info{"a", nullptr, ""}) == "");
  CHECK(induct::describe_bounds(field_info{"a", nullptr, "", 0, 1}) == "in [0, 1]");
  CHECK(induct::describe_bounds(field_info{"a", nullptr, "", 1}) == ">= 1");
  CHECK(induct::describe_bounds(field_info{"a", nullptr, "", -induct::no_bound, 5}) == "<= 5");
  CHECK(induct::describe_bounds(field_info{"a", nullptr, "", induct::above_zero, induct::finite_max}) == "> 0 and finite");
  CHECK(induct::describe_bounds(field_info{"a", nullptr, "", induct::above_zero, 1}) == "> 0 and <= 1");
  CHECK(induct::describe_bounds(field_info{"a", nullptr, "", 1, induct::finite_max}) == ">= 1 and finite");
  CHECK(induct::format_number(65535) == "65535");
  CHECK(induct::format_number(1e-12) == "1e-12");
  CHECK(induct::format_number(0.001) == "0.001");
  CHECK_FALSE(induct::within_bounds(0.0, field_info{"a", nullptr, "", induct::above_zero}));
  CHECK(induct::within_bounds(1e-300, field_info{"a", nullptr, "", induct::above_zero}));
  CHECK_FALSE(induct::within_bounds(induct::no_bound, field_info{"a", nullptr, "", 0, induct::finite_max}));
}

TEST_CASE("require_same_keys and require_known_keys check a fixed JSON shape") {
  const nlohmann::json shape = {{"a", 1}, {"o", {{"b", 2}}}};
  CHECK_NOTHROW(induct::require_same_keys(shape, {{"a", 0}, {"o", {{"b", 0}}}}));
  CHECK_NOTHROW(induct::require_known_keys(shape, {{"o", {{"b", 0}}}}));
  auto field_of = [&](const nlohmann::json& j, bool all) -> std::string {
    try {
      all ? induct::require_same_keys(shape, j, "t") : induct::require_known_keys(shape, j, "t");
    } catch (const config_error& e) {
      return e.field();
    }
    return "";
  };
  CHECK(field_of({{"a", 0}}, true) == "t.o");
  CHECK(field_of({{"a", 0}, {"o", nlohmann::json::object()}}, true) == "t.o.b");
  CHECK(field_of({{"a", 0}, {"o", {{"c", 1}}}}, false) == "t.o.c");
  CHECK(field_of({{"z", 0}}, false) == "t.z");
  CHECK(field_of(3, false) == "t");
}
