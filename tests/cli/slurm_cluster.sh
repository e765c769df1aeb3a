#!/usr/bin/env bash
# A sweep on a real one-node Slurm cluster (issue 13): starts munged, slurmctld and slurmd (as root, a
# slurm.conf written here, no cgroups), submits a 4-point tiny grid with `induct sweep --slurm --submit`,
# waits (bounded) until the queue is empty, and checks that the assembled table equals `induct sweep`'s over
# the same point files byte for byte and a from-scratch local sweep's in every column but the timings. Then a
# second submission has one array task cancelled with scancel: the assembly job fails naming the missing
# point, and rerunning the same command submits only that point and completes the table. Every daemon started
# here is stopped by PID on any exit.
#   bash tests/cli/slurm_cluster.sh TOOL WORKDIR
set -euo pipefail
tool="$(realpath "$1")" work="$2"
for program in sbatch squeue scancel slurmctld slurmd munged; do
  command -v "$program" > /dev/null || { echo "slurm_cluster: $program not installed (scripts/install-deps.sh test)"; exit 1; }
done
rm -rf "$work" && mkdir -p "$work"/{munge,spool/ctld,spool/d,log}
cd "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2> /dev/null || true
  done
}
trap cleanup EXIT

# munge: its own key and socket here, run as the munge user (it refuses root); 711 lets root reach the socket.
chown munge: munge && chmod 711 munge
dd if=/dev/urandom of=munge/munge.key bs=1024 count=1 status=none
chown munge: munge/munge.key && chmod 400 munge/munge.key
socket="$work/munge/munge.socket"
setpriv --reuid=munge --regid=munge --clear-groups munged --foreground --key-file=munge/munge.key \
  --socket="$socket" --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" \
  --seed-file="$work/munge/munged.seed" --force 2> "$work/munge/munged.err" &
pids+=($!)
for _ in $(seq 50); do [[ -S "$socket" ]] && break; sleep 0.1; done
[[ -S "$socket" ]] || { echo "slurm_cluster: munged did not start"; cat munge/munged.log || true; exit 1; }

host="$(hostname -s)"
cat > slurm.conf <<CONF
ClusterName=induct-test
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
SlurmctldPort=26817
SlurmdPort=26818
StateSaveLocation=$work/spool/ctld
SlurmdSpoolDir=$work/spool/d
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MaxArraySize=1000
NodeName=$host CPUs=2 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
slurmctld -D -f "$SLURM_CONF" > log/slurmctld.out 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" > log/slurmd.out 2>&1 &
pids+=($!)
for _ in $(seq 100); do sinfo -h -o %T 2> /dev/null | grep -qE '^idle' && break; sleep 0.2; done
sinfo -h -o %T | grep -qE '^idle' || { echo "slurm_cluster: the node never became idle"; tail log/*.log; exit 1; }

cat > grid.json <<'GRID'
{"models": [{"layers": 1, "width": 16, "heads": 2}, {"layers": 1, "width": 24, "heads": 2}], "tokens": [2048, 4096],
 "base": {"context": 32, "batch": 4, "prompts": 4, "examples": [0, 1]}}
GRID
export OMP_NUM_THREADS=1
wait_for_empty_queue() {  # bounded: 300 s
  for _ in $(seq 600); do [[ -z "$(squeue -h -o %i)" ]] && return 0; sleep 0.5; done
  echo "slurm_cluster: jobs still queued after 300 s:"; squeue; exit 1
}
# Timings differ between any two runs; every other column must not.
without_timings() {
  python3 -c 'import csv,sys
rows = list(csv.reader(open(sys.argv[1])))
keep = [i for i, name in enumerate(rows[0]) if not name.endswith("_seconds")]
print("\n".join(",".join(r[i] for i in keep) for r in rows))' "$1"
}

# 1. The whole grid through Slurm.
"$tool" sweep --grid grid.json --out cluster --slurm --submit --cpus-per-task 1 --threads 1 | tee submit.txt
grep -q "4 in the grid, 4 missing" submit.txt
grep -q "submitted assembly job" submit.txt
wait_for_empty_queue
[[ -f cluster/table.csv ]] || { echo "slurm_cluster: the assembly job wrote no table"; cat cluster/slurm/logs/* || true; exit 1; }
cp cluster/table.csv assembled.csv
"$tool" sweep --grid grid.json --out cluster --threads 1 > /dev/null  # a local sweep over the same point files
cmp assembled.csv cluster/table.csv
"$tool" sweep --grid grid.json --out local --threads 1 > /dev/null    # and one from scratch
diff <(without_timings assembled.csv) <(without_timings local/table.csv)

# 2. One task cancelled: the assembly fails naming it; the same command resubmits only that point.
"$tool" sweep --grid grid.json --out second --slurm --submit --cpus-per-task 1 --max-parallel 1 --threads 1 > submit2.txt
first_array="$(grep -m1 -o 'submitted array job [0-9]*' submit2.txt | grep -o '[0-9]*$')"
scancel "${first_array}_3"
wait_for_empty_queue
[[ ! -f second/table.csv ]] || { echo "slurm_cluster: assembled with a cancelled point"; exit 1; }
grep -qs "missing" second/slurm/logs/assemble-*.out || { echo "slurm_cluster: the assembly log names no missing point"; exit 1; }
"$tool" sweep --grid grid.json --out second --slurm --submit --cpus-per-task 1 --threads 1 | tee resubmit.txt
grep -q "4 in the grid, 1 missing" resubmit.txt
wait_for_empty_queue
diff <(without_timings second/table.csv) <(without_timings local/table.csv)
echo "slurm_cluster: passed"
