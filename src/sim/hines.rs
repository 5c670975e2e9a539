//! The tree (Hines) matrix: axial terms, capacitance, and NEURON's
//! triangularisation and back substitution (`solve.cpp`), in its order of
//! operations.

use super::discretize::{Nodes, ROOT};

/// Adds the axial currents to `rhs` (NEURON's `nrn_rhs` tail).
pub(crate) fn axial_rhs(nodes: &Nodes, v: &[f64], rhs: &mut [f64]) {
    let n = nodes.parent.len().min(v.len()).min(rhs.len());
    for i in 0..n {
        let p = nodes.parent[i];
        if p == ROOT {
            continue;
        }
        let p = p as usize;
        let dv = v[p] - v[i];
        rhs[i] -= nodes.b[i] * dv;
        rhs[p] += nodes.a[i] * dv;
    }
}

/// Adds capacitance and axial terms to `d` (NEURON's `nrn_lhs` tail);
/// `cfac` is 0.001/dt.
pub(crate) fn lhs(nodes: &Nodes, cfac: f64, d: &mut [f64]) {
    for &i in &nodes.membrane {
        let i = i as usize;
        if let Some(x) = d.get_mut(i) {
            *x += cfac * nodes.cm[i];
        }
    }
    let n = nodes.parent.len().min(d.len());
    for i in 0..n {
        let p = nodes.parent[i];
        if p == ROOT {
            continue;
        }
        d[i] -= nodes.b[i];
        d[p as usize] -= nodes.a[i];
    }
}

/// Solves the matrix in place: `rhs` becomes dv, `d` is destroyed.
pub(crate) fn solve(nodes: &Nodes, d: &mut [f64], rhs: &mut [f64]) {
    let n = nodes.parent.len().min(d.len()).min(rhs.len());
    for i in (0..n).rev() {
        let p = nodes.parent[i];
        if p == ROOT {
            continue;
        }
        let p = p as usize;
        let f = nodes.a[i] / d[i];
        d[p] -= f * nodes.b[i];
        rhs[p] -= f * rhs[i];
    }
    for i in 0..n {
        let p = nodes.parent[i];
        if p == ROOT {
            rhs[i] /= d[i];
        } else {
            rhs[i] -= nodes.b[i] * rhs[p as usize];
            rhs[i] /= d[i];
        }
    }
}
