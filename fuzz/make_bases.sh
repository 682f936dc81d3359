#!/usr/bin/env bash
# Rewrites the committed base files of the HDF5 fuzzers (fuzz/bases/): a Keras file of
# every supported layer kind, and two small results files. Run from the repository
# root after a build; commit what changes.
set -euo pipefail
/usr/bin/python3 fuzz/make_bases.py
build/weightfault run fuzz/bases/results_finished.toml --overwrite
build/weightfault run fuzz/bases/results_timeline.toml --overwrite
