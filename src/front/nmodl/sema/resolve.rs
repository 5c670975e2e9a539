//! Walks every block body with its scopes (LOCALs, parameters, NET_RECEIVE
//! arguments, FROM loop variables), resolving each name and reporting:
//! undefined names (E0201), duplicate LOCALs and parameters (E0203),
//! assignments to constants (E0204) and to PARAMETERs where they must stay
//! fixed (W0205), `x' =` on a non-STATE (E0206), assignments to functions
//! and blocks (E0207), functions and blocks used as values (E0210),
//! reactants that are not STATEs (E0211), unused LOCALs (W0201) and the
//! call and SOLVE errors of [`super::calls`] and [`super::solve`].

use super::builtins;
use super::calls;
use super::scope::{LocalKind, Scopes};
use super::solve;
use super::symbols::{SymbolKind, SymbolTable};
use super::verbatim;
use crate::diag::suggest;
use crate::diag::{Diagnostic, SourceMap, Span};
use crate::front::nmodl::ast::{
    Block, Expr, ExprKind, Ident, Item, ItemKind, LValue, Param, ReactTerm, Reaction, ReactionKind,
    SolvableKind, Stmt, StmtKind,
};
use std::collections::{HashMap, HashSet};

/// How a module-level name was referred to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Read somewhere.
    pub read: bool,
    /// Written (assigned, integrated, reacted) somewhere.
    pub written: bool,
}

/// The block a statement is in, for context-dependent rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// INITIAL (also nested in NET_RECEIVE).
    Initial,
    /// BREAKPOINT.
    Breakpoint,
    /// An equation block.
    Solvable(SolvableKind),
    /// FUNCTION, PROCEDURE or FUNCTION_TABLE.
    Function,
    /// NET_RECEIVE.
    NetReceive,
    /// BEFORE/AFTER, CONSTRUCTOR/DESTRUCTOR.
    Other,
}

/// The resolver's state while walking one module.
pub struct Resolver<'a> {
    /// Module-level names.
    pub table: &'a SymbolTable,
    /// Diagnostics found so far.
    pub diags: Vec<Diagnostic>,
    /// How each module-level name was used.
    pub usage: HashMap<String, Usage>,
    /// Identifiers mentioned in VERBATIM text (defined or used by C code).
    pub verbatim_names: &'a HashSet<String>,
    /// The module is an ARTIFICIAL_CELL (for VERBATIM help).
    pub artificial_cell: bool,
    /// An INCLUDEd file was not found: undefined names may be defined
    /// there, so they are not reported (the missing file already is).
    pub missing_include: bool,
    map: &'a SourceMap,
    lag_names: HashSet<String>,
    scopes: Scopes,
    context: Context,
    in_net_receive: bool,
    function: Option<String>,
    if_depth: usize,
    equation: bool,
    /// The first TABLE statement of the current top-level block.
    table_at: Option<crate::diag::Span>,
}

impl<'a> Resolver<'a> {
    /// A resolver over `table`.
    pub fn new(
        table: &'a SymbolTable,
        verbatim_names: &'a HashSet<String>,
        map: &'a SourceMap,
    ) -> Self {
        Resolver {
            table,
            diags: Vec::new(),
            usage: HashMap::new(),
            verbatim_names,
            artificial_cell: false,
            missing_include: false,
            map,
            lag_names: HashSet::new(),
            scopes: Scopes::default(),
            context: Context::Other,
            in_net_receive: false,
            function: None,
            if_depth: 0,
            equation: false,
            table_at: None,
        }
    }

    /// Resolves every name in one top-level item.
    pub fn item(&mut self, item: &Item) {
        self.function = None;
        self.in_net_receive = false;
        match &item.kind {
            ItemKind::Initial(b) => self.top_block(Context::Initial, b),
            ItemKind::Breakpoint(b) => self.top_block(Context::Breakpoint, b),
            ItemKind::Solvable { kind, body, .. } => self.top_block(Context::Solvable(*kind), body),
            ItemKind::Procedure(fd) => {
                self.with_params(&fd.params, |r| r.top_block(Context::Function, &fd.body));
            }
            ItemKind::Function(fd) => {
                self.function = Some(fd.name.name.clone());
                self.with_params(&fd.params, |r| r.top_block(Context::Function, &fd.body));
            }
            ItemKind::FunctionTable { params, .. } => self.with_params(params, |_| {}),
            ItemKind::NetReceive { params, body } => {
                self.in_net_receive = true;
                self.with_params(params, |r| r.top_block(Context::NetReceive, body));
            }
            ItemKind::Before { body, .. } | ItemKind::After { body, .. } => {
                self.top_block(Context::Other, body)
            }
            ItemKind::Constructor(b) | ItemKind::Destructor(b) => self.top_block(Context::Other, b),
            ItemKind::Verbatim(text) if verbatim::idiom(text) != Some(verbatim::Idiom::Nothing) => {
                let d = verbatim::unsupported(
                    text,
                    item.span,
                    self.artificial_cell,
                    self.verbatim_names,
                );
                self.diags.push(d);
            }
            ItemKind::Declare { decls, .. } => {
                for d in decls {
                    if let Some(crate::front::nmodl::ast::ArrayLen::Name(id)) = &d.array {
                        self.read(id);
                    }
                }
            }
            _ => {}
        }
    }

    fn top_block(&mut self, context: Context, b: &Block) {
        self.context = context;
        self.if_depth = 0;
        self.table_at = None;
        self.block(b);
    }

    fn with_params(&mut self, params: &[Param], body: impl FnOnce(&mut Self)) {
        self.scopes.push();
        for p in params {
            self.declare_local(&p.name, LocalKind::Param);
        }
        body(self);
        self.scopes.pop();
    }

    fn declare_local(&mut self, id: &Ident, kind: LocalKind) {
        if let Err(first) = self.scopes.declare(&id.name, id.span, kind) {
            self.diags.push(
                Diagnostic::error(
                    "E0203",
                    format!("`{}` is declared twice in this scope", id.name),
                )
                .with_primary(id.span, "declared again here")
                .with_secondary(first, "first declared here")
                .with_help("remove the second declaration or rename it"),
            );
        }
    }

    fn block(&mut self, b: &Block) {
        self.scopes.push();
        for s in &b.stmts {
            if let StmtKind::Local(decls) = &s.kind {
                // The parser keeps FOR_NETCONS (w, ...) as a block starting
                // with a LOCAL of its names; those are parameters.
                let kind = if self.map.text(s.span).starts_with("LOCAL") {
                    LocalKind::Local
                } else {
                    LocalKind::Param
                };
                for d in decls {
                    self.declare_local(&d.name, kind);
                    if let Some(crate::front::nmodl::ast::ArrayLen::Name(id)) = &d.array {
                        self.read(id);
                    }
                }
            }
        }
        for s in &b.stmts {
            self.stmt(s);
        }
        for l in self.scopes.pop() {
            if l.kind == LocalKind::Local && !l.used && !self.verbatim_names.contains(&l.name) {
                self.diags.push(
                    Diagnostic::warning("W0201", format!("LOCAL `{}` is never used", l.name))
                        .with_primary(l.span, "declared here")
                        .with_help(format!("remove `{}` from the LOCAL statement", l.name)),
                );
            }
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Local(_) => {}
            StmtKind::Assign { target, value, .. } => {
                self.expr(value);
                self.write(target);
            }
            StmtKind::Derivative { target, value, .. } => {
                if self.context != Context::Solvable(SolvableKind::Derivative) {
                    self.diags.push(
                        Diagnostic::error(
                            "E0307",
                            format!(
                                "`{}'` is a derivative: it belongs in a DERIVATIVE block",
                                target.name.name
                            ),
                        )
                        .with_primary(s.span, "not in a DERIVATIVE block")
                        .with_help("write `x' = ...` in `DERIVATIVE states { }` and solve it from BREAKPOINT (`SOLVE states METHOD cnexp`); INITIAL sets a state with `x = ...`"),
                    );
                }
                self.expr(value);
                self.derivative_target(target);
            }
            StmtKind::Expr(e) => match &e.kind {
                ExprKind::Call { name, args } => self.call(name, args, false, e.span),
                _ => self.expr(e),
            },
            StmtKind::If {
                cond,
                then,
                else_ifs,
                otherwise,
            } => {
                self.expr(cond);
                self.if_depth += 1;
                self.block(then);
                for (c, b) in else_ifs {
                    self.expr(c);
                    self.block(b);
                }
                if let Some(b) = otherwise {
                    self.block(b);
                }
                self.if_depth -= 1;
            }
            StmtKind::While { cond, body } => {
                self.expr(cond);
                self.loop_body(body);
            }
            StmtKind::FromTo {
                var,
                from,
                to,
                by,
                body,
            } => {
                self.expr(from);
                self.expr(to);
                if let Some(b) = by {
                    self.expr(b);
                }
                let known = self.scopes.use_name(&var.name).is_some()
                    || self
                        .table
                        .get(&var.name)
                        .is_some_and(|s| s.kind.is_variable());
                self.scopes.push();
                if known {
                    self.mark(&var.name, true);
                } else {
                    self.declare_local(var, LocalKind::Index);
                }
                self.loop_body(body);
                self.scopes.pop();
            }
            StmtKind::Solve {
                block,
                method,
                steadystate,
                if_error,
            } => {
                let d = solve::check(self.table, block, method.as_ref(), steadystate.as_ref());
                self.diags.extend(d);
                if let Some(b) = if_error {
                    self.block(b);
                }
            }
            StmtKind::Reaction(r) => {
                if self.context != Context::Solvable(SolvableKind::Kinetic) {
                    self.misplaced(s.span, "a reaction `~ A <-> B (kf, kb)`", "a KINETIC block");
                }
                self.reaction(r)
            }
            StmtKind::Equation { lhs, rhs } | StmtKind::Conserve { lhs, rhs } => {
                if !matches!(
                    self.context,
                    Context::Solvable(
                        SolvableKind::Kinetic | SolvableKind::Linear | SolvableKind::NonLinear
                    )
                ) {
                    let what = if matches!(s.kind, StmtKind::Conserve { .. }) {
                        "CONSERVE"
                    } else {
                        "an equation `~ a = b`"
                    };
                    self.misplaced(s.span, what, "a KINETIC, LINEAR or NONLINEAR block");
                }
                // States solved by `~` equations and CONSERVE count as
                // changed wherever they appear in the equation.
                self.equation = true;
                self.expr(lhs);
                self.expr(rhs);
                self.equation = false;
            }
            StmtKind::Compartment {
                index,
                volume,
                states,
                ..
            } => {
                self.scopes.push();
                if let Some(i) = index {
                    self.declare_local(i, LocalKind::Index);
                    self.scopes.use_name(&i.name);
                }
                self.expr(volume);
                self.scopes.pop();
                for st in states {
                    let variable = self.table.get(&st.name).is_some_and(|sym| {
                        sym.kind.is_variable() && sym.kind != SymbolKind::Constant
                    });
                    if variable || self.scopes.use_name(&st.name).is_some() {
                        self.read(st);
                    } else {
                        self.diags.push(
                            Diagnostic::warning(
                                "W0208",
                                format!("COMPARTMENT names `{}`, which is not a STATE; ignored", st.name),
                            )
                            .with_primary(st.span, "not a STATE of this file")
                            .with_note("NEURON's translator gives volumes to the STATEs of the list and passes over other names; so does nmc")
                            .with_help(format!("remove `{}` from the list, or declare it in STATE", st.name)),
                        );
                    }
                }
            }
            StmtKind::Table {
                names,
                depend,
                from,
                to,
                with,
            } => {
                if self.context != Context::Function {
                    self.diags.push(
                        Diagnostic::error("E0307", "TABLE belongs in a FUNCTION or PROCEDURE")
                            .with_primary(s.span, "not in a FUNCTION or PROCEDURE")
                            .with_help("a TABLE tabulates what its FUNCTION or PROCEDURE computes; move it there"),
                    );
                } else if let Some(first) = self.table_at {
                    self.diags.push(
                        Diagnostic::error("E0307", "a second TABLE in one FUNCTION or PROCEDURE")
                            .with_primary(s.span, "second TABLE")
                            .with_secondary(first, "first TABLE")
                            .with_help("list every tabulated name in one TABLE statement"),
                    );
                } else {
                    self.table_at = Some(s.span);
                }
                for n in names.iter().chain(depend) {
                    self.read(n);
                }
                self.expr(from);
                self.expr(to);
                self.expr(with);
            }
            StmtKind::Watch(pairs) => {
                for (c, f) in pairs {
                    self.expr(c);
                    self.expr(f);
                }
            }
            StmtKind::Initial(b) => {
                let saved = self.context;
                self.context = Context::Initial;
                self.block(b);
                self.context = saved;
            }
            StmtKind::Verbatim(text) => {
                if !self.verbatim_understood(text) {
                    let d = verbatim::unsupported(
                        text,
                        s.span,
                        self.artificial_cell,
                        self.verbatim_names,
                    );
                    self.diags.push(d);
                }
            }
            StmtKind::Block(b) => self.block(b),
            StmtKind::Conductance { name, .. } => self.read(name),
            StmtKind::UnitsOff | StmtKind::UnitsOn | StmtKind::Mutex { .. } => {}
        }
    }

    fn loop_body(&mut self, body: &Block) {
        // A VERBATIM `return;` inside a loop body inside an `if` still
        // leaves the whole block; loops do not change the idiom.
        self.block(body);
    }

    fn reaction(&mut self, r: &Reaction) {
        let rhs: &[ReactTerm] = match &r.kind {
            ReactionKind::Reversible {
                rhs,
                forward,
                backward,
            } => {
                self.expr(forward);
                self.expr(backward);
                rhs
            }
            ReactionKind::Forward { rhs, rate } => {
                self.expr(rate);
                rhs
            }
            ReactionKind::Flux { flux } => {
                self.expr(flux);
                &[]
            }
        };
        for term in r.lhs.iter().chain(rhs) {
            self.reactant(term);
        }
    }

    fn reactant(&mut self, term: &ReactTerm) {
        if let Some(i) = &term.index {
            self.expr(i);
        }
        let id = &term.name;
        if self.scopes.use_name(&id.name).is_some() {
            return;
        }
        // A reactant that is not a STATE (e.g. `cao` as a PARAMETER) takes
        // part at its fixed value, as in NEURON.
        match self.table.get(&id.name) {
            Some(sym) if sym.kind.is_variable() => self.mark(&id.name, true),
            Some(sym) => {
                let what = sym.kind.describe();
                self.diags.push(
                    Diagnostic::error(
                        "E0211",
                        format!("reactant `{}` is not a variable", id.name),
                    )
                    .with_primary(id.span, format!("this is {what}"))
                    .with_help(format!(
                        "reaction schemes relate STATE variables; declare a STATE for the species `{}` stands for",
                        id.name
                    )),
                );
            }
            None => self.undefined(id, false),
        }
    }

    /// E0307: `what` at `span` outside the blocks it belongs in (`place`).
    fn misplaced(&mut self, span: crate::diag::Span, what: &str, place: &str) {
        self.diags.push(
            Diagnostic::error("E0307", format!("{what} belongs in {place}"))
                .with_primary(span, format!("not in {place}"))
                .with_help(format!(
                    "move it into {place}, solved from BREAKPOINT or INITIAL with SOLVE"
                )),
        );
    }

    fn derivative_target(&mut self, target: &LValue) {
        if let Some(i) = &target.index {
            self.expr(i);
        }
        let id = &target.name;
        if self.scopes.use_name(&id.name).is_some() {
            self.not_state(id, "a LOCAL variable");
            return;
        }
        match self.table.get(&id.name) {
            Some(sym) if sym.kind == SymbolKind::State => self.mark(&id.name, true),
            Some(sym) => {
                let what = sym.kind.describe();
                self.mark(&id.name, true);
                self.not_state(id, what);
            }
            None => self.undefined(id, false),
        }
    }

    fn not_state(&mut self, id: &Ident, what: &str) {
        self.diags.push(
            Diagnostic::error(
                "E0206",
                format!(
                    "`{}'` is a derivative, but `{}` is not a STATE",
                    id.name, id.name
                ),
            )
            .with_primary(id.span, format!("this is {what}"))
            .with_help(format!(
                "declare `{}` in the STATE block (and remove its other declaration)",
                id.name
            )),
        );
    }

    fn write(&mut self, target: &LValue) {
        if let Some(i) = &target.index {
            self.expr(i);
        }
        let id = &target.name;
        if self.scopes.use_name(&id.name).is_some() {
            return;
        }
        let Some(sym) = self.table.get(&id.name) else {
            self.undefined(id, false);
            return;
        };
        match &sym.kind {
            SymbolKind::Constant | SymbolKind::UnitConstant | SymbolKind::Define => {
                let what = sym.kind.describe();
                let first = sym.span;
                let mut d = Diagnostic::error(
                    "E0204",
                    format!("cannot assign to `{}`: it is {what}", id.name),
                )
                .with_primary(target.span, "assigned here")
                .with_help(format!(
                    "use a LOCAL or ASSIGNED variable for computed values; `{}` never changes",
                    id.name
                ));
                if let Some(f) = first {
                    d = d.with_secondary(f, "declared constant here");
                }
                self.diags.push(d);
            }
            SymbolKind::Parameter if self.parameter_fixed() && sym.ion.is_none() => {
                let block = match self.context {
                    Context::Breakpoint => "BREAKPOINT",
                    Context::Solvable(k) => builtins::solvable_keyword(k),
                    _ => "this block",
                };
                let d = assigned_parameter(&id.name, sym.range, block, target.span, sym.span);
                self.diags.push(d);
                self.mark(&id.name, true);
            }
            SymbolKind::Function { .. } if self.function.as_deref() == Some(id.name.as_str()) => {}
            k if !k.is_variable() => {
                let what = k.describe();
                self.diags.push(
                    Diagnostic::error("E0207", format!("cannot assign to `{}`: it is {what}", id.name))
                        .with_primary(target.span, "assigned here")
                        .with_help("only variables can be assigned; a FUNCTION sets its result by assigning to its own name inside its body"),
                );
            }
            SymbolKind::BuiltinVariable if self.flag_outside(&id.name) => self.undefined(id, false),
            _ => self.mark(&id.name, true),
        }
    }

    /// Whether PARAMETERs must not change in the current block.
    /// True when a VERBATIM statement here is an idiom whose meaning is
    /// certain (see [`verbatim::idiom`]): no code anywhere; `return;`
    /// inside an `if` or in a PROCEDURE; `return <number>;` in a PROCEDURE
    /// or FUNCTION.
    fn verbatim_understood(&self, text: &str) -> bool {
        let in_function = self.context == Context::Function && self.function.is_some();
        let in_procedure = self.context == Context::Function && self.function.is_none();
        match verbatim::idiom(text) {
            Some(verbatim::Idiom::Nothing) => true,
            Some(verbatim::Idiom::Return(None)) => self.if_depth > 0 || in_procedure,
            Some(verbatim::Idiom::Return(Some(_))) => in_procedure || in_function,
            None => false,
        }
    }

    fn parameter_fixed(&self) -> bool {
        matches!(
            self.context,
            Context::Breakpoint
                | Context::Solvable(SolvableKind::Derivative)
                | Context::Solvable(SolvableKind::Kinetic)
        )
    }

    fn flag_outside(&self, name: &str) -> bool {
        !self.in_net_receive && builtins::variable(name).is_some_and(|v| v.net_receive_only)
    }

    /// Records a use of a module-level name.
    pub fn mark(&mut self, name: &str, written: bool) {
        let u = self.usage.entry(name.to_string()).or_default();
        u.read |= !written;
        u.written |= written || self.equation;
    }

    /// Resolves a name read in an expression.
    pub fn read(&mut self, id: &Ident) {
        if self.scopes.use_name(&id.name).is_some() {
            return;
        }
        // Inside NET_RECEIVE `flag` is the event's flag even when the file
        // also defines something named `flag` (nocmodl's rule).
        if self.in_net_receive && id.name == "flag" {
            return;
        }
        let Some(sym) = self.table.get(&id.name) else {
            self.undefined(id, false);
            return;
        };
        match &sym.kind {
            SymbolKind::Function { .. } if self.function.as_deref() == Some(id.name.as_str()) => {}
            k if !k.is_variable() => {
                let what = k.describe();
                let help = if k.is_callable() {
                    format!("call it with arguments: `{}(...)`", id.name)
                } else {
                    format!("solve it with `SOLVE {}` in BREAKPOINT or INITIAL", id.name)
                };
                self.diags.push(
                    Diagnostic::error("E0210", format!("`{}` is {what}, not a value", id.name))
                        .with_primary(id.span, "used as a value here")
                        .with_help(help),
                );
            }
            SymbolKind::BuiltinVariable if self.flag_outside(&id.name) => self.undefined(id, false),
            _ => self.mark(&id.name, false),
        }
    }

    /// Reports an undefined name, with a suggestion. Names that VERBATIM C
    /// code mentions are skipped: the VERBATIM error already covers them.
    pub fn undefined(&mut self, id: &Ident, callable: bool) {
        if self.verbatim_names.contains(&id.name)
            || self.missing_include
            || self.lag_names.contains(&id.name)
        {
            return;
        }
        let what = if callable { "function" } else { "name" };
        let mut d = Diagnostic::error("E0201", format!("undefined {what} `{}`", id.name))
            .with_primary(id.span, "not declared anywhere in this file");
        if id.name == "flag" {
            d = d.with_help("`flag` is only defined inside NET_RECEIVE");
        } else if callable
            && ["if", "while"]
                .iter()
                .any(|k| id.name.eq_ignore_ascii_case(k))
        {
            d = d.with_help(format!(
                "`{}` is not a keyword, so this reads as a call: write `{}` or `{}` (nocmodl takes the same two spellings)",
                id.name,
                id.name.to_ascii_lowercase(),
                id.name.to_ascii_uppercase()
            ));
        } else if let Some(decl) = builtins::physical_constant(&id.name) {
            d = d.with_help(format!("declare it in the UNITS block: `{decl}`"));
        } else {
            let table = self.table;
            let net_receive = self.in_net_receive;
            let candidates: Vec<&str> = if callable {
                table
                    .symbols
                    .values()
                    .filter(|s| s.kind.is_callable())
                    .map(|s| s.name.as_str())
                    .collect()
            } else {
                table
                    .symbols
                    .values()
                    .filter(|s| s.kind.is_variable())
                    .filter(|s| net_receive || s.name != "flag")
                    .map(|s| s.name.as_str())
                    .chain(self.scopes.names())
                    .collect()
            };
            d = match suggest::closest(&id.name, candidates) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None if callable => d.with_help(format!(
                    "define it with `FUNCTION {}(...) {{ }}` or `PROCEDURE {}(...) {{ }}`",
                    id.name, id.name
                )),
                None => d.with_help(format!(
                    "declare `{}` in PARAMETER or ASSIGNED, or as a LOCAL in this block",
                    id.name
                )),
            };
        }
        self.diags.push(d);
    }

    /// Resolves every name in an expression.
    pub fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Number(_) | ExprKind::Str(_) => {}
            ExprKind::Name(id) => self.read(id),
            ExprKind::Index { name, index } => {
                self.read(name);
                self.expr(index);
            }
            ExprKind::Call { name, args } => self.call(name, args, true, e.span),
            ExprKind::Unary { operand, .. } => self.expr(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::WithUnit { expr, .. } => self.expr(expr),
            ExprKind::Prime { name, .. } => {
                self.read(name);
                if let Some(sym) = self.table.get(&name.name)
                    && !self.scopes.contains(&name.name)
                    && sym.kind.is_variable()
                    && sym.kind != SymbolKind::State
                {
                    let what = sym.kind.describe();
                    self.not_state(name, what);
                }
            }
        }
    }

    /// `LAG x BY tau` (kept by the parser as a call `LAG(x, tau)`)
    /// defines `lag_x_tau`.
    fn lag(&mut self, args: &[Expr]) {
        for a in args {
            self.expr(a);
        }
        if let [a, b] = args
            && let (ExprKind::Name(x), ExprKind::Name(tau)) = (&a.kind, &b.kind)
        {
            self.lag_names
                .insert(format!("lag_{}_{}", x.name, tau.name));
        }
    }

    fn call(&mut self, name: &Ident, args: &[Expr], value: bool, span: Span) {
        if name.name == "LAG" && !value && self.table.get("LAG").is_none() {
            self.lag(args);
            return;
        }
        for (i, a) in args.iter().enumerate() {
            // RANDOM streams are passed by name to the random_* functions.
            if i == 0
                && name.name.starts_with("random_")
                && let ExprKind::Name(id) = &a.kind
                && self
                    .table
                    .get(&id.name)
                    .is_some_and(|s| s.kind == SymbolKind::Random)
            {
                self.mark(&id.name, false);
                continue;
            }
            self.expr(a);
        }
        // A call of a name that is also a LOCAL or an argument calls the
        // FUNCTION or PROCEDURE of that name when there is one: nocmodl
        // resolves `kdf(x)` to the function even inside
        // `FUNCTION f(kdf) { ... }`, and `kdf` alone to the argument.
        let callable = self
            .table
            .get(&name.name)
            .is_some_and(|s| s.kind.is_callable());
        if !callable && self.scopes.use_name(&name.name).is_some() {
            self.diags
                .push(calls::not_callable(name, "a local variable"));
            return;
        }
        let Some(sym) = self.table.get(&name.name) else {
            self.undefined(name, true);
            return;
        };
        self.mark(&name.name, false);
        if let Some(mut d) = calls::check(sym, name, args.len(), value, span) {
            // `~ C = O (kf, kb)`: a reaction written with `=` reads as an
            // equation whose right side calls `O`.
            if d.code == "E0306"
                && self.equation
                && matches!(self.context, Context::Solvable(SolvableKind::Kinetic))
            {
                d = d.with_help(
                    "a reaction is written with an arrow: `~ C <-> O (kf, kb)`, not with `=`",
                );
            }
            self.diags.push(d);
        }
    }
}

/// A PARAMETER assigned where it should stay fixed. A RANGE PARAMETER has
/// one value per instance, so NEURON's behaviour is well defined and this is
/// a warning (W0204); a GLOBAL one is shared by every instance, so each
/// instance overwrites the others' value mid-step: still compiled, as
/// NEURON does, with a sharper warning (W0205).
fn assigned_parameter(
    name: &str,
    range: bool,
    block: &str,
    at: Span,
    declared: Option<Span>,
) -> Diagnostic {
    let mut d = if range {
        Diagnostic::warning(
            "W0204",
            format!("RANGE PARAMETER `{name}` is assigned in {block}"),
        )
        .with_primary(at, "assigned here")
        .with_help(format!(
            "PARAMETERs are meant to stay fixed during a run; declare `{name}` in ASSIGNED since the mechanism computes it"
        ))
    } else {
        Diagnostic::warning(
            "W0205",
            format!("GLOBAL PARAMETER `{name}` is assigned in {block}"),
        )
        .with_primary(at, "assigned here")
        .with_help(format!(
            "every instance shares `{name}`, so each one overwrites it in turn and the value depends on instance order (NEURON compiles this too, as not thread-safe); declare it in ASSIGNED and list it in RANGE"
        ))
    };
    if let Some(f) = declared {
        d = d.with_secondary(f, "declared as a PARAMETER here");
    }
    d
}
