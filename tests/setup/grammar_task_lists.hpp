#pragma once
// A grammar with two ICL tasks, shared by the grammar-prompt and measured-predictor tests: the det equals the
// noun's class (Same) or the other class (Swap); nouns x0 x1 are class a, x2 class b.
namespace induct::test {

inline constexpr const char* two_task_lists = R"(
  L    -> "[" Same "]" 0.75 | "[" Swap "]" 0.25
  Same -> A ";" Same 0.5 | A 0.5
  Swap -> B ";" Swap 0.5 | B 0.5
  A    -> "x0" ":" "a" | "x1" ":" "a" | "x2" ":" "b"
  B    -> "x0" ":" "b" | "x1" ":" "b" | "x2" ":" "a"
)";

}  // namespace induct::test
