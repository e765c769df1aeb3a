#!/usr/bin/python3
"""A PyTorch user loads an induct checkpoint (ctest nn_torch_load, issue 5).

Writes a small INDUCTTK corpus (format of include/induct/setup/corpus.hpp) with a sidecar, trains a tiny
model with `induct train`, loads MODEL.safetensors into the nanoGPT-style reference model
(tests/golden/nanogpt_reference.py) with load_state_dict(strict=True), and checks that
  * the next-token log-probabilities after a prompt equal `induct logits --json` (1e-4 absolute), and
  * greedy generation equals `induct generate --json` wherever the top-2 logit margin exceeds 1e-3.
Exit 0 on success, 1 with a message otherwise.

  /usr/bin/python3 tests/nn/torch_load_checkpoint.py --tool build/release/tools/induct/induct --workdir /tmp/x
"""
import argparse
import json
import os
import shutil
import random
import struct
import subprocess
import sys
import zlib

import torch

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
from nanogpt_reference import GPT, read_safetensors  # noqa: E402

VOCAB = 6 + 64 + 8 + 32  # the default setup: punctuation, entities, relations, fillers


def write_corpus(path, tokens, vocab_size, world):
    payload = struct.pack("<%dH" % len(tokens), *tokens)
    head = b"INDUCTTK" + struct.pack("<IIQI", 1, vocab_size, len(tokens), zlib.crc32(payload) & 0xFFFFFFFF)
    head += struct.pack("<I", zlib.crc32(head) & 0xFFFFFFFF)
    assert len(head) == 32
    with open(path, "wb") as f:
        f.write(head + payload)
    with open(path + ".json", "w") as f:
        # The default world (default vocabulary); a sidecar records its world's fingerprint beside its config,
        # and the token file's counts (train checks them against the header).
        json.dump({"format": "INDUCTTK", "config": world["config"], "world_fingerprint": world["fingerprint"],
                   "tokens": len(tokens), "vocabulary_size": vocab_size}, f)


def run(tool, *arguments):
    result = subprocess.run([tool, *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"FAIL: induct {' '.join(arguments)} exited {result.returncode}: {result.stderr.strip()}")
    return result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    # A fresh folder each run: `induct train` refuses to replace an existing checkpoint without --force.
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    corpus = os.path.join(args.workdir, "corpus.tok")
    model_path = os.path.join(args.workdir, "model.safetensors")

    rng = random.Random(5)
    tokens = []
    while len(tokens) < 6000:  # facts "e_x r_i e_y ." with a fixed table, so there is something to learn
        x, r = rng.randrange(64), rng.randrange(8)
        tokens += [6 + x, 70 + r, 6 + (x * (r + 3) + r) % 64, 5]
    world = json.loads(run(args.tool, "world", "--json"))
    write_corpus(corpus, tokens, VOCAB, world)
    run(args.tool, "train", "--corpus", corpus, "--out", model_path, "--layers", "2", "--width", "32", "--heads", "4",
        "--context", "16", "--batch", "8", "--steps", "30", "--lr", "1e-2", "--no-progress", "--log-every", "0",
        "--threads", "1")

    tensors, metadata = read_safetensors(model_path)
    config = json.loads(metadata["config"])
    names = json.loads(metadata["vocabulary"])
    model = GPT.from_config(config)
    model.load_state_dict(tensors, strict=True)  # nanoGPT names and shapes, untied head, biases
    model.eval()

    prompt = "<d> e5 r2 e17 . e9 r4"
    ids = [names.index(t) for t in prompt.split()]
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids]))
    torch_lp = torch.log_softmax(logits[0, -1].double(), dim=-1)
    induct_lp = json.loads(run(args.tool, "logits", "--model", model_path, "--prompt", prompt, "--json"))
    if induct_lp["tokens"] != prompt.split():
        sys.exit(f"FAIL: induct logits echoed {induct_lp['tokens']}")
    worst = max(abs(induct_lp["log_probs"][names[v]] - torch_lp[v].item()) for v in range(len(names)))
    if worst > 1e-4:
        sys.exit(f"FAIL: log-probabilities differ by up to {worst:.3g}")

    generated = json.loads(run(args.tool, "generate", "--model", model_path, "--prompt", prompt, "--max-tokens", "6",
                               "--json"))["ids"]
    sequence, compared = list(ids), 0
    with torch.no_grad():
        for produced in generated:
            last = model(torch.tensor([sequence]))[0][0, -1]
            top2 = torch.topk(last, 2).values
            if (top2[0] - top2[1]).item() > 1e-3:
                if last.argmax().item() != produced:
                    sys.exit(f"FAIL: greedy step {len(sequence) - len(ids)}: torch {last.argmax().item()}, induct {produced}")
                compared += 1
            sequence.append(produced)
    print(f"OK: PyTorch loaded {model_path} ({sum(p.numel() for p in model.parameters())} parameters); "
          f"log-probs agree to {worst:.2g}; {compared}/{len(generated)} greedy tokens compared and equal")


if __name__ == "__main__":
    main()
