#!/usr/bin/env python3
"""NEURON 9.0.2 on the project's synthetic SWC cells (tests/morph/*.swc):
the sections NEURON's Import3d makes of each file, their geometry, and a
current-clamp run, written to tests/golden/morph/ (one HDF5 file per cell
plus manifest.json; schema in reference/README.md).

Each cell is read exactly as BMTK reads morphologies
(`Import3d_SWC_read`, `Import3d_GUI(swc, 0).instantiate(...)`), then given
the biophysics below, in its own NEURON process (sections are global).

Usage (repository root): python reference/make_morph_traces.py
"""

import json
import os
import subprocess
import sys

CELLS = ["point_soma", "three_point_soma", "contour_soma"]
OUT = os.path.join("tests", "golden", "morph")

# Run and biophysics, shared by every cell; the Rust test reads them from
# the manifest.
SETUP = {
    "dt": 0.025,
    "tstop": 60.0,
    "celsius": 6.3,
    "v_init": -65.0,
    "threshold": -20.0,
    "Ra": 123.4,
    "cm": {"soma": 1.0, "axon": 1.0, "dend": 1.8, "apic": 1.8},
    "seg_length": 12.0,
    "pas": {"g_pas": 2e-5, "e_pas": -65.0},
    "hh_in": ["soma", "axon", "apic"],
    "iclamp": {"delay": 5.0, "dur": 45.0, "amp": 1.5},
}


def kind(name):
    return name.split("[")[0]


def one(cell):
    import h5py
    import numpy as np
    from neuron import h

    h.load_file("stdrun.hoc")
    h.load_file("import3d.hoc")
    swc = h.Import3d_SWC_read()
    swc.quiet = 1
    swc.input(os.path.join("tests", "morph", cell + ".swc"))
    imp = h.Import3d_GUI(swc, 0)
    imp.instantiate(None)

    secs = list(h.allsec())
    s = SETUP
    for sec in secs:
        # nseg: 1 + 2 * int(L / seg_length)
        sec.nseg = 1 + 2 * int(sec.L / s["seg_length"])
        sec.Ra = s["Ra"]
        sec.cm = s["cm"][kind(sec.name())]
        sec.insert("pas")
        for seg in sec:
            seg.g_pas = s["pas"]["g_pas"]
            seg.e_pas = s["pas"]["e_pas"]
        if kind(sec.name()) in s["hh_in"]:
            sec.insert("hh")
    soma = secs[0]
    assert soma.name() == "soma[0]"
    stim = h.IClamp(soma(0.5))
    stim.delay = s["iclamp"]["delay"]
    stim.dur = s["iclamp"]["dur"]
    stim.amp = s["iclamp"]["amp"]

    # recording sites: soma centre, and the far end of the last section of
    # each other kind
    sites = [("v_soma", "soma[0]", 0.5)]
    for k in ("axon", "dend", "apic"):
        last = [x for x in secs if kind(x.name()) == k]
        if last:
            sites.append(("v_" + k, last[-1].name(), 0.9))
            sites.append(("v_" + k + "0", last[0].name(), 0.5))
    byname = {x.name(): x for x in secs}
    vecs = {}
    for key, name, x in sites:
        vecs[key] = h.Vector().record(byname[name](x)._ref_v)
    tv = h.Vector().record(h._ref_t)
    spikes = h.Vector()
    nc = h.NetCon(soma(0.5)._ref_v, None, sec=soma)
    nc.threshold = s["threshold"]
    nc.record(spikes)

    h.dt = s["dt"]
    h.celsius = s["celsius"]
    h.finitialize(s["v_init"])
    h.continuerun(s["tstop"])

    sections = []
    path = os.path.join(OUT, cell + ".h5")
    with h5py.File(path + ".tmp", "w") as f:
        geo = f.create_group("sections")
        for sec in secs:
            ps = sec.parentseg()
            sections.append({
                "name": sec.name(),
                "parent": ps.sec.name() if ps is not None else None,
                "parent_x": ps.x if ps is not None else None,
                "nseg": sec.nseg,
                "n3d": int(sec.n3d()),
            })
            g = geo.create_group(sec.name())
            pts = np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i), sec.diam3d(i)]
                            for i in range(int(sec.n3d()))], dtype=np.float64)
            g.create_dataset("pt3d", data=pts)
            g.create_dataset("L", data=np.array([sec.L]))
            g.create_dataset("area", data=np.array([seg.area() for seg in sec]))
            g.create_dataset("ri", data=np.array([seg.ri() for seg in sec] + [sec(1).ri()]))
            g.create_dataset("diam", data=np.array([seg.diam for seg in sec]))
        f.create_dataset("t", data=np.array(tv))
        for key in vecs:
            f.create_dataset(key, data=np.array(vecs[key]))
        f.create_dataset("spikes", data=np.array(spikes))
        f.attrs["neuron_version"] = h.nrnversion(5)
    os.replace(path + ".tmp", path)
    nsegs = sum(x["nseg"] for x in sections)
    result = {
        "name": cell,
        "swc": "tests/morph/%s.swc" % cell,
        "file": cell + ".h5",
        "sections": sections,
        "records": [{"key": k, "section": n, "x": x} for (k, n, x) in sites],
        "segments": nsegs,
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
    manifest = {"schema": "nmc-morph-golden/1", "neuron": "9.0.2", "setup": SETUP,
                "cells": cells}
    path = os.path.join(OUT, "manifest.json")
    with open(path + ".tmp", "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
