#!/usr/bin/env bash
# Regenerates docs/results/saf_and_subnetworks.md and its plots: runs each SAF
# study scenario (a normally trained model and its SAF twin under the same
# faults) and each sub-network scenario (layer_drop vs none), and tabulates them
# with the models' clean accuracy (base, sub-models, twins) and training time.
# Run after scripts/setup.sh and scripts/train_models.sh; extra arguments go to `run`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
pairs=(lenet5_mnist lenet5_fashion resnet_small_fashion)
files=()
for m in "${pairs[@]}"; do
  [ -f "data/models/$m.h5" ] && [ -f "data/models/${m}_saf.h5" ] || continue
  for s in "$m" "${m}_saf"; do
    build/weightfault run "scenarios/saf_$s.toml" --overwrite "$@" >/dev/null
    files+=("results/saf_$s.h5")
  done
done
/usr/bin/python3 examples/saf_table.py docs/results/saf_and_subnetworks.md \
  docs/results/saf_and_subnetworks.png "${files[@]}"
# Sub-networks: layer_drop vs none on the models with detachable layers (appended).
drops=()
for s in layer_drop_mlp_mnist layer_drop_mlp_fashion layer_drop_resnet_fashion \
  layer_drop_mlp_mnist_whole; do
  model=$(sed -n 's/^file = "\(.*\)"/\1/p' "scenarios/$s.toml")
  [ -f "$model" ] || continue
  build/weightfault run "scenarios/$s.toml" --overwrite "$@" >/dev/null
  drops+=("results/$s.h5")
done
if [ ${#drops[@]} -gt 0 ]; then
  /usr/bin/python3 examples/subnet_table.py docs/results/saf_and_subnetworks.md \
    docs/results/subnetworks_layer_drop.png "${drops[@]}"
fi
