// Fuzz target: grammar text -> parse_grammar -> validate (strict and normalising) -> format_grammar,
// whose output must parse again. Refusals are induct::error; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "induct/core/error.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/grammar/validate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  induct::grammar::pcfg parsed;
  try {
    parsed = induct::grammar::parse_grammar(text, "<fuzz>");
  } catch (const induct::error&) {
    return 0;
  }
  // format_grammar promises text that parses back: a refusal of its own output is a finding.
  std::string formatted;
  try {
    formatted = induct::grammar::format_grammar(parsed);
  } catch (const induct::error&) {
    return 0;
  }
  try {
    (void)induct::grammar::parse_grammar(formatted, "<formatted>");
  } catch (const induct::error&) {
    __builtin_trap();
  }
  try {
    auto strict = parsed;
    (void)induct::grammar::validate(strict);
  } catch (const induct::error&) {
  }
  try {
    auto normalised = parsed;
    (void)induct::grammar::validate(normalised, {.normalise = true});
  } catch (const induct::error&) {
  }
  return 0;
}
