#pragma once
// Corpora: a token file plus a JSON sidecar.
//
// Token file (format version 1, all integers little-endian):
//   bytes  0..7   magic "INDUCTTK"
//   bytes  8..11  uint32 version = 1
//   bytes 12..15  uint32 vocabulary size
//   bytes 16..23  uint64 token count T
//   bytes 24..27  uint32 CRC-32 of the token payload (induct::crc32_update)
//   bytes 28..31  uint32 CRC-32 of header bytes 0..27
//   then T uint16 tokens (2T bytes), nothing after.
// The corpus of T tokens is the first T tokens of the stream of documents drawn by
// document_sampler from random_engine::for_stream(seed, corpus_stream); the last document is cut
// at T. Sidecar FILE.json: config, seed, world fingerprint, token and document counts, counts of
// each segment kind, and of each chain seen as a list per format (a segment counts once its first
// token is in the file), plus depth and length histograms of the lists.
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/core/hash.hpp"
#include "induct/core/progress.hpp"
#include "induct/core/random.hpp"
#include "induct/setup/document_sampler.hpp"
#include "induct/setup/world.hpp"

namespace induct::setup {

inline constexpr char corpus_magic[8] = {'I', 'N', 'D', 'U', 'C', 'T', 'T', 'K'};
inline constexpr std::uint32_t corpus_format_version = 1;
inline constexpr std::size_t corpus_header_bytes = 32;
/// Stream id of the corpus sampler's random engine (see random_engine::for_stream).
inline constexpr std::uint64_t corpus_stream = 0x636f72707573ULL;  // "corpus"

struct corpus_header {
  std::uint32_t version = corpus_format_version;
  std::uint32_t vocabulary_size = 0;
  std::uint64_t token_count = 0;
  std::uint32_t payload_crc32 = 0;
};

namespace detail {
inline void store_le(unsigned char* p, std::uint64_t value, int bytes) noexcept {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<unsigned char>(value >> (8 * i));
}
inline std::uint64_t load_le(const unsigned char* p, int bytes) noexcept {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return value;
}
inline std::array<unsigned char, corpus_header_bytes> encode_header(const corpus_header& h) {
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
inline void encode_tokens(const token_id* tokens, std::size_t count, unsigned char* bytes) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(bytes, tokens, count * 2);
  } else {
    for (std::size_t i = 0; i < count; ++i) store_le(bytes + 2 * i, tokens[i], 2);
  }
}
}  // namespace detail

/// Reads and checks the header (magic, header checksum, version, file size). file_error otherwise.
inline corpus_header read_corpus_header(const std::filesystem::path& path) {
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
  const std::uint64_t expected = corpus_header_bytes + 2 * h.token_count;
  if (size < expected)
    throw file_error(path.string(), "truncated corpus: header promises " + std::to_string(h.token_count) + " tokens (" +
                                        std::to_string(expected) + " bytes) but the file has " + std::to_string(size) + " bytes");
  if (size > expected)
    throw file_error(path.string(), "corpus has " + std::to_string(size - expected) + " trailing bytes after its tokens");
  return h;
}

/// Reads all tokens, checking the payload checksum and that every token is in the vocabulary.
inline std::vector<token_id> read_corpus_tokens(const std::filesystem::path& path, corpus_header* header_out = nullptr) {
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

/// Path of the JSON sidecar of a token file: FILE.json.
inline std::filesystem::path corpus_sidecar_path(const std::filesystem::path& token_file) {
  return token_file.string() + ".json";
}

/// Counts of a sampled corpus, written as the sidecar.
struct corpus_statistics {
  std::uint64_t tokens = 0;
  std::uint64_t documents = 0;
  std::array<std::uint64_t, segment_kind_count> segments{};
  std::unordered_map<std::uint64_t, std::uint64_t> chains[2];  // per format: chain index -> lists
  std::vector<std::uint64_t> depths[2];                        // per format: index k
  std::vector<std::uint64_t> lengths[2];                       // per format: index n
  std::vector<std::uint64_t> filler_lengths;                   // index L
};

/// The sidecar JSON of a corpus.
inline nlohmann::json corpus_sidecar_json(const world& w, std::uint64_t seed, const corpus_statistics& s) {
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
  return j;
}

/// Draws `token_count` tokens into `write_tokens(const token_id*, count)` calls of at most
/// `chunk_tokens` each, returning the statistics; `progress(done)` is called every chunk.
template <class WriteTokens, class Progress>
corpus_statistics sample_corpus_stream(const world& w, std::uint64_t seed, std::uint64_t token_count,
                                       WriteTokens&& write_tokens, Progress&& progress,
                                       std::size_t chunk_tokens = 1 << 16) {
  document_sampler sampler(w);
  random_engine rng = random_engine::for_stream(seed, corpus_stream);
  corpus_statistics s;
  const int max_depth = w.config().max_depth;
  for (int f = 0; f < 2; ++f) {
    s.depths[f].assign(static_cast<std::size_t>(max_depth) + 1, 0);
    s.lengths[f].assign(static_cast<std::size_t>(w.config().list_length_max) + 1, 0);
  }
  s.filler_lengths.assign(static_cast<std::size_t>(w.config().filler_length_max) + 1, 0);
  std::vector<token_id> buffer;
  buffer.reserve(chunk_tokens + 4096);
  std::uint64_t emitted = 0;  // tokens already passed to write_tokens
  while (emitted + buffer.size() < token_count) {
    ++s.documents;
    const std::uint64_t base = emitted;
    sampler.sample_document(rng, buffer, [&](const segment_event& e) {
      if (base + e.begin >= token_count) return;  // starts beyond the cut: not in the file
      s.segments[static_cast<std::size_t>(e.kind)] += 1;
      if (e.kind == segment_kind::direct_list || e.kind == segment_kind::stepwise_list) {
        const int f = e.kind == segment_kind::direct_list ? 0 : 1;
        s.chains[f][e.chain_index] += 1;
        s.depths[f][e.chain.size()] += 1;
        s.lengths[f][static_cast<std::size_t>(e.length)] += 1;
      } else if (e.kind == segment_kind::filler) {
        s.filler_lengths[static_cast<std::size_t>(e.length)] += 1;
      }
    });
    // Segment offsets are indices into the unflushed buffer (absolute position emitted + begin),
    // so flushing happens only between documents.
    if (buffer.size() >= chunk_tokens) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), token_count - emitted));
      write_tokens(buffer.data(), n);
      emitted += n;
      buffer.clear();
      progress(emitted);
    }
  }
  if (emitted < token_count && !buffer.empty()) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), token_count - emitted));
    write_tokens(buffer.data(), n);
    emitted += n;
  }
  progress(emitted);
  s.tokens = emitted;
  return s;
}

/// Writes the corpus of `token_count` tokens to `path` and its sidecar to `path.json`, both
/// atomically (the token file is streamed into a temporary and renamed at the end).
inline corpus_statistics write_corpus(const world& w, std::uint64_t seed, std::uint64_t token_count,
                                      const std::filesystem::path& path, bool show_progress = false) {
  corpus_statistics stats;
  progress_bar bar("corpus", static_cast<double>(token_count), show_progress);
  write_file_atomically(path, [&](std::ostream& out) {
    corpus_header h;
    h.vocabulary_size = static_cast<std::uint32_t>(w.vocab().size());
    const auto provisional_header = detail::encode_header(h);
    out.write(reinterpret_cast<const char*>(provisional_header.data()), corpus_header_bytes);
    std::uint32_t crc = 0;
    std::vector<unsigned char> bytes;
    stats = sample_corpus_stream(
        w, seed, token_count,
        [&](const token_id* tokens, std::size_t n) {
          bytes.resize(2 * n);
          detail::encode_tokens(tokens, n, bytes.data());
          crc = crc32_update(crc, bytes.data(), bytes.size());
          out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        },
        [&](std::uint64_t done) {
          bar.update(static_cast<double>(done), std::to_string(done) + " tokens");
        });
    h.token_count = stats.tokens;
    h.payload_crc32 = crc;
    const auto header = detail::encode_header(h);
    out.seekp(0);
    out.write(reinterpret_cast<const char*>(header.data()), corpus_header_bytes);
  });
  bar.finish();
  write_text_atomically(corpus_sidecar_path(path), corpus_sidecar_json(w, seed, stats).dump(1) + "\n");
  return stats;
}

/// Reads a sidecar; file_error if missing or not valid JSON.
inline nlohmann::json read_corpus_sidecar(const std::filesystem::path& sidecar) {
  const std::string text = read_text_file(sidecar);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw file_error(sidecar.string(), std::string("corpus sidecar is not valid JSON: ") + e.what());
  }
}

/// The world a corpus sidecar records: its "config", checked against the "world_fingerprint" recorded beside
/// it (recomputed from the config), so that an edited sidecar cannot pass one world off as another.
inline setup_config corpus_sidecar_setup(const nlohmann::json& sidecar, const std::filesystem::path& sidecar_path) {
  if (!sidecar.is_object()) throw file_error(sidecar_path.string(), "corpus sidecar must be a JSON object");
  if (!sidecar.contains("config")) throw file_error(sidecar_path.string(), "corpus sidecar has no \"config\"");
  if (!sidecar.contains("world_fingerprint") || !sidecar["world_fingerprint"].is_string())
    throw file_error(sidecar_path.string(), "corpus sidecar has no \"world_fingerprint\" string");
  setup_config config;
  try {
    config = setup_config::from_json(sidecar["config"]);
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

/// The chains seen as lists in a sidecar (either format, or only `format` if given), as labels "r1.r2".
inline std::set<std::string> chains_seen_as_lists(const nlohmann::json& sidecar, const std::string& format = "") {
  std::set<std::string> seen;
  if (!sidecar.contains("list_chains") || !sidecar["list_chains"].is_object())
    throw error("corpus sidecar has no \"list_chains\" object");
  for (const auto& [name, chains] : sidecar["list_chains"].items()) {
    if (!format.empty() && name != format) continue;
    for (const auto& [label, count] : chains.items())
      if (count.get<std::uint64_t>() > 0) seen.insert(label);
  }
  return seen;
}

}  // namespace induct::setup
