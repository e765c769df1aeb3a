#!/usr/bin/env bash
# Installs what is missing, builds everything (release) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test
# Benchmarks are not tests: they build with scripts/install-deps.sh bench and -DINDUCT_BUILD_BENCH=ON (bench/RESULTS.md).
# The MPI build (mpirun -np R induct train; tests/cli/mpi_train.sh) wherever an MPI compiler is installed.
mpi=OFF
if command -v mpicxx >/dev/null; then mpi=ON; fi
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DINDUCT_BUILD_BENCH=OFF -DINDUCT_MPI=$mpi >/dev/null
cmake --build build/release -j "$(nproc)"
ctest --test-dir build/release -j "$(nproc)" --output-on-failure
# The fuzz targets' regression inputs are replayed by the doctests above. The short fuzz run itself (3-4 minutes
# with its clang build, docs/promises.md) does not fit in CI's 10 minutes beside the release build: on request only.
if [[ "${INDUCT_CI_FUZZ:-0}" == 1 ]]; then
  if bash scripts/fuzz.sh --check; then
    bash scripts/fuzz.sh 30
  else
    echo "test.sh: no clang++ with libFuzzer here, so the fuzz targets (scripts/fuzz.sh) are skipped" >&2
  fi
fi
