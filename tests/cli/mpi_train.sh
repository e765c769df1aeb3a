#!/usr/bin/env bash
# Data-parallel training over MPI (issue 13): `mpirun -np R induct train` on 1, 2 and 3 ranks (oversubscribed
# on this machine's 2 cores, as root) must write the model and state of the one-process run bit for bit
# (tensor bytes of the model file; AdamW moments, sampler and loss history of the state file) and log the
# same losses; a run stopped at step 6 on 2 ranks and resumed on 3 must too; a rank killed with SIGKILL
# mid-run must end the job with a clear message, and the last checkpoint must resume (on another rank
# count) to the uninterrupted run's bits.
#   bash tests/cli/mpi_train.sh TOOL WORKDIR     (exit 77 = skipped: no mpirun)
set -euo pipefail
tool="$1" work="$2"
if ! command -v mpirun > /dev/null; then
  echo "mpi_train.sh: SKIPPED: no mpirun here (scripts/install-deps.sh test installs openmpi-bin)"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work"
cd "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Shared memory between the ranks, the runtime on loopback only: nothing leaves the machine.
mpi=(mpirun --oversubscribe --mca pml ob1 --mca btl self,vader --mca oob_tcp_if_include lo)
steps=12
options=(--corpus corpus.tok --layers 1 --width 16 --heads 2 --context 16 --batch 6 --gradient-block 1
         --lr 3e-3 --warmup 2 --decay-steps 40 --checkpoint-every 3 --no-progress --seed 5)

"$tool" corpus --tokens 20000 --seed 3 --out corpus.tok > /dev/null

# Tensor bytes (after the JSON header) of the model file and of its state file, and the step.
fingerprint() {
  python3 - "$1" <<'EOF'
import hashlib, json, struct, sys
def payload(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)), f.read()
model_header, model = payload(sys.argv[1])
state_header, state = payload(sys.argv[1] + ".state")
print(hashlib.sha256(model).hexdigest(), hashlib.sha256(state).hexdigest(), model_header["__metadata__"]["step"])
EOF
}
# The log lines without their timings.
losses() { python3 -c '
import json, sys
for line in open(sys.argv[1]):
    j = json.loads(line)
    print(j["step"], repr(j["loss"]), repr(j["lr"]), repr(j["grad_norm"]))' "$1"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
same() {  # NAME: NAME.safetensors and NAME.log against the one-process reference
  [[ "$(fingerprint "$1.safetensors")" == "$expected" ]] || fail "$1: tensors differ from the one-process run"
  [[ "$(losses "$1.log")" == "$(losses reference.log | head -n "$(wc -l < "$1.log")")" ]] ||
    fail "$1: logged losses differ from the one-process run"
}

"$tool" train "${options[@]}" --steps $steps --log-every 1 --threads 2 --out reference.safetensors --log reference.log > /dev/null
expected="$(fingerprint reference.safetensors)"

for ranks in 1 2 3; do
  "${mpi[@]}" -np $ranks "$tool" train "${options[@]}" --steps $steps --log-every 1 --threads 1 \
    --out np$ranks.safetensors --log np$ranks.log > np$ranks.out 2>&1 || { cat np$ranks.out >&2; fail "mpirun -np $ranks failed"; }
  same np$ranks
  [[ $(grep -c '^trained' np$ranks.out) == 1 ]] || fail "-np $ranks: expected one summary line (rank 0's)"
  echo "ok: -np $ranks equals the one-process run bit for bit"
done

# Stopped at step 6 on 2 ranks, resumed to 12 on 3.
"${mpi[@]}" -np 2 "$tool" train "${options[@]}" --steps 6 --log-every 1 --threads 1 --out resumed.safetensors \
  --log resumed.log > /dev/null 2>&1
"${mpi[@]}" -np 3 "$tool" train --corpus corpus.tok --resume --steps $steps --threads 1 --no-progress \
  --out resumed.safetensors --log resumed.log > /dev/null 2>&1 || fail "resume on 3 ranks failed"
same resumed
echo "ok: 2 ranks to step 6, resumed on 3 ranks, equals the one-process run"

# A rank killed mid-run: the job ends with a clear message; the last checkpoint resumes exactly.
long=300
"$tool" train "${options[@]}" --steps $long --threads 2 --out long_reference.safetensors > /dev/null
expected="$(fingerprint long_reference.safetensors)"
"${mpi[@]}" -np 3 "$tool" train "${options[@]}" --steps $long --threads 1 --out killed.safetensors \
  > killed.out 2>&1 &
launcher=$!
for _ in $(seq 1 200); do  # until the first checkpoint is there
  [[ -e killed.safetensors.state ]] && break
  sleep 0.05
done
[[ -e killed.safetensors.state ]] || fail "no checkpoint appeared before the kill"
victim="$(pgrep -P $launcher | tail -n 1)"
[[ -n "$victim" ]] || fail "no rank process under mpirun $launcher"
kill -9 "$victim"
status=0
wait $launcher || status=$?
(( status != 0 )) || fail "the job exited 0 after a rank was killed"
grep -Eq "signal 9|Killed" killed.out || { cat killed.out >&2; fail "no clear message naming the killed rank"; }
echo "ok: killing rank pid $victim ended the job (exit $status): $(grep -Em1 'signal 9|Killed' killed.out)"
step="$(fingerprint killed.safetensors | cut -d' ' -f3)"
(( step < long )) || fail "the killed run finished anyway"
"${mpi[@]}" -np 2 "$tool" train --corpus corpus.tok --resume --steps $long --threads 1 --no-progress \
  --out killed.safetensors > /dev/null 2>&1 || fail "resume after the kill failed"
[[ "$(fingerprint killed.safetensors)" == "$expected" ]] || fail "the resumed run differs from the uninterrupted one"
echo "ok: resumed from step $step on 2 ranks, equals the uninterrupted run"

# `sweep --point` inside an MPI job: the point's result equals the one-process point's but for timings
# (batch 16 in blocks of the default 8: ranks 0 and 1 take a block each, rank 2 none).
cat > grid.json <<'GRID'
{"models": [{"layers": 1, "width": 16, "heads": 2}], "tokens": [1024],
 "base": {"context": 16, "batch": 16, "prompts": 4, "examples": [0, 1]}}
GRID
"$tool" sweep --grid grid.json --out sweep_one --point 0 --threads 2 > /dev/null
"${mpi[@]}" -np 3 "$tool" sweep --grid grid.json --out sweep_mpi --point 0 --threads 1 > sweep_mpi.out 2>&1 ||
  { cat sweep_mpi.out >&2; fail "sweep --point under mpirun failed"; }
[[ $(grep -c '^point 0' sweep_mpi.out) == 1 ]] || fail "sweep --point: expected one report line (rank 0's)"
without_timings() { python3 -c '
import json, sys
def strip(v):
    if isinstance(v, dict): return {k: strip(x) for k, x in v.items() if not k.endswith("_seconds")}
    return v
print(json.dumps(strip(json.load(open(sys.argv[1]))), sort_keys=True))' "$1"; }
[[ "$(without_timings sweep_one/points/*.json)" == "$(without_timings sweep_mpi/points/*.json)" ]] ||
  fail "sweep --point under mpirun: the point differs from the one-process point"
echo "ok: sweep --point on 3 ranks equals the one-process point (but for timings)"
echo "mpi_train: all checks passed"
