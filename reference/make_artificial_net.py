#!/usr/bin/env python3
"""NEURON 9.0.2's spikes of tests/artificial/art_net.ndl, a network of
artificial cells (NetStim, IntFire1), for tests/artificial_net.rs.

How to run:

    /tmp/nrnenv/bin/python reference/make_artificial_net.py

The network is written out here exactly as the NDL file says and as nmc
builds it: cells in population order (gids 0..11: drive 0-3, lif 4-9, inh
10-11), each NetStim's RANDOM stream with NEURON's default ids (1, 0, n),
n counting NetStims in creation order; NetCons made target by target, and
for one target in statement order, then source order (nmc's connection
order, which decides the order of events due at the same time).
one_to_one(offset = 1, wrap = true) connects lif i to lif (i + 1) mod 6.
Fixed step dt 0.025 ms (cvode off), finitialize(-65), round(tstop/dt)
fadvance calls. Spikes: NetCon(cell, None).record (the t of net_event).

Output: tests/golden/artificial/art_net_spikes.json ({"gids": [...],
"times": [...]}, sorted by gid then time; times printed with repr, exact).
"""
import json
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "tests", "golden", "artificial")

POPS = [
    ("drive", 4, "NetStim", {"interval": 5.0, "number": 1000.0, "start": 2.0, "noise": 1.0}),
    ("lif", 6, "IntFire1", {"tau": 8.0, "refrac": 3.0}),
    ("inh", 2, "NetStim", {"interval": 7.0, "number": 20.0, "start": 30.0, "noise": 0.3}),
]
TSTOP, DT = 300.0, 0.025


def main():
    from neuron import h
    cells, first = [], {}
    for name, n, kind, params in POPS:
        first[name] = len(cells)
        for _ in range(n):
            c = getattr(h, kind)()
            for k, v in params.items():
                setattr(c, k, v)
            cells.append(c)
    drive = range(first["drive"], first["drive"] + 4)
    lif = list(range(first["lif"], first["lif"] + 6))
    inh = range(first["inh"], first["inh"] + 2)
    # (target, statement, source, weight, delay) in nmc's order.
    conns = []
    for t in lif:
        for s in drive:
            conns.append((s, t, 0.22, 1.0))
        for k, s in enumerate(lif):
            if lif[(k + 1) % 6] == t:
                conns.append((s, t, 0.6, 2.0))
        for s in inh:
            conns.append((s, t, -0.5, 0.5))
    keep = []
    for s, t, w, d in conns:
        nc = h.NetCon(cells[s], cells[t])
        nc.weight[0], nc.delay = w, d
        keep.append(nc)
    tv, idv = h.Vector(), h.Vector()
    for gid, c in enumerate(cells):
        nc = h.NetCon(c, None)
        nc.record(tv, idv, gid)
        keep.append(nc)
    ids = [list(c.ranvar.get_ids()) for c in cells if hasattr(c, "ranvar")]
    h.dt = DT
    h.secondorder = 0
    h.CVode().active(0)
    h.finitialize(-65)
    for _ in range(int(round(TSTOP / DT))):
        h.fadvance()
    spikes = sorted(zip((int(g) for g in idv), tv))
    os.makedirs(OUT, exist_ok=True)
    out = {
        "generator": "reference/make_artificial_net.py",
        "neuron_version": h.nrnversion(5),
        "network": "tests/artificial/art_net.ndl",
        "netstim_ids": ids,
        "gids": [g for g, _ in spikes],
        "times": [t for _, t in spikes],
    }
    path = os.path.join(OUT, "art_net_spikes.json")
    with open(path + ".tmp", "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print("wrote", path, len(spikes), "spikes")


if __name__ == "__main__":
    main()
