#!/usr/bin/env python3
"""Builds tests/sonata_allen/allen_net/ (a small network of Allen-style
perisomatic cells made of the project's synthetic SWC files and fit file)
with bmtk.builder, runs it in BMTK 1.2.0 + NEURON 9.0.2 and stores what
they computed in its expected/ folder.

Network: three biophysical cells (`ctdb:Biophys1.hoc`,
`aibs_perisomatic`, fit tests/allen/hh_fit.json, one per file of
tests/morph/), ten virtual cells firing Poisson trains (numpy seed 7)
onto dendrites and soma (`target_sections`, `distance_range`, 3 synapses
per connection, BMTK's random placement), and cell-to-cell connections
onto the soma; two IntFire1 point cells (`nrn:IntFire1`) driven by the
virtual cells and by one biophysical cell, projecting onto the soma of the
two others. expected/: spikes.h5, soma_v.h5 (soma voltage of every
cell), synapses.csv (the section of `all`, its name and x BMTK gave each
synapse).

Usage (repository root, Python with bmtk 1.2.0, NEURON 9.0.2, h5py):
    python reference/make_allen_network.py
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "tests", "sonata_allen", "allen_net")
CELLS = ["point_soma", "three_point_soma", "contour_soma"]


def build(d):
    from bmtk.builder import NetworkBuilder
    from bmtk.utils.reports.spike_trains import SpikeTrains

    net = NetworkBuilder("cells")
    for c in CELLS:
        net.add_nodes(N=1, pop_name=c, model_type="biophysical",
                      model_template="ctdb:Biophys1.hoc", model_processing="aibs_perisomatic",
                      dynamics_params="hh_fit.json", morphology=c + ".swc")
    net.add_edges(source={"pop_name": "point_soma"}, target={"pop_name": ["three_point_soma", "contour_soma"]},
                  connection_rule=1, syn_weight=0.01, delay=2.0, dynamics_params="exc.json",
                  model_template="exp2syn", target_sections=["soma"], distance_range=[0.0, 1.0e20])
    net.build()
    net.save(output_dir=os.path.join(d, "network"))

    lif = NetworkBuilder("lif")
    lif.add_nodes(N=2, pop_name="lif", model_type="point_process", model_template="nrn:IntFire1",
                  dynamics_params="IntFire1_fast.json")
    lif.add_edges(source=lif.nodes(), target=net.nodes(pop_name=["three_point_soma", "contour_soma"]),
                  connection_rule=1, syn_weight=0.02, delay=3.0, dynamics_params="exc.json",
                  model_template="exp2syn", target_sections=["soma"], distance_range=[0.0, 1.0e20])
    lif.add_edges(source=net.nodes(pop_name="point_soma"), target=lif.nodes(), connection_rule=1,
                  syn_weight=0.6, delay=1.0, dynamics_params="instantaneous.json")
    lif.build()
    lif.save(output_dir=os.path.join(d, "network"))

    inp = NetworkBuilder("input")
    inp.add_nodes(N=10, pop_name="poisson", model_type="virtual")
    inp.add_edges(source=inp.nodes(), target=net.nodes(), connection_rule=3,
                  syn_weight=0.01, delay=1.5, dynamics_params="exc.json", model_template="exp2syn",
                  target_sections=["dend", "apic"], distance_range=[20.0, 300.0])
    inp.add_edges(source=inp.nodes(pop_name="poisson"), target=net.nodes(pop_name="point_soma"),
                  connection_rule=2, syn_weight=0.006, delay=1.0, dynamics_params="exc.json",
                  model_template="exp2syn", target_sections=["soma", "dend"], distance_range=[0.0, 80.0])
    inp.add_edges(source=inp.nodes(), target=lif.nodes(), connection_rule=2, syn_weight=0.15,
                  delay=1.0, dynamics_params="instantaneous.json")
    inp.build()
    inp.save(output_dir=os.path.join(d, "network"))

    rng = np.random.RandomState(7)
    st = SpikeTrains(population="input")
    for n in range(10):
        t = np.cumsum(rng.exponential(1000.0 / 40.0, size=40))
        st.add_spikes(node_ids=n, timestamps=np.round(t[t < 500.0], 3))
    os.makedirs(os.path.join(d, "input"), exist_ok=True)
    st.to_sonata(os.path.join(d, "input", "poisson.h5"))

    comp = os.path.join(d, "components")
    for sub in ["morphologies", "biophysical_neuron_models", "synaptic_models", "mechanisms"]:
        os.makedirs(os.path.join(comp, sub), exist_ok=True)
    with open(os.path.join(comp, "mechanisms", "README.md"), "w") as fh:
        fh.write("The network uses only NEURON's built-in mechanisms (hh, pas, Exp2Syn).\n")
    for c in CELLS:
        shutil.copy(os.path.join(ROOT, "tests", "morph", c + ".swc"), os.path.join(comp, "morphologies"))
    shutil.copy(os.path.join(ROOT, "tests", "allen", "hh_fit.json"),
                os.path.join(comp, "biophysical_neuron_models"))
    os.makedirs(os.path.join(comp, "point_neuron_models"), exist_ok=True)
    with open(os.path.join(comp, "point_neuron_models", "IntFire1_fast.json"), "w") as fh:
        json.dump({"tau": 0.012, "refrac": 0.004}, fh, indent=2)
    with open(os.path.join(comp, "synaptic_models", "instantaneous.json"), "w") as fh:
        json.dump({"sign": 1}, fh, indent=2)
    with open(os.path.join(comp, "synaptic_models", "exc.json"), "w") as fh:
        json.dump({"level_of_detail": "exp2syn", "tau1": 1.0, "tau2": 3.0, "erev": 0.0}, fh, indent=2)

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
                      for p in ["cells_cells", "lif_cells", "cells_lif", "input_cells", "input_lif"]],
        },
    }
    with open(os.path.join(d, "circuit_config.json"), "w") as fh:
        json.dump(circuit, fh, indent=2)
    with open(os.path.join(d, "node_sets.json"), "w") as fh:
        json.dump({"bio": {"population": "cells"}, "noise": {"population": "input"}}, fh, indent=2)
    sim = {
        "manifest": {"$BASE_DIR": "${configdir}", "$OUTPUT_DIR": "$BASE_DIR/output"},
        "target_simulator": "NEURON",
        "run": {"tstart": 0.0, "tstop": 500.0, "dt": 0.025, "dL": 20.0, "spike_threshold": -15.0,
                "nsteps_block": 5000},
        "conditions": {"celsius": 6.3, "v_init": -70.5},
        "inputs": {"noise": {"input_type": "spikes", "module": "sonata",
                             "input_file": "$BASE_DIR/input/poisson.h5", "node_set": "noise"}},
        "output": {"log_file": "log.txt", "output_dir": "$OUTPUT_DIR", "spikes_file": "spikes.h5"},
        "reports": {"soma_v": {"cells": "bio", "variable_name": "v", "module": "membrane_report",
                               "sections": "soma", "file_name": "soma_v.h5"}},
        "node_sets_file": "$BASE_DIR/node_sets.json",
        "network": "$BASE_DIR/circuit_config.json",
    }
    with open(os.path.join(d, "simulation_config.json"), "w") as fh:
        json.dump(sim, fh, indent=2)


RUNNER = r'''
import csv
from bmtk.simulator import bionet
conf = bionet.Config.from_json("simulation_config.json")
conf.build_env()
net = bionet.BioNetwork.from_config(conf)
sim = bionet.BioSimulator.from_config(conf, network=net)
with open("synapses.csv", "w") as fh:
    w = csv.writer(fh, delimiter=" ")
    w.writerow(["node_id", "section", "name", "x"])
    for gid, cell in sorted(net.get_local_cells().items()):
        if not hasattr(cell, "_synapses"):
            continue  # an IntFire1 point cell: NetCons onto itself, no synapse
        secs = list(cell.hobj.all)
        for syn in cell._synapses:
            seg = syn.get_segment()
            w.writerow([cell.node_id, secs.index(seg.sec), seg.sec.name().split(".")[-1], repr(seg.x)])
sim.run()
'''


def run(d, python):
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "run")
        shutil.copytree(d, work)
        mdir = os.path.join(work, "components", "mechanisms")
        os.makedirs(mdir, exist_ok=True)
        # BMTK's virtual cells are VecStims: BMTK's own vecevent.mod.
        import bmtk
        shutil.copy(os.path.join(os.path.dirname(bmtk.__file__), "utils", "scripts", "bionet",
                                 "mechanisms", "modfiles", "vecevent.mod"), mdir)
        nrnivmodl = os.path.join(os.path.dirname(python), "nrnivmodl")
        subprocess.run([nrnivmodl, "."], cwd=mdir, check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(work, "run_bmtk.py"), "w") as fh:
            fh.write(RUNNER)
        subprocess.run([python, "run_bmtk.py"], cwd=work, check=True)
        exp = os.path.join(d, "expected")
        os.makedirs(exp, exist_ok=True)
        for f in ["spikes.h5", "soma_v.h5"]:
            shutil.copy(os.path.join(work, "output", f), exp)
        shutil.copy(os.path.join(work, "synapses.csv"), exp)


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    build(OUT)
    run(OUT, sys.executable)
    import h5py
    with h5py.File(os.path.join(OUT, "expected", "spikes.h5")) as f:
        g = f["spikes"]["cells"]
        print("spikes:", len(g["timestamps"]), "per node:", np.bincount(g["node_ids"][:]))
        g = f["spikes"]["lif"]
        print("lif spikes:", len(g["timestamps"]), "per node:", np.bincount(g["node_ids"][:]))


if __name__ == "__main__":
    main()
