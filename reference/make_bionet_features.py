#!/usr/bin/env python3
"""Builds tests/sonata_bionet/net/: a small bionet network using what BMTK's
example networks use beyond tests/sonata_allen (calcium that changes the
calcium reversal potential, reports of cai, i_membrane with
`extracellular`, all sections and netcon_report, BMTK's `expsyn` model,
the `gaussianLL` weight function, node sets listing node ids, and a node
set on a node-types text column, which BMTK 1.2.0 under pandas 3 never
matches), runs it in BMTK 1.2.0 + NEURON 9.0.2 and stores their outputs in
expected/.

The two mechanisms are written here (tests/sonata_bionet/mod/): `cashell`
(a calcium shell: reads ica, writes cai) and `cahv` (a calcium current
through one gate, reads eca). The cells are the project's synthetic SWC
files with an Allen-style fit (tests/allen/hh_fit.json plus the two).

Usage (repository root, Python with bmtk 1.2.0, NEURON 9.0.2, h5py):
    python reference/make_bionet_features.py
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
OUT = os.path.join(ROOT, "tests", "sonata_bionet", "net")
MODS = os.path.join(ROOT, "tests", "sonata_bionet", "mod")
CELLS = ["point_soma", "three_point_soma", "contour_soma"]


def fit():
    with open(os.path.join(ROOT, "tests", "allen", "hh_fit.json")) as fh:
        f = json.load(fh)
    f["conditions"][0]["celsius"] = 34.0
    f["genome"] += [
        {"section": "soma", "name": "gbar_cahv", "value": 0.002, "mechanism": "cahv"},
        {"section": "soma", "name": "gamma_cashell", "value": 0.05, "mechanism": "cashell"},
        {"section": "soma", "name": "decay_cashell", "value": 120.0, "mechanism": "cashell"},
    ]
    return f


def build(d):
    from bmtk.builder import NetworkBuilder
    from bmtk.utils.reports.spike_trains import SpikeTrains

    net = NetworkBuilder("cells")
    for k, c in enumerate(CELLS):
        proc = "aibs_perisomatic,extracellular" if k == 2 else "aibs_perisomatic"
        net.add_nodes(N=1, pop_name=c, model_type="biophysical", tuning_angle=40.0 * k,
                      model_template="ctdb:Biophys1.hoc", model_processing=proc,
                      dynamics_params="ca_fit.json", morphology=c + ".swc")
    net.add_edges(source={"pop_name": "point_soma"}, target={"pop_name": ["three_point_soma", "contour_soma"]},
                  connection_rule=2, syn_weight=0.05, weight_function="gaussianLL", weight_sigma=50.0,
                  delay=2.0, dynamics_params="exc.json", model_template="exp2syn",
                  target_sections=["soma", "dend"], distance_range=[0.0, 60.0])
    net.build()
    net.save(output_dir=os.path.join(d, "network"))
    inp = NetworkBuilder("input")
    inp.add_nodes(N=8, pop_name="poisson", model_type="virtual")
    inp.add_edges(source=inp.nodes(), target=net.nodes(), connection_rule=3,
                  syn_weight=0.12, weight_function="wmax", delay=1.5, dynamics_params="exc.json",
                  model_template="exp2syn", target_sections=["dend", "apic"], distance_range=[10.0, 300.0])
    inp.add_edges(source=inp.nodes(), target=net.nodes(pop_name="contour_soma"), connection_rule=1,
                  syn_weight=0.02, delay=1.0, dynamics_params="exc1.json", model_template="expsyn",
                  target_sections=["soma"], distance_range=[0.0, 1.0e20])
    inp.build()
    inp.save(output_dir=os.path.join(d, "network"))
    rng = np.random.RandomState(11)
    st = SpikeTrains(population="input")
    for n in range(8):
        t = np.cumsum(rng.exponential(1000.0 / 40.0, size=40))
        st.add_spikes(node_ids=n, timestamps=np.round(t[t < 300.0], 3))
    os.makedirs(os.path.join(d, "input"), exist_ok=True)
    st.to_sonata(os.path.join(d, "input", "poisson.h5"))

    comp = os.path.join(d, "components")
    for sub in ["morphologies", "biophysical_neuron_models", "synaptic_models", "mechanisms"]:
        os.makedirs(os.path.join(comp, sub), exist_ok=True)
    for m in os.listdir(MODS):
        shutil.copy(os.path.join(MODS, m), os.path.join(comp, "mechanisms"))
    for c in CELLS:
        shutil.copy(os.path.join(ROOT, "tests", "morph", c + ".swc"), os.path.join(comp, "morphologies"))
    with open(os.path.join(comp, "biophysical_neuron_models", "ca_fit.json"), "w") as fh:
        json.dump(fit(), fh, indent=2)
    with open(os.path.join(comp, "synaptic_models", "exc.json"), "w") as fh:
        json.dump({"level_of_detail": "exp2syn", "tau1": 1.0, "tau2": 3.0, "erev": 0.0}, fh, indent=2)
    with open(os.path.join(comp, "synaptic_models", "exc1.json"), "w") as fh:
        json.dump({"tau1": 2.5, "erev": -10.0}, fh, indent=2)
    circuit = {
        "manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network",
                     "$COMPONENTS_DIR": "$BASE_DIR/components"},
        "components": {
            "morphologies_dir": "$COMPONENTS_DIR/morphologies",
            "biophysical_neuron_models_dir": "$COMPONENTS_DIR/biophysical_neuron_models",
            "synaptic_models_dir": "$COMPONENTS_DIR/synaptic_models",
            "mechanisms_dir": "$COMPONENTS_DIR/mechanisms",
        },
        "networks": {
            "nodes": [{"nodes_file": "$NETWORK_DIR/%s_nodes.h5" % p,
                       "node_types_file": "$NETWORK_DIR/%s_node_types.csv" % p} for p in ["cells", "input"]],
            "edges": [{"edges_file": "$NETWORK_DIR/%s_edges.h5" % p,
                       "edge_types_file": "$NETWORK_DIR/%s_edge_types.csv" % p}
                      for p in ["cells_cells", "input_cells"]],
        },
    }
    with open(os.path.join(d, "circuit_config.json"), "w") as fh:
        json.dump(circuit, fh, indent=2)
    rep = lambda cells, var, secs, f, **kw: dict(cells=cells, variable_name=var, sections=secs,
                                                 module=kw.get("module", "membrane_report"),
                                                 file_name=f, **{k: v for k, v in kw.items() if k != "module"})
    sim = {
        "manifest": {"$BASE_DIR": "${configdir}", "$OUTPUT_DIR": "$BASE_DIR/output"},
        "target_simulator": "NEURON",
        "run": {"tstart": 0.0, "tstop": 300.0, "dt": 0.025, "dL": 20.0, "spike_threshold": -15.0,
                "nsteps_block": 5000},
        "conditions": {"celsius": 34.0, "v_init": -70.5},
        "inputs": {"noise": {"input_type": "spikes", "module": "sonata",
                             "input_file": "$BASE_DIR/input/poisson.h5", "node_set": "input"}},
        "output": {"log_file": "log.txt", "output_dir": "$OUTPUT_DIR", "spikes_file": "spikes.h5"},
        "node_sets": {"first_two": [0, 1], "by_type": {"model_type": "biophysical"}},
        "reports": {
            "soma_v": rep("cells", "v", "soma", "soma_v.h5"),
            "soma_cai": rep([0, 1, 2], "cai", "soma", "soma_cai.h5"),
            "imem": rep([2], "i_membrane", "soma", "imem.h5"),
            "all_v": rep("first_two", "v", "all", "all_v.h5"),
            "syn_tau2": rep("cells", "tau2", "soma", "syn_tau2.h5", module="netcon_report", syn_type="Exp2Syn"),
            "by_type": rep("by_type", "v", "soma", "by_type.h5"),
        },
        "network": "$BASE_DIR/circuit_config.json",
    }
    with open(os.path.join(d, "simulation_config.json"), "w") as fh:
        json.dump(sim, fh, indent=2)


def run(d, python):
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "run")
        shutil.copytree(d, work)
        mdir = os.path.join(work, "components", "mechanisms")
        # BMTK's virtual cells are VecStims: BMTK's own vecevent.mod.
        import bmtk
        shutil.copy(os.path.join(os.path.dirname(bmtk.__file__), "utils", "scripts", "bionet",
                                 "mechanisms", "modfiles", "vecevent.mod"), mdir)
        nrnivmodl = os.path.join(os.path.dirname(python), "nrnivmodl")
        subprocess.run([nrnivmodl, "."], cwd=mdir, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([python, os.path.join(HERE, "run_bmtk_example.py"), "simulation_config.json"],
                       cwd=work, check=True)
        exp = os.path.join(d, "expected")
        os.makedirs(exp, exist_ok=True)
        for f in sorted(os.listdir(os.path.join(work, "output"))):
            if f.endswith(".h5"):
                shutil.copy(os.path.join(work, "output", f), exp)


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    build(OUT)
    run(OUT, sys.executable)
    print("expected:", sorted(os.listdir(os.path.join(OUT, "expected"))))
    import h5py
    with h5py.File(os.path.join(OUT, "expected", "spikes.h5")) as f:
        g = f["spikes"]["cells"]
        print("spikes:", len(g["timestamps"]), "per node:", np.bincount(g["node_ids"][:]))


if __name__ == "__main__":
    main()
