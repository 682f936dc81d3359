#!/usr/bin/env bash
# MPI runs (docs/cluster.md) give the file one process gives: 1, 2 and 3 ranks on the
# quickstart scenario, more ranks than trials, adaptive trial counts; and a rank killed
# mid-run stops the job with mpirun's error and leaves a file that `--resume` (on 2 ranks)
# completes to the same file.
# Usage: mpi_runs.sh MPIEXEC WEIGHTFAULT WORKDIR   (run from the repository root)
set -u
mpiexec=$1 wf=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir"
# Root in containers and CI: Open MPI refuses it unless told twice.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun_np() { local n=$1; shift; "$mpiexec" --oversubscribe -np "$n" "$@"; }
same() { /usr/bin/python3 tests/same_results.py "$1" "$2" || { echo "FAIL: $3"; exit 1; }; }
check() { "$@" >"$dir/last.log" 2>&1 || { echo "FAIL: $*"; cat "$dir/last.log"; exit 1; }; }

# 1. quickstart (4 BERs x 4 dtypes), 2 trials per point: one process, then 1, 2, 3 ranks.
check "$wf" run scenarios/quickstart.toml --trials 2 -o "$dir/single.h5" --threads 1
for n in 1 2 3; do
  check mpirun_np "$n" "$wf" run scenarios/quickstart.toml --trials 2 -o "$dir/ranks_$n.h5" --threads 1
  grep -q "wrote .*ranks_$n.h5" "$dir/last.log" || { echo "FAIL: no summary from rank 0"; exit 1; }
  same "$dir/single.h5" "$dir/ranks_$n.h5" "$n ranks differ from one process"
  echo "PASS: $n rank(s) give the single-process file"
done

# 2. More ranks than work: 1 point x 2 trials on 3 ranks (one rank has nothing to do).
cat >"$dir/small.toml" <<TOML
[model]
file = "data/models/lenet5_mnist.h5"
[dataset]
name = "mnist"
limit = 200
[memory]
rows = 256
[[fault_model]]
name = "uniform_ber"
ber = 1e-4
[campaign]
dtypes = ["fp32", "fp16"]
protections = ["none", "clamp"]
trials = 2
output = "$dir/small.h5"
TOML
check "$wf" run "$dir/small.toml" -o "$dir/small_single.h5"
check mpirun_np 3 "$wf" run "$dir/small.toml" -o "$dir/small_3.h5"
same "$dir/small_single.h5" "$dir/small_3.h5" "3 ranks on 2 trials differ"
echo "PASS: more ranks than trials"

# 3. Adaptive trial counts: the root decides in trial order, as one process does.
sed -e 's/^trials = 2/trials = 30\ntarget_ci_halfwidth = 0.1\nmin_trials = 4/' \
    -e 's/ber = 1e-4/ber = 3e-6/' "$dir/small.toml" >"$dir/adaptive.toml"
check "$wf" run "$dir/adaptive.toml" -o "$dir/adaptive_single.h5"
check mpirun_np 2 "$wf" run "$dir/adaptive.toml" -o "$dir/adaptive_2.h5"
same "$dir/adaptive_single.h5" "$dir/adaptive_2.h5" "adaptive trial counts differ on 2 ranks"
trials=$(/usr/bin/python3 -c "import h5py,sys; print(int(h5py.File(sys.argv[1])['trials_run'][0]))" "$dir/adaptive_2.h5")
echo "PASS: adaptive trial counts on 2 ranks stop where one process stops ($trials of 30 trials)"

# 4. A rank killed mid-run: mpirun stops the job and says so; the root's file keeps its
#    finished trials, and --resume on 2 ranks completes it to the single-process file.
sed -e 's/^trials = 2/trials = 40/' "$dir/small.toml" >"$dir/killed.toml"
check "$wf" run "$dir/killed.toml" -o "$dir/killed_single.h5"
mpirun_np 2 "$wf" run "$dir/killed.toml" -o "$dir/killed.h5" --threads 1 >"$dir/killed.log" 2>&1 &
launcher=$!
victim=""
for _ in $(seq 1 600); do
  finished=$("$wf" report "$dir/killed.h5.partial" --format csv 2>/dev/null | awk -F, 'NR==2 {print $3}')
  if [ -n "$finished" ] && [ "$finished" -ge 4 ]; then
    for proc in /proc/[0-9]*; do  # rank 1: the weightfault whose environment says so
      tr '\0' '\n' <"$proc/cmdline" 2>/dev/null | grep -qx "$dir/killed.toml" || continue
      tr '\0' '\n' <"$proc/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1 && victim=${proc#/proc/}
    done
    break
  fi
  sleep 0.05
done
[ -n "$victim" ] || { echo "FAIL: rank 1 not found"; cat "$dir/killed.log"; exit 1; }
kill -9 "$victim"
wait "$launcher"
status=$?
[ "$status" -ne 0 ] || { echo "FAIL: mpirun exited 0 after a rank was killed"; exit 1; }
grep -Eiq "rank 1|exited on signal|killed" "$dir/killed.log" ||
  { echo "FAIL: no message naming the dead rank"; cat "$dir/killed.log"; exit 1; }
echo "mpirun after the kill (exit $status): $(grep -Ei 'rank 1|signal' "$dir/killed.log" | head -1)"
[ ! -e "$dir/killed.h5" ] || { echo "FAIL: a killed run left a finished-looking file"; exit 1; }
check mpirun_np 2 "$wf" run "$dir/killed.toml" -o "$dir/killed.h5" --resume
same "$dir/killed_single.h5" "$dir/killed.h5" "the resumed MPI run differs"
echo "PASS: a killed rank stops the job; --resume on 2 ranks gives the single-process file"
