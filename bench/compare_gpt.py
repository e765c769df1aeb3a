#!/usr/bin/python3
"""induct's GPT training step against the PyTorch peer (issue 5), measured in one interleaved run.

  /usr/bin/python3 bench/compare_gpt.py --bench build/bench/bench_nn [--rounds 3] [--configs S,M,L]

For each round, config and thread count (1, 2) it runs induct (bench_nn, one process per config so peak
RSS is per config) and then PyTorch (bench/torch_gpt.py, likewise), so both see the same machine state;
then the machine's SGEMM peak, by induct's kernel and by torch.mm (n = 1024), best of both. It prints a
Markdown table of medians over rounds: tokens/s per program and thread count, the ratio of induct's
best to PyTorch's best thread setting, induct's % of the SGEMM-bound limit (model FLOP/s / peak
SGEMM FLOP/s at the same thread count), and peak RSS. --json writes every raw measurement too.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_STEPS = {"S": 10, "M": 6, "L": 3}


def induct_run(bench, config, threads):
    out = subprocess.run([bench, f"--benchmark_filter=train_step/{config}/{threads}/", "--benchmark_min_time=2",
                          "--benchmark_format=json"], check=True, capture_output=True, text=True).stdout
    b = json.loads(out)["benchmarks"][0]
    return {"tokens_per_s": b["tokens_per_s"], "gflop_per_s": b["model_gflop_per_s"], "rss_mib": b["peak_rss_mib"],
            "flops_per_token": b["flops_per_token"]}


def torch_run(config, threads):
    out = subprocess.run([sys.executable, os.path.join(HERE, "torch_gpt.py"), "--config", config, "--threads",
                          str(threads), "--steps", str(TORCH_STEPS[config]), "--warmup", "2"],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return {"tokens_per_s": r["tokens_per_s"], "rss_mib": r["peak_rss_mib"]}


def sgemm_peaks(bench):
    out = subprocess.run([bench, "--benchmark_filter=sgemm_peak/1024/", "--benchmark_min_time=1",
                          "--benchmark_format=json"], check=True, capture_output=True, text=True).stdout
    induct = {int(b["threads"]): b["gflop_per_s"] for b in json.loads(out)["benchmarks"]}
    code = ("import torch,time,json\nr={}\nfor th in (1,2):\n torch.set_num_threads(th)\n"
            " a=torch.randn(1024,1024);b=torch.randn(1024,1024);a@b\n t=time.perf_counter()\n"
            " for i in range(20): a@b\n r[th]=2*1024**3*20/(time.perf_counter()-t)/1e9\nprint(json.dumps(r))")
    torch = {int(k): v for k, v in json.loads(subprocess.run([sys.executable, "-c", code], check=True,
                                                             capture_output=True, text=True).stdout).items()}
    return induct, torch


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", required=True, help="path of the bench_nn program")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--configs", default="S,M,L")
    parser.add_argument("--json", help="write raw measurements here")
    args = parser.parse_args()
    configs = args.configs.split(",")
    raw = []
    for r in range(args.rounds):
        for c in configs:
            for t in (1, 2):
                raw.append({"round": r, "config": c, "threads": t, "program": "induct", **induct_run(args.bench, c, t)})
                raw.append({"round": r, "config": c, "threads": t, "program": "torch", **torch_run(c, t)})
                print(f"round {r} {c} {t} thr: induct {raw[-2]['tokens_per_s']:.0f} tok/s, "
                      f"torch {raw[-1]['tokens_per_s']:.0f} tok/s", file=sys.stderr, flush=True)
        induct_peak, torch_peak = sgemm_peaks(args.bench)
        for t in (1, 2):
            raw.append({"round": r, "program": "sgemm", "threads": t, "induct_gflop_per_s": induct_peak[t],
                        "torch_gflop_per_s": torch_peak[t]})

    def median(program, c, t, key):
        return statistics.median(x[key] for x in raw if x["program"] == program and x.get("config") == c and
                                 x["threads"] == t)

    peak = {t: statistics.median(max(x["induct_gflop_per_s"], x["torch_gflop_per_s"]) for x in raw
                                 if x["program"] == "sgemm" and x["threads"] == t) for t in (1, 2)}
    print("| config | induct 1 thr | induct 2 thr | torch 1 thr | torch 2 thr | ratio best/best | "
          "% of SGEMM limit (induct best) | peak RSS induct / torch MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for c in configs:
        i1, i2 = median("induct", c, 1, "tokens_per_s"), median("induct", c, 2, "tokens_per_s")
        t1, t2 = median("torch", c, 1, "tokens_per_s"), median("torch", c, 2, "tokens_per_s")
        best_threads = 1 if i1 >= i2 else 2
        gflops = max(i1, i2) * next(x["flops_per_token"] for x in raw if x.get("config") == c and
                                    x["program"] == "induct") * 1e-9
        rss_i = max(x["rss_mib"] for x in raw if x["program"] == "induct" and x.get("config") == c)
        rss_t = max(x["rss_mib"] for x in raw if x["program"] == "torch" and x.get("config") == c)
        print(f"| {c} | {i1:.0f} | {i2:.0f} | {t1:.0f} | {t2:.0f} | **{max(i1, i2) / max(t1, t2):.2f}x** | "
              f"{100 * gflops / peak[best_threads]:.0f}% ({gflops:.1f} of {peak[best_threads]:.1f} GFLOP/s, "
              f"{best_threads} thr) | {rss_i:.1f} / {rss_t:.1f} ({rss_i / rss_t:.2f}) |")
    print(f"\nSGEMM peak n = 1024 (median over rounds; best of induct's kernel and torch.mm): "
          f"{peak[1]:.1f} GFLOP/s 1 thread, {peak[2]:.1f} GFLOP/s 2 threads")
    for t in (1, 2):
        rows = [x for x in raw if x["program"] == "sgemm" and x["threads"] == t]
        print(f"  {t} thr: induct " + ", ".join(f"{x['induct_gflop_per_s']:.1f}" for x in rows) +
              "; torch.mm " + ", ".join(f"{x['torch_gflop_per_s']:.1f}" for x in rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=1)


if __name__ == "__main__":
    main()
