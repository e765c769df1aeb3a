#pragma once
// Definitions for setup/corpus.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/core/interrupt.hpp"
#include "induct/core/hash.hpp"
#include "induct/core/progress.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/held_out.hpp"
#include "induct/setup/world.hpp"

namespace induct::setup {

namespace detail {
INDUCT_DETAIL void store_le(unsigned char* p, std::uint64_t value, int bytes) noexcept {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<unsigned char>(value >> (8 * i));
}
INDUCT_DETAIL std::uint64_t load_le(const unsigned char* p, int bytes) noexcept {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return value;
}
INDUCT_DEFINE std::array<unsigned char, corpus_header_bytes> encode_header(const corpus_header& h) {
  std::array<unsigned char, corpus_header_bytes> bytes{};
  std::memcpy(bytes.data(), corpus_magic, 8);
  store_le(bytes.data() + 8, h.version, 4);
  store_le(bytes.data() + 12, h.vocabulary_size, 4);
  store_le(bytes.data() + 16, h.token_count, 8);
  store_le(bytes.data() + 24, h.payload_crc32, 4);
  store_le(bytes.data() + 28, crc32_update(0, bytes.data(), 28), 4);
  return bytes;
}
/// Tokens to little-endian bytes.
INDUCT_DETAIL void encode_tokens(const token_id* tokens, std::size_t count, unsigned char* bytes) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(bytes, tokens, count * 2);
  } else {
    for (std::size_t i = 0; i < count; ++i) store_le(bytes + 2 * i, tokens[i], 2);
  }
}
}  // namespace detail

INDUCT_DEFINE corpus_header read_corpus_header(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error(path.string(), "cannot open corpus for reading");
  std::array<unsigned char, corpus_header_bytes> bytes{};
  in.read(reinterpret_cast<char*>(bytes.data()), corpus_header_bytes);
  if (in.gcount() != static_cast<std::streamsize>(corpus_header_bytes))
    throw file_error(path.string(), "truncated corpus: " + std::to_string(in.gcount()) + " bytes, the header alone has 32");
  if (std::memcmp(bytes.data(), corpus_magic, 8) != 0)
    throw file_error(path.string(), "not an induct token file (bad magic, expected \"INDUCTTK\")");
  if (crc32_update(0, bytes.data(), 28) != static_cast<std::uint32_t>(detail::load_le(bytes.data() + 28, 4)))
    throw file_error(path.string(), "corrupt corpus header (header checksum mismatch)");
  corpus_header h;
  h.version = static_cast<std::uint32_t>(detail::load_le(bytes.data() + 8, 4));
  h.vocabulary_size = static_cast<std::uint32_t>(detail::load_le(bytes.data() + 12, 4));
  h.token_count = detail::load_le(bytes.data() + 16, 8);
  h.payload_crc32 = static_cast<std::uint32_t>(detail::load_le(bytes.data() + 24, 4));
  if (h.version != corpus_format_version)
    throw file_error(path.string(), "unsupported corpus format version " + std::to_string(h.version) + " (this build reads 1)");
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw file_error(path.string(), "cannot stat corpus: " + ec.message());
  // Compared as a token count: 32 + 2 T wraps around for a corrupt T >= 2^63 and could match the size.
  const std::uint64_t payload = size - corpus_header_bytes;
  if (h.token_count > payload / 2)
    throw file_error(path.string(), "truncated corpus: header promises " + std::to_string(h.token_count) +
                                        " tokens (2 bytes each after the 32-byte header) but the file has " +
                                        std::to_string(size) + " bytes");
  if (payload > 2 * h.token_count)
    throw file_error(path.string(), "corpus has " + std::to_string(payload - 2 * h.token_count) +
                                        " trailing bytes after its tokens");
  return h;
}

INDUCT_DEFINE std::vector<token_id> read_corpus_tokens(const std::filesystem::path& path, corpus_header* header_out) {
  const corpus_header h = read_corpus_header(path);
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(corpus_header_bytes));
  std::vector<token_id> tokens(static_cast<std::size_t>(h.token_count));
  std::vector<unsigned char> chunk(1 << 20);
  std::uint32_t crc = 0;
  std::size_t done = 0;
  while (done < tokens.size()) {
    const std::size_t n = std::min<std::size_t>(chunk.size() / 2, tokens.size() - done);
    in.read(reinterpret_cast<char*>(chunk.data()), static_cast<std::streamsize>(2 * n));
    if (in.gcount() != static_cast<std::streamsize>(2 * n))
      throw file_error(path.string(), "truncated corpus while reading token " + std::to_string(done));
    crc = crc32_update(crc, chunk.data(), 2 * n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto t = static_cast<token_id>(detail::load_le(chunk.data() + 2 * i, 2));
      if (t >= h.vocabulary_size)
        throw file_error(path.string(), "token " + std::to_string(done + i) + " has id " + std::to_string(t) +
                                            " outside the vocabulary of " + std::to_string(h.vocabulary_size));
      tokens[done + i] = t;
    }
    done += n;
  }
  if (crc != h.payload_crc32) throw file_error(path.string(), "corrupt corpus (token payload checksum mismatch)");
  if (header_out) *header_out = h;
  return tokens;
}

INDUCT_DEFINE std::filesystem::path corpus_sidecar_path(const std::filesystem::path& token_file) {
  return token_file.string() + ".json";
}

INDUCT_DEFINE nlohmann::json corpus_sidecar_json(const world& w, std::uint64_t seed, const corpus_statistics& s) {
  const document_model model(w.config());
  nlohmann::json j;
  j["format"] = "INDUCTTK";
  j["format_version"] = corpus_format_version;
  j["config"] = w.config().to_json();
  j["seed"] = seed;
  j["world_fingerprint"] = w.fingerprint();
  j["vocabulary_size"] = w.vocab().size();
  j["tokens"] = s.tokens;
  j["documents"] = s.documents;
  nlohmann::json segments = nlohmann::json::object();
  for (int k = 0; k < segment_kind_count; ++k) segments[to_string(static_cast<segment_kind>(k))] = s.segments[static_cast<std::size_t>(k)];
  j["segments"] = segments;
  nlohmann::json chains = nlohmann::json::object(), depths = nlohmann::json::object(), lengths = nlohmann::json::object();
  for (int f = 0; f < 2; ++f) {
    const char* name = to_string(f == 0 ? list_format::direct : list_format::stepwise);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> sorted(s.chains[f].begin(), s.chains[f].end());
    std::sort(sorted.begin(), sorted.end());
    nlohmann::json c = nlohmann::json::object();
    for (const auto& [index, count] : sorted) c[chain_label(model.chain_at(index))] = count;
    chains[name] = c;
    depths[name] = s.depths[f];
    lengths[name] = s.lengths[f];
  }
  j["list_chains"] = chains;
  j["list_depth_counts"] = depths;
  j["list_length_counts"] = lengths;
  j["filler_length_counts"] = s.filler_lengths;
  nlohmann::json facts = nlohmann::json::object();
  for (std::size_t i = 0; i < s.facts.size(); ++i) facts[chain_label(std::vector<int>{static_cast<int>(i)})] = s.facts[i];
  j["fact_counts"] = facts;
  j["held_out"] = held_out_set(w.config()).to_json(model);
  return j;
}

INDUCT_DEFINE std::uint64_t write_token_file(const std::filesystem::path& path, std::uint32_t vocabulary_size,
                                            const std::function<void(const token_sink&)>& produce) {
  corpus_header h;
  h.vocabulary_size = vocabulary_size;
  write_file_atomically(path, [&](std::ostream& out) {
    const auto provisional_header = detail::encode_header(h);
    out.write(reinterpret_cast<const char*>(provisional_header.data()), corpus_header_bytes);
    std::uint32_t crc = 0;
    std::vector<unsigned char> bytes;
    produce([&](const token_id* tokens, std::size_t n) {
      // A stop request between chunks: the temporary is removed, the target left as it was.
      if (const int signal_number = interrupt_requested())
        throw interrupted(signal_number, std::string("interrupted by ") + signal_name(signal_number) + " while writing " +
                                             path.string() + ": nothing written (the file is as it was); run the "
                                             "command again to write the corpus");
      bytes.resize(2 * n);
      detail::encode_tokens(tokens, n, bytes.data());
      crc = crc32_update(crc, bytes.data(), bytes.size());
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      h.token_count += n;
    });
    h.payload_crc32 = crc;
    const auto header = detail::encode_header(h);
    out.seekp(0);
    out.write(reinterpret_cast<const char*>(header.data()), corpus_header_bytes);
  });
  return h.token_count;
}

INDUCT_DEFINE corpus_statistics write_corpus(const world& w, std::uint64_t seed, std::uint64_t token_count,
                                           const std::filesystem::path& path, bool show_progress) {
  corpus_statistics stats;
  progress_bar bar("corpus", static_cast<double>(token_count), show_progress);
  write_token_file(path, static_cast<std::uint32_t>(w.vocab().size()), [&](const token_sink& sink) {
    stats = sample_corpus_stream(w, seed, token_count, sink, [&](std::uint64_t done) {
      bar.update(static_cast<double>(done), std::to_string(done) + " tokens");
    });
  });
  bar.finish();
  write_text_atomically(corpus_sidecar_path(path), corpus_sidecar_json(w, seed, stats).dump(1) + "\n");
  return stats;
}

INDUCT_DEFINE nlohmann::json read_corpus_sidecar(const std::filesystem::path& sidecar) {
  const std::string text = read_text_file(sidecar);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw file_error(sidecar.string(), std::string("corpus sidecar is not valid JSON: ") + e.what());
  }
}

INDUCT_DEFINE setup_config corpus_sidecar_setup(const nlohmann::json& sidecar, const std::filesystem::path& sidecar_path) {
  if (!sidecar.is_object()) throw file_error(sidecar_path.string(), "corpus sidecar must be a JSON object");
  if (sidecar.contains("source") && sidecar["source"] == "grammar")  // setup/grammar_corpus.hpp
    throw file_error(sidecar_path.string(), "the corpus was sampled from a grammar (grammar fingerprint " +
                                                sidecar.value("grammar_fingerprint", std::string("?")) +
                                                "), not from a world of the controlled setup");
  if (!sidecar.contains("config")) throw file_error(sidecar_path.string(), "corpus sidecar has no \"config\"");
  if (!sidecar.contains("world_fingerprint") || !sidecar["world_fingerprint"].is_string())
    throw file_error(sidecar_path.string(), "corpus sidecar has no \"world_fingerprint\" string");
  setup_config config;
  try {
    config = setup_config::from_record(sidecar["config"]);
  } catch (const config_error& e) {
    throw file_error(sidecar_path.string(), std::string("corpus sidecar \"config\": ") + e.what());
  }
  const std::string recorded = sidecar["world_fingerprint"].get<std::string>();
  const std::string recomputed = world(config).fingerprint();
  if (recorded != recomputed)
    throw file_error(sidecar_path.string(), "corpus sidecar records world fingerprint " + recorded +
                                                " but its \"config\" gives world " + recomputed +
                                                " (was the sidecar edited?)");
  return config;
}

INDUCT_DEFINE void check_corpus_sidecar_header(const nlohmann::json& sidecar, const corpus_header& header,
                                              const std::filesystem::path& sidecar_path) {
  if (!sidecar.is_object()) throw file_error(sidecar_path.string(), "corpus sidecar must be a JSON object");
  const auto check = [&](const char* key, std::uint64_t expected) {
    if (!sidecar.contains(key) || !sidecar[key].is_number_unsigned())
      throw file_error(sidecar_path.string(), std::string("corpus sidecar has no \"") + key + "\" count");
    const auto recorded = sidecar[key].template get<std::uint64_t>();
    if (recorded != expected)
      throw file_error(sidecar_path.string(), std::string("corpus sidecar records ") + key + " " +
                                                  std::to_string(recorded) + " but the token file's header says " +
                                                  std::to_string(expected) + " (a sidecar of another corpus?)");
  };
  check("tokens", header.token_count);
  check("vocabulary_size", header.vocabulary_size);
}

INDUCT_DEFINE std::set<std::string> chains_seen_as_lists(const nlohmann::json& sidecar, const std::string& format) {
  std::set<std::string> seen;
  if (!sidecar.contains("list_chains") || !sidecar["list_chains"].is_object())
    throw error("corpus sidecar has no \"list_chains\" object");
  for (const auto& [name, chains] : sidecar["list_chains"].items()) {
    if (!format.empty() && name != format) continue;
    if (!chains.is_object()) throw error("corpus sidecar \"list_chains\": \"" + name + "\" is not an object");
    for (const auto& [label, count] : chains.items()) {
      // Signed too: a count set from C++ (json{{"r1", 3}}) is stored signed, one parsed from text unsigned.
      if (!count.is_number_unsigned() && !(count.is_number_integer() && count.template get<std::int64_t>() >= 0))
        throw error("corpus sidecar \"list_chains\": count of " + label + " is not a non-negative integer");
      if (count.template get<std::uint64_t>() > 0) seen.insert(label);
    }
  }
  return seen;
}

INDUCT_DEFINE chain_exposure corpus_chain_exposure(const nlohmann::json& sidecar, std::span<const int> chain,
                                                 const std::filesystem::path& sidecar_path) {
  const auto count_in = [&](const char* key, const char* sub, const std::string& label) -> std::uint64_t {
    if (!sidecar.is_object() || !sidecar.contains(key) || !sidecar[key].is_object())
      throw file_error(sidecar_path.string(), std::string("corpus sidecar has no \"") + key + "\" object");
    const nlohmann::json& table = sub ? sidecar[key].value(sub, nlohmann::json::object()) : sidecar[key];
    const auto it = table.find(label);
    if (it == table.end()) return 0;
    if (!it->is_number_unsigned())
      throw file_error(sidecar_path.string(), std::string("corpus sidecar \"") + key + "\": count of " + label +
                                                  " is not a non-negative integer");
    return it->template get<std::uint64_t>();
  };
  chain_exposure exposure;
  const std::string label = chain_label(chain);
  exposure.direct_lists = count_in("list_chains", "direct", label);
  exposure.stepwise_lists = count_in("list_chains", "stepwise", label);
  for (int f : chain) exposure.primitive_facts.push_back(count_in("fact_counts", nullptr, chain_label(std::vector<int>{f})));
  return exposure;
}

}  // namespace induct::setup
