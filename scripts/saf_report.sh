#!/usr/bin/env bash
# Regenerates docs/results/saf_and_subnetworks.md and its plot: runs each SAF
# study scenario (a normally trained model and its SAF twin under the same
# faults) and tabulates them with the models' clean accuracy and training time.
# Run after scripts/setup.sh and scripts/train_models.sh; extra arguments go to `run`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
pairs=(lenet5_mnist lenet5_fashion resnet_small_fashion)
files=()
for m in "${pairs[@]}"; do
  [ -f "data/models/$m.h5" ] && [ -f "data/models/${m}_saf.h5" ] || continue
  for s in "$m" "${m}_saf"; do
    build/weightfault run "scenarios/saf_$s.toml" "$@" >/dev/null
    files+=("results/saf_$s.h5")
  done
done
/usr/bin/python3 examples/saf_table.py docs/results/saf_and_subnetworks.md \
  docs/results/saf_and_subnetworks.png "${files[@]}"
