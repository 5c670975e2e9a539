#!/usr/bin/env python3
"""Reference traces of NEURON 9.0.2's own built-in mechanisms, for the test
that nmc's versions (builtins/*.mod) are bit-identical to them.

How to run (VecStim needs a C++ compiler and make):

    /tmp/nrnenv/bin/python reference/make_builtin_traces.py [--work /tmp/nrnbuiltin]

Unlike make_cell_traces.py, nothing of the project is compiled for NEURON:
hh, pas, IClamp, SEClamp, AlphaSynapse, ExpSyn, Exp2Syn, NetStim, IntFire1,
IntFire2 and IntFire4 are NEURON's built-ins, the oracle. VecStim is not
built into NEURON 9.0.2; the VecStim experiment compiles the vecevent.mod
that BMTK ships (found in the installed bmtk package) in the scratch
directory, as BMTK does.

Output: tests/golden/neuron/builtins/<experiment>.h5 and manifest.json, in
the schema of tests/golden/neuron/ (reference/README.md) with two
additions for artificial cells: `artificial_cells[]` ({id, type, params,
params_all}) and `connections[]` ({source, target, weight, delay}: a NetCon
from an artificial cell to a point process or another artificial cell);
`inputs[].target` and `records[].artificial_cell` may name an artificial
cell, and dataset `spikes_<id>` holds the spike times of artificial cell
<id> (NetCon(cell, None).record: the t of its net_event).
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "tests", "golden", "neuron", "builtins")
THRESHOLD = -20.0
h = None


def vecevent_source():
    import bmtk
    hits = glob.glob(os.path.join(os.path.dirname(bmtk.__file__), "**", "vecevent.mod"), recursive=True)
    if not hits:
        sys.exit("vecevent.mod not found in the bmtk package")
    return hits[0]


def compile_vecstim(work):
    d = os.path.join(work, "vecstim")
    lib = os.path.join(d, "x86_64", "libnrnmech.so")
    if os.path.exists(lib):
        return lib
    os.makedirs(d, exist_ok=True)
    shutil.copy(vecevent_source(), d)
    nrnivmodl = os.path.join(os.path.dirname(sys.executable), "nrnivmodl")
    r = subprocess.run([nrnivmodl], cwd=d, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("nrnivmodl failed:\n" + r.stdout[-3000:] + r.stderr[-3000:])
    return lib


# ----------------------------------------------------------------- cells
def soma(mechs, ions=None, L=20.0, diam=20.0):
    return {"name": "soma", "parent": None, "L": L, "diam": diam, "nseg": 1, "cm": 1.0, "Ra": 100.0,
            "mechanisms": mechs, "ions": ions or {}}


HH_IONS = {"ena": 50.0, "ek": -77.0}
HH_SOMA = {"type": "hh_soma", "sections": [soma({"hh": {}}, HH_IONS)]}
PAS_SOMA = {"type": "pas_soma", "sections": [soma({"pas": {"g": 1e-3, "e": -70.0}})]}
# hh and pas in the same section: NEURON adds pas's current first (type 4
# before 17); a passive dendrite hangs off the soma.
HH_PAS_CABLE = {"type": "hh_pas_cable", "sections": [
    soma({"pas": {"g": 1e-4, "e": -65.0}, "hh": {"gl": 0.0002}}, HH_IONS),
    {"name": "dend", "parent": {"section": "soma", "x": 1.0}, "L": 300.0, "diam": 2.0, "nseg": 7,
     "cm": 1.0, "Ra": 100.0, "mechanisms": {"pas": {"g": 1e-4, "e": -65.0}}, "ions": {}},
]}


def build_cell(cell):
    secs = {}
    for sd in cell["sections"]:
        s = h.Section(name=sd["name"])
        s.L, s.diam, s.nseg, s.cm, s.Ra = sd["L"], sd["diam"], sd["nseg"], sd["cm"], sd["Ra"]
        for m, params in sd["mechanisms"].items():
            s.insert(m)
            for p, val in params.items():
                for seg in s:
                    setattr(seg, "%s_%s" % (p, m), val)
        for ion, val in sd["ions"].items():
            setattr(s, ion, val)
        if sd["parent"] is not None:
            s.connect(secs[sd["parent"]["section"]](sd["parent"]["x"]), 0)
        secs[sd["name"]] = s
    return secs


# Every PARAMETER of each built-in (GLOBALs marked), for params_all.
PARAMS = {
    "hh": ["gnabar", "gkbar", "gl", "el"], "pas": ["g", "e"],
    "IClamp": ["del", "dur", "amp"], "AlphaSynapse": ["onset", "tau", "gmax", "e"],
    "ExpSyn": ["tau", "e"], "Exp2Syn": ["tau1", "tau2", "e"],
    "SEClamp": ["rs", "dur1", "amp1", "dur2", "amp2", "dur3", "amp3"],
    "NetStim": ["interval", "number", "start", "noise"], "IntFire1": ["tau", "refrac"],
    "IntFire2": ["taus", "taum", "ib"], "IntFire4": ["taue", "taui1", "taui2", "taum", "eps", "taueps"],
    "VecStim": [],
}
GLOBALS = {"IntFire4": ["eps", "taueps"]}


def params_all(kind, obj):
    out = {}
    for p in PARAMS[kind]:
        if p in GLOBALS.get(kind, []):
            out[p] = float(getattr(h, "%s_%s" % (p, kind)))
        else:
            out[p] = float(getattr(obj, p))
    return out


# ----------------------------------------------------------------- running
def run(exp):
    secs = build_cell(exp["cell"]) if exp["cell"] else {}
    objs = {}
    for p in exp["point_processes"]:
        pp = getattr(h, p["type"])(secs[p["section"]](p["x"]))
        for k, val in p["params"].items():
            setattr(pp, k, val)
        p["params_all"] = params_all(p["type"], pp)
        objs[p["id"]] = pp
    for a in exp.get("artificial_cells", []):
        ac = getattr(h, a["type"])()
        ids = {}
        for k, val in a["params"].items():
            if "." in k:  # RANDOM stream ids: ranvar.id1, ranvar.id2, ranvar.id3
                stream, part = k.split(".")
                ids.setdefault(stream, {})[part] = int(val)
            elif k in GLOBALS.get(a["type"], []):
                setattr(h, "%s_%s" % (k, a["type"]), val)
            else:
                setattr(ac, k, val)
        a["params_all"] = params_all(a["type"], ac)
        for stream, d in ids.items():
            r = getattr(ac, stream)
            r.set_ids(d["id1"], d["id2"], d["id3"])
            r.set_seq(0)
            got = [int(x) for x in r.get_ids()]
            for part, x in zip(("id1", "id2", "id3"), got):
                a["params_all"]["%s.%s" % (stream, part)] = float(x)
        objs[a["id"]] = ac
    for sd in exp["cell"]["sections"] if exp["cell"] else []:
        seg = secs[sd["name"]](0.5)
        sd["mechanisms_all"] = {m: {p: float(getattr(seg, "%s_%s" % (p, m))) for p in PARAMS[m]}
                                for m in sd["mechanisms"]}
    keep = []
    for c in exp.get("connections", []):
        nc = h.NetCon(objs[c["source"]], objs[c["target"]])
        nc.weight[0], nc.delay = c["weight"], c["delay"]
        keep.append(nc)
    for inp in exp["inputs"]:
        tv = h.Vector(inp["times"])
        if inp["type"] == "spike_train":
            nc = h.NetCon(None, objs[inp["target"]])
            keep.append(h.FInitializeHandler(lambda nc=nc, tv=tv, d=inp["delay"]:
                                             [nc.event(x + d) for x in tv]))
        else:  # "vecstim": NEURON's VecStim playing the times
            vs = h.VecStim()
            vs.play(tv)
            nc = h.NetCon(vs, objs[inp["target"]])
            keep.append(vs)
        nc.weight[0], nc.delay = inp["weight"], inp["delay"]
        keep += [tv, nc]
    h.dt = exp["dt"]
    h.celsius = exp["celsius"]
    h.secondorder = 0
    h.CVode().active(0)
    # Vector.record needs a section to attach to; without a cell, an
    # isolated one-node section with no mechanism (it touches nothing).
    anchor = secs["soma"] if secs else h.Section(name="anchor")
    rec = {"t": h.Vector().record(h._ref_t, sec=anchor)}
    for key, r in exp["records"].items():
        if key == "t" or key.startswith("spikes"):
            continue
        if "point_process" in r:
            obj = objs[r["point_process"]]
        elif "artificial_cell" in r:
            obj = objs[r["artificial_cell"]]
        else:
            obj = secs[r["section"]](r["x"])
            if r["variable"] != "v":
                obj = getattr(obj, r["mechanism"])
        rec[key] = h.Vector().record(getattr(obj, "_ref_" + r["variable"]), sec=anchor)
    spk = {}
    if exp["spike_detector"]:
        det = exp["spike_detector"]
        nc = h.NetCon(secs[det["section"]](det["x"])._ref_v, None, sec=secs[det["section"]])
        nc.threshold = det["threshold"]
        spk["spikes"] = h.Vector()
        nc.record(spk["spikes"])
        keep.append(nc)
    for a in exp.get("artificial_cells", []):
        nc = h.NetCon(objs[a["id"]], None)
        spk["spikes_" + a["id"]] = h.Vector()
        nc.record(spk["spikes_" + a["id"]])
        keep.append(nc)
    h.finitialize(exp["v_init"])
    for _ in range(int(round(exp["tstop"] / exp["dt"]))):
        h.fadvance()
    out = {k: np.array(v, dtype=np.float64) for k, v in rec.items()}
    for k, v in spk.items():
        out[k] = np.array(v, dtype=np.float64)
    state = {}
    for a in exp.get("artificial_cells", []):
        for v in exp.get("final_state", {}).get(a["id"], []):
            state["%s.%s" % (a["id"], v)] = float(getattr(objs[a["id"]], v))
    del keep, objs, secs, anchor, rec
    return out, state


def write_h5(exp, data):
    import h5py
    with h5py.File(os.path.join(OUT, exp["file"]), "w") as f:
        for key, arr in data.items():
            units = exp["records"][key]["units"]
            if arr.size:
                ds = f.create_dataset(key, data=arr, dtype="f8", compression="gzip",
                                      compression_opts=9, shuffle=True)
            else:
                ds = f.create_dataset(key, shape=(0,), dtype="f8")
            ds.attrs["units"] = units
        for k in ("dt", "tstop", "v_init", "celsius", "description"):
            f.attrs[k] = exp[k]
        f.attrs["experiment"] = exp["name"]
        f.attrs["neuron_version"] = h.nrnversion(5)


# ------------------------------------------------------------- experiments
def v_rec(section="soma", x=0.5):
    return {"section": section, "x": x, "variable": "v", "units": "mV"}


def base(name, desc, cell, dt, tstop, celsius=6.3, v_init=-65.0, detector=True):
    recs = {"t": {"variable": "t", "units": "ms"}}
    if cell:
        recs["v"] = v_rec()
    if detector:
        recs["spikes"] = {"what": "spike times of the spike_detector (NetCon.record)", "units": "ms"}
    return {
        "name": name, "file": name + ".h5", "group": "builtins", "description": desc,
        "dt": dt, "tstop": tstop, "v_init": v_init, "celsius": celsius,
        "cell": cell, "point_processes": [], "artificial_cells": [], "connections": [], "inputs": [],
        "spike_detector": {"section": "soma", "x": 0.5, "variable": "v", "threshold": THRESHOLD,
                           "direction": "upward crossing"} if detector else None,
        "records": recs,
    }


def art_spikes(exp, ident):
    exp["records"]["spikes_" + ident] = {"what": "spike times of artificial cell %s (its net_event times)" % ident,
                                         "units": "ms"}


def dtag(dt):
    return ("%g" % dt).replace(".", "p")


def experiments():
    exps = []
    for dt in (0.025, 0.1):
        e = base("hh_iclamp_dt%s" % dtag(dt), "hh soma (6.3 degC) under a 0.1 nA step from 10 ms", HH_SOMA, dt, 50.0)
        e["point_processes"].append({"id": "stim", "type": "IClamp", "section": "soma", "x": 0.5,
                                     "params": {"del": 10.0, "dur": 80.0, "amp": 0.1}})
        if dt == 0.1:  # (size)
            for g in ("m", "h", "n", "gna"):
                e["records"][g] = {"section": "soma", "x": 0.5, "mechanism": "hh", "variable": g,
                                   "units": "S/cm2" if g == "gna" else "1"}
        e["records"]["i_stim"] = {"point_process": "stim", "variable": "i", "units": "nA"}
        exps.append(e)
    e = base("hh_iclamp_34C_dt0p025", "hh soma at 34 degC (the TABLE rebuilt for celsius), 0.5 nA step", HH_SOMA,
             0.025, 60.0, celsius=34.0)
    e["point_processes"].append({"id": "stim", "type": "IClamp", "section": "soma", "x": 0.5,
                                 "params": {"del": 5.0, "dur": 50.0, "amp": 0.5}})
    exps.append(e)
    e = base("pas_iclamp_dt0p025", "passive soma, -0.05 nA then +0.05 nA", PAS_SOMA, 0.025, 80.0, v_init=-70.0,
             detector=False)
    e["point_processes"] += [
        {"id": "stim", "type": "IClamp", "section": "soma", "x": 0.5, "params": {"del": 5.0, "dur": 30.0, "amp": -0.05}},
        {"id": "stim2", "type": "IClamp", "section": "soma", "x": 0.5, "params": {"del": 40.0, "dur": 30.0, "amp": 0.05}},
    ]
    exps.append(e)
    e = base("hh_pas_cable_dt0p025", "soma with pas and hh (pas summed first), passive 7-segment dendrite, 0.3 nA step",
             HH_PAS_CABLE, 0.025, 60.0)
    e["point_processes"].append({"id": "stim", "type": "IClamp", "section": "soma", "x": 0.5,
                                 "params": {"del": 10.0, "dur": 80.0, "amp": 0.3}})
    e["records"]["v_dend"] = v_rec("dend", 0.9)
    exps.append(e)
    for dt in (0.025, 0.1):
        e = base("seclamp_hh_dt%s" % dtag(dt), "SEClamp steps -65 / -20 / -90 mV on an hh soma, then off",
                 HH_SOMA, dt, 80.0)
        e["point_processes"].append({"id": "clamp", "type": "SEClamp", "section": "soma", "x": 0.5,
                                     "params": {"rs": 0.5, "dur1": 10.0, "amp1": -65.0, "dur2": 20.0, "amp2": -20.0,
                                                "dur3": 20.0, "amp3": -90.0}})
        e["records"]["i_clamp"] = {"point_process": "clamp", "variable": "i", "units": "nA"}
        e["records"]["vc"] = {"point_process": "clamp", "variable": "vc", "units": "mV"}
        exps.append(e)
    e = base("alphasynapse_hh_dt0p025", "two AlphaSynapses (excitatory onset 5 ms, inhibitory onset 30 ms) on an hh soma",
             HH_SOMA, 0.025, 60.0)
    e["point_processes"] += [
        {"id": "syn", "type": "AlphaSynapse", "section": "soma", "x": 0.5,
         "params": {"onset": 5.0, "tau": 2.0, "gmax": 0.01, "e": 0.0}},
        {"id": "syn2", "type": "AlphaSynapse", "section": "soma", "x": 0.5,
         "params": {"onset": 30.0, "tau": 5.0, "gmax": 0.02, "e": -80.0}},
    ]
    e["records"]["i_syn"] = {"point_process": "syn", "variable": "i", "units": "nA"}
    e["records"]["i_syn2"] = {"point_process": "syn2", "variable": "i", "units": "nA"}
    exps.append(e)
    # NetStim (noise 0) -> ExpSyn on an hh soma.
    for dt in (0.025, 0.1):
        e = base("netstim_expsyn_dt%s" % dtag(dt), "NetStim (start 5, interval 7.3, number 9, noise 0) -> ExpSyn on an hh soma",
                 HH_SOMA, dt, 90.0)
        e["point_processes"].append({"id": "syn", "type": "ExpSyn", "section": "soma", "x": 0.5,
                                     "params": {"tau": 2.0, "e": 0.0}})
        e["artificial_cells"].append({"id": "ns", "type": "NetStim",
                                      "params": {"start": 5.0, "interval": 7.3, "number": 9.0, "noise": 0.0}})
        e["connections"].append({"source": "ns", "target": "syn", "weight": 0.004, "delay": 1.0})
        e["records"]["g"] = {"point_process": "syn", "variable": "g", "units": "uS"}
        art_spikes(e, "ns")
        exps.append(e)
    # NetStim with noise: intervals from its RANDOM stream (Random123 with
    # the given ids), NEURON 9's netstim.mod.
    for dt, noise in ((0.025, 0.5), (0.1, 1.0)):
        e = base("netstim_noise%s_expsyn_dt%s" % (dtag(noise), dtag(dt)),
                 "NetStim (start 5, interval 6, number 40, noise %g, ranvar ids 3 5 7) -> ExpSyn on an hh soma" % noise,
                 HH_SOMA, dt, 200.0)
        e["point_processes"].append({"id": "syn", "type": "ExpSyn", "section": "soma", "x": 0.5,
                                     "params": {"tau": 2.0, "e": 0.0}})
        e["artificial_cells"].append({"id": "ns", "type": "NetStim",
                                      "params": {"start": 5.0, "interval": 6.0, "number": 40.0, "noise": noise,
                                                 "ranvar.id1": 3.0, "ranvar.id2": 5.0, "ranvar.id3": 7.0}})
        e["artificial_cells"].append({"id": "ns2", "type": "NetStim",
                                      "params": {"start": 0.0, "interval": 3.0, "number": 1e9, "noise": 1.0,
                                                 "ranvar.id1": 1.0, "ranvar.id2": 0.0, "ranvar.id3": 4000000000.0}})
        e["connections"].append({"source": "ns", "target": "syn", "weight": 0.004, "delay": 1.0})
        e["connections"].append({"source": "ns2", "target": "syn", "weight": 0.001, "delay": 0.5})
        e["records"]["g"] = {"point_process": "syn", "variable": "g", "units": "uS"}
        art_spikes(e, "ns")
        art_spikes(e, "ns2")
        exps.append(e)
    # A NetStim switched on by an external event and off by a negative one.
    e = base("netstim_onoff_dt0p025", "NetStim with number 0 at INITIAL... started at 20.3 ms by a positive event, stopped at 50.1 ms",
             None, 0.025, 80.0, detector=False)
    e["description"] = "NetStim (start -1: idle) started by a weight-1 event at 20.3 ms, stopped by a weight -1 event at 50.1 ms"
    e["artificial_cells"].append({"id": "ns", "type": "NetStim",
                                  "params": {"start": -1.0, "interval": 4.1, "number": 100.0, "noise": 0.0}})
    e["inputs"] += [
        {"type": "spike_train", "target": "ns", "weight": 1.0, "delay": 0.0, "times": [20.3]},
        {"type": "spike_train", "target": "ns", "weight": -1.0, "delay": 0.0, "times": [50.1]},
    ]
    art_spikes(e, "ns")
    exps.append(e)
    # VecStim -> Exp2Syn; times are multiples of 1/16 ms, so NEURON's
    # VecStim (net_send(etime - t)) lands exactly on them.
    vtimes = [3.0, 8.5, 9.0625, 20.25, 21.0, 22.125, 40.5, 41.0, 41.5, 42.0, 60.0625]
    for dt in (0.025, 0.1):
        e = base("vecstim_exp2syn_dt%s" % dtag(dt), "VecStim (NEURON's, BMTK's vecevent.mod) -> Exp2Syn on an hh soma",
                 HH_SOMA, dt, 80.0)
        e["point_processes"].append({"id": "syn", "type": "Exp2Syn", "section": "soma", "x": 0.5,
                                     "params": {"tau1": 0.5, "tau2": 4.0, "e": 0.0}})
        e["inputs"].append({"type": "vecstim", "target": "syn", "weight": 0.003, "delay": 0.75, "times": vtimes,
                            "semantics": "NEURON's VecStim plays the times (net_send(etime - t) then net_event(t)); "
                                         "each spike reaches target after delay"})
        e["records"]["g"] = {"point_process": "syn", "variable": "g", "units": "uS"}
        exps.append(e)
    # Integrate-and-fire cells: inputs, outputs, and an output onto a synapse.
    rng = np.random.default_rng(20240605)
    tin = sorted(set(round(float(x), 2) for x in rng.uniform(1.0, 195.0, 60)))
    tin = [x + 0.001 for x in tin]
    inh = [x + 0.37 for x in tin[::4]]
    # refrac is off the 0.01 ms grid of the input times: the end of a
    # refractory period never coincides with an input. (At equal times
    # NEURON delivers in creation order; these inputs are all created by
    # NetCon.event at finitialize, nmc's spike trains create each spike's
    # events when it happens, as a VecStim does.)
    e = base("intfire1_dt0p1", "IntFire1 (tau 10, refrac 5.0005) driven by 60 events of weight 0.45; its spikes drive an ExpSyn on an hh soma",
             HH_SOMA, 0.1, 200.0)
    e["artificial_cells"].append({"id": "if1", "type": "IntFire1", "params": {"tau": 10.0, "refrac": 5.0005}})
    e["inputs"].append({"type": "spike_train", "target": "if1", "weight": 0.45, "delay": 0.5, "times": tin})
    e["point_processes"].append({"id": "syn", "type": "ExpSyn", "section": "soma", "x": 0.5, "params": {"tau": 3.0}})
    e["connections"].append({"source": "if1", "target": "syn", "weight": 0.005, "delay": 2.0})
    e["records"]["m"] = {"artificial_cell": "if1", "variable": "m", "units": "1"}
    art_spikes(e, "if1")
    exps.append(e)
    e = base("intfire2_dt0p025", "IntFire2 (taus 20, taum 10, ib 0.8) with excitatory (0.3) and inhibitory (-0.4) events",
             None, 0.025, 200.0, detector=False)
    e["artificial_cells"].append({"id": "if2", "type": "IntFire2", "params": {"taus": 20.0, "taum": 10.0, "ib": 0.8}})
    e["inputs"] += [{"type": "spike_train", "target": "if2", "weight": 0.3, "delay": 0.5, "times": tin},
                    {"type": "spike_train", "target": "if2", "weight": -0.4, "delay": 0.5, "times": inh}]
    e["records"]["m"] = {"artificial_cell": "if2", "variable": "m", "units": "1"}
    e["records"]["i"] = {"artificial_cell": "if2", "variable": "i", "units": "1"}
    art_spikes(e, "if2")
    exps.append(e)
    e = base("intfire2_bias_dt0p1", "IntFire2 (ib 2) firing on its own bias, plus inhibitory events",
             None, 0.1, 200.0, detector=False)
    e["artificial_cells"].append({"id": "if2", "type": "IntFire2", "params": {"taus": 20.0, "taum": 10.0, "ib": 2.0}})
    e["inputs"] += [{"type": "spike_train", "target": "if2", "weight": -0.3, "delay": 0.5, "times": inh}]
    art_spikes(e, "if2")
    exps.append(e)
    e = base("intfire4_dt0p025", "IntFire4 (defaults) with excitatory (0.35) and inhibitory (-0.3) events; its spikes drive IntFire1",
             None, 0.025, 200.0, detector=False)
    e["artificial_cells"] += [{"id": "if4", "type": "IntFire4", "params": {}},
                              {"id": "if1", "type": "IntFire1", "params": {"tau": 5.0, "refrac": 2.0}}]
    e["inputs"] += [{"type": "spike_train", "target": "if4", "weight": 0.35, "delay": 0.5, "times": tin},
                    {"type": "spike_train", "target": "if4", "weight": -0.3, "delay": 0.5, "times": inh}]
    e["connections"].append({"source": "if4", "target": "if1", "weight": 1.5, "delay": 1.0})
    for v in ("m", "e", "i1", "i2"):
        e["records"][v] = {"artificial_cell": "if4", "variable": v, "units": "1"}
    e["final_state"] = {"if4": ["nself", "nexcite", "ninhibit", "taue", "taui1", "taui2", "taum", "ae", "ai1", "ai2"]}
    art_spikes(e, "if4")
    art_spikes(e, "if1")
    exps.append(e)
    e = base("intfire4_adjusted_dt0p1", "IntFire4 whose time constants INITIAL must adjust (taue 30 > taui2, taui1 > taui2, taum = taui2)",
             None, 0.1, 100.0, detector=False)
    e["artificial_cells"].append({"id": "if4", "type": "IntFire4",
                                  "params": {"taue": 30.0, "taui1": 25.0, "taui2": 20.0, "taum": 20.0}})
    e["inputs"] += [{"type": "spike_train", "target": "if4", "weight": 0.5, "delay": 0.5, "times": [t for t in tin if t < 100]},
                    {"type": "spike_train", "target": "if4", "weight": -0.2, "delay": 0.5, "times": [t for t in inh if t < 100]}]
    e["records"]["m"] = {"artificial_cell": "if4", "variable": "m", "units": "1"}
    e["final_state"] = {"if4": ["taue", "taui1", "taui2", "taum", "ae", "ai1", "ai2"]}
    art_spikes(e, "if4")
    exps.append(e)
    return exps


def main():
    global h
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/nrnbuiltin", help="scratch directory (outside the repo)")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    lib = compile_vecstim(args.work)
    from neuron import h as h_
    h = h_
    h.load_file("stdrun.hoc")
    if not h.nrn_load_dll(lib):
        sys.exit("could not load " + lib)
    os.makedirs(OUT, exist_ok=True)
    exps = experiments()
    for exp in exps:
        data, state = run(exp)
        write_h5(exp, data)
        exp["results"] = {"n_samples": int(len(data["t"])), "final_state": state}
        for k in data:
            if k.startswith("spikes"):
                exp["results"]["n_" + k] = int(len(data[k]))
        if "v" in data:
            exp["results"]["v_min"] = float(np.min(data["v"]))
            exp["results"]["v_max"] = float(np.max(data["v"]))
        print("%-28s %s" % (exp["name"], {k: v for k, v in exp["results"].items() if k.startswith("n_spikes")}))
    manifest = {
        "schema": "nmc-neuron-golden/1 (see reference/README.md) + artificial_cells, connections",
        "generator": "reference/make_builtin_traces.py",
        "neuron_version": h.nrnversion(5),
        "oracle": "NEURON's own built-in mechanisms (VecStim: BMTK's vecevent.mod), not nmc's sources",
        "conventions": {
            "integration": "fixed step, backward Euler (cvode off, secondorder 0): finitialize(v_init) then round(tstop/dt) fadvance calls",
            "record": "index 0 after finitialize, index k after the k-th fadvance (see tests/golden/neuron/manifest.json)",
            "artificial_spikes": "an artificial cell's spike time is the t of its net_event (no 1e-10 offset); its events arrive at that time + delay",
            "spike_time": "a section's spike detector records t + 1e-10 at the end of the first step above threshold",
        },
        "experiments": exps,
    }
    for f in glob.glob(OUT + "/*.h5"):
        if os.path.basename(f) not in [e["file"] for e in exps]:
            os.remove(f)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print("wrote %d experiments; %.0f kB" % (len(exps), sum(os.path.getsize(p) for p in glob.glob(OUT + "/*")) / 1e3))


if __name__ == "__main__":
    main()
