//! Dimension checks of NMODL assignments, differential equations, function
//! returns and call arguments.
//!
//! Every expression's unit is inferred bottom-up from declared units, built-in
//! variables and unit annotations. Anything uncertain makes the result
//! *unknown* and silences checks, so only definite mismatches are reported:
//!
//! - `W0501` the dimensions differ (`mA` assigned to a `mA/cm2` variable);
//! - `W0502` same dimension, different scale (`mA` assigned to `nA`), with the
//!   factor that is missing;
//! - `W0503` a unit in a declaration or annotation that cannot be understood;
//! - `E0501` a UNITS-block definition that cannot be evaluated (NEURON rejects
//!   these files too).
//!
//! Rules that keep false positives away: bare numbers adapt to whatever they
//! are added to and make a product's scale unchecked (`1e-3 * g * v` is
//! assumed to be a deliberate conversion); arguments of transcendental
//! functions and exponents are not checked; regions between UNITSOFF and
//! UNITSON (a lexical toggle, as in NEURON) are skipped; the amount of
//! substance (`mol`) is ignored when comparing, because NEURON's units
//! database counts moles as plain numbers (`mM` = `milli/liter`).

use super::ast::*;
use super::sema::SymbolTable;
use crate::diag::{Diagnostic, SourceMap, Span};
use crate::units::{Unit, UnitError, UnitTable, conversion_factor, format_number};
use std::collections::HashMap;

/// Code for a UNITS-block definition that cannot be evaluated.
pub const E_BAD_UNIT_DEF: &str = "E0501";
/// Code for a dimension mismatch.
pub const W_DIMENSION: &str = "W0501";
/// Code for a scale-factor mismatch between units of the same dimension.
pub const W_SCALE: &str = "W0502";
/// Code for a unit in a declaration or annotation that cannot be understood.
pub const W_BAD_UNIT: &str = "W0503";

/// Expressions nested deeper than this are treated as having unknown units.
const MAX_DEPTH: usize = 200;

/// Checks units of every assignment and ODE outside UNITSOFF regions and
/// returns warnings (W05xx) for mismatches, errors (E0501) for UNITS-block
/// definitions that cannot be evaluated.
pub fn check_units(module: &Module, symbols: &SymbolTable, map: &SourceMap) -> Vec<Diagnostic> {
    let mut c = Checker::new(symbols, map);
    c.collect(module);
    c.walk(module);
    c.diags
}

/// The unit a name was declared with, and where (for secondary labels).
#[derive(Clone, Debug)]
struct Declared {
    unit: Unit,
    text: String,
    span: Option<Span>,
}

/// A FUNCTION, PROCEDURE or FUNCTION_TABLE signature.
#[derive(Clone, Debug, Default)]
struct Signature {
    params: Vec<(String, Option<Declared>)>,
    ret: Option<Declared>,
}

/// The inferred unit of an expression.
#[derive(Clone, Copy, Debug)]
enum Inferred {
    /// Nothing is known; no checks.
    Unknown,
    /// A bare number: adopts the unit of whatever it is combined with.
    Number,
    /// A definite unit; `loose` when a bare number took part in a product, so
    /// the scale may include a deliberate conversion factor.
    Known { unit: Unit, loose: bool },
}

impl Inferred {
    fn known(unit: Unit) -> Inferred {
        if unit.is_finite() {
            Inferred::Known { unit, loose: false }
        } else {
            Inferred::Unknown
        }
    }

    fn with(unit: Unit, loose: bool) -> Inferred {
        if unit.is_finite() {
            Inferred::Known { unit, loose }
        } else {
            Inferred::Unknown
        }
    }
}

/// Names visible inside a block: locals (unknown unit) and parameters.
type Scope = HashMap<String, Option<Declared>>;

struct Checker<'a> {
    symbols: &'a SymbolTable,
    map: &'a SourceMap,
    table: UnitTable,
    globals: HashMap<String, Declared>,
    functions: HashMap<String, Signature>,
    builtins: HashMap<&'static str, Unit>,
    scopes: Vec<Scope>,
    /// The FUNCTION whose body is being walked (its name is the return value).
    current_function: Option<String>,
    units_on: bool,
    /// Greater than zero inside arguments of transcendental functions.
    quiet: usize,
    point_process: bool,
    diags: Vec<Diagnostic>,
}

/// Built-in functions whose result is a pure number and whose arguments are
/// not checked (NEURON does not check them either).
const TRANSCENDENTAL: &[&str] = &[
    "exp",
    "log",
    "log10",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "erf",
    "erfc",
    "expm1",
    "log1p",
    "unirand",
    "scop_random",
    "hyperbolic",
];

/// Random-number functions whose result has the unit of their first argument
/// (the mean); arguments are not checked.
const RANDOM_LIKE_ARG: &[&str] = &["normrand", "exprand", "poisrand", "negexp", "gauss"];

/// Built-in functions whose result has the unit of their (first) argument.
const SAME_UNIT: &[&str] = &["fabs", "abs", "floor", "ceil", "fmin", "fmax", "min", "max"];

impl<'a> Checker<'a> {
    fn new(symbols: &'a SymbolTable, map: &'a SourceMap) -> Self {
        Checker {
            symbols,
            map,
            table: UnitTable::new(),
            globals: HashMap::new(),
            functions: HashMap::new(),
            builtins: HashMap::new(),
            scopes: Vec::new(),
            current_function: None,
            units_on: true,
            quiet: 0,
            point_process: false,
            diags: Vec::new(),
        }
    }

    // ----- collection of declarations -------------------------------------

    /// Span of the unit text itself inside `(...)`, shifted by an error's offset.
    fn inner_span(&self, ut: &UnitText, err: Option<&UnitError>) -> Span {
        let src = self.map.text(ut.span);
        let base = match src.find(ut.text.as_str()) {
            Some(i) if !ut.text.is_empty() => ut.span.start as usize + i,
            _ => (ut.span.start as usize + 1).min(ut.span.end as usize),
        };
        match err {
            Some(e) if !src.is_empty() => {
                let start = (base + e.offset).min(ut.span.end as usize);
                let end = (start + e.len.max(1)).min(ut.span.end as usize).max(start);
                Span::new(ut.span.file, start, end)
            }
            _ => Span::new(ut.span.file, base, base + ut.text.len()),
        }
    }

    fn unit_error(&mut self, code: &'static str, ut: &UnitText, e: &UnitError, what: &str) {
        let span = self.inner_span(ut, Some(e));
        let mut d = if code.starts_with('E') {
            Diagnostic::error(code, format!("{what}: {}", e.message))
        } else {
            Diagnostic::warning(code, format!("{what}: {}", e.message))
        };
        d = d.with_primary(span, e.message.clone());
        if let Some(s) = &e.suggestion {
            d = d.with_help(format!("did you mean `{s}`?"));
        } else if let Some(h) = &e.hint {
            d = d.with_help(h.clone());
        } else {
            d = d.with_help(format!(
                "define it in the UNITS block, e.g. `({}) = (...)`",
                ut.text
            ));
        }
        self.diags.push(d);
    }

    /// Parses a declared unit; reports W0503 (or `code`) when it cannot be understood.
    fn declared(&mut self, ut: &UnitText, code: &'static str, what: &str) -> Option<Declared> {
        match self.table.parse(&ut.text) {
            Ok(unit) if unit.is_finite() => Some(Declared {
                unit,
                text: ut.text.clone(),
                span: Some(ut.span),
            }),
            Ok(_) => None,
            Err(e) => {
                self.unit_error(code, ut, &e, what);
                None
            }
        }
    }

    fn collect(&mut self, module: &Module) {
        for (name, text) in [
            ("v", "mV"),
            ("t", "ms"),
            ("dt", "ms"),
            ("celsius", "degC"),
            ("area", "um2"),
            ("diam", "um"),
        ] {
            if let Ok(u) = self.table.parse(text) {
                self.builtins.insert(name, u);
            }
        }
        // UNITS definitions come first: declarations may use them.
        for item in &module.items {
            match &item.kind {
                ItemKind::Units(defs) => {
                    for def in defs {
                        self.unit_def(def);
                    }
                }
                ItemKind::Neuron(stmts) => {
                    for s in stmts {
                        if matches!(s.kind, NeuronStmtKind::PointProcess(_)) {
                            self.point_process = true;
                        }
                    }
                }
                _ => {}
            }
        }
        for item in &module.items {
            match &item.kind {
                ItemKind::Declare { decls, .. } => {
                    for d in decls {
                        if let Some(ut) = &d.unit
                            && let Some(decl) = self.declared(ut, W_BAD_UNIT, "unit not understood")
                        {
                            self.globals.insert(d.name.name.clone(), decl);
                        }
                    }
                }
                ItemKind::Function(f) | ItemKind::Procedure(f) => {
                    let sig = self.signature(&f.params, f.unit.as_ref());
                    self.functions.insert(f.name.name.clone(), sig);
                }
                ItemKind::FunctionTable { name, params, unit } => {
                    let sig = self.signature(params, unit.as_ref());
                    self.functions.insert(name.name.clone(), sig);
                }
                ItemKind::Neuron(stmts) => self.ion_variables(stmts),
                _ => {}
            }
        }
    }

    fn signature(&mut self, params: &[Param], unit: Option<&UnitText>) -> Signature {
        let params = params
            .iter()
            .map(|p| {
                let d = p
                    .unit
                    .as_ref()
                    .and_then(|u| self.declared(u, W_BAD_UNIT, "unit not understood"));
                (p.name.name.clone(), d)
            })
            .collect();
        let ret = unit.and_then(|u| self.declared(u, W_BAD_UNIT, "unit not understood"));
        Signature { params, ret }
    }

    /// Units of USEION variables not declared elsewhere: `e<ion>` in mV,
    /// concentrations in mM, currents in mA/cm2 (density mechanisms only).
    fn ion_variables(&mut self, stmts: &[NeuronStmt]) {
        for s in stmts {
            let NeuronStmtKind::UseIon {
                ion, read, write, ..
            } = &s.kind
            else {
                continue;
            };
            let ion = ion.name.as_str();
            for v in read.iter().chain(write.iter()) {
                let name = v.name.as_str();
                if self.globals.contains_key(name) {
                    continue;
                }
                let text = if name == format!("e{ion}") {
                    "mV"
                } else if name == format!("{ion}i") || name == format!("{ion}o") {
                    "mM"
                } else if name == format!("i{ion}") && !self.point_process {
                    "mA/cm2"
                } else {
                    continue;
                };
                if let Ok(unit) = self.table.parse(text) {
                    self.globals.insert(
                        name.to_string(),
                        Declared {
                            unit,
                            text: text.to_string(),
                            span: None,
                        },
                    );
                }
            }
        }
    }

    fn unit_def(&mut self, def: &UnitDef) {
        match &def.kind {
            UnitDefKind::Alias { name, unit } => match self.table.parse(&unit.text) {
                Ok(u) if u.is_finite() => {
                    self.table.define(name.text.trim(), u);
                }
                Ok(_) => {}
                Err(e) => self.unit_error(E_BAD_UNIT_DEF, unit, &e, "cannot evaluate unit"),
            },
            UnitDefKind::Constant {
                name, factor, unit, ..
            } => {
                let target = unit
                    .as_ref()
                    .and_then(|u| self.declared(u, E_BAD_UNIT_DEF, "cannot evaluate unit"));
                let source = factor
                    .as_ref()
                    .and_then(|u| self.declared(u, E_BAD_UNIT_DEF, "cannot evaluate unit"));
                if let (Some(t), Some(s), Some(fu)) = (&target, &source, factor) {
                    let (tu, su) = (t.unit.without_amount(), s.unit.without_amount());
                    if tu.dim != su.dim {
                        let span = self.inner_span(fu, None);
                        let mut d = Diagnostic::warning(
                            W_DIMENSION,
                            format!(
                                "unit mismatch: `{}` converts ({}) to ({}), which measure different quantities",
                                name.name, s.text, t.text
                            ),
                        )
                        .with_primary(span, format!("this is ({})", s.unit));
                        if let Some(sp) = t.span {
                            d = d.with_secondary(sp, format!("this is ({})", t.unit));
                        }
                        self.diags.push(d.with_help(
                            "the two units must have the same dimension, e.g. `FARADAY = (faraday) (coulomb)`",
                        ));
                    }
                }
                if let Some(t) = target {
                    self.globals.insert(name.name.clone(), t);
                }
            }
        }
    }

    // ----- walking --------------------------------------------------------

    fn walk(&mut self, module: &Module) {
        for item in &module.items {
            match &item.kind {
                ItemKind::UnitsOff => self.units_on = false,
                ItemKind::UnitsOn => self.units_on = true,
                ItemKind::Initial(b)
                | ItemKind::Breakpoint(b)
                | ItemKind::Constructor(b)
                | ItemKind::Destructor(b) => self.block(b, Scope::new()),
                ItemKind::Solvable { body, .. }
                | ItemKind::Before { body, .. }
                | ItemKind::After { body, .. } => self.block(body, Scope::new()),
                ItemKind::Procedure(f) => {
                    let scope = self.param_scope(&f.name.name);
                    self.block(&f.body, scope);
                }
                ItemKind::Function(f) => {
                    let scope = self.param_scope(&f.name.name);
                    self.current_function = Some(f.name.name.clone());
                    self.block(&f.body, scope);
                    self.current_function = None;
                }
                ItemKind::NetReceive { params, body } => {
                    let mut scope = Scope::new();
                    for p in params {
                        let d = p
                            .unit
                            .as_ref()
                            .and_then(|u| self.declared(u, W_BAD_UNIT, "unit not understood"));
                        scope.insert(p.name.name.clone(), d);
                    }
                    self.block(body, scope);
                }
                _ => {}
            }
        }
    }

    fn param_scope(&self, func: &str) -> Scope {
        let mut scope = Scope::new();
        if let Some(sig) = self.functions.get(func) {
            for (n, d) in &sig.params {
                scope.insert(n.clone(), d.clone());
            }
        }
        scope
    }

    fn block(&mut self, b: &Block, scope: Scope) {
        self.scopes.push(scope);
        for s in &b.stmts {
            self.stmt(s);
        }
        self.scopes.pop();
    }

    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::UnitsOff => self.units_on = false,
            StmtKind::UnitsOn => self.units_on = true,
            StmtKind::Local(names) => {
                if let Some(scope) = self.scopes.last_mut() {
                    for n in names {
                        scope.insert(n.name.name.clone(), None);
                    }
                }
            }
            StmtKind::Assign { target, value, .. } => {
                if let Some(ix) = &target.index {
                    self.infer(ix, 0);
                }
                let got = self.infer(value, 0);
                if let Some(decl) = self.target_unit(&target.name.name) {
                    self.compare(&target.name.name, &decl, got, value);
                }
            }
            StmtKind::Derivative {
                target,
                order,
                value,
            } => {
                let got = self.infer(value, 0);
                if let (Some(decl), Some(time)) = (self.lookup(&target.name.name), self.lookup("t"))
                {
                    let want = decl.unit.div(&time.unit.powi(i32::from(*order)));
                    let text = format!("{}/{}", decl.text, power_text(&time.text, *order));
                    let d = Declared {
                        unit: want,
                        text,
                        span: decl.span,
                    };
                    let shown = format!("{}{}", target.name.name, "'".repeat(usize::from(*order)));
                    self.compare(&shown, &d, got, value);
                }
            }
            StmtKind::Expr(e) => {
                self.infer(e, 0);
            }
            StmtKind::If {
                cond,
                then,
                else_ifs,
                otherwise,
            } => {
                self.infer(cond, 0);
                self.block(then, Scope::new());
                for (c, b) in else_ifs {
                    self.infer(c, 0);
                    self.block(b, Scope::new());
                }
                if let Some(b) = otherwise {
                    self.block(b, Scope::new());
                }
            }
            StmtKind::While { cond, body } => {
                self.infer(cond, 0);
                self.block(body, Scope::new());
            }
            StmtKind::FromTo {
                var,
                from,
                to,
                by,
                body,
            } => {
                self.infer(from, 0);
                self.infer(to, 0);
                if let Some(b) = by {
                    self.infer(b, 0);
                }
                let mut scope = Scope::new();
                scope.insert(var.name.clone(), None);
                self.block(body, scope);
            }
            StmtKind::Solve {
                if_error: Some(b), ..
            } => self.block(b, Scope::new()),
            StmtKind::Reaction(r) => match &r.kind {
                ReactionKind::Reversible {
                    forward, backward, ..
                } => {
                    self.infer(forward, 0);
                    self.infer(backward, 0);
                }
                ReactionKind::Forward { rate, .. } => {
                    self.infer(rate, 0);
                }
                ReactionKind::Flux { flux } => {
                    self.infer(flux, 0);
                }
            },
            StmtKind::Equation { lhs, rhs } | StmtKind::Conserve { lhs, rhs } => {
                self.infer(lhs, 0);
                self.infer(rhs, 0);
            }
            StmtKind::Compartment { volume, .. } => {
                self.infer(volume, 0);
            }
            StmtKind::Watch(pairs) => {
                for (c, f) in pairs {
                    self.infer(c, 0);
                    self.infer(f, 0);
                }
            }
            StmtKind::Initial(b) | StmtKind::Block(b) => self.block(b, Scope::new()),
            _ => {}
        }
    }

    // ----- names ----------------------------------------------------------

    /// The unit of the independent variable (t), normally ms.
    fn time_unit(&self) -> Option<Unit> {
        self.lookup("t").map(|d| d.unit)
    }

    /// The declared unit of a variable visible here, if known.
    fn lookup(&self, name: &str) -> Option<Declared> {
        for scope in self.scopes.iter().rev() {
            if let Some(d) = scope.get(name) {
                return d.clone();
            }
        }
        if let Some(d) = self.globals.get(name) {
            return Some(d.clone());
        }
        let sym = self.symbols.get(name).filter(|s| s.kind.is_variable());
        if let Some(ut) = sym.and_then(|s| s.unit.as_ref())
            && let Ok(unit) = self.table.parse(&ut.text)
            && unit.is_finite()
        {
            return Some(Declared {
                unit,
                text: ut.text.clone(),
                span: Some(ut.span),
            });
        }
        if let Some(text) = sym.and_then(|s| s.implied_unit)
            && !text.is_empty()
            && let Ok(unit) = self.table.parse(text)
            && unit.is_finite()
        {
            return Some(Declared {
                unit,
                text: text.to_string(),
                span: None,
            });
        }
        self.builtins.get(name).map(|&unit| Declared {
            unit,
            text: builtin_text(name).to_string(),
            span: None,
        })
    }

    /// The unit of an assignment target (the function's return unit for its own name).
    fn target_unit(&self, name: &str) -> Option<Declared> {
        if self.current_function.as_deref() == Some(name)
            && !self.scopes.iter().any(|s| s.contains_key(name))
        {
            return self.functions.get(name).and_then(|f| f.ret.clone());
        }
        self.lookup(name)
    }

    // ----- inference ------------------------------------------------------

    fn infer(&mut self, e: &Expr, depth: usize) -> Inferred {
        if depth > MAX_DEPTH {
            return Inferred::Unknown;
        }
        let d = depth + 1;
        match &e.kind {
            ExprKind::Number(_) => Inferred::Number,
            ExprKind::Str(_) => Inferred::Unknown,
            ExprKind::Name(id) => self.name_unit(&id.name),
            ExprKind::Index { name, index } => {
                self.infer(index, d);
                self.name_unit(&name.name)
            }
            ExprKind::Prime { name, order } => match (self.lookup(&name.name), self.time_unit()) {
                (Some(decl), Some(time)) => {
                    Inferred::known(decl.unit.div(&time.powi(i32::from(*order))))
                }
                _ => Inferred::Unknown,
            },
            ExprKind::WithUnit { expr, unit } => {
                self.quiet += 1;
                self.infer(expr, d);
                self.quiet -= 1;
                match self.declared(unit, W_BAD_UNIT, "unit not understood") {
                    Some(decl) => Inferred::known(decl.unit),
                    None => Inferred::Unknown,
                }
            }
            ExprKind::Unary { op, operand } => {
                let x = self.infer(operand, d);
                match op {
                    UnaryOp::Neg => x,
                    UnaryOp::Not => Inferred::Number,
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, d),
            ExprKind::Call { name, args } => self.call(name, args, d),
        }
    }

    fn name_unit(&self, name: &str) -> Inferred {
        if let Some(f) = &self.current_function
            && f == name
            && !self.scopes.iter().any(|s| s.contains_key(name))
        {
            return match self.functions.get(name).and_then(|s| s.ret.clone()) {
                Some(r) => Inferred::known(r.unit),
                None => Inferred::Unknown,
            };
        }
        match self.lookup(name) {
            Some(d) => Inferred::known(d.unit),
            None => Inferred::Unknown,
        }
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, d: usize) -> Inferred {
        use Inferred::*;
        if op == BinaryOp::Pow {
            let base = self.infer(lhs, d);
            self.quiet += 1;
            self.infer(rhs, d);
            self.quiet -= 1;
            return match base {
                Unknown => Unknown,
                Number => Number,
                Known { unit, loose } => match literal_integer(rhs) {
                    Some(n) => Inferred::with(unit.powi(n), loose),
                    None if unit.is_dimensionless() && unit.same_scale(&Unit::dimensionless()) => {
                        Inferred::with(unit, loose)
                    }
                    None => Unknown,
                },
            };
        }
        let a = self.infer(lhs, d);
        let b = self.infer(rhs, d);
        match op {
            BinaryOp::Add | BinaryOp::Sub => match (a, b) {
                (Unknown, _) | (_, Unknown) => Unknown,
                (Number, x) | (x, Number) => x,
                (
                    Known {
                        unit: ua,
                        loose: la,
                    },
                    Known {
                        unit: ub,
                        loose: lb,
                    },
                ) => {
                    let (na, nb) = (ua.without_amount(), ub.without_amount());
                    if na.dim != nb.dim {
                        self.report_sum(op, lhs, rhs, ua, ub, true);
                        Unknown
                    } else {
                        if !la && !lb && !na.same_scale(&nb) {
                            self.report_sum(op, lhs, rhs, ua, ub, false);
                        }
                        Inferred::with(ua, la || lb)
                    }
                }
            },
            BinaryOp::Mul | BinaryOp::Div => {
                let div = op == BinaryOp::Div;
                match (a, b) {
                    (Unknown, _) | (_, Unknown) => Unknown,
                    (Number, Number) => Number,
                    (Known { unit, .. }, Number) => Inferred::with(unit, true),
                    (Number, Known { unit, .. }) => {
                        Inferred::with(if div { unit.recip() } else { unit }, true)
                    }
                    (
                        Known {
                            unit: ua,
                            loose: la,
                        },
                        Known {
                            unit: ub,
                            loose: lb,
                        },
                    ) => {
                        let u = if div { ua.div(&ub) } else { ua.mul(&ub) };
                        Inferred::with(u, la || lb)
                    }
                }
            }
            _ => Number,
        }
    }

    fn call(&mut self, name: &Ident, args: &[Expr], d: usize) -> Inferred {
        let n = name.name.as_str();
        if let Some(sig) = self.functions.get(n).cloned() {
            for (i, arg) in args.iter().enumerate() {
                let got = self.infer(arg, d);
                if let Some((pname, Some(decl))) = sig.params.get(i) {
                    let what = format!("argument `{pname}` of `{n}`");
                    self.compare_arg(&what, decl, got, arg);
                }
            }
            return match sig.ret {
                Some(r) => Inferred::known(r.unit),
                None => Inferred::Unknown,
            };
        }
        if TRANSCENDENTAL.contains(&n) {
            self.quiet += 1;
            for a in args {
                self.infer(a, d);
            }
            self.quiet -= 1;
            return Inferred::known(Unit::dimensionless());
        }
        if RANDOM_LIKE_ARG.contains(&n) {
            self.quiet += 1;
            let first = args.first().map(|a| self.infer(a, d));
            for a in args.iter().skip(1) {
                self.infer(a, d);
            }
            self.quiet -= 1;
            return match first {
                Some(Inferred::Known { unit, .. }) => Inferred::with(unit, true),
                _ => Inferred::Unknown,
            };
        }
        let inferred: Vec<Inferred> = args.iter().map(|a| self.infer(a, d)).collect();
        if SAME_UNIT.contains(&n) {
            return inferred.first().copied().unwrap_or(Inferred::Unknown);
        }
        if n == "sqrt" {
            return match inferred.first() {
                Some(Inferred::Number) => Inferred::Number,
                Some(Inferred::Known { unit, loose }) => {
                    let e = unit.dim.0;
                    if e.iter().all(|x| x % 2 == 0) {
                        let dim = crate::units::Dimension(e.map(|x| x / 2));
                        Inferred::with(Unit::new(unit.scale.sqrt(), dim), *loose)
                    } else {
                        Inferred::Unknown
                    }
                }
                _ => Inferred::Unknown,
            };
        }
        if n == "pow" {
            return match (inferred.first(), args.get(1)) {
                (Some(Inferred::Number), _) => Inferred::Number,
                (Some(Inferred::Known { unit, loose }), Some(ex)) => match literal_integer(ex) {
                    Some(k) => Inferred::with(unit.powi(k), *loose),
                    None => Inferred::Unknown,
                },
                _ => Inferred::Unknown,
            };
        }
        Inferred::Unknown
    }

    // ----- reporting ------------------------------------------------------

    fn active(&self) -> bool {
        self.units_on && self.quiet == 0
    }

    fn report_sum(
        &mut self,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        ua: Unit,
        ub: Unit,
        dimension: bool,
    ) {
        if !self.active() {
            return;
        }
        let verb = if op == BinaryOp::Add {
            "add"
        } else {
            "subtract"
        };
        let d = if dimension {
            Diagnostic::warning(
                W_DIMENSION,
                format!("unit mismatch: cannot {verb} ({ua}) and ({ub})"),
            )
            .with_help(
                "both operands must measure the same quantity; if this is an empirical formula, wrap it in UNITSOFF ... UNITSON",
            )
        } else {
            let f = conversion_factor(&ub, &ua).unwrap_or(f64::NAN);
            Diagnostic::warning(
                W_SCALE,
                format!(
                    "unit scale mismatch: cannot {verb} ({ua}) and ({ub}) without a factor of {}",
                    format_number(f)
                ),
            )
            .with_help(format!(
                "multiply the right operand by ({}) to express it in ({ua})",
                format_number(f)
            ))
        };
        let d = d
            .with_primary(rhs.span, format!("this is ({ub})"))
            .with_secondary(lhs.span, format!("this is ({ua})"));
        self.diags.push(d);
    }

    /// Compares an expression's unit with the unit of the variable it is assigned to.
    fn compare(&mut self, target: &str, want: &Declared, got: Inferred, value: &Expr) {
        if !self.active() {
            return;
        }
        let Inferred::Known { unit, loose } = got else {
            return;
        };
        let (w, g) = (want.unit.without_amount(), unit.without_amount());
        if w.dim != g.dim {
            let mut d = Diagnostic::warning(
                W_DIMENSION,
                format!(
                    "unit mismatch: `{target}` is ({}) but the expression is ({unit})",
                    want.text
                ),
            )
            .with_primary(value.span, format!("this is ({unit})"));
            d = self.with_decl_label(d, target, want);
            let help = if g.is_dimensionless() {
                format!(
                    "the expression has no unit; give its constants units (e.g. `2.5 ({})`), or wrap empirical formulas in UNITSOFF ... UNITSON",
                    want.text
                )
            } else {
                format!(
                    "the expression lacks a factor in {}; check the formula, give its constants units, or wrap empirical formulas in UNITSOFF ... UNITSON",
                    missing_text(&want.text, &w, &g)
                )
            };
            self.diags.push(d.with_help(help));
        } else if !loose && !w.same_scale(&g) {
            let Some(f) = conversion_factor(&g, &w) else {
                return;
            };
            let fs = format_number(f);
            let mut d = Diagnostic::warning(
                W_SCALE,
                format!(
                    "unit scale mismatch: `{target}` is ({}) but the expression is ({unit}); it needs a factor of {fs}",
                    want.text
                ),
            )
            .with_primary(value.span, format!("this is ({unit})"));
            d = self.with_decl_label(d, target, want);
            self.diags.push(d.with_help(format!(
                "multiply by the conversion factor: `{target} = ({fs}) * (...)`"
            )));
        }
    }

    /// Compares an argument's unit with the declared unit of the parameter.
    fn compare_arg(&mut self, what: &str, want: &Declared, got: Inferred, arg: &Expr) {
        if !self.active() {
            return;
        }
        let Inferred::Known { unit, loose } = got else {
            return;
        };
        let (w, g) = (want.unit.without_amount(), unit.without_amount());
        let mut d = if w.dim != g.dim {
            Diagnostic::warning(
                W_DIMENSION,
                format!(
                    "unit mismatch: {what} is ({}) but the argument is ({unit})",
                    want.text
                ),
            )
            .with_help("pass a value in the parameter's unit, or change the parameter's unit")
        } else if !loose && !w.same_scale(&g) {
            let Some(f) = conversion_factor(&g, &w) else {
                return;
            };
            let fs = format_number(f);
            Diagnostic::warning(
                W_SCALE,
                format!(
                    "unit scale mismatch: {what} is ({}) but the argument is ({unit}); it needs a factor of {fs}",
                    want.text
                ),
            )
            .with_help(format!("multiply the argument by ({fs})"))
        } else {
            return;
        };
        d = d.with_primary(arg.span, format!("this is ({unit})"));
        if let Some(sp) = want.span {
            d = d.with_secondary(sp, format!("declared ({}) here", want.text));
        }
        self.diags.push(d);
    }

    fn with_decl_label(&self, d: Diagnostic, target: &str, want: &Declared) -> Diagnostic {
        match want.span {
            Some(sp) => d.with_secondary(sp, format!("`{target}` declared ({}) here", want.text)),
            None => {
                let base = target.trim_end_matches('\'');
                d.with_note(format!(
                    "`{base}` is a built-in variable in ({})",
                    builtin_text(base)
                ))
            }
        }
    }
}

/// Readable text for the unit that turns `got` into `want`: a familiar unit
/// when there is one (`/mV-ms`), else the quotient of the two (`(1/ms)/(mV)`).
fn missing_text(want_text: &str, want: &Unit, got: &Unit) -> String {
    let m = want.div(got);
    let shown = m.to_string();
    let familiar = !shown.contains(' ') && !shown.starts_with(|c: char| c.is_ascii_digit());
    if familiar {
        format!("({shown})")
    } else {
        format!("({want_text})/({got})")
    }
}

/// The unit text of a built-in variable.
fn builtin_text(name: &str) -> &'static str {
    match name {
        "v" => "mV",
        "t" | "dt" => "ms",
        "celsius" => "degC",
        "area" => "um2",
        "diam" => "um",
        _ => "?",
    }
}

/// `ms`, `ms2`, ... for a derivative of the given order.
fn power_text(time: &str, order: u8) -> String {
    if order <= 1 {
        time.to_string()
    } else {
        format!("{time}{order}")
    }
}

/// The value of an integer literal exponent (`2`, `-1`, `3.0`).
fn literal_integer(e: &Expr) -> Option<i32> {
    match &e.kind {
        ExprKind::Number(n) if n.value.fract() == 0.0 && n.value.abs() <= 64.0 => {
            Some(n.value as i32)
        }
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => literal_integer(operand).map(|v| -v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp() -> Span {
        Span::new(0, 0, 0)
    }
    fn id(n: &str) -> Ident {
        Ident {
            name: n.to_string(),
            span: sp(),
        }
    }
    fn ut(t: &str) -> UnitText {
        UnitText {
            text: t.to_string(),
            span: sp(),
        }
    }
    fn ex(kind: ExprKind) -> Expr {
        Expr { kind, span: sp() }
    }
    fn name(n: &str) -> Expr {
        ex(ExprKind::Name(id(n)))
    }
    fn num(v: f64) -> Expr {
        ex(ExprKind::Number(Number {
            value: v,
            text: v.to_string(),
            span: sp(),
        }))
    }
    fn bin(op: BinaryOp, a: Expr, b: Expr) -> Expr {
        ex(ExprKind::Binary {
            op,
            lhs: Box::new(a),
            rhs: Box::new(b),
        })
    }
    fn decl(n: &str, unit: &str) -> VarDecl {
        VarDecl {
            name: id(n),
            array: None,
            value: None,
            unit: Some(ut(unit)),
            limits: None,
            from_to: None,
            start: None,
            span: sp(),
        }
    }
    fn item(kind: ItemKind) -> Item {
        Item { kind, span: sp() }
    }
    fn assign(target: &str, value: Expr) -> Stmt {
        Stmt {
            kind: StmtKind::Assign {
                target: LValue {
                    name: id(target),
                    index: None,
                    span: sp(),
                },
                value,
                protect: false,
            },
            span: sp(),
        }
    }
    fn module(decls: Vec<VarDecl>, stmts: Vec<Stmt>) -> Module {
        Module {
            items: vec![
                item(ItemKind::Declare {
                    kind: DeclKind::Assigned,
                    decls,
                }),
                item(ItemKind::Breakpoint(Block { stmts, span: sp() })),
            ],
            span: sp(),
        }
    }
    fn codes(m: &Module) -> Vec<&'static str> {
        let mut map = SourceMap::new();
        map.add("x.mod", "");
        check_units(m, &SymbolTable::default(), &map)
            .iter()
            .map(|d| d.code)
            .collect()
    }

    #[test]
    fn ohmic_current_is_clean() {
        let m = module(
            vec![decl("g", "S/cm2"), decl("e", "mV"), decl("i", "mA/cm2")],
            vec![assign(
                "i",
                bin(
                    BinaryOp::Mul,
                    name("g"),
                    bin(BinaryOp::Sub, name("v"), name("e")),
                ),
            )],
        );
        assert!(codes(&m).is_empty());
    }

    #[test]
    fn dimension_and_scale_mismatches() {
        let m = module(
            vec![
                decl("g", "S/cm2"),
                decl("i", "mA"),
                decl("j", "nA"),
                decl("k", "mA"),
            ],
            vec![
                assign("i", bin(BinaryOp::Mul, name("g"), name("v"))),
                assign("j", name("k")),
                assign("j", bin(BinaryOp::Mul, num(1e6), name("k"))),
            ],
        );
        assert_eq!(codes(&m), vec![W_DIMENSION, W_SCALE]);
    }

    #[test]
    fn unitsoff_silences() {
        let mut m = module(
            vec![decl("i", "mA")],
            vec![
                Stmt {
                    kind: StmtKind::UnitsOff,
                    span: sp(),
                },
                assign("i", name("v")),
            ],
        );
        assert!(codes(&m).is_empty());
        m.items.insert(0, item(ItemKind::UnitsOff));
        assert!(codes(&m).is_empty());
    }

    #[test]
    fn deep_expressions_do_not_overflow() {
        let mut e = name("v");
        for _ in 0..5000 {
            e = bin(BinaryOp::Add, e, num(1.0));
        }
        let m = module(vec![decl("x", "mV")], vec![assign("x", e)]);
        assert!(codes(&m).is_empty());
    }
}
