#!/usr/bin/env python3
"""Runs NEURON 9.0.2 on the mechanisms of tests/methods/ and writes
tests/golden/methods/<stem>.json: the oracle for tests/methods.rs
(METHOD runge, a PROCEDURE used as a value, COMPARTMENT lists naming
things that are not STATEs).

The experiment: one section (L = 10 um, diam = 3 um, nseg = 1, cm = 1,
no other mechanism), the mechanism inserted with its defaults, fixed
step dt = 0.025 ms for 30 ms at 6.3 degC, v_init = -65 mV. Recorded after
finitialize and after every fadvance: t, v and the mechanism's probes.

Run from the repository root:
    python3 -m venv /tmp/nrnenv && /tmp/nrnenv/bin/pip install neuron==9.0.2
    /tmp/nrnenv/bin/python reference/make_method_traces.py [--work /tmp/nrnmeth]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

MECHS = {"rk4chan": ("rk4chan", ["m", "h", "pv"]),
         "compart_extra": ("compx", ["c"]),
         "verbatim_ion": ("vidm", ["c"])}
SETTINGS = {"L": 10.0, "diam": 3.0, "nseg": 1, "dt": 0.025, "tstop": 30.0,
            "celsius": 6.3, "v_init": -65.0}


def build(work: str) -> None:
    os.makedirs(work, exist_ok=True)
    for stem in MECHS:
        shutil.copy(os.path.join("tests", "methods", stem + ".mod"), work)
    nrnivmodl = os.path.join(os.path.dirname(sys.executable), "nrnivmodl")
    subprocess.run([nrnivmodl], cwd=work, check=True,
                   stdout=subprocess.DEVNULL)


def run(stem: str) -> dict:
    from neuron import h
    suffix, probes = MECHS[stem]
    h.load_file("stdrun.hoc")
    sec = h.Section(name="cyl")
    sec.L = SETTINGS["L"]
    sec.diam = SETTINGS["diam"]
    sec.nseg = SETTINGS["nseg"]
    sec.insert(suffix)
    h.dt = SETTINGS["dt"]
    h.celsius = SETTINGS["celsius"]
    seg = sec(0.5)
    rec = {"t": h.Vector().record(h._ref_t), "v": h.Vector().record(seg._ref_v)}
    for p in probes:
        rec[p] = h.Vector().record(getattr(seg, "_ref_%s_%s" % (p, suffix)))
    h.finitialize(SETTINGS["v_init"])
    while h.t < SETTINGS["tstop"] - SETTINGS["dt"] / 2:
        h.fadvance()
    out = {"mechanism": suffix, "settings": SETTINGS, "probes": probes,
           "traces": {k: list(v) for k, v in rec.items()}}
    sec = None
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/nrnmeth")
    args = ap.parse_args()
    build(args.work)
    from neuron import h
    if not h.nrn_load_dll(os.path.join(args.work, "x86_64", "libnrnmech.so")):
        raise SystemExit("cannot load the mechanisms")
    out_dir = os.path.join("tests", "golden", "methods")
    os.makedirs(out_dir, exist_ok=True)
    for stem in MECHS:
        data = run(stem)
        path = os.path.join(out_dir, stem + ".json")
        with open(path + ".tmp", "w") as f:
            json.dump(data, f)
            f.write("\n")
        os.replace(path + ".tmp", path)
        print(path, len(data["traces"]["t"]), "samples")


if __name__ == "__main__":
    main()
