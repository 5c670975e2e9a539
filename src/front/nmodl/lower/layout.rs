//! Where every module-level name lives: per-instance fields, globals,
//! folded constants or engine values, following nocmodl's rules:
//! RANGE PARAMETERs and every STATE are fields, other PARAMETERs are
//! globals; ASSIGNED variables are fields unless listed GLOBAL; `v` is a
//! voltage field; USEION variables are ion fields; `t`, `dt`, `celsius`,
//! `area` and `diam` are engine values whatever the file declares.

use super::consts;
use crate::diag::{Diagnostic, Span};
use crate::front::nmodl::ast::{self, DeclKind, ItemKind, NeuronStmtKind};
use crate::front::nmodl::sema::{SymbolKind, SymbolTable};
use crate::ir::{
    Field, FieldId, FieldKind, FuncId, Global, GlobalId, IonId, IonUse, LocalId, MechKind,
    Mechanism, NodeArray, SharedVar,
};
use std::collections::HashMap;

/// What a module-level name means in the IR.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Binding {
    /// A per-instance field.
    Field(FieldId),
    /// A mechanism-wide global.
    Global(GlobalId),
    /// A folded constant.
    Const(f64),
    /// An engine scalar.
    Shared(SharedVar),
    /// A per-node engine array.
    Node(NodeArray),
}

/// One USEION variable and how it is copied.
#[derive(Clone, Debug)]
pub struct IonVar {
    /// The variable's name (`ena`, `cai`, `ina`).
    pub name: String,
    /// The ion.
    pub ion: IonId,
    /// Its field.
    pub field: FieldId,
    /// Listed after READ.
    pub read: bool,
    /// Listed after WRITE.
    pub write: bool,
    /// `i<ion>`: a current.
    pub current: bool,
    /// `<ion>i` / `<ion>o`: a concentration.
    pub conc: bool,
}

/// A current summed into the cable equation.
#[derive(Clone, Debug)]
pub struct Current {
    /// Its field.
    pub field: FieldId,
    /// The ion it belongs to, for `i<ion>` currents.
    pub ion: Option<IonId>,
}

/// The state of lowering one module.
pub struct Context<'a> {
    /// The syntax tree.
    pub module: &'a ast::Module,
    /// The symbol table from sema.
    pub symbols: &'a SymbolTable,
    /// The mechanism being built.
    pub mech: Mechanism,
    /// Module-level names.
    pub names: HashMap<String, Binding>,
    /// FUNCTION and PROCEDURE ids by name.
    pub funcs: HashMap<String, FuncId>,
    /// FUNCTION_TABLE indices by name.
    pub tables: HashMap<String, usize>,
    /// Equation blocks by name.
    pub solvables: HashMap<String, (ast::SolvableKind, &'a ast::Block, &'a [ast::Ident])>,
    /// Equation blocks being inlined at a SOLVE, outermost first (a block
    /// that SOLVEs itself, directly or not, is an error, not a loop).
    pub solving: Vec<String>,
    /// USEION variables.
    pub ion_vars: Vec<IonVar>,
    /// Currents in NEURON-block order.
    pub currents: Vec<Current>,
    /// True when any current is an ELECTRODE_CURRENT (signs flip).
    pub electrode: bool,
    /// The voltage field (absent for artificial cells).
    pub v_field: Option<FieldId>,
    /// Errors found.
    pub diags: Vec<Diagnostic>,
    /// Warnings found (they do not stop lowering).
    pub diags_warn: Vec<Diagnostic>,
}

impl<'a> Context<'a> {
    /// A context with an empty mechanism.
    pub fn new(module: &'a ast::Module, symbols: &'a SymbolTable) -> Self {
        let (name, kind) = mechanism_name_kind(module);
        Context {
            module,
            symbols,
            mech: Mechanism {
                name,
                kind,
                ions: Vec::new(),
                fields: Vec::new(),
                globals: Vec::new(),
                net_receive_args: Vec::new(),
                kernels: Vec::new(),
                functions: Vec::new(),
                global_arrays: Vec::new(),
                watches: Vec::new(),
                function_tables: Vec::new(),
                randoms: Vec::new(),
            },
            names: HashMap::new(),
            funcs: HashMap::new(),
            tables: HashMap::new(),
            solvables: HashMap::new(),
            solving: Vec::new(),
            ion_vars: Vec::new(),
            currents: Vec::new(),
            electrode: false,
            v_field: None,
            diags: Vec::new(),
            diags_warn: Vec::new(),
        }
    }

    /// Records an error.
    pub fn error(&mut self, code: &'static str, span: Span, message: String, label: &str) {
        self.diags.push(super::error(code, span, message, label));
    }

    /// Builds fields, globals, ions, constants and the name map.
    pub fn build_layout(&mut self) {
        self.builtins();
        self.constants();
        self.ions();
        self.randoms();
        self.declarations();
        self.leftovers();
        self.usetable();
        self.currents();
        self.callables();
    }

    fn builtins(&mut self) {
        if self.mech.kind != MechKind::ArtificialCell {
            let id = self.add_field("v", FieldKind::Voltage, Some("mV".into()), 0.0, 1, false);
            self.v_field = Some(id);
        }
        let shared = [
            ("t", Binding::Shared(SharedVar::T)),
            ("dt", Binding::Shared(SharedVar::Dt)),
            ("celsius", Binding::Shared(SharedVar::Celsius)),
            ("flag", Binding::Shared(SharedVar::Flag)),
            ("area", Binding::Node(NodeArray::Area)),
            ("diam", Binding::Node(NodeArray::Diam)),
            ("pi", Binding::Const(std::f64::consts::PI)),
            ("secondorder", Binding::Const(0.0)),
        ];
        for (n, b) in shared {
            self.names.insert(n.into(), b);
        }
        if let Some(v) = self.v_field {
            self.names.insert("v".into(), Binding::Field(v));
        }
    }

    fn constants(&mut self) {
        for (name, value) in consts::fold(self.module) {
            self.names.insert(name, Binding::Const(value));
        }
    }

    /// RANDOM statements: one stream per name and instance.
    fn randoms(&mut self) {
        for s in neuron_stmts(self.module) {
            if let NeuronStmtKind::Random(ids) = &s.kind {
                for id in ids {
                    if !self.mech.randoms.contains(&id.name) {
                        self.mech.randoms.push(id.name.clone());
                    }
                }
            }
        }
    }

    /// USEION statements: one [`IonUse`] per ion, one field per variable.
    fn ions(&mut self) {
        let module = self.module;
        for s in neuron_stmts(module) {
            let NeuronStmtKind::UseIon {
                ion,
                read,
                write,
                valence,
            } = &s.kind
            else {
                continue;
            };
            let id = match self.mech.ions.iter().position(|u| u.name == ion.name) {
                Some(i) => IonId::new(i),
                None => {
                    self.mech.ions.push(IonUse {
                        name: ion.name.clone(),
                        read: Vec::new(),
                        write: Vec::new(),
                        valence: None,
                    });
                    IonId::new(self.mech.ions.len() - 1)
                }
            };
            if let Some(v) = valence {
                self.mech.ions[id].valence = Some(v.value);
            }
            for (list, is_write) in [(read, false), (write, true)] {
                for var in list {
                    self.ion_var(id, &ion.name, &var.name, is_write);
                }
            }
        }
    }

    fn ion_var(&mut self, ion: IonId, ion_name: &str, var: &str, write: bool) {
        let use_ = &mut self.mech.ions[ion];
        let list = if write {
            &mut use_.write
        } else {
            &mut use_.read
        };
        if !list.iter().any(|n| n == var) {
            list.push(var.to_string());
        }
        if let Some(iv) = self.ion_vars.iter_mut().find(|iv| iv.name == var) {
            if write {
                iv.write = true;
            } else {
                iv.read = true;
            }
            return;
        }
        let sym = self.symbols.get(var);
        let unit = sym.and_then(|s| {
            s.unit
                .as_ref()
                .map(|u| u.text.clone())
                .or(s.implied_unit.map(str::to_string))
        });
        let is_state = sym.is_some_and(|s| s.kind == SymbolKind::State);
        let len = sym.and_then(|s| s.array_len).unwrap_or(1);
        let kind = if is_state {
            FieldKind::State
        } else {
            FieldKind::Ion { ion }
        };
        let field = self.add_field(var, kind, unit, 0.0, len, false);
        self.names.insert(var.to_string(), Binding::Field(field));
        let current = var.strip_prefix('i') == Some(ion_name);
        let conc =
            var.strip_suffix('i') == Some(ion_name) || var.strip_suffix('o') == Some(ion_name);
        self.ion_vars.push(IonVar {
            name: var.to_string(),
            ion,
            field,
            read: !write,
            write,
            current,
            conc,
        });
    }

    /// PARAMETER, ASSIGNED, STATE (and DEPEND) declarations in source order.
    fn declarations(&mut self) {
        let module = self.module;
        for item in &module.items {
            let ItemKind::Declare { kind, decls } = &item.kind else {
                continue;
            };
            for d in decls {
                let name = d.name.name.as_str();
                // A declared `flag` is an ordinary variable outside
                // NET_RECEIVE (inside, `flag` is always the event's flag).
                if self.names.contains_key(name) && name != "flag" {
                    continue;
                }
                let Some(sym) = self.symbols.get(name) else {
                    continue;
                };
                let unit = d.unit.as_ref().map(|u| u.text.clone());
                let default = d.value.as_ref().map_or(0.0, |n| n.value);
                let len = sym.array_len.unwrap_or(1);
                let binding = match kind {
                    DeclKind::Parameter if sym.range => {
                        let f =
                            self.add_field(name, FieldKind::Parameter, unit, default, len, true);
                        Binding::Field(f)
                    }
                    DeclKind::Parameter => self.global_or_array(name, default, unit, true, len),
                    DeclKind::Constant => Binding::Const(default),
                    DeclKind::Assigned | DeclKind::Depend if sym.global => {
                        self.global_or_array(name, default, unit, true, len)
                    }
                    DeclKind::Assigned | DeclKind::Depend => {
                        let kind = if sym.pointer {
                            FieldKind::Pointer
                        } else {
                            FieldKind::Assigned
                        };
                        let range = sym.range || sym.current;
                        Binding::Field(self.add_field(name, kind, unit, default, len, range))
                    }
                    DeclKind::State => {
                        let f = self.add_field(name, FieldKind::State, unit, 0.0, len, true);
                        self.state_start(name, d.start.as_ref().map_or(0.0, |n| n.value));
                        Binding::Field(f)
                    }
                    DeclKind::Independent => Binding::Shared(SharedVar::T),
                };
                self.names.insert(name.to_string(), binding);
            }
        }
    }

    /// The implicit `x0` of a STATE `x` (NEURON's initial value when
    /// INITIAL does not set `x`) is a global; START gives its value.
    fn state_start(&mut self, state: &str, start: f64) {
        let init = format!("{state}0");
        if self.names.contains_key(&init) {
            return;
        }
        if let Some(s) = self.symbols.get(&init)
            && s.span.is_none()
        {
            let g = self.add_global(&init, start, None, false);
            self.names.insert(init, Binding::Global(g));
        }
    }

    /// The implicit `usetable` of a file with a TABLE (see the symbol
    /// table): a settable global, 1 by default, that the TABLE lookups of
    /// the solve pass test.
    fn usetable(&mut self) {
        if self.names.contains_key("usetable") {
            return;
        }
        if let Some(s) = self.symbols.get("usetable")
            && s.span.is_none()
            && s.kind == SymbolKind::Parameter
        {
            let g = self.add_global("usetable", 1.0, None, true);
            self.names
                .insert("usetable".to_string(), Binding::Global(g));
        }
    }

    /// Names declared only in the NEURON block (RANGE/GLOBAL of undeclared
    /// names, POINTERs not in ASSIGNED), in source order.
    fn leftovers(&mut self) {
        let mut rest: Vec<_> = self
            .symbols
            .symbols
            .values()
            .filter(|s| s.span.is_some() && !self.names.contains_key(&s.name))
            .filter(|s| {
                matches!(
                    s.kind,
                    SymbolKind::Assigned | SymbolKind::Pointer | SymbolKind::External
                )
            })
            .collect();
        rest.sort_by_key(|s| s.span.map(|sp| (sp.file, sp.start)));
        for s in rest {
            let binding = if s.global {
                Binding::Global(self.add_global(&s.name, 0.0, None, true))
            } else {
                // An EXTERNAL name refers to another mechanism's variable:
                // a pointer the engine sets, like POINTER.
                let kind = if s.pointer || s.kind == SymbolKind::External {
                    FieldKind::Pointer
                } else {
                    FieldKind::Assigned
                };
                let unit = s.implied_unit.map(str::to_string);
                Binding::Field(self.add_field(&s.name, kind, unit, 0.0, 1, s.range || s.current))
            };
            self.names.insert(s.name.clone(), binding);
        }
    }

    /// Ion currents (WRITE i<ion>) and NONSPECIFIC/ELECTRODE currents in
    /// the order the NEURON block lists them.
    fn currents(&mut self) {
        let module = self.module;
        for s in neuron_stmts(module) {
            match &s.kind {
                NeuronStmtKind::UseIon { ion, write, .. } => {
                    for w in write {
                        if w.name.strip_prefix('i') == Some(ion.name.as_str())
                            && let Some(iv) = self.ion_vars.iter().find(|iv| iv.name == w.name)
                            && !self.currents.iter().any(|c| c.field == iv.field)
                        {
                            self.currents.push(Current {
                                field: iv.field,
                                ion: Some(iv.ion),
                            });
                        }
                    }
                }
                NeuronStmtKind::NonspecificCurrent(ids) | NeuronStmtKind::ElectrodeCurrent(ids) => {
                    if matches!(s.kind, NeuronStmtKind::ElectrodeCurrent(_)) {
                        self.electrode = true;
                    }
                    for id in ids {
                        if let Some(Binding::Field(f)) = self.names.get(&id.name).copied()
                            && !self.currents.iter().any(|c| c.field == f)
                        {
                            self.currents.push(Current {
                                field: f,
                                ion: None,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// FUNCTION/PROCEDURE ids, FUNCTION_TABLE indices and equation blocks.
    fn callables(&mut self) {
        let module = self.module;
        for item in &module.items {
            match &item.kind {
                ItemKind::Function(fd) | ItemKind::Procedure(fd) => {
                    if self.funcs.contains_key(&fd.name.name) {
                        continue;
                    }
                    let id = FuncId::new(self.mech.functions.len());
                    self.mech.functions.push(crate::ir::Function {
                        name: fd.name.name.clone(),
                        params: fd.params.len(),
                        locals: Vec::new(),
                        result: LocalId::new(0),
                        body: Vec::new(),
                        returns_value: matches!(item.kind, ItemKind::Function(_)),
                    });
                    self.funcs.insert(fd.name.name.clone(), id);
                }
                ItemKind::FunctionTable { name, .. } => {
                    self.tables
                        .insert(name.name.clone(), self.mech.function_tables.len());
                    self.mech.function_tables.push(name.name.clone());
                }
                ItemKind::Solvable {
                    kind,
                    name,
                    solvefor,
                    body,
                } => {
                    self.solvables
                        .insert(name.name.clone(), (*kind, body, solvefor.as_slice()));
                }
                _ => {}
            }
        }
    }

    fn global_or_array(
        &mut self,
        name: &str,
        default: f64,
        unit: Option<String>,
        settable: bool,
        len: usize,
    ) -> Binding {
        if len > 1 {
            // A GLOBAL array: one field per instance holds the same values.
            let f = self.add_field(name, FieldKind::Assigned, unit, default, len, false);
            return Binding::Field(f);
        }
        Binding::Global(self.add_global(name, default, unit, settable))
    }

    /// Appends a field and returns its id.
    pub fn add_field(
        &mut self,
        name: &str,
        kind: FieldKind,
        unit: Option<String>,
        default: f64,
        len: usize,
        range: bool,
    ) -> FieldId {
        self.mech.fields.push(Field {
            name: name.to_string(),
            kind,
            unit,
            default,
            len: len.max(1),
            range,
        });
        FieldId::new(self.mech.fields.len() - 1)
    }

    /// Appends a global and returns its id.
    pub fn add_global(
        &mut self,
        name: &str,
        default: f64,
        unit: Option<String>,
        settable: bool,
    ) -> GlobalId {
        self.mech.globals.push(Global {
            name: name.to_string(),
            default,
            unit,
            settable,
        });
        GlobalId::new(self.mech.globals.len() - 1)
    }
}

/// Every statement of every NEURON block.
pub fn neuron_stmts(module: &ast::Module) -> impl Iterator<Item = &ast::NeuronStmt> {
    module.items.iter().flat_map(|i| match &i.kind {
        ItemKind::Neuron(s) => s.as_slice(),
        _ => &[],
    })
}

/// The mechanism's name and kind from its NEURON block (a file without
/// one is a density mechanism named after nothing, as in nocmodl).
pub fn mechanism_name_kind(module: &ast::Module) -> (String, MechKind) {
    for s in neuron_stmts(module) {
        match &s.kind {
            NeuronStmtKind::Suffix(n) => return (n.name.clone(), MechKind::Density),
            NeuronStmtKind::PointProcess(n) => return (n.name.clone(), MechKind::PointProcess),
            NeuronStmtKind::ArtificialCell(n) => {
                return (n.name.clone(), MechKind::ArtificialCell);
            }
            _ => {}
        }
    }
    (String::new(), MechKind::Density)
}
