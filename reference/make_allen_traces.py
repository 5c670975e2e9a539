#!/usr/bin/env python3
"""BMTK 1.2.0 + NEURON 9.0.2 building the project's synthetic SWC cells
(tests/morph/*.swc) as Allen perisomatic models: BMTK's default
`Biophys1` template (NEURON's Import3d), `aibs_perisomatic` with the
project's own fit file tests/allen/hh_fit.json (hh and pas only), nseg by
BMTK's dL rule; then a current clamp at soma(0.5). Writes
tests/golden/allen/<cell>.h5 and manifest.json: the sections in the
order of the cell's `all` list with their parents, 3-d points, L, and per
segment area, diam and ri, and the voltage traces.

Usage (repository root): python reference/make_allen_traces.py
"""

import json
import os
import subprocess
import sys

CELLS = ["point_soma", "three_point_soma", "contour_soma"]
OUT = os.path.join("tests", "golden", "allen")
FIT = os.path.join("tests", "allen", "hh_fit.json")
SETUP = {
    "dt": 0.025,
    "tstop": 50.0,
    "celsius": 20.0,
    "v_init": -70.5,
    "threshold": -15.0,
    "dL": 20.0,
    "iclamp": {"delay": 5.0, "dur": 40.0, "amp": 2.0},
}


def short(sec):
    return sec.name().split(".", 1)[1]


def one(cell):
    import h5py
    import numpy as np
    from neuron import h
    from bmtk.simulator.bionet import nrn
    from bmtk.simulator.bionet.default_setters import cell_models

    nrn.load_neuron_modules(None, None)
    with open(FIT) as f:
        fit = json.load(f)
    swc = os.path.abspath(os.path.join("tests", "morph", cell + ".swc"))
    hobj = h.Biophys1(swc)
    cell_models.aibs_perisomatic(hobj, None, fit)
    s = SETUP
    secs = list(hobj.all)
    for sec in secs:
        sec.nseg = 1 + 2 * int(sec.L / (2 * s["dL"]))
    soma = hobj.soma[0]
    stim = h.IClamp(soma(0.5))
    stim.delay = s["iclamp"]["delay"]
    stim.dur = s["iclamp"]["dur"]
    stim.amp = s["iclamp"]["amp"]
    sites = [("v_soma", "soma[0]", 0.5), ("v_axon", "axon[1]", 1.0)]
    for k in ("dend", "apic"):
        named = [x for x in secs if short(x).startswith(k)]
        if named:
            sites.append(("v_" + k, short(named[-1]), 0.9))
    byname = {short(x): x for x in secs}
    vecs = {key: h.Vector().record(byname[n](x)._ref_v) for key, n, x in sites}
    tv = h.Vector().record(h._ref_t)
    spikes = h.Vector()
    nc = h.NetCon(soma(0.5)._ref_v, None, sec=soma)
    nc.threshold = s["threshold"]
    nc.record(spikes)
    h.dt = s["dt"]
    h.celsius = s["celsius"]
    h.finitialize(s["v_init"])
    # BMTK's advance.hoc replaces advance(); step with fadvance directly
    for _ in range(int(round(s["tstop"] / s["dt"]))):
        h.fadvance()

    sections = []
    path = os.path.join(OUT, cell + ".h5")
    with h5py.File(path + ".tmp", "w") as f:
        geo = f.create_group("sections")
        for sec in secs:
            ps = sec.parentseg()
            mechs = sorted(m for m in sec.psection()["density_mechs"])
            sections.append({
                "name": short(sec),
                "parent": short(ps.sec) if ps is not None else None,
                "parent_x": ps.x if ps is not None else None,
                "nseg": sec.nseg,
                "Ra": sec.Ra,
                "cm": sec.cm,
                "mechanisms": mechs,
                "ena": sec.ena if h.ismembrane("na_ion", sec=sec) else None,
                "ek": sec.ek if h.ismembrane("k_ion", sec=sec) else None,
            })
            g = geo.create_group(short(sec))
            pts = np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i), sec.diam3d(i)]
                            for i in range(int(sec.n3d()))], dtype=np.float64)
            arcs = np.array([sec.arc3d(i) for i in range(int(sec.n3d()))])
            g.create_dataset("pt3d", data=pts)
            g.create_dataset("arc3d", data=arcs)
            g.create_dataset("L", data=np.array([sec.L]))
            g.create_dataset("area", data=np.array([seg.area() for seg in sec]))
            g.create_dataset("ri", data=np.array([seg.ri() for seg in sec] + [sec(1).ri()]))
            g.create_dataset("diam", data=np.array([seg.diam for seg in sec]))
        f.create_dataset("t", data=np.array(tv))
        for key in vecs:
            f.create_dataset(key, data=np.array(vecs[key]))
        f.create_dataset("spikes", data=np.array(spikes))
    os.replace(path + ".tmp", path)
    result = {
        "name": cell,
        "swc": "tests/morph/%s.swc" % cell,
        "file": cell + ".h5",
        "sections": sections,
        "records": [{"key": k, "section": n, "x": x} for (k, n, x) in sites],
        "segments": sum(x["nseg"] for x in sections),
        "spikes": len(spikes),
    }
    print(json.dumps(result))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--cell":
        one(sys.argv[2])
        return
    os.makedirs(OUT, exist_ok=True)
    cells = []
    for cell in CELLS:
        out = subprocess.run([sys.executable, __file__, "--cell", cell],
                             check=True, capture_output=True, text=True).stdout
        res = json.loads(out.strip().splitlines()[-1])
        print("%s: %d sections, %d segments, %d spikes" %
              (cell, len(res["sections"]), res["segments"], res["spikes"]))
        cells.append(res)
    manifest = {"schema": "nmc-allen-golden/1", "neuron": "9.0.2", "bmtk": "1.2.0",
                "fit": FIT, "setup": SETUP, "cells": cells}
    path = os.path.join(OUT, "manifest.json")
    with open(path + ".tmp", "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
