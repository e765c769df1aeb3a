#pragma once
// Definitions for nn/data.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/hash.hpp"
#include "induct/nn/data.hpp"
#include "induct/setup/corpus.hpp"

namespace induct::nn {

INDUCT_DEFINE token_windows::token_windows(std::vector<std::uint16_t> tokens, int vocab_size, double validation_fraction,
                                          std::vector<float> loss_weights, std::string source)
    : tokens_(std::move(tokens)), loss_weights_(std::move(loss_weights)), source_(std::move(source)) {
  if (vocab_size < 1 || vocab_size > 65536) throw config_error("vocab_size", "must be in [1, 65536]");
  if (!(validation_fraction >= 0.0 && validation_fraction < 1.0))
    throw config_error("validation_fraction", "must be in [0, 1), got " + std::to_string(validation_fraction));
  if (!loss_weights_.empty() && loss_weights_.size() != tokens_.size())
    throw config_error("loss_weights", "has " + std::to_string(loss_weights_.size()) + " entries for " +
                                           std::to_string(tokens_.size()) + " tokens");
  for (std::size_t i = 0; i < tokens_.size(); ++i)
    if (tokens_[i] >= vocab_size)
      throw error(source_ + ": token " + std::to_string(tokens_[i]) + " at position " + std::to_string(i) +
                  " is outside the model's vocabulary of " + std::to_string(vocab_size));
  for (std::size_t i = 0; i < loss_weights_.size(); ++i)
    if (!(std::isfinite(loss_weights_[i]) && loss_weights_[i] >= 0.0f))
      throw config_error("loss_weights", "weight at position " + std::to_string(i) + " must be finite and >= 0");
  const auto validation = static_cast<std::size_t>(std::ceil(validation_fraction * static_cast<double>(tokens_.size())));
  training_size_ = tokens_.size() - std::min(validation, tokens_.size());
  std::uint32_t crc = crc32_update(0, tokens_.data(), tokens_.size() * sizeof(std::uint16_t));
  if (!loss_weights_.empty()) crc = crc32_update(crc, loss_weights_.data(), loss_weights_.size() * sizeof(float));
  fingerprint_ = crc;
}

INDUCT_DEFINE token_windows corpus_windows(const std::filesystem::path& path, int vocab_size, double validation_fraction) {
  setup::corpus_header header;
  auto tokens = setup::read_corpus_tokens(path, &header);
  if (header.vocabulary_size > static_cast<std::uint32_t>(vocab_size))
    throw file_error(path.string(), "corpus vocabulary of " + std::to_string(header.vocabulary_size) +
                                        " tokens does not fit the model's vocab_size " + std::to_string(vocab_size));
  return token_windows(std::move(tokens), vocab_size, validation_fraction, {}, path.string());
}

}  // namespace induct::nn
