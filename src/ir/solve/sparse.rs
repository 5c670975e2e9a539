//! A sparse linear solver expressed in IR, for KINETIC schemes too large
//! for the unrolled dense solver of [`super::dense`].
//!
//! The pattern of the matrix (which entries the scheme's reactions and
//! CONSERVEs can make nonzero) is known when the block is compiled, so the
//! elimination is planned then, as NEURON's scopmath `sparse` plans it:
//! pivots are taken on the diagonal in an order that keeps the fill-in
//! small (the remaining row with the fewest off-diagonal entries, then the
//! fewest in its column, then the lowest index), and the rows below each
//! pivot are eliminated in place. The statements then do only the
//! arithmetic the pattern needs: a diffusion scheme over 30 states takes a
//! few hundred operations instead of the dense solver's tens of thousands,
//! so it compiles in milliseconds. A pivot below [`ROUNDOFF`] marks the
//! matrix singular, as scopmath's SINGULAR.
//!
//! The factorisation overwrites the matrix locals: below the diagonal
//! each eliminated entry keeps its multiplier, the rest the upper factor.

use crate::ir::{Expr, LocalId, Place, Stmt};

use super::construct::{Locals, c, div, fabs, l, lt, mul, setl, sub, when};
use super::dense::ROUNDOFF;

/// A planned elimination over the locals of an n x n matrix.
pub struct Sparse {
    /// The matrix locals, `m[row][col]`.
    m: Vec<Vec<LocalId>>,
    /// Pivot rows (= columns) in elimination order.
    order: Vec<usize>,
    /// Pattern after fill-in: `pattern[i][j]` when entry (i, j) may be
    /// nonzero at any point of the elimination.
    pattern: Vec<Vec<bool>>,
    /// Right-hand side copy, by row.
    b: Vec<LocalId>,
    /// Multiplier of the current elimination step.
    factor: LocalId,
    /// Set to 1 by [`Sparse::factor`] when a pivot is below [`ROUNDOFF`].
    pub singular: LocalId,
}

/// The entries of the matrix whose locals are `m` that statements in
/// `stmts` write: the pattern the scheme can make nonzero.
pub fn written_pattern(stmts: &[Stmt], m: &[Vec<LocalId>]) -> Vec<Vec<bool>> {
    let n = m.len();
    let mut index = std::collections::HashMap::new();
    for (i, row) in m.iter().enumerate() {
        for (j, id) in row.iter().enumerate() {
            index.insert(*id, (i, j));
        }
    }
    let mut pattern = vec![vec![false; n]; n];
    mark(stmts, &index, &mut pattern);
    pattern
}

fn mark(
    stmts: &[Stmt],
    index: &std::collections::HashMap<LocalId, (usize, usize)>,
    pattern: &mut [Vec<bool>],
) {
    for s in stmts {
        match s {
            Stmt::Assign(Place::Local(id), _) | Stmt::Accumulate(Place::Local(id), _) => {
                if let Some(&(i, j)) = index.get(id) {
                    pattern[i][j] = true;
                }
            }
            Stmt::If {
                then, otherwise, ..
            } => {
                mark(then, index, pattern);
                mark(otherwise, index, pattern);
            }
            Stmt::While { body, .. } => mark(body, index, pattern),
            _ => {}
        }
    }
}

impl Sparse {
    /// Plans the elimination of the matrix with locals `m` whose entries
    /// outside `written` stay zero (the diagonal is always taken as
    /// nonzero), and allocates its locals.
    pub fn new(locals: &mut Locals, m: Vec<Vec<LocalId>>, written: &[Vec<bool>]) -> Sparse {
        let n = m.len();
        let mut pattern: Vec<Vec<bool>> = (0..n)
            .map(|i| (0..n).map(|j| i == j || written[i][j]).collect())
            .collect();
        let mut done = vec![false; n];
        let mut order = Vec::with_capacity(n);
        for _ in 0..n {
            let count = |k: usize, by_row: bool| {
                (0..n)
                    .filter(|&j| j != k && !done[j])
                    .filter(|&j| if by_row { pattern[k][j] } else { pattern[j][k] })
                    .count()
            };
            let Some(k) = (0..n)
                .filter(|&k| !done[k])
                .min_by_key(|&k| (count(k, true), count(k, false), k))
            else {
                break;
            };
            done[k] = true;
            order.push(k);
            let cols: Vec<usize> = (0..n).filter(|&j| !done[j] && pattern[k][j]).collect();
            let rows: Vec<usize> = (0..n).filter(|&i| !done[i] && pattern[i][k]).collect();
            for i in rows {
                for &j in &cols {
                    pattern[i][j] = true;
                }
            }
        }
        Sparse {
            m,
            order,
            pattern,
            b: locals.fresh_n("_sp_b", n),
            factor: locals.fresh("_sp_factor"),
            singular: locals.fresh("_sp_singular"),
        }
    }

    /// Every entry the elimination reads: the written pattern and its
    /// fill-in (these must be set, zero or not, before [`Sparse::factor`]).
    pub fn entries(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.pattern.iter().enumerate().flat_map(|(i, row)| {
            row.iter()
                .enumerate()
                .filter(|(_, on)| **on)
                .map(move |(j, _)| (i, j))
        })
    }

    /// Rows after position `p` of the order with an entry in column `k`.
    fn below(&self, p: usize, k: usize) -> Vec<usize> {
        self.order[p + 1..]
            .iter()
            .copied()
            .filter(|&i| self.pattern[i][k])
            .collect()
    }

    /// Columns after position `p` of the order with an entry in row `k`.
    fn right(&self, p: usize, k: usize) -> Vec<usize> {
        self.order[p + 1..]
            .iter()
            .copied()
            .filter(|&j| self.pattern[k][j])
            .collect()
    }

    /// Statements factoring the matrix in its locals.
    pub fn factor(&self) -> Vec<Stmt> {
        let m = &self.m;
        let mut out = vec![setl(self.singular, c(0.0))];
        for (p, &k) in self.order.iter().enumerate() {
            out.push(when(
                lt(fabs(l(m[k][k])), c(ROUNDOFF)),
                vec![setl(self.singular, c(1.0))],
            ));
            let cols = self.right(p, k);
            for i in self.below(p, k) {
                out.push(setl(self.factor, div(l(m[i][k]), l(m[k][k]))));
                out.push(setl(m[i][k], l(self.factor)));
                for &j in &cols {
                    out.push(setl(
                        m[i][j],
                        sub(l(m[i][j]), mul(l(self.factor), l(m[k][j]))),
                    ));
                }
            }
        }
        out
    }

    /// Statements solving the factored system for right-hand side `b` (by
    /// row) into `x`.
    pub fn solve(&self, b: &[Expr], x: &[LocalId]) -> Vec<Stmt> {
        let m = &self.m;
        let mut out = Vec::new();
        for (i, bi) in b.iter().enumerate() {
            out.push(setl(self.b[i], bi.clone()));
        }
        for (p, &k) in self.order.iter().enumerate() {
            for i in self.below(p, k) {
                out.push(setl(
                    self.b[i],
                    sub(l(self.b[i]), mul(l(m[i][k]), l(self.b[k]))),
                ));
            }
        }
        for (p, &k) in self.order.iter().enumerate().rev() {
            let mut num = l(self.b[k]);
            for j in self.right(p, k) {
                num = sub(num, mul(l(m[k][j]), l(x[j])));
            }
            out.push(setl(x[k], div(num, l(m[k][k]))));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(written: &[Vec<bool>]) -> (Vec<String>, Sparse) {
        let n = written.len();
        let mut names = Vec::new();
        let mut locals = Locals::new(&mut names);
        let m = (0..n)
            .map(|i| locals.fresh_n(&format!("m{i}_"), n))
            .collect();
        let s = Sparse::new(&mut locals, m, written);
        (names, s)
    }

    #[test]
    fn a_tridiagonal_pattern_takes_no_fill() {
        let n: usize = 6;
        let written: Vec<Vec<bool>> = (0..n)
            .map(|i| (0..n).map(|j| i.abs_diff(j) <= 1).collect())
            .collect();
        let (_, s) = plan(&written);
        let entries = s.entries().count();
        assert_eq!(entries, 3 * n - 2);
        // an end row (one neighbour) goes first
        assert!(s.order[0] == 0 || s.order[0] == n - 1, "{:?}", s.order);
    }

    #[test]
    fn an_arrow_pattern_takes_no_fill() {
        // row 0 couples to every row: eliminating it first would fill all.
        let n = 5;
        let written: Vec<Vec<bool>> = (0..n)
            .map(|i| (0..n).map(|j| i == 0 || j == 0 || i == j).collect())
            .collect();
        let (_, s) = plan(&written);
        assert_ne!(s.order[0], 0, "{:?}", s.order);
        assert_eq!(s.entries().count(), 3 * n - 2);
    }
}
