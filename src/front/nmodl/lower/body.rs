//! Statements and expressions of one body (a kernel or a function), with
//! LOCAL scopes, FROM loops, NET_RECEIVE arguments and the equation
//! statements of DERIVATIVE/KINETIC/LINEAR/NONLINEAR blocks.

use super::layout::{Binding, Context};
use super::{E_CONSERVE, E_NAME, E_NOT_CONST, E_UNSUPPORTED, W_SCALAR_COMPARTMENT};
use crate::diag::Span;
use crate::front::nmodl::ast::{self, ExprKind, StmtKind};
use crate::front::nmodl::sema::verbatim::{Idiom, idiom};
use crate::ir::{
    BinOp, Builtin, Expr, FieldKind, LocalId, MathFn, Place, Reaction, SolveMethod, Stmt, UnOp,
};
use std::collections::HashMap;

/// A name bound inside a body.
#[derive(Clone, Copy, Debug)]
enum Scoped {
    /// A local variable.
    Local(LocalId),
    /// A NET_RECEIVE argument.
    NetArg(usize),
    /// A constant (the index of a COMPARTMENT over array elements).
    Const(f64),
    /// The NET_RECEIVE flag.
    Flag,
}

/// Which kind of body is being lowered, for the statements that only make
/// sense in some.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// INITIAL, BREAKPOINT, BEFORE/AFTER.
    Kernel,
    /// NET_RECEIVE (and its INITIAL).
    NetReceive,
    /// A FUNCTION or PROCEDURE.
    Function,
}

/// The body being lowered.
pub struct Body {
    /// Local names (unique, for printing).
    pub locals: Vec<String>,
    scopes: Vec<HashMap<String, Scoped>>,
    /// What kind of body this is.
    pub role: Role,
    /// COMPARTMENT volumes in force (KINETIC blocks).
    volumes: Vec<(Place, Expr)>,
    /// The initial INITIAL block nested in NET_RECEIVE, if met.
    pub net_initial: Option<ast::Block>,
    /// Locals standing for `f_flux` and `b_flux` in a KINETIC block that
    /// reads them.
    flux: Option<(LocalId, LocalId)>,
    /// The result local of a FUNCTION body (what a VERBATIM `return 0;`
    /// sets before leaving).
    pub result: Option<LocalId>,
}

impl Body {
    /// An empty body with one scope.
    pub fn new(role: Role) -> Self {
        Body {
            locals: Vec::new(),
            scopes: vec![HashMap::new()],
            role,
            volumes: Vec::new(),
            net_initial: None,
            flux: None,
            result: None,
        }
    }

    /// Declares a local in the innermost scope; names are made unique.
    pub fn declare_local(&mut self, name: &str) -> LocalId {
        let mut shown = name.to_string();
        let mut k = 1;
        while self.locals.contains(&shown) {
            shown = format!("{name}_{k}");
            k += 1;
        }
        self.locals.push(shown);
        let id = LocalId::new(self.locals.len() - 1);
        if let Some(s) = self.scopes.last_mut() {
            s.insert(name.to_string(), Scoped::Local(id));
        }
        id
    }

    /// A fresh temporary local not visible by name.
    pub fn temp(&mut self, name: &str) -> LocalId {
        let id = self.declare_local(name);
        if let Some(s) = self.scopes.last_mut() {
            s.remove(name);
        }
        id
    }

    /// Binds a NET_RECEIVE argument name.
    pub fn bind_net_arg(&mut self, name: &str, k: usize) {
        if let Some(s) = self.scopes.first_mut() {
            s.insert(name.to_string(), Scoped::NetArg(k));
        }
    }

    /// Binds `flag` to the event flag (NET_RECEIVE bodies).
    pub fn bind_flag(&mut self) {
        if let Some(s) = self.scopes.first_mut() {
            s.insert("flag".to_string(), Scoped::Flag);
        }
    }

    /// Binds a name to a local that already exists (function results).
    pub fn bind_local(&mut self, name: &str, id: LocalId) {
        if let Some(s) = self.scopes.first_mut() {
            s.insert(name.to_string(), Scoped::Local(id));
        }
    }

    fn lookup(&self, name: &str) -> Option<Scoped> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    fn push(&mut self) {
        self.scopes.push(HashMap::new());
    }

    fn pop(&mut self) {
        if self.scopes.len() > 1 {
            self.scopes.pop();
        }
    }
}

/// Maps a SOLVE statement's block and method names to an IR method.
pub fn solve_method(
    kind: Option<ast::SolvableKind>,
    method: Option<&str>,
    steady: Option<&str>,
) -> Option<SolveMethod> {
    use ast::SolvableKind as K;
    if let Some(s) = steady {
        return match s {
            "sparse" => Some(SolveMethod::SteadyStateSparse),
            "derivimplicit" => Some(SolveMethod::SteadyStateDerivimplicit),
            _ => None,
        };
    }
    match (kind, method) {
        (None, _) => Some(SolveMethod::Procedure),
        (_, Some("after_cvode" | "cvode_t" | "cvode_t_v")) => Some(SolveMethod::Procedure),
        (Some(K::Derivative), Some("cnexp")) => Some(SolveMethod::Cnexp),
        (Some(K::Derivative), Some("derivimplicit") | None) => Some(SolveMethod::Derivimplicit),
        (Some(K::Derivative | K::Kinetic), Some("euler")) => Some(SolveMethod::Euler),
        (Some(K::Derivative), Some("runge")) => Some(SolveMethod::Runge),
        // nocmodl's default for KINETIC is `_advance`, backward Euler like sparse.
        (Some(K::Kinetic), Some("sparse") | None) => Some(SolveMethod::Sparse),
        (Some(K::Linear), None) => Some(SolveMethod::Linear),
        (Some(K::NonLinear), None) => Some(SolveMethod::NonLinear),
        _ => None,
    }
}

impl Context<'_> {
    /// Lowers a block's statements in a new scope.
    pub fn block(&mut self, b: &mut Body, block: &ast::Block) -> Vec<Stmt> {
        b.push();
        let out = self.stmts(b, &block.stmts);
        b.pop();
        out
    }

    /// Lowers statements in the current scope.
    pub fn stmts(&mut self, b: &mut Body, stmts: &[ast::Stmt]) -> Vec<Stmt> {
        let mut out = Vec::new();
        for s in stmts {
            self.stmt(b, s, &mut out);
        }
        out
    }

    fn stmt(&mut self, b: &mut Body, s: &ast::Stmt, out: &mut Vec<Stmt>) {
        match &s.kind {
            StmtKind::Local(decls) => {
                for d in decls {
                    if d.array.is_some() {
                        self.error(
                            E_UNSUPPORTED,
                            d.name.span,
                            format!("LOCAL array `{}` is not supported yet", d.name.name),
                            "LOCAL array",
                        );
                    }
                    b.declare_local(&d.name.name);
                }
            }
            StmtKind::Assign { target, value, .. } => {
                let v = self.expr(b, value);
                if let Some(p) = self.place(b, target) {
                    out.push(Stmt::Assign(p, v));
                }
            }
            StmtKind::Derivative {
                target,
                order,
                value,
            } => {
                if *order != 1 {
                    self.error(
                        E_UNSUPPORTED,
                        s.span,
                        "higher-order derivatives are not supported".into(),
                        "second derivative",
                    );
                    return;
                }
                let rhs = self.expr(b, value);
                if let Some(state) = self.place(b, target) {
                    out.push(Stmt::Ode {
                        state,
                        rhs,
                        span: s.span,
                    });
                }
            }
            StmtKind::Expr(e) => self.expr_stmt(b, e, out),
            StmtKind::If {
                cond,
                then,
                else_ifs,
                otherwise,
            } => {
                let mut tail = match otherwise {
                    Some(blk) => self.block(b, blk),
                    None => Vec::new(),
                };
                let mut arms: Vec<(Expr, Vec<Stmt>)> = Vec::new();
                let c = self.expr(b, cond);
                let t = self.if_body(b, then);
                arms.push((c, t));
                for (c, blk) in else_ifs {
                    let c = self.expr(b, c);
                    let t = self.if_body(b, blk);
                    arms.push((c, t));
                }
                while let Some((cond, then)) = arms.pop() {
                    tail = vec![Stmt::If {
                        cond,
                        then,
                        otherwise: tail,
                    }];
                }
                out.extend(tail);
            }
            StmtKind::While { cond, body } => {
                let cond = self.expr(b, cond);
                let body = self.block(b, body);
                out.push(Stmt::While { cond, body });
            }
            StmtKind::FromTo {
                var,
                from,
                to,
                by,
                body,
            } => {
                if has_equations(&body.stmts)
                    && let Some(stmts) = self.unroll(b, var, from, to, by.as_ref(), body)
                {
                    out.extend(stmts);
                    return;
                }
                // FROM i = a TO b BY s { } is C's for (i = a; i <= b; i += s).
                let from = self.expr(b, from);
                let to = self.expr(b, to);
                let step = by.as_ref().map_or(Expr::Const(1.0), |e| self.expr(b, e));
                let i = match b.lookup(&var.name) {
                    Some(Scoped::Local(i)) => i,
                    _ => b.declare_local(&var.name),
                };
                let mut inner = self.block(b, body);
                inner.push(Stmt::Assign(
                    Place::Local(i),
                    Expr::Binary(
                        BinOp::Add,
                        Box::new(Expr::Load(Place::Local(i))),
                        Box::new(step),
                    ),
                ));
                out.push(Stmt::Assign(Place::Local(i), from));
                out.push(Stmt::While {
                    cond: Expr::Binary(
                        BinOp::Le,
                        Box::new(Expr::Load(Place::Local(i))),
                        Box::new(to),
                    ),
                    body: inner,
                });
            }
            StmtKind::Solve {
                block,
                method,
                steadystate,
                ..
            } => self.solve(b, s.span, block, method.as_ref(), steadystate.as_ref(), out),
            StmtKind::Reaction(r) => {
                if let Some(r) = self.reaction(b, r, s.span) {
                    let fluxes = b.flux.map(|(f, bk)| flux_assignments(&r, f, bk));
                    out.push(Stmt::Reaction(r));
                    out.extend(fluxes.into_iter().flatten());
                }
            }
            StmtKind::Equation { lhs, rhs } => {
                let lhs = self.expr(b, lhs);
                let rhs = self.expr(b, rhs);
                out.push(Stmt::Equation {
                    lhs,
                    rhs,
                    span: s.span,
                });
            }
            StmtKind::Conserve { lhs, rhs } => {
                let mut terms = Vec::new();
                if self.conserve_terms(b, lhs, 1.0, &mut terms) {
                    let total = self.expr(b, rhs);
                    out.push(Stmt::Conserve {
                        terms,
                        total,
                        span: s.span,
                    });
                } else {
                    self.error(
                        E_CONSERVE,
                        lhs.span,
                        "CONSERVE needs a sum of STATEs (with constant coefficients)".into(),
                        "not a sum of states",
                    );
                }
            }
            StmtKind::Compartment {
                longitudinal,
                index,
                volume,
                states,
            } => {
                if *longitudinal {
                    // Longitudinal diffusion couples neighbouring nodes: the
                    // single-node IR ignores it (no diffusion between nodes).
                    return;
                }
                self.compartment(b, index.as_ref(), volume, states);
            }
            StmtKind::Table {
                names,
                depend,
                from,
                to,
                with,
            } => {
                let outputs = names
                    .iter()
                    .filter_map(|n| self.name_place(b, n, None))
                    .collect();
                let depend = depend
                    .iter()
                    .filter_map(|n| self.name_place(b, n, None))
                    .collect();
                let from = self.expr(b, from);
                let to = self.expr(b, to);
                let with_n = match self.const_value(b, with) {
                    Some(n) if n >= 1.0 && n.fract() == 0.0 && n < 1e7 => n as usize,
                    _ => {
                        self.error(
                            E_NOT_CONST,
                            with.span,
                            "TABLE ... WITH needs a positive whole number".into(),
                            "not a constant count",
                        );
                        1
                    }
                };
                out.push(Stmt::Table {
                    outputs,
                    depend,
                    from,
                    to,
                    with: with_n,
                    span: s.span,
                });
            }
            StmtKind::Watch(list) => {
                for (cond, flag) in list {
                    let c = watch_value(self.expr(b, cond));
                    let flag = self.expr(b, flag);
                    let id = self.mech.watches.len();
                    self.mech.watches.push(c);
                    out.push(Stmt::WatchOn { id, flag });
                }
            }
            StmtKind::Initial(blk) => {
                if b.role == Role::NetReceive && b.net_initial.is_none() {
                    b.net_initial = Some(blk.clone());
                } else {
                    self.error(
                        E_UNSUPPORTED,
                        s.span,
                        "a nested INITIAL block is only allowed once in NET_RECEIVE".into(),
                        "nested INITIAL",
                    );
                }
            }
            StmtKind::Verbatim(text) => {
                // the checker allows only the idioms whose meaning is certain
                if let Some(idiom) = idiom(text) {
                    if let Idiom::Return(value) = idiom {
                        if let (Some(v), Some(r)) = (value, b.result) {
                            out.push(Stmt::Assign(Place::Local(r), Expr::Const(v)));
                        }
                        out.push(Stmt::Return);
                    }
                } else {
                    self.error(
                        E_UNSUPPORTED,
                        s.span,
                        "VERBATIM C code cannot be compiled".into(),
                        "VERBATIM block",
                    );
                }
            }
            StmtKind::UnitsOff
            | StmtKind::UnitsOn
            | StmtKind::Mutex { .. }
            | StmtKind::Conductance { .. } => {}
            StmtKind::Block(blk) => {
                let inner = self.block(b, blk);
                out.extend(inner);
            }
        }
    }

    /// A FROM loop over equations (KINETIC/DERIVATIVE on array states)
    /// with constant bounds, unrolled with the loop variable as a constant
    /// (as nocmodl expands such loops into one equation per element).
    fn unroll(
        &mut self,
        b: &mut Body,
        var: &ast::Ident,
        from: &ast::Expr,
        to: &ast::Expr,
        by: Option<&ast::Expr>,
        body: &ast::Block,
    ) -> Option<Vec<Stmt>> {
        let lo = self.const_value(b, from)?;
        let hi = self.const_value(b, to)?;
        let step = match by {
            Some(e) => self.const_value(b, e)?,
            None => 1.0,
        };
        if step <= 0.0 || !(hi - lo).is_finite() || (hi - lo) / step > 100_000.0 {
            return None;
        }
        let mut out = Vec::new();
        let mut k = lo;
        while k <= hi {
            b.push();
            if let Some(s) = b.scopes.last_mut() {
                s.insert(var.name.clone(), Scoped::Const(k));
            }
            let stmts = self.block(b, body);
            b.pop();
            out.extend(stmts);
            k += step;
        }
        Some(out)
    }

    fn if_body(&mut self, b: &mut Body, blk: &ast::Block) -> Vec<Stmt> {
        self.block(b, blk)
    }

    /// `SOLVE name ...`: the named block lowered inside a [`Stmt::Solve`].
    fn solve(
        &mut self,
        b: &mut Body,
        span: Span,
        block: &ast::Ident,
        method: Option<&ast::Ident>,
        steady: Option<&ast::Ident>,
        out: &mut Vec<Stmt>,
    ) {
        let solvable = self.solvables.get(&block.name).copied();
        let kind = solvable.map(|(k, _, _)| k);
        let m = solve_method(
            kind,
            method.map(|m| m.name.as_str()),
            steady.map(|m| m.name.as_str()),
        );
        let Some(m) = m else {
            let which = steady.or(method).map_or(block.span, |m| m.span);
            let name = steady.or(method).map_or("(default)", |m| m.name.as_str());
            self.error(
                super::E_METHOD,
                which,
                format!("SOLVE method `{name}` is not implemented for this block"),
                "unsupported method",
            );
            return;
        };
        let body = match solvable {
            Some((ast::SolvableKind::Discrete, _, _)) => {
                self.error(
                    E_UNSUPPORTED,
                    block.span,
                    "DISCRETE blocks are not supported".into(),
                    "DISCRETE block",
                );
                return;
            }
            Some(_) if self.solving.contains(&block.name) => {
                let chain = self.solving.join("` SOLVEs `");
                self.error(
                    "E0307",
                    block.span,
                    format!(
                        "SOLVE `{}` inside itself (`{chain}` SOLVEs `{}`)",
                        block.name, block.name
                    ),
                    "solved inside itself",
                );
                return;
            }
            Some((kind, blk, _)) => {
                self.solving.push(block.name.clone());
                let saved = std::mem::take(&mut b.volumes);
                let saved_flux = b.flux;
                b.push();
                if kind == ast::SolvableKind::Kinetic
                    && (mentions(&blk.stmts, "f_flux") || mentions(&blk.stmts, "b_flux"))
                {
                    b.flux = Some((b.declare_local("f_flux"), b.declare_local("b_flux")));
                }
                let body = self.block(b, blk);
                b.pop();
                b.volumes = saved;
                b.flux = saved_flux;
                self.solving.pop();
                body
            }
            None => match self.funcs.get(&block.name) {
                Some(&f) => vec![Stmt::Eval(Expr::Call(f, Vec::new()))],
                None => {
                    self.error(
                        E_NAME,
                        block.span,
                        format!("cannot find the block `{}` to SOLVE", block.name),
                        "unknown block",
                    );
                    return;
                }
            },
        };
        let solvefor = solvable.map_or(&[][..], |(_, _, names)| names);
        let solvefor = solvefor
            .iter()
            .filter_map(|id| self.name_place(b, id, None))
            .collect();
        out.push(Stmt::Solve {
            method: m,
            body,
            solvefor,
            span,
        });
    }

    fn compartment(
        &mut self,
        b: &mut Body,
        index: Option<&ast::Ident>,
        volume: &ast::Expr,
        states: &[ast::Ident],
    ) {
        for st in states {
            let len = match self.names.get(&st.name) {
                Some(Binding::Field(f)) => self.mech.fields[*f].len,
                // not a variable of the instance (W0208): no volume
                _ => continue,
            };
            match index {
                Some(ix) if len > 1 => {
                    for k in 0..len {
                        b.push();
                        if let Some(s) = b.scopes.last_mut() {
                            s.insert(ix.name.clone(), Scoped::Const(k as f64));
                        }
                        let vol = self.expr(b, volume);
                        b.pop();
                        if let Some(p) = self.name_place(b, st, Some(Expr::Const(k as f64))) {
                            b.volumes.push((p, vol));
                        }
                    }
                }
                Some(ix) => {
                    // A scalar STATE in an indexed COMPARTMENT: nocmodl's C
                    // reads the index left over from an earlier loop (one
                    // past the states), which is undefined; nmc uses 0.
                    self.diags_warn.push(
                        crate::diag::Diagnostic::warning(
                            W_SCALAR_COMPARTMENT,
                            format!(
                                "`{}` is not an array, so the COMPARTMENT index `{}` has no value for it",
                                st.name, ix.name
                            ),
                        )
                        .with_primary(st.span, "scalar STATE")
                        .with_help(format!(
                            "nmc evaluates the volume with `{} = 0`; give `{}` a COMPARTMENT statement of its own",
                            ix.name, st.name
                        )),
                    );
                    b.push();
                    if let Some(s) = b.scopes.last_mut() {
                        s.insert(ix.name.clone(), Scoped::Const(0.0));
                    }
                    let vol = self.expr(b, volume);
                    b.pop();
                    if let Some(p) = self.name_place(b, st, None) {
                        b.volumes.push((p, vol));
                    }
                }
                None => {
                    let vol = self.expr(b, volume);
                    if let Some(p) = self.name_place(b, st, None) {
                        b.volumes.push((p, vol));
                    }
                }
            }
        }
    }

    fn reaction(&mut self, b: &mut Body, r: &ast::Reaction, span: Span) -> Option<Reaction> {
        let lhs = self.terms(b, &r.lhs)?;
        let (rhs, forward, backward, flux) = match &r.kind {
            ast::ReactionKind::Reversible {
                rhs,
                forward,
                backward,
            } => (
                self.terms(b, rhs)?,
                self.expr(b, forward),
                Some(self.expr(b, backward)),
                false,
            ),
            ast::ReactionKind::Forward { rhs, rate } => {
                (self.terms(b, rhs)?, self.expr(b, rate), None, false)
            }
            ast::ReactionKind::Flux { flux } => (Vec::new(), self.expr(b, flux), None, true),
        };
        let mut volumes = Vec::new();
        for (_, p) in lhs.iter().chain(rhs.iter()) {
            if let Some((_, v)) = b.volumes.iter().find(|(q, _)| q == p)
                && !volumes.iter().any(|(q, _): &(Place, Expr)| q == p)
            {
                volumes.push((p.clone(), v.clone()));
            }
        }
        Some(Reaction {
            lhs,
            rhs,
            forward,
            backward,
            flux,
            volumes,
            span,
        })
    }

    fn terms(&mut self, b: &mut Body, terms: &[ast::ReactTerm]) -> Option<Vec<(u32, Place)>> {
        let mut out = Vec::new();
        for t in terms {
            let idx = t.index.as_ref().map(|e| self.expr(b, e));
            let p = self.name_place(b, &t.name, idx)?;
            out.push((t.coeff, p));
        }
        Some(out)
    }

    /// Flattens `a*X + Y - ...` into `(coefficient, state)` terms.
    fn conserve_terms(
        &mut self,
        b: &mut Body,
        e: &ast::Expr,
        sign: f64,
        out: &mut Vec<(f64, Place)>,
    ) -> bool {
        match &e.kind {
            ExprKind::Binary {
                op: ast::BinaryOp::Add,
                lhs,
                rhs,
            } => self.conserve_terms(b, lhs, sign, out) && self.conserve_terms(b, rhs, sign, out),
            ExprKind::Binary {
                op: ast::BinaryOp::Sub,
                lhs,
                rhs,
            } => self.conserve_terms(b, lhs, sign, out) && self.conserve_terms(b, rhs, -sign, out),
            ExprKind::Binary {
                op: ast::BinaryOp::Mul,
                lhs,
                rhs,
            } => match (self.const_value(b, lhs), self.const_value(b, rhs)) {
                (Some(c), None) => self.conserve_terms(b, rhs, sign * c, out),
                (None, Some(c)) => self.conserve_terms(b, lhs, sign * c, out),
                _ => false,
            },
            ExprKind::WithUnit { expr, .. } => self.conserve_terms(b, expr, sign, out),
            ExprKind::Name(id) => match self.name_place(b, id, None) {
                Some(p) => {
                    out.push((sign, p));
                    true
                }
                None => false,
            },
            ExprKind::Index { name, index } => {
                let idx = self.expr(b, index);
                match self.name_place(b, name, Some(idx)) {
                    Some(p) => {
                        out.push((sign, p));
                        true
                    }
                    None => false,
                }
            }
            _ => false,
        }
    }

    /// The value of an expression made only of numbers and constants.
    fn const_value(&mut self, b: &mut Body, e: &ast::Expr) -> Option<f64> {
        let n = self.diags.len();
        let x = self.expr(b, e);
        self.diags.truncate(n);
        fold(&x)
    }

    fn expr_stmt(&mut self, b: &mut Body, e: &ast::Expr, out: &mut Vec<Stmt>) {
        if let ExprKind::Call { name, args } = &e.kind {
            let n = name.name.as_str();
            let special = matches!(
                n,
                "printf" | "net_send" | "net_event" | "net_move" | "state_discontinuity"
            ) && !self.funcs.contains_key(n);
            if special {
                match n {
                    "printf" => {
                        let format = match args.first().map(|a| &a.kind) {
                            Some(ExprKind::Str(s)) => unescape(s),
                            _ => String::new(),
                        };
                        let rest = args.iter().skip(1).map(|a| self.expr(b, a)).collect();
                        out.push(Stmt::Print { format, args: rest });
                    }
                    "net_send" if args.len() == 2 => {
                        let delay = self.expr(b, &args[0]);
                        let flag = self.expr(b, &args[1]);
                        out.push(Stmt::NetSend { delay, flag });
                    }
                    "net_event" if args.len() == 1 => {
                        let t = self.expr(b, &args[0]);
                        out.push(Stmt::NetEvent(t));
                    }
                    "net_move" if args.len() == 1 => {
                        let t = self.expr(b, &args[0]);
                        out.push(Stmt::NetMove(t));
                    }
                    "state_discontinuity" if args.len() == 2 => {
                        // With the fixed-step method NEURON just assigns.
                        let v = self.expr(b, &args[1]);
                        if let Some(p) = self.expr_place(b, &args[0]) {
                            out.push(Stmt::Assign(p, v));
                        }
                    }
                    _ => self.error(
                        E_UNSUPPORTED,
                        e.span,
                        format!("wrong number of arguments to `{n}`"),
                        "call",
                    ),
                }
                return;
            }
        }
        let x = self.expr(b, e);
        out.push(Stmt::Eval(x));
    }

    fn expr_place(&mut self, b: &mut Body, e: &ast::Expr) -> Option<Place> {
        match &e.kind {
            ExprKind::Name(id) => self.name_place(b, id, None),
            ExprKind::Index { name, index } => {
                let idx = self.expr(b, index);
                self.name_place(b, name, Some(idx))
            }
            _ => {
                self.error(
                    E_UNSUPPORTED,
                    e.span,
                    "expected a variable".into(),
                    "not a variable",
                );
                None
            }
        }
    }

    /// An assignment target.
    pub fn place(&mut self, b: &mut Body, lv: &ast::LValue) -> Option<Place> {
        let idx = lv.index.as_ref().map(|e| self.expr(b, e));
        self.name_place(b, &lv.name, idx)
    }

    /// Where a name (with an optional index) lives.
    pub fn name_place(
        &mut self,
        b: &mut Body,
        id: &ast::Ident,
        index: Option<Expr>,
    ) -> Option<Place> {
        let scoped = b.lookup(&id.name);
        let place = match scoped {
            Some(Scoped::Local(l)) => Some(Place::Local(l)),
            Some(Scoped::NetArg(k)) => Some(Place::NetArg(k)),
            Some(Scoped::Const(_)) => None,
            Some(Scoped::Flag) => Some(Place::Shared(crate::ir::SharedVar::Flag)),
            None => match self.names.get(&id.name).copied() {
                Some(Binding::Field(f)) => {
                    let is_array = self.mech.fields[f].len > 1
                        || self
                            .symbols
                            .get(&id.name)
                            .is_some_and(|s| s.array_len.is_some());
                    if is_array {
                        let ix = index.clone().unwrap_or(Expr::Const(0.0));
                        // Constant indices fold (`ca[i+1]` in an unrolled loop).
                        let ix = fold(&ix).map_or(ix, Expr::Const);
                        return Some(Place::Field(f, Some(Box::new(ix))));
                    }
                    Some(Place::Field(f, None))
                }
                Some(Binding::Global(g)) => Some(Place::Global(g)),
                Some(Binding::Shared(s)) => Some(Place::Shared(s)),
                Some(Binding::Node(n)) => Some(Place::Node(n)),
                Some(Binding::Const(_)) | None => None,
            },
        };
        let Some(place) = place else {
            let what = match self.symbols.get(&id.name) {
                Some(s) => format!("{} (`{}`)", s.kind.describe(), id.name),
                None => format!("`{}`", id.name),
            };
            self.error(
                E_NAME,
                id.span,
                format!("{what} cannot be used as a variable here"),
                "not a variable",
            );
            return None;
        };
        if index.is_some() {
            self.error(
                E_UNSUPPORTED,
                id.span,
                format!("`{}` is not an array", id.name),
                "indexed here",
            );
            return None;
        }
        Some(place)
    }

    /// Lowers an expression; errors are recorded and give `0`.
    pub fn expr(&mut self, b: &mut Body, e: &ast::Expr) -> Expr {
        match &e.kind {
            ExprKind::Number(n) => Expr::Const(n.value),
            ExprKind::Str(_) => {
                self.error(
                    E_UNSUPPORTED,
                    e.span,
                    "a string is only allowed as printf's format".into(),
                    "string",
                );
                Expr::Const(0.0)
            }
            ExprKind::Name(id) => self.name_value(b, id),
            ExprKind::Index { name, index } => {
                let idx = self.expr(b, index);
                match self.name_place(b, name, Some(idx)) {
                    Some(p) => Expr::Load(p),
                    None => Expr::Const(0.0),
                }
            }
            ExprKind::Call { name, args } => self.call(b, name, args, e.span),
            ExprKind::Unary { op, operand } => {
                let x = self.expr(b, operand);
                let op = match op {
                    ast::UnaryOp::Neg => UnOp::Neg,
                    ast::UnaryOp::Not => UnOp::Not,
                };
                Expr::Unary(op, Box::new(x))
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.expr(b, lhs);
                let r = self.expr(b, rhs);
                Expr::Binary(bin_op(*op), Box::new(l), Box::new(r))
            }
            ExprKind::WithUnit { expr, .. } => self.expr(b, expr),
            ExprKind::Prime { name, .. } => {
                self.error(
                    E_UNSUPPORTED,
                    e.span,
                    format!("`{}'` used as a value is not supported", name.name),
                    "derivative as a value",
                );
                Expr::Const(0.0)
            }
        }
    }

    fn name_value(&mut self, b: &mut Body, id: &ast::Ident) -> Expr {
        if let Some(Scoped::Const(c)) = b.lookup(&id.name) {
            return Expr::Const(c);
        }
        if b.lookup(&id.name).is_none()
            && let Some(Binding::Const(c)) = self.names.get(&id.name)
        {
            return Expr::Const(*c);
        }
        match self.name_place(b, id, None) {
            Some(p) => Expr::Load(p),
            None => Expr::Const(0.0),
        }
    }

    fn call(&mut self, b: &mut Body, name: &ast::Ident, args: &[ast::Expr], span: Span) -> Expr {
        let n = name.name.as_str();
        if let Some(e) = self.random_call(b, n, args, span) {
            return e;
        }
        let a: Vec<Expr> = args.iter().map(|x| self.expr(b, x)).collect();
        if let Some(&f) = self.funcs.get(n) {
            return Expr::Call(f, a);
        }
        if let Some(&t) = self.tables.get(n) {
            return Expr::FunctionTable(t, a);
        }
        if let Some(m) = math_fn(n) {
            return Expr::Math(m, a);
        }
        let mut a = a;
        match (n, a.len()) {
            ("normrand", 2) => return Expr::Builtin(Builtin::NormRand, a),
            ("exprand", 1) => return Expr::Builtin(Builtin::ExpRand, a),
            ("unirand", 0) => return Expr::Builtin(Builtin::UniRand, a),
            ("scop_random", 0) => return Expr::Builtin(Builtin::ScopRandom, a),
            ("set_seed", 1) => return Expr::Builtin(Builtin::SetSeed, a),
            ("expm1", 1) => {
                let x = a.remove(0);
                return sub(Expr::Math(MathFn::Exp, vec![x]), Expr::Const(1.0));
            }
            ("log1p", 1) => {
                let x = a.remove(0);
                return Expr::Math(MathFn::Log, vec![add(Expr::Const(1.0), x)]);
            }
            ("hypot", 2) => {
                let y = a.remove(1);
                let x = a.remove(0);
                let sq = |e: Expr| Expr::Binary(BinOp::Mul, Box::new(e.clone()), Box::new(e));
                return Expr::Math(MathFn::Sqrt, vec![add(sq(x), sq(y))]);
            }
            ("at_time", 1) => {
                // NEURON's fixed-step at_time(te): x = te - 1e-11,
                // x <= t && x > t - dt.
                let te = a.remove(0);
                let x = sub(te, Expr::Const(1e-11));
                let t = || Expr::Load(Place::Shared(crate::ir::SharedVar::T));
                let dt = Expr::Load(Place::Shared(crate::ir::SharedVar::Dt));
                let le = Expr::Binary(BinOp::Le, Box::new(x.clone()), Box::new(t()));
                let gt = Expr::Binary(BinOp::Gt, Box::new(x), Box::new(sub(t(), dt)));
                return Expr::Binary(BinOp::And, Box::new(le), Box::new(gt));
            }
            ("nrn_ghk", 4) => {
                let f = self.synth_ghk();
                return Expr::Call(f, a);
            }
            ("nrn_pointing", 1) => {
                if let Some(Expr::Load(Place::Field(id, None))) = a.first()
                    && let Some(f) = self.mech.fields.get(id.index())
                    && f.kind == FieldKind::Pointer
                {
                    let flag = self.pointing_flag(*id);
                    return Expr::Load(Place::Field(flag, None));
                }
            }
            _ => {}
        }
        self.error(
            E_UNSUPPORTED,
            span,
            format!("the function `{n}` is not available in nmc yet"),
            "unsupported call",
        );
        Expr::Const(0.0)
    }
}

impl Context<'_> {
    /// `random_*(r, ...)` on RANDOM stream `r`: the engine's builtin with
    /// the stream's index as first argument. None when `n` is no such
    /// function or its first argument is no RANDOM stream (then the call
    /// is lowered as any other).
    fn random_call(
        &mut self,
        b: &mut Body,
        n: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<Expr> {
        let kind = match n {
            "random_uniform" => Builtin::RandomUniform,
            "random_negexp" => Builtin::RandomNegexp,
            "random_normal" => Builtin::RandomNormal,
            "random_ipick" => Builtin::RandomIpick,
            "random_dpick" => Builtin::RandomDpick,
            "random_setseq" => Builtin::RandomSetseq,
            "random_setids" => Builtin::RandomSetids,
            _ => return None,
        };
        let (first, rest) = args.split_first()?;
        let ast::ExprKind::Name(id) = &first.kind else {
            return None;
        };
        let index = self.mech.randoms.iter().position(|r| *r == id.name)?;
        let allowed: &[usize] = match kind {
            Builtin::RandomUniform | Builtin::RandomNormal => &[0, 2],
            Builtin::RandomNegexp => &[0, 1],
            Builtin::RandomSetseq => &[1],
            Builtin::RandomSetids => &[3],
            _ => &[0],
        };
        if !allowed.contains(&rest.len()) {
            let want: Vec<String> = allowed.iter().map(|k| (k + 1).to_string()).collect();
            self.error(
                E_UNSUPPORTED,
                span,
                format!(
                    "`{n}` takes {} arguments (the RANDOM stream first), not {}",
                    want.join(" or "),
                    args.len()
                ),
                "wrong number of arguments",
            );
            return Some(Expr::Const(0.0));
        }
        let mut a = vec![Expr::Const(index as f64)];
        a.extend(rest.iter().map(|x| self.expr(b, x)));
        Some(Expr::Builtin(kind, a))
    }
}

/// A WATCH condition as the value NEURON watches (positive when the
/// condition holds): `a - b` for `a > b` and `a >= b`, `-(a - b)` for
/// `a < b` and `a <= b` (nocmodl's translation); any other expression
/// `c` as `c - 0.5`.
fn watch_value(c: Expr) -> Expr {
    match c {
        Expr::Binary(op @ (BinOp::Gt | BinOp::Ge | BinOp::Lt | BinOp::Le), a, b) => {
            let d = Expr::Binary(BinOp::Sub, a, b);
            if matches!(op, BinOp::Lt | BinOp::Le) {
                Expr::Unary(UnOp::Neg, Box::new(d))
            } else {
                d
            }
        }
        other => sub(other, Expr::Const(0.5)),
    }
}

fn add(a: Expr, b: Expr) -> Expr {
    Expr::Binary(BinOp::Add, Box::new(a), Box::new(b))
}

fn sub(a: Expr, b: Expr) -> Expr {
    Expr::Binary(BinOp::Sub, Box::new(a), Box::new(b))
}

/// The libm function of that name.
fn math_fn(name: &str) -> Option<MathFn> {
    Some(match name {
        "exp" => MathFn::Exp,
        "log" => MathFn::Log,
        "log10" => MathFn::Log10,
        "sqrt" => MathFn::Sqrt,
        "fabs" => MathFn::Fabs,
        "pow" => MathFn::Pow,
        "sin" => MathFn::Sin,
        "cos" => MathFn::Cos,
        "tan" => MathFn::Tan,
        "tanh" => MathFn::Tanh,
        "sinh" => MathFn::Sinh,
        "cosh" => MathFn::Cosh,
        "asin" => MathFn::Asin,
        "acos" => MathFn::Acos,
        "atan" => MathFn::Atan,
        "atan2" => MathFn::Atan2,
        "floor" => MathFn::Floor,
        "ceil" => MathFn::Ceil,
        "fmod" => MathFn::Fmod,
        "fmin" => MathFn::Fmin,
        "fmax" => MathFn::Fmax,
        _ => return None,
    })
}

fn bin_op(op: ast::BinaryOp) -> BinOp {
    use ast::BinaryOp as A;
    match op {
        A::Add => BinOp::Add,
        A::Sub => BinOp::Sub,
        A::Mul => BinOp::Mul,
        A::Div => BinOp::Div,
        A::Pow => BinOp::Pow,
        A::Lt => BinOp::Lt,
        A::Le => BinOp::Le,
        A::Gt => BinOp::Gt,
        A::Ge => BinOp::Ge,
        A::Eq => BinOp::Eq,
        A::Ne => BinOp::Ne,
        A::And => BinOp::And,
        A::Or => BinOp::Or,
    }
}

/// Folds an expression of constants to a number.
pub fn fold(e: &Expr) -> Option<f64> {
    match e {
        Expr::Const(c) => Some(*c),
        Expr::Unary(UnOp::Neg, x) => Some(-fold(x)?),
        Expr::Binary(op, l, r) => {
            let (l, r) = (fold(l)?, fold(r)?);
            match op {
                BinOp::Add => Some(l + r),
                BinOp::Sub => Some(l - r),
                BinOp::Mul => Some(l * r),
                BinOp::Div => Some(l / r),
                BinOp::Pow => Some(l.powf(r)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// C escapes in a printf format (`\n`, `\t`, `\"`, `\\`).
fn unescape(s: &str) -> String {
    let s = s.strip_prefix('"').unwrap_or(s);
    let s = s.strip_suffix('"').unwrap_or(s);
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some(o) => {
                    out.push('\\');
                    out.push(o);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `f_flux = kf * A^a * ...`, `b_flux = kb * C^c * ...` after a reaction,
/// as nocmodl defines them (0 for a missing direction).
fn flux_assignments(r: &Reaction, f: LocalId, bk: LocalId) -> Vec<Stmt> {
    let product = |rate: Expr, terms: &[(u32, Place)]| {
        terms.iter().fold(rate, |acc, (n, p)| {
            let x = Expr::Load(p.clone());
            let x = if *n == 1 {
                x
            } else {
                Expr::Binary(
                    BinOp::Pow,
                    Box::new(x),
                    Box::new(Expr::Const(f64::from(*n))),
                )
            };
            Expr::Binary(BinOp::Mul, Box::new(acc), Box::new(x))
        })
    };
    let forward = if r.flux {
        r.forward.clone()
    } else {
        product(r.forward.clone(), &r.lhs)
    };
    let backward = match &r.backward {
        Some(kb) => product(kb.clone(), &r.rhs),
        None => Expr::Const(0.0),
    };
    vec![
        Stmt::Assign(Place::Local(f), forward),
        Stmt::Assign(Place::Local(bk), backward),
    ]
}

/// True when `name` is read anywhere in the statements.
fn mentions(stmts: &[ast::Stmt], name: &str) -> bool {
    stmts.iter().any(|s| stmt_mentions(s, name))
}

fn stmt_mentions(s: &ast::Stmt, name: &str) -> bool {
    let e = |x: &ast::Expr| expr_mentions(x, name);
    let blk = |b: &ast::Block| mentions(&b.stmts, name);
    match &s.kind {
        StmtKind::Assign { value, .. } | StmtKind::Derivative { value, .. } => e(value),
        StmtKind::Expr(x) => e(x),
        StmtKind::If {
            cond,
            then,
            else_ifs,
            otherwise,
        } => {
            e(cond)
                || blk(then)
                || else_ifs.iter().any(|(c, b)| e(c) || blk(b))
                || otherwise.as_ref().is_some_and(blk)
        }
        StmtKind::While { cond, body } => e(cond) || blk(body),
        StmtKind::FromTo { body, .. } | StmtKind::Initial(body) | StmtKind::Block(body) => {
            blk(body)
        }
        StmtKind::Equation { lhs, rhs } | StmtKind::Conserve { lhs, rhs } => e(lhs) || e(rhs),
        _ => false,
    }
}

fn expr_mentions(x: &ast::Expr, name: &str) -> bool {
    match &x.kind {
        ExprKind::Name(id) => id.name == name,
        ExprKind::Index { index, .. } => expr_mentions(index, name),
        ExprKind::Call { args, .. } => args.iter().any(|a| expr_mentions(a, name)),
        ExprKind::Unary { operand, .. } => expr_mentions(operand, name),
        ExprKind::Binary { lhs, rhs, .. } => expr_mentions(lhs, name) || expr_mentions(rhs, name),
        ExprKind::WithUnit { expr, .. } => expr_mentions(expr, name),
        _ => false,
    }
}

/// True when the statements contain equations (`x' =`, reactions,
/// CONSERVE, `~ a = b`), directly or nested.
fn has_equations(stmts: &[ast::Stmt]) -> bool {
    stmts.iter().any(|s| match &s.kind {
        StmtKind::Derivative { .. }
        | StmtKind::Reaction(_)
        | StmtKind::Conserve { .. }
        | StmtKind::Equation { .. } => true,
        StmtKind::If {
            then,
            else_ifs,
            otherwise,
            ..
        } => {
            has_equations(&then.stmts)
                || else_ifs.iter().any(|(_, b)| has_equations(&b.stmts))
                || otherwise.as_ref().is_some_and(|b| has_equations(&b.stmts))
        }
        StmtKind::While { body, .. } | StmtKind::FromTo { body, .. } | StmtKind::Block(body) => {
            has_equations(&body.stmts)
        }
        _ => false,
    })
}

#[cfg(test)]
mod method_table_tests {
    use super::solve_method;
    use crate::front::nmodl::sema::builtins::METHODS;

    /// The front end's table of methods and the lowering agree: a method
    /// the table calls supported for a block kind lowers, any other does not.
    #[test]
    fn lowering_implements_exactly_the_supported_methods() {
        for m in METHODS {
            for &kind in m.blocks {
                let lowered = solve_method(Some(kind), Some(m.name), None).is_some();
                assert_eq!(lowered, m.supports(Some(kind)), "{} for {kind:?}", m.name);
            }
        }
    }
}
