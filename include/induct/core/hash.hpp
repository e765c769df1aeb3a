#pragma once
// Checksums and fingerprints: FNV-1a 64 for identities (world fingerprint, sweep keys) and
// CRC-32 (IEEE 802.3, as zlib) for detecting corrupt files.
#include <array>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

namespace induct {

/// FNV-1a 64-bit over bytes, continuing from `hash` (pass the result of a previous call to chain).
constexpr std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t hash = 0xcbf29ce484222325ULL) noexcept {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

/// 16 lowercase hex digits.
inline std::string to_hex(std::uint64_t value) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(value));
  return buffer;
}

namespace detail {
constexpr std::array<std::uint32_t, 256> make_crc32_table() noexcept {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1U) ? 0xedb88320U ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
inline constexpr auto crc32_table = make_crc32_table();
}  // namespace detail

/// Incremental CRC-32: start with crc32_update(0, ...) and feed the previous result back in.
constexpr std::uint32_t crc32_update(std::uint32_t crc, std::span<const unsigned char> bytes) noexcept {
  crc = ~crc;
  for (unsigned char b : bytes) crc = detail::crc32_table[(crc ^ b) & 0xffU] ^ (crc >> 8);
  return ~crc;
}

inline std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  return crc32_update(crc, std::span<const unsigned char>(static_cast<const unsigned char*>(data), size));
}

}  // namespace induct
