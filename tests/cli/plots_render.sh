#!/usr/bin/env bash
# Every kind of plot the project writes, rendered and checked (issue 18): toy runs of demo (with seeds and a
# learning curve), evaluate, train, a models x tokens sweep, a design sweep and probe write every SVG kind;
# plot_legends.py renders each with rsvg-convert and checks from the SVG that each legend entry has a visible
# mark inside the plot area; then it must find the plots it breaks on purpose (its --self-test).
# Usage: plots_render.sh INDUCT_TOOL WORKDIR
set -euo pipefail
tool=$1 work=$2
here=$(dirname "$0")
rm -rf "$work"
mkdir -p "$work"
export OMP_NUM_THREADS=1
toy=(--steps 4 --tokens 20000 --prompts 4 --examples 0,1 --layers 1 --width 16 --heads 2 --context 32 --threads 1)
"$tool" demo --out "$work/demo" --seeds 1,2 --curve-every 2 --curve-examples 0,1 --curve-prompts 4 "${toy[@]}" \
  > "$work/demo.log" 2>&1
"$tool" evaluate --model "$work/demo/seed-1/model.safetensors" --model "$work/demo/seed-2/model.safetensors" \
  --prompts 4 --examples 0,1 --out "$work/evaluate" --threads 1 > "$work/evaluate.log" 2>&1
"$tool" corpus --out "$work/corpus.tok" --tokens 8000 > "$work/corpus.log" 2>&1
mkdir -p "$work/train"
"$tool" train --corpus "$work/corpus.tok" --out "$work/train/model.safetensors" --steps 30 --layers 1 --width 16 \
  --heads 2 --context 16 --batch 4 --threads 1 > "$work/train.log" 2>&1
cat > "$work/scaling.json" <<'EOF'
{"models": [{"layers": 1, "width": 16, "heads": 2}], "tokens": [2048, 4096],
 "base": {"context": 32, "batch": 4, "prompts": 4, "examples": [0, 1]}}
EOF
"$tool" sweep --grid "$work/scaling.json" --out "$work/scaling" --threads 1 > "$work/scaling.log" 2>&1
cat > "$work/design.json" <<'EOF'
{"design": "one_at_a_time",
 "base": {"corpus_tokens": 20000, "steps": 4, "model": {"layers": 1, "width": 16, "heads": 2, "context_length": 32},
          "training": {"batch": 4, "warmup_steps": 1}, "evaluation": {"examples": [0, 1], "prompts": 4}},
 "axes": {"model.width": [16, 32]}, "seeds": [1, 2]}
EOF
"$tool" sweep --grid "$work/design.json" --out "$work/design" --threads 1 > "$work/design.log" 2>&1
"$tool" probe --model "$work/demo/seed-1/model.safetensors" --prompts 8 --examples 2 --patch-pairs 4 \
  --out "$work/probe" --threads 1 > "$work/probe.log" 2>&1

# Each kind the project writes must be there (a kind that disappeared would otherwise go unchecked).
for kind in demo/error_vs_n_across_seeds.svg demo/learning_curve_across_seeds.svg demo/seed-1/error_vs_n.svg \
            demo/seed-1/stepwise_vs_direct.svg demo/seed-1/training_loss.svg demo/seed-1/learning_curve.svg \
            demo/seed-1/lookup_direct.svg demo/seed-1/compose2_stepwise.svg evaluate/error_vs_n_across_seeds.svg \
            evaluate/model-1/error_vs_n.svg evaluate/model-1/novel2_direct.svg train/model.safetensors.loss.svg \
            scaling/emergence.svg scaling/stepwise_vs_direct.svg design/design.svg design/stepwise_gap.svg \
            probe/probes.svg probe/probe_controls.svg; do
  test -s "$work/$kind" || { echo "missing plot: $kind" >&2; exit 1; }
done
mapfile -t plots < <(find "$work" -name '*.svg' | sort)
echo "${#plots[@]} plots"
/usr/bin/python3 "$here/plot_legends.py" "${plots[@]}"
# The check finds a deliberately broken plot: a series whose marks are gone, or all off the chart with no marker.
/usr/bin/python3 "$here/plot_legends.py" --self-test "$work/demo/seed-1/error_vs_n.svg"
/usr/bin/python3 "$here/plot_legends.py" --self-test "$work/train/model.safetensors.loss.svg"
