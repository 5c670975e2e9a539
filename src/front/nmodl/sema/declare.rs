//! Builds the [`SymbolTable`] from a module's declarations and reports
//! problems with the declarations themselves: duplicates (E0202), currents
//! not declared in ASSIGNED (E0209), USEION names that are not variables of
//! the ion (E0212), RANGE/GLOBAL names declared nowhere (W0202), and
//! declarations nocmodl refuses although nmc can read them (W0206 `t`,
//! W0207 an `x0` of a STATE `x` that is not a PARAMETER).

use super::builtins;
use super::symbols::{IonUse, Symbol, SymbolKind, SymbolTable};
use crate::diag::Diagnostic;
use crate::front::nmodl::ast::{
    ArrayLen, DeclKind, Ident, Item, ItemKind, Module, NeuronStmtKind, StmtKind, UnitDefKind,
    UnitText, VarDecl,
};
use std::collections::HashMap;

/// Builds the symbol table and returns it with the declaration diagnostics.
pub fn build(module: &Module) -> (SymbolTable, Vec<Diagnostic>) {
    let mut b = Builder::default();
    b.builtins();
    b.defines(&module.items);
    for item in &module.items {
        b.item(item);
    }
    b.initial_values();
    b.usetable(module);
    b.neuron_block(module);
    (b.table, b.diags)
}

#[derive(Default)]
struct Builder {
    table: SymbolTable,
    diags: Vec<Diagnostic>,
    defines: HashMap<String, usize>,
}

impl Builder {
    fn builtins(&mut self) {
        for v in builtins::VARIABLES {
            let mut s = Symbol::new(v.name, SymbolKind::BuiltinVariable, None);
            if !v.unit.is_empty() {
                s.implied_unit = Some(v.unit);
            }
            self.table.insert(s);
        }
        for f in builtins::FUNCTIONS {
            let kind = SymbolKind::BuiltinFunction {
                arity: f.arity.fixed(),
            };
            self.table.insert(Symbol::new(f.name, kind, None));
        }
    }

    /// A file with a TABLE has the implicit GLOBAL PARAMETER `usetable`
    /// (NEURON's `usetable_<suffix>`, 1 by default; 0 computes instead of
    /// looking up), which the file may read, unless it declares the name.
    fn usetable(&mut self, module: &Module) {
        let has_table = module.items.iter().any(|item| match &item.kind {
            ItemKind::Function(f) | ItemKind::Procedure(f) => f
                .body
                .stmts
                .iter()
                .any(|s| matches!(s.kind, StmtKind::Table { .. })),
            _ => false,
        });
        if has_table && self.table.get("usetable").is_none() {
            let mut s = Symbol::new("usetable", SymbolKind::Parameter, None);
            s.global = true;
            self.table.insert(s);
        }
    }

    /// Every STATE `x` has an implicit PARAMETER `x0`, its initial value
    /// when INITIAL does not set `x` (NEURON's rule), unless the file
    /// declares `x0` itself.
    fn initial_values(&mut self) {
        let states: Vec<(String, Option<UnitText>)> = self
            .table
            .symbols
            .values()
            .filter(|s| s.kind == SymbolKind::State && s.span.is_some())
            .map(|s| (s.name.clone(), s.unit.clone()))
            .collect();
        for (name, unit) in states {
            let init = format!("{name}0");
            if let Some(other) = self.table.get(&init)
                && other.kind != SymbolKind::Parameter
                && let Some(span) = other.span
            {
                let what = other.kind.describe();
                self.diags.push(
                    Diagnostic::warning(
                        "W0207",
                        format!("`{init}` declared as {what}: nocmodl rejects this file"),
                    )
                    .with_primary(span, format!("`{init}` is the initial value of STATE `{name}`"))
                    .with_help(format!(
                        "NEURON makes `{init}` the PARAMETER that starts STATE `{name}`; nocmodl stops with \"can't be declared a parameter by default\", nmc keeps your declaration: rename `{init}` or declare it in PARAMETER"
                    )),
                );
            }
            if self.table.get(&init).is_none() {
                let mut s = Symbol::new(init, SymbolKind::Parameter, None);
                s.unit = unit;
                self.table.insert(s);
            }
        }
    }

    fn defines(&mut self, items: &[Item]) {
        for item in items {
            if let ItemKind::Define { name, value } = &item.kind
                && value.value >= 0.0
                && value.value.fract() == 0.0
            {
                self.defines.insert(name.name.clone(), value.value as usize);
            }
        }
    }

    /// Declares a user name; reports a duplicate when a user declaration
    /// of the same name exists. Built-ins are silently replaced.
    fn declare(&mut self, ident: &Ident, kind: SymbolKind) -> Option<&mut Symbol> {
        if let Some(prev) = self.table.get(&ident.name)
            && let Some(first) = prev.span
        {
            let what = prev.kind.describe();
            self.diags.push(
                Diagnostic::error("E0202", format!("`{}` is declared twice", ident.name))
                    .with_primary(ident.span, "declared again here")
                    .with_secondary(first, format!("first declared here as {what}"))
                    .with_help("remove one declaration or rename one of them"),
            );
            return None;
        }
        let mut sym = Symbol::new(ident.name.clone(), kind, Some(ident.span));
        if let Some(old) = self.table.get(&ident.name) {
            // A built-in variable the file redeclares keeps NEURON's unit hint.
            sym.implied_unit = old.implied_unit;
        }
        self.table.insert(sym);
        self.table.get_mut(&ident.name)
    }

    fn var_decl(&mut self, d: &VarDecl, kind: SymbolKind) {
        if d.name.name == "t" && kind != SymbolKind::Independent {
            let what = kind.describe();
            self.diags.push(
                Diagnostic::warning(
                    "W0206",
                    format!("`t` declared as {what}: nocmodl rejects this file"),
                )
                .with_primary(d.name.span, "NEURON's time, declared again")
                .with_help(
                    "`t` is the time, declared by NEURON; nocmodl stops with \"multiple uses for same variable\", nmc reads `t` as the time: remove this declaration",
                ),
            );
        }
        let len = d.array.as_ref().and_then(|a| match a {
            ArrayLen::Number(n) if n.value >= 0.0 => Some(n.value as usize),
            ArrayLen::Number(_) => None,
            ArrayLen::Name(id) => self.defines.get(&id.name).copied(),
        });
        if let Some(s) = self.declare(&d.name, kind) {
            s.unit = d.unit.clone();
            s.array_len = len;
        }
    }

    fn item(&mut self, item: &Item) {
        match &item.kind {
            ItemKind::Define { name, .. } => {
                self.declare(name, SymbolKind::Define);
            }
            ItemKind::Units(defs) => {
                for def in defs {
                    if let UnitDefKind::Constant { name, unit, .. } = &def.kind
                        && let Some(s) = self.declare(name, SymbolKind::UnitConstant)
                    {
                        s.unit = unit.clone();
                    }
                }
            }
            ItemKind::Declare { kind, decls } => {
                let sk = match kind {
                    DeclKind::Parameter => SymbolKind::Parameter,
                    DeclKind::Constant => SymbolKind::Constant,
                    DeclKind::Assigned => SymbolKind::Assigned,
                    DeclKind::State => SymbolKind::State,
                    DeclKind::Independent => SymbolKind::Independent,
                    DeclKind::Depend => SymbolKind::Depend,
                };
                for d in decls {
                    self.var_decl(d, sk.clone());
                }
            }
            ItemKind::Solvable { kind, name, .. } => {
                self.declare(name, SymbolKind::Solvable(*kind));
            }
            ItemKind::Procedure(fd) => {
                let arity = fd.params.len();
                self.declare(&fd.name, SymbolKind::Procedure { arity });
            }
            ItemKind::Function(fd) => {
                let arity = fd.params.len();
                if let Some(s) = self.declare(&fd.name, SymbolKind::Function { arity }) {
                    s.unit = fd.unit.clone();
                }
            }
            ItemKind::FunctionTable { name, params, unit } => {
                let arity = params.len();
                if let Some(s) = self.declare(name, SymbolKind::FunctionTable { arity }) {
                    s.unit = unit.clone();
                }
            }
            _ => {}
        }
    }

    /// Applies the NEURON block: ions, currents, pointers, RANDOM,
    /// EXTERNAL, then RANGE and GLOBAL (which need everything declared).
    fn neuron_block(&mut self, module: &Module) {
        let stmts: Vec<_> = module
            .items
            .iter()
            .filter_map(|i| match &i.kind {
                ItemKind::Neuron(s) => Some(s),
                _ => None,
            })
            .flatten()
            .collect();
        let point = stmts.iter().any(|s| {
            matches!(
                s.kind,
                NeuronStmtKind::PointProcess(_) | NeuronStmtKind::ArtificialCell(_)
            )
        });
        for s in &stmts {
            match &s.kind {
                NeuronStmtKind::UseIon {
                    ion, read, write, ..
                } => {
                    for id in read {
                        self.ion_var(ion, id, false, point);
                    }
                    for id in write {
                        self.ion_var(ion, id, true, point);
                    }
                }
                NeuronStmtKind::NonspecificCurrent(ids) | NeuronStmtKind::ElectrodeCurrent(ids) => {
                    for id in ids {
                        self.current(id, point);
                    }
                }
                NeuronStmtKind::Pointer(ids) | NeuronStmtKind::BbcorePointer(ids) => {
                    for id in ids {
                        match self.table.get_mut(&id.name) {
                            Some(sym) if sym.span.is_some() => sym.pointer = true,
                            _ => {
                                let mut sym = Symbol::new(
                                    id.name.clone(),
                                    SymbolKind::Pointer,
                                    Some(id.span),
                                );
                                sym.pointer = true;
                                self.table.insert(sym);
                            }
                        }
                    }
                }
                NeuronStmtKind::Random(ids) => {
                    for id in ids {
                        self.declare(id, SymbolKind::Random);
                    }
                }
                NeuronStmtKind::External(ids) => {
                    for id in ids {
                        if self.table.get(&id.name).is_none_or(|s| s.span.is_none()) {
                            self.table.insert(Symbol::new(
                                id.name.clone(),
                                SymbolKind::External,
                                Some(id.span),
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        for s in &stmts {
            let (ids, global) = match &s.kind {
                NeuronStmtKind::Range(ids) => (ids, false),
                NeuronStmtKind::Global(ids) => (ids, true),
                _ => continue,
            };
            for id in ids {
                match self.table.get_mut(&id.name) {
                    Some(sym) if sym.kind.is_variable() => {
                        if global {
                            sym.global = true;
                        } else {
                            sym.range = true;
                        }
                    }
                    Some(_) => {}
                    None => self.undeclared_exposed(id, global),
                }
            }
        }
    }

    /// A RANGE/GLOBAL name declared nowhere: NEURON creates it as an
    /// ASSIGNED variable, so does nmc, with a warning.
    fn undeclared_exposed(&mut self, id: &Ident, global: bool) {
        let list = if global { "GLOBAL" } else { "RANGE" };
        let mut sym = Symbol::new(id.name.clone(), SymbolKind::Assigned, Some(id.span));
        sym.range = !global;
        sym.global = global;
        self.table.insert(sym);
        self.diags.push(
            Diagnostic::warning(
                "W0202",
                format!(
                    "`{}` is listed in {list} but never declared",
                    id.name
                ),
            )
            .with_primary(id.span, "not declared in PARAMETER, ASSIGNED or STATE")
            .with_help(format!(
                "declare `{}` (with its unit) in PARAMETER or ASSIGNED, or remove it from {list}; it is treated as an ASSIGNED variable without a unit",
                id.name
            )),
        );
    }

    fn ion_var(&mut self, ion: &Ident, id: &Ident, write: bool, point: bool) {
        let role = ion_role(&ion.name, &id.name);
        let Some(role) = role else {
            let i = &ion.name;
            self.diags.push(
                Diagnostic::error(
                    "E0212",
                    format!("`{}` is not a variable of the ion `{i}`", id.name),
                )
                .with_primary(id.span, format!("not one of e{i}, i{i}, {i}i, {i}o"))
                .with_secondary(ion.span, "the ion")
                .with_help(format!(
                    "USEION {i} can READ or WRITE `e{i}` (reversal potential), `i{i}` (current), `{i}i` and `{i}o` (concentrations)"
                )),
            );
            return;
        };
        let implied = match role {
            IonRole::Reversal => "mV",
            IonRole::Current if point => "nA",
            IonRole::Current => "mA/cm2",
            IonRole::Concentration => "mM",
            IonRole::Conductance => "S/cm2",
        };
        let sym = match self.table.get_mut(&id.name) {
            Some(s) if s.span.is_some() && s.kind.is_variable() => s,
            _ => {
                let mut s = Symbol::new(
                    id.name.clone(),
                    SymbolKind::IonVariable {
                        ion: ion.name.clone(),
                    },
                    Some(id.span),
                );
                s.implied_unit = Some(implied);
                self.table.insert(s);
                match self.table.get_mut(&id.name) {
                    Some(s) => s,
                    None => return,
                }
            }
        };
        let usage = sym.ion.get_or_insert(IonUse {
            ion: ion.name.clone(),
            read: false,
            write: false,
        });
        if write {
            usage.write = true;
        } else {
            usage.read = true;
        }
    }

    fn current(&mut self, id: &Ident, point: bool) {
        match self.table.get_mut(&id.name) {
            Some(s) if s.span.is_some() && s.kind.is_variable() => s.current = true,
            _ => {
                let unit = if point { "nA" } else { "mA/cm2" };
                self.diags.push(
                    Diagnostic::error(
                        "E0209",
                        format!("current `{}` is not declared in ASSIGNED", id.name),
                    )
                    .with_primary(id.span, "declared as a current here")
                    .with_help(format!("add `{} ({unit})` to the ASSIGNED block", id.name)),
                );
                let mut s = Symbol::new(id.name.clone(), SymbolKind::Assigned, Some(id.span));
                s.current = true;
                s.implied_unit = Some(unit);
                self.table.insert(s);
            }
        }
    }
}

/// What an ion variable is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IonRole {
    Reversal,
    Current,
    Concentration,
    Conductance,
}

/// NEURON's naming rule for the variables of ion `ion`: `e<ion>`,
/// `i<ion>`, `<ion>i`, `<ion>o`, and the conductance `di<ion>dv`.
fn ion_role(ion: &str, name: &str) -> Option<IonRole> {
    if name.strip_prefix('e') == Some(ion) {
        Some(IonRole::Reversal)
    } else if name.strip_prefix('i') == Some(ion) {
        Some(IonRole::Current)
    } else if name.strip_suffix('i') == Some(ion) || name.strip_suffix('o') == Some(ion) {
        Some(IonRole::Concentration)
    } else if name.strip_prefix("di").and_then(|r| r.strip_suffix("dv")) == Some(ion) {
        Some(IonRole::Conductance)
    } else {
        None
    }
}
