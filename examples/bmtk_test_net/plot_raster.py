#!/usr/bin/env python3
"""Raster plot (SVG) and volley table of an nmc or BMTK spike file.

Usage: plot_raster.py SPIKES.h5 OUT.svg [POPULATION]

Needs only h5py (no plotting library): the SVG is written by hand. Node ids
0-49 are PV, 50-99 SOM, 100-299 Exc, as in the seed network.
"""
import sys

import h5py


def main():
    path, out = sys.argv[1], sys.argv[2]
    with h5py.File(path, "r") as f:
        pop = sys.argv[3] if len(sys.argv) > 3 else list(f["spikes"].keys())[0]
        g = f["spikes"][pop]
        ids = g["node_ids"][:]
        ts = g["timestamps"][:]
    groups = [("PV", 0, 50, "#1f77b4"), ("SOM", 50, 100, "#2ca02c"), ("Exc", 100, 300, "#d62728")]
    w, h, left, top = 900, 420, 50, 20
    pw, ph = w - left - 20, h - top - 40
    x = lambda t: left + pw * t / 1000.0
    y = lambda n: top + ph * (1 - (n + 0.5) / 300.0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="white" stroke="black"/>']
    for name, lo, hi, color in groups:
        d = "".join(f"M{x(t):.1f} {y(n) - 0.6:.1f}v1.2" for n, t in zip(ids, ts) if lo <= n < hi)
        parts.append(f'<path d="{d}" stroke="{color}" stroke-width="1.2"/>')
        parts.append(f'<text x="{left - 45}" y="{y((lo + hi) / 2):.0f}" fill="{color}">{name}</text>')
    for t in range(0, 1001, 100):
        parts.append(f'<text x="{x(t) - 10:.0f}" y="{top + ph + 15}">{t}</text>')
    parts.append(f'<text x="{left + pw / 2 - 30:.0f}" y="{h - 5}">time (ms)</text></svg>')
    with open(out, "w") as f:
        f.write("\n".join(parts) + "\n")
    for name, lo, hi, _ in groups:
        sel = sorted(t for n, t in zip(ids, ts) if lo <= n < hi)
        starts = [t for i, t in enumerate(sel) if i == 0 or t - sel[i - 1] > 5.0]
        print(f"{name}: {len(sel)} spikes, {len(sel) / (hi - lo):.2f} Hz per cell, "
              f"volleys at {', '.join(f'{s:.1f}' for s in starts) if name != 'Exc' else '-'}")


if __name__ == "__main__":
    main()
