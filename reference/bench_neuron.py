#!/usr/bin/env python3
"""Time NEURON 9.0.2 on RTM cells (the baseline nmc's engine is compared with).

    /tmp/nrnenv/bin/python reference/bench_neuron.py [--work /tmp/nrnref] [--repeat 3]

(a) one RTMExcCell (spec section 1) with a 1 nA IClamp from t = 0 (del 0,
    dur 1e9), 1 s at dt = 0.025 ms (40,000 steps) -- the run of
    `cargo run --release --example sim_bench one`;
(b) 10,000 independent RTMExcCells, each with an IClamp of 1 nA from t = 0
    (del 0, dur 1e9), 100 ms at dt = 0.1 ms (1,000 steps), each with a
    NetCon spike detector (threshold -15 mV) recording into one Vector --
    the run of `sim_bench many`.
scripts/bench runs this and nmc's benchmarks in one invocation.
Both: fixed step (cvode off, secondorder 0), celsius 34, v_init -75, the
project's own mechanisms (compiled by make_cell_traces.compile_models).
Only h.finitialize + the stepping is timed (best of --repeat), not model
building: wall_s steps with a Python loop of h.fadvance() (as
make_cell_traces.py does), wall_s_continuerun with h.continuerun(tstop)
(the loop in hoc), cpu_s the process CPU time of the best of either
(robust when other work shares the machine). spikes: of the last run (NetCon.record vectors are
emptied by finitialize). Prints JSON.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_cell_traces as mct  # noqa: E402


def rtm_cell(h, amp, delay, dur):
    s = h.Section(name="soma")
    s.L, s.diam, s.nseg, s.cm, s.Ra = 100, 500, 1, 1, 35.4
    for mech, gbar in (("leak", 1e-4), ("na_rtm", 0.1), ("k_rtm", 0.08)):
        s.insert(mech)
        setattr(s(0.5), "gbar_" + mech, gbar)
    s.eleak, s.ena, s.ek = -67, 50, -100
    st = h.IClamp_nmc(s(0.5))
    setattr(st, "del", delay)
    st.dur, st.amp = dur, amp
    return s, st


def timed_run(h, tstop, dt, repeat):
    h.dt = dt
    h.celsius = 34
    h.secondorder = 0
    h.CVode().active(0)
    h.steps_per_ms = 1.0 / dt
    best, best_cr, best_cpu = None, None, None
    n = int(round(tstop / dt))
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        h.finitialize(-75)
        for _ in range(n):
            h.fadvance()
        el, cpu = time.perf_counter() - t0, time.process_time() - c0
        best = el if best is None else min(best, el)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
        t0, c0 = time.perf_counter(), time.process_time()
        h.finitialize(-75)
        h.continuerun(tstop)  # the same steps, looped in hoc
        el, cpu = time.perf_counter() - t0, time.process_time() - c0
        best_cr = el if best_cr is None else min(best_cr, el)
        best_cpu = min(best_cpu, cpu)
    return best, best_cr, best_cpu, n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/nrnref")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--ncells", type=int, default=10000)
    args = ap.parse_args()
    lib = mct.compile_models(args.work)
    from neuron import h
    h.nrn_load_dll(lib)
    h.load_file("stdrun.hoc")
    out = {"neuron_version": h.nrnversion(5), "python": sys.version.split()[0]}

    cell = rtm_cell(h, 1.0, 0, 1e9)
    spk = h.Vector()
    nc = h.NetCon(cell[0](0.5)._ref_v, None, sec=cell[0])
    nc.threshold = -15
    nc.record(spk)
    wall, wall_cr, cpu, n = timed_run(h, 1000.0, 0.025, args.repeat)
    out["one_cell_1s_dt0.025"] = {"steps": n, "wall_s": wall, "wall_s_continuerun": wall_cr,
                                  "cpu_s": cpu, "spikes": int(spk.size())}
    del cell, nc, spk

    t0 = time.perf_counter()
    cells = [rtm_cell(h, 1.0, 0, 1e9) for _ in range(args.ncells)]
    spk, ids, ncs = h.Vector(), h.Vector(), []
    for i, (s, _) in enumerate(cells):
        nc = h.NetCon(s(0.5)._ref_v, None, sec=s)
        nc.threshold = -15
        nc.record(spk, ids, i)
        ncs.append(nc)
    build = time.perf_counter() - t0
    wall, wall_cr, cpu, n = timed_run(h, 100.0, 0.1, args.repeat)
    out["cells%d_100ms_dt0.1" % args.ncells] = {
        "steps": n, "wall_s": wall, "wall_s_continuerun": wall_cr, "cpu_s": cpu, "build_s": build,
        "spikes": int(spk.size()),
        "cell_steps_per_s": args.ncells * n / wall}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
