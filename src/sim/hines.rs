//! The tree (Hines) matrix: axial terms, capacitance, and NEURON's
//! triangularisation and back substitution (`solve.cpp`), in its order of
//! operations.
//!
//! Cells are independent, so each is assembled and solved on its own, in
//! NEURON's order within the cell. Cells of one shape (a
//! [`CellRun`]) go [`LANES`] at a time through the same loop over their
//! nodes, on a copy of their `d`, `rhs` and `v` laid out side by side:
//! each lane does exactly one cell's IEEE operations, so the bits are
//! those of a cell-by-cell solve, while the lanes' chains of dependent
//! divisions overlap (one vector operation for all lanes).

use super::discretize::{CellRun, LANES, LOCKSTEP_MAX, Nodes, ROOT};

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
#[cfg(test)]
pub(crate) fn solve(nodes: &Nodes, d: &mut [f64], rhs: &mut [f64], v: &mut [f64]) {
    matrix(nodes, None, false, d, rhs, v);
}

/// [`solve`] for fast math mode: each node's pivot is inverted once and
/// both divisions by it (the elimination factor, the back substitution)
/// become multiplications — three divisions per three-node cell instead
/// of five. Each result differs from [`solve`]'s by at most an ulp or so
/// (two roundings instead of one); the divider is what bounds the solve
/// of many small cells.
#[cfg(test)]
pub(crate) fn solve_fast(nodes: &Nodes, d: &mut [f64], rhs: &mut [f64], v: &mut [f64]) {
    matrix(nodes, None, true, d, rhs, v);
}

/// [`assemble`] then [`solve`] (or, with `fast`, [`solve_fast`]'s
/// arithmetic), cell by cell: the same bits as the two passes.
pub(crate) fn assemble_solve(
    nodes: &Nodes,
    cfac: f64,
    fast: bool,
    d: &mut [f64],
    rhs: &mut [f64],
    v: &mut [f64],
) {
    matrix(nodes, Some(cfac), fast, d, rhs, v);
}

/// Assembles (with `cfac`) and solves, choosing the code for the CPU.
fn matrix(
    nodes: &Nodes,
    cfac: Option<f64>,
    fast: bool,
    d: &mut [f64],
    rhs: &mut [f64],
    v: &mut [f64],
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU has AVX (checked just above).
        unsafe {
            if fast {
                matrix_avx::<true>(nodes, cfac, d, rhs, v);
            } else {
                matrix_avx::<false>(nodes, cfac, d, rhs, v);
            }
        }
        return;
    }
    if fast {
        matrix_runs::<true>(nodes, cfac, d, rhs, v);
    } else {
        matrix_runs::<false>(nodes, cfac, d, rhs, v);
    }
}

/// [`matrix_runs`] compiled for AVX: four lanes per vector operation
/// instead of two (the same IEEE operations, so the same bits).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn matrix_avx<const FAST: bool>(
    nodes: &Nodes,
    cfac: Option<f64>,
    d: &mut [f64],
    rhs: &mut [f64],
    v: &mut [f64],
) {
    matrix_runs::<FAST>(nodes, cfac, d, rhs, v);
}

/// `d`, `rhs` and `v` of [`LANES`] cells side by side: element `[j][k]`
/// is node `j` of the `k`-th cell.
struct Lanes {
    d: [[f64; LANES]; LOCKSTEP_MAX],
    rhs: [[f64; LANES]; LOCKSTEP_MAX],
    v: [[f64; LANES]; LOCKSTEP_MAX],
}

/// The node arrays of the matrix.
struct Matrix<'a> {
    nodes: &'a Nodes,
    d: &'a mut [f64],
    rhs: &'a mut [f64],
    v: &'a mut [f64],
}

/// Assembles (when `cfac` is given) and solves every cell.
#[inline(always)]
fn matrix_runs<const FAST: bool>(
    nodes: &Nodes,
    cfac: Option<f64>,
    d: &mut [f64],
    rhs: &mut [f64],
    v: &mut [f64],
) {
    let n = nodes.len();
    if d.len() < n || rhs.len() < n || v.len() < n || nodes.a.len() < n || nodes.b.len() < n {
        return;
    }
    let mut m = Matrix { nodes, d, rhs, v };
    let mut work = Lanes {
        d: [[0.0; LANES]; LOCKSTEP_MAX],
        rhs: [[0.0; LANES]; LOCKSTEP_MAX],
        v: [[0.0; LANES]; LOCKSTEP_MAX],
    };
    for run in &nodes.runs {
        let len = run.parent.len();
        let first = run.first as usize;
        let cells = run.cells as usize;
        if len == 0 || first + cells * len > n {
            continue;
        }
        let mut done = 0;
        if len <= LOCKSTEP_MAX {
            for (g, coef) in run.coef.chunks_exact(len).enumerate() {
                let base = first + g * LANES * len;
                let active = (cells - g * LANES).min(LANES);
                solve_lanes::<FAST>(&mut m, &mut work, run, coef, base, active, cfac);
                done += active;
            }
        }
        for c in done..cells {
            let range = first + c * len..first + (c + 1) * len;
            if let Some(cfac) = cfac {
                assemble_cell(&mut m, &run.parent, range.clone(), cfac);
            }
            solve_cell::<FAST>(&mut m, &run.parent, range);
        }
    }
}

/// Assembles and solves the `active` (at most [`LANES`]) consecutive
/// cells of `run` whose first node is `base`, with their coefficients
/// `coef` side by side (see [`CellRun::coef`]): each lane does exactly
/// what [`assemble_cell`] and [`solve_cell`] do. Unused lanes solve a
/// harmless system (zero coefficients, unit diagonal) whose results are
/// dropped.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn solve_lanes<const FAST: bool>(
    m: &mut Matrix<'_>,
    work: &mut Lanes,
    run: &CellRun,
    coef: &[[[f64; LANES]; 3]],
    base: usize,
    active: usize,
    cfac: Option<f64>,
) {
    let parent = &run.parent[..run.parent.len().min(LOCKSTEP_MAX).min(coef.len())];
    let len = parent.len();
    let active = active.min(LANES);
    let end = base + active * len;
    let (d, rhs, v) = (
        &mut m.d[base..end],
        &mut m.rhs[base..end],
        &mut m.v[base..end],
    );
    let (dd, rr, vv) = (&mut work.d, &mut work.rhs, &mut work.v);
    // Cell by cell (zipped chunks: no index checks in the copy).
    let cells = d
        .chunks_exact(len)
        .zip(rhs.chunks_exact(len))
        .zip(v.chunks_exact(len));
    for (k, ((dc, rc), vc)) in cells.enumerate() {
        for ((((x, y), z), (dj, rj)), vj) in dc
            .iter()
            .zip(rc)
            .zip(vc)
            .zip(dd.iter_mut().zip(rr.iter_mut()))
            .zip(vv.iter_mut())
        {
            dj[k] = *x;
            rj[k] = *y;
            vj[k] = *z;
        }
    }
    for k in active..LANES {
        for j in 0..len {
            dd[j][k] = 1.0;
            rr[j][k] = 0.0;
            vv[j][k] = 0.0;
        }
    }
    let up = |p: u32| (p as usize).min(LOCKSTEP_MAX - 1);
    if let Some(cfac) = cfac {
        for (j, &p) in parent.iter().enumerate() {
            let [a, b, cm] = coef[j];
            if run.membrane.get(j) == Some(&true) {
                for k in 0..LANES {
                    dd[j][k] += cfac * cm[k];
                }
            }
            if p == ROOT {
                continue;
            }
            let p = up(p);
            let (vp, vj) = (vv[p], vv[j]);
            let mut dv = [0.0; LANES];
            for k in 0..LANES {
                dv[k] = vp[k] - vj[k];
                rr[j][k] -= b[k] * dv[k];
                dd[j][k] -= b[k];
            }
            for k in 0..LANES {
                rr[p][k] += a[k] * dv[k];
                dd[p][k] -= a[k];
            }
        }
    }
    for j in (0..len).rev() {
        let p = parent[j];
        if p == ROOT {
            continue;
        }
        let p = up(p);
        let [a, b, _] = coef[j];
        let mut f = [0.0; LANES];
        for k in 0..LANES {
            f[k] = if FAST {
                let r = 1.0 / dd[j][k];
                dd[j][k] = r;
                a[k] * r
            } else {
                a[k] / dd[j][k]
            };
        }
        let rj = rr[j];
        for k in 0..LANES {
            dd[p][k] -= f[k] * b[k];
        }
        for k in 0..LANES {
            rr[p][k] -= f[k] * rj[k];
        }
    }
    for (j, &p) in parent.iter().enumerate() {
        if p == ROOT {
            for k in 0..LANES {
                rr[j][k] /= dd[j][k];
            }
        } else {
            let rp = rr[up(p)];
            let b = coef[j][1];
            for k in 0..LANES {
                let x = rr[j][k] - b[k] * rp[k];
                rr[j][k] = if FAST { x * dd[j][k] } else { x / dd[j][k] };
            }
        }
        for k in 0..LANES {
            vv[j][k] += rr[j][k];
        }
    }
    for (k, (rc, vc)) in rhs
        .chunks_exact_mut(len)
        .zip(v.chunks_exact_mut(len))
        .enumerate()
    {
        for ((y, z), (rj, vj)) in rc.iter_mut().zip(vc).zip(rr.iter().zip(vv.iter())) {
            *y = rj[k];
            *z = vj[k];
        }
    }
}

/// [`assemble`] for the one cell of shape `parent` on the nodes `range`.
#[inline(always)]
fn assemble_cell(m: &mut Matrix<'_>, parent: &[u32], range: std::ops::Range<usize>, cfac: f64) {
    let nodes = m.nodes;
    let (a, b) = (&nodes.a[range.clone()], &nodes.b[range.clone()]);
    let (cm, membrane) = (&nodes.cm[range.clone()], &nodes.membrane[range.clone()]);
    let (v, rhs, d) = (
        &m.v[range.clone()],
        &mut m.rhs[range.clone()],
        &mut m.d[range],
    );
    for (i, &p) in parent.iter().enumerate() {
        if membrane[i] {
            d[i] += cfac * cm[i];
        }
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

/// Solves the one cell of shape `parent` on the nodes `range`.
#[inline(always)]
fn solve_cell<const FAST: bool>(m: &mut Matrix<'_>, parent: &[u32], range: std::ops::Range<usize>) {
    let nodes = m.nodes;
    let (a, b) = (&nodes.a[range.clone()], &nodes.b[range.clone()]);
    let (d, rhs, v) = (
        &mut m.d[range.clone()],
        &mut m.rhs[range.clone()],
        &mut m.v[range],
    );
    for i in (0..parent.len()).rev() {
        let p = parent[i];
        if p == ROOT {
            continue;
        }
        let p = p as usize;
        let f = if FAST {
            let r = 1.0 / d[i];
            d[i] = r;
            a[i] * r
        } else {
            a[i] / d[i]
        };
        d[p] -= f * b[i];
        rhs[p] -= f * rhs[i];
    }
    for (i, &p) in parent.iter().enumerate() {
        if p == ROOT {
            rhs[i] /= d[i];
        } else {
            rhs[i] -= b[i] * rhs[p as usize];
            if FAST {
                rhs[i] *= d[i];
            } else {
                rhs[i] /= d[i];
            }
        }
        v[i] += rhs[i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{Cell, Location, Section};
    use crate::sim::discretize::{PARTIAL_MIN, discretize};

    /// NEURON's triangularisation and back substitution over the whole
    /// node array in index order (`solve.cpp`), to check that the cell
    /// by cell solve gives the same bits.
    pub(super) fn reference_solve(nodes: &Nodes, d: &mut [f64], rhs: &mut [f64], v: &mut [f64]) {
        let n = nodes.len();
        let (parent, a, b) = (&nodes.parent, &nodes.a, &nodes.b);
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

    /// Cells of a few shapes in runs longer and shorter than [`LANES`],
    /// ending in a partial group of lanes (6 cells) or in a cell left to
    /// be solved alone, with different geometry per cell.
    fn mixed_cells() -> Vec<Cell> {
        let mut cells = Vec::new();
        for g in 0..(3 * LANES as u64 + 8) {
            let shape = match g {
                g if g < 2 * LANES as u64 + 6 => 0,
                g if g < 2 * LANES as u64 + 7 => 1,
                _ => 2,
            };
            let soma = |nseg: usize| Section {
                parent: None,
                nseg,
                length: 20.0 + g as f64,
                diam: 15.0 + 0.1 * g as f64,
                ..Section::default()
            };
            let cell = match shape {
                0 => Cell {
                    gid: g,
                    sections: vec![soma(5)],
                    ..Cell::default()
                },
                1 => branchy(g, 40),
                _ => branchy(g, 2),
            };
            cells.push(cell);
        }
        cells
    }

    #[test]
    fn cells_side_by_side_give_the_bits_of_the_node_order_solve() {
        let cells = mixed_cells();
        let nodes = discretize(&cells).unwrap();
        assert!(nodes.runs.iter().any(|r| r.cells as usize > LANES));
        assert!(nodes.runs.iter().any(|r| r.parent.len() > LOCKSTEP_MAX));
        let short = |r: &&CellRun| r.parent.len() <= LOCKSTEP_MAX;
        let left = |r: &CellRun| r.cells as usize % LANES;
        assert!(
            nodes
                .runs
                .iter()
                .filter(short)
                .any(|r| left(r) >= PARTIAL_MIN)
        );
        assert!(
            nodes
                .runs
                .iter()
                .filter(short)
                .any(|r| (1..PARTIAL_MIN).contains(&left(r)))
        );
        let n = nodes.len();
        let cfac = 0.001 / 0.025;
        let val = |i: usize, k: u64| {
            let x = ((i as u64 + 1) * 2_654_435_761 + k * 40_503) % 1000;
            x as f64 / 997.0 - 0.5
        };
        let v0: Vec<f64> = (0..n).map(|i| -65.0 + 10.0 * val(i, 1)).collect();
        let rhs0: Vec<f64> = (0..n).map(|i| val(i, 2)).collect();
        let d0: Vec<f64> = (0..n).map(|i| 0.01 * (1.0 + val(i, 3))).collect();
        // Two passes over the node array, in NEURON's order.
        let (mut d1, mut r1, mut v1) = (d0.clone(), rhs0.clone(), v0.clone());
        assemble(&nodes, cfac, &v0, &mut r1, &mut d1);
        let (da, ra) = (d1.clone(), r1.clone());
        reference_solve(&nodes, &mut d1, &mut r1, &mut v1);
        // Cell by cell, side by side.
        let (mut d2, mut r2, mut v2) = (d0, rhs0, v0.clone());
        assemble_solve(&nodes, cfac, false, &mut d2, &mut r2, &mut v2);
        let bits = |x: &[f64]| x.iter().map(|y| y.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&r1), bits(&r2));
        assert_eq!(bits(&v1), bits(&v2));
        // The solve alone, on the assembled matrix.
        let (mut d3, mut r3, mut v3) = (da, ra, v0);
        solve(&nodes, &mut d3, &mut r3, &mut v3);
        assert_eq!(bits(&r1), bits(&r3));
        assert_eq!(bits(&v1), bits(&v3));
    }

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

    /// [`solve_fast`]'s arithmetic over the whole node array in index
    /// order.
    fn reference_solve_fast(nodes: &Nodes, d: &mut [f64], rhs: &mut [f64], v: &mut [f64]) {
        let n = nodes.len();
        let (parent, a, b) = (&nodes.parent, &nodes.a, &nodes.b);
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

    #[test]
    fn fast_solve_side_by_side_gives_the_bits_of_the_node_order_fast_solve() {
        let cells = mixed_cells();
        let nodes = discretize(&cells).unwrap();
        let n = nodes.len();
        let cfac = 0.001 / 0.025;
        let val = |i: usize, k: u64| {
            let x = ((i as u64 + 1) * 2_654_435_761 + k * 40_503) % 1000;
            x as f64 / 997.0 - 0.5
        };
        let v0: Vec<f64> = (0..n).map(|i| -65.0 + 10.0 * val(i, 1)).collect();
        let rhs0: Vec<f64> = (0..n).map(|i| val(i, 2)).collect();
        let d0: Vec<f64> = (0..n).map(|i| 0.01 * (1.0 + val(i, 3))).collect();
        let (mut d1, mut r1, mut v1) = (d0.clone(), rhs0.clone(), v0.clone());
        let (mut d2, mut r2, mut v2) = (d0, rhs0, v0.clone());
        assemble(&nodes, cfac, &v0, &mut r1, &mut d1);
        reference_solve_fast(&nodes, &mut d1, &mut r1, &mut v1);
        assemble_solve(&nodes, cfac, true, &mut d2, &mut r2, &mut v2);
        let bits = |x: &[f64]| x.iter().map(|y| y.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&r1), bits(&r2));
        assert_eq!(bits(&v1), bits(&v2));
    }
}
