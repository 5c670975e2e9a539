"""The `nmc` Python package against the repository's own data: the seed
network (NEURON's spikes in tests/golden/seed), the single-cell NDL
experiment with NEURON's trace, the models, malformed files."""

import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import nmc

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "simulation_config.json"
NEURON_SPIKES = ROOT / "tests/golden/seed/spikes_neuron.h5"
RTM = ROOT / "tests/cells/rtm_iclamp.ndl"


@pytest.fixture(scope="module")
def seed_run():
    return nmc.run(SEED, progress=False)


def test_seed_rates_and_spike_count(seed_run):
    rates = seed_run.rates()
    assert dict(rates.spikes) == {"PV": 500, "SOM": 500, "Exc": 4402}
    assert dict(rates.cells) == {"PV": 50, "SOM": 50, "Exc": 200}
    assert round(rates["Exc"], 2) == 22.01
    assert round(rates["PV"], 2) == 10.00
    assert "Exc                 200     4402  22.01 Hz" in str(rates)
    assert len(seed_run.spikes) == 5402
    assert seed_run.spikes.dtype.names == ("population", "node_id", "timestamp")
    assert np.all(np.diff(seed_run.timestamps) >= 0), "spikes in time order"
    assert "300 cells, 85200 connections" in seed_run.log
    assert seed_run.files == [], "nothing is written without output_dir"


def test_seed_spikes_equal_neuron(seed_run):
    """Every spike of NEURON's run, on the same cell at the same time."""
    ours = seed_run.spikes
    theirs = nmc.read_spikes(NEURON_SPIKES)
    assert len(theirs) == 5402
    key = lambda s: sorted(zip(s["population"], s["node_id"].tolist(), s["timestamp"].tolist()))
    assert key(ours) == key(theirs)


def test_dataframe(seed_run):
    import pandas as pd

    df = seed_run.to_dataframe()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["population", "node_id", "timestamp"]
    assert len(df) == 5402
    assert df.groupby("population").size().to_dict() == {"network": 5402}
    assert df["node_id"].between(0, 299).all()


def test_written_outputs_match_memory(tmp_path):
    run = nmc.run(SEED, output_dir=tmp_path, progress=False, threads=1)
    spikes_file = tmp_path / "spikes.h5"
    assert str(spikes_file) in run.files
    back = nmc.read_spikes(spikes_file)
    key = lambda s: sorted(zip(s["node_id"].tolist(), s["timestamp"].tolist()))
    assert key(back) == key(run.spikes)


def test_ndl_run_report_matches_neuron(tmp_path):
    import h5py
    run = nmc.run(RTM, progress=False, output_dir=tmp_path)
    assert run.rates().cells == {"cell": 1}
    rep = run.reports["soma_v"]
    assert (rep.variable, rep.unit) == ("v", "mV")
    part = rep.part()
    assert part.population == "rtm_iclamp"
    assert part.node_ids.tolist() == [0]
    assert part.data.shape == (len(rep.times), 1)
    assert rep.times[0] == 0.0 and abs(rep.times[-1] - 500.0) < 1e-9
    with h5py.File(ROOT / "tests/golden/neuron/iclamp_rtm_amp0p5_dt0p025.h5") as g:
        v = g["v"][:]
        neuron_spikes = g["spikes"][:]
    assert v.shape[0] == part.data.shape[0]
    assert np.max(np.abs(v - part.data[:, 0])) <= 1e-3
    assert np.allclose(run.timestamps, neuron_spikes, atol=1e-6, rtol=0)
    # The file written holds the same numbers as memory.
    with h5py.File(tmp_path / "soma_v.h5") as f:
        assert np.array_equal(f["report/rtm_iclamp/data"][:], part.data)


def test_check_reports_three_problems():
    diags = nmc.check(ROOT / "tests/diagnostics/three_problems.mod")
    assert [d.code for d in diags] == ["E0102", "E0201", "W0501"]
    undefined = diags[1]
    assert (undefined.line, undefined.column) == (30, 14)
    assert undefined.severity == "error"
    assert undefined.file.endswith("three_problems.mod")
    assert "error[E0201]: undefined name `scale`" in undefined.rendered
    assert "declare `scale`" in undefined.help


def test_check_clean_models_and_ndl():
    assert [d for d in nmc.check(ROOT / "models") if d.severity == "error"] == []
    assert [d for d in nmc.check(RTM) if d.severity == "error"] == []


def test_compile_models():
    mechs = {m.name: m for m in nmc.compile(ROOT / "models")}
    assert {"na_rtm", "k_rtm", "leak", "Exp2Syn_STP"} <= set(mechs)
    na = mechs["na_rtm"]
    assert na.kind == "density"
    assert "na" in na.ions
    gbar = next(v for v in na.parameters if v.name == "gbar")
    assert gbar.unit.replace(" ", "") in ("(S/cm2)", "S/cm2")
    assert gbar.settable
    syn = mechs["Exp2Syn_STP"]
    assert syn.kind == "point_process" and syn.receives_events
    assert len(na.kernels) > 0


def test_compile_error_raises_with_code():
    with pytest.raises(nmc.LoadError) as e:
        nmc.compile(ROOT / "tests/diagnostics/three_problems.mod")
    assert e.value.code == "E0102"
    assert "error[E0102]" in str(e.value)
    assert [d.code for d in e.value.diagnostics][:2] == ["E0102", "E0201"]


def test_analyze_neuron_spikes_matches_golden_stats():
    golden = json.loads((ROOT / "tests/golden/analyze/seed_neuron_stats.json").read_text())
    a = nmc.analyze(NEURON_SPIKES, config=SEED)
    assert a.stats == golden["groups"]
    assert a.window == (0.0, 1000.0)
    assert a.group("PV")["volleys"] == 10
    assert "Exc" in a.table and "22.01 Hz" in a.table
    assert set(a.figures) == {"raster", "rates", "rate_distribution", "spectrum"}
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in a.figures.values())


def test_analyze_run_in_memory(seed_run):
    a = nmc.analyze(seed_run, figures="svg")
    assert a.group("Exc")["spikes"] == 4402
    assert a.group("SOM")["rate_mean_hz"] == 10.0
    assert a.figures["raster"].lstrip().startswith(b"<svg")
    assert nmc.analyze(seed_run, figures=None).figures == {}


def test_missing_config_raises_load_error(tmp_path):
    with pytest.raises(nmc.LoadError) as e:
        nmc.run(tmp_path / "nope.json", progress=False)
    assert e.value.code and e.value.code.startswith("E")
    assert e.value.rendered
    assert e.value.diagnostics[0].severity == "error"


def test_broken_ndl_raises_load_error(tmp_path):
    bad = tmp_path / "bad.ndl"
    bad.write_text("network x\npopulation p = 1 of Nothing\n")
    with pytest.raises(nmc.LoadError) as e:
        nmc.run(bad, progress=False)
    assert any(d.file and d.file.endswith("bad.ndl") for d in e.value.diagnostics)


def test_unwritable_output_dir_raises_simulation_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(nmc.SimulationError) as e:
        nmc.run(RTM, progress=False, output_dir=blocker)
    assert e.value.code == "E1804"
    assert e.value.run is not None and len(e.value.run.timestamps) > 0


def test_bad_options():
    with pytest.raises(ValueError):
        nmc.run(RTM, math="approximate", progress=False)
    with pytest.raises(ValueError):
        nmc.run(RTM, threads=0, progress=False)
    with pytest.raises(nmc.AnalysisError) as e:
        nmc.analyze(NEURON_SPIKES, config=SEED, bin=0)
    assert e.value.code == "E1904"
    with pytest.raises(nmc.AnalysisError) as e:
        nmc.read_spikes(ROOT / "README.md")
    assert e.value.code == "E1901"


def test_progress_callback_and_its_errors():
    seen = []
    nmc.run(SEED, progress=lambda t, t0, t1: seen.append((t, t0, t1)), threads=1)
    assert seen and seen[-1] == (1000.0, 0.0, 1000.0)
    assert all(b[0] >= a[0] for a, b in zip(seen, seen[1:]))

    class Stop(Exception):
        pass

    def stop(t, t0, t1):
        raise Stop(t)

    t0 = time.monotonic()
    with pytest.raises(Stop):
        nmc.run(SEED, progress=stop)
    assert time.monotonic() - t0 < 5


def test_ctrl_c_interrupts_a_run(tmp_path):
    """SIGINT during a run: KeyboardInterrupt within a poll period or so,
    long before the run would end (200 s of simulated time)."""
    text = RTM.read_text().replace("tstop = 500 ms", "tstop = 200000 ms")
    text = text.replace('mechanisms "../../models"', f'mechanisms "{ROOT / "models"}"')
    long = tmp_path / "long.ndl"
    long.write_text(text)
    timer = threading.Timer(0.8, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        nmc.run(long, progress=False, threads=1)
    elapsed = time.monotonic() - t0
    timer.join()
    assert elapsed < 3.0, f"interrupt took {elapsed:.2f} s"


def test_gil_released_during_run():
    """A Python thread keeps running while nmc simulates."""
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(1)
            time.sleep(0.005)

    th = threading.Thread(target=count)
    th.start()
    t0 = time.monotonic()
    nmc.run(SEED, progress=False, threads=1)
    elapsed = time.monotonic() - t0
    done.set()
    th.join()
    # Held GIL: the thread would tick a handful of times at most.
    assert len(ticks) > 0.3 * elapsed / 0.005, (len(ticks), elapsed)


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def test_ten_runs_do_not_leak():
    """Resident memory after each of 10 seed runs: once warm, stable.
    Measured: +0.4 MB from the third run to the tenth (the allocator
    settling); keeping every Run alive instead (their arrays, ~0.15 MB
    each) gives +1.5 MB, and a leaked network (tens of MB) far more."""
    rss = []
    for _ in range(10):
        r = nmc.run(SEED, progress=False)
        assert len(r.spikes) == 5402
        del r
        rss.append(rss_kb())
    growth = max(rss[3:]) - rss[2]
    assert growth < 1024, f"RSS after each run (KB): {rss}"
