#pragma once
// The plain-text grammar format (see docs/grammar-format.md), one rule a line:
//
//   # a comment                      (from '#' to the end of the line, outside quotes)
//   %start S                         (optional; default: the left side of the first rule)
//   S  -> NP VP 0.9                  (bare names are nonterminals; a trailing number is the probability)
//   S  -> "hello" "world" 0.1        (quoted names are terminals; escapes \" \\ \n \t)
//   NP -> "a" N | "the" N            (alternatives; no probabilities on any rule of NP = uniform)
//   N  -> <eps> 0.2                  (the empty right side is written <eps> or ε, alone)
//
// A left side's rules carry probabilities on all of them or on none (uniform 1/k); mixing is an error.
// Properness (sums to 1), reachability, productivity and consistency are checked by grammar/validate.hpp.
// Every syntax error is an induct::parse_error naming source, line, column and what was expected.
#include <filesystem>
#include <string>
#include <string_view>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

/// Parses grammar text into a PCFG (syntax and the all-or-none probability rule only; validate separately).
/// `source` names the text in error messages (a file path or "<string>").
INDUCT_DECLARE pcfg parse_grammar(std::string_view text, const std::string& source = "<string>");

/// Reads and parses a grammar file; file_error if it cannot be read.
INDUCT_DECLARE pcfg read_grammar_file(const std::filesystem::path& path);

/// Writes `g` in the text format (probabilities with 17 significant digits, so parsing it back is exact).
INDUCT_DECLARE std::string format_grammar(const pcfg& g);

}  // namespace induct::grammar

#if INDUCT_HEADER_ONLY
#include "induct/grammar/detail/parse_impl.hpp"
#endif
