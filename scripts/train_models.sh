#!/usr/bin/env bash
# Trains every shipped model from its definition in model_definitions/ into
# data/models/ (the command and seed are recorded in each model file), and
# prints each one's training time and test accuracy. Run after scripts/setup.sh.
# Arguments: model names to train (default: all).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=(lenet5_mnist lenet5_mnist_saf lenet5_fashion lenet5_fashion_saf resnet_small_fashion
    resnet_small_fashion_saf mlp_mnist mlp_mnist_subnet mlp_fashion mlp_fashion_subnet
    resnet_nobn_fashion_subnet resnet_nobn_fashion)
fi
for m in "${models[@]}"; do
  build/weightfault train "model_definitions/$m.toml" -o "data/models/$m.h5" --overwrite
done
