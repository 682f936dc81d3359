#!/usr/bin/env python3
"""Draws a fault map from `weightfault faultmap ... --data map.json`.

Left: the whole memory, bank by row (rows holding the stored weights), each bank split into
its devices; right: the bank with the most faults, device by device, column by row. Faults are coloured by kind; the first row of
each stored tensor is marked and named. Usage:

    build/weightfault faultmap scenarios/dram_datacenter_aging.toml --point 2 --at 3e8 \
        -o map.png --data map.json
    /usr/bin/python3 examples/plot_faultmap.py map.json map_matplotlib.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

COLOURS = {"flip": "#d62728", "stuck_at_0": "#1f77b4", "stuck_at_1": "#2ca02c"}
LABELS = {"flip": "flip", "stuck_at_0": "stuck at 0 / reads 0", "stuck_at_1": "stuck at 1 / reads 1"}


def span(pair):
    lo, hi = pair
    return lo, hi - lo + 1


def main(data_path, png_path):
    with open(data_path) as f:
        d = json.load(f)
    g = d["geometry"]
    rows = max(1, d["rows_shown"])
    focus = d["focus_bank"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 6.2), gridspec_kw={"width_ratios": [1, 1.25]})
    devices = g.get("devices", 1)
    data_devices = g.get("data_devices", devices)
    columns = g["columns"]

    # Left: each bank's band split into its devices, a cell placed by its column inside
    # its device's strip. Right: the focus bank, device strips side by side by column.
    def left_x(bank, chip, column):
        return bank + 0.05 + 0.9 * (chip + column / columns) / devices

    counts = {k: 0 for k in COLOURS}
    # Cells as one scatter per kind and panel (hundreds of thousands draw fast that way);
    # rows, columns, banks and devices as rectangles.
    cells = {k: ([], [], [], []) for k in COLOURS}  # left x, left y, right x, right y
    for fault in d["faults"]:
        kind = fault["kind"]
        counts[kind] += 1
        b0, nb = span(fault["bank"])
        r0, nr = span(fault["row"])
        c0, nc = span(fault["column"])
        chip = fault.get("chip", 0)
        colour = COLOURS[kind]
        if nb == 1 and nr == 1 and nc == 1:
            cells[kind][0].append(left_x(b0, chip, c0 + 0.5))
            cells[kind][1].append(r0 + 0.5)
            if b0 == focus:
                cells[kind][2].append(chip * columns + c0 + 0.5)
                cells[kind][3].append(r0 + 0.5)
            continue
        for b in range(b0, b0 + nb):
            x0 = left_x(b, chip, c0)
            left.add_patch(Rectangle((x0, r0), max(left_x(b, chip, c0 + nc) - x0, 0.004), nr,
                                     color=colour, alpha=0.7, lw=0))
        if b0 <= focus < b0 + nb:
            right.add_patch(Rectangle((chip * columns + c0, r0), max(nc, columns / 200), nr,
                                      color=colour, alpha=0.7, lw=0))
    for kind, (lx, ly, rx, ry) in cells.items():
        size = 4 if len(lx) < 20000 else 1
        left.scatter(lx, ly, s=size, color=COLOURS[kind], marker=".", linewidths=0)
        right.scatter(rx, ry, s=size, color=COLOURS[kind], marker=".", linewidths=0)
    # Device strips: thin lines between devices, ECC devices shaded.
    for b in range(g["banks"]):
        for k in range(1, devices):
            left.axvline(left_x(b, k, 0), color="white", lw=0.4)
        if devices > data_devices:
            left.axvspan(left_x(b, data_devices, 0), left_x(b, devices, 0), color="#d9dde6", lw=0,
                         zorder=0)
    for k in range(1, devices):
        right.axvline(k * columns, color="white", lw=1.0)
    if devices > data_devices:
        right.axvspan(data_devices * columns, devices * columns, color="#d9dde6", lw=0, zorder=0)
    # Tensor boundaries: the first row of each stored tensor (its name on the right panel).
    named = [s for s in d["segments"] if s["tensor_data"]]
    for s in d["segments"]:
        for ax in (left, right):
            ax.axhline(s["first_row"], color="#5a6ec8", lw=0.6, alpha=0.6)
    # Names right of the panel, moved apart where tensors start in nearby rows.
    label_row, gap = -rows, rows * 0.035
    for s in sorted(named, key=lambda s: s["first_row"]):
        label_row = max(s["first_row"], label_row + gap)
        right.annotate(s["name"], xy=(devices * columns, s["first_row"]),
                       xytext=(devices * columns * 1.03, label_row), fontsize=7, color="#3b4a9a",
                       va="center", annotation_clip=False,
                       arrowprops={"arrowstyle": "-", "color": "#5a6ec8", "lw": 0.5})
    for ax in (left, right):
        ax.set_ylim(rows, 0)  # row 0 at the top, as memory is drawn
        ax.set_facecolor("#eef1f5")
    left.set_xlim(0, g["banks"])
    left.set_xticks([b + 0.5 for b in range(g["banks"])])
    left.set_xticklabels([str(b) for b in range(g["banks"])])
    for b in range(1, g["banks"]):
        left.axvline(b, color="white", lw=1.5)
    left.set_xlabel(f"bank (each split into its {devices} devices)")
    left.set_ylabel("row")
    left.set_title("whole memory: bank x row")
    right.set_xlim(0, devices * columns)
    right.set_xticks([(k + 0.5) * columns for k in range(devices)])
    right.set_xticklabels([f"{'dev' if k < data_devices else 'ECC'} {k}" for k in range(devices)],
                          fontsize=8)
    right.set_xlabel(f"device, then column 0..{columns - 1} inside it")
    right.set_ylabel("row")
    right.set_title(f"bank {focus} (most faults): device and column x row")
    handles = [Patch(color=COLOURS[k], label=f"{LABELS[k]} ({counts[k]})") for k in COLOURS]
    handles.append(Patch(color="#5a6ec8", label="first row of a stored tensor"))
    fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False)
    total = sum(counts.values())
    fig.suptitle(f"{d['scenario']}: point {d['point']}, trial {d['trial']}, "
                 f"t = {d['at_s']:.4g} s: {total} active faults (rows holding weights: 0..{rows - 1})")
    fig.tight_layout(rect=(0, 0.06, 0.9, 0.95))
    fig.savefig(png_path, dpi=110)
    print(f"{png_path}: {total} faults")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: plot_faultmap.py map.json out.png")
    main(sys.argv[1], sys.argv[2])
