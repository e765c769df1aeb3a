#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

#include "induct/core/atomic_file.hpp"
#include "induct/core/hash.hpp"
#include "induct/setup/corpus.hpp"
#include "statistical_checks.hpp"

using namespace induct::setup;
namespace fs = std::filesystem;

namespace {

fs::path scratch_dir() {
  const fs::path dir = fs::temp_directory_path() / ("induct_test_corpus_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

std::string bytes_of(const fs::path& p) { return induct::read_text_file(p); }

void overwrite(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("corpus file: round trip, exact token count, byte-identical for same seed, header fields") {
  const world w;
  const fs::path dir = scratch_dir();
  const fs::path a = dir / "a.tok", b = dir / "b.tok", c = dir / "c.tok";
  const auto stats = write_corpus(w, 5, 100000, a);
  write_corpus(w, 5, 100000, b);
  write_corpus(w, 6, 100000, c);
  CHECK(stats.tokens == 100000);
  CHECK(bytes_of(a) == bytes_of(b));
  CHECK(bytes_of(a.string() + ".json") == bytes_of(b.string() + ".json"));
  CHECK(bytes_of(a) != bytes_of(c));
  CHECK(fs::file_size(a) == 32 + 2 * 100000);

  corpus_header h;
  const auto tokens = read_corpus_tokens(a, &h);
  CHECK(h.version == 1);
  CHECK(h.vocabulary_size == w.vocab().size());
  CHECK(h.token_count == 100000);
  REQUIRE(tokens.size() == 100000);
  // The same stream drawn in memory: the file holds exactly its first 100000 tokens.
  document_sampler sampler(w);
  auto rng = induct::random_engine::for_stream(5, corpus_stream);
  std::vector<token_id> expected;
  while (expected.size() < 100000) sampler.sample_document(rng, expected, [](const segment_event&) {});
  expected.resize(100000);
  CHECK(tokens == expected);
  CHECK(tokens[0] == vocabulary::document);
  // Little-endian layout of the first payload token and the magic, by hand.
  const std::string raw = bytes_of(a);
  CHECK(raw.substr(0, 8) == "INDUCTTK");
  CHECK(static_cast<unsigned char>(raw[8]) == 1);
  CHECK(static_cast<unsigned char>(raw[32]) == (tokens[0] & 0xff));
  CHECK(static_cast<unsigned char>(raw[33]) == (tokens[0] >> 8));

  const auto sidecar = read_corpus_sidecar(corpus_sidecar_path(a));
  CHECK(sidecar["tokens"] == 100000);
  CHECK(sidecar["seed"] == 5);
  CHECK(sidecar["world_fingerprint"] == w.fingerprint());
  CHECK(sidecar["config"] == w.config().to_json());
  // Document count equals the number of <d> tokens in the file.
  std::uint64_t documents = 0;
  for (auto t : tokens) documents += t == vocabulary::document;
  CHECK(sidecar["documents"] == documents);
  // Segments: periods end facts and fillers, ']' ends lists (the last segment may be cut).
  std::uint64_t closes = 0, periods = 0;
  for (auto t : tokens) {
    closes += t == vocabulary::close_list;
    periods += t == vocabulary::period;
  }
  const auto& seg = sidecar["segments"];
  const std::uint64_t lists = seg["direct_list"].get<std::uint64_t>() + seg["stepwise_list"].get<std::uint64_t>();
  const std::uint64_t dotted = seg["fact"].get<std::uint64_t>() + seg["filler"].get<std::uint64_t>();
  CHECK(lists + dotted - (closes + periods) <= 1);
  fs::remove_all(dir);
}

TEST_CASE("corpus file: truncated, corrupted, wrong magic, wrong version and trailing bytes are clear errors") {
  const world w;
  const fs::path dir = scratch_dir();
  const fs::path p = dir / "x.tok";
  write_corpus(w, 1, 5000, p);
  const std::string good = bytes_of(p);
  auto expect_error = [&](const std::string& bytes, const std::string& fragment) {
    overwrite(p, bytes);
    CHECK_THROWS_WITH_AS(read_corpus_tokens(p), doctest::Contains(fragment.c_str()), induct::file_error);
  };
  expect_error(good.substr(0, good.size() - 1), "truncated");
  expect_error(good.substr(0, 20), "truncated");
  expect_error(good + "xy", "trailing");
  std::string flipped = good;
  flipped[1000] = static_cast<char>(flipped[1000] ^ 0x01);
  expect_error(flipped, "checksum");
  std::string magic = good;
  magic[0] = 'X';
  expect_error(magic, "magic");
  std::string header = good;
  header[16] = static_cast<char>(header[16] ^ 0x04);  // token count changed, header CRC not updated
  expect_error(header, "header checksum");
  // Version 2 with a valid header checksum.
  corpus_header h;
  h.version = 2;
  h.vocabulary_size = static_cast<std::uint32_t>(w.vocab().size());
  h.token_count = 5000;
  const auto encoded = detail::encode_header(h);
  std::string v2 = good;
  v2.replace(0, 32, std::string(reinterpret_cast<const char*>(encoded.data()), 32));
  expect_error(v2, "version 2");
  // A token outside the vocabulary, with consistent checksums.
  {
    std::vector<token_id> tokens(10, 3);
    tokens[4] = 500;
    corpus_header bad;
    bad.vocabulary_size = 100;
    bad.token_count = 10;
    bad.payload_crc32 = induct::crc32_update(0, tokens.data(), 20);
    const auto bytes = detail::encode_header(bad);
    overwrite(p, std::string(reinterpret_cast<const char*>(bytes.data()), 32) +
                     std::string(reinterpret_cast<const char*>(tokens.data()), 20));
    CHECK_THROWS_WITH_AS(read_corpus_tokens(p), doctest::Contains("token 4 has id 500"), induct::file_error);
  }
  CHECK_THROWS_WITH_AS(read_corpus_tokens(dir / "missing.tok"), doctest::Contains("cannot open"), induct::file_error);
  fs::remove_all(dir);
}

TEST_CASE("sampled corpus matches the config: segment shares, depth law, length laws, filler lengths") {
  // 2 million tokens of the default setup. Every check below has false-alarm rate 1e-4 /
  // (number of checks) (Bonferroni), so the whole test fails by chance with probability < 1e-4.
  const world w;
  const document_model model(w.config());
  const auto stats = sample_corpus_stream(w, 11, 2000000, [](const token_id*, std::size_t) {}, [](std::uint64_t) {});
  const int checks = 4 + 2 + 2 + 1;
  const double alpha = 1e-4 / checks;
  std::uint64_t total = 0;
  for (auto c : stats.segments) total += c;
  for (int k = 0; k < segment_kind_count; ++k) {
    const auto kind = static_cast<segment_kind>(k);
    const auto [lo, hi] = induct_test::clopper_pearson(stats.segments[static_cast<std::size_t>(k)], total, alpha);
    INFO(to_string(kind), " observed ", double(stats.segments[static_cast<std::size_t>(k)]) / double(total));
    CHECK(lo <= model.segment_share(kind));
    CHECK(model.segment_share(kind) <= hi);
  }
  for (int f = 0; f < 2; ++f) {
    const auto format = f == 0 ? list_format::direct : list_format::stepwise;
    std::vector<double> observed, probability;
    for (int k = 1; k <= w.config().max_depth; ++k) {
      observed.push_back(double(stats.depths[f][static_cast<std::size_t>(k)]));
      // Independent closed form: (1-c) c^(k-1) times the direct weight, times the share of depth-k chains
      // not held out (3/4 at depths 2 and 3, SPEC default), renormalised by hand.
      const double c = 0.4;
      const auto kept = [](int j) { return j == 2 || j == 3 ? 0.75 : 1.0; };
      double z = 0;
      for (int j = 1; j <= 4; ++j) z += (1 - c) * std::pow(c, j - 1) * (f == 0 && j >= 2 ? 0.25 : 1.0) * kept(j);
      probability.push_back((1 - c) * std::pow(c, k - 1) * (f == 0 && k >= 2 ? 0.25 : 1.0) * kept(k) / z);
    }
    const auto depth = induct_test::chi_square_test(observed, probability, alpha);
    INFO(to_string(format), " depth chi2 ", depth.statistic, " critical ", depth.critical);
    CHECK(depth.accepted);
    observed.clear();
    probability.clear();
    const double q = 1 - 1 / 6.0;
    for (int n = 1; n <= 32; ++n) {
      observed.push_back(double(stats.lengths[f][static_cast<std::size_t>(n)]));
      probability.push_back((1 - q) * std::pow(q, n - 1) / (1 - std::pow(q, 32)));
    }
    const auto length = induct_test::chi_square_test(observed, probability, alpha);
    INFO(to_string(format), " length chi2 ", length.statistic, " critical ", length.critical);
    CHECK(length.accepted);
  }
  std::vector<double> observed, probability;
  for (int n = 1; n <= 8; ++n) {
    observed.push_back(double(stats.filler_lengths[static_cast<std::size_t>(n)]));
    probability.push_back(1.0 / 8);
  }
  CHECK(induct_test::chi_square_test(observed, probability, alpha).accepted);
  CHECK(stats.filler_lengths[0] == 0);
  CHECK(stats.lengths[0][0] == 0);
}

TEST_CASE("power-law variant: direct and stepwise lists follow their own Zipf laws") {
  setup_config c;
  c.list_length_law = length_law_kind::power_law;
  const world w(c);
  const auto stats = sample_corpus_stream(w, 3, 1000000, [](const token_id*, std::size_t) {}, [](std::uint64_t) {});
  const double alpha = 1e-4 / 2;
  for (int f = 0; f < 2; ++f) {
    const double s = f == 0 ? 2.0 : 1.5;
    double h = 0;
    for (int n = 1; n <= 32; ++n) h += std::pow(n, -s);
    std::vector<double> observed, probability;
    for (int n = 1; n <= 32; ++n) {
      observed.push_back(double(stats.lengths[f][static_cast<std::size_t>(n)]));
      probability.push_back(std::pow(n, -s) / h);
    }
    const auto r = induct_test::chi_square_test(observed, probability, alpha);
    INFO("format ", f, " chi2 ", r.statistic, " critical ", r.critical);
    CHECK(r.accepted);
  }
  // And the geometric law would be rejected on the same counts (the test can fail).
  const double q = 1 - 1 / 6.0;
  std::vector<double> observed, probability;
  for (int n = 1; n <= 32; ++n) {
    observed.push_back(double(stats.lengths[0][static_cast<std::size_t>(n)]));
    probability.push_back((1 - q) * std::pow(q, n - 1) / (1 - std::pow(q, 32)));
  }
  CHECK_FALSE(induct_test::chi_square_test(observed, probability, alpha).accepted);
}

TEST_CASE("the sampler's log2-probability equals the model's probability recomputed from the tokens") {
  // Independent recomputation from the token sequence and the recorded chains, factor by factor.
  const world w;
  document_sampler sampler(w);
  induct::random_engine rng(99);
  const double log2_e = std::log2(64.0), log2_m = 3.0;
  for (int d = 0; d < 200; ++d) {
    const auto doc = sampler.sample(rng);
    const std::size_t segments = doc.segments.size();
    double expected = std::log2(1.0 / 8) + double(segments - 1) * std::log2(7.0 / 8);
    for (std::size_t s = 0; s < segments; ++s) {
      const auto& seg = doc.segments[s];
      const std::size_t end = s + 1 < segments ? doc.segments[s + 1].begin : doc.tokens.size();
      const std::size_t size = end - seg.begin;
      switch (seg.kind) {
        case segment_kind::fact:
          REQUIRE(size == 4);
          CHECK(w.apply(*w.vocab().relation_index(doc.tokens[seg.begin + 1]), *w.vocab().entity_index(doc.tokens[seg.begin])) ==
                *w.vocab().entity_index(doc.tokens[seg.begin + 2]));
          expected += std::log2(0.5) - log2_e - log2_m;
          break;
        case segment_kind::filler:
          CHECK(size == std::size_t(seg.length) + 1);
          expected += std::log2(0.15) - 3 - seg.length * 5;
          break;
        default: {
          const bool direct = seg.kind == segment_kind::direct_list;
          const auto k = seg.chain.size();
          const std::size_t item = direct ? 3 : 2 + k;
          CHECK(size == 2 + seg.length * item + (seg.length - 1) * 1);
          double z = 0, held = 0;  // held: P(H_F | F), a quarter of the depth-2 and depth-3 mass
          for (int j = 1; j <= 4; ++j) {
            const double weight = 0.6 * std::pow(0.4, j - 1) * (direct && j >= 2 ? 0.25 : 1.0);
            z += weight;
            if (j == 2 || j == 3) held += 0.25 * weight;
          }
          // The corpus draws the population's chain conditioned on not being held out.
          const double pk = 0.6 * std::pow(0.4, double(k) - 1) * (direct && k >= 2 ? 0.25 : 1.0) / z / (1 - held / z);
          const double q = 5.0 / 6;
          const double pn = (1 - q) * std::pow(q, seg.length - 1) / (1 - std::pow(q, 32));
          expected += std::log2(direct ? 0.15 : 0.20) + std::log2(pk) - double(k) * log2_m + std::log2(pn) - seg.length * log2_e;
          // Items compute the chain.
          for (int i = 0; i < seg.length; ++i) {
            const std::size_t at = seg.begin + 1 + std::size_t(i) * (item + 1);
            const int x = *w.vocab().entity_index(doc.tokens[at]);
            CHECK(doc.tokens[at + 1] == vocabulary::colon);
            const auto steps = w.steps(seg.chain, x);
            if (direct) CHECK(*w.vocab().entity_index(doc.tokens[at + 2]) == steps.back());
            else
              for (std::size_t j = 0; j < k; ++j) CHECK(*w.vocab().entity_index(doc.tokens[at + 2 + j]) == steps[j]);
          }
        }
      }
    }
    CHECK(doc.log2_probability == doctest::Approx(expected).epsilon(1e-12));
  }
}

TEST_CASE("corpus file: a token count whose byte size wraps around 2^64 is truncation, not a huge read (fuzz)") {
  // tests/fuzz/regressions/fuzz_corpus/wrapping_token_count: T = 2^63 + 1 makes 32 + 2T = 34, the size of a
  // file with one token, so the header passed and read_corpus_tokens asked for a vector of 2^63 tokens.
  const fs::path dir = scratch_dir();
  const fs::path p = dir / "wrap.tok";
  const std::vector<token_id> tokens{1};
  corpus_header h;
  h.vocabulary_size = 10;
  h.token_count = (std::uint64_t{1} << 63) + 1;
  h.payload_crc32 = induct::crc32_update(0, tokens.data(), 2);
  const auto header = detail::encode_header(h);
  overwrite(p, std::string(reinterpret_cast<const char*>(header.data()), 32) +
                   std::string(reinterpret_cast<const char*>(tokens.data()), 2));
  CHECK_THROWS_WITH_AS(read_corpus_header(p), doctest::Contains("truncated corpus"), induct::file_error);
  CHECK_THROWS_WITH_AS(read_corpus_tokens(p), doctest::Contains("truncated corpus"), induct::file_error);
  fs::remove_all(dir);
}

TEST_CASE("corpus sidecar: list counts that are not non-negative integers are induct errors (fuzz)") {
  // tests/fuzz/regressions/fuzz_corpus/string_count, float_count: nlohmann's type_error escaped, and a float
  // count out of std::uint64_t's range was cast (undefined behaviour).
  for (const char* chains : {R"({"direct": {"r1": "x"}})", R"({"direct": {"r1": -1.5e30}})", R"({"direct": [1]})"}) {
    INFO(chains);
    const auto sidecar = nlohmann::json::parse(std::string(R"({"list_chains": )") + chains + "}");
    CHECK_THROWS_AS((void)chains_seen_as_lists(sidecar), induct::error);
  }
  CHECK(chains_seen_as_lists(nlohmann::json::parse(R"({"list_chains": {"direct": {"r1": 2, "r2": 0}}})")) ==
        std::set<std::string>{"r1"});
  CHECK(chains_seen_as_lists(nlohmann::json{{"list_chains", {{"direct", {{"r1", 2}}}}}}) == std::set<std::string>{"r1"});
  CHECK_THROWS_AS((void)chains_seen_as_lists(nlohmann::json{{"list_chains", {{"direct", {{"r1", -2}}}}}}), induct::error);
}
