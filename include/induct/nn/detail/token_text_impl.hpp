#pragma once
// Definitions for nn/token_text.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/token_text.hpp"

namespace induct::nn {

INDUCT_DEFINE std::vector<std::string> recorded_token_names(const checkpoint_info& info, const std::string& source, int vocab_size) {
  const auto recorded = json_metadata(info, checkpoint_keys::vocabulary, source);
  if (!recorded) return {};
  std::vector<std::string> names;
  try {
    names = recorded->get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw file_error(source, std::string("corrupt checkpoint metadata 'vocabulary': ") + e.what());
  }
  if (static_cast<int>(names.size()) != vocab_size)
    throw file_error(source, "checkpoint metadata 'vocabulary' has " + std::to_string(names.size()) +
                                 " names for a model of vocab_size " + std::to_string(vocab_size));
  return names;
}

INDUCT_DEFINE std::vector<std::int32_t> encode_token_text(const std::string& text, const std::vector<std::string>& names,
                                                         int vocab_size, const std::string& source) {
  std::vector<std::int32_t> ids;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size()) break;
    const std::size_t begin = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::string word = text.substr(begin, i - begin);
    const int column = static_cast<int>(begin) + 1;
    if (!names.empty()) {
      const auto it = std::find(names.begin(), names.end(), word);
      if (it == names.end())
        throw parse_error(source, 1, column, "unknown token '" + word + "' (not in the model's vocabulary)");
      ids.push_back(static_cast<std::int32_t>(it - names.begin()));
      continue;
    }
    std::size_t used = 0;
    long long id = -1;
    try {
      id = std::stoll(word, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != word.size() || id < 0 || id >= vocab_size)
      throw parse_error(source, 1, column,
                        "'" + word + "' is not a token id in [0, " + std::to_string(vocab_size) +
                            ") (this model stores no token names)");
    ids.push_back(static_cast<std::int32_t>(id));
  }
  return ids;
}

}  // namespace induct::nn
