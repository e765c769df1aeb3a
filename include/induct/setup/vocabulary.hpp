#pragma once
// Token ids and names of the default setup: `<d> [ ] : ; .` then e0.., r1.., w0...
// Ids are stable for a given (entities, functions, filler_words).
#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"

namespace induct::setup {

using token_id = std::uint16_t;

class vocabulary {
 public:
  static constexpr token_id document = 0;   // <d>
  static constexpr token_id open_list = 1;  // [
  static constexpr token_id close_list = 2; // ]
  static constexpr token_id colon = 3;      // :
  static constexpr token_id semicolon = 4;  // ;
  static constexpr token_id period = 5;     // .
  static constexpr int punctuation_count = 6;

  INDUCT_DETAIL vocabulary() : vocabulary(64, 8, 32) {}
  INDUCT_DECLARE vocabulary(int entities, int functions, int filler_words);

  [[nodiscard]] std::size_t size() const noexcept { return names_.size(); }
  [[nodiscard]] int entity_count() const noexcept { return entities_; }
  [[nodiscard]] int function_count() const noexcept { return functions_; }
  [[nodiscard]] int filler_count() const noexcept { return filler_words_; }

  /// Token of entity e (0-based), relation word of function i (0-based, named r{i+1}), filler w.
  [[nodiscard]] token_id entity(int e) const noexcept { return static_cast<token_id>(punctuation_count + e); }
  [[nodiscard]] token_id relation(int i) const noexcept { return static_cast<token_id>(punctuation_count + entities_ + i); }
  [[nodiscard]] token_id filler(int w) const noexcept {
    return static_cast<token_id>(punctuation_count + entities_ + functions_ + w);
  }

  /// Entity index of a token, or nullopt if it is not an entity.
  [[nodiscard]] std::optional<int> entity_index(token_id t) const noexcept {
    const int i = static_cast<int>(t) - punctuation_count;
    if (i >= 0 && i < entities_) return i;
    return std::nullopt;
  }
  [[nodiscard]] std::optional<int> relation_index(token_id t) const noexcept {
    const int i = static_cast<int>(t) - punctuation_count - entities_;
    if (i >= 0 && i < functions_) return i;
    return std::nullopt;
  }
  [[nodiscard]] std::optional<int> filler_index(token_id t) const noexcept {
    const int i = static_cast<int>(t) - punctuation_count - entities_ - functions_;
    if (i >= 0 && i < filler_words_) return i;
    return std::nullopt;
  }

  [[nodiscard]] const std::string& name(token_id t) const {
    if (t >= names_.size()) throw error("token id " + std::to_string(t) + " is outside the vocabulary of " +
                                        std::to_string(names_.size()));
    return names_[t];
  }
  [[nodiscard]] const std::vector<std::string>& names() const noexcept { return names_; }

  /// The id of a token name; parse_error naming the token if unknown.
  [[nodiscard]] token_id id(std::string_view token_name) const {
    if (auto it = ids_.find(std::string(token_name)); it != ids_.end()) return it->second;
    throw parse_error("<tokens>", 1, 1, "unknown token '" + std::string(token_name) + "'");
  }
  [[nodiscard]] std::optional<token_id> find(std::string_view token_name) const {
    if (auto it = ids_.find(std::string(token_name)); it != ids_.end()) return it->second;
    return std::nullopt;
  }

  /// Splits on whitespace and maps names to ids; an unknown token is a parse_error with its column.
  INDUCT_DECLARE [[nodiscard]] std::vector<token_id> encode(std::string_view text, std::string_view source = "<prompt>") const;

  /// Token names joined by single spaces.
  INDUCT_DECLARE [[nodiscard]] std::string decode(std::span<const token_id> tokens) const;

 private:
  static std::string prefixed(char letter, int number) {
    std::string text(1, letter);
    text += std::to_string(number);
    return text;
  }
  static bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

  int entities_;
  int functions_;
  int filler_words_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, token_id> ids_;
};

}  // namespace induct::setup

#if INDUCT_HEADER_ONLY
#include "induct/setup/detail/vocabulary_impl.hpp"
#endif
