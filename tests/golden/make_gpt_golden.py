#!/usr/bin/python3
"""Writes tests/golden/gpt_parity.safetensors: PyTorch's answers for a tiny GPT, which
tests/nn/test_parity.cpp compares with induct's Eigen model (so that test needs no Python).

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tests/golden/make_gpt_golden.py
Everything is computed in float64. Tensors in the file:
  <param>                  the weights (nanoGPT names), drawn so that every path is exercised:
                           LayerNorm gains/biases and Linear biases are non-trivial, weights ~ 1/sqrt(fan_in)
  input.tokens, input.targets               int32 [B, T]
  output.logits [B, T, V], output.loss [1]  forward on (tokens, targets)
  grad.<param>             d loss / d param
  input.targets_masked, output.loss_masked  targets with some -1 (ignored, nanoGPT ignore_index=-1)
  input.loss_weights [B, T], output.loss_weighted [1]
                           sum_i w_i l_i / sum_i w_i over positions with target >= 0
  grad_weighted.<param>    gradient of loss_weighted (for wte and lm_head)
  adamw.lr, adamw.loss, adamw.grad_norm [10]
                           10 AdamW steps on the same batch, nanoGPT order: forward, backward,
                           clip global norm to 1.0 (norm recorded before clipping), lr = get_lr(step),
                           step; loss recorded before each step
  final.<param>            weights after the 10 steps
Metadata: "config" (gpt_config JSON), "adamw" (hyper-parameters), "schedule".
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
from nanogpt_reference import GPT, get_lr, make_adamw, write_safetensors

CONFIG = dict(vocab_size=17, context_length=8, layers=2, width=16, heads=2)
BATCH = 3
ADAMW = dict(lr=1e-3, weight_decay=0.1, beta1=0.9, beta2=0.95, eps=1e-8, grad_clip=1.0)
SCHEDULE = dict(learning_rate=1e-3, warmup_iters=3, lr_decay_iters=10, min_lr=1e-4)
STEPS = 10


def main():
    torch.manual_seed(20261128)
    torch.set_default_dtype(torch.float64)
    model = GPT.from_config(CONFIG)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                fan_in = p.shape[1]
                p.normal_(0.0, 1.0 if "wte" in name or "wpe" in name else 1.5 / fan_in ** 0.5)
            elif name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            else:
                p.normal_(0.0, 0.1)
    B, T, V = BATCH, CONFIG["context_length"], CONFIG["vocab_size"]
    tokens = torch.randint(0, V, (B, T))
    targets = torch.randint(0, V, (B, T))
    out = {}
    for name, p in model.named_parameters():
        out[name] = p.detach().clone()
    out["input.tokens"] = tokens.to(torch.int32)
    out["input.targets"] = targets.to(torch.int32)

    logits, loss = model(tokens, targets)
    loss.backward()
    out["output.logits"] = logits.detach().clone()
    out["output.loss"] = loss.detach().reshape(1)
    for name, p in model.named_parameters():
        out["grad." + name] = p.grad.detach().clone()
    model.zero_grad(set_to_none=True)

    masked = targets.clone()
    masked[0, 0] = -1
    masked[1, 3] = -1
    masked[2, 5:] = -1
    with torch.no_grad():
        _, loss_masked = model(tokens, masked)
    out["input.targets_masked"] = masked.to(torch.int32)
    out["output.loss_masked"] = loss_masked.reshape(1)

    weights = torch.rand(B, T)
    weights[0, 1] = 0.0
    weights[2, 7] = 0.0
    logits, _ = model(tokens)
    per_token = F.cross_entropy(logits.view(-1, V), targets.view(-1), reduction="none")
    loss_weighted = (per_token * weights.view(-1)).sum() / weights.sum()
    loss_weighted.backward()
    out["input.loss_weights"] = weights.clone()
    out["output.loss_weighted"] = loss_weighted.detach().reshape(1)
    for name, p in model.named_parameters():
        if name in ("transformer.wte.weight", "lm_head.weight"):
            out["grad_weighted." + name] = p.grad.detach().clone()
    model.zero_grad(set_to_none=True)

    optimizer = make_adamw(model, ADAMW["lr"], ADAMW["weight_decay"], (ADAMW["beta1"], ADAMW["beta2"]), ADAMW["eps"])
    lrs, losses, norms = [], [], []
    for step in range(STEPS):
        lr = get_lr(step, **SCHEDULE)
        for group in optimizer.param_groups:
            group["lr"] = lr
        _, loss = model(tokens, targets)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), ADAMW["grad_clip"])
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        lrs.append(lr)
        losses.append(loss.item())
        norms.append(norm.item())
    out["adamw.lr"] = torch.tensor(lrs)
    out["adamw.loss"] = torch.tensor(losses)
    out["adamw.grad_norm"] = torch.tensor(norms)
    for name, p in model.named_parameters():
        out["final." + name] = p.detach().clone()

    metadata = {"config": json.dumps(CONFIG), "adamw": json.dumps(ADAMW), "schedule": json.dumps(SCHEDULE),
                "batch": str(BATCH), "torch": torch.__version__,
                "generator": "tests/golden/make_gpt_golden.py"}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gpt_parity.safetensors")
    write_safetensors(path, out, metadata)
    print(f"wrote {path}: loss {loss.item():.6f}, grad norms {[round(n, 3) for n in norms]}")


if __name__ == "__main__":
    main()
