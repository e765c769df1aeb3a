// Corpora from a user's grammar (setup/grammar_corpus.hpp), checked on a grammar whose documents are known
// in closed form: S -> "a" S 0.5 | "b" 0.5 gives a^k b with P(k) = 2^-(k+1), so a document's length
// 1 + k has mean 2 and variance 2.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/grammar_corpus.hpp"

using namespace induct::setup;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("induct_test_grammar_corpus_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

const char* geometric_text = "S -> \"a\" S 0.5 | \"b\" 0.5\n";

}  // namespace

TEST_CASE("grammar corpus: documents a^k b between boundaries, byte-identical per seed, closed-form lengths") {
  const corpus_grammar g(induct::grammar::parse_grammar(geometric_text));
  REQUIRE(g.vocabulary() == std::vector<std::string>{"<doc>", "a", "b"});
  const auto a = scratch("a.tok"), b = scratch("b.tok"), c = scratch("c.tok");
  const std::uint64_t tokens = 200000;
  const auto stats = write_grammar_corpus(g, "geometric.pcfg", 7, tokens, a);
  write_grammar_corpus(g, "geometric.pcfg", 7, tokens, b);
  write_grammar_corpus(g, "geometric.pcfg", 8, tokens, c);
  CHECK(induct::read_text_file(a) == induct::read_text_file(b));
  CHECK(induct::read_text_file(a) != induct::read_text_file(c));

  const auto stream = read_corpus_tokens(a);
  REQUIRE(stream.size() == tokens);
  REQUIRE(stream[0] == grammar_boundary_token);
  // Every complete document is a^k b; count them and their lengths independently of the sampler's statistics.
  std::uint64_t boundaries = 0, complete = 0, length_sum = 0, current = 0;
  bool well_formed = true;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    if (stream[i] == grammar_boundary_token) {
      ++boundaries;
      if (i > 0) {
        well_formed = well_formed && current >= 1 && stream[i - 1] == 2;
        ++complete;
        length_sum += current;
      }
      current = 0;
    } else {
      well_formed = well_formed && (stream[i] == 1 || stream[i] == 2) && (current == 0 || stream[i - 1] == 1);
      ++current;
    }
  }
  CHECK(well_formed);
  CHECK(stats.documents == boundaries);
  CHECK(stats.complete_documents == complete);
  const double mean = static_cast<double>(length_sum) / static_cast<double>(complete);
  CHECK(stats.document_length_mean == doctest::Approx(mean).epsilon(1e-12));
  CHECK(std::abs(mean - 2.0) < 5.0 * std::sqrt(2.0 / static_cast<double>(complete)));  // 5 sigma

  const auto sidecar = read_corpus_sidecar(corpus_sidecar_path(a));
  CHECK(is_grammar_corpus_sidecar(sidecar));
  CHECK(sidecar.at("grammar_fingerprint").get<std::string>() == g.fingerprint());
  CHECK(sidecar.at("vocabulary_size").get<std::size_t>() == 3);
  CHECK(sidecar.at("seed").get<std::uint64_t>() == 7);
  CHECK(grammar_corpus_sidecar_grammar(sidecar, corpus_sidecar_path(a)).fingerprint() == g.fingerprint());
  auto edited = sidecar;
  edited["grammar"] = "S -> \"a\" S 0.25 | \"b\" 0.75\n";  // the text no longer matches its fingerprint
  CHECK_THROWS_WITH_AS(grammar_corpus_sidecar_grammar(edited, corpus_sidecar_path(a)),
                       doctest::Contains("fingerprint"), induct::error);
  fs::remove_all(a.parent_path());
}

TEST_CASE("grammar corpus fingerprint: spacing and comments do not change it, a probability does") {
  const corpus_grammar g(induct::grammar::parse_grammar(geometric_text));
  const corpus_grammar spaced(induct::grammar::parse_grammar("# a comment\nS  ->  \"a\"   S  0.5  |  \"b\"  0.5\n"));
  const corpus_grammar other(induct::grammar::parse_grammar("S -> \"a\" S 0.6 | \"b\" 0.4\n"));
  CHECK(spaced.fingerprint() == g.fingerprint());
  CHECK(other.fingerprint() != g.fingerprint());
  CHECK_THROWS_AS(corpus_grammar(induct::grammar::parse_grammar("S -> \"<doc>\" 1\n")), induct::error);
}
