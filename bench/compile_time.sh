#!/usr/bin/env bash
# What including induct costs (issue 19): for each public header, a file holding only
# `#include <HEADER>` and an empty main, compiled the way a user's analysis code would be
# (g++ -std=c++20 -O2 -fopenmp -c); likewise the umbrella header, each tutorial program and,
# as the yardstick, the dependencies alone (nlohmann/json.hpp, Eigen/Dense, Boost.Math's
# students_t). Prints one markdown row per file: wall seconds and peak compiler memory
# (/usr/bin/time). Run it on an idle machine; jobs > 1 is for a quick look only.
#   bash bench/compile_time.sh [--jobs N] [--only REGEX] [--compiled BUILD_DIR]
# --compiled BUILD_DIR measures the tutorial programs as a consumer of the compiled mode
# (-DINDUCT_COMPILED_LIB, linking BUILD_DIR's libinduct_compiled.a is not part of the figure).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=1 only="" compiled=""
while (($#)); do
  case "$1" in
    --jobs) jobs="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --compiled) compiled="$2"; shift 2 ;;
    *) echo "compile_time.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
cxx="${CXX:-g++}"
flags=(-std=c++20 -O2 -fopenmp -Iinclude -I/usr/include/eigen3)
[[ -n "$compiled" ]] && flags+=(-DINDUCT_COMPILED_LIB)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# name|source text (a header include) or name|@path (a whole program)
entries=()
entries+=("nlohmann/json.hpp (dependency)|#include <nlohmann/json.hpp>")
entries+=("Eigen/Dense (dependency)|#include <Eigen/Dense>")
entries+=("boost students_t (dependency)|#include <boost/math/distributions/students_t.hpp>")
entries+=("induct/induct.hpp (umbrella)|#include <induct/induct.hpp>")
while IFS= read -r header; do
  entries+=("${header#include/}|#include <${header#include/}>")
done < <(find include/induct -mindepth 2 -name '*.hpp' -not -path '*/detail/*' | sort)
for program in examples/*.cpp; do
  entries+=("$program (tutorial)|@$program")
done

measure() {  # index entry -> prints "index|name|seconds|MB|status"
  local index="$1" entry="$2" name="${2%%|*}" text="${2#*|}" source
  source="$work/tu_$index.cpp"
  if [[ "$text" == @* ]]; then
    cp "${text#@}" "$source"
  else
    printf '%s\nint main() {}\n' "$text" > "$source"
  fi
  local status=ok
  /usr/bin/time -f "%e %M" -o "$work/time_$index" "$cxx" "${flags[@]}" -c "$source" -o "$work/tu_$index.o" \
      2> "$work/err_$index" || status=failed
  read -r seconds kilobytes < <(tail -1 "$work/time_$index")
  printf '%s|%s|%s|%d|%s\n' "$index" "$name" "$seconds" "$((kilobytes / 1024))" "$status"
}
export -f measure
export work cxx
export flags_string="${flags[*]}"

echo "compiler: $("$cxx" --version | head -1); flags: ${flags[*]}; jobs: $jobs; $(date -u +%F)"
echo
echo "| file | wall s | peak MB |"
echo "|---|---:|---:|"
index=0
for entry in "${entries[@]}"; do
  name="${entry%%|*}"
  if [[ -n "$only" && ! "$name" =~ $only ]]; then continue; fi
  index=$((index + 1))
  printf '%s\0%s\0' "$index" "$entry"
done | xargs -0 -n 2 -P "$jobs" bash -c 'flags=($flags_string); measure "$0" "$1"' \
  | sort -t'|' -k1,1n | while IFS='|' read -r _ name seconds megabytes status; do
      if [[ "$status" == ok ]]; then
        echo "| $name | $seconds | $megabytes |"
      else
        echo "| $name | failed | - |"
      fi
    done
