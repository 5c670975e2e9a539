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

Second network (`main_pattern`): the same PatternStim written in NDL as
`input ps = PatternStim { times = [...] ms; gids = [...] }`, which nmc
replays itself. Cells gids 0-2 IntFire1 (tau 6 ms, refrac 2 ms) and 3-4
IntFire2 (taum 10 ms, taus 20 ms, ib 0.6), so spike times are computed
from the event times; 260 pairs (more than the 102 PatternStim sends in
its first group) of gids 20-24 at times rounded to 1e-4 ms in (0.5, 180) ms
(numpy seed 11), sorted by time, with ties of one time on two gids and
events of two sources reaching one cell at one time; gid 23 has no
connection and gid 24 none either (both fired into nothing, as NEURON
does). Output: tests/golden/patternstim/pattern_stim.json and
tests/patternstim/pattern_stim.ndl.

Third network (`main_trace`): two hh cells (soma 20 um x 20 um, ena 50
mV, ek -77 mV, 6.3 degC, v_init -65 mV) each with ExpSyn synapses at
soma(0.5), one per connection, driven by a PatternStim of 150 pairs of
gids 30-32 (times rounded to 1e-3 ms, numpy seed 5); spike threshold -20
mV. Output: tests/golden/patternstim/pattern_trace.json (the spikes and
the soma voltage of both cells at every step) and
tests/patternstim/pattern_trace.ndl.
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


def replay(h, pc, pairs):
    """A PatternStim playing `pairs` (time, gid) and every gid's spikes
    recorded: (the PatternStim, spike times, spike gids), to keep alive."""
    ps = h.PatternStim()
    ps.play(h.Vector([t for t, _ in pairs]), h.Vector([g for _, g in pairs]))
    tv, idv = h.Vector(), h.Vector()
    pc.spike_record(-1, tv, idv)
    return ps, tv, idv


def run(h, tstop):
    """Fixed steps of DT from -65 mV to `tstop`."""
    h.dt = DT
    h.secondorder = 0
    h.CVode().active(0)
    h.finitialize(-65)
    for _ in range(int(round(tstop / DT))):
        h.fadvance()


def write_json(name, out, indent=None):
    """Writes `out` to OUT/`name` (through a temporary file)."""
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path + ".tmp", "w") as f:
        json.dump(out, f, indent=indent)
        f.write("\n")
    os.replace(path + ".tmp", path)
    return path


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
    ps, tv, idv = replay(h, pc, pairs)
    run(h, TSTOP)
    spikes = sorted(zip((int(g) for g in idv), tv))
    assert all(g < 3 for g, _ in spikes), "only the cells spike"
    out = {
        "generator": "reference/make_patternstim.py",
        "neuron_version": h.nrnversion(5),
        "network": "tests/patternstim/replay.ndl",
        "pattern_times": [t for t, _ in pairs],
        "pattern_gids": [g for _, g in pairs],
        "gids": [g for g, _ in spikes],
        "times": [t for _, t in spikes],
    }
    path = write_json("spikes.json", out, indent=0)
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


# source gid -> [(target gid, weight, delay)], targets in cell order.
CONNECT2 = {
    20: [(0, 0.5, 1.5), (1, 0.5, 1.5), (3, 0.25, 1.5)],
    21: [(1, 0.35, 1.0), (2, 0.35, 1.0), (4, 0.3, 1.0)],
    22: [(0, 0.3, 0.7), (2, 0.3, 0.7), (3, 0.2, 0.7), (4, 0.2, 0.7)],
}


def pattern2():
    rng = np.random.RandomState(11)
    times = np.round(rng.uniform(0.5, 180.0, size=250), 4)
    gids = rng.randint(20, 25, size=250)
    pairs = [(float(t), int(g)) for t, g in zip(times, gids)]
    # Ties: one time on two gids; and gid 20 at x, gid 21 at x + 0.5, whose
    # events reach cell 1 at one time (delays 1.5 and 1.0).
    for x in (33.3, 77.7, 121.1):
        pairs += [(x, 20), (x, 22), (x + 0.5, 21)]
    pairs += [(150.05, 23)]
    pairs.sort(key=lambda p: p[0])
    return pairs


def main_pattern():
    from neuron import h
    pc = h.ParallelContext()
    cells, keep = [], []
    for gid in range(5):
        if gid < 3:
            c = h.IntFire1()
            c.tau, c.refrac = 6.0, 2.0
        else:
            c = h.IntFire2()
            c.taum, c.taus, c.ib = 10.0, 20.0, 0.6
        pc.set_gid2node(gid, pc.id())
        nc = h.NetCon(c, None)
        pc.cell(gid, nc)
        cells.append(c)
        keep.append(nc)
    for tgt in range(5):
        for src, conns in CONNECT2.items():
            for t, w, d in conns:
                if t == tgt:
                    nc = pc.gid_connect(src, cells[t])
                    nc.weight[0], nc.delay = w, d
                    keep.append(nc)
    pairs = pattern2()
    ps, tv, idv = replay(h, pc, pairs)
    run(h, TSTOP)
    spikes = sorted(zip((int(g) for g in idv), tv))
    assert all(g < 5 for g, _ in spikes), "only the cells spike"
    out = {
        "generator": "reference/make_patternstim.py",
        "neuron_version": h.nrnversion(5),
        "network": "tests/patternstim/pattern_stim.ndl",
        "pattern_times": [t for t, _ in pairs],
        "pattern_gids": [g for _, g in pairs],
        "gids": [g for g, _ in spikes],
        "times": [t for _, t in spikes],
    }
    path = write_json("pattern_stim.json", out, indent=0)
    print("wrote", path, len(spikes), "spikes")
    lines = [
        "// Written by reference/make_patternstim.py: NEURON's PatternStim",
        "// replaying gids 20-24 onto IntFire1 and IntFire2 cells;",
        "// tests/patternstim.rs compares with NEURON's spikes.",
        "network pattern_stim",
        "",
        "population lif = 3 of IntFire1 { tau = 6 ms; refrac = 2 ms }",
        "population if2 = 2 of IntFire2 { taum = 10 ms; taus = 20 ms; ib = 0.6 }",
        "input ps = PatternStim {",
        "    times = [" + ", ".join(repr(t) for t, _ in pairs) + "] ms",
        "    gids = [" + ", ".join(str(g) for _, g in pairs) + "]",
        "}",
    ]
    for src, conns in CONNECT2.items():
        for t, w, d in conns:
            pop, i = ("lif", t) if t < 3 else ("if2", t - 3)
            lines.append(f"connect ps[{src}] -> {pop}[{i}] {{ weight = {w!r}; delay = {d!r} ms }}")
    lines += [
        f"run {{ tstop = {TSTOP!r} ms; dt = {DT!r} ms }}",
        'output { dir = "output"; spikes = "spikes.h5" }',
        "",
    ]
    path = os.path.join(REPO, "tests", "patternstim", "pattern_stim.ndl")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    print("wrote", path)


# source gid -> (synapse, [target cells], weight uS, delay ms), in NDL's order.
CONNECT3 = [
    (30, "exc", [0], 0.008, 1.0),
    (31, "exc", [0, 1], 0.006, 2.5),
    (32, "inh", [1], 0.004, 0.75),
]
SYN3 = {"exc": (2.0, 0.0), "inh": (5.0, -80.0)}


def pattern3():
    rng = np.random.RandomState(5)
    times = np.sort(np.round(rng.uniform(1.0, 140.0, size=150), 3))
    gids = rng.randint(30, 33, size=150)
    return [(float(t), int(g)) for t, g in zip(times, gids)]


def main_trace():
    from neuron import h
    h.celsius = 6.3
    pc = h.ParallelContext()
    cells, keep = [], []
    for gid in range(2):
        sec = h.Section(name=f"soma{gid}")
        sec.L, sec.diam, sec.nseg, sec.cm, sec.Ra = 20.0, 20.0, 1, 1.0, 35.4
        sec.insert("hh")
        sec.ena, sec.ek = 50.0, -77.0
        pc.set_gid2node(gid, pc.id())
        nc = h.NetCon(sec(0.5)._ref_v, None, sec=sec)
        nc.threshold = -20.0
        pc.cell(gid, nc)
        cells.append(sec)
        keep.append(nc)
    for src, syn, targets, w, d in CONNECT3:
        for t in targets:
            tau, e = SYN3[syn]
            s = h.ExpSyn(cells[t](0.5))
            s.tau, s.e = tau, e
            nc = pc.gid_connect(src, s)
            nc.weight[0], nc.delay = w, d
            keep += [s, nc]
    pairs = pattern3()
    ps, tv, idv = replay(h, pc, pairs)
    vs = [h.Vector().record(c(0.5)._ref_v) for c in cells]
    run(h, TSTOP3)
    spikes = sorted(zip((int(g) for g in idv), tv))
    out = {
        "generator": "reference/make_patternstim.py",
        "neuron_version": h.nrnversion(5),
        "network": "tests/patternstim/pattern_trace.ndl",
        "pattern_times": [t for t, _ in pairs],
        "pattern_gids": [g for _, g in pairs],
        "gids": [g for g, _ in spikes],
        "times": [t for _, t in spikes],
        "v": [list(v) for v in vs],
    }
    path = write_json("pattern_trace.json", out)
    print("wrote", path, len(spikes), "spikes")
    lines = [
        "// Written by reference/make_patternstim.py: NEURON's PatternStim",
        "// replaying gids 30-32 onto ExpSyn synapses of two hh cells;",
        "// tests/patternstim.rs compares with NEURON's spikes and voltages.",
        "network pattern_trace",
        "",
        "cell HH {",
        "  section soma { L = 20 um; diam = 20 um; nseg = 1; cm = 1 uF/cm2; Ra = 35.4 ohm*cm }",
        "  insert hh",
        "  ion na { e = 50 mV }",
        "  ion k { e = -77 mV }",
        "}",
        "",
        "population cell = 2 of HH",
    ]
    for name, (tau, e) in SYN3.items():
        lines.append(f"synapse {name} = ExpSyn {{ tau = {tau!r} ms; e = {e!r} mV }}")
    lines += [
        "input ps = PatternStim {",
        "    times = [" + ", ".join(repr(t) for t, _ in pairs) + "] ms",
        "    gids = [" + ", ".join(str(g) for _, g in pairs) + "]",
        "}",
    ]
    for src, syn, targets, w, d in CONNECT3:
        sel = f"cell[{targets[0]}..={targets[-1]}]"
        lines.append(
            f"connect ps[{src}] -> {sel} {{ synapse = {syn}; weight = {w!r} uS; delay = {d!r} ms; on = soma(0.5) }}"
        )
    lines += [
        f"run {{ tstop = {TSTOP3!r} ms; dt = {DT!r} ms; celsius = 6.3 degC; v_init = -65 mV; spike_threshold = -20 mV }}",
        "output {",
        '  dir = "output"',
        '  spikes = "spikes.h5"',
        "  report soma_v { cells = cell; sections = soma; variable = v }",
        "}",
        "",
    ]
    path = os.path.join(REPO, "tests", "patternstim", "pattern_trace.ndl")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    print("wrote", path)


TSTOP3 = 150.0


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["trace"]:
        main_trace()
        sys.exit(0)
    if sys.argv[1:] == ["pattern"]:
        main_pattern()
    else:
        main()
