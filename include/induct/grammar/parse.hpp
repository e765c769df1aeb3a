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
// A probability is a finite number > 0. Tokens that spell a non-finite number, [+-]?(inf|infinity|nan|
// nan(chars)) in any case, are numbers and never names: `S -> "a" nan` is a non-finite probability at
// its column, and a nonterminal cannot be called `nan` or `Inf` (`nanny`, `info`, `NaN_1` are names).
// One reading for every position, because `S -> A nan` would otherwise mean two things.
// The same rule (same left side, same right side) given twice is an error naming both lines.
// A UTF-8 byte-order mark at the start is skipped (columns count from after it); a UTF-16 one is an error.
// Properness (sums to 1), reachability, productivity and consistency are checked by grammar/validate.hpp.
// Every syntax error is an induct::parse_error naming source, line, column and what was expected; names
// quoted in messages are cut to 60 bytes.
#include <filesystem>
#include <string>
#include <string_view>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

/// Parses grammar text into a PCFG (syntax, the all-or-none probability rule and duplicate rules only;
/// validate separately). `source` names the text in error messages (a file path or "<string>"), and is
/// kept as the grammar's pcfg::source() so that validation errors name it too.
INDUCT_DECLARE pcfg parse_grammar(std::string_view text, const std::string& source = "<string>");

/// Reads and parses a grammar file; file_error if it cannot be read.
INDUCT_DECLARE pcfg read_grammar_file(const std::filesystem::path& path);

/// Writes `g` in the text format (probabilities with 17 significant digits, so parsing it back is exact).
/// A nonterminal name the format cannot hold (one with whitespace, '"' or '#': a grounded CAG's iteration
/// states Iter<Item|sep|{"law":..}>#i) is written percent-encoded, those characters and '%' as %XX, so
/// parse_grammar(format_grammar(g)) equals g up to that renaming; every other name is written as it is.
/// grammar_error if two nonterminals would be written with the same name.
INDUCT_DECLARE std::string format_grammar(const pcfg& g);

/// Writes format_grammar(g) to `path` atomically, after checking that the text parses back (so the file is
/// one `induct grammar` commands read): the form in which a grammar built in C++, e.g. a grounded CAG
/// (grammar/cag.hpp), reaches the command line. parse_error for a name the format cannot hold (one that
/// starts with a digit, '.', '+' or '-', or spells a number); file_error naming `path` if it cannot be written.
INDUCT_DECLARE void write_grammar_file(const pcfg& g, const std::filesystem::path& path);

}  // namespace induct::grammar

#if INDUCT_HEADER_ONLY
#include "induct/grammar/detail/parse_impl.hpp"
#endif
