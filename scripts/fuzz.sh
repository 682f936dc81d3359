#!/usr/bin/env bash
# Runs every libFuzzer target of fuzz/ for SECONDS seconds each (docs/errors.md,
# "Fuzzed readers"). Builds them first, with clang and the address and undefined
# sanitizers, in BUILD_DIR (default build-asan, the sanitizer build of .ci/run).
# Seeds come from the repository's files (scenarios, model definitions, fuzz/seeds);
# the growing corpus stays in BUILD_DIR/fuzz-corpus. A crash stops the run with the
# input saved under BUILD_DIR/fuzz-crashes/: fix the bug, then keep the input as a
# regression test in fuzz/regressions/<target>/ (ctest replays it in every build).
# Usage: scripts/fuzz.sh SECONDS [BUILD_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:?usage: scripts/fuzz.sh SECONDS [BUILD_DIR]}
build=${2:-build-asan}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: SECONDS must be a whole number > 0" >&2; exit 2; }

# Every fuzz/fuzz_<target>.cpp is a target (a new one is one new file).
targets=()
for source in fuzz/fuzz_*.cpp; do
  name=${source#fuzz/fuzz_}
  targets+=("${name%.cpp}")
done
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" -DWEIGHTFAULT_SANITIZE=ON -DWEIGHTFAULT_FUZZ=ON >/dev/null
cmake --build "$build" -j 2 --target "${targets[@]/#/fuzz_}"

seeds() {  # the repository's files a target starts from
  case $1 in
    scenario) echo scenarios/*.toml fuzz/bases/*.toml ;;
    model_definition) echo model_definitions/*.toml ;;
    fault_list) echo fuzz/seeds/fault_list/* ;;
    idx) echo fuzz/seeds/idx/* ;;
    *) ;;  # HDF5 targets: the input edits base files (fuzz/hdf5_edits.h); start empty
  esac
}

mkdir -p "$build/fuzz-crashes"
failed=0
for t in "${targets[@]}"; do
  corpus=$build/fuzz-corpus/$t
  mkdir -p "$corpus"
  for f in $(seeds "$t"); do cp -n "$f" "$corpus/" 2>/dev/null || true; done
  log=$build/fuzz-$t.log
  if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     "$build/fuzz/fuzz_$t" "$corpus" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
       -max_len=8192 -artifact_prefix="$build/fuzz-crashes/$t-" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    printf 'fuzz_%-17s %6s runs in %s s, %s, no crash\n' "$t" "$runs" "$seconds" "$cov"
  else
    failed=1
    echo "fuzz_$t: CRASH (log: $log)"
    grep -E 'ERROR|SUMMARY|terminate|what\(\)|Test unit written' "$log" | head -8
  fi
done
exit $failed
