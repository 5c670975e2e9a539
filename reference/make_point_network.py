#!/usr/bin/env python3
"""Builds tests/sonata_point/point_net/ (a SONATA network of artificial
cells only) with bmtk.builder, runs it in BMTK 1.2.0 + NEURON 9.0.2 and
stores NEURON's spikes in its expected/ folder, for tests/sonata_point.rs.

Network: population `stim`, three `model_type: point_process` nodes with
`model_template: nrn:NetStim` (noise 1: intervals from each NetStim's
RANDOM stream, NEURON's default ids in BMTK's creation order), and
population `lif`, five `nrn:IntFire1` nodes (BMTK's built-in setter:
`tau`, `refrac` in seconds); stim -> lif all to all, lif -> lif with
probability 0.4 (numpy seed 3; no self-connections), weights with
`sign` from the edge type's dynamics_params. BMTK has no built-in setter
for NetStim: the run script registers one with `add_cell_model` that sets
every entry of the node's dynamics_params as the NetStim parameter of that
name (NEURON's units), which is what nmc reads too.

Usage (repository root, Python with bmtk 1.2.0, NEURON 9.0.2, h5py):
    python reference/make_point_network.py
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
OUT = os.path.join(ROOT, "tests", "sonata_point", "point_net")


def build(d):
    from bmtk.builder import NetworkBuilder

    rng = np.random.RandomState(3)
    stim = NetworkBuilder("stim")
    stim.add_nodes(N=3, pop_name="poisson_stim", model_type="point_process", model_template="nrn:NetStim",
                   dynamics_params="NetStim_noisy.json")
    lif = NetworkBuilder("lif")
    lif.add_nodes(N=5, pop_name="lif", model_type="point_process", model_template="nrn:IntFire1",
                  dynamics_params="IntFire1_lif.json")
    lif.add_edges(source=lif.nodes(), target=lif.nodes(),
                  connection_rule=lambda s, t: int(s.node_id != t.node_id and rng.rand() < 0.4),
                  syn_weight=0.5, delay=2.0, dynamics_params="exc.json")
    stim.add_edges(source=stim.nodes(), target=lif.nodes(), connection_rule=1, syn_weight=0.3,
                   delay=1.0, dynamics_params="exc.json")
    stim.build()
    stim.save(output_dir=os.path.join(d, "network"))
    lif.build()
    lif.save(output_dir=os.path.join(d, "network"))

    comp = os.path.join(d, "components")
    for sub in ["point_neuron_models", "synaptic_models", "mechanisms"]:
        os.makedirs(os.path.join(comp, sub), exist_ok=True)
    with open(os.path.join(comp, "mechanisms", "README.md"), "w") as fh:
        fh.write("The network uses only NEURON's built-in artificial cells (NetStim, IntFire1).\n")
    with open(os.path.join(comp, "point_neuron_models", "IntFire1_lif.json"), "w") as fh:
        json.dump({"tau": 0.008, "refrac": 0.003}, fh, indent=2)
    with open(os.path.join(comp, "point_neuron_models", "NetStim_noisy.json"), "w") as fh:
        json.dump({"interval": 6.0, "number": 1000, "start": 1.0, "noise": 1.0}, fh, indent=2)
    with open(os.path.join(comp, "synaptic_models", "exc.json"), "w") as fh:
        json.dump({"sign": 1}, fh, indent=2)

    circuit = {
        "manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network",
                     "$COMPONENTS_DIR": "$BASE_DIR/components"},
        "components": {
            "synaptic_models_dir": "$COMPONENTS_DIR/synaptic_models",
            "point_neuron_models_dir": "$COMPONENTS_DIR/point_neuron_models",
            "mechanisms_dir": "$COMPONENTS_DIR/mechanisms",
        },
        "networks": {
            "nodes": [{"nodes_file": "$NETWORK_DIR/%s_nodes.h5" % p,
                       "node_types_file": "$NETWORK_DIR/%s_node_types.csv" % p} for p in ["stim", "lif"]],
            "edges": [{"edges_file": "$NETWORK_DIR/%s_edges.h5" % p,
                       "edge_types_file": "$NETWORK_DIR/%s_edge_types.csv" % p}
                      for p in ["stim_lif", "lif_lif"]],
        },
    }
    with open(os.path.join(d, "circuit_config.json"), "w") as fh:
        json.dump(circuit, fh, indent=2)
    sim = {
        "manifest": {"$BASE_DIR": "${configdir}", "$OUTPUT_DIR": "$BASE_DIR/output"},
        "target_simulator": "NEURON",
        "run": {"tstart": 0.0, "tstop": 300.0, "dt": 0.025, "dL": 20.0, "spike_threshold": -15.0,
                "nsteps_block": 5000},
        "conditions": {"celsius": 6.3, "v_init": -70.0},
        "inputs": {},
        "output": {"log_file": "log.txt", "output_dir": "$OUTPUT_DIR", "spikes_file": "spikes.h5"},
        "network": "$BASE_DIR/circuit_config.json",
    }
    with open(os.path.join(d, "simulation_config.json"), "w") as fh:
        json.dump(sim, fh, indent=2)


RUNNER = r'''
from neuron import h
from bmtk.simulator import bionet
from bmtk.simulator.bionet.pyfunction_cache import add_cell_model

def NetStim(cell, template_name, dynamics_params):
    hobj = h.NetStim()
    for k, v in dynamics_params.items():
        setattr(hobj, k, v)
    return hobj

add_cell_model(NetStim, directive="nrn:NetStim", model_type="point_process", overwrite=False)
conf = bionet.Config.from_json("simulation_config.json")
conf.build_env()
net = bionet.BioNetwork.from_config(conf)
sim = bionet.BioSimulator.from_config(conf, network=net)
ids = [list(h.NetStim[i].ranvar.get_ids()) for i in range(int(h.List("NetStim").count()))]
with open("netstim_ids.txt", "w") as fh:
    fh.write(repr(ids) + "\n")
sim.run()
'''


def run(d, python):
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "run")
        shutil.copytree(d, work)
        with open(os.path.join(work, "run_bmtk.py"), "w") as fh:
            fh.write(RUNNER)
        subprocess.run([python, "run_bmtk.py"], cwd=work, check=True)
        exp = os.path.join(d, "expected")
        os.makedirs(exp, exist_ok=True)
        shutil.copy(os.path.join(work, "output", "spikes.h5"), exp)
        shutil.copy(os.path.join(work, "netstim_ids.txt"), exp)


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    build(OUT)
    run(OUT, sys.executable)
    import h5py
    with h5py.File(os.path.join(OUT, "expected", "spikes.h5")) as f:
        for pop in f["spikes"]:
            g = f["spikes"][pop]
            print(pop, "spikes:", len(g["timestamps"]), "per node:", np.bincount(g["node_ids"][:]))


if __name__ == "__main__":
    main()
