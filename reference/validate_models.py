#!/usr/bin/env python3
"""Validate nmc's own .mod files with NEURON itself (not needed by the tests).

How to run (from anywhere; needs a C++ compiler and make):

    python3 -m venv /tmp/nrnenv && /tmp/nrnenv/bin/pip install neuron==9.0.2
    /tmp/nrnenv/bin/python reference/validate_models.py [--work /tmp/nrnval]

What it does, in a scratch directory outside the repository:
  1. modlunit on every models/*.mod and tests/corpus/*.mod (unit report);
  2. nrnivmodl on models/ exactly as written;
  3. nrnivmodl on a copy of models/ whose names that clash with NEURON's
     built-ins (pas, hh, ExpSyn, Exp2Syn, IClamp, NetStim, VecStim) get the
     suffix _nmc, so they can be loaded next to the built-ins;
  4. nrnivmodl on tests/corpus/ (with include/), except the files NEURON can
     only translate (BBCOREPOINTER without VERBATIM), which go through
     nocmodl alone;
  5. simulations: the seed's RTM and WB single-compartment cells under a
     0.5 nA step (spike counts), our pas/hh/IClamp/ExpSyn/Exp2Syn/NetStim
     against NEURON's built-ins (largest voltage or spike-time difference),
     VecStim replaying a table, and (in a fresh process) a short run of
     every corpus mechanism, each in its own section with an input event.
Exit status 0 when everything compiles and the checks pass.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(REPO, "models")
CORPUS = os.path.join(REPO, "tests", "corpus")
BUILTIN_CLASH = ["pas", "hh", "ExpSyn", "Exp2Syn", "IClamp", "NetStim", "VecStim"]
TRANSLATE_ONLY = ["bbcorepointer_decl.mod"]
FAILURES = []


def tool(name):
    """Path of a NEURON tool. nrnivmodl must be the pip wrapper (it sets up
    NEURON's paths), found next to this Python; the others come from the
    package's own bin directory."""
    import neuron
    if name == "nrnivmodl":
        cand = os.path.join(os.path.dirname(sys.executable), name)
        return cand if os.path.exists(cand) else (shutil.which(name) or sys.exit("no nrnivmodl"))
    cand = os.path.join(os.path.dirname(neuron.__file__), ".data", "bin", name)
    if os.path.exists(cand):
        return cand
    found = shutil.which(name)
    if not found:
        sys.exit("cannot find %s; install neuron==9.0.2" % name)
    return found


def nrnivmodl(d):
    r = subprocess.run([tool("nrnivmodl")], cwd=d, capture_output=True, text=True)
    out = r.stdout + r.stderr
    notes = [l.strip() for l in out.splitlines()
             if re.search(r"\b(Warning|Error|error)\b", l) and "CalledProcessError" not in l]
    return r.returncode, notes


def find_lib(d):
    libs = glob.glob(os.path.join(d, "*", "libnrnmech.so")) + glob.glob(os.path.join(d, "*", ".libs", "libnrnmech.so"))
    return libs[0] if libs else os.path.join(d, "x86_64", "libnrnmech.so")


def stage_copy(dst, files):
    if os.path.isdir(dst):
        shutil.rmtree(dst)
    os.makedirs(dst)
    for f in files:
        shutil.copy(f, dst)
    return dst


def check(cond, what):
    print(("  ok   " if cond else "  FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def units_report(work):
    print("== modlunit")
    d = stage_copy(os.path.join(work, "units"), glob.glob(MODELS + "/*.mod")
                   + glob.glob(CORPUS + "/*.mod"))
    shutil.copytree(os.path.join(CORPUS, "include"), os.path.join(d, "include"))
    for f in sorted(os.listdir(d)):
        if not f.endswith(".mod"):
            continue
        r = subprocess.run([tool("modlunit"), f], cwd=d, capture_output=True, text=True)
        msg = [l for l in (r.stdout + r.stderr).splitlines()
               if l.strip() and not l.startswith(("Checking units", "INCLUDEing"))]
        print("  %-32s %s" % (f, "clean" if not msg else " | ".join(msg[:3])))


def compile_all(work):
    print("== nrnivmodl models/ as written")
    d = stage_copy(os.path.join(work, "models"), glob.glob(MODELS + "/*.mod"))
    rc, notes = nrnivmodl(d)
    check(rc == 0, "models/ compile (%d files)" % len(glob.glob(d + "/*.mod")))
    for n in notes:
        print("       " + n)

    print("== nrnivmodl models/ with built-in names renamed *_nmc")
    d = stage_copy(os.path.join(work, "models_nmc"), [])
    for f in glob.glob(MODELS + "/*.mod"):
        s = open(f).read()
        for name in BUILTIN_CLASH:
            s = re.sub(r"\b(SUFFIX|POINT_PROCESS|ARTIFICIAL_CELL)\s+%s\b" % name,
                       r"\1 %s_nmc" % name, s)
        open(os.path.join(d, os.path.basename(f)), "w").write(s)
    rc, notes = nrnivmodl(d)
    check(rc == 0, "renamed models compile")
    libs = [find_lib(d)]

    print("== nrnivmodl tests/corpus/")
    files = [f for f in glob.glob(CORPUS + "/*.mod") if os.path.basename(f) not in TRANSLATE_ONLY]
    d = stage_copy(os.path.join(work, "corpus"), files)
    shutil.copytree(os.path.join(CORPUS, "include"), os.path.join(d, "include"))
    rc, notes = nrnivmodl(d)
    check(rc == 0, "corpus compiles (%d files)" % len(files))
    for n in notes:
        print("       " + n)
    libs.append(find_lib(d))

    print("== nocmodl (translate only)")
    d = stage_copy(os.path.join(work, "translate"), [os.path.join(CORPUS, f) for f in TRANSLATE_ONLY])
    for f in TRANSLATE_ONLY:
        r = subprocess.run([tool("nocmodl"), f], cwd=d, capture_output=True, text=True)
        check(r.returncode == 0, "nocmodl translates %s" % f)
    return libs


def simulate(libs):
    from neuron import h
    for lib in libs:
        if not h.nrn_load_dll(lib):
            sys.exit("could not load " + lib)
    h.load_file("stdrun.hoc")
    h.celsius = 34
    h.dt = 0.1
    h.steps_per_ms = 10

    def soma(name):
        s = h.Section(name=name)
        s.L = 100
        s.diam = 500
        return s

    def spikes(sec, tstop, v_init):
        nc = h.NetCon(sec(0.5)._ref_v, None, sec=sec)
        nc.threshold = -15
        tv = h.Vector()
        nc.record(tv)
        h.finitialize(v_init)
        h.continuerun(tstop)
        return list(tv)

    print("== seed cells, IClamp 0.5 nA from 50 ms for 400 ms, v_init -75, 34 degC")
    results = {}
    for kind in ["RTM", "WB"]:
        s = soma(kind)
        s.insert("leak")
        if kind == "RTM":
            s.insert("na_rtm"); s.insert("k_rtm")
            s.ena, s.ek, s.eleak = 50, -100, -67
        else:
            s.insert("na_wb"); s.insert("k_wb")
            s.ena, s.ek, s.eleak = 55, -90, -65
        st = h.IClamp(s(0.5))
        st.delay, st.dur, st.amp = 50, 400, 0.5
        tv = spikes(s, 500, -75)
        results[kind] = tv
        rate = len([t for t in tv if 50 <= t < 450]) / 0.4
        print("  %s: %d spikes (%.1f Hz during the step), first at %s ms"
              % (kind, len(tv), rate, "%.1f" % tv[0] if tv else "-"))
        check(len(tv) >= 3 and all(50 <= t <= 460 for t in tv), "%s cell fires repetitively in the step" % kind)
        del s, st

    print("== our standard mechanisms against NEURON's built-ins")
    h.celsius = 6.3
    pair = []
    for suffix in ["", "_nmc"]:
        s = soma("hh" + suffix)
        s.insert("hh" + suffix)
        st = getattr(h, "IClamp" + suffix)(s(0.5))
        # NEURON's IClamp names its delay 'del' in the .mod and 'delay' in hoc
        for nm in ("delay", "del"):
            if hasattr(st, nm):
                setattr(st, nm, 5)
        st.dur, st.amp = 30, 40
        v = h.Vector().record(s(0.5)._ref_v)
        pair.append((s, st, v))
    h.finitialize(-65)
    h.continuerun(50)
    d = max(abs(a - b) for a, b in zip(pair[0][2], pair[1][2]))
    check(d < 1e-6, "hh + IClamp match built-ins (max |dv| = %.2e mV)" % d)
    del pair

    h.celsius = 34
    pair = []
    for suffix in ["", "_nmc"]:
        s = soma("syn" + suffix)
        s.insert("pas" + suffix)
        setattr(s, "g_pas" + suffix, 1e-4)
        setattr(s, "e_pas" + suffix, -65)
        ns = getattr(h, "NetStim" + suffix)()
        ns.start, ns.interval, ns.number, ns.noise = 5, 7, 6, 0
        e1 = getattr(h, "ExpSyn" + suffix)(s(0.5)); e1.tau = 2
        e2 = getattr(h, "Exp2Syn" + suffix)(s(0.5)); e2.tau1, e2.tau2, e2.e = 0.5, 6, -80
        n1 = h.NetCon(ns, e1); n1.weight[0] = 0.05; n1.delay = 1
        n2 = h.NetCon(ns, e2); n2.weight[0] = 0.03; n2.delay = 2
        tv = h.Vector(); n1.record(tv)
        v = h.Vector().record(s(0.5)._ref_v)
        pair.append((s, ns, e1, e2, n1, n2, tv, v))
    h.finitialize(-65)
    h.continuerun(60)
    a, b = pair
    check(list(a[6]) == list(b[6]) and len(a[6]) == 6,
          "NetStim spike times match built-in (%s)" % ", ".join("%g" % t for t in b[6]))
    d = max(abs(x - y) for x, y in zip(a[7], b[7]))
    check(d < 1e-6, "pas + ExpSyn + Exp2Syn match built-ins (max |dv| = %.2e mV)" % d)
    del pair, a, b

    vs = h.VecStim_nmc()
    times = h.Vector([3.0, 7.5, 7.5, 12.25, 40.0])
    index = h.Vector(range(int(times.size())))
    vs.table_stimtime(times, index)  # FUNCTION_TABLE of an ARTIFICIAL_CELL: a method
    vs.first, vs.count = 1, 3
    nc = h.NetCon(vs, None)
    tv = h.Vector(); nc.record(tv)
    h.finitialize(-65)
    h.continuerun(50)
    check(list(tv) == [7.5, 7.5, 12.25], "VecStim replays its table window (%s)" % list(tv))
    del vs, nc

    print("== a short run of every corpus mechanism (one section each, fresh process)")
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--corpus-run"] + libs,
                       capture_output=True, text=True)
    lines = [l for l in r.stdout.splitlines() if l.startswith(("  ok", "  FAIL"))]
    for l in lines:
        print(l)
    check(r.returncode == 0 and lines and lines[-1].startswith("  ok"),
          "corpus run process exits cleanly (status %d)" % r.returncode)


def corpus_run(libs):
    from neuron import h
    for lib in libs:
        if not h.nrn_load_dll(lib):
            sys.exit("could not load " + lib)
    h.load_file("stdrun.hoc")

    def soma(name):
        s = h.Section(name=name)
        s.L = 100
        s.diam = 500
        return s

    h.dt = 0.025
    keep = []
    for f in sorted(glob.glob(CORPUS + "/*.mod")):
        if os.path.basename(f) in TRANSLATE_ONLY:
            continue
        text = open(f).read()
        m = re.search(r"NEURON\s*\{[^}]*?\b(SUFFIX|POINT_PROCESS|ARTIFICIAL_CELL)\s+(\w+)", text)
        kind, name = m.groups()
        s = soma(name)
        s.nseg = 3
        s.insert("pas")
        stim = h.IClamp(s(0.5))
        stim.delay, stim.dur, stim.amp = 1, 3, 20
        keep += [s, stim]
        if kind == "SUFFIX":
            s.insert(name)
        else:
            pp = getattr(h, name)(s(0.5)) if kind == "POINT_PROCESS" else getattr(h, name)()
            if "POINTER vpartner" in text:
                h.setpointer(s(0.1)._ref_v, "vpartner", pp)
            keep.append(pp)
            if "NET_RECEIVE" in text:
                nc = h.NetCon(None, pp)
                nc.weight[0] = 0.01
                keep.append(nc)
        if name == "cp_global":
            s.insert("cp_external")  # EXTERNAL reads cp_global's q10
    # the FUNCTION_TABLEs of cp_ftab: minf from vectors, mtau a constant
    vt = h.Vector([-100, 0, 100])
    ym = h.Vector([0.0, 0.5, 1.0])  # NEURON keeps pointers into these vectors
    h.table_minf_cp_ftab(ym, vt)
    h.table_mtau_cp_ftab(2.0)
    h.finitialize(-65)
    for obj in keep:
        if obj.hname().startswith("NetCon"):
            obj.event(2.0)
    h.continuerun(5)
    secs = [x for x in keep if hasattr(x, "nseg")]
    bad = [x.name() for x in secs if not all(abs(seg.v) < 1e3 for seg in x)]
    check(not bad, "%d corpus mechanisms run 5 ms with an input event (bad: %s)" % (len(secs), bad or "none"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/nrnval", help="scratch directory (outside the repo)")
    ap.add_argument("--corpus-run", nargs="*", metavar="LIB", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.corpus_run:
        corpus_run(args.corpus_run)
        sys.exit(1 if FAILURES else 0)
    os.makedirs(args.work, exist_ok=True)
    units_report(args.work)
    libs = compile_all(args.work)
    if not FAILURES:
        simulate(libs)
    print("\n%d failure(s)" % len(FAILURES))
    for f in FAILURES:
        print("  " + f)
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
