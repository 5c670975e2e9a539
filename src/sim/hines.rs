//! The tree (Hines) matrix: axial terms, capacitance, and NEURON's
//! triangularisation and back substitution (`solve.cpp`), in its order of
//! operations.

use super::discretize::{Nodes, ROOT};

/// The tail of NEURON's `setup_tree_matrix` in one pass over the nodes:
/// `nrn_rhs`'s axial currents into `rhs` and `nrn_lhs`'s capacitance
/// (`cfac` = 0.001/dt, membrane nodes) and axial terms into `d`. Every
/// element receives its terms in NEURON's order: a node's own terms at
/// its index, its children's (which come after it) later.
pub(crate) fn assemble(nodes: &Nodes, cfac: f64, v: &[f64], rhs: &mut [f64], d: &mut [f64]) {
    let n = nodes.parent.len().min(v.len()).min(rhs.len()).min(d.len());
    let parent = &nodes.parent[..n];
    let (a, b) = (&nodes.a[..n], &nodes.b[..n]);
    let (cm, membrane) = (&nodes.cm[..n], &nodes.membrane[..n]);
    let (v, rhs, d) = (&v[..n], &mut rhs[..n], &mut d[..n]);
    for i in 0..n {
        if membrane[i] {
            d[i] += cfac * cm[i];
        }
        let p = parent[i];
        if p == ROOT {
            continue;
        }
        let p = p as usize;
        let dv = v[p] - v[i];
        rhs[i] -= b[i] * dv;
        rhs[p] += a[i] * dv;
        d[i] -= b[i];
        d[p] -= a[i];
    }
}

/// Solves the matrix in place (NEURON's triangularisation and back
/// substitution): `rhs` becomes dv, `d` is destroyed, and each node's
/// `v` gets its dv added as soon as it is known (NEURON's `v += rhs`).
pub(crate) fn solve(nodes: &Nodes, d: &mut [f64], rhs: &mut [f64], v: &mut [f64]) {
    let n = nodes.parent.len().min(d.len()).min(rhs.len()).min(v.len());
    let parent = &nodes.parent[..n];
    let (a, b) = (&nodes.a[..n], &nodes.b[..n]);
    let (d, rhs, v) = (&mut d[..n], &mut rhs[..n], &mut v[..n]);
    for i in (0..n).rev() {
        let p = parent[i];
        if p == ROOT {
            continue;
        }
        let p = p as usize;
        let f = a[i] / d[i];
        d[p] -= f * b[i];
        rhs[p] -= f * rhs[i];
    }
    for i in 0..n {
        let p = parent[i];
        if p != ROOT {
            rhs[i] -= b[i] * rhs[p as usize];
        }
        rhs[i] /= d[i];
        v[i] += rhs[i];
    }
}

/// [`solve`] for fast math mode: each node's pivot is inverted once and
/// both divisions by it (the elimination factor, the back substitution)
/// become multiplications — three divisions per three-node cell instead
/// of five. Each result differs from [`solve`]'s by at most an ulp or so
/// (two roundings instead of one); the divider is what bounds the solve
/// of many small cells.
pub(crate) fn solve_fast(nodes: &Nodes, d: &mut [f64], rhs: &mut [f64], v: &mut [f64]) {
    let n = nodes.parent.len().min(d.len()).min(rhs.len()).min(v.len());
    let parent = &nodes.parent[..n];
    let (a, b) = (&nodes.a[..n], &nodes.b[..n]);
    let (d, rhs, v) = (&mut d[..n], &mut rhs[..n], &mut v[..n]);
    // Afterwards d holds the pivot's reciprocal for every node but roots.
    for i in (0..n).rev() {
        let p = parent[i];
        if p == ROOT {
            continue;
        }
        let p = p as usize;
        let r = 1.0 / d[i];
        d[i] = r;
        let f = a[i] * r;
        d[p] -= f * b[i];
        rhs[p] -= f * rhs[i];
    }
    for i in 0..n {
        let p = parent[i];
        if p == ROOT {
            rhs[i] /= d[i];
        } else {
            rhs[i] -= b[i] * rhs[p as usize];
            rhs[i] *= d[i];
        }
        v[i] += rhs[i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{Cell, Location, Section};
    use crate::sim::discretize::discretize;

    /// A cell with branching sections of several nseg: nodes with
    /// several children, a tree several levels deep.
    fn branchy(gid: u64, nseg: usize) -> Cell {
        let sec = |parent: Option<(usize, f64)>, nseg: usize, length: f64| Section {
            parent,
            nseg,
            length,
            diam: 1.0 + length / 100.0,
            ..Section::default()
        };
        Cell {
            gid,
            sections: vec![
                sec(None, 1, 20.0),
                sec(Some((0, 1.0)), nseg, 200.0),
                sec(Some((0, 1.0)), nseg + 2, 150.0),
                sec(Some((1, 0.5)), 3, 80.0),
                sec(Some((0, 0.0)), 2, 50.0),
            ],
            spike_site: Location { section: 0, x: 0.5 },
            ..Cell::default()
        }
    }

    #[test]
    fn fast_solve_agrees_with_the_exact_solve_to_a_few_ulp() {
        let cells: Vec<Cell> = (0..4).map(|g| branchy(g, 1 + g as usize * 3)).collect();
        let nodes = discretize(&cells).unwrap();
        let n = nodes.len();
        let cfac = 0.001 / 0.025;
        // Irregular voltages and membrane currents, assembled as a step does.
        let val = |i: usize, k: u64| {
            let x = ((i as u64 + 1) * 2_654_435_761 + k * 40_503) % 1000;
            x as f64 / 997.0 - 0.5
        };
        let v0: Vec<f64> = (0..n).map(|i| -65.0 + 10.0 * val(i, 1)).collect();
        let mut rhs0: Vec<f64> = (0..n).map(|i| val(i, 2)).collect();
        let mut d0: Vec<f64> = (0..n).map(|i| 0.01 * (1.0 + val(i, 3))).collect();
        assemble(&nodes, cfac, &v0, &mut rhs0, &mut d0);
        let (mut d1, mut r1, mut v1) = (d0.clone(), rhs0.clone(), v0.clone());
        let (mut d2, mut r2, mut v2) = (d0, rhs0, v0.clone());
        solve(&nodes, &mut d1, &mut r1, &mut v1);
        solve_fast(&nodes, &mut d2, &mut r2, &mut v2);
        let mut worst = 0.0f64;
        let mut differ = 0;
        for i in 0..n {
            let scale = r1[i].abs().max(f64::MIN_POSITIVE);
            worst = worst.max((r1[i] - r2[i]).abs() / scale);
            differ += usize::from(r1[i] != r2[i]);
            assert!((v1[i] - v2[i]).abs() <= 1e-12 * v1[i].abs(), "node {i}");
        }
        assert!(worst <= 1e-13, "relative difference of dv {worst:e}");
        // The test would pass trivially if the fast path did the same
        // divisions; it does not.
        assert!(differ > 0, "no dv differs: the fast path is not exercised");
    }
}
