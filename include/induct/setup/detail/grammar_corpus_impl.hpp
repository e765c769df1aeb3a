#pragma once
// Definitions for setup/grammar_corpus.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/core/hash.hpp"
#include "induct/core/progress.hpp"
#include "induct/core/random.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/grammar/sample.hpp"
#include "induct/grammar/validate.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/grammar_corpus.hpp"

namespace induct::setup {

INDUCT_DEFINE corpus_grammar::corpus_grammar(const grammar::pcfg& g) {
  const std::string source = g.source().empty() ? std::string("<grammar>") : g.source();
  // Parsing the formatted text back gives the symbol order every later reader of the text sees.
  text_ = grammar::format_grammar(g);
  grammar_ = grammar::parse_grammar(text_, source);
  grammar::validate(grammar_);
  fingerprint_ = to_hex(fnv1a64(text_));
  token_of_symbol_.assign(grammar_.symbol_count(), 0);
  vocabulary_.emplace_back(grammar_boundary_name);
  for (grammar::symbol_id s = 0; s < grammar_.symbol_count(); ++s) {
    if (!grammar_.is_terminal(s)) continue;
    if (grammar_.name(s) == grammar_boundary_name)
      throw grammar_error(source + ": terminal \"" + grammar_.name(s) +
                          "\" is the name of the corpus's document boundary token; rename it");
    if (vocabulary_.size() > 65535)
      throw grammar_error(source + ": more than 65535 terminals do not fit the corpus's 16-bit token ids");
    token_of_symbol_[s] = static_cast<token_id>(vocabulary_.size());
    vocabulary_.push_back(grammar_.name(s));
    terminals_.push_back(s);
  }
}

INDUCT_DEFINE token_id corpus_grammar::token_of(grammar::symbol_id t) const {
  if (t >= token_of_symbol_.size() || token_of_symbol_[t] == 0)
    throw error("corpus grammar: symbol " + std::to_string(t) + " is not a terminal");
  return token_of_symbol_[t];
}

INDUCT_DEFINE grammar::symbol_id corpus_grammar::terminal_of(token_id k) const {
  if (k == grammar_boundary_token || k > terminals_.size())
    throw error("corpus grammar: token " + std::to_string(k) + " is not a terminal's (vocabulary of " +
                std::to_string(vocabulary_.size()) + ", token 0 the boundary)");
  return terminals_[k - 1];
}

INDUCT_DEFINE grammar_corpus_statistics sample_grammar_corpus(const corpus_grammar& g, std::uint64_t seed,
                                                              std::uint64_t token_count, const token_sink& sink,
                                                              const std::function<void(std::uint64_t)>& progress,
                                                              std::size_t chunk_tokens) {
  grammar::sampler sampler(g.grammar());
  random_engine rng = random_engine::for_stream(seed, grammar_corpus_stream);
  grammar_corpus_statistics s;
  std::vector<grammar::symbol_id> document;
  std::vector<token_id> buffer;
  buffer.reserve(chunk_tokens + 1);
  std::uint64_t emitted = 0, complete_length_sum = 0;
  const auto flush = [&] {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), token_count - emitted));
    if (n > 0) sink(buffer.data(), n);
    emitted += n;
    buffer.clear();
    progress(emitted);
  };
  while (emitted + buffer.size() < token_count) {
    sampler.sample(rng, document);
    ++s.documents;
    buffer.push_back(grammar_boundary_token);
    if (emitted + buffer.size() + document.size() <= token_count) {
      ++s.complete_documents;
      complete_length_sum += document.size();
      s.document_length_max = std::max<std::uint64_t>(s.document_length_max, document.size());
    }
    for (grammar::symbol_id t : document) {
      buffer.push_back(g.token_of(t));
      if (buffer.size() >= chunk_tokens) flush();  // long documents stream too
      if (emitted + buffer.size() >= token_count) break;
    }
    if (buffer.size() >= chunk_tokens) flush();
  }
  flush();
  s.tokens = emitted;
  if (s.complete_documents > 0)
    s.document_length_mean = static_cast<double>(complete_length_sum) / static_cast<double>(s.complete_documents);
  return s;
}

INDUCT_DEFINE nlohmann::json grammar_corpus_sidecar_json(const corpus_grammar& g, const std::string& grammar_file,
                                                         std::uint64_t seed, const grammar_corpus_statistics& s) {
  return {{"format", "INDUCTTK"},
          {"format_version", corpus_format_version},
          {"source", "grammar"},
          {"grammar", g.text()},
          {"grammar_fingerprint", g.fingerprint()},
          {"grammar_file", grammar_file},
          {"vocabulary", g.vocabulary()},
          {"vocabulary_size", g.vocabulary_size()},
          {"boundary", grammar_boundary_name},
          {"seed", seed},
          {"tokens", s.tokens},
          {"documents", s.documents},
          {"complete_documents", s.complete_documents},
          {"document_length_mean", s.document_length_mean},
          {"document_length_max", s.document_length_max}};
}

INDUCT_DEFINE grammar_corpus_statistics write_grammar_corpus(const corpus_grammar& g, const std::string& grammar_file,
                                                             std::uint64_t seed, std::uint64_t token_count,
                                                             const std::filesystem::path& path, bool show_progress) {
  grammar_corpus_statistics stats;
  progress_bar bar("corpus", static_cast<double>(token_count), show_progress);
  write_token_file(path, static_cast<std::uint32_t>(g.vocabulary_size()), [&](const token_sink& sink) {
    stats = sample_grammar_corpus(g, seed, token_count, sink, [&](std::uint64_t done) {
      bar.update(static_cast<double>(done), std::to_string(done) + " tokens");
    });
  });
  bar.finish();
  write_text_atomically(corpus_sidecar_path(path), grammar_corpus_sidecar_json(g, grammar_file, seed, stats).dump(1) + "\n");
  return stats;
}

INDUCT_DEFINE bool is_grammar_corpus_sidecar(const nlohmann::json& sidecar) {
  return sidecar.is_object() && sidecar.contains("source") && sidecar["source"] == "grammar";
}

INDUCT_DEFINE corpus_grammar grammar_corpus_sidecar_grammar(const nlohmann::json& sidecar,
                                                           const std::filesystem::path& sidecar_path) {
  const auto text_field = [&](const char* key) {
    if (!sidecar.is_object() || !sidecar.contains(key) || !sidecar[key].is_string())
      throw file_error(sidecar_path.string(), std::string("grammar corpus sidecar has no \"") + key + "\" string");
    return sidecar[key].template get<std::string>();
  };
  const std::string text = text_field("grammar");
  const std::string recorded = text_field("grammar_fingerprint");
  std::string source = sidecar_path.string();
  source += " (\"grammar\")";
  try {
    corpus_grammar g(grammar::parse_grammar(text, source));
    if (g.fingerprint() != recorded)
      throw file_error(sidecar_path.string(), "grammar corpus sidecar records grammar fingerprint " + recorded +
                                                  " but its \"grammar\" text gives " + g.fingerprint() +
                                                  " (was the sidecar edited?)");
    if (!sidecar.contains("vocabulary") || sidecar["vocabulary"] != nlohmann::json(g.vocabulary()))
      throw file_error(sidecar_path.string(), "grammar corpus sidecar's \"vocabulary\" is not its grammar's "
                                              "(\"<doc>\" then the terminals in order)");
    return g;
  } catch (const file_error&) {
    throw;
  } catch (const error& e) {
    throw file_error(sidecar_path.string(), std::string("grammar corpus sidecar's \"grammar\" is not a valid grammar: ") +
                                                e.what());
  }
}

}  // namespace induct::setup
