#!/usr/bin/env python3
"""NEURON 9.0.2's PatternStim replaying spikes of two source gids onto
three IntFire1 cells, and the same spikes written as NDL inputs
(tests/patternstim/replay.ndl), for tests/patternstim.rs.

nmc does not compile pattern.mod (its C reads hoc Vectors through a
BBCOREPOINTER and fires gids with nrn_fake_fire); its E0401 help says an
NDL `input` does the same. This pins that claim: NEURON with PatternStim
and nmc with inputs must give the same spikes, bit for bit.

How to run:

    /tmp/nrnenv/bin/python reference/make_patternstim.py

NEURON side: ParallelContext gids 0-2 are IntFire1 cells (tau 8 ms,
refrac 3 ms) on this machine; gids 10 and 11 are not, and reach the
cells through pc.gid_connect (10 -> cells 0, 1 with weight 0.6, delay
1.5 ms; 11 -> cells 1, 2 with weight 0.45, delay 2.25 ms);
`PatternStim.play(tvec, gidvec)` replays 60 (time, gid) pairs, times on a
1/64 ms grid in (1, 150) ms (numpy seed 7), sorted by time. Fixed step dt
0.025 ms, finitialize(-65), round(tstop/dt) fadvance calls; spikes of
gids 0-2 from pc.spike_record.

Output: tests/golden/patternstim/spikes.json (the pattern and NEURON's
spikes, sorted by gid then time, exact) and tests/patternstim/replay.ndl.
"""
import json
import os

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "tests", "golden", "patternstim")
NDL = os.path.join(REPO, "tests", "patternstim", "replay.ndl")
TSTOP, DT = 200.0, 0.025
# source gid -> (first target, last target, weight, delay)
SOURCES = {10: (0, 1, 0.6, 1.5), 11: (1, 2, 0.45, 2.25)}


def pattern():
    rng = np.random.RandomState(7)
    times = np.sort(rng.randint(64, 150 * 64, size=60)) / 64.0
    gids = rng.randint(10, 12, size=60)
    # No two spikes of one source at the same time.
    seen, out = set(), []
    for t, g in zip(times.tolist(), gids.tolist()):
        if (g, t) not in seen:
            seen.add((g, t))
            out.append((t, g))
    return out


def main():
    from neuron import h
    pc = h.ParallelContext()
    cells, keep = [], []
    for gid in range(3):
        c = h.IntFire1()
        c.tau, c.refrac = 8.0, 3.0
        pc.set_gid2node(gid, pc.id())
        nc = h.NetCon(c, None)
        pc.cell(gid, nc)
        cells.append(c)
        keep.append(nc)
    # Targets in cell order, then sources in gid order (nmc's order).
    for t in range(3):
        for src, (lo, hi, w, d) in SOURCES.items():
            if lo <= t <= hi:
                nc = pc.gid_connect(src, cells[t])
                nc.weight[0], nc.delay = w, d
                keep.append(nc)
    pairs = pattern()
    tvec = h.Vector([t for t, _ in pairs])
    gidvec = h.Vector([g for _, g in pairs])
    ps = h.PatternStim()
    ps.play(tvec, gidvec)
    tv, idv = h.Vector(), h.Vector()
    pc.spike_record(-1, tv, idv)
    h.dt = DT
    h.secondorder = 0
    h.CVode().active(0)
    h.finitialize(-65)
    for _ in range(int(round(TSTOP / DT))):
        h.fadvance()
    spikes = sorted(zip((int(g) for g in idv), tv))
    assert all(g < 3 for g, _ in spikes), "only the cells spike"
    os.makedirs(OUT, exist_ok=True)
    out = {
        "generator": "reference/make_patternstim.py",
        "neuron_version": h.nrnversion(5),
        "network": "tests/patternstim/replay.ndl",
        "pattern_times": [t for t, _ in pairs],
        "pattern_gids": [g for _, g in pairs],
        "gids": [g for g, _ in spikes],
        "times": [t for _, t in spikes],
    }
    path = os.path.join(OUT, "spikes.json")
    with open(path + ".tmp", "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print("wrote", path, len(spikes), "spikes")
    lines = [
        "// Written by reference/make_patternstim.py: the spikes NEURON's",
        "// PatternStim replays there (gids 10 and 11) as NDL inputs onto three",
        "// IntFire1 cells; tests/patternstim.rs compares with NEURON's spikes.",
        "network replay",
        "",
        "population lif = 3 of IntFire1 { tau = 8 ms; refrac = 3 ms }",
    ]
    for src in SOURCES:
        ts = ", ".join(repr(t) for t, g in pairs if g == src)
        lines.append(f"input g{src} = spikes [{ts}] ms")
    for src, (lo, hi, w, d) in SOURCES.items():
        lines.append(f"connect g{src} -> lif[{lo}..={hi}] {{ weight = {w!r}; delay = {d!r} ms }}")
    lines += [
        f"run {{ tstop = {TSTOP!r} ms; dt = {DT!r} ms }}",
        'output { dir = "output"; spikes = "spikes.h5" }',
        "",
    ]
    os.makedirs(os.path.dirname(NDL), exist_ok=True)
    with open(NDL, "w") as f:
        f.write("\n".join(lines))
    print("wrote", NDL)


if __name__ == "__main__":
    main()
