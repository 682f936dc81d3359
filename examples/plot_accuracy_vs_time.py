#!/usr/bin/env python3
"""Accuracy vs simulated time from a weightfault results file: one line per
protection x dtype (x sweep point) with its 95 % t interval as a band.

    /usr/bin/python3 examples/plot_accuracy_vs_time.py results/leo_satellite_sram.h5 out.png
"""
import argparse
import math

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy_free_t import t_quantile_975  # noqa: E402

YEAR = 365.25 * 86400


def summary(values):
    """Mean and 95 % t interval over the finished (non-NaN) trials."""
    done = values[~np.isnan(values)]
    n = len(done)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(done.mean())
    if n < 2:
        return mean, mean, mean
    half = t_quantile_975(n - 1) * float(done.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results")
    parser.add_argument("png")
    args = parser.parse_args()
    with h5py.File(args.results, "r") as f:
        times = f["time_s"][:]
        sweep = {name: f["sweep"][name][:] for name in f["sweep"]}
        protections = list(f.attrs["protections"])
        dtypes = list(f.attrs["dtypes"])
        points = len(next(iter(sweep.values()))) if sweep else 1
        fig, axes = plt.subplots(1, points, figsize=(6.4 * points, 4.6), squeeze=False,
                                 sharey=True)
        for p in range(points):
            ax = axes[0][p]
            for prot in protections:
                for dtype in dtypes:
                    acc = f["results"][prot][dtype]["accuracy"][p]  # [N][T]
                    stats = [summary(acc[:, t]) for t in range(len(times))]
                    mean = np.array([s[0] for s in stats])
                    low = np.array([s[1] for s in stats])
                    high = np.array([s[2] for s in stats])
                    line, = ax.plot(times / YEAR, mean, marker="o", ms=3,
                                    label=f"{prot} / {dtype}")
                    ax.fill_between(times / YEAR, np.clip(low, 0, 1), np.clip(high, 0, 1),
                                    color=line.get_color(), alpha=0.18)
            ax.set_xscale("log")
            ax.set_xlabel("simulated time (years)")
            title = ", ".join(f"{k} = {v[p]:g}" for k, v in sweep.items())
            ax.set_title(title)
            ax.grid(True, which="both", alpha=0.3)
        axes[0][0].set_ylabel("test accuracy (mean, 95 % interval)")
        axes[0][-1].legend(fontsize=8, loc="lower left")
        fig.suptitle(f"{f.attrs['scenario_file']}: accuracy vs simulated time")
        fig.tight_layout()
        fig.savefig(args.png, dpi=110)


if __name__ == "__main__":
    main()
