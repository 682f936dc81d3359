#!/usr/bin/python3
"""Trains networks in PyTorch and exports them to ONNX for weightfault's import
(docs/onnx.md). Uses Debian's python3-torch; set-up and tests never need it.

For each network it writes data/models/onnx/<name>.onnx and <name>.json beside it:
PyTorch's correct count on the test split, the logits of the first 64 test images,
its test-set images/s on this machine (2 threads, batch 64, 256 and 1000, median of 3
passes over the first 2000 test images; the best is `pytorch_images_per_second`), the training seed,
epochs and time. tests/test_onnx_import.cpp checks that the import reproduces them.

Usage (from the repository root, after scripts/setup.sh):
  /usr/bin/python3 scripts/export_onnx_models.py [--only NAME] [--epochs N] [--speed-only]
"""
import argparse
import gzip
import json
import pathlib
import struct
import time

import numpy as np
import torch
import torch.nn as nn

ROOT = pathlib.Path(__file__).resolve().parent.parent


def read_idx(path):
    path = pathlib.Path(path)
    if not path.exists() and pathlib.Path(str(path) + ".gz").exists():
        path = pathlib.Path(str(path) + ".gz")
    data = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    magic, = struct.unpack(">I", data[:4])
    dims = struct.unpack(">" + "I" * (magic & 0xFF), data[4:4 + 4 * (magic & 0xFF)])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def load(dataset, split):
    folder = ROOT / "data" / "external" / dataset
    prefix = "t10k" if split == "test" else "train"
    images = read_idx(folder / f"{prefix}-images-idx3-ubyte").astype(np.float32) / 255.0
    labels = read_idx(folder / f"{prefix}-labels-idx1-ubyte").astype(np.int64)
    return torch.from_numpy(images[:, None, :, :].copy()), torch.from_numpy(labels.copy())


class ResidualDepthwiseCNN(nn.Module):
    """A small ResNet-style CNN: a stem, a residual block with batch norms, a
    depthwise-separable block, global average pooling and a linear classifier."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.block = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                   nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16))
        self.pool = nn.MaxPool2d(2)
        self.separable = nn.Sequential(
            nn.Conv2d(16, 16, 3, padding=1, groups=16), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 1), nn.BatchNorm2d(32), nn.ReLU())
        self.head = nn.Sequential(nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.BatchNorm2d(64),
                                  nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(64, 10))

    def forward(self, x):
        x = self.stem(x)
        x = torch.relu(x + self.block(x))
        x = self.pool(x)
        x = self.separable(x)
        return self.head(x)


class WideCNN(nn.Module):
    """Two convolutions and a wide classifier: 5.06 million weights, so the stored
    weights span many banks and rows of the simulated memory."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 7 * 7, 3200), nn.ReLU(),
                                        nn.Dropout(0.3), nn.Linear(3200, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class Attention(nn.Module):
    """Multi-head self-attention written out, as a user's own ViT would export it."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        n, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=-1)
        q = q.reshape(n, t, self.heads, self.head_dim).transpose(1, 2)
        k = k.reshape(n, t, self.heads, self.head_dim).transpose(1, 2)
        v = v.reshape(n, t, self.heads, self.head_dim).transpose(1, 2)
        attention = (q @ k.transpose(-2, -1)) * self.head_dim ** -0.5
        out = attention.softmax(dim=-1) @ v
        return self.proj(out.transpose(1, 2).reshape(n, t, d))


class Block(nn.Module):
    """Pre-norm transformer block: attention and a GELU MLP, each with a residual."""

    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attention = Attention(dim, heads)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TinyViT(nn.Module):
    """A ViT-style classifier: 7x7 patch convolution, class token, position embedding,
    pre-norm blocks with attention and GELU MLPs, a final norm and a linear head."""

    def __init__(self, dim=64, depth=2, heads=4, hidden=128, patch=7):
        super().__init__()
        self.patches = nn.Conv2d(1, dim, patch, stride=patch)
        tokens = (28 // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.position = nn.Parameter(torch.randn(1, tokens + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(dim, heads, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.patches(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.position
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


NETWORKS = {
    # name: (class, dataset, epochs, ONNX opset; 17 exports LayerNormalization as one node)
    "resnet_dw_mnist": (ResidualDepthwiseCNN, "mnist", 3, 13),
    "wide_cnn_fashion": (WideCNN, "fashion-mnist", 1, 13),
    "vit_mnist": (TinyViT, "mnist", 6, 17),
}


def evaluate(model, images, labels):
    model.eval()
    correct, logits = 0, []
    with torch.no_grad():
        for start in range(0, len(images), 256):
            out = model(images[start:start + 256])
            correct += int((out.argmax(1) == labels[start:start + 256]).sum())
            logits.append(out)
    return correct, torch.cat(logits)


BATCHES = (64, 256, 1000)


def images_per_second(model, images, batch):
    """Median of 3 passes over the images at one batch size (as bench_inference)."""
    model.eval()
    rates = []
    with torch.no_grad():
        model(images[:batch])
        for _ in range(3):
            start = time.perf_counter()
            for s in range(0, len(images), batch):
                model(images[s:s + batch])
            rates.append(len(images) / (time.perf_counter() - start))
    return sorted(rates)[1]


def speed_record(model, images):
    """PyTorch's images/s on this machine at 2 threads for each batch size, and the best
    (on the first 2000 test images: the wide network runs at a few hundred per second)."""
    torch.set_num_threads(2)
    images = images[:2000]
    by_batch = {str(b): images_per_second(model, images, b) for b in BATCHES}
    best = max(by_batch, key=by_batch.get)
    return {
        "pytorch_images_per_second": by_batch[best],
        "pytorch_batch": int(best),
        "pytorch_images_per_second_by_batch": by_batch,
        "pytorch_threads": 2,
    }


def measure_speed_only(name):
    """Re-measures PyTorch's speed for a shipped network without retraining: the same
    architecture with its initial weights (the rate of dense float kernels does not
    depend on the weight values); updates the speed fields of its JSON."""
    make, dataset = NETWORKS[name][:2]
    torch.manual_seed(1)
    model = make()
    test_x, _ = load(dataset, "test")
    path = ROOT / "data" / "models" / "onnx" / f"{name}.json"
    record = json.loads(path.read_text())
    record.update(speed_record(model, test_x))
    record["pytorch_speed_note"] = ("measured by --speed-only on the architecture with its initial "
                                    "weights (rates do not depend on weight values)")
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"{name}: PyTorch {record['pytorch_images_per_second']:.0f} images/s at batch "
          f"{record['pytorch_batch']} ({record['pytorch_images_per_second_by_batch']})")


def train_and_export(name, epochs_override):
    make, dataset, epochs, opset = NETWORKS[name]
    epochs = epochs_override or epochs
    torch.manual_seed(1)
    torch.set_num_threads(2)
    model = make()
    train_x, train_y = load(dataset, "train")
    test_x, test_y = load(dataset, "test")
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(1)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        for b in range(0, len(order) - 127, 128):
            idx = order[b:b + 128]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(train_x[idx]), train_y[idx])
            loss.backward()
            optimizer.step()
        correct, _ = evaluate(model, test_x, test_y)
        print(f"{name}: epoch {epoch + 1}/{epochs} test accuracy {correct / len(test_x):.4f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    seconds = time.perf_counter() - start
    correct, logits = evaluate(model, test_x, test_y)
    out = ROOT / "data" / "models" / "onnx"
    out.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, test_x[:1], out / f"{name}.onnx", input_names=["image"],
                      output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=opset)
    record = {
        "network": name,
        "dataset": f"{dataset}/test",
        "input_scale": 1 / 255,
        "test_images": len(test_x),
        "test_correct": correct,
        "test_accuracy": correct / len(test_x),
        "first_logits": logits[:64].tolist(),
        **speed_record(model, test_x),
        "pytorch_version": torch.__version__,
        "parameters": sum(p.numel() for p in model.parameters()),
        "seed": 1,
        "opset": opset,
        "epochs": epochs,
        "training_seconds": seconds,
        "command": "scripts/export_onnx_models.py",
    }
    (out / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"{name}: {correct}/{len(test_x)} correct; wrote {out / name}.onnx and .json")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(NETWORKS))
    parser.add_argument("--epochs", type=int, default=0)
    parser.add_argument("--speed-only", action="store_true",
                        help="only re-measure PyTorch's images/s of the shipped networks")
    args = parser.parse_args()
    for name in NETWORKS:
        if args.only in (None, name):
            if args.speed_only:
                measure_speed_only(name)
            else:
                train_and_export(name, args.epochs)


if __name__ == "__main__":
    main()
