#!/usr/bin/env python3
"""Compares two SONATA output folders (nmc's and BMTK + NEURON's): spikes
per node (count, largest time difference) and every compartment report
(largest absolute difference, after matching cells by population and node
id and elements by section id and position). Prints one line per file and
exits 1 when a spike count or a report's shape differs.

usage: bmtk_compare.py NMC_OUTPUT_DIR BMTK_OUTPUT_DIR
"""
import os
import sys

import h5py
import numpy as np


def spikes(path):
    out = {}
    with h5py.File(path, "r") as f:
        for pop, g in f["spikes"].items():
            ids = np.asarray(g["node_ids"])
            ts = np.asarray(g["timestamps"])
            for i, t in zip(ids, ts):
                out.setdefault((pop, int(i)), []).append(float(t))
    return {k: sorted(v) for k, v in out.items()}


def report(path):
    out = {}
    with h5py.File(path, "r") as f:
        for pop, g in f["report"].items():
            data = np.asarray(g["data"])
            m = g["mapping"]
            ids = np.asarray(m["node_ids"])
            ptr = np.asarray(m["index_pointer"])
            eid = np.asarray(m["element_ids"])
            pos = np.asarray(m["element_pos"])
            for k, n in enumerate(ids):
                cols = range(ptr[k], ptr[k + 1])
                keys = [(int(eid[c]), round(float(pos[c]), 9), j) for j, c in enumerate(cols)]
                out[(pop, int(n))] = (keys, data[:, ptr[k]:ptr[k + 1]])
    return out


def main():
    ours, theirs = sys.argv[1], sys.argv[2]
    ok = True
    a = spikes(os.path.join(ours, "spikes.h5"))
    b = spikes(os.path.join(theirs, "spikes.h5"))
    count_ok = set(a) == set(b) and all(len(a[k]) == len(b[k]) for k in a)
    worst = 0.0
    for k in set(a) & set(b):
        if len(a[k]) == len(b[k]) and a[k]:
            worst = max(worst, float(np.max(np.abs(np.array(a[k]) - np.array(b[k])))))
    na, nb = sum(map(len, a.values())), sum(map(len, b.values()))
    diff_cells = sorted(k for k in set(a) | set(b) if len(a.get(k, [])) != len(b.get(k, [])))
    print(f"spikes.h5: nmc {na}, BMTK {nb}; counts per cell {'equal' if count_ok else 'DIFFER ' + str(diff_cells[:8])}; "
          f"largest time difference {worst:.3g} ms")
    ok &= count_ok
    for name in sorted(os.listdir(theirs)):
        if not name.endswith(".h5") or name == "spikes.h5":
            continue
        p = os.path.join(ours, name)
        if not os.path.exists(p):
            print(f"{name}: MISSING in nmc's output")
            ok = False
            continue
        try:
            ra, rb = report(p), report(os.path.join(theirs, name))
        except KeyError as e:
            print(f"{name}: not a compartment report ({e})")
            continue
        worst, shape_ok = 0.0, set(ra) == set(rb)
        for k in set(ra) & set(rb):
            (ka, da), (kb, db) = ra[k], rb[k]
            if [x[:2] for x in ka] != [x[:2] for x in kb] or da.shape != db.shape:
                shape_ok = False
                continue
            if da.size:
                worst = max(worst, float(np.nanmax(np.abs(da - db))))
        ok &= shape_ok
        print(f"{name}: {len(rb)} cells, {'same elements' if shape_ok else 'ELEMENTS DIFFER'}; "
              f"largest difference {worst:.3g}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
