#!/usr/bin/env bash
# Installs the Debian 12 packages induct needs that are missing (run as root). Usage:
#   scripts/install-deps.sh build   # compiler, CMake, Eigen, nlohmann-json, CLI11
#   scripts/install-deps.sh test    # build + doctest, Boost.Math (tests' reference values), Google Benchmark, python3-torch (PyTorch load test),
#                                   # rsvg-convert and chromium (the plots and report.html in a browser),
#                                   # Slurm and munge, Open MPI (the data-parallel training test)
#   scripts/install-deps.sh bench   # test + OpenBLAS, so the PyTorch peer runs on an optimised BLAS
set -euo pipefail
want=(build-essential cmake libeigen3-dev nlohmann-json3-dev libcli11-dev)
if [[ "${1:-build}" == "test" || "${1:-build}" == "bench" ]]; then
  want+=(doctest-dev libboost-math-dev libbenchmark-dev python3-torch librsvg2-bin chromium slurm-wlm munge openmpi-bin libopenmpi-dev)  # chromium: report.html test; slurm: the one-node cluster test; MPI: mpi_train.sh
fi
if [[ "${1:-build}" == "bench" ]]; then
  want+=(libopenblas0-pthread)  # Debian's torch uses the reference BLAS otherwise: an unfairly slow peer
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
