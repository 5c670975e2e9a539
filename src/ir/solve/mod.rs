//! The solve pass: replaces every [`Stmt::Solve`] of a mechanism by
//! explicit update statements (the integration methods of NEURON's
//! nocmodl and scopmath, reproduced operation for operation where it
//! decides the numbers), and turns the [`Stmt::Table`] of FUNCTIONs and
//! PROCEDUREs into NEURON's lookup tables.
//!
//! | method | module | NEURON counterpart |
//! |---|---|---|
//! | `cnexp` | [`cnexp`] | nocmodl `cvode_cnexp_success` |
//! | `derivimplicit`, `STEADYSTATE derivimplicit` | [`implicit`] | `derivimplicit_thread`, `nrn_newton_thread` |
//! | `euler` | [`euler`] | `euler_thread` |
//! | `runge` | [`runge`] | `runge` |
//! | `sparse`, `STEADYSTATE sparse` | [`kinetic`] | nocmodl `kinetic_implicit`, `sparse_thread`, `_ss_sparse_thread` |
//! | LINEAR / NONLINEAR | [`linear`] | `simeq`, `newton` |
//! | TABLE | [`table`] | nocmodl `table_massage` |
//!
//! Diagnostic codes: W0701 (cnexp falls back to derivimplicit), E0702
//! (reactions outside `METHOD sparse`), E0703 (flux on a conserved state),
//! E0704 (bad CONSERVE), E0705 (LINEAR equation not linear), E0706
//! (equation count differs from the unknown count), E0707 (bad TABLE),
//! E0708 (statement the method cannot solve).

pub mod cnexp;
pub mod construct;
pub mod dense;
pub mod euler;
pub mod implicit;
pub mod kinetic;
pub mod linear;
pub mod newton;
pub mod odes;
pub mod runge;
pub mod sparse;
pub mod symbolic;
pub mod table;

use crate::diag::{Diagnostic, Span};
use crate::ir::{Field, IonUse, Mechanism, Place, SolveMethod, Stmt};

use construct::Locals;

/// What the solvers need to know about the mechanism's fields.
pub struct Info {
    /// The mechanism's fields.
    pub fields: Vec<Field>,
    /// The mechanism's ions.
    pub ions: Vec<IonUse>,
}

/// Runs the pass over every kernel and function of `mech`. On success
/// returns its warnings; on failure every diagnostic (errors included).
pub fn solve(mech: &mut Mechanism) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    let info = Info {
        fields: mech.fields.clone(),
        ions: mech.ions.clone(),
    };
    let mut diags = Vec::new();
    for k in &mut mech.kernels {
        let body = std::mem::take(&mut k.body);
        let mut locals = Locals::new(&mut k.locals);
        k.body = lower_stmts(body, &mut locals, &info, &mut diags);
    }
    for f in &mut mech.functions {
        let body = std::mem::take(&mut f.body);
        let mut locals = Locals::new(&mut f.locals);
        f.body = lower_stmts(body, &mut locals, &info, &mut diags);
    }
    table::lower(mech, &mut diags);
    if diags.iter().any(Diagnostic::is_error) {
        Err(diags)
    } else {
        Ok(diags)
    }
}

fn lower_stmts(
    stmts: Vec<Stmt>,
    locals: &mut Locals,
    info: &Info,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Stmt> {
    let mut out = Vec::with_capacity(stmts.len());
    for s in stmts {
        match s {
            Stmt::Solve {
                method,
                body,
                solvefor,
                span,
            } => {
                // nested SOLVEs inside the block first
                let body = lower_stmts(body, locals, info, diags);
                let block = Block {
                    body,
                    solvefor,
                    span,
                };
                out.extend(solve_block(method, block, locals, info, diags));
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => out.push(Stmt::If {
                cond,
                then: lower_stmts(then, locals, info, diags),
                otherwise: lower_stmts(otherwise, locals, info, diags),
            }),
            Stmt::While { cond, body } => out.push(Stmt::While {
                cond,
                body: lower_stmts(body, locals, info, diags),
            }),
            other => out.push(other),
        }
    }
    out
}

/// Which kinds of to-be-solved statements a block holds.
#[derive(Default)]
struct Content {
    odes: Option<Span>,
    reactions: Option<Span>,
    equations: Option<Span>,
}

fn content(stmts: &[Stmt], c: &mut Content) {
    for s in stmts {
        match s {
            Stmt::Ode { span, .. } => {
                c.odes.get_or_insert(*span);
            }
            Stmt::Reaction(r) => {
                c.reactions.get_or_insert(r.span);
            }
            Stmt::Conserve { span, .. } => {
                c.reactions.get_or_insert(*span);
            }
            Stmt::Equation { span, .. } => {
                c.equations.get_or_insert(*span);
            }
            Stmt::If {
                then, otherwise, ..
            } => {
                content(then, c);
                content(otherwise, c);
            }
            Stmt::While { body, .. } => content(body, c),
            _ => {}
        }
    }
}

fn cannot(diags: &mut Vec<Diagnostic>, span: Span, what: &str, method: &str, help: &str) {
    diags.push(
        Diagnostic::error("E0708", format!("{what} cannot be solved by {method}"))
            .with_primary(span, "here")
            .with_help(help.to_string()),
    );
}

/// One SOLVE's block, its unknowns and where the SOLVE stands.
struct Block {
    body: Vec<Stmt>,
    solvefor: Vec<Place>,
    span: Span,
}

fn solve_block(
    method: SolveMethod,
    block: Block,
    locals: &mut Locals,
    info: &Info,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Stmt> {
    let Block {
        body,
        solvefor,
        span,
    } = block;
    let mut c = Content::default();
    content(&body, &mut c);
    let method = match method {
        SolveMethod::Procedure if c.reactions.is_some() => SolveMethod::Sparse,
        SolveMethod::Procedure if c.odes.is_some() => SolveMethod::Derivimplicit,
        SolveMethod::Procedure if c.equations.is_some() => SolveMethod::NonLinear,
        m => m,
    };
    let derivative = matches!(
        method,
        SolveMethod::Cnexp
            | SolveMethod::Derivimplicit
            | SolveMethod::Euler
            | SolveMethod::Runge
            | SolveMethod::SteadyStateDerivimplicit
    );
    let kinetic = matches!(method, SolveMethod::Sparse | SolveMethod::SteadyStateSparse);
    let algebraic = matches!(method, SolveMethod::Linear | SolveMethod::NonLinear);
    if let Some(s) = c.reactions.filter(|_| !kinetic) {
        diags.push(
            Diagnostic::error("E0702", "KINETIC reactions need METHOD sparse")
                .with_primary(s, "reaction")
                .with_secondary(span, "solved here")
                .with_help("use `SOLVE ... METHOD sparse` (or STEADYSTATE sparse)"),
        );
        return Vec::new();
    }
    if let Some(s) = c.odes.filter(|_| !derivative) {
        cannot(
            diags,
            s,
            "a differential equation",
            "this method",
            "use METHOD cnexp or derivimplicit",
        );
        return Vec::new();
    }
    if let Some(s) = c.equations.filter(|_| !algebraic) {
        cannot(
            diags,
            s,
            "a `~` equation",
            "this method",
            "put it in a LINEAR or NONLINEAR block",
        );
        return Vec::new();
    }
    match method {
        SolveMethod::Cnexp => {
            match cnexp::emit(body.clone()) {
                Ok(stmts) => stmts,
                Err(at) => {
                    diags.push(
                    Diagnostic::warning("W0701", "cnexp needs x' to be linear in x")
                        .with_primary(at, "not linear in its state")
                        .with_secondary(span, "solved with cnexp here")
                        .with_note("NEURON translates this block with derivimplicit instead; so does nmc")
                        .with_help("use METHOD derivimplicit"),
                );
                    implicit::emit(body, None, locals)
                }
            }
        }
        SolveMethod::Derivimplicit => implicit::emit(body, None, locals),
        SolveMethod::SteadyStateDerivimplicit => implicit::emit(body, Some(1e-9), locals),
        SolveMethod::Euler => euler::emit(body, locals),
        SolveMethod::Runge => runge::emit(body, locals),
        SolveMethod::Sparse => kinetic::emit(body, false, locals, info, diags),
        SolveMethod::SteadyStateSparse => kinetic::emit(body, true, locals, info, diags),
        SolveMethod::Linear => linear::emit_linear(body, &solvefor, span, locals, info, diags),
        SolveMethod::NonLinear => {
            linear::emit_nonlinear(body, &solvefor, span, locals, info, diags)
        }
        SolveMethod::Procedure => body,
    }
}
