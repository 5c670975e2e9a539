"""The seed network from Python, notebook style: run it with nmc, draw its
raster with matplotlib, and compare its rates with NEURON's spikes of the
same network (tests/golden/seed/spikes_neuron.h5).

    pip install target/wheels/nmc-*.whl matplotlib   # after scripts/wheel
    python examples/python/seed_raster.py            # at the repository root

Writes seed_raster.png (matplotlib's raster) and raster_nmc.png (nmc's own
picture, drawn without matplotlib) into the working folder.
"""

from pathlib import Path

import nmc

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "simulation_config.json"
NEURON = ROOT / "tests/golden/seed/spikes_neuron.h5"

# In [1]: the run, spikes in memory (nothing written without output_dir).
run = nmc.run(CONFIG)
print(run.log)

# In [2]: the raster, one colour per pop_name.
analysis = nmc.analyze(run)  # statistics per pop_name + PNG figures
Path("raster_nmc.png").write_bytes(analysis.figures["raster"])
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print("matplotlib is not installed: wrote nmc's own raster_nmc.png only")
if plt is not None:
    # pop_name of each node: the cells nmc analyze joined (row = node id).
    fig, ax = plt.subplots(figsize=(10, 5))
    spikes = run.spikes
    for g in analysis.stats:
        print(f"{g['group']}: {g['cells']} cells, {g['rate_mean_hz']:.2f} Hz")
    ax.scatter(spikes["timestamp"], spikes["node_id"], s=1, c="k")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("node id")
    ax.set_title(f"{CONFIG.name}: {len(spikes)} spikes")
    fig.savefig("seed_raster.png", dpi=100)
    print("wrote seed_raster.png")

# In [3]: rates against NEURON's run of the same network.
neuron = nmc.analyze(NEURON, config=CONFIG, figures=None)
ours = run.rates()
print(f"{'pop_name':<8} {'nmc':>9} {'NEURON':>9}")
for g in neuron.stats:
    print(f"{g['group']:<8} {ours[g['group']]:>6.2f} Hz {g['rate_mean_hz']:>6.2f} Hz")

# In [4]: spike by spike.
key = lambda s: sorted(zip(s["node_id"].tolist(), s["timestamp"].tolist()))
same = key(run.spikes) == key(nmc.read_spikes(NEURON))
print("every spike equal to NEURON's:", same)
