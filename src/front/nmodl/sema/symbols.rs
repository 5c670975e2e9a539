//! The module-level symbol table: what each name is, its unit, and how it
//! is exposed to NEURON (RANGE, GLOBAL, ion variable, current, pointer).

use crate::diag::Span;
use crate::front::nmodl::ast::{SolvableKind, UnitText};
use std::collections::HashMap;

/// What a module-level name is.
#[derive(Clone, Debug, PartialEq)]
pub enum SymbolKind {
    /// Declared in PARAMETER.
    Parameter,
    /// Declared in CONSTANT.
    Constant,
    /// Declared in ASSIGNED.
    Assigned,
    /// Declared in STATE.
    State,
    /// Declared in INDEPENDENT.
    Independent,
    /// Declared in DEPEND.
    Depend,
    /// Named constant from the UNITS block (`FARADAY`).
    UnitConstant,
    /// `DEFINE NAME n`.
    Define,
    /// An ion variable from USEION (e.g. `ena`, `ina`, `cai`) not otherwise declared.
    IonVariable {
        /// The ion's name.
        ion: String,
    },
    /// A FUNCTION with its number of arguments.
    Function {
        /// Number of parameters.
        arity: usize,
    },
    /// A PROCEDURE with its number of arguments.
    Procedure {
        /// Number of parameters.
        arity: usize,
    },
    /// A FUNCTION_TABLE with its number of arguments.
    FunctionTable {
        /// Number of parameters.
        arity: usize,
    },
    /// A DERIVATIVE/KINETIC/LINEAR/NONLINEAR/DISCRETE block.
    Solvable(SolvableKind),
    /// A POINTER or BBCOREPOINTER variable not declared in ASSIGNED.
    Pointer,
    /// A RANDOM variable.
    Random,
    /// A name listed in EXTERNAL (defined by another mechanism or hoc).
    External,
    /// A built-in variable (`v`, `t`, `dt`, `celsius`, `area`, `diam`, ...).
    BuiltinVariable,
    /// A built-in function (`exp`, `net_send`, ...); `None` arity means the
    /// count is not fixed (see [`super::builtins::function`] for the range).
    BuiltinFunction {
        /// Number of arguments, if fixed.
        arity: Option<usize>,
    },
}

impl SymbolKind {
    /// True for names that hold a value (variables of any kind).
    pub fn is_variable(&self) -> bool {
        !self.is_callable() && !matches!(self, SymbolKind::Solvable(_))
    }

    /// True for FUNCTION, PROCEDURE, FUNCTION_TABLE and built-in functions.
    pub fn is_callable(&self) -> bool {
        matches!(
            self,
            SymbolKind::Function { .. }
                | SymbolKind::Procedure { .. }
                | SymbolKind::FunctionTable { .. }
                | SymbolKind::BuiltinFunction { .. }
        )
    }

    /// How NMODL calls this kind of name, for messages ("a PARAMETER").
    pub fn describe(&self) -> &'static str {
        match self {
            SymbolKind::Parameter => "a PARAMETER",
            SymbolKind::Constant => "a CONSTANT",
            SymbolKind::Assigned => "an ASSIGNED variable",
            SymbolKind::State => "a STATE",
            SymbolKind::Independent => "the INDEPENDENT variable",
            SymbolKind::Depend => "a DEPEND variable",
            SymbolKind::UnitConstant => "a UNITS constant",
            SymbolKind::Define => "a DEFINE constant",
            SymbolKind::IonVariable { .. } => "an ion variable",
            SymbolKind::Function { .. } => "a FUNCTION",
            SymbolKind::Procedure { .. } => "a PROCEDURE",
            SymbolKind::FunctionTable { .. } => "a FUNCTION_TABLE",
            SymbolKind::Solvable(k) => match k {
                SolvableKind::Derivative => "a DERIVATIVE block",
                SolvableKind::Kinetic => "a KINETIC block",
                SolvableKind::Linear => "a LINEAR block",
                SolvableKind::NonLinear => "a NONLINEAR block",
                SolvableKind::Discrete => "a DISCRETE block",
            },
            SymbolKind::Pointer => "a POINTER",
            SymbolKind::Random => "a RANDOM stream",
            SymbolKind::External => "an EXTERNAL name",
            SymbolKind::BuiltinVariable => "a built-in variable",
            SymbolKind::BuiltinFunction { .. } => "a built-in function",
        }
    }
}

/// How a variable takes part in a USEION statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IonUse {
    /// The ion (`na`, `ca`, ...).
    pub ion: String,
    /// Listed after READ.
    pub read: bool,
    /// Listed after WRITE.
    pub write: bool,
}

/// One module-level name.
#[derive(Clone, Debug, PartialEq)]
pub struct Symbol {
    /// The name.
    pub name: String,
    /// What it is.
    pub kind: SymbolKind,
    /// Declared unit, if any.
    pub unit: Option<UnitText>,
    /// Where it was declared (`None` for built-ins).
    pub span: Option<Span>,
    /// Array length, if an array.
    pub array_len: Option<usize>,
    /// Listed in RANGE.
    pub range: bool,
    /// Listed in GLOBAL.
    pub global: bool,
    /// Set when the name appears in a USEION statement.
    pub ion: Option<IonUse>,
    /// Listed in NONSPECIFIC_CURRENT or ELECTRODE_CURRENT.
    pub current: bool,
    /// Listed in POINTER or BBCOREPOINTER.
    pub pointer: bool,
    /// The unit NEURON gives the name when the file declares none: built-in
    /// variables (`v` is `mV`) and undeclared ion variables (`ena` is `mV`,
    /// `cai` is `mM`, `ina` is `mA/cm2`, or `nA` in a point process).
    pub implied_unit: Option<&'static str>,
}

impl Symbol {
    /// A symbol with no flags set.
    pub fn new(name: impl Into<String>, kind: SymbolKind, span: Option<Span>) -> Self {
        Symbol {
            name: name.into(),
            kind,
            unit: None,
            span,
            array_len: None,
            range: false,
            global: false,
            ion: None,
            current: false,
            pointer: false,
            implied_unit: None,
        }
    }

    /// True when NEURON or hoc can see or set the name from outside the
    /// file, so never referring to it inside is not suspicious.
    pub fn is_exposed(&self) -> bool {
        self.range || self.global || self.ion.is_some() || self.current || self.pointer
    }
}

/// Module-level names by name.
#[derive(Clone, Debug, Default)]
pub struct SymbolTable {
    /// All symbols.
    pub symbols: HashMap<String, Symbol>,
}

impl SymbolTable {
    /// Looks a name up.
    pub fn get(&self, name: &str) -> Option<&Symbol> {
        self.symbols.get(name)
    }

    /// Looks a name up for changing its flags.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Symbol> {
        self.symbols.get_mut(name)
    }

    /// Adds or replaces a symbol.
    pub fn insert(&mut self, symbol: Symbol) {
        self.symbols.insert(symbol.name.clone(), symbol);
    }

    /// All names, for "did you mean" suggestions.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.symbols.keys().map(String::as_str)
    }
}
