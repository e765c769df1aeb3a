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
// each segment kind, of the facts of each relation, and of each chain seen as a list per format (a
// segment counts once its first token is in the file), depth and length histograms of the lists, and
// the held-out chains (setup/held_out.hpp) that no list of the corpus uses.
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/linkage.hpp"
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
/// The 32 header bytes of `h`: magic, fields, and the header checksum over bytes 0..27.
INDUCT_DECLARE std::array<unsigned char, corpus_header_bytes> encode_header(const corpus_header& h);
}  // namespace detail

/// The identity of a token file's content, as a model records it: "tokens=N vocabulary=V crc32=XXXXXXXX"
/// (the payload checksum, so two files with the same tokens have the same fingerprint wherever they lie).
inline std::string corpus_fingerprint(const corpus_header& h) {
  char text[96];
  std::snprintf(text, sizeof text, "tokens=%llu vocabulary=%u crc32=%08x", static_cast<unsigned long long>(h.token_count),
                static_cast<unsigned>(h.vocabulary_size), static_cast<unsigned>(h.payload_crc32));
  return text;
}

/// Reads and checks the header (magic, header checksum, version, file size). file_error otherwise.
INDUCT_DECLARE corpus_header read_corpus_header(const std::filesystem::path& path);

/// Reads all tokens, checking the payload checksum and that every token is in the vocabulary.
INDUCT_DECLARE std::vector<token_id> read_corpus_tokens(const std::filesystem::path& path, corpus_header* header_out = nullptr);

/// Path of the JSON sidecar of a token file: FILE.json.
INDUCT_DECLARE std::filesystem::path corpus_sidecar_path(const std::filesystem::path& token_file);

/// Counts of a sampled corpus, written as the sidecar.
struct corpus_statistics {
  std::uint64_t tokens = 0;
  std::uint64_t documents = 0;
  std::array<std::uint64_t, segment_kind_count> segments{};
  std::unordered_map<std::uint64_t, std::uint64_t> chains[2];  // per format: chain index -> lists
  std::vector<std::uint64_t> depths[2];                        // per format: index k
  std::vector<std::uint64_t> lengths[2];                       // per format: index n
  std::vector<std::uint64_t> filler_lengths;                   // index L
  std::vector<std::uint64_t> facts;                            // per function index: fact segments
};

/// The sidecar JSON of a corpus.
INDUCT_DECLARE nlohmann::json corpus_sidecar_json(const world& w, std::uint64_t seed, const corpus_statistics& s);

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
  s.facts.assign(static_cast<std::size_t>(w.config().functions), 0);
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
      } else {
        s.facts[static_cast<std::size_t>(e.function)] += 1;
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

/// Where a token file's tokens go: write(tokens, count), any number of times.
using token_sink = std::function<void(const token_id* tokens, std::size_t count)>;

/// Writes a token file of `vocabulary_size` to `path` atomically (streamed into a temporary, renamed at the end):
/// `produce(sink)` passes the tokens to `sink` in order, and the header (count, payload CRC-32) is written last.
/// A stop request between two sink calls (core/interrupt.hpp) throws `interrupted` and leaves `path` as it was.
/// Returns the number of tokens written. Shared by write_corpus and setup/grammar_corpus.hpp.
INDUCT_DECLARE std::uint64_t write_token_file(const std::filesystem::path& path, std::uint32_t vocabulary_size,
                                             const std::function<void(const token_sink&)>& produce);

/// Writes the corpus of `token_count` tokens to `path` and its sidecar to `path.json`, both
/// atomically (the token file is streamed into a temporary and renamed at the end).
INDUCT_DECLARE corpus_statistics write_corpus(const world& w, std::uint64_t seed, std::uint64_t token_count,
                                            const std::filesystem::path& path, bool show_progress = false);

/// Reads a sidecar; file_error if missing or not valid JSON.
INDUCT_DECLARE nlohmann::json read_corpus_sidecar(const std::filesystem::path& sidecar);

/// The world a corpus sidecar records: its "config", checked against the "world_fingerprint" recorded beside
/// it (recomputed from the config), so that an edited sidecar cannot pass one world off as another.
INDUCT_DECLARE setup_config corpus_sidecar_setup(const nlohmann::json& sidecar, const std::filesystem::path& sidecar_path);

/// Checks a sidecar against the token file it describes: its "tokens" and "vocabulary_size" must be the
/// header's (a sidecar copied beside another corpus, or edited, is refused). file_error naming the sidecar.
INDUCT_DECLARE void check_corpus_sidecar_header(const nlohmann::json& sidecar, const corpus_header& header,
                                               const std::filesystem::path& sidecar_path);

/// The chains seen as lists in a sidecar (either format, or only `format` if given), as labels "r1.r2".
INDUCT_DECLARE std::set<std::string> chains_seen_as_lists(const nlohmann::json& sidecar, const std::string& format = "");

/// What a corpus showed of a chain: its lists per format and the facts of each of its primitives.
struct chain_exposure {
  std::uint64_t direct_lists = 0;
  std::uint64_t stepwise_lists = 0;
  std::vector<std::uint64_t> primitive_facts;  // per function of the chain, in order
};

/// The exposure of `chain` in a sidecar's "list_chains" and "fact_counts"; file_error naming `sidecar_path`
/// if either is missing or malformed.
INDUCT_DECLARE chain_exposure corpus_chain_exposure(const nlohmann::json& sidecar, std::span<const int> chain,
                                                    const std::filesystem::path& sidecar_path = "<sidecar>");

}  // namespace induct::setup

#if INDUCT_HEADER_ONLY
#include "induct/setup/detail/corpus_impl.hpp"
#endif
