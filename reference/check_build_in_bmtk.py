#!/usr/bin/env python3
"""Runs a folder `nmc build` wrote in BMTK + NEURON, unchanged, and compares
its spikes with nmc's run of the same folder.

For each NDL network (default: the seed network, the ball-and-stick
network of tests/cells/bmtk_ballstick.ndl and the ball-and-tree cell under
a current clamp of tests/cells/mc_ball_tree.ndl):

1. `nmc build NET.ndl -o WORK/<name>`;
2. `nrnivmodl` in WORK/<name>/components/mechanisms (the folder's own
   mechanisms: no NEURON built-in, a VecStim with play for the inputs);
3. `python run_bionet.py` in the folder (the script nmc build wrote: BMTK's
   bionet, nothing patched), which must exit 0;
4. `nmc run WORK/<name>/simulation_config.json -o WORK/<name>/output_nmc`;
5. pairs the spikes of every cell one to one within TOL ms (greedy in
   time order, as `nmc compare` does) and prints, per population, the
   spike counts and the fraction matched over the larger count; the run
   passes when every population has at least 99% matched. `nmc compare
   --tolerance TOL` is printed too.

With --golden DIR it also stores what BMTK + NEURON computed, so tests can
check nmc against it without NEURON: DIR/<name>_spikes_bmtk.h5 (BMTK's
spike file as written) and DIR/outcome.json (versions, commands, counts
and matched fractions per population).

Usage (from the repository root, in a Python with bmtk 1.2.0, NEURON 9.0.2
and h5py; nrnivmodl is taken from that Python's bin folder):

    python reference/check_build_in_bmtk.py [--nmc target/release/nmc]
        [--work /tmp/nmc_bmtk_build] [--tol 0.1] [--golden tests/golden/build_bmtk]
        [NET.ndl ...]

Exit status 0 when every network ran and matched, 1 otherwise.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_NETWORKS = [
    "examples/bmtk_test_net/network.ndl",
    "tests/cells/bmtk_ballstick.ndl",
    "tests/cells/mc_ball_tree.ndl",
]


def read_spikes(path):
    """{(population, node_id): sorted times} of a SONATA spike file."""
    out = {}
    with h5py.File(path, "r") as f:
        for pop, g in f["spikes"].items():
            ids = np.asarray(g["node_ids"][()])
            ts = np.asarray(g["timestamps"][()])
            for i, t in zip(ids, ts):
                out.setdefault((pop, int(i)), []).append(float(t))
    return {k: sorted(v) for k, v in out.items()}


def pop_names(folder):
    """{(node population, node_id): pop_name} of the built folder's real cells."""
    names = {}
    net = os.path.join(folder, "network")
    for f in sorted(os.listdir(net)):
        if not f.endswith("_nodes.h5"):
            continue
        types_file = os.path.join(net, f[: -len("_nodes.h5")] + "_node_types.csv")
        with open(types_file) as fh:
            header = fh.readline().split()
            types = {}
            for line in fh:
                row = dict(zip(header, line.split()))
                types[int(row["node_type_id"])] = row
        with h5py.File(os.path.join(net, f), "r") as h:
            for pop, g in h["nodes"].items():
                for nid, tid in zip(g["node_id"][()], g["node_type_id"][()]):
                    row = types[int(tid)]
                    if row.get("model_type") != "virtual":
                        names[(pop, int(nid))] = row.get("pop_name", pop)
    return names


def matched(a, b, tol):
    """Spikes of two sorted lists paired one to one within tol (greedy)."""
    i = j = n = 0
    while i < len(a) and j < len(b):
        if abs(a[i] - b[j]) <= tol + 1e-12:
            n += 1
            i += 1
            j += 1
        elif a[i] < b[j]:
            i += 1
        else:
            j += 1
    return n


def compare(folder, bmtk_file, nmc_file, tol):
    names = pop_names(folder)
    a, b = read_spikes(bmtk_file), read_spikes(nmc_file)
    rows = {}
    for cell, pop in names.items():
        r = rows.setdefault(pop, {"cells": 0, "spikes_bmtk": 0, "spikes_nmc": 0, "matched": 0})
        x, y = a.get(cell, []), b.get(cell, [])
        r["cells"] += 1
        r["spikes_bmtk"] += len(x)
        r["spikes_nmc"] += len(y)
        r["matched"] += matched(x, y, tol)
    for r in rows.values():
        larger = max(r["spikes_bmtk"], r["spikes_nmc"])
        r["fraction_matched"] = r["matched"] / larger if larger else 1.0
    return rows


def run(cmd, cwd=None, log=None):
    t0 = time.time()
    print("$", " ".join(cmd), f"(in {cwd})" if cwd else "", flush=True)
    with open(log, "w") if log else open(os.devnull, "w") as fh:
        p = subprocess.run(cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT)
    print(f"  exit {p.returncode} after {time.time() - t0:.1f} s" + (f", log {log}" if log else ""))
    return p.returncode


def check(ndl, args):
    name = os.path.splitext(os.path.basename(ndl))[0]
    if name == "network":
        name = os.path.basename(os.path.dirname(ndl))
    folder = os.path.join(args.work, name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    result = {"ndl": ndl, "folder": folder}
    if run([args.nmc, "build", os.path.join(ROOT, ndl), "-o", folder]) != 0:
        result["error"] = "nmc build failed"
        return result
    mech = os.path.join(folder, "components", "mechanisms")
    if os.path.isdir(mech):
        nrnivmodl = os.path.join(os.path.dirname(sys.executable), "nrnivmodl")
        if run([nrnivmodl], cwd=mech, log=os.path.join(args.work, name + "_nrnivmodl.log")) != 0:
            result["error"] = "nrnivmodl failed"
            return result
    code = run([sys.executable, "run_bionet.py"], cwd=folder,
               log=os.path.join(args.work, name + "_bmtk.log"))
    result["bmtk_exit"] = code
    if code != 0:
        result["error"] = "run_bionet.py failed"
        return result
    with open(os.path.join(folder, "simulation_config.json")) as fh:
        sim = json.load(fh)
    spikes_file = sim["output"]["spikes_file"]
    bmtk_spikes = os.path.join(folder, "output", spikes_file)
    nmc_out = os.path.join(folder, "output_nmc")
    if run([args.nmc, "run", os.path.join(folder, "simulation_config.json"), "-o", nmc_out, "--quiet"],
           log=os.path.join(args.work, name + "_nmc.log")) != 0:
        result["error"] = "nmc run failed"
        return result
    nmc_spikes = os.path.join(nmc_out, spikes_file)
    subprocess.run([args.nmc, "compare", bmtk_spikes, nmc_spikes, "--config",
                    os.path.join(folder, "simulation_config.json"), "--tolerance", str(args.tol)])
    result["populations"] = compare(folder, bmtk_spikes, nmc_spikes, args.tol)
    result["bmtk_spikes"] = bmtk_spikes
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("networks", nargs="*", default=DEFAULT_NETWORKS)
    ap.add_argument("--nmc", default=os.path.join(ROOT, "target", "release", "nmc"))
    ap.add_argument("--work", default="/tmp/nmc_bmtk_build")
    ap.add_argument("--tol", type=float, default=0.1)
    ap.add_argument("--golden", default=None)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    results = [check(n, args) for n in args.networks]

    ok = True
    print(f"\nspikes of BMTK 1.2 + NEURON 9.0.2 and nmc on the same built folder, paired within {args.tol} ms:")
    print(f"  {'network':<16} {'population':<12} {'cells':>6} {'BMTK':>7} {'nmc':>7} {'matched':>9}")
    for r in results:
        name = os.path.basename(r["folder"])
        if "error" in r:
            ok = False
            print(f"  {name:<16} FAILED: {r['error']}")
            continue
        for pop, row in sorted(r["populations"].items()):
            good = row["fraction_matched"] >= 0.99
            ok &= good
            print(f"  {name:<16} {pop:<12} {row['cells']:>6} {row['spikes_bmtk']:>7} {row['spikes_nmc']:>7} "
                  f"{100 * row['fraction_matched']:>8.2f}%" + ("" if good else "  < 99%"))

    if args.golden and ok:
        import bmtk
        import neuron
        os.makedirs(args.golden, exist_ok=True)
        outcome = {
            "generator": "reference/check_build_in_bmtk.py",
            "bmtk_version": bmtk.__version__,
            "neuron_version": neuron.__version__,
            "tolerance_ms": args.tol,
            "networks": {},
        }
        for r in results:
            name = os.path.basename(r["folder"])
            shutil.copy(r["bmtk_spikes"], os.path.join(args.golden, name + "_spikes_bmtk.h5"))
            outcome["networks"][name] = {
                "ndl": r["ndl"],
                "spikes": name + "_spikes_bmtk.h5",
                "populations": r["populations"],
            }
        with open(os.path.join(args.golden, "outcome.json"), "w") as fh:
            json.dump(outcome, fh, indent=2, sort_keys=True)
            fh.write("\n")
        print(f"wrote {args.golden}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
