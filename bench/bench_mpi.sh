#!/usr/bin/env bash
# Parallel efficiency of an MPI run (docs/cluster.md, docs/performance.md "MPI"): the same
# campaign on one process with one trial thread, then on N ranks with one thread each,
# in one invocation; efficiency = T1 / (N * TN), wall-clock seconds of the whole `run`
# (set-up included: every rank sets up). Prints the bytes of trial records the ranks
# sent to rank 0, per trial. Checks that the two files are equal.
# Usage: bench/bench_mpi.sh [SCENARIO] [TRIALS] [RANKS]   (from the repository root,
# after scripts/setup.sh; default: the quickstart scenario, 10 trials, 2 ranks)
set -euo pipefail
scenario=${1:-scenarios/quickstart.toml}
trials=${2:-10}
ranks=${3:-2}
wf=build/weightfault
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
seconds() { local s; s=$(date +%s.%N); "$@" >"$dir/log" 2>&1; awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }
calc() { awk "BEGIN {printf \"%.3g\", $1}"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "campaign: $scenario, $trials trials per point, one trial thread per process"
t1=$(seconds "$wf" run "$scenario" --trials "$trials" --threads 1 -o "$dir/one.h5")
echo "1 process:  $t1 s  ($(grep -o '[0-9]* trials x' "$dir/log"))"
tn=$(seconds mpirun --oversubscribe -np "$ranks" "$wf" run "$scenario" --trials "$trials" \
  --threads 1 -o "$dir/ranks.h5")
bytes=$(grep -o '([0-9]* bytes of trial records' "$dir/log" | grep -o '[0-9]*')
run=$(grep -o 'wrote .*: [0-9]* trials' "$dir/log" | grep -o '[0-9]* trials' | grep -o '[0-9]*')
echo "$ranks ranks:    $tn s"
echo "speed-up $(calc "$t1 / $tn"), efficiency $(calc "$t1 / ($ranks * $tn)")"
echo "trial records sent to rank 0: $bytes bytes for the $(calc "$run * ($ranks - 1) / $ranks")" \
  "trials the other ranks ran: $(calc "$bytes * $ranks / ($run * ($ranks - 1))") bytes per trial"
/usr/bin/python3 tests/same_results.py "$dir/one.h5" "$dir/ranks.h5"
