#!/usr/bin/env bash
# Regenerates docs/results/protections_ber.md and its plot from a fresh run of
# scenarios/protections_ber.toml. Run from anywhere after scripts/setup.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -f data/models/mnist_cnn_clip.h5 ] || [ data/models/mnist_cnn.h5 -nt data/models/mnist_cnn_clip.h5 ]; then
  build/weightfault tune-clip data/models/mnist_cnn.h5 -o data/models/mnist_cnn_clip.h5 --overwrite
fi
build/weightfault run scenarios/protections_ber.toml --overwrite "$@"
/usr/bin/python3 examples/protections_table.py results/protections_ber.h5 \
  docs/results/protections_ber.md docs/results/protections_ber.png
