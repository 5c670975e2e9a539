"""Runs this network in BMTK's bionet + NEURON (written by `nmc build`).

    cd components/mechanisms && nrnivmodl && cd ../..
    python run_bionet.py [simulation_config.json]

`nmc run simulation_config.json` runs the same network in nmc.

Synapse models: BMTK knows `exp2syn`; every other `model_template` of the
edge types is a point process of components/mechanisms, registered here
the way nmc reads it: the mechanism of that name at the synapse's site,
with every key of its `dynamics_params` that is one of the mechanism's
variables set on it (other keys, such as `level_of_detail`, are left out).

Artificial cells: nodes of `model_type` `point_process` with
`model_template` `nrn:<Cell>`. BMTK knows `nrn:IntFire1` (`tau`, `refrac`
in seconds); every other one is registered here as the artificial cell of
that name with every key of its `dynamics_params` set on it (NEURON's
names and units), as nmc reads them.
"""

import csv
import glob
import os
import sys

from neuron import h
from bmtk.simulator import bionet
from bmtk.simulator.bionet.pyfunction_cache import add_cell_model, add_synapse_model

HERE = os.path.dirname(os.path.abspath(__file__))


def point_process_synapse(name):
    """A BMTK synapse loader for the point process `name`."""

    def load(syn_params, sec_x, sec_id):
        syn = getattr(h, name)(sec_x, sec=sec_id)
        for key, value in syn_params.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and hasattr(syn, key):
                setattr(syn, key, value)
        return syn

    return load


def register_synapse_models():
    """Registers every `model_template` of the edge type tables but exp2syn."""
    names = set()
    for path in glob.glob(os.path.join(HERE, "network", "*_edge_types.csv")):
        with open(path, newline="") as fh:
            for row in csv.DictReader(fh, delimiter=" "):
                template = row.get("model_template")
                if template and template != "exp2syn":
                    names.add(template)
    for name in sorted(names):
        add_synapse_model(point_process_synapse(name), name, overwrite=False)


def artificial_cell(name):
    """A BMTK cell loader for the artificial cell `name`."""

    def load(cell, template_name, dynamics_params):
        hobj = getattr(h, name)()
        for key, value in (dynamics_params or {}).items():
            setattr(hobj, key, value)
        return hobj

    return load


def register_cell_models():
    """Registers every `nrn:` point_process template of the node type tables but IntFire1."""
    names = set()
    for path in glob.glob(os.path.join(HERE, "network", "*_node_types.csv")):
        with open(path, newline="") as fh:
            for row in csv.DictReader(fh, delimiter=" "):
                template = row.get("model_template") or ""
                if row.get("model_type") == "point_process" and template.startswith("nrn:"):
                    names.add(template[len("nrn:"):])
    names.discard("IntFire1")
    for name in sorted(names):
        add_cell_model(artificial_cell(name), directive="nrn:" + name, model_type="point_process", overwrite=False)


def main(config_file):
    register_synapse_models()
    register_cell_models()
    conf = bionet.Config.from_json(config_file, validate=True)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    sim = bionet.BioSimulator.from_config(conf, network=net)
    sim.run()
    bionet.nrn.quit_execution()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "simulation_config.json"))
