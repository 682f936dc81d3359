#!/usr/bin/env bash
# Kills a running campaign with SIGKILL after its first finished trial and
# checks that its results -- out.h5.partial, the file a run writes before it is
# renamed into place -- open and hold 0 < finished < total trials, and that a
# second run on the same output is refused while that partial file is there; then
# resumes it (run --resume) and checks that the final out.h5 equals an uninterrupted
# run's file: every dataset and attribute except the creation time.
# Usage: kill_run.sh WEIGHTFAULT MODEL DATA_ROOT WORKDIR
set -u
wf=$1 model=$2 data_root=$3 dir=$4
rm -rf "$dir" && mkdir -p "$dir"
cat >"$dir/kill.toml" <<TOML
[model]
file = "$model"
[dataset]
name = "mnist"
limit = 1000
[memory]
rows = 2048
[[fault_model]]
name = "uniform_ber"
ber = 1e-5
[campaign]
dtypes = ["fp32"]
trials = 20
batch = 1000
output = "$dir/out.h5"
TOML
same_files() {  # every dataset and attribute but the creation time (tests/same_results.py)
  /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/same_results.py" "$1" "$2" || exit 1
}
"$wf" run "$dir/kill.toml" --data-root "$data_root" >"$dir/log" 2>&1 &
pid=$!
# The writer takes no HDF5 file lock: a reader opens the running file as it is.
finished=0
for _ in $(seq 1 1200); do
  finished=$("$wf" report "$dir/out.h5.partial" --format csv 2>/dev/null | awk -F, 'NR==2 {print $3}')
  [ -n "$finished" ] && [ "$finished" -ge 1 ] && break
  sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
echo "killed after seeing $finished finished trial(s)"
[ ! -e "$dir/out.h5" ] || { echo "FAIL: a killed run left $dir/out.h5 (it writes out.h5.partial)"; exit 1; }
csv=$("$wf" report "$dir/out.h5.partial" --format csv) || { echo "FAIL: the killed run's file does not open"; cat "$dir/log"; exit 1; }
echo "$csv"
read -r finished total < <(echo "$csv" | awk -F, 'NR==2 {print $3, $4}')
if [ "$finished" -gt 0 ] && [ "$finished" -lt "$total" ]; then
  echo "PASS: $finished of $total trials kept"
else
  echo "FAIL: expected 0 < finished < total, got $finished of $total"
  exit 1
fi
if "$wf" run "$dir/kill.toml" --data-root "$data_root" >"$dir/second.log" 2>&1 ||
   ! grep -q "another run is writing it" "$dir/second.log"; then
  echo "FAIL: a second run on the same output was not refused:"; cat "$dir/second.log"; exit 1
fi
echo "PASS: a second run on the same output is refused while out.h5.partial exists"
"$wf" run "$dir/kill.toml" --data-root "$data_root" --resume >"$dir/resume.log" 2>&1 ||
  { echo "FAIL: --resume failed:"; cat "$dir/resume.log"; exit 1; }
[ -e "$dir/out.h5" ] && [ ! -e "$dir/out.h5.partial" ] ||
  { echo "FAIL: --resume did not move out.h5.partial into place"; exit 1; }
sed "s|$dir/out.h5|$dir/whole.h5|" "$dir/kill.toml" >"$dir/whole.toml"
"$wf" run "$dir/whole.toml" --data-root "$data_root" >"$dir/whole.log" 2>&1 ||
  { echo "FAIL: the uninterrupted run failed"; cat "$dir/whole.log"; exit 1; }
same_files "$dir/out.h5" "$dir/whole.h5"
echo "PASS: the resumed run's file equals an uninterrupted run's"

# SIGTERM: the trial in flight finishes, the file says "interrupted" and resumes.
sed "s|$dir/out.h5|$dir/term.h5|" "$dir/kill.toml" >"$dir/term.toml"
"$wf" run "$dir/term.toml" --data-root "$data_root" >"$dir/term.log" 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
  finished=$("$wf" report "$dir/term.h5.partial" --format csv 2>/dev/null | awk -F, 'NR==2 {print $3}')
  [ -n "$finished" ] && [ "$finished" -ge 1 ] && break
  sleep 0.05
done
kill -TERM "$pid"
wait "$pid"
status=$?
[ "$status" -eq 130 ] && grep -q -- "--resume" "$dir/term.log" ||
  { echo "FAIL: SIGTERM gave exit $status:"; cat "$dir/term.log"; exit 1; }
/usr/bin/python3 -c "import h5py, sys; s = h5py.File(sys.argv[1], 'r').attrs['status']; sys.exit(0 if s in ('interrupted', b'interrupted') else 1)" "$dir/term.h5.partial" ||
  { echo "FAIL: the interrupted file's status is not 'interrupted'"; exit 1; }
"$wf" run "$dir/term.toml" --data-root "$data_root" --resume >"$dir/term_resume.log" 2>&1 ||
  { echo "FAIL: --resume after SIGTERM failed"; cat "$dir/term_resume.log"; exit 1; }
same_files "$dir/term.h5" "$dir/whole.h5"
echo "PASS: SIGTERM left an interrupted file; resumed, it equals an uninterrupted run's"

# kill -9 at arbitrary moments: in the set-up, after a random number of finished trials,
# and during a resume. The draws come from a fixed seed, so a failure can be replayed.
# (A run killed while it created its file has no trials; --resume starts it afresh.)
wait_finished() {  # wait_finished FILE N: until FILE's first cell has N finished trials
  local n=0
  for _ in $(seq 1 1200); do
    n=$("$wf" report "$1" --format csv 2>/dev/null | awk -F, 'NR==2 {print $3}')
    [ -n "$n" ] && [ "$n" -ge "$2" ] && return 0
    sleep 0.02
  done
}
finished_in() { "$wf" report "$1" --format csv 2>/dev/null | awk -F, 'NR==2 {print $3}'; }
RANDOM=14  # read in this shell only: a $(...) subshell reseeds it
for round in 1 2 3; do
  out=$dir/random_$round.h5
  sed "s|$dir/out.h5|$out|" "$dir/kill.toml" >"$dir/random_$round.toml"
  "$wf" run "$dir/random_$round.toml" --data-root "$data_root" >"$dir/random_$round.log" 2>&1 &
  pid=$!
  r=$RANDOM
  case $round in
    1) when="at 0.$((100 + r % 900)) s (set-up)"; sleep "0.$((100 + r % 900))" ;;
    2) when="after $((2 + r % 8)) finished trials"; wait_finished "$out.partial" $((2 + r % 8)) ;;
    3) when="after $((10 + r % 8)) finished trials"; wait_finished "$out.partial" $((10 + r % 8)) ;;
  esac
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  state="file has $(finished_in "$out.partial") finished trial(s) of 20"
  if [ "$round" -eq 3 ]; then  # and kill its resume once it has added trials
    before=$(finished_in "$out.partial")
    "$wf" run "$dir/random_$round.toml" --data-root "$data_root" --resume >/dev/null 2>&1 &
    pid=$!
    wait_finished "$out.partial" $((before + 1 + RANDOM % 2))
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    state="$state; its resume killed at $(finished_in "$out.partial")"
  fi
  "$wf" run "$dir/random_$round.toml" --data-root "$data_root" --resume >"$dir/random_resume_$round.log" 2>&1 ||
    { echo "FAIL: --resume after kill -9 $when failed:"; cat "$dir/random_resume_$round.log"; exit 1; }
  echo "kill -9 $when: $state"
  same_files "$out" "$dir/whole.h5"
done
echo "PASS: kill -9 at three moments, resumed, equals an uninterrupted run's file"
