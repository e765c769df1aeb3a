// Fuzz target: the corpus token file reader and its JSON sidecar. Input: a token file, optionally
// followed by "INDUCTSIDECAR" and the sidecar's text. The header's two CRC-32s (payload, then header)
// are recomputed before writing, since the fuzzer cannot forge them and the reader stops at a mismatch.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"
#include "induct/core/error.hpp"
#include "induct/core/hash.hpp"
#include "induct/setup/corpus.hpp"

namespace {

void store_le32(std::string& bytes, std::size_t at, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[at + static_cast<std::size_t>(i)] = static_cast<char>(value >> (8 * i));
}

void fix_checksums(std::string& tokens) {
  if (tokens.size() < induct::setup::corpus_header_bytes) return;
  store_le32(tokens, 24, induct::crc32_update(0, tokens.data() + 32, tokens.size() - 32));
  store_le32(tokens, 28, induct::crc32_update(0, tokens.data(), 28));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace setup = induct::setup;
  auto parts = induct::fuzz::split_at(data, size, "INDUCTSIDECAR");
  fix_checksums(parts.first);
  const auto path = induct::fuzz::scratch_directory() / "corpus.tokens";
  const auto sidecar_path = setup::corpus_sidecar_path(path);
  induct::fuzz::write_bytes(path, parts.first);
  if (parts.has_second)
    induct::fuzz::write_bytes(sidecar_path, parts.second);
  else
    induct::fuzz::remove_file(sidecar_path);

  setup::corpus_header header;
  bool have_header = false;
  try {
    header = setup::read_corpus_header(path);
    have_header = true;
    (void)setup::read_corpus_tokens(path, &header);
  } catch (const induct::error&) {
  }
  nlohmann::json sidecar;
  try {
    sidecar = setup::read_corpus_sidecar(sidecar_path);
  } catch (const induct::error&) {
    return 0;
  }
  if (have_header) {
    try {
      setup::check_corpus_sidecar_header(sidecar, header, sidecar_path);
    } catch (const induct::error&) {
    }
  }
  try {
    (void)setup::corpus_sidecar_setup(sidecar, sidecar_path);
  } catch (const induct::error&) {
  }
  try {
    (void)setup::chains_seen_as_lists(sidecar);
    (void)setup::chains_seen_as_lists(sidecar, "direct");
  } catch (const induct::error&) {
  }
  try {
    const int chain[] = {0, 1};
    (void)setup::corpus_chain_exposure(sidecar, chain, sidecar_path);
  } catch (const induct::error&) {
  }
  return 0;
}
