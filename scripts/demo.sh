#!/usr/bin/env bash
# Installs what is missing, builds the induct tool and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh build
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DINDUCT_BUILD_TESTS=OFF -DINDUCT_BUILD_BENCH=OFF -DINDUCT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build/release -j "$(nproc)" --target induct_tool >/dev/null
exec build/release/tools/induct/induct demo "$@"
