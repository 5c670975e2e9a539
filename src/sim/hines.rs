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
