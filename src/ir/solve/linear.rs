//! LINEAR and NONLINEAR blocks.
//!
//! The unknowns are the STATEs the `~ lhs = rhs` equations mention, in order
//! of first appearance (only those the block's `SOLVEFOR` names, when it
//! has one); each equation is one row, in order.
//!
//! - LINEAR (NEURON: fill `_coef` while running the block, then `simeq`):
//!   each equation, where it stands, stores its row of coefficients
//!   d(lhs - rhs)/dx (symbolic; they must be free of the unknowns) and its
//!   constant -(lhs - rhs)|x=0; after the block the system is solved
//!   (Crout LU with partial pivoting) and the unknowns assigned.
//! - NONLINEAR (NEURON: `newton`): residual `lhs - rhs` per equation, solved
//!   by [`super::newton`], the block running once per residual evaluation.

use crate::diag::{Diagnostic, Span};
use crate::ir::{Expr, LocalId, Place, Stmt};

use super::Info;
use super::construct::{Locals, c, l, neg, set, setl, sub};
use super::dense::Dense;
use super::kinetic::is_state;
use super::newton::{self, Problem};
use super::symbolic::{diff, mentions, simplify, substitute};

/// One equation's `lhs - rhs` and where it is.
type Residual = (Expr, Span);

fn places_in(e: &Expr, info: &Info, out: &mut Vec<Place>) {
    match e {
        Expr::Const(_) => {}
        Expr::Load(p) => {
            if is_state(p, info) && !out.contains(p) {
                out.push(p.clone());
            }
        }
        Expr::Unary(_, a) => places_in(a, info, out),
        Expr::Binary(_, a, b) => {
            places_in(a, info, out);
            places_in(b, info, out);
        }
        Expr::Math(_, args)
        | Expr::Call(_, args)
        | Expr::Builtin(_, args)
        | Expr::FunctionTable(_, args) => args.iter().for_each(|a| places_in(a, info, out)),
    }
}

fn equations(stmts: &[Stmt], out: &mut Vec<(Expr, Span)>) {
    for s in stmts {
        match s {
            Stmt::Equation { lhs, rhs, span } => out.push((sub(lhs.clone(), rhs.clone()), *span)),
            Stmt::If {
                then, otherwise, ..
            } => {
                equations(then, out);
                equations(otherwise, out);
            }
            Stmt::While { body, .. } => equations(body, out),
            _ => {}
        }
    }
}

/// Rewrites every equation (numbered in order) with `f(index, residual)`.
fn replace_equations(
    stmts: Vec<Stmt>,
    next: &mut usize,
    f: &mut dyn FnMut(usize, Expr) -> Vec<Stmt>,
) -> Vec<Stmt> {
    let mut out = Vec::new();
    for s in stmts {
        match s {
            Stmt::Equation { lhs, rhs, .. } => {
                let k = *next;
                *next += 1;
                out.extend(f(k, sub(lhs, rhs)));
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                let then = replace_equations(then, next, f);
                let otherwise = replace_equations(otherwise, next, f);
                out.push(Stmt::If {
                    cond,
                    then,
                    otherwise,
                });
            }
            Stmt::While { cond, body } => out.push(Stmt::While {
                cond,
                body: replace_equations(body, next, f),
            }),
            other => out.push(other),
        }
    }
    out
}

/// Unknowns and residuals of the block, or `None` after a diagnostic.
fn system(
    body: &[Stmt],
    solvefor: &[Place],
    span: Span,
    info: &Info,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Vec<Place>, Vec<Residual>)> {
    let mut eqs = Vec::new();
    equations(body, &mut eqs);
    let mut unknowns = Vec::new();
    for (r, _) in &eqs {
        places_in(r, info, &mut unknowns);
    }
    if !solvefor.is_empty() {
        // SOLVEFOR names the unknowns; other STATEs are known values here.
        unknowns.retain(|p| solvefor.contains(p));
    }
    if eqs.len() != unknowns.len() {
        diags.push(
            Diagnostic::error(
                "E0706",
                format!("{} equations for {} states", eqs.len(), unknowns.len()),
            )
            .with_primary(span, "solved here")
            .with_help("a LINEAR or NONLINEAR block needs one `~` equation per STATE it mentions"),
        );
        return None;
    }
    Some((unknowns, eqs))
}

/// The explicit statements for a LINEAR block.
pub fn emit_linear(
    body: Vec<Stmt>,
    solvefor: &[Place],
    span: Span,
    locals: &mut Locals,
    info: &Info,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Stmt> {
    let Some((unknowns, eqs)) = system(&body, solvefor, span, info, diags) else {
        return Vec::new();
    };
    let n = unknowns.len();
    // check linearity first
    for (r, at) in &eqs {
        for x in &unknowns {
            let ok = diff(r, x).is_some_and(|d| unknowns.iter().all(|y| !mentions(&d, y)));
            if !ok {
                diags.push(
                    Diagnostic::error("E0705", "LINEAR equation is not linear in the states")
                        .with_primary(*at, "this equation")
                        .with_help("use a NONLINEAR block"),
                );
                return Vec::new();
            }
        }
    }
    let coef: Vec<Vec<LocalId>> = (0..n)
        .map(|i| locals.fresh_n(&format!("_coef{i}_"), n))
        .collect();
    let rhs = locals.fresh_n("_lrhs", n);
    let sol = locals.fresh_n("_lsol", n);
    let dense = Dense::new(locals, n);
    let mut next = 0;
    let mut out = replace_equations(body, &mut next, &mut |k, r| {
        let mut s = Vec::new();
        if k >= n {
            return s;
        }
        let mut at_zero = r.clone();
        for x in &unknowns {
            if let Some(d) = diff(&r, x) {
                s.push(setl(
                    coef[k][unknowns.iter().position(|y| y == x).unwrap_or(0)],
                    d,
                ));
            }
            at_zero = substitute(&at_zero, x, &c(0.0));
        }
        s.push(setl(rhs[k], neg(simplify(at_zero))));
        s
    });
    out.extend(dense.factor(&|i, j| l(coef[i][j])));
    out.extend(dense.solve(&rhs.iter().map(|&r| l(r)).collect::<Vec<_>>(), &sol));
    for (x, s) in unknowns.iter().zip(&sol) {
        out.push(set(x, l(*s)));
    }
    out
}

/// The explicit statements for a NONLINEAR block.
pub fn emit_nonlinear(
    body: Vec<Stmt>,
    solvefor: &[Place],
    span: Span,
    locals: &mut Locals,
    info: &Info,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Stmt> {
    let Some((unknowns, _)) = system(&body, solvefor, span, info, diags) else {
        return Vec::new();
    };
    let resid = locals.fresh_n("_resid", unknowns.len());
    let mut next = 0;
    let eval = replace_equations(body, &mut next, &mut |k, r| match resid.get(k) {
        Some(&id) => vec![setl(id, r)],
        None => Vec::new(),
    });
    newton::emit(
        Problem {
            unknowns,
            eval,
            resid,
        },
        locals,
    )
}
