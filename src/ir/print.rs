//! The IR as text for people (`nmc compile --emit ir`): deterministic,
//! one statement per line, expressions with the fewest parentheses their
//! precedence needs.

use super::{
    BinOp, Builtin, Expr, FieldKind, Kernel, KernelKind, MathFn, MechKind, Mechanism, NodeArray,
    Phase, Place, SharedVar, SolveMethod, Stmt, UnOp,
};
use std::fmt::Write;

/// Prints a whole mechanism.
pub fn print(m: &Mechanism) -> String {
    let mut out = String::new();
    let kind = match m.kind {
        MechKind::Density => "density",
        MechKind::PointProcess => "point process",
        MechKind::ArtificialCell => "artificial cell",
    };
    let _ = writeln!(out, "mechanism {} ({kind})", m.name);
    for ion in &m.ions {
        let mut parts = Vec::new();
        if !ion.read.is_empty() {
            parts.push(format!("read {}", ion.read.join(", ")));
        }
        if !ion.write.is_empty() {
            parts.push(format!("write {}", ion.write.join(", ")));
        }
        if let Some(v) = ion.valence {
            parts.push(format!("valence {}", num(v)));
        }
        let _ = writeln!(out, "  ion {}: {}", ion.name, parts.join(", "));
    }
    for f in &m.fields {
        let kind = match &f.kind {
            FieldKind::Parameter => "parameter".to_string(),
            FieldKind::Assigned => "assigned".to_string(),
            FieldKind::State => "state".to_string(),
            FieldKind::Voltage => "voltage".to_string(),
            FieldKind::Ion { ion } => {
                format!(
                    "ion {}",
                    m.ions.get(ion.index()).map_or("?", |i| i.name.as_str())
                )
            }
            FieldKind::Pointer => "pointer".to_string(),
        };
        let mut line = format!("  field {}", f.name);
        if f.len > 1 {
            let _ = write!(line, "[{}]", f.len);
        }
        let _ = write!(line, ": {kind}");
        if f.default != 0.0 {
            let _ = write!(line, " = {}", num(f.default));
        }
        if let Some(u) = &f.unit {
            let _ = write!(line, " ({u})");
        }
        if f.range {
            line.push_str(" range");
        }
        let _ = writeln!(out, "{line}");
    }
    for g in &m.globals {
        let mut line = format!("  global {} = {}", g.name, num(g.default));
        if let Some(u) = &g.unit {
            let _ = write!(line, " ({u})");
        }
        if !g.settable {
            line.push_str(" const");
        }
        let _ = writeln!(out, "{line}");
    }
    for a in &m.global_arrays {
        let _ = writeln!(out, "  array {}[{}]", a.name, a.len);
    }
    if !m.net_receive_args.is_empty() {
        let _ = writeln!(out, "  net_receive args: {}", m.net_receive_args.join(", "));
    }
    for (i, t) in m.function_tables.iter().enumerate() {
        let _ = writeln!(out, "  function_table {i}: {t}");
    }
    for (i, r) in m.randoms.iter().enumerate() {
        let _ = writeln!(out, "  random {i}: {r}");
    }
    for (i, w) in m.watches.iter().enumerate() {
        let p = Printer { m, locals: &[] };
        let _ = writeln!(out, "  watch {i}: {}", p.expr(w));
    }
    for f in &m.functions {
        let p = Printer {
            m,
            locals: &f.locals,
        };
        let params: Vec<&str> = f.locals.iter().take(f.params).map(String::as_str).collect();
        let what = if f.returns_value {
            "function"
        } else {
            "procedure"
        };
        let _ = writeln!(out, "{what} {}({}):", f.name, params.join(", "));
        let extra: Vec<&str> = f.locals.iter().skip(f.params).map(String::as_str).collect();
        if !extra.is_empty() {
            let _ = writeln!(out, "  locals {}", extra.join(", "));
        }
        if f.returns_value {
            let _ = writeln!(
                out,
                "  returns {}",
                f.locals.get(f.result.index()).map_or("?", String::as_str)
            );
        }
        p.stmts(&mut out, &f.body, 1);
    }
    for k in &m.kernels {
        print_kernel(&mut out, m, k);
    }
    out
}

fn print_kernel(out: &mut String, m: &Mechanism, k: &Kernel) {
    let _ = writeln!(out, "kernel {}:", kernel_name(k.kind));
    if !k.locals.is_empty() {
        let _ = writeln!(out, "  locals {}", k.locals.join(", "));
    }
    let p = Printer {
        m,
        locals: &k.locals,
    };
    p.stmts(out, &k.body, 1);
}

/// The printed name of a kernel kind (`init`, `before_breakpoint`, ...).
pub fn kernel_name(kind: KernelKind) -> String {
    let phase = |p: Phase| match p {
        Phase::Breakpoint => "breakpoint",
        Phase::Solve => "solve",
        Phase::Initial => "initial",
        Phase::Step => "step",
    };
    match kind {
        KernelKind::Init => "init".into(),
        KernelKind::Current => "current".into(),
        KernelKind::State => "state".into(),
        KernelKind::NetReceive => "net_receive".into(),
        KernelKind::NetReceiveInit => "net_receive_init".into(),
        KernelKind::Before(p) => format!("before_{}", phase(p)),
        KernelKind::After(p) => format!("after_{}", phase(p)),
    }
}

/// Shortest text that reads back as the same f64 (`0.1`, `100`, `1e-9`).
pub fn num(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format!("{x:?}");
    match s.strip_suffix(".0") {
        Some(t) => t.to_string(),
        None => s,
    }
}

/// The printed name of a solve method.
pub fn method_name(m: SolveMethod) -> &'static str {
    match m {
        SolveMethod::Cnexp => "cnexp",
        SolveMethod::Derivimplicit => "derivimplicit",
        SolveMethod::Euler => "euler",
        SolveMethod::Runge => "runge",
        SolveMethod::Sparse => "sparse",
        SolveMethod::SteadyStateSparse => "steadystate sparse",
        SolveMethod::SteadyStateDerivimplicit => "steadystate derivimplicit",
        SolveMethod::Linear => "linear",
        SolveMethod::NonLinear => "nonlinear",
        SolveMethod::Procedure => "procedure",
    }
}

/// The printed name of a math function.
pub fn math_name(f: MathFn) -> &'static str {
    match f {
        MathFn::Exp => "exp",
        MathFn::Log => "log",
        MathFn::Log10 => "log10",
        MathFn::Sqrt => "sqrt",
        MathFn::Fabs => "fabs",
        MathFn::Pow => "pow",
        MathFn::Sin => "sin",
        MathFn::Cos => "cos",
        MathFn::Tan => "tan",
        MathFn::Tanh => "tanh",
        MathFn::Sinh => "sinh",
        MathFn::Cosh => "cosh",
        MathFn::Asin => "asin",
        MathFn::Acos => "acos",
        MathFn::Atan => "atan",
        MathFn::Atan2 => "atan2",
        MathFn::Floor => "floor",
        MathFn::Ceil => "ceil",
        MathFn::Fmod => "fmod",
        MathFn::Fmin => "fmin",
        MathFn::Fmax => "fmax",
    }
}

fn builtin_name(b: Builtin) -> &'static str {
    match b {
        Builtin::NormRand => "normrand",
        Builtin::ExpRand => "exprand",
        Builtin::UniRand => "unirand",
        Builtin::ScopRandom => "scop_random",
        Builtin::SetSeed => "set_seed",
        Builtin::RandomUniform => "random_uniform",
        Builtin::RandomNegexp => "random_negexp",
        Builtin::RandomNormal => "random_normal",
        Builtin::RandomIpick => "random_ipick",
        Builtin::RandomDpick => "random_dpick",
        Builtin::RandomSetseq => "random_setseq",
        Builtin::RandomSetids => "random_setids",
    }
}

fn op_info(op: BinOp) -> (&'static str, u8) {
    match op {
        BinOp::Or => ("||", 1),
        BinOp::And => ("&&", 2),
        BinOp::Eq => ("==", 3),
        BinOp::Ne => ("!=", 3),
        BinOp::Lt => ("<", 4),
        BinOp::Le => ("<=", 4),
        BinOp::Gt => (">", 4),
        BinOp::Ge => (">=", 4),
        BinOp::Add => ("+", 5),
        BinOp::Sub => ("-", 5),
        BinOp::Mul => ("*", 6),
        BinOp::Div => ("/", 6),
        BinOp::Pow => ("^", 8),
    }
}

const PREC_UNARY: u8 = 7;
const PREC_ATOM: u8 = 9;

struct Printer<'a> {
    m: &'a Mechanism,
    locals: &'a [String],
}

impl Printer<'_> {
    fn stmts(&self, out: &mut String, stmts: &[Stmt], depth: usize) {
        for s in stmts {
            self.stmt(out, s, depth);
        }
    }

    fn line(&self, out: &mut String, depth: usize, text: &str) {
        for _ in 0..depth {
            out.push_str("  ");
        }
        out.push_str(text);
        out.push('\n');
    }

    fn stmt(&self, out: &mut String, s: &Stmt, d: usize) {
        match s {
            Stmt::Assign(p, e) => {
                self.line(out, d, &format!("{} = {}", self.place(p), self.expr(e)))
            }
            Stmt::Accumulate(p, e) => {
                self.line(out, d, &format!("{} += {}", self.place(p), self.expr(e)))
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                self.line(out, d, &format!("if {} {{", self.expr(cond)));
                self.stmts(out, then, d + 1);
                if !otherwise.is_empty() {
                    self.line(out, d, "} else {");
                    self.stmts(out, otherwise, d + 1);
                }
                self.line(out, d, "}");
            }
            Stmt::While { cond, body } => {
                self.line(out, d, &format!("while {} {{", self.expr(cond)));
                self.stmts(out, body, d + 1);
                self.line(out, d, "}");
            }
            Stmt::Eval(e) => self.line(out, d, &self.expr(e)),
            Stmt::Return => self.line(out, d, "return"),
            Stmt::NetSend { delay, flag } => self.line(
                out,
                d,
                &format!("net_send({}, {})", self.expr(delay), self.expr(flag)),
            ),
            Stmt::NetEvent(e) => self.line(out, d, &format!("net_event({})", self.expr(e))),
            Stmt::NetMove(e) => self.line(out, d, &format!("net_move({})", self.expr(e))),
            Stmt::Print { format, args } => {
                let mut t = format!("printf({format:?}");
                for a in args {
                    let _ = write!(t, ", {}", self.expr(a));
                }
                t.push(')');
                self.line(out, d, &t);
            }
            Stmt::WatchOn { id, flag } => {
                self.line(out, d, &format!("watch {id} on, flag {}", self.expr(flag)))
            }
            Stmt::Equation { lhs, rhs, .. } => self.line(
                out,
                d,
                &format!("~ {} = {}", self.expr(lhs), self.expr(rhs)),
            ),
            Stmt::Solve { method, body, .. } => {
                self.line(out, d, &format!("solve {} {{", method_name(*method)));
                self.stmts(out, body, d + 1);
                self.line(out, d, "}");
            }
            Stmt::Table {
                outputs,
                depend,
                from,
                to,
                with,
                ..
            } => {
                let outs: Vec<String> = outputs.iter().map(|p| self.place(p)).collect();
                let deps: Vec<String> = depend.iter().map(|p| self.place(p)).collect();
                let mut t = String::from("table");
                if !outs.is_empty() {
                    let _ = write!(t, " {}", outs.join(", "));
                }
                if !deps.is_empty() {
                    let _ = write!(t, " depend {}", deps.join(", "));
                }
                let _ = write!(
                    t,
                    " from {} to {} with {with}",
                    self.expr(from),
                    self.expr(to)
                );
                self.line(out, d, &t);
            }
            Stmt::Ode { state, rhs, .. } => self.line(
                out,
                d,
                &format!("{}' = {}", self.place(state), self.expr(rhs)),
            ),
            Stmt::Reaction(r) => {
                let side = |terms: &[(u32, Place)]| -> String {
                    let v: Vec<String> = terms
                        .iter()
                        .map(|(c, p)| {
                            if *c == 1 {
                                self.place(p)
                            } else {
                                format!("{c} {}", self.place(p))
                            }
                        })
                        .collect();
                    v.join(" + ")
                };
                let t = if r.flux {
                    format!("~ {} << ({})", side(&r.lhs), self.expr(&r.forward))
                } else if let Some(b) = &r.backward {
                    format!(
                        "~ {} <-> {} ({}, {})",
                        side(&r.lhs),
                        side(&r.rhs),
                        self.expr(&r.forward),
                        self.expr(b)
                    )
                } else {
                    format!(
                        "~ {} -> {} ({})",
                        side(&r.lhs),
                        side(&r.rhs),
                        self.expr(&r.forward)
                    )
                };
                self.line(out, d, &t);
                for (p, v) in &r.volumes {
                    self.line(
                        out,
                        d + 1,
                        &format!("volume {} = {}", self.place(p), self.expr(v)),
                    );
                }
            }
            Stmt::Conserve { terms, total, .. } => {
                let v: Vec<String> = terms
                    .iter()
                    .map(|(c, p)| {
                        if *c == 1.0 {
                            self.place(p)
                        } else {
                            format!("{}*{}", num(*c), self.place(p))
                        }
                    })
                    .collect();
                self.line(
                    out,
                    d,
                    &format!("conserve {} = {}", v.join(" + "), self.expr(total)),
                );
            }
        }
    }

    fn place(&self, p: &Place) -> String {
        match p {
            Place::Field(f, idx) => {
                let name = self.m.field(*f).map_or("?field", |x| x.name.as_str());
                match idx {
                    Some(i) => format!("{name}[{}]", self.expr(i)),
                    None => name.to_string(),
                }
            }
            Place::Global(g) => self
                .m
                .globals
                .get(g.index())
                .map_or("?global".into(), |x| x.name.clone()),
            Place::Local(l) => self
                .locals
                .get(l.index())
                .cloned()
                .unwrap_or_else(|| format!("?local{l}")),
            Place::Node(n) => match n {
                NodeArray::V => "node.v",
                NodeArray::Rhs => "node.rhs",
                NodeArray::Diag => "node.diag",
                NodeArray::Area => "node.area",
                NodeArray::Diam => "node.diam",
            }
            .to_string(),
            Place::GlobalArray(a, i) => format!(
                "{}[{}]",
                self.m
                    .global_arrays
                    .get(*a)
                    .map_or("?array", |x| x.name.as_str()),
                self.expr(i)
            ),
            Place::Ion(i, var) => format!(
                "ion.{}.{var}",
                self.m.ions.get(i.index()).map_or("?", |x| x.name.as_str())
            ),
            Place::Shared(s) => match s {
                SharedVar::T => "t",
                SharedVar::Dt => "dt",
                SharedVar::Celsius => "celsius",
                SharedVar::Flag => "flag",
            }
            .to_string(),
            Place::NetArg(k) => format!(
                "arg.{}",
                self.m.net_receive_args.get(*k).map_or("?", String::as_str)
            ),
        }
    }

    fn expr(&self, e: &Expr) -> String {
        self.expr_prec(e, 0)
    }

    /// Prints `e`, parenthesized when its precedence is below `min`.
    fn expr_prec(&self, e: &Expr, min: u8) -> String {
        let (text, prec) = match e {
            Expr::Const(c) => (num(*c), if *c < 0.0 { PREC_UNARY } else { PREC_ATOM }),
            Expr::Load(p) => (self.place(p), PREC_ATOM),
            Expr::Unary(op, x) => {
                let sym = match op {
                    UnOp::Neg => "-",
                    UnOp::Not => "!",
                };
                // Operands of a unary operator print above `^` so that
                // `-(a^b)` and `(-a)^b` are never confused.
                (format!("{sym}{}", self.expr_prec(x, PREC_ATOM)), PREC_UNARY)
            }
            Expr::Binary(op, l, r) => {
                let (sym, p) = op_info(*op);
                let (lp, rp) = if *op == BinOp::Pow {
                    (PREC_ATOM, p)
                } else {
                    (p, p + 1)
                };
                (
                    format!("{} {sym} {}", self.expr_prec(l, lp), self.expr_prec(r, rp)),
                    p,
                )
            }
            Expr::Math(f, args) => (self.call(math_name(*f), args), PREC_ATOM),
            Expr::Call(f, args) => (
                self.call(
                    self.m
                        .functions
                        .get(f.index())
                        .map_or("?function", |x| x.name.as_str()),
                    args,
                ),
                PREC_ATOM,
            ),
            Expr::Builtin(b, args) => (self.call(builtin_name(*b), args), PREC_ATOM),
            Expr::FunctionTable(t, args) => (
                self.call(
                    self.m
                        .function_tables
                        .get(*t)
                        .map_or("?table", String::as_str),
                    args,
                ),
                PREC_ATOM,
            ),
        };
        if prec < min {
            format!("({text})")
        } else {
            text
        }
    }

    fn call(&self, name: &str, args: &[Expr]) -> String {
        let a: Vec<String> = args.iter().map(|x| self.expr(x)).collect();
        format!("{name}({})", a.join(", "))
    }
}
