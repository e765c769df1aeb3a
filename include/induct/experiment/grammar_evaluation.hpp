#pragma once
// A model trained on a grammar corpus (setup/grammar_corpus.hpp) against the grammar's exact next-token
// distribution, on held-out strings w = w_1..w_n (sampled, or the user's own). At every position t = 1..n+1,
// with w_{n+1} = B (the boundary "<doc>": the end of the string),
//   p_t(v) = P(next = v | w_<t)               exact, Earley (grammar/earley.hpp); p_t(B) = P(end | w_<t)
//   q_t(v) = softmax(model(B w_<t))_v          the model after the boundary and the prefix
//   KL_t       = sum_v p_t(v) log2(p_t(v) / q_t(v))         bits (theory::kl_divergence_bits)
//   excess_t   = -log2 q_t(w_t) + log2 p_t(w_t)             the model's excess bits on the token that came
//   H_t        = -sum_v p_t(v) log2 p_t(v)                  the exact conditional entropy
//   agree_t    = [p_t(argmax_v q_t(v)) = max_v p_t(v)]      the model's argmax is a most likely token
// Items of an iteration: for a set I of iterated nonterminals (the user's, or every A with list rules
// A -> alpha A and A -> beta, A not in beta: detect_iterated_nonterminals), the item of position t is the
// number of I-labelled ancestors of w_t in the string's parse tree (the sampled derivation for sampled strings,
// the Viterbi parse for the user's), so in A -> x A | x the k-th expansion of A holds item k; 0 is outside the
// iteration, and the end (t = n+1) belongs to the last token's item (the stop decision ends that item).
// Per string s and item k, loss_exact(s, k) = sum of -log2 p_t(w_t) and loss_model(s, k) = sum of
// -log2 q_t(w_t) over its positions: the idealized predictor's and the model's in-context learning curve of
// the structure, averaged over the strings that reach item k with a normal 95% interval
// (mean +- 1.96 sd / sqrt(m), sd over the m strings; none for m < 2).
//
// Strings whose n + 1 tokens do not fit the model's context are skipped (counted); a string of the user's with
// a name outside the grammar's terminals, or of probability 0, is a parse_error naming its file and line.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/fields.hpp"
#include "induct/core/linkage.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/svg_plot.hpp"
#include "induct/grammar/derivation.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/setup/grammar_corpus.hpp"

namespace induct::experiment {

/// Stream id of the held-out strings' random engine (apart from the corpus's, setup::grammar_corpus_stream).
inline constexpr std::uint64_t grammar_evaluation_stream = 0x68656c646f7574ULL;  // "heldout"

/// What an evaluation against a grammar samples and summarises.
struct grammar_evaluation_config {
  std::uint64_t samples = 200;        // held-out strings sampled when the user gives none
  std::uint64_t seed = 2024;          // their seed (stream grammar_evaluation_stream)
  std::vector<std::string> iterate;   // iterated nonterminals; empty: detect_iterated_nonterminals

  /// Every field once, in declaration order (core/fields.hpp).
  template <class Self, class Visit>
  static void for_each_field(Self& self, Visit&& visit) {
    visit(field_info{"samples", "samples", "held-out strings to sample from the grammar", 1, 1'000'000}, self.samples);
    visit(field_info{"seed", "seed", "seed of the held-out strings (not the corpus's stream)", 0, no_bound}, self.seed);
    visit(field_info{"iterate", "iterate",
                     "iterated nonterminals, whose expansions are the items (default: right-recursive list rules)"},
          self.iterate);
  }
  /// config_error naming the first field out of range.
  INDUCT_DECLARE void validate() const;
  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json() const;
  /// Strict: unknown keys, wrong types and out-of-range values are config_errors naming the key.
  INDUCT_DECLARE static grammar_evaluation_config from_json(const nlohmann::json& j);
};

/// Every nonterminal A with a rule A -> alpha A (A last, alpha non-empty) and a rule A -> beta without A,
/// in symbol order (the right-recursive lists of the grammar); empty if none.
INDUCT_DECLARE std::vector<grammar::symbol_id> detect_iterated_nonterminals(const grammar::pcfg& g);

/// The nonterminals named `names` (grammar_error naming an unknown or terminal name), or, for no names,
/// detect_iterated_nonterminals(g).
INDUCT_DECLARE std::vector<grammar::symbol_id> iterated_nonterminals(const grammar::pcfg& g,
                                                                     const std::vector<std::string>& names);

/// Per terminal of tau's yield (in order), its item: the number of ancestors labelled with one of `iterated`
/// (see the header comment). grammar_error if tau is not a derivation of g.
INDUCT_DECLARE std::vector<int> item_indices(const grammar::pcfg& g, const grammar::derivation& tau,
                                             std::span<const grammar::symbol_id> iterated);

/// A held-out string: its terminals (symbol ids of the corpus grammar), each position's item (n + 1 entries,
/// the last the end's), and where it came from ("sample 4", "FILE:7").
struct grammar_string {
  std::vector<grammar::symbol_id> symbols;
  std::vector<int> items;
  std::string source;
};

/// `count` strings sampled with their derivations (random_engine::for_stream(seed, grammar_evaluation_stream)).
INDUCT_DECLARE std::vector<grammar_string> sample_grammar_strings(const setup::corpus_grammar& g, std::uint64_t count,
                                                                  std::uint64_t seed,
                                                                  std::span<const grammar::symbol_id> iterated);

/// The user's strings of `path`, one per line (terminal names separated by whitespace; blank lines and lines
/// starting with '#' skipped), items from the Viterbi parse. parse_error naming path:line for a name that is
/// not a terminal of g (and its column) or a string of probability 0; file_error for an unreadable file or
/// one without strings.
INDUCT_DECLARE std::vector<grammar_string> read_grammar_strings(const setup::corpus_grammar& g,
                                                                const std::filesystem::path& path,
                                                                std::span<const grammar::symbol_id> iterated);

/// Sets `out` to the exact next-token distributions of `w`: n + 1 rows of V = g.vocabulary_size() entries
/// (token order; entry 0 the end), row t-1 = p_t (header comment); `compiled` is earley_grammar(g.grammar()),
/// built once for all strings. induct::error if w is impossible.
INDUCT_DECLARE void exact_next_token_rows(const setup::corpus_grammar& g, const grammar::earley_grammar& compiled,
                                          std::span<const grammar::symbol_id> w, std::vector<double>& out);

/// A model's next-token log-probabilities (natural log): given the tokens B w_1..w_n, sets `out` to n + 1 rows
/// of V entries, row i the distribution after the first i + 1 tokens.
using next_token_log_prob_rows = std::function<void(std::span<const std::int32_t> tokens, std::vector<double>& out)>;

/// The log-softmax rows of one forward of `model` (overwrites its activations; tokens must fit its context).
INDUCT_DECLARE next_token_log_prob_rows model_log_prob_rows(nn::gpt<float>& model);

/// The columns of the per-position table (one row per string and position).
inline const std::vector<std::string>& grammar_position_columns() {
  static const std::vector<std::string> columns = {
      "string", "position", "item", "token", "exact_probability", "model_probability", "kl_bits", "excess_bits",
      "exact_entropy_bits", "argmax_agrees", "exact_loss_bits", "model_loss_bits"};
  return columns;
}

/// What evaluate_against_grammar computes.
struct grammar_evaluation {
  result_table positions{grammar_position_columns()};
  result_table by_position;  // per position t: strings, means of the per-position columns, argmax agreement
  result_table by_item;      // per item k: strings, exact and model loss (mean, 95% interval), KL, excess
  std::vector<std::string> iterated;  // names of the iterated nonterminals
  std::size_t strings = 0;            // evaluated
  std::vector<std::string> skipped;   // sources of the strings longer than the context
};

/// Evaluates `model` (V = g.vocabulary_size() entries per row) on `strings`; those with more than
/// `context_length` - 1 tokens are skipped. See the header comment for every column.
INDUCT_DECLARE grammar_evaluation evaluate_against_grammar(const setup::corpus_grammar& g,
                                                           const std::vector<grammar_string>& strings,
                                                           const next_token_log_prob_rows& model, int context_length,
                                                           std::vector<std::string> iterated_names = {});

/// The per-item curves: the exact loss and the model's with its 95% band, against the item index.
INDUCT_DECLARE line_chart grammar_item_chart(const grammar_evaluation& e, const std::string& title);

/// The corpus grammar a model trained on a grammar corpus records ("grammar", "grammar_fingerprint"), checked
/// against the user's grammar `given`: file_error naming the model and both fingerprints when they differ, or
/// naming the model when it records no grammar (a world-trained model).
INDUCT_DECLARE void check_model_grammar(const nn::checkpoint_info& info, const std::string& model_file,
                                        const setup::corpus_grammar& given);

/// An evaluation of a model file against a user's grammar, with what it was run on.
struct grammar_evaluation_run {
  grammar_evaluation evaluation;
  nlohmann::json metadata;  // model, step, grammar file and fingerprint, config, strings, iterated, overall means
};

/// `induct evaluate --grammar`: checks the model file's recorded grammar against `user_grammar`
/// (check_model_grammar, from its header, before any weight is read) and its vocabulary size, then evaluates it
/// on the strings of `strings_file` (read_grammar_strings) or, when that is empty, on config.samples strings
/// sampled with config.seed; the items are those of config.iterate (iterated_nonterminals).
INDUCT_DECLARE grammar_evaluation_run evaluate_model_on_grammar(const std::filesystem::path& model_file,
                                                               const grammar::pcfg& user_grammar,
                                                               const grammar_evaluation_config& config,
                                                               const std::filesystem::path& strings_file = {});

/// Writes into `out`: positions.csv, by_position.csv, by_item.csv, grammar_evaluation.json (the three tables and
/// `metadata`) and items.svg (grammar_item_chart).
INDUCT_DECLARE void write_grammar_evaluation(const std::filesystem::path& out, const grammar_evaluation& e,
                                             const nlohmann::json& metadata, const std::string& title);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/grammar_evaluation_impl.hpp"
#endif
