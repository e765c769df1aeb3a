#pragma once
// Corpora from a user's grammar: documents w ~ P(w) of any PCFG (a CAG through its grounding,
// grammar/cag.hpp: cag::ground().grammar), in the token file of setup/corpus.hpp, so `induct train`
// trains on them unchanged.
//
//   stream   = B w^1 B w^2 B w^3 ...,  w^d i.i.d. ~ P(w) (grammar::sampler, leftmost ancestral sampling),
//   corpus   = the first T tokens of the stream (the last document cut at T),
//   rng      = random_engine::for_stream(seed, grammar_corpus_stream), one engine for every document,
// so a grammar, a seed and T give the same bytes on every platform. B is the boundary token "<doc>": each
// document lies between two boundaries, and a model predicting B predicts the end of the string.
//
// Vocabulary: token 0 is B, token k >= 1 the k-th terminal of the canonical grammar (symbol-id order:
// the order of first use in its rules), so V = |terminals| + 1 <= 65536.
// Canonical grammar: parse_grammar(format_grammar(g)), validated (grammar/validate.hpp); its text is what
// the sidecar records, and grammar fingerprint = to_hex(fnv1a64(text)), so comments, spacing and the
// uniform-probability shorthand do not change it, and the rules, probabilities (17 digits) and start do.
//
// Sidecar FILE.json: {"format": "INDUCTTK", "format_version", "source": "grammar", "grammar" (canonical
// text), "grammar_fingerprint", "grammar_file" (where it was read, informative), "vocabulary" (names by
// id), "vocabulary_size", "boundary", "seed", "tokens", "documents" (boundaries in the file),
// "complete_documents", "document_length_mean" and "document_length_max" (of the complete ones)}.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/linkage.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/vocabulary.hpp"

namespace induct::setup {

/// Stream id of a grammar corpus's random engine (random_engine::for_stream).
inline constexpr std::uint64_t grammar_corpus_stream = 0x6772616d6d6172ULL;  // "grammar"
/// Name of the document boundary token (token id 0).
inline constexpr const char* grammar_boundary_name = "<doc>";
inline constexpr token_id grammar_boundary_token = 0;

/// A grammar made ready for corpora and evaluation: canonical, validated, fingerprinted, with token ids.
class corpus_grammar {
 public:
  /// Canonicalises and validates `g` (grammar_error naming its source if it is invalid, if a terminal is
  /// named "<doc>", or if it has more than 65535 terminals).
  INDUCT_DECLARE explicit corpus_grammar(const grammar::pcfg& g);

  /// The canonical grammar (its terminals are the token ids' symbols).
  [[nodiscard]] const grammar::pcfg& grammar() const noexcept { return grammar_; }
  /// format_grammar of the canonical grammar.
  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  /// to_hex(fnv1a64(text())).
  [[nodiscard]] const std::string& fingerprint() const noexcept { return fingerprint_; }
  /// Token names by id: "<doc>", then the terminals.
  [[nodiscard]] const std::vector<std::string>& vocabulary() const noexcept { return vocabulary_; }
  [[nodiscard]] std::size_t vocabulary_size() const noexcept { return vocabulary_.size(); }
  /// The token id of terminal `t` of grammar(); error if `t` is not one.
  INDUCT_DECLARE [[nodiscard]] token_id token_of(grammar::symbol_id t) const;
  /// The terminal of token `k` (k >= 1); error for the boundary or an id outside the vocabulary.
  INDUCT_DECLARE [[nodiscard]] grammar::symbol_id terminal_of(token_id k) const;

 private:
  grammar::pcfg grammar_;
  std::string text_, fingerprint_;
  std::vector<std::string> vocabulary_;
  std::vector<grammar::symbol_id> terminals_;  // by token id - 1
  std::vector<token_id> token_of_symbol_;      // by symbol id; 0 for nonterminals
};

/// What a grammar corpus holds.
struct grammar_corpus_statistics {
  std::uint64_t tokens = 0;
  std::uint64_t documents = 0;           // boundaries in the file
  std::uint64_t complete_documents = 0;  // documents whose every token is in the file
  std::uint64_t document_length_max = 0;
  double document_length_mean = 0.0;     // over the complete documents (0 if none)
};

/// Samples the corpus of `token_count` tokens (see the header comment) into `sink`, in chunks of at most
/// about `chunk_tokens`, calling `progress(done)` after each.
INDUCT_DECLARE grammar_corpus_statistics sample_grammar_corpus(const corpus_grammar& g, std::uint64_t seed,
                                                               std::uint64_t token_count, const token_sink& sink,
                                                               const std::function<void(std::uint64_t)>& progress,
                                                               std::size_t chunk_tokens = 1 << 16);

/// The sidecar JSON (header comment); `grammar_file` is recorded as where the grammar came from.
INDUCT_DECLARE nlohmann::json grammar_corpus_sidecar_json(const corpus_grammar& g, const std::string& grammar_file,
                                                          std::uint64_t seed, const grammar_corpus_statistics& s);

/// Writes the corpus to `path` and its sidecar to `path.json`, both atomically.
INDUCT_DECLARE grammar_corpus_statistics write_grammar_corpus(const corpus_grammar& g, const std::string& grammar_file,
                                                              std::uint64_t seed, std::uint64_t token_count,
                                                              const std::filesystem::path& path,
                                                              bool show_progress = false);

/// True for the sidecar of a grammar corpus ("source": "grammar"); false for a world corpus's.
INDUCT_DECLARE bool is_grammar_corpus_sidecar(const nlohmann::json& sidecar);

/// The grammar a grammar-corpus sidecar records, checked: its "grammar" text parses and validates, its
/// "grammar_fingerprint" is the text's, and its "vocabulary" is the grammar's. file_error naming the sidecar.
INDUCT_DECLARE corpus_grammar grammar_corpus_sidecar_grammar(const nlohmann::json& sidecar,
                                                            const std::filesystem::path& sidecar_path);

}  // namespace induct::setup

#if INDUCT_HEADER_ONLY
#include "induct/setup/detail/grammar_corpus_impl.hpp"
#endif
