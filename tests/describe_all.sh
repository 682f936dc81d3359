#!/usr/bin/env bash
# `weightfault describe NAME` works for every name `weightfault list` shows: each fault
# model, protection stage and dtype (q<m>.<n> as q1.6). The names come from the program's
# own registries, so a new entry is covered without editing this test.
set -euo pipefail
wf=$1
names=$("$wf" list | awk '
  /^fault models:/ {s = "m"; next} /^dtypes:/ {s = "d"; next} /^protections/ {s = "p"; next}
  /^address mappings:/ {s = ""; next}
  s == "m" || s == "p" {print $1}
  s == "d" {gsub(/\([^)]*\)/, ""); n = split($0, a, ","); for (i = 1; i <= n; i++) {gsub(/ /, "", a[i]); print a[i]}}')
count=0
for name in $names; do
  [ "$name" = none ] && continue
  [ "$name" = "q<m>.<n>" ] && name=q1.6
  out=$("$wf" describe "$name") || { echo "describe $name failed"; exit 1; }
  case "$out" in "$name: "*) ;; *) echo "describe $name printed: $out"; exit 1 ;; esac
  count=$((count + 1))
done
[ "$count" -ge 20 ] || { echo "only $count names described"; exit 1; }
echo "described $count names"
