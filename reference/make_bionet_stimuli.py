#!/usr/bin/env python3
"""Builds tests/sonata_stimuli/net/: a small bionet network driven by the
inputs of BMTK's `bio_advanced_stimuli` that go beyond plain pulses, runs
each simulation config in BMTK 1.2.0 + NEURON 9.0.2 and stores their
outputs in expected/<config>/:

- simulation_csv.json: `input_type: csv` current clamps (BMTK plays the
  table's amplitudes into an IClamp with Vector.play): an onset that is
  not one interval (BMTK regrids on the gcd), an onset of one interval, a
  waveform that does not end at 0, another separator and column names, a
  dendritic clamp.
- simulation_nwb.json: `input_type: nwb`/`allen` current clamps from our
  own NWB-layout file (input/stim.nwb, written here with h5py: sweeps in
  /stimulus/presentation linked from /epochs/Sweep_<n>/stimulus/timeseries,
  one float32 sweep at 20 kHz with a float32 rate, one float64 at 10 kHz),
  with `downsample`, `sweep_window`, `delay` and a sweep id given as text
  and as a float.
- simulation_allactive.json: `model_processing: aibs_allactive` cells (the
  three SWC files with our own all-active fit, aa_fit.json: section-type
  passive values, some left out, a section-specific e_pas, `cm` in the
  genome, a `glob` entry, erev for a section type the cells lack) under
  current clamps and Poisson input, with a report of every section.
- simulation_spont.json: `input_type: syn_activity` (precell_filter with a
  list value and a numeric node-type column, postcell_filter, timestamps)
  on recurrent connections between biophysical cells and IntFire1 cells,
  plus virtual Poisson input.

The cells are the project's synthetic SWC files with the Allen-style fit
tests/allen/hh_fit.json (NEURON's built-in hh and pas only).

Usage (repository root, Python with bmtk 1.2.0, NEURON 9.0.2, h5py):
    python reference/make_bionet_stimuli.py
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "tests", "sonata_stimuli", "net")
MORPHS = ["point_soma", "three_point_soma", "contour_soma", "point_soma"]
CONFIGS = ["simulation_csv.json", "simulation_nwb.json", "simulation_spont.json", "simulation_allactive.json"]


def network(d):
    from bmtk.builder import NetworkBuilder
    from bmtk.utils.reports.spike_trains import SpikeTrains

    net = NetworkBuilder("cells")
    for k, (m, layer) in enumerate(zip(MORPHS, [4, 5, 4, 4])):
        net.add_nodes(N=1, pop_name="p" + "abcd"[k], layer=layer, model_type="biophysical",
                      model_template="ctdb:Biophys1.hoc", model_processing="aibs_perisomatic",
                      dynamics_params="hh_fit.json", morphology=m + ".swc")
    syn = dict(dynamics_params="exc.json", model_template="exp2syn", target_sections=["soma", "dend"],
               distance_range=[0.0, 150.0])
    for src, trg, w, n in [("pa", ["pb", "pc"], 0.08, 2), ("pb", ["pa", "pd"], 0.08, 2),
                           ("pc", ["pa"], 0.06, 1), ("pd", ["pb"], 0.06, 3)]:
        net.add_edges(source={"pop_name": src}, target={"pop_name": trg}, connection_rule=n,
                      syn_weight=w, delay=1.5, **syn)
    net.build()
    net.save(output_dir=os.path.join(d, "network"))

    lif = NetworkBuilder("lif")
    lif.add_nodes(N=2, pop_name="lif", layer=4, model_type="point_process", model_template="nrn:IntFire1",
                  dynamics_params="IntFire1_fast.json")
    # From cells that do not match the precell filter below: BMTK 1.2.0
    # stops on a matching source onto a point cell.
    lif.add_edges(source=net.nodes(pop_name=["pb", "pc"]), target=lif.nodes(), connection_rule=1,
                  syn_weight=0.6, delay=1.0, dynamics_params="instantaneous.json")
    lif.add_edges(source=lif.nodes(), target=net.nodes(pop_name="pc"), connection_rule=1,
                  syn_weight=0.08, delay=2.0, dynamics_params="exc.json", model_template="exp2syn",
                  target_sections=["soma"], distance_range=[0.0, 1.0e20])
    lif.build()
    lif.save(output_dir=os.path.join(d, "network"))

    inp = NetworkBuilder("input")
    inp.add_nodes(N=6, pop_name="poisson", model_type="virtual")
    inp.add_edges(source=inp.nodes(), target=net.nodes(), connection_rule=2, syn_weight=0.012, delay=1.0,
                  dynamics_params="exc.json", model_template="exp2syn", target_sections=["dend", "apic"],
                  distance_range=[10.0, 300.0])
    inp.build()
    inp.save(output_dir=os.path.join(d, "network"))
    rng = np.random.RandomState(5)
    st = SpikeTrains(population="input")
    for n in range(6):
        t = np.cumsum(rng.exponential(1000.0 / 30.0, size=30))
        st.add_spikes(node_ids=n, timestamps=np.round(t[t < 300.0], 3))
    os.makedirs(os.path.join(d, "input"), exist_ok=True)
    st.to_sonata(os.path.join(d, "input", "poisson.h5"))


def allactive_network(d):
    from bmtk.builder import NetworkBuilder

    aa = NetworkBuilder("aa")
    for m in MORPHS[:3]:
        aa.add_nodes(N=1, pop_name=m, model_type="biophysical", model_template="ctdb:Biophys1.hoc",
                     model_processing="aibs_allactive", dynamics_params="aa_fit.json", morphology=m + ".swc")
    aa.build()
    aa.save(output_dir=os.path.join(d, "network_aa"))
    inp = NetworkBuilder("input")
    inp.add_nodes(N=6, pop_name="poisson", model_type="virtual")
    inp.add_edges(source=inp.nodes(), target=aa.nodes(), connection_rule=2, syn_weight=0.01, delay=1.0,
                  dynamics_params="exc.json", model_template="exp2syn", target_sections=["dend", "apic"],
                  distance_range=[10.0, 300.0])
    inp.build()
    inp.save(output_dir=os.path.join(d, "network_aa"))


def aa_fit():
    """A synthetic all-active fit: NEURON's hh and pas with values per section type."""
    g = lambda sec, name, value, mech="": {"section": sec, "name": name, "value": value, "mechanism": mech}
    return {
        "passive": [{"ra": 122.0, "e_pas": -72.0, "cm": [{"section": "soma", "cm": 1.1},
                                                         {"section": "dend", "cm": 2.0}]}],
        "conditions": [{"celsius": 20.0, "v_init": -72.0, "erev": [
            {"section": "soma", "ena": 52.0, "ek": -88.0}, {"section": "axon", "ena": 55.0, "ek": -90.0},
            {"section": "apic", "ena": 50.0, "ek": -85.0}, {"section": "dend", "ena": 50.0, "ek": -85.0},
            {"section": "basal", "ena": 50.0, "ek": -85.0}]}],
        "genome": [
            g("soma", "gnabar_hh", 0.12, "hh"), g("soma", "gkbar_hh", "0.036", "hh"), g("soma", "gl_hh", 0.0, "hh"),
            g("soma", "g_pas", 0.0002),
            g("axon", "gnabar_hh", 0.25, "hh"), g("axon", "gkbar_hh", 0.05, "hh"), g("axon", "gl_hh", 0.0, "hh"),
            {"section": "axon", "name": "g_pas", "value": 0.0003},
            g("axon", "cm", 0.8),
            g("dend", "g_pas", 5.0e-5),
            g("apic", "g_pas", 4.0e-5), g("apic", "gnabar_hh", 0.008, "hh"), g("apic", "gkbar_hh", 0.004, "hh"),
            g("apic", "gl_hh", 0.0, "hh"), g("apic", "e_pas", -75.0),
            g("glob", "g_pas", 1.0),
        ],
    }


def inputs(d):
    """The clamp files: two CSV tables and an NWB-layout HDF5 file."""
    import h5py

    inp = os.path.join(d, "input")
    os.makedirs(inp, exist_ok=True)
    # Onset 50 ms at a 100 ms interval (BMTK regrids on 50 ms); does not end at 0.
    with open(os.path.join(inp, "steps.csv"), "w") as fh:
        fh.write("timestamps amps\n50.0 0.9\n150.0 0.0\n250.0 1.35\n350.0 0.3\n")
    # Onset of one interval (BMTK adds a 0 at 0 ms).
    with open(os.path.join(inp, "short.csv"), "w") as fh:
        fh.write("timestamps amps\n20.0 0.75\n40.0 1.5\n60.0 0.0\n80.0 1.05\n100.0 0.0\n")
    # Comma-separated, other column names, from 0 every 0.5 ms: a ramp.
    with open(os.path.join(inp, "ramp.csv"), "w") as fh:
        fh.write("t,i\n")
        for k in range(500):
            fh.write("%r,%r\n" % (0.5 * k, round(0.005 * k, 6) if k < 480 else 0.0))

    rng = np.random.RandomState(3)
    with h5py.File(os.path.join(inp, "stim.nwb"), "w") as f:
        pres = f.create_group("stimulus/presentation")
        # Sweep_5: float32 samples (A) at 20 kHz, float32 rate: a noisy step.
        n5 = 20000 * 300 // 1000
        t5 = np.arange(n5) / 20.0
        i5 = np.where((t5 >= 20.0) & (t5 < 180.0), 1.0e-9, 0.0) + 0.06e-9 * rng.standard_normal(n5)
        g = pres.create_group("Sweep_5")
        g.create_dataset("data", data=i5.astype(np.float32))
        st = g.create_dataset("starting_time", data=0.0)
        st.attrs["rate"] = np.float32(20000.0)
        # Sweep_7: float64 samples at 10 kHz, float64 rate: a chirp.
        n7 = 10000 * 300 // 1000
        t7 = np.arange(n7) / 10.0
        i7 = np.where(t7 >= 10.0, 0.9e-9 * np.sin(2 * np.pi * t7 * (0.005 + 0.0002 * t7)) + 0.45e-9, 0.0)
        g = pres.create_group("Sweep_7")
        g.create_dataset("data", data=i7)
        st = g.create_dataset("starting_time", data=0.0)
        st.attrs["rate"] = 10000.0
        for s in ["Sweep_5", "Sweep_7"]:
            e = f.create_group("epochs/%s/stimulus" % s)
            e["timeseries"] = h5py.SoftLink("/stimulus/presentation/%s" % s)


def components(d):
    comp = os.path.join(d, "components")
    for sub in ["morphologies", "biophysical_neuron_models", "synaptic_models", "mechanisms",
                "point_neuron_models"]:
        os.makedirs(os.path.join(comp, sub), exist_ok=True)
    with open(os.path.join(comp, "mechanisms", "README.md"), "w") as fh:
        fh.write("The network uses only NEURON's built-in mechanisms (hh, pas, Exp2Syn, IntFire1).\n")
    for m in set(MORPHS):
        shutil.copy(os.path.join(ROOT, "tests", "morph", m + ".swc"), os.path.join(comp, "morphologies"))
    with open(os.path.join(ROOT, "tests", "allen", "hh_fit.json")) as fh:
        fit = json.load(fh)
    with open(os.path.join(comp, "biophysical_neuron_models", "hh_fit.json"), "w") as fh:
        json.dump(fit, fh, indent=2)
    with open(os.path.join(comp, "biophysical_neuron_models", "aa_fit.json"), "w") as fh:
        json.dump(aa_fit(), fh, indent=2)
    with open(os.path.join(comp, "point_neuron_models", "IntFire1_fast.json"), "w") as fh:
        json.dump({"tau": 0.012, "refrac": 0.004}, fh, indent=2)
    with open(os.path.join(comp, "synaptic_models", "instantaneous.json"), "w") as fh:
        json.dump({"sign": 1}, fh, indent=2)
    with open(os.path.join(comp, "synaptic_models", "exc.json"), "w") as fh:
        json.dump({"level_of_detail": "exp2syn", "tau1": 1.0, "tau2": 3.0, "erev": 0.0}, fh, indent=2)


def configs(d):
    circuit = {
        "manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network",
                     "$COMPONENTS_DIR": "$BASE_DIR/components"},
        "components": {
            "morphologies_dir": "$COMPONENTS_DIR/morphologies",
            "biophysical_neuron_models_dir": "$COMPONENTS_DIR/biophysical_neuron_models",
            "synaptic_models_dir": "$COMPONENTS_DIR/synaptic_models",
            "point_neuron_models_dir": "$COMPONENTS_DIR/point_neuron_models",
            "mechanisms_dir": "$COMPONENTS_DIR/mechanisms",
        },
        "networks": {
            "nodes": [{"nodes_file": "$NETWORK_DIR/%s_nodes.h5" % p,
                       "node_types_file": "$NETWORK_DIR/%s_node_types.csv" % p} for p in ["cells", "lif", "input"]],
            "edges": [{"edges_file": "$NETWORK_DIR/%s_edges.h5" % p,
                       "edge_types_file": "$NETWORK_DIR/%s_edge_types.csv" % p}
                      for p in ["cells_cells", "cells_lif", "lif_cells", "input_cells"]],
        },
    }
    with open(os.path.join(d, "circuit_config.json"), "w") as fh:
        json.dump(circuit, fh, indent=2)
    circuit_aa = dict(circuit, networks={
        "nodes": [{"nodes_file": "$BASE_DIR/network_aa/%s_nodes.h5" % p,
                   "node_types_file": "$BASE_DIR/network_aa/%s_node_types.csv" % p} for p in ["aa", "input"]],
        "edges": [{"edges_file": "$BASE_DIR/network_aa/input_aa_edges.h5",
                   "edge_types_file": "$BASE_DIR/network_aa/input_aa_edge_types.csv"}],
    })
    with open(os.path.join(d, "circuit_allactive.json"), "w") as fh:
        json.dump(circuit_aa, fh, indent=2)

    node_sets = {"bio": {"population": "cells"}}

    def cells(*ids):
        name = "cells_" + "_".join(map(str, ids))
        node_sets[name] = {"population": "cells", "node_id": list(ids)}
        return name

    def sim(name, ins, with_noise=False):
        if with_noise:
            ins = dict(ins, noise={"input_type": "spikes", "module": "sonata",
                                   "input_file": "$BASE_DIR/input/poisson.h5", "node_set": "input"})
        return {
            "manifest": {"$BASE_DIR": "${configdir}", "$OUTPUT_DIR": "$BASE_DIR/output_" + name},
            "target_simulator": "NEURON",
            "run": {"tstart": 0.0, "tstop": 300.0, "dt": 0.025, "dL": 20.0, "spike_threshold": -15.0,
                    "nsteps_block": 4000},
            "conditions": {"celsius": 20.0, "v_init": -70.5},
            "inputs": ins,
            "output": {"log_file": "log.txt", "output_dir": "$OUTPUT_DIR", "spikes_file": "spikes.h5"},
            "node_sets": node_sets,
            "reports": {"soma_v": {"cells": "bio", "variable_name": "v", "sections": "soma",
                                   "module": "membrane_report", "file_name": "soma_v.h5"}},
            "network": "$BASE_DIR/circuit_config.json",
        }

    csv = sim("csv", {
        "steps": {"input_type": "csv", "module": "IClamp", "node_set": cells(0, 1),
                  "file": "$BASE_DIR/input/steps.csv"},
        "short": {"input_type": "csv", "module": "IClamp", "node_set": cells(3),
                  "file": "$BASE_DIR/input/short.csv"},
        "ramp": {"input_type": "file", "module": "IClamp", "node_set": cells(2),
                 "file": "$BASE_DIR/input/ramp.csv", "separator": ",", "timestamps_column": "t",
                 "amplitudes_column": "i", "section_name": "dend", "section_index": 0, "section_dist": 0.3},
    })
    nwb = sim("nwb", {
        "down": {"input_type": "nwb", "module": "IClamp", "node_set": cells(0), "file": "$BASE_DIR/input/stim.nwb",
                 "sweep_id": 5, "downsample": 0.1, "sweep_window": [10.0, 250.0], "delay": 30.0},
        "chirp": {"input_type": "nwb", "module": "IClamp", "node_set": cells(1, 2),
                  "file": "$BASE_DIR/input/stim.nwb", "sweep_id": "7"},
        "full": {"input_type": "allen", "module": "IClamp", "node_set": cells(3),
                 "file": "$BASE_DIR/input/stim.nwb", "sweep_id": 5.0},
    })
    spont = sim("spont", {
        "spont": {"input_type": "syn_activity", "module": "syn_activity",
                  "precell_filter": {"pop_name": ["pa", "pb", "lif"], "layer": 4},
                  "postcell_filter": {"layer": [4]},
                  "timestamps": [40.0, 90.5, 150.0, 151.0, 220.0], "node_set": "bio"},
    }, with_noise=True)
    aa = sim("allactive", {
        "pulse": {"input_type": "current_clamp", "module": "IClamp", "node_set": "aa",
                  "amp": [0.5, 0.9], "delay": [20.0, 160.0], "duration": [100.0, 100.0]},
    }, with_noise=True)
    aa["network"] = "$BASE_DIR/circuit_allactive.json"
    aa["node_sets"] = {"aa": {"population": "aa"}, "first": {"population": "aa", "node_id": [0]}}
    aa["conditions"]["v_init"] = -72.0
    aa["reports"] = {
        "soma_v": {"cells": "aa", "variable_name": "v", "sections": "soma", "module": "membrane_report",
                   "file_name": "soma_v.h5"},
        "all_v": {"cells": "first", "variable_name": "v", "sections": "all", "module": "membrane_report",
                  "file_name": "all_v.h5"},
    }
    for name, c in [("csv", csv), ("nwb", nwb), ("spont", spont), ("allactive", aa)]:
        with open(os.path.join(d, "simulation_%s.json" % name), "w") as fh:
            json.dump(c, fh, indent=2)


def run(d, python):
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "run")
        shutil.copytree(d, work)
        mdir = os.path.join(work, "components", "mechanisms")
        # BMTK's virtual cells and spontaneous activity are VecStims: BMTK's own vecevent.mod.
        import bmtk
        shutil.copy(os.path.join(os.path.dirname(bmtk.__file__), "utils", "scripts", "bionet",
                                 "mechanisms", "modfiles", "vecevent.mod"), mdir)
        nrnivmodl = os.path.join(os.path.dirname(python), "nrnivmodl")
        subprocess.run([nrnivmodl, "."], cwd=mdir, check=True, stdout=subprocess.DEVNULL)
        for cfg in CONFIGS:
            subprocess.run([python, os.path.join(HERE, "run_bmtk_example.py"), cfg], cwd=work, check=True,
                           stdout=subprocess.DEVNULL)
            name = cfg[len("simulation_"):-len(".json")]
            exp = os.path.join(d, "expected", name)
            os.makedirs(exp, exist_ok=True)
            out = os.path.join(work, "output_" + name)
            for f in sorted(os.listdir(out)):
                if f.endswith(".h5"):
                    shutil.copy(os.path.join(out, f), exp)


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    network(OUT)
    allactive_network(OUT)
    inputs(OUT)
    components(OUT)
    configs(OUT)
    run(OUT, sys.executable)
    import h5py
    for cfg in CONFIGS:
        name = cfg[len("simulation_"):-len(".json")]
        with h5py.File(os.path.join(OUT, "expected", name, "spikes.h5")) as f:
            g = f.get("spikes", {})
            counts = {p: len(g[p]["timestamps"]) for p in g}
        print(name, "spikes:", counts)


if __name__ == "__main__":
    main()
