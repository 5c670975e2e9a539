"""Runs one BMTK bionet simulation config in BMTK + NEURON, as BMTK's own
example `run_bionet.py` scripts do, without their plotting.

usage: python run_bmtk_example.py CONFIG  (from the config's folder; the
config's mechanisms_dir compiled by nrnivmodl first)
"""
import sys

from bmtk.simulator import bionet


def main(config_file):
    conf = bionet.Config.from_json(config_file, validate=True)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    sim = bionet.BioSimulator.from_config(conf, network=net)
    sim.run()


if __name__ == "__main__":
    main(sys.argv[1])
