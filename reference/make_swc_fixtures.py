#!/usr/bin/env python3
"""Writes the project's synthetic SWC morphologies to tests/morph/.

Three invented cells, generated from a fixed seed (the output is the same
on every run), each exercising one way SWC files give a soma:

- point_soma.swc: the soma is one point (a sphere); dendrites and the axon
  start some distance away from it (joined by a wire), one branch leaves
  from the first point of such a dendrite;
- three_point_soma.swc: the NeuroMorpho.org convention, a soma centre and
  two points one radius away on either side, all with the soma's radius;
- contour_soma.swc: a soma of eight points in a chain of varying radius
  (an outline traced along the cell body); trees leave from its first,
  interior and last points.

Coordinates and radii are written with four decimals, so reading them as
NEURON does (single precision, then 8 significant digits) is exercised.
Usage: python3 reference/make_swc_fixtures.py  (from the repository root)
"""

import math
import os
import random

OUT = os.path.join("tests", "morph")


class Swc:
    def __init__(self, title):
        self.rows = []
        self.title = title

    def add(self, kind, p, r, parent):
        self.rows.append((len(self.rows) + 1, kind, p[0], p[1], p[2], r, parent))
        return len(self.rows)

    def write(self, name):
        path = os.path.join(OUT, name)
        with open(path, "w") as f:
            f.write("# %s\n" % self.title)
            f.write("# synthetic morphology written by reference/make_swc_fixtures.py\n")
            f.write("# id type x y z radius parent\n")
            for (i, k, x, y, z, r, p) in self.rows:
                f.write("%d %d %.4f %.4f %.4f %.4f %d\n" % (i, k, x, y, z, r, p))
        print("wrote", path, len(self.rows), "points")


def unit(v):
    n = math.sqrt(sum(c * c for c in v))
    return [c / n for c in v]


def jitter(rng, d, amount):
    return unit([c + rng.uniform(-amount, amount) for c in d])


def tree(swc, rng, kind, parent, start, direction, radius, depth, step, npts):
    """A branch of `npts` points from `start` (the first point is written,
    its parent is `parent`), then two child branches while depth > 0."""
    p = list(start)
    last = parent
    d = direction
    r = radius
    for _ in range(npts):
        last = swc.add(kind, p, r, last)
        d = jitter(rng, d, 0.25)
        s = step * rng.uniform(0.6, 1.4)
        p = [p[k] + s * d[k] for k in range(3)]
        r = max(0.15, r * rng.uniform(0.9, 1.0))
    if depth > 0:
        for sign in (-1, 1):
            nd = jitter(rng, [d[0] + 0.5 * sign * d[1], d[1] - 0.5 * sign * d[0], d[2]], 0.2)
            tree(swc, rng, kind, last, p, nd, r * 0.8, depth - 1, step, max(3, npts - 2))
    return last


def point_soma():
    rng = random.Random(11)
    swc = Swc("one-point soma, dendrites and axon joined to it by wires")
    centre = (12.5, -3.25, 7.125)
    soma = swc.add(1, centre, 8.4321, -1)
    # axon: leaves downwards, one branch
    tree(swc, rng, 2, soma, (12.0, -14.5, 7.0), (0, -1, 0), 0.75, 1, 9.0, 7)
    # basal trees around the soma
    for k, ang in enumerate((0.3, 2.2, 4.1)):
        d = (math.cos(ang), -0.3, math.sin(ang))
        start = [centre[i] + 9.5 * d[i] for i in range(3)]
        first = len(swc.rows) + 1
        tree(swc, rng, 3, soma, start, d, 1.2 - 0.1 * k, 2, 7.5, 5)
        if k == 1:
            # a branch from the first point of this dendrite (the point that
            # the wire to the soma ends at)
            tree(swc, rng, 3, first, [start[0], start[1] - 2.0, start[2] + 1.0],
                 (0.2, -0.9, 0.3), 0.6, 0, 6.0, 6)
    # apical trunk with obliques, then a tuft
    tree(swc, rng, 4, soma, (12.3, 6.0, 7.3), (0, 1, 0), 2.1, 3, 12.0, 6)
    swc.write("point_soma.swc")


def three_point_soma():
    rng = random.Random(23)
    swc = Swc("three-point soma (NeuroMorpho.org convention)")
    c = (-4.0, 2.5, 1.0)
    r = 6.25
    soma = swc.add(1, c, r, -1)
    swc.add(1, (c[0], c[1] - r, c[2]), r, soma)
    swc.add(1, (c[0], c[1] + r, c[2]), r, soma)
    tree(swc, rng, 2, soma, (c[0], c[1] - r - 1.0, c[2]), (0.1, -1, 0), 0.6, 0, 10.0, 10)
    for k, ang in enumerate((0.0, 1.6, 3.3, 4.8)):
        d = (math.cos(ang), 0.0, math.sin(ang))
        start = [c[i] + r * d[i] for i in range(3)]
        tree(swc, rng, 3, soma, start, d, 0.9, 2, 8.0, 4)
    tree(swc, rng, 4, soma, (c[0], c[1] + r + 0.5, c[2]), (0, 1, 0.1), 1.8, 2, 15.0, 5)
    swc.write("three_point_soma.swc")


def contour_soma():
    rng = random.Random(37)
    swc = Swc("eight-point soma outline, trees from its first, interior and last points")
    ids = []
    radii = (2.1, 4.3, 6.2, 7.05, 6.8, 5.5, 3.9, 1.75)
    for k, r in enumerate(radii):
        p = (0.25 * k, -10.5 + 3.0 * k, 0.5 * math.sin(k))
        ids.append(swc.add(1, p, r, ids[-1] if ids else -1))
    # axon from the first soma point
    tree(swc, rng, 2, ids[0], (0.0, -12.0, 0.0), (0, -1, 0), 0.5, 1, 10.0, 6)
    # basal dendrites from interior soma points
    for k, (ip, ang) in enumerate(((2, 0.4), (3, 2.8), (5, -0.5), (5, 3.5))):
        d = (math.cos(ang), 0.2, math.sin(ang))
        base = swc.rows[ids[ip] - 1]
        start = [base[2] + radii[ip] * d[0], base[3] + radii[ip] * d[1], base[4] + radii[ip] * d[2]]
        tree(swc, rng, 3, ids[ip], start, d, 1.0, 2, 7.0, 4 + k % 2)
    # apical dendrite continuing from the last soma point
    tree(swc, rng, 4, ids[-1], (1.9, 12.5, 0.6), (0, 1, 0), 1.6, 3, 11.0, 5)
    swc.write("contour_soma.swc")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    point_soma()
    three_point_soma()
    contour_soma()
