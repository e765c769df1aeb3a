#!/usr/bin/python3
"""PyTorch peer of induct's GPT training-step benchmark (issue 5): the same model (tests/golden/
nanogpt_reference.py: nanoGPT with biases, untied head, GELU tanh, no dropout) in float32 on the CPU,
one full training step = forward, backward, global-norm clip 1.0, AdamW step, zero_grad.

  /usr/bin/python3 bench/torch_gpt.py --config S --threads 1
  /usr/bin/python3 bench/torch_gpt.py --config all --threads 2     # one subprocess per config

Configs (vocab 64):  S width 64, 2 layers, 2 heads, ctx 64, batch 32
                     M width 128, 4 layers, 4 heads, ctx 128, batch 16
                     L width 256, 6 layers, 8 heads, ctx 128, batch 16
Prints one JSON line per config: {"config", "threads", "tokens_per_s", "step_ms", "steps",
"parameters", "peak_rss_mib"}; peak RSS is the process's (ru_maxrss), so each config runs in a fresh process.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

CONFIGS = {
    "S": dict(width=64, layers=2, heads=2, context_length=64, batch=32),
    "M": dict(width=128, layers=4, heads=4, context_length=128, batch=16),
    "L": dict(width=256, layers=6, heads=8, context_length=128, batch=16),
}
VOCAB = 64


def run(name, threads, steps, warmup, seed):
    import torch
    torch.set_num_threads(threads)
    sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))
    from nanogpt_reference import GPT, make_adamw

    c = CONFIGS[name]
    torch.manual_seed(seed)
    model = GPT(VOCAB, c["context_length"], c["layers"], c["width"], c["heads"])
    optimizer = make_adamw(model, 1e-3)
    B, T = c["batch"], c["context_length"]
    generator = torch.Generator().manual_seed(seed)
    data = torch.randint(0, VOCAB, (steps + warmup, B, T + 1), generator=generator)

    def step(i):
        window = data[i]
        _, loss = model(window[:, :-1], window[:, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.item()

    for i in range(warmup):
        step(i)
    start = time.perf_counter()
    for i in range(steps):
        step(warmup + i)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"config": name, "threads": threads, "tokens_per_s": round(B * T * steps / elapsed, 1),
            "step_ms": round(1000.0 * elapsed / steps, 3), "steps": steps,
            "parameters": sum(p.numel() for p in model.parameters()), "peak_rss_mib": round(peak_kib / 1024.0, 1),
            "torch": torch.__version__}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="all", choices=["S", "M", "L", "all"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=20, help="timed steps")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.threads < 1:
        parser.error("--threads must be >= 1")
    if args.config == "all":
        for name in CONFIGS:
            subprocess.run([sys.executable, os.path.abspath(__file__), "--config", name, "--threads", str(args.threads),
                            "--steps", str(args.steps), "--warmup", str(args.warmup), "--seed", str(args.seed)], check=True)
        return
    print(json.dumps(run(args.config, args.threads, args.steps, args.warmup, args.seed)), flush=True)


if __name__ == "__main__":
    main()
