#!/usr/bin/env bash
# Kill torture (issue 15): a tiny training with --checkpoint-every 1 is killed with SIGKILL at KILLS
# random instants; after every kill `train` continues (--resume once a checkpoint exists, a fresh start
# before), and the run that finally completes must end bit-identical to an uninterrupted run: the same
# tensor bytes in the model file and the same loss history in the state file. Then SIGINT and SIGTERM:
# each must finish its step, write a checkpoint, exit 128 + signal (130, 143) with a message naming --resume, and the
# resumed run must again end bit-identical. Last, SIGINT while `corpus` writes leaves no file,
# and SIGINT during a sweep keeps its finished points for the rerun.
#   bash tests/cli/kill_torture.sh TOOL WORKDIR [KILLS]
set -euo pipefail
tool="$1" work="$2" kills="${3:-30}"
rm -rf "$work" && mkdir -p "$work"
cd "$work"
export OMP_NUM_THREADS=1
train_options=(--corpus corpus.tok --layers 1 --width 16 --heads 2 --context 16 --batch 4 --lr 3e-3
               --steps 5000 --checkpoint-every 1 --log-every 0 --no-progress --threads 1 --seed 5)

"$tool" corpus --tokens 20000 --seed 3 --out corpus.tok > /dev/null
"$tool" train "${train_options[@]}" --out reference.safetensors > /dev/null

# Tensor bytes of a safetensors file (everything after its JSON header) and the state's loss history.
fingerprint() {
  python3 - "$1" <<'EOF'
import hashlib, json, struct, sys
def payload(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        return header, f.read()
model_header, model = payload(sys.argv[1])
state_header, state = payload(sys.argv[1] + ".state")
losses = state_header["loss_history"]["data_offsets"]
print(hashlib.sha256(model).hexdigest(), hashlib.sha256(state[losses[0]:losses[1]]).hexdigest(),
      model_header["__metadata__"]["step"])
EOF
}
expected="$(fingerprint reference.safetensors)"

# Runs "$@" in the background with its output in LOG, sends SIGNAL after SECONDS, and sets `status` to
# its exit status.
interrupt_after() {
  local seconds="$1" signal="$2" log="$3"
  shift 3
  "$@" > "$log" 2>&1 &
  local pid=$!
  sleep "$seconds"
  kill -s "$signal" "$pid"
  status=0
  wait "$pid" || status=$?
}

seed_random() { RANDOM=$(( $1 )); }
seed_random 20261202
kill_count=0 attempts=0
while (( kill_count < kills )); do
  attempts=$((attempts + 1))
  if (( attempts > 10 * kills )); then echo "FAIL: only $kill_count kills landed in $attempts attempts" >&2; exit 1; fi
  resume=()
  [[ -e model.safetensors ]] && resume=(--resume)
  "$tool" train "${train_options[@]}" --out model.safetensors "${resume[@]}" > run.log 2>&1 &
  pid=$!
  # 20-400 ms: from the tool's start-up through many checkpoint writes.
  sleep "0.$(printf '%03d' $(( 20 + RANDOM % 380 )))"
  if kill -9 "$pid" 2> /dev/null; then
    wait "$pid" 2> /dev/null || true
    kill_count=$((kill_count + 1))
  else
    wait "$pid" || { echo "FAIL: train exited with an error after $kill_count kills:" >&2; cat run.log >&2; exit 1; }
    break  # finished before the kill: nothing left to interrupt
  fi
done
resume=()
[[ -e model.safetensors ]] && resume=(--resume)
"$tool" train "${train_options[@]}" --out model.safetensors "${resume[@]}" > run.log 2>&1 \
  || { echo "FAIL: the final resume failed after $kill_count kills:" >&2; cat run.log >&2; exit 1; }
got="$(fingerprint model.safetensors)"
if [[ "$got" != "$expected" ]]; then
  echo "FAIL: after $kill_count kills the run ends at '$got', the uninterrupted run at '$expected'" >&2; exit 1
fi
leftovers="$(ls -a | grep -E '\.tmp\.' || true)"
if [[ -n "$leftovers" ]]; then echo "FAIL: temporaries left behind: $leftovers" >&2; exit 1; fi
echo "kill -9: $kill_count kills in $attempts attempts, resumed every time, bit-identical to the uninterrupted run"

for signal in INT TERM; do
  rm -f interrupted.safetensors*
  interrupt_after 0.3 "$signal" signal.log "$tool" train "${train_options[@]}" --out interrupted.safetensors
  want=130; [[ $signal == TERM ]] && want=143
  if (( status != want )); then echo "FAIL: SIG$signal: exit status $status, want $want" >&2; cat signal.log >&2; exit 1; fi
  grep -q -- "--resume" signal.log || { echo "FAIL: SIG$signal: no resume hint:" >&2; cat signal.log >&2; exit 1; }
  "$tool" train "${train_options[@]}" --out interrupted.safetensors --resume > /dev/null
  got="$(fingerprint interrupted.safetensors)"
  [[ "$got" == "$expected" ]] || { echo "FAIL: SIG$signal: resumed run ends at '$got', want '$expected'" >&2; exit 1; }
  echo "SIG$signal: checkpoint written, exit $want, resumed bit-identical"
done

# Corpus writing: SIGINT mid-write leaves no file and no temporary, and exits 130.
interrupt_after 0.5 INT corpus.log "$tool" corpus --tokens 1e9 --seed 4 --out big.tok
if (( status != 130 )); then echo "FAIL: corpus SIGINT: exit status $status, want 130" >&2; cat corpus.log >&2; exit 1; fi
grep -q "nothing written" corpus.log || { echo "FAIL: corpus SIGINT: no message:" >&2; cat corpus.log >&2; exit 1; }
if ls -a | grep -q '^big\.tok'; then echo "FAIL: corpus SIGINT left: $(ls -a | grep '^big')" >&2; exit 1; fi
echo "corpus SIGINT: nothing written, exit 130"

# Sweeps: SIGINT during a point exits 130 naming the kept points; the same command then finishes the grid.
cat > grid.json <<'GRID'
{"models": [{"layers": 1, "width": 16, "heads": 2}], "tokens": [2000000, 1000000],
 "base": {"context": 32, "batch": 4, "prompts": 4, "examples": [0, 1]}}
GRID
interrupt_after 1.0 INT sweep.log "$tool" sweep --grid grid.json --out sweep --threads 1
if (( status != 130 )); then echo "FAIL: sweep SIGINT: exit status $status, want 130" >&2; cat sweep.log >&2; exit 1; fi
grep -q "finished points are kept" sweep.log || { echo "FAIL: sweep SIGINT: no message:" >&2; cat sweep.log >&2; exit 1; }
"$tool" sweep --grid grid.json --out sweep --threads 1 > sweep.log 2>&1 \
  || { echo "FAIL: sweep rerun failed:" >&2; cat sweep.log >&2; exit 1; }
grep -q "0 pending" sweep.log || { echo "FAIL: sweep rerun left points pending:" >&2; cat sweep.log >&2; exit 1; }
echo "sweep SIGINT: finished points kept, exit 130, rerun completed the grid"
