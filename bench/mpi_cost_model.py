#!/usr/bin/env python3
"""Cost model of data-parallel training over MPI (nn/data_parallel.hpp), checked against a measurement.

A step on N nodes (one rank each, all cores as threads) with nb = ceil(B / gradient_block) blocks:
  compute_N = t_block * ceil(nb / N) + t_update            (the busiest rank's blocks; AdamW on every rank)
  exchange_N = (min(N, nb) - 1) * nodes_per_rank * 4 P / bandwidth + (N - 1) * latency
               (all_gather of every rank's tree-node sums: each rank receives the others' float gradients;
               ranks beyond nb own no block and send nothing)
  step_N = compute_N + exchange_N,   speedup_N = step_1 / step_N.
t_block and t_update come from a one-process run (step_1 = nb t_block + t_update, t_update ~ AdamW + clip,
measured separately below as a fraction of the step); the exchange at 10 and 100 Gbit/s with 5 us latency.
The check: the same formula with N = 2 and this machine's shared-memory exchange (one memcpy-like pass
of 4P bytes each way, --shm-gbytes-per-s) against the measured 2-rank step time.

Usage: bench/mpi_cost_model.py --step1 S --step2ranks S2 --parameters P --batch B --block b
         [--update-share 0.05] [--shm-gbytes-per-s 5] [--plan DIR/sweep.sbatch --nodes 2,4,...]
"""
import argparse
import math
import re


def step_time(n, step1, blocks, update, parameters, bandwidth, latency, nodes_per_rank=1.0):
    t_block = (step1 - update) / blocks
    compute = t_block * math.ceil(blocks / n) + update
    # Ranks beyond the block count own no block and send nothing; the others receive every other node sum.
    received = (min(n, blocks) - 1) * nodes_per_rank
    exchange = 0.0 if n == 1 else received * 4.0 * parameters / bandwidth + (n - 1) * latency
    return compute, exchange


def lpt_wall_time(seconds, nodes):
    """Longest-processing-time-first list scheduling of independent points on `nodes` machines."""
    loads = [0.0] * nodes
    for s in sorted(seconds, reverse=True):
        i = loads.index(min(loads))
        loads[i] += s
    return max(loads)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--step1", type=float, required=True, help="one process, all threads: seconds per step")
    p.add_argument("--step1-thread", type=float, help="one process, one thread: seconds per step (for the check)")
    p.add_argument("--step2ranks", type=float, required=True, help="2 ranks x 1 thread: seconds per step")
    p.add_argument("--parameters", type=float, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--block", type=int, default=8)
    p.add_argument("--update-share", type=float, default=0.05, help="AdamW + clip share of a one-process step")
    p.add_argument("--shm-gbytes-per-s", type=float, default=5.0)
    p.add_argument("--plan", help="a sweep.sbatch written by `induct sweep --slurm` (per-point FLOPs)")
    p.add_argument("--node-flops-per-second", type=float, default=91.3e9,
                   help="one node's training throughput (bench/RESULTS.md, as experiment/slurm.hpp assumes)")
    p.add_argument("--nodes", default="2,4,8,16,32,64")
    a = p.parse_args()
    blocks = math.ceil(a.batch / a.block)
    nodes = [int(x) for x in a.nodes.split(",")]

    one = a.step1_thread or a.step1
    compute, exchange = step_time(2, one, blocks, a.update_share * one, a.parameters, a.shm_gbytes_per_s * 1e9, 0)
    print(f"check, 2 ranks x 1 thread here: predicted {compute + exchange:.3f} s/step "
          f"(compute {compute:.3f} + exchange {exchange:.4f}), measured {a.step2ranks:.3f} s/step "
          f"({(a.step2ranks / (compute + exchange) - 1) * 100:+.0f}%)")
    print(f"\n{blocks} blocks of {a.block} sequences, P = {a.parameters:.0f} ({4 * a.parameters / 2**20:.1f} MiB of "
          f"float gradient), one-node step {a.step1:.3f} s")
    print("| nodes | 10 Gbit/s: exchange / step / speedup | 100 Gbit/s: exchange / step / speedup |")
    print("|---|---|---|")
    for n in nodes:
        cells = []
        for gbit in (10, 100):
            c, e = step_time(n, a.step1, blocks, a.update_share * a.step1, a.parameters, gbit * 1e9 / 8, 5e-6)
            cells.append(f"{e:.3f} s / {c + e:.3f} s / {a.step1 / (c + e):.2f}x")
        print(f"| {n} | {cells[0]} | {cells[1]} |")

    if a.plan:
        rows = re.findall(r"^#\s+\d+\s+[0-9a-f]+\s+\S+\s+(\S+)\s+(\S+)\s", open(a.plan).read(), re.M)
        estimates = [(float(train) + float(evaluation)) / a.node_flops_per_second for train, evaluation in rows]
        if not estimates:
            raise SystemExit(f"{a.plan}: no per-point FLOP lines found")
        total = sum(estimates)
        print(f"\nthe grid in {a.plan}: {len(estimates)} points, {total / 3600:.1f} node-hours at "
              f"{a.node_flops_per_second / 1e9:.1f} GFLOP/s per node (no safety factor)")
        print("| nodes | wall time (LPT over the point estimates) |")
        print("|---|---|")
        for n in [1] + nodes:
            print(f"| {n} | {lpt_wall_time(estimates, n) / 3600:.2f} h |")


if __name__ == "__main__":
    main()
