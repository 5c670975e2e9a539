//! The module-level symbol table.

use crate::diag::Span;
use crate::front::nmodl::ast::UnitText;
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
    Solvable(crate::front::nmodl::ast::SolvableKind),
    /// A POINTER or BBCOREPOINTER variable.
    Pointer,
    /// A RANDOM variable.
    Random,
    /// A built-in variable (`v`, `t`, `dt`, `celsius`, `area`, `diam`, ...).
    BuiltinVariable,
    /// A built-in function (`exp`, `net_send`, ...); `None` arity means variadic.
    BuiltinFunction {
        /// Number of arguments, if fixed.
        arity: Option<usize>,
    },
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
    /// Where it was declared (default span for built-ins).
    pub span: Option<Span>,
    /// Array length, if an array.
    pub array_len: Option<usize>,
    /// Listed in RANGE.
    pub range: bool,
    /// Listed in GLOBAL.
    pub global: bool,
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
}
