#!/usr/bin/env bash
# Usage: with_file_size_limit.sh KIB COMMAND...
# Runs COMMAND with files limited to KIB KiB (writes beyond fail with EFBIG, as on a
# full disk; SIGXFSZ ignored so the write fails instead of killing the process).
kib=$1
shift
trap '' XFSZ
ulimit -f "$kib"
exec "$@"
