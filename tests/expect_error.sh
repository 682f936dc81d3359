#!/usr/bin/env bash
# Usage: expect_error.sh REGEX COMMAND...
# Passes when COMMAND exits with status 1 (bad input), prints exactly one line
# on stderr, and that line matches REGEX. A crash or internal error fails.
set -u
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
[ "$status" -eq 1 ] || { echo "FAIL: expected exit status 1"; exit 1; }
[ "$lines" -eq 1 ] || { echo "FAIL: expected one line on stderr, got $lines"; exit 1; }
echo "$message" | grep -Eq -- "$regex" || { echo "FAIL: stderr does not match: $regex"; exit 1; }
echo "PASS"
