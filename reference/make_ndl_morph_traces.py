#!/usr/bin/env python3
"""NEURON 9.0.2 building the cells of tests/ndl_morph/*.ndl (NDL cells read
from the project's synthetic SWC files) and running their experiments;
writes tests/golden/ndl_morph/<case>.h5 (t, v_soma, spikes) and
manifest.json (per section: name, nseg, cm, Ra, mechanisms; the synapse
sites drawn; the setup).

- allen_dlambda: three_point_soma.swc read by BMTK's `Biophys1` template
  (NEURON's Import3d), `aibs_perisomatic` with tests/allen/hh_fit.json,
  then NEURON's d_lambda rule as its CellBuilder writes it,
  nseg = int((L/(0.05*lambda_f(100)) + .999)/2)*2 + 1; soma IClamp.
- explicit_dl: point_soma.swc read by Import3d (`instantiate(None)`, the
  reconstructed axon kept), biophysics set per section type by hand
  (below), BMTK's dL rule nseg = 1 + 2*int(L/(2*15)) with a soma of one
  segment; soma IClamp.
- synapses: contour_soma.swc as allen_dlambda with BMTK's dL = 20 um; three
  Exp2Syn sites drawn by numpy RandomState(0) (the cell's node id) as
  BMTK's bionet draws them: segments of the `all` list in order, those of
  the section types whose extent overlaps the path distance range from
  soma(0) (h.distance), probability proportional to the overlapping
  length, one `choice` per connection in statement order; input spikes
  delivered by NetCon(None, syn).event(s + delay).

Each case runs in its own NEURON process (sections are global); steps by
h.fadvance() from h.finitialize(v_init).

Usage (repository root): python reference/make_ndl_morph_traces.py
"""

import json
import os
import subprocess
import sys

OUT = os.path.join("tests", "golden", "ndl_morph")
FIT = os.path.join("tests", "allen", "hh_fit.json")

CASES = {
    "allen_dlambda": {
        "swc": "three_point_soma", "fit": True,
        "nseg": {"d_lambda": 0.05, "freq": 100.0},
        "run": {"tstop": 50.0, "dt": 0.025, "celsius": 20.0, "v_init": -70.5, "threshold": -15.0},
        "iclamp": {"delay": 5.0, "dur": 40.0, "amp": 2.0},
    },
    "explicit_dl": {
        "swc": "point_soma", "fit": False,
        "nseg": {"dL": 15.0, "soma": 1},
        "run": {"tstop": 60.0, "dt": 0.025, "celsius": 6.3, "v_init": -65.0, "threshold": -20.0},
        "iclamp": {"delay": 5.0, "dur": 45.0, "amp": 1.5},
    },
    "synapses": {
        "swc": "contour_soma", "fit": True,
        "nseg": {"dL": 20.0},
        "run": {"tstop": 60.0, "dt": 0.025, "celsius": 20.0, "v_init": -70.5, "threshold": -15.0},
        "synapse": {"tau1": 0.5, "tau2": 3.0, "e": 0.0},
        "connections": [
            {"spikes": [5, 12, 20, 21, 30], "weight": 0.02, "delay": 1.0,
             "types": ["dend"], "range": [0.0, 100.0]},
            {"spikes": [8, 16, 24, 25, 26, 40], "weight": 0.04, "delay": 2.0,
             "types": ["apic", "dend"], "range": [50.0, 300.0]},
            {"spikes": [8, 16, 24, 25, 26, 40], "weight": 0.03, "delay": 1.0,
             "types": ["apic"], "range": [100.0, 400.0]},
        ],
    },
}

SWC_CODE = {"soma": 1, "axon": 2, "dend": 3, "apic": 4}


def short(sec):
    name = sec.name()
    return name.split(".", 1)[1] if "." in name else name


def kind(sec):
    return short(sec).split("[")[0]


def explicit_biophysics(secs):
    """The `cell Pyr` of tests/ndl_morph/explicit_dl.ndl."""
    for sec in secs:
        k = kind(sec)
        sec.Ra = 100.0
        sec.insert("pas")
        for seg in sec:
            seg.g_pas = 3e-5
            seg.e_pas = -65.0
        if k == "soma":
            sec.insert("hh")
            for seg in sec:
                seg.gnabar_hh = 0.12
                seg.gkbar_hh = 0.036
                seg.gl_hh = 0.0
        elif k == "axon":
            sec.insert("hh")
            for seg in sec:
                seg.gnabar_hh = 0.25
                seg.gl_hh = 0.0
        elif k == "apic":
            sec.cm = 2.0
            for seg in sec:
                seg.g_pas = 5e-5
        elif k == "dend":
            sec.cm = 1.5


def draw_sites(h, np, secs, soma, conns):
    """BMTK's placement: one draw per connection from RandomState(0)."""
    rows = []
    for sec in secs:
        n = sec.nseg
        for seg in sec:
            rows.append((sec, seg.x, SWC_CODE[kind(sec)], sec.L / n,
                         h.distance(soma(0), seg)))
    rng = np.random.RandomState(0)
    sites = []
    for c in conns:
        codes = [SWC_CODE[t] for t in c["types"]]
        dmin, dmax = c["range"]
        ix, w = [], []
        for k, (_, _, code, length, dist) in enumerate(rows):
            d0 = dist - length / 2.0
            d1 = dist + length / 2.0
            over = min(d1, dmax) - max(d0, dmin)
            frac = (over if over > 0 else 0.0) / length
            if frac > 0 and code in codes:
                ix.append(k)
                w.append(length * frac)
        w = np.array(w)
        p = w / np.sum(w)
        k = int(rng.choice(ix, 1, p=p)[0])
        sites.append((rows[k][0], rows[k][1]))
    return sites


def one(name):
    import h5py
    import numpy as np
    from neuron import h

    case = CASES[name]
    h.load_file("stdrun.hoc")
    swc_path = os.path.abspath(os.path.join("tests", "morph", case["swc"] + ".swc"))
    keep = []
    if case["fit"]:
        from bmtk.simulator.bionet import nrn
        from bmtk.simulator.bionet.default_setters import cell_models
        nrn.load_neuron_modules(None, None)
        with open(FIT) as f:
            fit = json.load(f)
        hobj = h.Biophys1(swc_path)
        cell_models.aibs_perisomatic(hobj, None, fit)
        keep.append(hobj)
        secs = list(hobj.all)
        soma = hobj.soma[0]
    else:
        h.load_file("import3d.hoc")
        swc = h.Import3d_SWC_read()
        swc.quiet = 1
        swc.input(swc_path)
        imp = h.Import3d_GUI(swc, 0)
        imp.instantiate(None)
        keep += [swc, imp]
        secs = list(h.allsec())
        soma = secs[0]
        explicit_biophysics(secs)
    assert short(soma) == "soma[0]"
    rule = case["nseg"]
    for sec in secs:
        if "d_lambda" in rule:
            lam = h.lambda_f(rule["freq"], sec=sec)
            sec.nseg = int((sec.L / (rule["d_lambda"] * lam) + .999) / 2) * 2 + 1
        else:
            sec.nseg = 1 + 2 * int(sec.L / (2 * rule["dL"]))
        if kind(sec) in rule:
            sec.nseg = rule[kind(sec)]

    if "iclamp" in case:
        stim = h.IClamp(soma(0.5))
        stim.delay = case["iclamp"]["delay"]
        stim.dur = case["iclamp"]["dur"]
        stim.amp = case["iclamp"]["amp"]
        keep.append(stim)
    sites = []
    for c, (sec, x) in zip(case.get("connections", []),
                           draw_sites(h, np, secs, soma, case.get("connections", []))):
        syn = h.Exp2Syn(sec(x))
        for k, v in case["synapse"].items():
            setattr(syn, k, v)
        nc = h.NetCon(None, syn)
        nc.weight[0] = c["weight"]
        nc.delay = c["delay"]
        keep.append(h.FInitializeHandler(
            lambda nc=nc, tv=c["spikes"], d=c["delay"]: [nc.event(s + d) for s in tv]))
        keep += [syn, nc]
        sites.append({"section": short(sec), "x": x})

    r = case["run"]
    v = h.Vector().record(soma(0.5)._ref_v)
    tv = h.Vector().record(h._ref_t)
    spikes = h.Vector()
    nc = h.NetCon(soma(0.5)._ref_v, None, sec=soma)
    nc.threshold = r["threshold"]
    nc.record(spikes)
    h.dt = r["dt"]
    h.celsius = r["celsius"]
    h.finitialize(r["v_init"])
    for _ in range(int(round(r["tstop"] / r["dt"]))):
        h.fadvance()

    path = os.path.join(OUT, name + ".h5")
    with h5py.File(path + ".tmp", "w") as f:
        f.create_dataset("t", data=np.array(tv))
        f.create_dataset("v_soma", data=np.array(v))
        f.create_dataset("spikes", data=np.array(spikes))
        f.attrs["neuron_version"] = h.nrnversion(5)
    os.replace(path + ".tmp", path)
    sections = [{
        "name": short(sec),
        "nseg": sec.nseg,
        "L": sec.L,
        "cm": sec.cm,
        "Ra": sec.Ra,
        "mechanisms": sorted(sec.psection()["density_mechs"]),
    } for sec in secs]
    print(json.dumps({"name": name, "ndl": "tests/ndl_morph/%s.ndl" % name,
                      "file": name + ".h5", "sections": sections, "sites": sites,
                      "spikes": len(spikes)}))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        one(sys.argv[2])
        return
    os.makedirs(OUT, exist_ok=True)
    cases = []
    for name in CASES:
        out = subprocess.run([sys.executable, __file__, "--case", name],
                             check=True, capture_output=True, text=True).stdout
        res = json.loads(out.strip().splitlines()[-1])
        print("%s: %d sections, %d segments, %d spikes, sites %s" % (
            name, len(res["sections"]), sum(s["nseg"] for s in res["sections"]),
            res["spikes"], res["sites"]))
        cases.append(res)
    manifest = {"schema": "nmc-ndl-morph-golden/1", "neuron": "9.0.2", "bmtk": "1.2.0",
                "setup": CASES, "cases": cases}
    path = os.path.join(OUT, "manifest.json")
    with open(path + ".tmp", "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
