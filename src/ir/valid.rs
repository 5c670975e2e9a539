//! The IR validator: checks the invariants every back end relies on and
//! reports violations as `E0699` internal compiler errors (a bug in nmc,
//! never in the user's file). Run after lowering and after every pass.

use super::{Expr, Kernel, KernelKind, Mechanism, Place, Stmt};
use crate::diag::Diagnostic;

/// Code of every validator finding.
pub const E_ICE: &str = "E0699";

/// What the validator requires of the mechanism.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// True after the solve pass: no `Solve`, `Ode`, `Reaction`,
    /// `Conserve`, `Equation` or `Table` statement may remain.
    pub solved: bool,
}

/// Checks `m`; an empty list means valid.
pub fn validate(m: &Mechanism, opts: Options) -> Vec<Diagnostic> {
    let mut v = Validator {
        m,
        opts,
        found: Vec::new(),
    };
    for (i, f) in m.functions.iter().enumerate() {
        let scope = Scope {
            what: format!("function `{}`", f.name),
            locals: f.locals.len(),
            net_receive: false,
        };
        if f.params > f.locals.len() || f.result.index() >= f.locals.len().max(1) && f.returns_value
        {
            v.report(
                &scope,
                format!("parameters/result outside the locals of function {i}"),
            );
        }
        v.stmts(&scope, &f.body);
    }
    for k in &m.kernels {
        v.kernel(k);
    }
    for (i, w) in m.watches.iter().enumerate() {
        let scope = Scope {
            what: format!("watch {i}"),
            locals: 0,
            net_receive: false,
        };
        v.expr(&scope, w);
    }
    v.found
        .into_iter()
        .map(|msg| {
            Diagnostic::error(E_ICE, format!("internal compiler error: {msg}")).with_note(format!(
                "mechanism `{}`; this is a bug in nmc, please report it",
                m.name
            ))
        })
        .collect()
}

struct Scope {
    what: String,
    locals: usize,
    net_receive: bool,
}

struct Validator<'a> {
    m: &'a Mechanism,
    opts: Options,
    found: Vec<String>,
}

impl Validator<'_> {
    fn report(&mut self, scope: &Scope, msg: String) {
        self.found.push(format!("{} in {}", msg, scope.what));
    }

    fn kernel(&mut self, k: &Kernel) {
        let scope = Scope {
            what: format!("kernel {}", super::print::kernel_name(k.kind)),
            locals: k.locals.len(),
            net_receive: matches!(k.kind, KernelKind::NetReceive | KernelKind::NetReceiveInit),
        };
        self.stmts(&scope, &k.body);
    }

    fn stmts(&mut self, scope: &Scope, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(scope, s);
        }
    }

    fn unsolved(&mut self, scope: &Scope, what: &str) {
        if self.opts.solved {
            self.report(
                scope,
                format!("`{what}` statement left after the solve pass"),
            );
        }
    }

    fn stmt(&mut self, scope: &Scope, s: &Stmt) {
        match s {
            Stmt::Assign(p, e) | Stmt::Accumulate(p, e) => {
                self.place(scope, p);
                self.expr(scope, e);
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(scope, cond);
                self.stmts(scope, then);
                self.stmts(scope, otherwise);
            }
            Stmt::While { cond, body } => {
                self.expr(scope, cond);
                self.stmts(scope, body);
            }
            Stmt::Eval(e) | Stmt::NetEvent(e) | Stmt::NetMove(e) => self.expr(scope, e),
            Stmt::Return => {}
            Stmt::NetSend { delay, flag } => {
                self.expr(scope, delay);
                self.expr(scope, flag);
            }
            Stmt::Print { args, .. } => {
                for a in args {
                    self.expr(scope, a);
                }
            }
            Stmt::WatchOn { id, flag } => {
                if *id >= self.m.watches.len() {
                    self.report(scope, format!("watch {id} does not exist"));
                }
                self.expr(scope, flag);
            }
            Stmt::Equation { lhs, rhs, .. } => {
                self.unsolved(scope, "equation");
                self.expr(scope, lhs);
                self.expr(scope, rhs);
            }
            Stmt::Solve { body, .. } => {
                self.unsolved(scope, "solve");
                self.stmts(scope, body);
            }
            Stmt::Table {
                outputs,
                depend,
                from,
                to,
                ..
            } => {
                self.unsolved(scope, "table");
                for p in outputs.iter().chain(depend) {
                    self.place(scope, p);
                }
                self.expr(scope, from);
                self.expr(scope, to);
            }
            Stmt::Ode { state, rhs, .. } => {
                self.unsolved(scope, "ode");
                self.place(scope, state);
                self.expr(scope, rhs);
            }
            Stmt::Reaction(r) => {
                self.unsolved(scope, "reaction");
                for (_, p) in r.lhs.iter().chain(&r.rhs) {
                    self.place(scope, p);
                }
                self.expr(scope, &r.forward);
                if let Some(b) = &r.backward {
                    self.expr(scope, b);
                }
                for (p, e) in &r.volumes {
                    self.place(scope, p);
                    self.expr(scope, e);
                }
            }
            Stmt::Conserve { terms, total, .. } => {
                self.unsolved(scope, "conserve");
                for (_, p) in terms {
                    self.place(scope, p);
                }
                self.expr(scope, total);
            }
        }
    }

    fn place(&mut self, scope: &Scope, p: &Place) {
        match p {
            Place::Field(f, idx) => match self.m.field(*f) {
                None => self.report(scope, format!("field {f} out of range")),
                Some(field) => match idx {
                    // An index on a one-element field is an array declared
                    // `x[1]`; the front end rejects indexes on scalars.
                    Some(i) => self.expr(scope, i),
                    None if field.len > 1 => {
                        self.report(scope, format!("array field `{}` without index", field.name))
                    }
                    None => {}
                },
            },
            Place::Global(g) if g.index() >= self.m.globals.len() => {
                self.report(scope, format!("global {g} out of range"))
            }
            Place::Local(l) if l.index() >= scope.locals => {
                self.report(scope, format!("local {l} out of range"))
            }
            Place::GlobalArray(a, i) => {
                if *a >= self.m.global_arrays.len() {
                    self.report(scope, format!("global array {a} out of range"));
                }
                self.expr(scope, i);
            }
            Place::Ion(i, _) if i.index() >= self.m.ions.len() => {
                self.report(scope, format!("ion {i} out of range"))
            }
            Place::NetArg(k) => {
                if !scope.net_receive {
                    self.report(scope, "NET_RECEIVE argument outside NET_RECEIVE".into());
                } else if *k >= self.m.net_receive_args.len() {
                    self.report(scope, format!("NET_RECEIVE argument {k} out of range"));
                }
            }
            Place::Shared(super::SharedVar::Flag) if !scope.net_receive => {
                self.report(scope, "`flag` outside NET_RECEIVE".into())
            }
            _ => {}
        }
    }

    fn expr(&mut self, scope: &Scope, e: &Expr) {
        match e {
            Expr::Const(_) => {}
            Expr::Load(p) => self.place(scope, p),
            Expr::Unary(_, x) => self.expr(scope, x),
            Expr::Binary(_, a, b) => {
                self.expr(scope, a);
                self.expr(scope, b);
            }
            Expr::Math(_, args) | Expr::Builtin(_, args) => {
                for a in args {
                    self.expr(scope, a);
                }
            }
            Expr::Call(f, args) => {
                match self.m.functions.get(f.index()) {
                    None => self.report(scope, format!("function {f} out of range")),
                    Some(func) if func.params != args.len() => self.report(
                        scope,
                        format!(
                            "`{}` called with {} arguments, takes {}",
                            func.name,
                            args.len(),
                            func.params
                        ),
                    ),
                    Some(_) => {}
                }
                for a in args {
                    self.expr(scope, a);
                }
            }
            Expr::FunctionTable(t, args) => {
                if *t >= self.m.function_tables.len() {
                    self.report(scope, format!("function table {t} out of range"));
                }
                for a in args {
                    self.expr(scope, a);
                }
            }
        }
    }
}
