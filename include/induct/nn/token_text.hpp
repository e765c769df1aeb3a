#pragma once
// Prompts as text for a trained model: token names when the checkpoint records them ("vocabulary"
// metadata, written by `induct train` on a corpus with its sidecar and by the demo), else decimal ids.
#include <cstdint>
#include <string>
#include <vector>

#include "induct/core/linkage.hpp"
#include "induct/nn/checkpoint.hpp"

namespace induct::nn {

/// The token names a checkpoint records, or empty when it has none; file_error if they are corrupt or their
/// count is not `vocab_size`.
INDUCT_DECLARE std::vector<std::string> recorded_token_names(const checkpoint_info& info, const std::string& source,
                                                             int vocab_size);

/// The name of token `id` (its decimal id when `names` is empty).
inline std::string token_text(const std::vector<std::string>& names, std::int32_t id) {
  return names.empty() ? std::to_string(id) : names[static_cast<std::size_t>(id)];
}

/// Whitespace-separated token names (or ids, when `names` is empty) to ids; parse_error naming `source` and the
/// column of the first word that is not a token.
INDUCT_DECLARE std::vector<std::int32_t> encode_token_text(const std::string& text, const std::vector<std::string>& names,
                                                          int vocab_size, const std::string& source = "<prompt>");

}  // namespace induct::nn

#if INDUCT_HEADER_ONLY
#include "induct/nn/detail/token_text_impl.hpp"
#endif
