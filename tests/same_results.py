#!/usr/bin/python3
"""Usage: same_results.py A.h5 B.h5 -- exits 0 when two results files hold the same
datasets and attributes, except what may differ between equal runs: the creation time,
the scenario file's name and text (runs of copies of one scenario), and the number of
MPI ranks. NaN equals NaN."""
import sys

import h5py
import numpy as np

a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
skip = {"created_utc", "scenario_file", "scenario_text", "mpi_ranks"}
problems = []


def same(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype.kind == "f":
        return x.shape == y.shape and np.array_equal(x, y, equal_nan=True)
    return x.shape == y.shape and np.array_equal(x, y)


def visit(name, obj):
    other = b.get(name) if name else b
    if other is None:
        problems.append(f"{name}: missing in {sys.argv[2]}")
        return
    for key, value in obj.attrs.items():
        if key not in skip and not same(value, other.attrs.get(key)):
            problems.append(f"{name}@{key} differs")
    if isinstance(obj, h5py.Dataset) and not same(obj[()], other[()]):
        problems.append(f"{name} differs")


visit("", a)
a.visititems(visit)
# And nothing in B that A lacks.
b.visititems(lambda name, obj: problems.append(f"{name}: missing in {sys.argv[1]}")
             if a.get(name) is None else None)
print("\n".join(problems) or "the two results files are equal")
sys.exit(1 if problems else 0)
