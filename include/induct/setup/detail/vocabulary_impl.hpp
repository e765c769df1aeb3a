#pragma once
// Definitions for setup/vocabulary.hpp (see induct/core/linkage.hpp for the two modes).
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/setup/vocabulary.hpp"

namespace induct::setup {

INDUCT_DEFINE vocabulary::vocabulary(int entities, int functions, int filler_words)
    : entities_(entities), functions_(functions), filler_words_(filler_words) {
  names_ = {"<d>", "[", "]", ":", ";", "."};
  // prefixed() rather than "e" + to_string: GCC 12 warns falsely (-Wrestrict) on the latter.
  for (int e = 0; e < entities; ++e) names_.push_back(prefixed('e', e));
  for (int r = 0; r < functions; ++r) names_.push_back(prefixed('r', r + 1));
  for (int w = 0; w < filler_words; ++w) names_.push_back(prefixed('w', w));
  for (std::size_t i = 0; i < names_.size(); ++i) ids_.emplace(names_[i], static_cast<token_id>(i));
}

INDUCT_DEFINE std::vector<token_id> vocabulary::encode(std::string_view text, std::string_view source) const {
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

INDUCT_DEFINE std::string vocabulary::decode(std::span<const token_id> tokens) const {
  std::string text;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i) text += ' ';
    text += name(tokens[i]);
  }
  return text;
}

}  // namespace induct::setup
