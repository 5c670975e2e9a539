#!/usr/bin/env python3
"""Reference traces of a WATCH mechanism (tests/watch/WatchIF.mod, nmc's
own) in NEURON 9.0.2, for tests/watch_neuron.rs.

How to run (needs nrnivmodl, i.e. a C++ compiler and make):

    /tmp/nrnenv/bin/python reference/make_watch_traces.py [--work /tmp/nrnwatch]

The experiment: an hh soma (L = diam = 20 um, 6.3 degC) driven by
IClamp pulses, carrying one WatchIF whose integrator m receives events of
weight 0.35 from a spike train (NetCon.event at the listed times). Fixed
step dt 0.025 ms (cvode off, secondorder 0), finitialize(-65), then
round(tstop/dt) fadvance calls; every recorded array has index 0 after
finitialize and index k after the k-th fadvance.

Output: tests/golden/neuron/watch/watch_if_dt0p025.h5 (datasets t, v, m,
nm, tm, nup, tup, ndown, tdown) and manifest.json (the parameters).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "tests", "golden", "neuron", "watch")
MOD = os.path.join(REPO, "tests", "watch", "WatchIF.mod")

EXP = {
    "name": "watch_if_dt0p025",
    "dt": 0.025,
    "tstop": 120.0,
    "celsius": 6.3,
    "v_init": -65.0,
    "soma": {"L": 20.0, "diam": 20.0, "nseg": 1, "cm": 1.0, "Ra": 100.0},
    "iclamps": [
        {"del": 10.0, "dur": 20.0, "amp": 0.1},
        {"del": 60.0, "dur": 5.0, "amp": 0.3},
        {"del": 90.0, "dur": 15.0, "amp": 0.08},
    ],
    "watch_if": {"tau": 4.0, "vth": -40.0},
    "events": {"weight": 0.35, "times": [2.0, 3.1, 4.05, 4.5, 20.0, 20.7, 21.3, 40.0, 41.0,
                                          41.9, 42.4, 42.6, 70.3, 70.31, 75.0, 76.025, 76.5,
                                          77.0, 110.0, 110.1, 110.2]},
    "records": ["v", "m", "nm", "tm", "nup", "tup", "ndown", "tdown"],
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/nrnwatch", help="scratch directory (outside the repo)")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    shutil.copy(MOD, args.work)
    nrnivmodl = os.path.join(os.path.dirname(sys.executable), "nrnivmodl")
    r = subprocess.run([nrnivmodl], cwd=args.work, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("nrnivmodl failed:\n" + r.stdout[-3000:] + r.stderr[-3000:])
    from neuron import h
    h.nrn_load_dll(os.path.join(args.work, "x86_64", "libnrnmech.so"))
    e = EXP
    soma = h.Section(name="soma")
    for k, val in e["soma"].items():
        setattr(soma, k, val)
    soma.insert("hh")
    clamps = []
    for c in e["iclamps"]:
        ic = h.IClamp(soma(0.5))
        setattr(ic, "del", c["del"])
        ic.dur, ic.amp = c["dur"], c["amp"]
        clamps.append(ic)
    w = h.WatchIF(soma(0.5))
    for k, val in e["watch_if"].items():
        setattr(w, k, val)
    nc = h.NetCon(None, w)
    nc.weight[0] = e["events"]["weight"]
    fih = h.FInitializeHandler(lambda: [nc.event(x) for x in e["events"]["times"]])
    h.dt = e["dt"]
    h.celsius = e["celsius"]
    h.secondorder = 0
    h.CVode().active(0)
    rec = {"t": h.Vector().record(h._ref_t, sec=soma), "v": h.Vector().record(soma(0.5)._ref_v, sec=soma)}
    for k in e["records"][1:]:
        rec[k] = h.Vector().record(getattr(w, "_ref_" + k), sec=soma)
    h.finitialize(e["v_init"])
    for _ in range(int(round(e["tstop"] / e["dt"]))):
        h.fadvance()
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, e["name"] + ".h5")
    with h5py.File(path + ".tmp", "w") as f:
        for k, vec in rec.items():
            f.create_dataset(k, data=np.array(vec, dtype=np.float64))
    os.replace(path + ".tmp", path)
    e = dict(e, neuron_version=h.nrnversion(5), generator="reference/make_watch_traces.py",
             results={"nm": w.nm, "nup": w.nup, "ndown": w.ndown})
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(e, f, indent=1)
        f.write("\n")
    print("wrote", path, e["results"])


if __name__ == "__main__":
    main()
