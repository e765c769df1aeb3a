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

  vocabulary() : vocabulary(64, 8, 32) {}
  vocabulary(int entities, int functions, int filler_words)
      : entities_(entities), functions_(functions), filler_words_(filler_words) {
    names_ = {"<d>", "[", "]", ":", ";", "."};
    // prefixed() rather than "e" + to_string: GCC 12 warns falsely (-Wrestrict) on the latter.
    for (int e = 0; e < entities; ++e) names_.push_back(prefixed('e', e));
    for (int r = 0; r < functions; ++r) names_.push_back(prefixed('r', r + 1));
    for (int w = 0; w < filler_words; ++w) names_.push_back(prefixed('w', w));
    for (std::size_t i = 0; i < names_.size(); ++i) ids_.emplace(names_[i], static_cast<token_id>(i));
  }

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
  [[nodiscard]] std::vector<token_id> encode(std::string_view text, std::string_view source = "<prompt>") const {
    std::vector<token_id> tokens;
    std::size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && is_space(text[i])) ++i;
      if (i >= text.size()) break;
      const std::size_t begin = i;
      while (i < text.size() && !is_space(text[i])) ++i;
      const std::string_view word = text.substr(begin, i - begin);
      auto it = ids_.find(std::string(word));
      if (it == ids_.end())
        throw parse_error(std::string(source), 1, static_cast<int>(begin) + 1,
                          "unknown token '" + std::string(word) + "' (vocabulary: <d> [ ] : ; . e0.. r1.. w0..)");
      tokens.push_back(it->second);
    }
    return tokens;
  }

  /// Token names joined by single spaces.
  [[nodiscard]] std::string decode(std::span<const token_id> tokens) const {
    std::string text;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (i) text += ' ';
      text += name(tokens[i]);
    }
    return text;
  }

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
