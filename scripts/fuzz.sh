#!/usr/bin/env bash
# Short fuzz run (issue 15, docs/promises.md): configures the "fuzz" preset (clang++, libFuzzer, ASan and
# UBSan, header-only), builds tests/fuzz/*.cpp, replays each target's regressions (crashes once found)
# and fuzzes it for SECONDS (default 30) over its seed corpus. Any crash, leak, UB or escaped exception
# fails the script; its input is left in build/fuzz/artifacts/<target>/.
#   scripts/fuzz.sh [SECONDS]   run
#   scripts/fuzz.sh --check     exit 0 only if clang++ can link a libFuzzer program here
set -euo pipefail
cd "$(dirname "$0")/.."

have_libfuzzer() {
  command -v clang++ >/dev/null 2>&1 || return 1
  local probe
  probe=$(mktemp -d)
  # The runtime must link, not merely clang++ exist (libclang_rt.fuzzer ships apart on some systems).
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$probe/probe.cpp"
  local status=0
  clang++ -fsanitize=fuzzer,address,undefined "$probe/probe.cpp" -o "$probe/probe" >/dev/null 2>&1 || status=1
  rm -rf "$probe"
  return $status
}

if [[ "${1:-}" == "--check" ]]; then
  have_libfuzzer
  exit
fi
if ! have_libfuzzer; then
  echo "fuzz.sh: clang++ with libFuzzer (libclang_rt.fuzzer) is needed" >&2
  exit 1
fi
seconds="${1:-30}"
# The targets' scratch files: a crashing or forked run exits without removing its own, so keep them in build/.
export TMPDIR="$PWD/build/fuzz/tmp"
mkdir -p "$TMPDIR"
cmake --preset fuzz >/dev/null
cmake --build build/fuzz -j "${FUZZ_JOBS:-$(nproc)}"
for source in tests/fuzz/*.cpp; do
  target=$(basename "$source" .cpp)
  binary=build/fuzz/tests/fuzz/$target
  work=build/fuzz/work/$target
  artifacts=build/fuzz/artifacts/$target
  mkdir -p "$work" "$artifacts"
  options=(-rss_limit_mb=2048 -timeout=10 -artifact_prefix="$artifacts/")
  case "$target" in fuzz_grid | fuzz_config | fuzz_corpus) options+=(-dict=tests/fuzz/json.dict) ;; esac
  regressions=(tests/fuzz/regressions/"$target"/*)
  if [[ -e "${regressions[0]}" ]]; then
    echo "== $target: ${#regressions[@]} regression input(s)"
    "$binary" "${options[@]}" "${regressions[@]}" >"build/fuzz/$target.regressions.log" 2>&1 ||
      { tail -n 60 "build/fuzz/$target.regressions.log" >&2; exit 1; }
  fi
  echo "== $target: fuzzing ${seconds} s"
  # New inputs go to build/ (the first directory), never into the seeds.
  nice -n 5 "$binary" "${options[@]}" -max_total_time="$seconds" -print_final_stats=1 "$work" "tests/fuzz/corpus/$target" \
    >"build/fuzz/$target.log" 2>&1 || { tail -n 60 "build/fuzz/$target.log" >&2; exit 1; }
  grep -aE '^#[0-9]+[[:space:]]+DONE' "build/fuzz/$target.log" | tail -n 1 || tail -n 2 "build/fuzz/$target.log"
done
