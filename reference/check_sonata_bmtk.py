#!/usr/bin/env python3
"""Check a SONATA folder written by `nmc build` the way BMTK 1.2.0 reads it.

Reads the circuit and simulation configs (manifest variables, ${configdir}),
every nodes/edges HDF5 file with h5py, the type CSVs (space-separated, as
BMTK's pandas call reads them), node sets, synapse JSON files and input
spike files, and compares every dataset's dtype, shape and attributes with
those of the same dataset in BMTK's own build of the seed network (the
reference folder; by default the repository root, whose network/ and
input/ hold it). Also checks that the `indices` groups index exactly the
edges they claim to. When the `bmtk` package is importable, the folder is
also opened with `bmtk.utils.sonata.File` and every node and edge is
iterated.

Usage:
    python3 reference/check_sonata_bmtk.py DIR [--reference REF_DIR]

Exit status 0 when every check passes, 1 otherwise (each failure printed).
"""

import argparse
import csv
import json
import os
import re
import sys

import h5py
import numpy as np

SONATA_MAGIC = 0x0A7A

failures = []
notes = []


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def note(msg):
    notes.append(msg)
    print("note", msg)


def expand(value, variables, configdir):
    """Expands $NAME, ${NAME} and ${configdir} the way BMTK's config parser does."""
    def sub(m):
        name = m.group(1) or m.group(2)
        if name == "configdir":
            return configdir
        if name in variables:
            return variables[name]
        raise KeyError(f"unknown manifest variable {name} in {value}")
    for _ in range(10):
        new = re.sub(r"\$\{(\w+)\}|\$(\w+)", sub, value)
        if new == value:
            break
        value = new
    return value


def load_config(path):
    path = os.path.abspath(path)
    configdir = os.path.dirname(path)
    with open(path) as f:
        cfg = json.load(f)
    raw = {k.lstrip("$"): v for k, v in cfg.get("manifest", {}).items()}
    variables = {}
    for k in raw:
        variables[k] = expand(raw[k], raw, configdir)

    def resolve(v):
        if isinstance(v, str) and ("$" in v or "/" in v or v.endswith((".h5", ".csv", ".json"))):
            v = expand(v, variables, configdir)
            return v if os.path.isabs(v) else os.path.join(configdir, v)
        if isinstance(v, dict):
            return {k: resolve(x) for k, x in v.items()}
        if isinstance(v, list):
            return [resolve(x) for x in v]
        return v
    return {k: (resolve(v) if k != "manifest" else v) for k, v in cfg.items()}


def read_types(path, id_column):
    """A types CSV as BMTK reads it: pandas.read_csv(path, sep=' ')."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter=" ", quotechar='"'))
    header, body = rows[0], [r for r in rows[1:] if r]
    if id_column not in header:
        fail(f"{path}: no `{id_column}` column")
        return header, {}
    out = {}
    for n, r in enumerate(body, start=2):
        if len(r) != len(header):
            fail(f"{path} line {n}: {len(r)} values for {len(header)} columns")
            continue
        out[int(r[header.index(id_column)])] = dict(zip(header, r))
    return header, out


def attrs_of(obj):
    out = {}
    for k in obj.attrs:
        aid = obj.attrs.get_id(k)
        out[k] = (str(aid.dtype), aid.shape, h5py.check_string_dtype(aid.dtype) is not None)
    return out


def datasets(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj) if isinstance(obj, h5py.Dataset) else None)
    return out


def generic(name):
    """A dataset path with population names replaced, to match the reference's."""
    parts = name.split("/")
    if len(parts) >= 2 and parts[0] in ("nodes", "edges", "spikes"):
        parts[1] = "<pop>"
    return "/".join(parts)


# Per-edge and per-node columns that are optional in SONATA and BMTK: an
# nmc file may have them when the reference does not.
OPTIONAL = {"syn_weight", "delay", "sec_id", "sec_x", "afferent_section_id",
            "afferent_section_pos", "positions", "x", "y", "z"}


def compare_file(path, ref_path, kind):
    with h5py.File(path, "r") as f, h5py.File(ref_path, "r") as r:
        if f.attrs.get("magic") != SONATA_MAGIC or f.attrs.get_id("magic").dtype != np.uint32:
            fail(f"{path}: root attribute magic is not uint32 0x0A7A")
        if list(f.attrs.get("version", [])) != [0, 1]:
            fail(f"{path}: root attribute version is not [0, 1]")
        if attrs_of(f) != attrs_of(r):
            fail(f"{path}: root attributes {attrs_of(f)} differ from BMTK's {attrs_of(r)}")
        mine = {generic(k): v for k, v in datasets(f).items()}
        ref = {generic(k): v for k, v in datasets(r).items()}
        for name, rd in ref.items():
            if name not in mine:
                if name.split("/")[-1] in OPTIONAL:
                    note(f"{path}: has no optional `{name}` (BMTK's has it)")
                else:
                    fail(f"{path}: missing dataset `{name}`")
                continue
            d = mine[name]
            if d.dtype != rd.dtype and not (h5py.check_string_dtype(d.dtype) and h5py.check_string_dtype(rd.dtype)):
                fail(f"{path}: `{name}` is {d.dtype}, BMTK writes {rd.dtype}")
            if d.ndim != rd.ndim or (d.ndim == 2 and d.shape[1] != rd.shape[1]):
                fail(f"{path}: `{name}` has shape {d.shape}, BMTK's has {rd.shape}")
            if attrs_of(d) != attrs_of(rd):
                fail(f"{path}: `{name}` attributes {attrs_of(d)} differ from BMTK's {attrs_of(rd)}")
            for k in rd.attrs:
                if k in d.attrs and k == "units" and d.attrs[k] != rd.attrs[k]:
                    fail(f"{path}: `{name}` units {d.attrs[k]!r}, BMTK's {rd.attrs[k]!r}")
            if d.compression != rd.compression:
                note(f"{path}: `{name}` compression {d.compression}, BMTK's {rd.compression}")
        for name in mine:
            if name not in ref:
                leaf = name.split("/")[-1]
                if leaf in OPTIONAL or "/0/" in name or "/" not in name:
                    note(f"{path}: extra column `{name}` ({mine[name].dtype})")
                else:
                    fail(f"{path}: dataset `{name}` that BMTK does not write")
        # Group attributes (spikes: sorting).
        if kind == "spikes":
            for pop in f["spikes"]:
                g = f["spikes"][pop]
                s = g.attrs.get("sorting")
                if s not in ("none", "by_id", "by_time"):
                    fail(f"{path}: /spikes/{pop} sorting is {s!r}")
                if h5py.check_string_dtype(g.attrs.get_id("sorting").dtype) is None:
                    fail(f"{path}: /spikes/{pop} sorting is not a string")
                t = g["timestamps"][()]
                if s == "by_time" and np.any(np.diff(t) < 0):
                    fail(f"{path}: /spikes/{pop} says by_time but is not sorted")


def check_index(path, pop, group, direction, n_nodes):
    key = group["source_node_id" if direction == "source_to_target" else "target_node_id"][()]
    idx = group["indices"][direction]
    n2r = idx["node_id_to_range"][()]
    r2e = idx["range_to_edge_id"][()]
    if n2r.shape[0] < (key.max() + 1 if len(key) else 0):
        fail(f"{path} {pop}: {direction} node_id_to_range has {n2r.shape[0]} rows for node ids up to {key.max()}")
        return
    for node in range(n2r.shape[0]):
        a, b = n2r[node]
        got = [e for lo, hi in r2e[a:b] for e in range(lo, hi)]
        want = list(np.nonzero(key == node)[0])
        if sorted(got) != want:
            fail(f"{path} {pop}: {direction} index of node {node} lists edges {got[:5]}..., its edges are {want[:5]}...")
            return


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    # BMTK's build of the seed lives at the repository root (network/, input/).
    default_ref = os.path.normpath(os.path.join(here, ".."))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", help="folder written by nmc build")
    ap.add_argument("--reference", default=default_ref, help="BMTK-built folder to compare with")
    args = ap.parse_args()

    sim = load_config(os.path.join(args.dir, "simulation_config.json"))
    ref_sim = load_config(os.path.join(args.reference, "simulation_config.json"))
    circ = load_config(sim["network"])
    ref_circ = load_config(ref_sim["network"])
    for section in ("run", "conditions", "output", "inputs", "node_sets_file", "network"):
        if section not in sim:
            fail(f"simulation_config.json has no `{section}`")
    for k in ("tstart", "tstop", "dt", "spike_threshold"):
        if not isinstance(sim["run"].get(k), (int, float)):
            fail(f"run.{k} is not a number")
    for k in ("celsius", "v_init"):
        if not isinstance(sim["conditions"].get(k), (int, float)):
            fail(f"conditions.{k} is not a number")
    comps = circ.get("components", {})
    for k in ("synaptic_models_dir", "templates_dir", "mechanisms_dir"):
        if k not in comps:
            fail(f"circuit_config.json components has no `{k}`")
        elif not os.path.isdir(comps[k]):
            fail(f"components.{k} `{comps[k]}` is not a folder")
    with open(sim["node_sets_file"]) as f:
        node_sets = json.load(f)

    ref_nodes = ref_circ["networks"]["nodes"]
    ref_edges = ref_circ["networks"]["edges"]
    pops = {}
    for entry in circ["networks"]["nodes"]:
        path, types = entry["nodes_file"], entry["node_types_file"]
        ref = ref_nodes[0] if "extnet" not in path else ref_nodes[-1]
        with h5py.File(path, "r") as f:
            virtual = None
            header, rows = read_types(types, "node_type_id")
            for pop in f["nodes"]:
                g = f["nodes"][pop]
                tids = g["node_type_id"][()]
                models = {rows.get(int(t), {}).get("model_type") for t in set(tids)}
                virtual = models == {"virtual"}
                pops[pop] = (len(tids), rows, g["node_type_id"][()])
                for t in set(tids):
                    if int(t) not in rows:
                        fail(f"{path}: node type {t} not in {types}")
                if list(g["node_id"][()]) != list(range(len(tids))):
                    fail(f"{path}: /nodes/{pop}/node_id is not 0..n-1")
                for t, row in rows.items():
                    if not virtual and not row.get("model_template", "").startswith("hoc:"):
                        fail(f"{types}: node type {t} model_template {row.get('model_template')!r}")
                    if not virtual:
                        name = row["model_template"][4:]
                        if not os.path.isfile(os.path.join(comps["templates_dir"], name + ".ndl")):
                            fail(f"{types}: template {name}.ndl not in {comps['templates_dir']}")
        ref = ref_nodes[-1] if virtual else ref_nodes[0]
        compare_file(path, ref["nodes_file"], "nodes")
    for entry in circ["networks"]["edges"]:
        path, types = entry["edges_file"], entry["edge_types_file"]
        header, rows = read_types(types, "edge_type_id")
        ref_header, _ = read_types(ref_edges[0]["edge_types_file"], "edge_type_id")
        if sorted(header) != sorted(ref_header):
            fail(f"{types}: columns {header}, BMTK's {ref_header}")
        for t, row in rows.items():
            dp = os.path.join(comps["synaptic_models_dir"], row["dynamics_params"])
            try:
                with open(dp) as f:
                    json.load(f)
            except (OSError, ValueError) as e:
                fail(f"{types}: edge type {t} dynamics_params {dp}: {e}")
        with h5py.File(path, "r") as f:
            for pop in f["edges"]:
                g = f["edges"][pop]
                src = g["source_node_id"].attrs["node_population"]
                trg = g["target_node_id"].attrs["node_population"]
                for which, p in (("source", src), ("target", trg)):
                    if p not in pops:
                        fail(f"{path}: {which} population {p!r} is not in the circuit")
                for t in set(g["edge_type_id"][()]):
                    if int(t) not in rows:
                        fail(f"{path}: edge type {t} not in {types}")
                t = g["target_node_id"][()]
                if np.any(np.diff(t.astype(np.int64)) < 0):
                    note(f"{path}: {pop} is not sorted by target (BMTK's are)")
                if src in pops and trg in pops:
                    check_index(path, pop, g, "source_to_target", pops[src][0])
                    check_index(path, pop, g, "target_to_source", pops[trg][0])
                virtual = src in pops and set(r.get("model_type") for r in pops[src][1].values()) == {"virtual"}
        ref = ref_edges[-1] if virtual else ref_edges[0]
        compare_file(path, ref["edges_file"], "edges")
    for name, inp in sim.get("inputs", {}).items():
        if inp.get("input_type") != "spikes" or inp.get("module") != "sonata":
            fail(f"input {name}: {inp.get('input_type')}/{inp.get('module')}")
        ns = inp.get("node_set")
        if ns not in node_sets:
            fail(f"input {name}: node set {ns!r} is not in node_sets.json")
        compare_file(inp["input_file"], list(ref_sim["inputs"].values())[0]["input_file"], "spikes")

    try:
        from bmtk.utils import sonata
    except ImportError:
        note("bmtk is not installed: h5py checks only")
    else:
        for entry in circ["networks"]["nodes"]:
            f = sonata.File(data_files=entry["nodes_file"], data_type_files=entry["node_types_file"])
            for pop in f.nodes.population_names:
                n = sum(1 for _ in f.nodes[pop])
                print(f"bmtk read {n} nodes of {pop}")
        for entry in circ["networks"]["edges"]:
            f = sonata.File(data_files=entry["edges_file"], data_type_files=entry["edge_types_file"])
            for pop in f.edges.population_names:
                n = sum(1 for _ in f.edges[pop])
                print(f"bmtk read {n} edges of {pop}")

    print(f"{len(failures)} failures, {len(notes)} notes")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
