//! A small dense linear solver expressed in IR: the Crout LU factorisation
//! with partial pivoting and implicit row equilibration of NEURON's
//! scopmath (`nrn_crout_thread`), then its forward/back substitution
//! (`nrn_scopmath_solve_thread`), unrolled for n unknowns.
//!
//! The factor is kept in *pivot order*: logical row i of the locals holds
//! NEURON's row `perm[i]`, so its row swaps become swaps of locals (under
//! `if`s) and every arithmetic operation happens in NEURON's order.

use crate::ir::{Expr, LocalId, Stmt};

use super::construct::{Locals, add, c, div, eq, fabs, gt, l, lt, mul, setl, sub, when};

/// Pivots smaller than this make the matrix singular (scopmath ROUNDOFF).
pub const ROUNDOFF: f64 = 1e-20;

/// Locals of one unrolled n x n solver.
pub struct Dense {
    n: usize,
    lu: Vec<Vec<LocalId>>,
    rowmax: Vec<LocalId>,
    perm: Vec<LocalId>,
    piv: LocalId,
    e1: LocalId,
    e2: LocalId,
    sum: LocalId,
    tmp: LocalId,
    bp: Vec<LocalId>,
    /// Set to 1 by [`Dense::factor`] when a pivot is below [`ROUNDOFF`].
    pub singular: LocalId,
}

impl Dense {
    /// Allocates the locals of an n x n solver.
    pub fn new(locals: &mut Locals, n: usize) -> Dense {
        Dense {
            n,
            lu: (0..n)
                .map(|i| locals.fresh_n(&format!("_lu{i}_"), n))
                .collect(),
            rowmax: locals.fresh_n("_rowmax", n),
            perm: locals.fresh_n("_perm", n),
            piv: locals.fresh("_pivot"),
            e1: locals.fresh("_equil1"),
            e2: locals.fresh("_equil2"),
            sum: locals.fresh("_sum"),
            tmp: locals.fresh("_swap"),
            bp: locals.fresh_n("_bperm", n),
            singular: locals.fresh("_singular"),
        }
    }

    /// Statements factoring the matrix whose (row, col) entry is `a(row, col)`.
    pub fn factor(&self, a: &dyn Fn(usize, usize) -> Expr) -> Vec<Stmt> {
        let n = self.n;
        let lu = &self.lu;
        let mut out = vec![setl(self.singular, c(0.0))];
        for (i, row) in lu.iter().enumerate() {
            out.push(setl(self.perm[i], c(i as f64)));
            for (j, &x) in row.iter().enumerate() {
                out.push(setl(x, a(i, j)));
            }
            // rowmax[i] = the entry of largest magnitude (first on ties)
            out.push(setl(self.rowmax[i], l(row[0])));
            for &x in &row[1..] {
                out.push(when(
                    gt(fabs(l(x)), fabs(l(self.rowmax[i]))),
                    vec![setl(self.rowmax[i], l(x))],
                ));
            }
        }
        for r in 0..n {
            for row in &lu[r..] {
                if r > 0 {
                    out.push(setl(self.sum, c(0.0)));
                    for (k, lk) in lu.iter().enumerate().take(r) {
                        out.push(setl(self.sum, add(l(self.sum), mul(l(row[k]), l(lk[r])))));
                    }
                    out.push(setl(row[r], sub(l(row[r]), l(self.sum))));
                }
            }
            // pivot search on |a[i][r] / rowmax[i]|
            out.push(setl(self.piv, c(r as f64)));
            out.push(setl(self.e1, fabs(div(l(lu[r][r]), l(self.rowmax[r])))));
            for (i, row) in lu.iter().enumerate().skip(r + 1) {
                out.push(setl(self.e2, fabs(div(l(row[r]), l(self.rowmax[i])))));
                out.push(when(
                    gt(l(self.e2), l(self.e1)),
                    vec![setl(self.piv, c(i as f64)), setl(self.e1, l(self.e2))],
                ));
            }
            for i in r + 1..n {
                out.push(when(eq(l(self.piv), c(i as f64)), self.swap_rows(r, i)));
            }
            out.push(when(
                lt(fabs(l(lu[r][r])), c(ROUNDOFF)),
                vec![setl(self.singular, c(1.0))],
            ));
            for j in r + 1..n {
                out.push(setl(self.sum, c(0.0)));
                for (k, lk) in lu.iter().enumerate().take(r) {
                    out.push(setl(self.sum, add(l(self.sum), mul(l(lu[r][k]), l(lk[j])))));
                }
                out.push(setl(
                    lu[r][j],
                    div(sub(l(lu[r][j]), l(self.sum)), l(lu[r][r])),
                ));
            }
        }
        out
    }

    fn swap_rows(&self, r: usize, i: usize) -> Vec<Stmt> {
        let mut out = Vec::new();
        let mut swap = |a: LocalId, b: LocalId| {
            out.push(setl(self.tmp, l(a)));
            out.push(setl(a, l(b)));
            out.push(setl(b, l(self.tmp)));
        };
        for j in 0..self.n {
            swap(self.lu[r][j], self.lu[i][j]);
        }
        swap(self.rowmax[r], self.rowmax[i]);
        swap(self.perm[r], self.perm[i]);
        out
    }

    /// Statements solving the factored system for right-hand side `b`
    /// (in original row order) into `x`.
    pub fn solve(&self, b: &[Expr], x: &[LocalId]) -> Vec<Stmt> {
        let n = self.n;
        let lu = &self.lu;
        let mut out = Vec::new();
        for i in 0..n {
            // b[perm[i]]
            out.push(setl(self.bp[i], b[0].clone()));
            for (k, bk) in b.iter().enumerate().skip(1) {
                out.push(when(
                    eq(l(self.perm[i]), c(k as f64)),
                    vec![setl(self.bp[i], bk.clone())],
                ));
            }
        }
        for i in 0..n {
            out.push(setl(self.sum, c(0.0)));
            for j in 0..i {
                out.push(setl(self.sum, add(l(self.sum), mul(l(lu[i][j]), l(x[j])))));
            }
            out.push(setl(
                x[i],
                div(sub(l(self.bp[i]), l(self.sum)), l(lu[i][i])),
            ));
        }
        for i in (0..n).rev() {
            out.push(setl(self.sum, c(0.0)));
            for j in i + 1..n {
                out.push(setl(self.sum, add(l(self.sum), mul(l(lu[i][j]), l(x[j])))));
            }
            out.push(setl(x[i], sub(l(x[i]), l(self.sum))));
        }
        out
    }
}
