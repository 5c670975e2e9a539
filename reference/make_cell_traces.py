#!/usr/bin/env python3
"""Reference traces from NEURON 9.0.2 for nmc's engine tests (issue 4).

How to run (needs a C++ compiler and make; nothing is written outside
tests/golden/neuron/ except the scratch directory):

    python3 -m venv /tmp/nrnenv && /tmp/nrnenv/bin/pip install neuron==9.0.2 h5py numpy
    /tmp/nrnenv/bin/python reference/make_cell_traces.py [--work /tmp/nrnref] [--only iclamp,syn,mc]

It compiles the project's own models/*.mod with nrnivmodl in the scratch
directory. The names that clash with NEURON's built-ins (pas, hh, ExpSyn,
Exp2Syn, IClamp, NetStim, VecStim) are compiled as renamed copies (SUFFIX or
POINT_PROCESS name + "_nmc"), so it is the project's code, not NEURON's
built-in, that runs. The manifest names every mechanism by its nmc name
(the name in models/*.mod); `neuron_names` maps it to the compiled name.

Input spike trains: each input time s becomes an event that reaches the
synapse at exactly s + delay (double sum), queued by hand with
NetCon(None, syn).event(s + delay) from an FInitializeHandler (NEURON 9.0.2
has no built-in VecStim). --check-events reruns the synapse experiments
with the train replayed by nmc's own VecStim (models/VecStim.mod compiled as
VecStim_nmc, NetCon delay 0.5) and reports the largest difference: a
VecStim schedules its next spike with net_send(tnext - t), and t + (tnext - t)
can be 1 ulp off tnext, which moves the synapse's state by ~1e-17 uS and the
voltage by up to ~1e-7 mV after a few spikes; spike times are identical.

Output: tests/golden/neuron/<experiment>.h5 and manifest.json (schema in
reference/README.md).
"""
import argparse
import glob
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(REPO, "models")
BUILTINS = os.path.join(REPO, "builtins")
OUT = os.path.join(REPO, "tests", "golden", "neuron")
BUILTIN_CLASH = ["pas", "hh", "ExpSyn", "Exp2Syn", "IClamp", "NetStim", "VecStim"]

DTS = [0.1, 0.025]
TSTOP = 500.0
V_INIT = -75.0
CELSIUS = 34.0
THRESHOLD = -15.0
INPUT_SEED = 20240604
N_INPUT = 60
SYN_DELAY = 0.5

EVENT_MODE = True  # input spikes as NetCon.event(s + delay); False: nmc's VecStim
h = None  # neuron.h, after loading the mechanisms


# ----------------------------------------------------------------- compiling
def nrnivmodl_path():
    cand = os.path.join(os.path.dirname(sys.executable), "nrnivmodl")
    return cand if os.path.exists(cand) else shutil.which("nrnivmodl")


def model_files():
    """The project's models/ plus nmc's own versions of the built-ins these
    experiments use (compiled renamed, see BUILTIN_CLASH)."""
    files = glob.glob(MODELS + "/*.mod")
    files += [os.path.join(BUILTINS, n + ".mod") for n in BUILTIN_CLASH]
    return sorted(files)


def model_file(name):
    for d in (MODELS, BUILTINS):
        f = os.path.join(d, name + ".mod")
        if os.path.exists(f):
            return f
    sys.exit("no models/ or builtins/ file for " + name)


def models_digest():
    d = {}
    for f in model_files():
        d[os.path.basename(f)] = hashlib.sha256(open(f, "rb").read()).hexdigest()
    return d


def compile_models(work):
    """Renamed copy of models/ compiled in work/mech; reuses an earlier build
    of identical sources."""
    d = os.path.join(work, "mech")
    digest = json.dumps(models_digest(), sort_keys=True)
    stamp = os.path.join(d, "sources.json")
    lib = os.path.join(d, "x86_64", "libnrnmech.so")
    if os.path.exists(stamp) and open(stamp).read() == digest and os.path.exists(lib):
        return lib
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    for f in model_files():
        s = open(f).read()
        for name in BUILTIN_CLASH:
            s = re.sub(r"\b(SUFFIX|POINT_PROCESS|ARTIFICIAL_CELL)\s+%s\b" % name, r"\1 %s_nmc" % name, s)
        open(os.path.join(d, os.path.basename(f)), "w").write(s)
    r = subprocess.run([nrnivmodl_path()], cwd=d, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("nrnivmodl failed:\n" + r.stdout[-3000:] + r.stderr[-3000:])
    libs = glob.glob(os.path.join(d, "*", "libnrnmech.so")) + glob.glob(os.path.join(d, "*", ".libs", "libnrnmech.so"))
    open(stamp, "w").write(digest)
    return libs[0]


def nname(name):
    """Compiled NEURON name of an nmc mechanism."""
    return name + "_nmc" if name in BUILTIN_CLASH else name


# ------------------------------------------------------------- cell builders
# Everything an experiment needs is described as plain data first (this goes
# into the manifest verbatim); NEURON objects are built from that data only.

RTM = {
    "type": "RTMExcCell",
    "sections": [{
        "name": "soma", "parent": None, "L": 100.0, "diam": 500.0, "nseg": 1, "cm": 1.0, "Ra": 35.4,
        "mechanisms": {"leak": {"gbar": 1e-4}, "na_rtm": {"gbar": 0.1}, "k_rtm": {"gbar": 0.08}},
        "ions": {"eleak": -67.0, "ena": 50.0, "ek": -100.0},
    }],
}
WB = {
    "type": "WBInhCell",
    "sections": [{
        "name": "soma", "parent": None, "L": 100.0, "diam": 500.0, "nseg": 1, "cm": 1.0, "Ra": 35.4,
        "mechanisms": {"leak": {"gbar": 1e-4}, "na_wb": {"gbar": 0.035}, "k_wb": {"gbar": 0.009}},
        "ions": {"eleak": -65.0, "ena": 55.0, "ek": -90.0},
    }],
}
# ena/ek of the ball-and-tree are NEURON's defaults for the na and k ions
# (50 and -77 mV); they are written out here so nmc need not know defaults.
BALL_TREE = {
    "type": "ball_and_tree",
    "sections": [
        {"name": "soma", "parent": None, "L": 20.0, "diam": 20.0, "nseg": 1, "cm": 1.0, "Ra": 100.0,
         "mechanisms": {"hh": {"gnabar": 0.12, "gkbar": 0.036, "gl": 0.0003, "el": -54.3}},
         "ions": {"ena": 50.0, "ek": -77.0}},
        {"name": "dend0", "parent": {"section": "soma", "x": 1.0}, "L": 200.0, "diam": 2.0, "nseg": 5,
         "cm": 1.0, "Ra": 100.0, "mechanisms": {"pas": {"g": 1e-4, "e": -65.0}}, "ions": {}},
        {"name": "dend1", "parent": {"section": "dend0", "x": 1.0}, "L": 150.0, "diam": 1.0, "nseg": 5,
         "cm": 1.0, "Ra": 100.0, "mechanisms": {"pas": {"g": 1e-4, "e": -65.0}}, "ions": {}},
        {"name": "dend2", "parent": {"section": "dend0", "x": 1.0}, "L": 150.0, "diam": 1.0, "nseg": 5,
         "cm": 1.0, "Ra": 100.0, "mechanisms": {"pas": {"g": 1e-4, "e": -65.0}}, "ions": {}},
    ],
}


def build_cell(desc):
    secs = {}
    for sd in desc["sections"]:
        s = h.Section(name=sd["name"])
        s.L, s.diam, s.nseg = sd["L"], sd["diam"], sd["nseg"]
        s.Ra, s.cm = sd["Ra"], sd["cm"]
        for mech, params in sd["mechanisms"].items():
            nm = nname(mech)
            s.insert(nm)
            for p, val in params.items():
                for seg in s:
                    setattr(seg, "%s_%s" % (p, nm), val)
        for ion, val in sd["ions"].items():
            setattr(s, ion, val)  # sets every segment
        if sd["parent"] is not None:
            s.connect(secs[sd["parent"]["section"]](sd["parent"]["x"]), 0)
        secs[sd["name"]] = s
    return secs


def mod_parameters(name):
    """(name, is_global) of every PARAMETER of models/<name>.mod."""
    text = open(model_file(name)).read()
    text = re.sub(r"COMMENT.*?ENDCOMMENT", "", text, flags=re.S)
    text = re.sub(r":.*", "", text)
    block = re.search(r"\bPARAMETER\s*\{(.*?)\}", text, re.S)
    names = re.findall(r"^\s*([A-Za-z_]\w*)", block.group(1), re.M) if block else []
    glob_ = set()
    for m in re.finditer(r"\bGLOBAL\b([^\n]*)", text):
        glob_ |= set(re.findall(r"\w+", m.group(1)))
    return [(n, n in glob_) for n in names]


def resolved_params(name, get):
    """Every PARAMETER value of mechanism name as NEURON holds it (before
    finitialize), GLOBALs under their plain name."""
    out = {}
    for p, is_global in mod_parameters(name):
        try:
            out[p] = float(getattr(h, "%s_%s" % (p, nname(name)))) if is_global else float(get(p))
        except (AttributeError, LookupError, TypeError):
            pass
    return out


def set_pp(pp, params):
    for p, val in params.items():
        setattr(pp, p, val)


def build_pp(kind, sec, x, params):
    pp = getattr(h, nname(kind))(sec(x))
    set_pp(pp, params)
    return pp


# ----------------------------------------------------------------- running
def run(exp, objs):
    """Runs exp (a manifest entry) on the NEURON objects objs and returns the
    recorded arrays."""
    secs = objs["secs"]
    h.dt = exp["dt"]
    h.celsius = exp["celsius"]
    h.secondorder = 0
    h.cvode.active(0)
    rec = {"t": h.Vector().record(h._ref_t)}
    for key, r in exp["records"].items():
        if key in ("t", "spikes"):
            continue
        if "point_process" in r:
            pp = objs["pps"][r["point_process"]]
            rec[key] = h.Vector().record(getattr(pp, "_ref_" + r["variable"]))
        else:
            rec[key] = h.Vector().record(getattr(secs[r["section"]](r["x"]), "_ref_" + r["variable"]))
    det = exp["spike_detector"]
    nc = h.NetCon(secs[det["section"]](det["x"])._ref_v, None, sec=secs[det["section"]])
    nc.threshold = det["threshold"]
    spk = h.Vector()
    nc.record(spk)
    h.finitialize(exp["v_init"])
    nsteps = int(round(exp["tstop"] / exp["dt"]))
    for _ in range(nsteps):
        h.fadvance()
    out = {k: np.array(v, dtype=np.float64) for k, v in rec.items()}
    out["spikes"] = np.array(spk, dtype=np.float64)
    # ion values as NEURON holds them after the run (checks that e.g. eleak
    # was not recomputed from concentrations)
    ions = {}
    for sd in exp["cell"]["sections"]:
        for ion in sd["ions"]:
            ions["%s.%s" % (sd["name"], ion)] = getattr(secs[sd["name"]](0.5), ion)
    del nc
    return out, ions


def write_h5(exp, data):
    import h5py
    path = os.path.join(OUT, exp["file"])
    with h5py.File(path, "w") as f:
        for key, arr in data.items():
            units = exp["records"][key]["units"]
            if arr.size:
                ds = f.create_dataset(key, data=arr, dtype="f8", compression="gzip",
                                      compression_opts=9, shuffle=True)
            else:
                ds = f.create_dataset(key, shape=(0,), dtype="f8")
            ds.attrs["units"] = units
        f.attrs["experiment"] = exp["name"]
        f.attrs["dt"] = exp["dt"]
        f.attrs["tstop"] = exp["tstop"]
        f.attrs["v_init"] = exp["v_init"]
        f.attrs["celsius"] = exp["celsius"]
        f.attrs["n_spikes"] = len(data["spikes"])
        f.attrs["neuron_version"] = h.nrnversion(5) if h else ""
        f.attrs["description"] = exp["description"]


def detector(section="soma"):
    return {"section": section, "x": 0.5, "variable": "v", "threshold": THRESHOLD,
            "direction": "upward crossing", "recorded_time": "see manifest conventions.spike_time"}


def base_records():
    return {
        "t": {"variable": "t", "units": "ms"},
        "v": {"section": "soma", "x": 0.5, "variable": "v", "units": "mV"},
        "spikes": {"what": "spike times of the spike_detector (NetCon.record)", "units": "ms"},
    }


def dtag(dt):
    return ("%g" % dt).replace(".", "p")


# ------------------------------------------------------------- experiments
def iclamp_experiments():
    exps = []
    for cell in (RTM, WB):
        for amp in [0.0, 0.2, 0.5, 1.0, 2.0]:
            for dt in DTS:
                name = "iclamp_%s_amp%s_dt%s" % ("rtm" if cell is RTM else "wb", ("%g" % amp).replace(".", "p"), dtag(dt))
                exps.append({
                    "name": name, "file": name + ".h5", "group": "iclamp",
                    "description": "%s under a %g nA current step (50-450 ms)" % (cell["type"], amp),
                    "dt": dt, "tstop": TSTOP, "v_init": V_INIT, "celsius": CELSIUS,
                    "cell": cell,
                    "point_processes": [{"id": "stim", "type": "IClamp", "section": "soma", "x": 0.5,
                                         "params": {"del": 50.0, "dur": 400.0, "amp": amp}}],
                    "inputs": [],
                    "spike_detector": detector(),
                    "records": base_records(),
                })
    return exps


def input_train():
    """60 deterministic input times in 20..480 ms, on a 0.01 ms grid, never
    an odd multiple of 0.05 ms (so time + 0.5 ms delay never lies on a
    dt/2 boundary of dt = 0.1 or 0.025: event delivery is unambiguous)."""
    rng = np.random.default_rng(INPUT_SEED)
    raw = np.sort(rng.uniform(20.0, 480.0, N_INPUT))
    out = []
    for x in raw:
        k = int(round(x * 100))
        if k % 5 == 0:
            k += 1
        while k in out:
            k += 2
        out.append(k)
    return [k / 100.0 for k in sorted(out)]


# Synapse experiments: (tag, nmc type, params, NetCon weight, drive amp per
# cell, g record names). Weights were tuned so that every cell responds with
# a few spikes (excitatory) or so that inhibition visibly delays the spikes
# of a tonically driven cell (inhibitory); see README.
def syn_specs():
    return [
        {"tag": "exp2syn", "type": "Exp2Syn", "params": {"tau1": 0.5, "tau2": 3.0, "e": 0.0},
         "weight": {"rtm": 0.06, "wb": 0.06}, "drive": {"rtm": 0.0, "wb": 0.0},
         "g": ["g"], "note": "excitatory, exp2syn of edge types 100/101 with a larger weight"},
        {"tag": "stp_fac", "type": "Exp2Syn_STP",
         "params": {"initW": 15.0, "tau1": 0.1, "tau2": 13.0, "Use": 0.11, "Dep": 0.0, "Fac": 800.0, "e": 0.0},
         "weight": {"rtm": 0.7, "wb": 0.7}, "drive": {"rtm": 0.0, "wb": 0.0},
         "g": ["g"], "note": "facilitating Exp2Syn_STP (Exc->SOM row, edge type 102) with a larger weight"},
        {"tag": "stp_dep", "type": "Exp2Syn_STP",
         "params": {"initW": 1.0, "tau1": 0.5, "tau2": 9.0, "Use": 0.42, "Dep": 125.0, "Fac": 800.0, "e": -90.0},
         "weight": {"rtm": 300.0, "wb": 100.0}, "drive": {"rtm": 1.0, "wb": 0.5},
         "g": ["g"], "note": "depressing inhibitory Exp2Syn_STP (PV->Exc row, edge type 103) on a cell driven by a constant IClamp"},
        {"tag": "ampa_nmda", "type": "AMPA_NMDA_STP", "params": {"initW": 300.0},
         "weight": {"rtm": 1.0, "wb": 1.0}, "drive": {"rtm": 0.0, "wb": 0.0},
         "g": ["g_AMPA", "g_NMDA"], "note": "AMPA_NMDA_STP with its defaults and a large initW"},
        {"tag": "gaba_a", "type": "GABA_A_STP", "params": {"initW": 300.0},
         "weight": {"rtm": 2.0, "wb": 0.3}, "drive": {"rtm": 1.0, "wb": 0.5},
         "g": ["g"], "note": "GABA_A_STP with its defaults and a large initW, on a cell driven by a constant IClamp"},
    ]


def syn_experiments(only_tag=None, overrides=None):
    times = input_train()
    exps = []
    for spec in syn_specs():
        if only_tag and spec["tag"] != only_tag:
            continue
        for cname, cell in (("rtm", RTM), ("wb", WB)):
            w = spec["weight"][cname]
            drive = spec["drive"][cname]
            params = dict(spec["params"])
            if overrides:
                w = overrides.get("weight", w)
                drive = overrides.get("drive", drive)
                params.update(overrides.get("params", {}))
            for dt in DTS:
                name = "syn_%s_%s_dt%s" % (spec["tag"], cname, dtag(dt))
                pps = [{"id": "syn", "type": spec["type"], "section": "soma", "x": 0.5, "params": params}]
                if drive:
                    pps.append({"id": "drive", "type": "IClamp", "section": "soma", "x": 0.5,
                                "params": {"del": 0.0, "dur": 1e9, "amp": drive}})
                recs = base_records()
                if dt == 0.1:  # (size: the dt = 0.025 runs keep t, v, spikes)
                    for gname in spec["g"]:
                        recs[gname] = {"point_process": "syn", "variable": gname, "units": "uS"}
                exps.append({
                    "name": name, "file": name + ".h5", "group": "synapse",
                    "description": "%s: %s; %d input spikes (weight %g uS, delay %g ms)%s"
                                   % (cell["type"], spec["note"], len(times), w, SYN_DELAY,
                                      "; constant drive %g nA" % drive if drive else ""),
                    "dt": dt, "tstop": TSTOP, "v_init": V_INIT, "celsius": CELSIUS,
                    "cell": cell,
                    "point_processes": pps,
                    "inputs": [{"type": "spike_train", "target": "syn", "weight": w, "delay": SYN_DELAY,
                                "times": times, "seed": INPUT_SEED,
                                "semantics": "each time s is a presynaptic spike; its event reaches 'target' at exactly s + delay (double sum) with this weight: NET_RECEIVE(weight) runs with t = s + delay"}],
                    "spike_detector": detector(),
                    "records": recs,
                })
    return exps


def mc_experiments():
    """hh spikes at its native 6.3 degC; at 34 degC (q10 = 3^2.77 = 21) it is
    in heat block: no spike for any step amplitude (0.05-2 nA tried), so the
    34 degC run (dt 0.1 only) shows a subthreshold response."""
    exps = []
    for celsius, dt in [(6.3, 0.1), (6.3, 0.025), (34.0, 0.1)]:
        name = "mc_ball_tree_%sC_dt%s" % (dtag(celsius), dtag(dt))
        recs = base_records()
        recs["v_dend"] = {"section": "dend1", "x": 0.9, "variable": "v", "units": "mV"}
        if dt == 0.1 and celsius == 6.3:
            recs["v_dend1_end"] = {"section": "dend1", "x": 1.0, "variable": "v", "units": "mV",
                                   "note": "zero-area node at the sealed end of dend1"}
            recs["v_branch"] = {"section": "dend0", "x": 1.0, "variable": "v", "units": "mV",
                                "note": "zero-area node where dend1 and dend2 attach"}
            recs["v_soma_end"] = {"section": "soma", "x": 1.0, "variable": "v", "units": "mV",
                                  "note": "zero-area node where dend0 attaches"}
        exps.append({
            "name": name, "file": name + ".h5", "group": "multicompartment",
            "description": "hh soma with a passive 3-section dendritic tree, 0.2 nA step at the soma, %g degC%s"
                           % (celsius, " (hh in heat block: no spikes)" if celsius > 30 else ""),
            "dt": dt, "tstop": TSTOP, "v_init": -65.0, "celsius": celsius,
            "cell": BALL_TREE,
            "point_processes": [{"id": "stim", "type": "IClamp", "section": "soma", "x": 0.5,
                                 "params": {"del": 50.0, "dur": 400.0, "amp": 0.2}}],
            "inputs": [],
            "spike_detector": detector(),
            "records": recs,
        })
    return exps


def build_and_run(exp):
    secs = build_cell(exp["cell"])
    pps = {}
    for p in exp["point_processes"]:
        pp = build_pp(p["type"], secs[p["section"]], p["x"], p["params"])
        pps[p["id"]] = pp
        p["params_all"] = resolved_params(p["type"], lambda n, pp=pp: getattr(pp, n))
    for sd in exp["cell"]["sections"]:
        seg = secs[sd["name"]](0.5)
        sd["mechanisms_all"] = {m: resolved_params(m, lambda n, m=m, seg=seg: getattr(seg, "%s_%s" % (n, nname(m))))
                                for m in sd["mechanisms"]}
    keep = []
    for inp in exp["inputs"]:
        tv = h.Vector(inp["times"])
        if EVENT_MODE:  # the events of the train, queued by hand at s + delay
            nc = h.NetCon(None, pps[inp["target"]])
            keep.append(h.FInitializeHandler(lambda nc=nc, tv=tv, d=inp["delay"]:
                                             [nc.event(x + d) for x in tv]))
        else:
            # cross-check: nmc's VecStim (FUNCTION_TABLE stimtime), one table per run
            vs = h.VecStim_nmc()
            iv = h.Vector(range(int(tv.size())))
            vs.table_stimtime(tv, iv)
            vs.first, vs.count = 0, tv.size()
            nc = h.NetCon(vs, pps[inp["target"]])
            keep += [vs, iv]
        nc.weight[0] = inp["weight"]
        nc.delay = inp["delay"]
        keep += [tv, nc]
    out, ions = run(exp, {"secs": secs, "pps": pps})
    del keep, pps, secs
    return out, ions


def first_crossing_checks(data, thr):
    """Spike time convention: NEURON's recorded time vs the step where v
    first exceeds threshold."""
    t, v = data["t"], data["v"]
    above = v > thr
    cross = np.nonzero(above[1:] & ~above[:-1])[0] + 1
    return [float(t[i]) for i in cross]


CONVENTIONS = {
    "integration": "fixed step, backward Euler (h.cvode.active(0), h.secondorder = 0); h.finitialize(v_init) then round(tstop/dt) calls of h.fadvance()",
    "time": "NEURON advances t by two half steps per step (t += dt/2 before the current evaluation, t += dt/2 after it), so t[k] is k-fold accumulation of (t + 0.5*dt) + 0.5*dt in double precision, not k*dt",
    "record": "every recorded array has round(tstop/dt)+1 samples: index 0 is the value after finitialize (t = 0), index k the value after the k-th fadvance; t is NEURON's own t (accumulated in floating point)",
    "record_assigned": "assigned variables of a point process (g, g_AMPA, g_NMDA) are recorded after the step, so g[k] is the value computed in the BREAKPOINT current evaluation of the step t[k-1] -> t[k] (at t[k-1] + dt/2, from the states at t[k-1] including events delivered after step k-1, before the step's state update); index 0 is what finitialize left (0). An event delivered after step k changes A and B equally, so g = B - A first shows it at g[k+2]",
    "spike_time": "filled in by the generator from the data (see spike_time_check)",
    "events": "an event due at te = s + delay is delivered at the end of the first step whose end time t[k] satisfies te <= t[k] + dt/2 (after sample k is recorded and thresholds are checked), i.e. before the step t[k] -> t[k+1]; NET_RECEIVE runs with t = te exactly (so STP's exp(-(t - tsyn)/Dep) uses event times, not step times)",
    "iclamp": "nmc IClamp: i = amp while del <= t < del + dur, evaluated at the mid-step time t + dt/2",
    "zero_area_nodes": "NEURON puts a zero-area node at x = 1 of every section and at x = 0 of the root section; no membrane mechanism lives there; its voltage obeys current balance of its axial connections (children attached at x = 1 attach to that node)",
    "hh_table": "hh runs with its TABLE in use (usetable_hh = 1, NEURON's default): rates are linearly interpolated from 201 points over -100..100 mV computed at celsius",
    "mechanism_names": "all names in this manifest are nmc's (models/*.mod); neuron_names gives the name each was compiled as for NEURON",
}


def main():
    global h
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/nrnref", help="scratch directory (outside the repo)")
    ap.add_argument("--only", default="iclamp,syn,mc", help="comma-separated groups to (re)generate")
    ap.add_argument("--tune", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--check-events", action="store_true",
                    help="compare VecStim-driven synapse runs with hand-queued events (writes nothing)")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    lib = compile_models(args.work)
    from neuron import h as hh_
    h = hh_
    if not h.nrn_load_dll(lib):
        sys.exit("could not load " + lib)
    h.load_file("stdrun.hoc")

    if args.tune:  # developer aid: --tune 'tag:json-overrides'
        tag, js = args.tune.split(":", 1)
        for exp in syn_experiments(tag, json.loads(js)):
            if exp["dt"] != 0.1:
                continue
            data, _ = build_and_run(exp)
            gmax = max(float(np.max(data[k])) for k in data if k.startswith("g"))
            print(exp["name"], len(data["spikes"]), "spikes; max g %.4g" % gmax,
                  np.round(data["spikes"], 1).tolist()[:20])
        return

    if args.check_events:
        global EVENT_MODE
        worst = 0.0
        for exp in syn_experiments():
            EVENT_MODE = True
            a, _ = build_and_run(exp)
            EVENT_MODE = False
            b, _ = build_and_run(exp)
            EVENT_MODE = True
            d = max(float(np.max(np.abs(a[k] - b[k]))) if a[k].size == b[k].size else float("inf") for k in a)
            worst = max(worst, d)
            print("%-32s max |VecStim - NetCon.event| = %g" % (exp["name"], d))
        print("worst", worst)
        return

    os.makedirs(OUT, exist_ok=True)
    mpath = os.path.join(OUT, "manifest.json")
    old = {}
    if os.path.exists(mpath):
        old = {e["name"]: e for e in json.load(open(mpath))["experiments"]}
    groups = args.only.split(",")
    gname = {"iclamp": "iclamp", "syn": "synapse", "mc": "multicompartment"}
    old = {k: e for k, e in old.items() if e["group"] not in [gname[g] for g in groups]}
    exps = []
    if "iclamp" in groups:
        exps += iclamp_experiments()
    if "syn" in groups:
        exps += syn_experiments()
    if "mc" in groups:
        exps += mc_experiments()
    lag = []
    for exp in exps:
        data, ions = build_and_run(exp)
        write_h5(exp, data)
        cross = first_crossing_checks(data, exp["spike_detector"]["threshold"])
        lag += [s - (c + 1e-10) for s, c in zip(data["spikes"], cross)]
        if len(cross) != len(data["spikes"]):
            lag.append(float("nan"))
        exp["results"] = {
            "n_spikes": int(len(data["spikes"])),
            "first_spike": float(data["spikes"][0]) if len(data["spikes"]) else None,
            "n_samples": int(len(data["t"])),
            "v_min": float(np.min(data["v"])), "v_max": float(np.max(data["v"])),
            "ions_after_run": ions,
        }
        old[exp["name"]] = exp
        print("%-32s %3d spikes  first %s" % (exp["name"], len(data["spikes"]),
                                            exp["results"]["first_spike"]))
    conv = dict(CONVENTIONS)
    if lag:
        lag = np.array(lag)
        same = bool(np.all(lag == 0))
        conv["spike_time"] = (
            "NetCon spike time = t + 1e-10 ms (double arithmetic), t being the time at the END of the step after "
            "which v > threshold while it was <= threshold after the previous step (no interpolation): "
            "spikes[j] == t[k] + 1e-10 exactly, k the first sample of the crossing; verified on every experiment; "
            "events of that spike arrive at spikes[j] + delay" if same else
            "UNEXPECTED: NetCon spike time - (t at crossing + 1e-10) ranges %g..%g ms" % (np.nanmin(lag), np.nanmax(lag)))
    manifest = {
        "schema": "nmc-neuron-golden/1 (see reference/README.md)",
        "generator": "reference/make_cell_traces.py",
        "neuron_version": h.nrnversion(5),
        "models_sha256": models_digest(),
        "neuron_names": {n: nname(n) for n in sorted(os.path.splitext(os.path.basename(f))[0]
                                                      for f in model_files())},
        "conventions": conv,
        "experiments": sorted(old.values(), key=lambda e: e["name"]),
    }
    listed = set(e["file"] for e in manifest["experiments"])
    for f in glob.glob(OUT + "/*.h5"):
        if os.path.basename(f) not in listed:
            os.remove(f)
    with open(mpath, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print("wrote %d experiments; total size %.2f MB" % (
        len(manifest["experiments"]),
        sum(os.path.getsize(p) for p in glob.glob(OUT + "/*")) / 1e6))


if __name__ == "__main__":
    main()
