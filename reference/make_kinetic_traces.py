#!/usr/bin/env python3
"""Runs NEURON 9.0.2 on the large KINETIC test schemes in tests/kinetic/
and writes tests/golden/kinetic/<stem>.json: the oracle for
tests/kinetic_large.rs (nmc solves schemes of more than a dozen states
with a planned sparse elimination, as NEURON does).

The experiment: one section (L = 5 um, diam = 2 um, nseg = 1, passive
defaults), the mechanism inserted with its parameters, fixed step
dt = 0.025 ms for 20 ms at 6.3 degC, v_init = -65 mV. Recorded after
finitialize and after every fadvance: t and the mechanism's RANGE probes
(top_ca, core_ca, top_b) and cai.

Run from the repository root:
    python3 -m venv /tmp/nrnenv && /tmp/nrnenv/bin/pip install neuron==9.0.2
    /tmp/nrnenv/bin/python reference/make_kinetic_traces.py [--work /tmp/nrnkin]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

STEMS = ["cashell30"]
PROBES = ["top_ca", "core_ca", "top_b"]
SETTINGS = {"L": 5.0, "diam": 2.0, "nseg": 1, "dt": 0.025, "tstop": 20.0,
            "celsius": 6.3, "v_init": -65.0}


def build(work: str) -> None:
    os.makedirs(work, exist_ok=True)
    for stem in STEMS:
        shutil.copy(os.path.join("tests", "kinetic", stem + ".mod"), work)
    nrnivmodl = os.path.join(os.path.dirname(sys.executable), "nrnivmodl")
    subprocess.run([nrnivmodl], cwd=work, check=True,
                   stdout=subprocess.DEVNULL)


def run(work: str, stem: str) -> dict:
    from neuron import h
    lib = os.path.join(work, "x86_64", "libnrnmech.so")
    if not getattr(run, "loaded", False):
        if not h.nrn_load_dll(lib):
            raise SystemExit("cannot load " + lib)
        run.loaded = True
    h.load_file("stdrun.hoc")
    sec = h.Section(name="cyl")
    sec.L = SETTINGS["L"]
    sec.diam = SETTINGS["diam"]
    sec.nseg = SETTINGS["nseg"]
    sec.insert(stem)
    h.dt = SETTINGS["dt"]
    h.celsius = SETTINGS["celsius"]
    seg = sec(0.5)
    rec = {"t": h.Vector().record(h._ref_t)}
    for p in PROBES:
        rec[p] = h.Vector().record(getattr(seg, "_ref_%s_%s" % (p, stem)))
    rec["cai"] = h.Vector().record(seg._ref_cai)
    h.finitialize(SETTINGS["v_init"])
    while h.t < SETTINGS["tstop"] - SETTINGS["dt"] / 2:
        h.fadvance()
    return {
        "mechanism": stem,
        "settings": SETTINGS,
        "traces": {k: list(v) for k, v in rec.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/nrnkin")
    args = ap.parse_args()
    build(args.work)
    out_dir = os.path.join("tests", "golden", "kinetic")
    os.makedirs(out_dir, exist_ok=True)
    for stem in STEMS:
        data = run(args.work, stem)
        path = os.path.join(out_dir, stem + ".json")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f, indent=None)
            f.write("\n")
        os.replace(tmp, path)
        print(path, len(data["traces"]["t"]), "samples")


if __name__ == "__main__":
    main()
