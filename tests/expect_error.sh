#!/usr/bin/env bash
# Usage: expect_error.sh [--exit N] [--lines any] REGEX COMMAND...
# Passes when COMMAND exits with status N (default 1, bad input), prints exactly one
# line on stderr (or, with --lines any, at least one: scenario checks list every
# problem; CLI11's usage errors add a "Run with --help" line), and stderr matches
# REGEX. A crash, an internal error or a different exit status fails.
set -u
want_status=1 any_lines=0
while :; do
  case $1 in
    --exit) want_status=$2; shift 2 ;;
    --lines) [ "$2" = any ] && any_lines=1; shift 2 ;;
    *) break ;;
  esac
done
regex=$1
shift
stderr_file=$(mktemp)
"$@" >/dev/null 2>"$stderr_file"
status=$?
lines=$(wc -l <"$stderr_file")
message=$(cat "$stderr_file")
rm -f "$stderr_file"
echo "exit status: $status"
echo "stderr: $message"
[ "$status" -eq "$want_status" ] || { echo "FAIL: expected exit status $want_status"; exit 1; }
if [ "$any_lines" -eq 1 ]; then
  [ "$lines" -ge 1 ] || { echo "FAIL: expected a message on stderr"; exit 1; }
else
  [ "$lines" -eq 1 ] || { echo "FAIL: expected one line on stderr, got $lines"; exit 1; }
fi
case $message in *"internal error"*) echo "FAIL: an internal error"; exit 1 ;; esac
echo "$message" | grep -Eq -- "$regex" || { echo "FAIL: stderr does not match: $regex"; exit 1; }
echo "PASS"
