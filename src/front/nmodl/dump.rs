//! A readable, stable text dump of the AST (`nmc compile --emit ast`, snapshots).
//!
//! One node per line, children indented by two spaces, each line ending in
//! `@line:col` of the node's start (`@file.inc:line:col` for nodes from an
//! INCLUDEd file). Expressions are printed as trees too, so every span shows.

use super::ast::*;
use crate::diag::{SourceMap, Span};
use std::fmt::Write as _;

/// Prints the module as an indented tree with line:col positions.
pub fn dump(module: &Module, map: &SourceMap) -> String {
    let mut d = Dumper {
        map,
        main: module.span.file,
        out: String::new(),
    };
    for item in &module.items {
        d.item(item);
    }
    d.out
}

struct Dumper<'a> {
    map: &'a SourceMap,
    main: usize,
    out: String,
}

fn idents(v: &[Ident]) -> String {
    let names: Vec<&str> = v.iter().map(|i| i.name.as_str()).collect();
    format!("[{}]", names.join(", "))
}

fn unit(u: &Option<UnitText>) -> String {
    match u {
        Some(u) => format!(" ({})", u.text),
        None => String::new(),
    }
}

fn array(a: &Option<ArrayLen>) -> String {
    match a {
        Some(ArrayLen::Number(n)) => format!("[{}]", n.text),
        Some(ArrayLen::Name(n)) => format!("[{}]", n.name),
        None => String::new(),
    }
}

/// A string with newlines and quotes escaped, on one line.
fn quoted(s: &str) -> String {
    format!("{s:?}")
}

impl Dumper<'_> {
    fn pos(&self, span: Span) -> String {
        let lc = self.map.line_col(span.file, span.start as usize);
        if span.file == self.main {
            format!("@{}:{}", lc.line, lc.column)
        } else {
            let name = self.map.name(span.file);
            let base = std::path::Path::new(name)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| name.to_string());
            format!("@{base}:{}:{}", lc.line, lc.column)
        }
    }

    fn line(&mut self, depth: usize, text: &str, span: Span) {
        let pos = self.pos(span);
        let _ = writeln!(self.out, "{:width$}{text} {pos}", "", width = depth * 2);
    }

    fn item(&mut self, item: &Item) {
        let s = item.span;
        match &item.kind {
            ItemKind::Title(t) => self.line(0, &format!("Item Title {}", quoted(t)), s),
            ItemKind::Define { name, value } => {
                self.line(0, &format!("Item Define {} = {}", name.name, value.text), s)
            }
            ItemKind::Include { path, resolved } => self.line(
                0,
                &format!(
                    "Item Include {}{}",
                    quoted(path),
                    if *resolved { "" } else { " (unresolved)" }
                ),
                s,
            ),
            ItemKind::Neuron(stmts) => {
                self.line(0, "Item Neuron", s);
                for st in stmts {
                    self.neuron_stmt(st);
                }
            }
            ItemKind::Units(defs) => {
                self.line(0, "Item Units", s);
                for d in defs {
                    let text = match &d.kind {
                        UnitDefKind::Alias { name, unit } => {
                            format!("UnitAlias ({}) = ({})", name.text, unit.text)
                        }
                        UnitDefKind::Constant {
                            name,
                            factor,
                            value,
                            unit: u,
                        } => {
                            let mut t = format!("UnitConst {} =", name.name);
                            if let Some(f) = factor {
                                let _ = write!(t, " factor ({})", f.text);
                            }
                            if let Some(v) = value {
                                let _ = write!(t, " {}", v.text);
                            }
                            t.push_str(&unit(u));
                            t
                        }
                    };
                    self.line(1, &text, d.span);
                }
            }
            ItemKind::Declare { kind, decls } => {
                self.line(0, &format!("Item Declare {kind:?}"), s);
                for d in decls {
                    self.var_decl(d);
                }
            }
            ItemKind::Initial(b) => {
                self.line(0, "Item Initial", s);
                self.block_body(1, b);
            }
            ItemKind::Breakpoint(b) => {
                self.line(0, "Item Breakpoint", s);
                self.block_body(1, b);
            }
            ItemKind::Solvable {
                kind,
                name,
                solvefor,
                body,
            } => {
                let mut head = format!("Item {kind:?} {}", name.name);
                if !solvefor.is_empty() {
                    let names: Vec<&str> = solvefor.iter().map(|i| i.name.as_str()).collect();
                    head.push_str(&format!(" SOLVEFOR {}", names.join(", ")));
                }
                self.line(0, &head, s);
                self.block_body(1, body);
            }
            ItemKind::Procedure(f) => self.func("Procedure", f, s),
            ItemKind::Function(f) => self.func("Function", f, s),
            ItemKind::FunctionTable {
                name,
                params,
                unit: u,
            } => {
                self.line(
                    0,
                    &format!(
                        "Item FunctionTable {}({}){}",
                        name.name,
                        params_text(params),
                        unit(u)
                    ),
                    s,
                );
            }
            ItemKind::NetReceive { params, body } => {
                self.line(0, &format!("Item NetReceive ({})", params_text(params)), s);
                self.block_body(1, body);
            }
            ItemKind::Before { when, body } => {
                self.line(0, &format!("Item Before {}", when.name), s);
                self.block_body(1, body);
            }
            ItemKind::After { when, body } => {
                self.line(0, &format!("Item After {}", when.name), s);
                self.block_body(1, body);
            }
            ItemKind::Constructor(b) => {
                self.line(0, "Item Constructor", s);
                self.block_body(1, b);
            }
            ItemKind::Destructor(b) => {
                self.line(0, "Item Destructor", s);
                self.block_body(1, b);
            }
            ItemKind::Verbatim(text) => {
                self.line(0, &format!("Item Verbatim {}", quoted(text.trim())), s)
            }
            ItemKind::UnitsOff => self.line(0, "Item UnitsOff", s),
            ItemKind::UnitsOn => self.line(0, "Item UnitsOn", s),
        }
    }

    fn func(&mut self, what: &str, f: &FuncDef, s: Span) {
        self.line(
            0,
            &format!(
                "Item {what} {}({}){}",
                f.name.name,
                params_text(&f.params),
                unit(&f.unit)
            ),
            s,
        );
        self.block_body(1, &f.body);
    }

    fn neuron_stmt(&mut self, st: &NeuronStmt) {
        let text = match &st.kind {
            NeuronStmtKind::Suffix(n) => format!("Suffix {}", n.name),
            NeuronStmtKind::PointProcess(n) => format!("PointProcess {}", n.name),
            NeuronStmtKind::ArtificialCell(n) => format!("ArtificialCell {}", n.name),
            NeuronStmtKind::UseIon {
                ion,
                read,
                write,
                valence,
            } => {
                let mut t = format!(
                    "UseIon {} read {} write {}",
                    ion.name,
                    idents(read),
                    idents(write)
                );
                if let Some(v) = valence {
                    let _ = write!(t, " valence {}", v.text);
                }
                t
            }
            NeuronStmtKind::Range(v) => format!("Range {}", idents(v)),
            NeuronStmtKind::Global(v) => format!("Global {}", idents(v)),
            NeuronStmtKind::NonspecificCurrent(v) => format!("NonspecificCurrent {}", idents(v)),
            NeuronStmtKind::ElectrodeCurrent(v) => format!("ElectrodeCurrent {}", idents(v)),
            NeuronStmtKind::Pointer(v) => format!("Pointer {}", idents(v)),
            NeuronStmtKind::BbcorePointer(v) => format!("BbcorePointer {}", idents(v)),
            NeuronStmtKind::External(v) => format!("External {}", idents(v)),
            NeuronStmtKind::ThreadSafe(v) => format!("ThreadSafe {}", idents(v)),
            NeuronStmtKind::Random(v) => format!("Random {}", idents(v)),
            NeuronStmtKind::Represents(s) => format!("Represents {s}"),
        };
        self.line(1, &text, st.span);
    }

    fn var_decl(&mut self, d: &VarDecl) {
        let mut t = format!("VarDecl {}{}", d.name.name, array(&d.array));
        if let Some(v) = &d.value {
            let _ = write!(t, " = {}", v.text);
        }
        t.push_str(&unit(&d.unit));
        if let Some((lo, hi)) = &d.limits {
            let _ = write!(t, " <{}, {}>", lo.text, hi.text);
        }
        if let Some(f) = &d.from_to {
            let _ = write!(t, " FROM {} TO {}", f.from.text, f.to.text);
            if let Some(w) = &f.with {
                let _ = write!(t, " WITH {}", w.text);
            }
        }
        if let Some(s) = &d.start {
            let _ = write!(t, " START {}", s.text);
        }
        self.line(1, &t, d.span);
    }

    fn block_body(&mut self, depth: usize, b: &Block) {
        for s in &b.stmts {
            self.stmt(depth, s);
        }
    }

    fn lvalue(&mut self, depth: usize, what: &str, lv: &LValue, s: Span) {
        self.line(depth, &format!("{what} {}", lv.name.name), s);
        if let Some(i) = &lv.index {
            self.line(depth + 1, "Index", i.span);
            self.expr(depth + 2, i);
        }
    }

    fn stmt(&mut self, depth: usize, st: &Stmt) {
        let s = st.span;
        let n = depth + 1;
        match &st.kind {
            StmtKind::Local(v) => {
                let names: Vec<String> = v
                    .iter()
                    .map(|l| format!("{}{}", l.name.name, array(&l.array)))
                    .collect();
                self.line(depth, &format!("Local [{}]", names.join(", ")), s);
            }
            StmtKind::Assign {
                target,
                value,
                protect,
            } => {
                let what = if *protect { "Protect" } else { "Assign" };
                self.lvalue(depth, what, target, s);
                self.expr(n, value);
            }
            StmtKind::Derivative {
                target,
                order,
                value,
            } => {
                let primes = "'".repeat(usize::from(*order));
                self.lvalue(depth, &format!("Derivative{primes}"), target, s);
                self.expr(n, value);
            }
            StmtKind::Expr(e) => {
                self.line(depth, "ExprStmt", s);
                self.expr(n, e);
            }
            StmtKind::If {
                cond,
                then,
                else_ifs,
                otherwise,
            } => {
                self.line(depth, "If", s);
                self.expr(n, cond);
                self.line(n, "Then", then.span);
                self.block_body(n + 1, then);
                for (c, b) in else_ifs {
                    self.line(n, "ElseIf", c.span);
                    self.expr(n + 1, c);
                    self.line(n + 1, "Then", b.span);
                    self.block_body(n + 2, b);
                }
                if let Some(b) = otherwise {
                    self.line(n, "Else", b.span);
                    self.block_body(n + 1, b);
                }
            }
            StmtKind::While { cond, body } => {
                self.line(depth, "While", s);
                self.expr(n, cond);
                self.line(n, "Do", body.span);
                self.block_body(n + 1, body);
            }
            StmtKind::FromTo {
                var,
                from,
                to,
                by,
                body,
            } => {
                self.line(depth, &format!("FromTo {}", var.name), s);
                self.expr(n, from);
                self.expr(n, to);
                if let Some(b) = by {
                    self.line(n, "By", b.span);
                    self.expr(n + 1, b);
                }
                self.line(n, "Do", body.span);
                self.block_body(n + 1, body);
            }
            StmtKind::Solve {
                block,
                method,
                steadystate,
                if_error,
            } => {
                let mut t = format!("Solve {}", block.name);
                if let Some(m) = method {
                    let _ = write!(t, " method {}", m.name);
                }
                if let Some(m) = steadystate {
                    let _ = write!(t, " steadystate {}", m.name);
                }
                self.line(depth, &t, s);
                if let Some(b) = if_error {
                    self.line(n, "IfError", b.span);
                    self.block_body(n + 1, b);
                }
            }
            StmtKind::Reaction(r) => {
                let arrow = match &r.kind {
                    ReactionKind::Reversible { .. } => "<->",
                    ReactionKind::Forward { .. } => "->",
                    ReactionKind::Flux { .. } => "<<",
                };
                let rhs = match &r.kind {
                    ReactionKind::Reversible { rhs, .. } | ReactionKind::Forward { rhs, .. }
                        if !rhs.is_empty() =>
                    {
                        format!(" {}", terms(rhs))
                    }
                    ReactionKind::Reversible { .. } | ReactionKind::Forward { .. } => String::new(),
                    ReactionKind::Flux { .. } => String::new(),
                };
                self.line(
                    depth,
                    &format!("Reaction {} {arrow}{rhs}", terms(&r.lhs)),
                    s,
                );
                for t in r.lhs.iter().chain(match &r.kind {
                    ReactionKind::Reversible { rhs, .. } | ReactionKind::Forward { rhs, .. } => {
                        rhs.iter()
                    }
                    ReactionKind::Flux { .. } => [].iter(),
                }) {
                    if let Some(i) = &t.index {
                        self.line(n, &format!("TermIndex {}", t.name.name), t.span);
                        self.expr(n + 1, i);
                    }
                }
                match &r.kind {
                    ReactionKind::Reversible {
                        forward, backward, ..
                    } => {
                        self.expr(n, forward);
                        self.expr(n, backward);
                    }
                    ReactionKind::Forward { rate, .. } => self.expr(n, rate),
                    ReactionKind::Flux { flux } => self.expr(n, flux),
                }
            }
            StmtKind::Equation { lhs, rhs } => {
                self.line(depth, "Equation", s);
                self.expr(n, lhs);
                self.expr(n, rhs);
            }
            StmtKind::Conserve { lhs, rhs } => {
                self.line(depth, "Conserve", s);
                self.expr(n, lhs);
                self.expr(n, rhs);
            }
            StmtKind::Compartment {
                longitudinal,
                index,
                volume,
                states,
            } => {
                let what = if *longitudinal {
                    "LongitudinalDiffusion"
                } else {
                    "Compartment"
                };
                let idx = index
                    .as_ref()
                    .map(|i| format!(" index {}", i.name))
                    .unwrap_or_default();
                self.line(depth, &format!("{what}{idx} states {}", idents(states)), s);
                self.expr(n, volume);
            }
            StmtKind::Table {
                names,
                depend,
                from,
                to,
                with,
            } => {
                self.line(
                    depth,
                    &format!("Table {} depend {}", idents(names), idents(depend)),
                    s,
                );
                self.expr(n, from);
                self.expr(n, to);
                self.expr(n, with);
            }
            StmtKind::Watch(items) => {
                self.line(depth, "Watch", s);
                for (c, f) in items {
                    self.expr(n, c);
                    self.expr(n + 1, f);
                }
            }
            StmtKind::Initial(b) => {
                self.line(depth, "Initial", s);
                self.block_body(n, b);
            }
            StmtKind::Verbatim(text) => {
                self.line(depth, &format!("Verbatim {}", quoted(text.trim())), s)
            }
            StmtKind::UnitsOff => self.line(depth, "UnitsOff", s),
            StmtKind::UnitsOn => self.line(depth, "UnitsOn", s),
            StmtKind::Mutex { lock } => {
                self.line(depth, if *lock { "MutexLock" } else { "MutexUnlock" }, s)
            }
            StmtKind::Block(b) => {
                self.line(depth, "Block", s);
                self.block_body(n, b);
            }
            StmtKind::Conductance { name, ion } => {
                let ion = ion
                    .as_ref()
                    .map(|i| format!(" useion {}", i.name))
                    .unwrap_or_default();
                self.line(depth, &format!("Conductance {}{ion}", name.name), s);
            }
        }
    }

    fn expr(&mut self, depth: usize, e: &Expr) {
        let s = e.span;
        match &e.kind {
            ExprKind::Number(n) => self.line(depth, &format!("Number {}", n.text), s),
            ExprKind::Str(t) => self.line(depth, &format!("Str {}", quoted(t)), s),
            ExprKind::Name(i) => self.line(depth, &format!("Name {}", i.name), s),
            ExprKind::Index { name, index } => {
                self.line(depth, &format!("Index {}", name.name), s);
                self.expr(depth + 1, index);
            }
            ExprKind::Call { name, args } => {
                self.line(depth, &format!("Call {}", name.name), s);
                for a in args {
                    self.expr(depth + 1, a);
                }
            }
            ExprKind::Unary { op, operand } => {
                let o = match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::Not => "!",
                };
                self.line(depth, &format!("Unary {o}"), s);
                self.expr(depth + 1, operand);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.line(depth, &format!("Binary {}", op.symbol()), s);
                self.expr(depth + 1, lhs);
                self.expr(depth + 1, rhs);
            }
            ExprKind::WithUnit { expr, unit } => {
                self.line(depth, &format!("WithUnit ({})", unit.text), s);
                self.expr(depth + 1, expr);
            }
            ExprKind::Prime { name, order } => {
                let primes = "'".repeat(usize::from(*order));
                self.line(depth, &format!("Prime {}{primes}", name.name), s);
            }
        }
    }
}

fn params_text(params: &[Param]) -> String {
    let v: Vec<String> = params
        .iter()
        .map(|p| format!("{}{}", p.name.name, unit(&p.unit)))
        .collect();
    v.join(", ")
}

fn terms(ts: &[ReactTerm]) -> String {
    let v: Vec<String> = ts
        .iter()
        .map(|t| {
            let c = if t.coeff == 1 {
                String::new()
            } else {
                t.coeff.to_string()
            };
            let i = if t.index.is_some() { "[..]" } else { "" };
            format!("{c}{}{i}", t.name.name)
        })
        .collect();
    v.join(" + ")
}
