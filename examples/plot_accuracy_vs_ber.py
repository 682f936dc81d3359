#!/usr/bin/env python3
"""Accuracy vs bit-error rate, one line with a 95 % band per dtype, from a
weightfault results file (h5py + matplotlib, Debian's python3-h5py and
python3-matplotlib).

Usage: examples/plot_accuracy_vs_ber.py results/quickstart.h5 [-o accuracy_vs_ber.png]
"""
import argparse
import math

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy_free_t import t_quantile_975  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("-o", "--output", default="accuracy_vs_ber.png")
    parser.add_argument("--protection", default="none")
    args = parser.parse_args()

    with h5py.File(args.results, "r") as f:
        ber = f["sweep/ber"][:]
        dtypes = [d.decode() if isinstance(d, bytes) else d for d in f.attrs["dtypes"]]
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for dtype in dtypes:
            cell = f[f"results/{args.protection}/{dtype}"]
            acc = cell["accuracy"][:, :, -1]  # [points][trials] at the last checkpoint
            mean = np.nanmean(acc, axis=1)
            n = np.sum(~np.isnan(acc), axis=1)
            sd = np.nanstd(acc, axis=1, ddof=1)
            half = np.array([t_quantile_975(k - 1) * s / math.sqrt(k) if k > 1 else np.nan for k, s in zip(n, sd)])
            line, = ax.plot(ber, 100 * mean, marker="o", label=f"{dtype} (fault-free {100 * cell['reference_accuracy'][0]:.2f} %)")
            ax.fill_between(ber, 100 * (mean - half), 100 * np.minimum(mean + half, 1.0), color=line.get_color(), alpha=0.2)
        ax.set_xscale("log")
        ax.set_xlabel("bit-error rate (flips per stored bit)")
        ax.set_ylabel("top-1 accuracy (%)")
        ax.set_ylim(0, 100)
        trials = acc.shape[1]
        ax.set_title(f"{f.attrs['model']} on {f.attrs['dataset']} ({f.attrs['images'][0]} images), "
                     f"{trials} trials per point, 95 % interval", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="lower left", fontsize=9)
        fig.tight_layout()
        fig.savefig(args.output, dpi=120)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
