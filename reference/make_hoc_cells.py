"""Instantiates every template of the hoc fixtures in NEURON and writes what
each section is (name, L, diam and cm per segment, nseg, Ra, parent and the
connection points, inserted mechanisms with every parameter per segment, ion
variables per segment) to tests/golden/hoc/<file>.json.

Run with NEURON 9.0.2's Python:  /tmp/nrnenv/bin/python reference/make_hoc_cells.py
Options: --hoc FILE --out JSON --mechanisms DIR (defaults: the fixtures, the
project's models/)."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Mechanisms NEURON has built in: compiling them again would clash.
BUILTIN = {"Exp2Syn", "ExpSyn", "IClamp", "NetStim", "hh", "pas", "VecStim"}


def compile_mechanisms(src, scratch):
    for f in sorted(os.listdir(src)):
        if f.endswith(".mod") and f[:-4] not in BUILTIN:
            shutil.copy(os.path.join(src, f), scratch)
    subprocess.run(["nrnivmodl", "."], cwd=scratch, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, PATH=os.path.dirname(sys.executable) + ":" + os.environ["PATH"]))


def templates_of(path):
    names = []
    for line in open(path):
        words = line.split()
        if len(words) >= 2 and words[0] == "begintemplate":
            names.append(words[1])
    return names


def dump(h, cell):
    prefix = cell.hname() + "."
    secs = [s for s in h.allsec() if s.name().startswith(prefix)]
    out = []
    for s in secs:
        name = s.name()[len(prefix):]
        ps = s.psection()
        parent = s.parentseg()
        mechs = {}
        for m, vals in ps["density_mechs"].items():
            mechs[m] = {k: list(v) for k, v in vals.items()}
        ions = {}
        for ion, vals in ps["ions"].items():
            for k, v in vals.items():
                ions[k] = list(v)
        out.append({
            "name": name,
            "L": s.L,
            "nseg": s.nseg,
            "Ra": s.Ra,
            "diam": [seg.diam for seg in s],
            "cm": [seg.cm for seg in s],
            "parent": None if parent is None else parent.sec.name()[len(prefix):],
            "parent_x": None if parent is None else parent.x,
            "child_x": h.section_orientation(sec=s),
            "mechanisms": mechs,
            "ions": ions,
        })
    return out


def child(hoc, mechdir, out):
    from neuron import h
    h.nrn_load_dll(os.path.join(mechdir, "x86_64", ".libs", "libnrnmech.so"))
    h.load_file(hoc)
    result = {}
    for name in templates_of(hoc):
        cell = getattr(h, name)()
        result[name] = dump(h, cell)
    with open(out, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hoc", default=os.path.join(ROOT, "tests", "hoc", "cells.hoc"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "golden", "hoc", "cells.json"))
    ap.add_argument("--mechanisms", default=os.path.join(ROOT, "models"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(os.path.abspath(a.hoc), a.child, os.path.abspath(a.out))
        return
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        compile_mechanisms(a.mechanisms, scratch)
        subprocess.run([sys.executable, os.path.abspath(__file__), "--hoc", os.path.abspath(a.hoc),
                        "--out", os.path.abspath(a.out), "--child", scratch], check=True, cwd=scratch)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
