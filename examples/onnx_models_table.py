#!/usr/bin/env python3
"""Tables (Markdown) and one plot of several BER-sweep results files, one section and
one row of panels per network (dtype x protection x BER). Every number comes from the
files; scripts/onnx_models_report.sh writes docs/results/onnx_models.md with it.

Usage: examples/onnx_models_table.py OUT.md OUT.png RESULTS.h5 [RESULTS.h5 ...]
"""
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from protections_table import describe, table_and_plot, text  # noqa: E402


def main():
    table_path, plot_path, *results = sys.argv[1:]
    files = [h5py.File(r, "r") for r in results]
    columns = max(len(f.attrs["dtypes"]) for f in files)
    fig, axes = plt.subplots(len(files), columns, figsize=(4.2 * columns, 3.6 * len(files)), squeeze=False)
    lines = []
    for row, (path, f) in enumerate(zip(results, files)):
        network = text(f.attrs["model"])
        lines += [f"## {network}: uniform bit-error rate", ""]
        lines += describe(f, path, "scripts/onnx_models_report.sh")
        lines += table_and_plot(f, axes[row])
        lines += [""]
    fig.suptitle("Imported ONNX networks: top-1 accuracy vs bit-error rate per dtype and protection "
                 "(95 % interval across trials)", fontsize=10)
    fig.tight_layout()
    fig.savefig(plot_path, dpi=100)
    with open(table_path, "w") as out:
        out.write("\n".join(lines))
    print(f"wrote {table_path} and {plot_path}")


if __name__ == "__main__":
    main()
