// Evaluation against a grammar (experiment/grammar_evaluation.hpp) on grammars whose next-token distribution
// is known in closed form: a geometric list of i.i.d. symbols and a list that copies its first item. The exact
// columns, the items, and the per-position and per-item summaries are checked against values derived by hand
// (below), with stand-in models whose log-probabilities are constants.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>
#include <unistd.h>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/experiment/grammar_evaluation.hpp"
#include "induct/grammar/parse.hpp"

namespace ex = induct::experiment;
using induct::grammar::symbol_id;

namespace {

// L -> X L 3/4 | X 1/4, X -> a 1/2 | b 1/4 | c 1/4. Tokens: 0 <doc> (the end), 1 a, 2 b, 3 c. By hand:
//   position 1:       p = (0, 1/2, 1/4, 1/4)                       (a string has at least one item)
//   position t >= 2:  p = (1/4, 3/4 * 1/2, 3/4 * 1/4, 3/4 * 1/4)   (continue 3/4, then an i.i.d. symbol)
const char* geometric_text = "L -> X L 0.75 | X 0.25\nX -> \"a\" 0.5 | \"b\" 0.25 | \"c\" 0.25\n";
const std::vector<double> first_row = {0.0, 0.5, 0.25, 0.25};
const std::vector<double> later_row = {0.25, 0.375, 0.1875, 0.1875};

// S -> a A 1/2 | b B 1/2, A -> a A 1/2 | a 1/2 (B likewise): x x^k, k >= 1. Tokens: 0 <doc>, 1 a, 2 b. By hand:
//   position 1: (0, 1/2, 1/2); position 2: the first item copied, p(x) = 1; position t >= 3: (1/2, x: 1/2).
const char* copy_text = "S -> \"a\" A 0.5 | \"b\" B 0.5\nA -> \"a\" A 0.5 | \"a\" 0.5\nB -> \"b\" B 0.5 | \"b\" 0.5\n";

induct::setup::corpus_grammar corpus_grammar_of(const char* text) {
  return induct::setup::corpus_grammar(induct::grammar::parse_grammar(text, "test.pcfg"));
}

/// A stand-in model that predicts every position with the same distribution `row` (given as probabilities).
ex::next_token_log_prob_rows constant_model(std::vector<double> row) {
  return [row](std::span<const std::int32_t> tokens, std::vector<double>& out) {
    out.clear();
    for (std::size_t i = 0; i < tokens.size(); ++i)
      for (double p : row) out.push_back(std::log(p));
  };
}

/// The geometric grammar's model that knows the closed form (first_row at position 1, later_row after).
ex::next_token_log_prob_rows closed_form_model() {
  return [](std::span<const std::int32_t> tokens, std::vector<double>& out) {
    out.clear();
    for (std::size_t i = 0; i < tokens.size(); ++i)
      for (double p : i == 0 ? first_row : later_row) out.push_back(p > 0 ? std::log(p) : -INFINITY);
  };
}

double entropy_of(const std::vector<double>& p) {
  double h = 0;
  for (double x : p)
    if (x > 0) h -= x * std::log2(x);
  return h;
}

std::filesystem::path scratch_file(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("induct_grammar_eval_" + std::to_string(::getpid()) + name);
  induct::write_text_atomically(path, text);
  return path;
}

}  // namespace

TEST_CASE("grammar evaluation: the geometric list's exact columns are the closed-form constants") {
  const auto g = corpus_grammar_of(geometric_text);
  REQUIRE(g.vocabulary() == std::vector<std::string>{"<doc>", "a", "b", "c"});
  const induct::grammar::earley_grammar compiled(g.grammar());
  const std::vector<symbol_id> w = {g.terminal_of(1), g.terminal_of(2), g.terminal_of(3), g.terminal_of(1)};
  std::vector<double> rows;
  ex::exact_next_token_rows(g, compiled, w, rows);
  REQUIRE(rows.size() == 5 * 4);
  for (std::size_t t = 0; t <= w.size(); ++t)
    for (std::size_t v = 0; v < 4; ++v) {
      INFO("position " << t + 1 << ", token " << v);
      CHECK(rows[t * 4 + v] == doctest::Approx(t == 0 ? first_row[v] : later_row[v]).epsilon(1e-12));
    }

  // The list rule is found; each symbol is its own item, the end belongs to the last.
  const auto iterated = ex::detect_iterated_nonterminals(g.grammar());
  REQUIRE(iterated.size() == 1);
  CHECK(g.grammar().name(iterated[0]) == "L");
  const auto strings = ex::sample_grammar_strings(g, 300, 5, iterated);
  for (const auto& s : strings) {
    REQUIRE(s.items.size() == s.symbols.size() + 1);
    for (std::size_t t = 0; t < s.symbols.size(); ++t) CHECK(s.items[t] == static_cast<int>(t + 1));
    CHECK(s.items.back() == static_cast<int>(s.symbols.size()));
  }
  // The same seed gives the same strings; the user's file gives the same items from the Viterbi parse.
  CHECK(ex::sample_grammar_strings(g, 300, 5, iterated)[17].symbols == strings[17].symbols);
  const auto file = scratch_file("geometric.txt", "# two strings\na b c a\n\nc\n");
  const auto read = ex::read_grammar_strings(g, file, iterated);
  std::filesystem::remove(file);
  REQUIRE(read.size() == 2);
  CHECK(read[0].symbols == w);
  CHECK(read[0].items == std::vector<int>{1, 2, 3, 4, 4});
  CHECK(read[1].items == std::vector<int>{1, 1});
  CHECK(read[1].source == file.string() + ":4");
}

TEST_CASE("grammar evaluation: per-position KL, excess bits, entropy and agreement against hand-derived values") {
  const auto g = corpus_grammar_of(geometric_text);
  const auto iterated = ex::detect_iterated_nonterminals(g.grammar());
  const auto strings = ex::sample_grammar_strings(g, 200, 9, iterated);

  // The closed-form model: KL 0, excess 0, agreement everywhere.
  const auto oracle = ex::evaluate_against_grammar(g, strings, closed_form_model(), 1000);
  CHECK(oracle.strings == 200);
  for (std::size_t r = 0; r < oracle.positions.row_count(); ++r) {
    CHECK(oracle.positions.number(r, "kl_bits") == doctest::Approx(0.0).epsilon(1e-9));
    CHECK(std::abs(oracle.positions.number(r, "excess_bits")) < 1e-9);
    CHECK(oracle.positions.number(r, "argmax_agrees") == 1);
  }

  // The uniform model: KL = log2 4 - H(p), excess = 2 + log2 p(w_t); its argmax (token 0, the first on ties)
  // is never a most likely token (p(end) is 0 at position 1 and 1/4 < 3/8 after).
  const auto uniform = ex::evaluate_against_grammar(g, strings, constant_model({0.25, 0.25, 0.25, 0.25}), 1000);
  std::size_t row = 0;
  for (const auto& s : strings)
    for (std::size_t t = 0; t <= s.symbols.size(); ++t, ++row) {
      const auto& p = t == 0 ? first_row : later_row;
      const std::size_t token = t < s.symbols.size() ? g.token_of(s.symbols[t]) : 0;
      INFO(s.source << ", position " << t + 1);
      CHECK(uniform.positions.number(row, "position") == t + 1);
      CHECK(uniform.positions.number(row, "exact_probability") == doctest::Approx(p[token]).epsilon(1e-12));
      CHECK(uniform.positions.number(row, "exact_entropy_bits") == doctest::Approx(entropy_of(p)).epsilon(1e-12));
      CHECK(uniform.positions.number(row, "kl_bits") == doctest::Approx(2.0 - entropy_of(p)).epsilon(1e-9));
      CHECK(uniform.positions.number(row, "excess_bits") == doctest::Approx(2.0 + std::log2(p[token])).epsilon(1e-9));
      CHECK(uniform.positions.number(row, "model_loss_bits") == doctest::Approx(2.0).epsilon(1e-12));
      CHECK(uniform.positions.number(row, "argmax_agrees") == 0);
    }
  CHECK(row == uniform.positions.row_count());

  // Per position: the strings reaching it (length >= t - 1) and the mean exact loss, counted here.
  std::map<std::size_t, std::pair<std::size_t, double>> by_position;
  for (const auto& s : strings)
    for (std::size_t t = 0; t <= s.symbols.size(); ++t) {
      const std::size_t token = t < s.symbols.size() ? g.token_of(s.symbols[t]) : 0;
      by_position[t + 1].first += 1;
      by_position[t + 1].second += -std::log2((t == 0 ? first_row : later_row)[token]);
    }
  REQUIRE(uniform.by_position.row_count() == by_position.size());
  for (std::size_t r = 0; r < uniform.by_position.row_count(); ++r) {
    const auto& [count, sum] = by_position.at(static_cast<std::size_t>(uniform.by_position.number(r, "position")));
    CHECK(uniform.by_position.number(r, "strings") == count);
    CHECK(uniform.by_position.number(r, "exact_loss_bits") == doctest::Approx(sum / count).epsilon(1e-9));
    CHECK(uniform.by_position.number(r, "model_loss_bits") == doctest::Approx(2.0).epsilon(1e-12));
  }

  // Per item k: item k holds symbol k, and the last item the end too: exact loss by hand per string.
  std::map<int, std::vector<double>> item_losses;
  for (const auto& s : strings)
    for (std::size_t k = 1; k <= s.symbols.size(); ++k) {
      const auto& p = k == 1 ? first_row : later_row;
      double loss = -std::log2(p[g.token_of(s.symbols[k - 1])]);
      if (k == s.symbols.size()) loss += -std::log2(0.25);  // the stop decision
      item_losses[static_cast<int>(k)].push_back(loss);
    }
  REQUIRE(uniform.by_item.row_count() == item_losses.size());
  for (std::size_t r = 0; r < uniform.by_item.row_count(); ++r) {
    const int k = static_cast<int>(uniform.by_item.number(r, "item"));
    const auto& losses = item_losses.at(k);
    double mean = 0;
    for (double x : losses) mean += x / static_cast<double>(losses.size());
    INFO("item " << k);
    CHECK(uniform.by_item.number(r, "strings") == losses.size());
    CHECK(uniform.by_item.number(r, "exact_loss_bits") == doctest::Approx(mean).epsilon(1e-9));
    // The model's loss on item k: 2 bits per token, and 2 more for the end on the last item.
    double model_mean = 0;
    for (const auto& s : strings)
      if (s.symbols.size() >= static_cast<std::size_t>(k))
        model_mean += (s.symbols.size() == static_cast<std::size_t>(k) ? 4.0 : 2.0) / static_cast<double>(losses.size());
    CHECK(uniform.by_item.number(r, "model_loss_bits") == doctest::Approx(model_mean).epsilon(1e-9));
    if (losses.size() >= 2) {
      CHECK(uniform.by_item.number(r, "model_ci_low") <= model_mean + 1e-12);
      CHECK(uniform.by_item.number(r, "model_ci_high") >= model_mean - 1e-12);
    }
  }
  // Item 1 on 200 strings: a = 1 bit, b, c = 2 bits, plus 2 bits when the string stops there (1/4).
  CHECK(uniform.by_item.number(0, "item") == 1);
  CHECK(uniform.by_item.number(0, "strings") == 200);

  // Strings longer than the context are skipped, and named.
  const auto short_context = ex::evaluate_against_grammar(g, strings, closed_form_model(), 3);
  std::size_t fitting = 0;
  for (const auto& s : strings) fitting += s.symbols.size() + 1 <= 3 ? 1 : 0;
  CHECK(short_context.strings == fitting);
  CHECK(short_context.skipped.size() == strings.size() - fitting);
}

TEST_CASE("grammar evaluation: a list copying its first item, exact columns and items by hand") {
  const auto g = corpus_grammar_of(copy_text);
  REQUIRE(g.vocabulary() == std::vector<std::string>{"<doc>", "a", "b"});
  const auto iterated = ex::detect_iterated_nonterminals(g.grammar());
  REQUIRE(iterated.size() == 2);  // A and B
  const auto file = scratch_file("copy.txt", "b b b b\na a\n");
  const auto strings = ex::read_grammar_strings(g, file, iterated);
  std::filesystem::remove(file);
  REQUIRE(strings.size() == 2);
  CHECK(strings[0].items == std::vector<int>{0, 1, 2, 3, 3});  // the first item is outside A and B
  CHECK(strings[1].items == std::vector<int>{0, 1, 1});
  const auto e = ex::evaluate_against_grammar(g, strings, constant_model({0.2, 0.4, 0.4}), 64);
  // b b b b: p(b) = 1/2, then 1, then 1/2, 1/2, and the end 1/2; H = 1, 0, 1, 1, 1.
  const std::vector<double> exact_probability = {0.5, 1.0, 0.5, 0.5, 0.5, 0.5, 1.0, 0.5};
  const std::vector<double> entropy = {1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0};
  REQUIRE(e.positions.row_count() == exact_probability.size());
  for (std::size_t r = 0; r < exact_probability.size(); ++r) {
    INFO("row " << r);
    CHECK(e.positions.number(r, "exact_probability") == doctest::Approx(exact_probability[r]).epsilon(1e-12));
    CHECK(e.positions.number(r, "exact_entropy_bits") == doctest::Approx(entropy[r]).epsilon(1e-12));
  }
  // Position 2 of "b b b b": p = (0, 0, 1) against q = (0.2, 0.4, 0.4): KL = log2(1 / 0.4).
  CHECK(e.positions.number(1, "kl_bits") == doctest::Approx(std::log2(2.5)).epsilon(1e-9));
  // Position 3: p = (1/2, 0, 1/2): KL = 1/2 log2(0.5/0.2) + 1/2 log2(0.5/0.4); q's argmax (a, first of the tied
  // 0.4s) has p = 0, so it does not agree.
  CHECK(e.positions.number(2, "kl_bits") == doctest::Approx(0.5 * std::log2(2.5) + 0.5 * std::log2(1.25)).epsilon(1e-9));
  CHECK(e.positions.number(2, "argmax_agrees") == 0);
  // Item 1 (the copied item, p = 1): exact 0 bits in "b b b b"; in "a a" it is also the last: the end, 1 bit.
  REQUIRE(e.by_item.number(0, "item") == 1);
  CHECK(e.by_item.number(0, "exact_loss_bits") == doctest::Approx(0.5).epsilon(1e-12));
  CHECK(e.by_item.number(0, "strings") == 2);
}

TEST_CASE("grammar evaluation: refusals name the file and line, the fingerprints, the field") {
  const auto g = corpus_grammar_of(geometric_text);
  const auto iterated = ex::detect_iterated_nonterminals(g.grammar());
  const auto unknown = scratch_file("unknown.txt", "a b\na d c\n");
  try {
    (void)ex::read_grammar_strings(g, unknown, iterated);
    FAIL("a symbol outside the vocabulary was accepted");
  } catch (const induct::parse_error& e) {
    CHECK(e.line() == 2);
    CHECK(e.column() == 3);
    CHECK(std::string(e.what()).find("'d' is not a terminal") != std::string::npos);
  }
  std::filesystem::remove(unknown);
  const auto empty = scratch_file("empty.txt", "# nothing\n\n");
  CHECK_THROWS_WITH_AS((void)ex::read_grammar_strings(g, empty, iterated), doctest::Contains("holds no strings"),
                       induct::file_error);
  std::filesystem::remove(empty);
  const auto copy = corpus_grammar_of(copy_text);
  const auto impossible = scratch_file("impossible.txt", "a a\na b\n");
  CHECK_THROWS_WITH_AS((void)ex::read_grammar_strings(copy, impossible, {}), doctest::Contains(":2:1: the string has probability 0"),
                       induct::parse_error);
  std::filesystem::remove(impossible);

  induct::nn::checkpoint_info info;
  info.extra[induct::nn::checkpoint_keys::grammar_fingerprint] = copy.fingerprint();
  try {
    ex::check_model_grammar(info, "m.safetensors", g);
    FAIL("a model of another grammar was accepted");
  } catch (const induct::file_error& e) {
    const std::string message = e.what();
    CHECK(message.find(copy.fingerprint()) != std::string::npos);
    CHECK(message.find(g.fingerprint()) != std::string::npos);
    CHECK(message.find("m.safetensors") != std::string::npos);
  }
  info.extra[induct::nn::checkpoint_keys::grammar_fingerprint] = g.fingerprint();
  CHECK_NOTHROW(ex::check_model_grammar(info, "m.safetensors", g));
  induct::nn::checkpoint_info world_model;
  world_model.extra[induct::nn::checkpoint_keys::world_fingerprint] = "0123456789abcdef";
  CHECK_THROWS_WITH_AS(ex::check_model_grammar(world_model, "w.safetensors", g), doctest::Contains("trained in a world"),
                       induct::file_error);

  CHECK_THROWS_WITH_AS((void)ex::iterated_nonterminals(g.grammar(), {"Q"}), doctest::Contains("'Q' is not a nonterminal"),
                       induct::error);
  CHECK(ex::iterated_nonterminals(g.grammar(), {"X"}) == std::vector<symbol_id>{*g.grammar().find_nonterminal("X")});
  CHECK_THROWS_WITH_AS((void)ex::grammar_evaluation_config::from_json({{"samples", 0}}), doctest::Contains("samples"),
                       induct::config_error);
  CHECK_THROWS_WITH_AS((void)ex::grammar_evaluation_config::from_json({{"sample", 3}}), doctest::Contains("sample"),
                       induct::config_error);
  ex::grammar_evaluation_config c;
  c.samples = 7;
  c.iterate = {"L"};
  CHECK(ex::grammar_evaluation_config::from_json(c.to_json()).to_json() == c.to_json());
}
