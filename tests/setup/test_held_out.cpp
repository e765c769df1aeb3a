// Held-out compositions (setup/held_out.hpp): which chains are held out, that a sampled corpus never
// uses them in a list (decoded from the token file itself), and the law of the lists it does draw.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/held_out.hpp"
#include "induct/setup/tasks.hpp"
#include "statistical_checks.hpp"

using namespace induct::setup;
namespace fs = std::filesystem;

namespace {

fs::path scratch_dir() {
  const fs::path dir = fs::temp_directory_path() / ("induct_test_held_out_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

/// Lists decoded from a token stream, and those that no allowed hypothesis explains.
struct decoded_lists {
  std::uint64_t lists = 0;
  std::uint64_t only_held_out = 0;  // lists every consistent hypothesis of which is held out in its format
};

/// A slow, obviously-correct reference: every chain of depths 1..max_depth with its map, and for a list
/// the set of hypotheses (format, chain) that emit it. A one-value list (x : y ; ...) is a direct list of
/// any depth or a stepwise list of depth 1 (a primitive, never held out); a k-value list is a stepwise list
/// of depth k. `held` is the held-out set to test against (which need not be the corpus's own).
decoded_lists decode_lists(const world& w, const std::vector<token_id>& tokens, const held_out_set& held) {
  const document_model model(w.config());
  const int e = w.entity_count();
  const std::size_t chains = model.chain_count();
  const std::size_t words = (chains + 63) / 64;
  // consistent[x * E + y]: bitset of the chains phi with phi(x) = y.
  std::vector<std::uint64_t> consistent(static_cast<std::size_t>(e * e) * words, 0);
  std::vector<std::uint64_t> held_direct(words, 0);
  for (std::size_t c = 0; c < chains; ++c) {
    const auto chain = model.chain_at(c);
    for (int x = 0; x < e; ++x)
      consistent[(static_cast<std::size_t>(x * e + w.apply(chain, x))) * words + c / 64] |= 1ULL << (c % 64);
    if (held.excludes(list_format::direct, chain)) held_direct[c / 64] |= 1ULL << (c % 64);
  }
  const vocabulary& v = w.vocab();
  decoded_lists out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] != vocabulary::open_list) continue;
    // Items: x : v1 .. vk, separated by ';', closed by ']'. A list cut by the end of the file is skipped.
    std::vector<std::vector<int>> items;
    std::size_t j = i + 1;
    bool closed = false;
    while (j + 1 < tokens.size()) {
      std::vector<int> item{*v.entity_index(tokens[j])};
      REQUIRE(tokens[j + 1] == vocabulary::colon);
      j += 2;
      while (j < tokens.size() && v.entity_index(tokens[j])) item.push_back(*v.entity_index(tokens[j++]));
      items.push_back(item);
      if (j >= tokens.size()) break;
      if (tokens[j] == vocabulary::close_list) {
        closed = true;
        break;
      }
      REQUIRE(tokens[j] == vocabulary::semicolon);
      ++j;
    }
    ++out.lists;
    if (!closed) continue;
    const std::size_t values = items.front().size() - 1;
    for (const auto& item : items) REQUIRE(item.size() - 1 == values);
    bool explained_by_allowed = false, explained = false;
    if (values == 1) {
      std::vector<std::uint64_t> both(words, ~0ULL);
      for (const auto& item : items)
        for (std::size_t k = 0; k < words; ++k) both[k] &= consistent[static_cast<std::size_t>(item[0] * e + item[1]) * words + k];
      for (std::size_t k = 0; k < words; ++k) {
        explained |= both[k] != 0;
        explained_by_allowed |= (both[k] & ~held_direct[k]) != 0;
      }
    } else {
      // Stepwise of depth k: f_j in allowed[j] = {f : f(step j-1) = step j for every item}; the chains are
      // the product of the allowed sets.
      std::vector<std::vector<int>> allowed(values);
      for (std::size_t s = 0; s < values; ++s)
        for (int f = 0; f < w.function_count(); ++f) {
          bool ok = true;
          for (const auto& item : items) ok &= w.apply(f, item[s]) == item[s + 1];
          if (ok) allowed[s].push_back(f);
        }
      std::vector<std::size_t> at(values, 0);
      bool empty = false;
      for (const auto& a : allowed) empty |= a.empty();
      while (!empty) {
        function_chain chain;
        for (std::size_t s = 0; s < values; ++s) chain.push_back(allowed[s][at[s]]);
        explained = true;
        explained_by_allowed |= !held.excludes(list_format::stepwise, chain);
        std::size_t s = 0;
        while (s < values && ++at[s] == allowed[s].size()) at[s++] = 0;
        if (s == values) break;
      }
    }
    REQUIRE(explained);  // every list is the iteration of some chain
    if (!explained_by_allowed) ++out.only_held_out;
  }
  return out;
}

}  // namespace

TEST_CASE("held-out set: a seeded quarter of the depth-2 and depth-3 chains, the same for the same seed") {
  const setup_config defaults;
  const held_out_set held(defaults);
  CHECK(held.size() == 16 + 128);
  CHECK(held.within_depth(1).empty());
  CHECK(held.within_depth(2).size() == 16);
  CHECK(held.within_depth(3).size() == 128);
  CHECK(held.within_depth(4).empty());
  CHECK(held.formats() == held_out_formats::both);
  for (const auto& chain : held.chains(2)) CHECK(held.contains(chain));
  CHECK(held_out_set(defaults).chains() == held.chains());  // deterministic
  setup_config other_seed = defaults;
  other_seed.held_out_seed = 2;
  CHECK(held_out_set(other_seed).chains(2) != held.chains(2));
  setup_config other_world = defaults;
  other_world.world_seed = 7;  // the held-out chains are a choice of function indices, not of tables
  CHECK(held_out_set(other_world).chains() == held.chains());
  setup_config shallower = defaults;
  shallower.max_depth = 3;
  CHECK(held_out_set(shallower).chains(2) == held.chains(2));  // one stream per depth
  CHECK(held_out_set(shallower).chains(3) == held.chains(3));
  setup_config none = defaults;
  none.held_out_fraction = 0;
  CHECK(held_out_set(none).empty());
  CHECK(world(none).fingerprint() != world(defaults).fingerprint());

  // Uniform: over 2,000 seeds each depth-2 chain is held out with probability 16/64 (Clopper-Pearson,
  // Bonferroni over the 64 chains: false alarm < 1e-4).
  std::vector<std::uint64_t> times(64, 0);
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    setup_config c = defaults;
    c.held_out_seed = seed;
    c.max_depth = 2;
    const held_out_set drawn(c);
    for (auto within : drawn.within_depth(2)) times[within] += 1;
  }
  for (std::size_t i = 0; i < 64; ++i) {
    const auto [lo, hi] = induct_test::clopper_pearson(times[i], 2000, 1e-4 / 64);
    INFO("chain ", i, " held out ", times[i], " times of 2000");
    CHECK(lo <= 0.25);
    CHECK(0.25 <= hi);
  }
}

TEST_CASE("held-out set: an explicit list, its label errors, the size cap, and records made before it existed") {
  setup_config c;
  c.held_out_chains = {"r1.r2", "r8.r8.r1"};
  const held_out_set held(c);
  CHECK(held.size() == 2);
  CHECK(held.contains(function_chain{0, 1}));
  CHECK(held.contains(function_chain{7, 7, 0}));
  CHECK_FALSE(held.contains(function_chain{1, 0}));
  CHECK(setup_config::from_json(c.to_json()).held_out_chains == c.held_out_chains);
  const auto refused = [](std::vector<std::string> labels, const char* why) {
    setup_config bad;
    bad.held_out_chains = std::move(labels);
    CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains(why), induct::config_error);
  };
  refused({"r1"}, "only composite chains");
  refused({"r1.r2", "r1.r2"}, "listed twice");
  refused({"r1.r2.r3.r4.r5"}, "deeper than max_depth 4");
  refused({"r0.r1"}, "r0 is outside r1..r8");
  refused({"r9.r1"}, "r9 is outside r1..r8");
  refused({"x1.r2"}, "expected 'r' at character 1");
  refused({"r1..r2"}, "character 4");
  refused({"r1.r2."}, "character 7");
  refused({""}, "empty");
  refused({"r99999999999.r1"}, "bad relation number");
  setup_config huge;
  huge.functions = 1000;
  huge.held_out_fraction = 0.5;  // 5e5 + 5e8 chains
  CHECK_THROWS_WITH_AS(huge.validate(), doctest::Contains("at most 1000000"), induct::config_error);
  huge.held_out_max_depth = 2;  // 5e5 chains: fine
  CHECK(held_out_set(huge).size() == 500000);

  nlohmann::json before = setup_config{}.to_json();
  for (const char* key : {"held_out_fraction", "held_out_max_depth", "held_out_seed", "held_out_formats", "held_out_chains"})
    before.erase(key);
  CHECK(setup_config::from_record(before).held_out_fraction == 0);
  CHECK(setup_config::from_json(before).held_out_fraction == 0.25);
  CHECK(setup_config::from_record(setup_config{}.to_json()).held_out_fraction == 0.25);

  const fs::path dir = scratch_dir();
  const fs::path file = dir / "held.txt";
  std::ofstream(file) << "# chains to hold out\nr1.r2\n\n  r3.r4.r5   # deep\r\n";
  CHECK(read_held_out_file(file) == std::vector<std::string>{"r1.r2", "r3.r4.r5"});
  std::ofstream(file) << "r1.r2\nr1.x\n";
  CHECK_THROWS_WITH_AS(read_held_out_file(file), doctest::Contains("held.txt: line 2"), induct::file_error);
  std::ofstream(file) << "# nothing\n";
  CHECK_THROWS_WITH_AS(read_held_out_file(file), doctest::Contains("lists no held-out chain"), induct::file_error);
  CHECK_THROWS_WITH_AS(read_held_out_file(dir), doctest::Contains("directory"), induct::file_error);
  fs::remove_all(dir);
}

TEST_CASE("no held-out chain occurs as a list in a 1e7-token corpus, decoded from the token file itself") {
  const fs::path dir = scratch_dir();
  const world w;
  const held_out_set held(w.config());
  const fs::path path = dir / "corpus.tok";
  const auto stats = write_corpus(w, 5, 10'000'000, path);
  const auto tokens = read_corpus_tokens(path);
  const auto decoded = decode_lists(w, tokens, held);
  CHECK(decoded.lists == stats.segments[static_cast<std::size_t>(segment_kind::direct_list)] +
                             stats.segments[static_cast<std::size_t>(segment_kind::stepwise_list)]);
  CHECK(decoded.lists > 250000);
  CHECK(decoded.only_held_out == 0);
  // The sidecar agrees: no held-out chain has a list, and it records the set.
  const auto sidecar = read_corpus_sidecar(corpus_sidecar_path(path));
  for (const auto& chain : held.chains()) {
    const auto exposure = corpus_chain_exposure(sidecar, chain);
    CHECK(exposure.direct_lists == 0);
    CHECK(exposure.stepwise_lists == 0);
    for (std::size_t j = 0; j < chain.size(); ++j)
      CHECK(exposure.primitive_facts[j] == stats.facts[static_cast<std::size_t>(chain[j])]);
  }
  CHECK(sidecar["held_out"]["chains"].size() == 144);
  CHECK(sidecar["held_out"]["formats"] == "both");

  // Control: the same decoder finds the lists of those chains in a corpus that holds nothing out, so the
  // zero above is a measurement.
  setup_config none;
  none.held_out_fraction = 0;
  const world open(none);
  std::vector<token_id> control;
  sample_corpus_stream(open, 5, 1'000'000, [&](const token_id* t, std::size_t n) { control.insert(control.end(), t, t + n); },
                       [](std::uint64_t) {});
  CHECK(decode_lists(open, control, held).only_held_out > 100);
  fs::remove_all(dir);
}

TEST_CASE("a corpus draws the seen chains with their population weights; direct-only holds stepwise lists back in") {
  // Within depth 2 the 48 seen chains are equally likely (chi-square, false alarm 1e-4 per format).
  const world w;
  const held_out_set held(w.config());
  const auto stats = sample_corpus_stream(w, 21, 2'000'000, [](const token_id*, std::size_t) {}, [](std::uint64_t) {});
  const document_model model(w.config());
  for (int f = 0; f < 2; ++f) {
    std::vector<double> observed, probability;
    for (int a = 0; a < 8; ++a)
      for (int b = 0; b < 8; ++b) {
        const function_chain chain{a, b};
        const auto it = stats.chains[f].find(model.chain_index(chain));
        const double count = it == stats.chains[f].end() ? 0.0 : static_cast<double>(it->second);
        if (held.contains(chain)) {
          CHECK(count == 0);
        } else {
          observed.push_back(count);
          probability.push_back(1.0 / 48);
        }
      }
    CHECK(observed.size() == 48);
    CHECK(induct_test::chi_square_test(observed, probability, 1e-4).accepted);
  }
  setup_config direct_only;
  direct_only.held_out_in = held_out_formats::direct;
  const world wd(direct_only);
  const auto s = sample_corpus_stream(wd, 21, 1'000'000, [](const token_id*, std::size_t) {}, [](std::uint64_t) {});
  std::uint64_t direct_held = 0, stepwise_held = 0;
  for (const auto& chain : held.chains()) {
    const auto index = model.chain_index(chain);
    if (s.chains[0].count(index)) direct_held += s.chains[0].at(index);
    if (s.chains[1].count(index)) stepwise_held += s.chains[1].at(index);
  }
  CHECK(direct_held == 0);
  CHECK(stepwise_held > 1000);
}
