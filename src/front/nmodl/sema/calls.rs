//! Checks of one call `f(a, b)`: the callee is a function (E0306), the
//! argument count matches (E0304), and a PROCEDURE used as a value is
//! pointed out (W0305: NEURON's C gives it the value 0).

use super::builtins::{self, Arity};
use super::symbols::{Symbol, SymbolKind};
use crate::diag::{Diagnostic, Span};
use crate::front::nmodl::ast::Ident;

/// Checks a call of `sym` with `argc` arguments. `value` says whether the
/// call's result is used in an expression; `span` is the whole call.
pub fn check(
    sym: &Symbol,
    name: &Ident,
    argc: usize,
    value: bool,
    span: Span,
) -> Option<Diagnostic> {
    let (arity, what) = match &sym.kind {
        SymbolKind::Function { arity } => (Arity::exact(*arity), "FUNCTION"),
        SymbolKind::FunctionTable { arity } => (Arity::exact(*arity), "FUNCTION_TABLE"),
        SymbolKind::Procedure { arity } => {
            if value && Arity::exact(*arity).accepts(argc) {
                return Some(procedure_as_value(sym, name));
            }
            (Arity::exact(*arity), "PROCEDURE")
        }
        SymbolKind::BuiltinFunction { .. } => {
            let arity = builtins::function(&name.name)
                .map(|b| b.arity)
                .unwrap_or(Arity::at_least(0));
            (arity, "built-in function")
        }
        SymbolKind::External => return None,
        SymbolKind::Solvable(_) => {
            return Some(not_callable(name, sym.kind.describe()).with_help(format!(
                "equation blocks are run by `SOLVE {} METHOD ...` in BREAKPOINT, not called",
                name.name
            )));
        }
        k => return Some(not_callable(name, k.describe())),
    };
    if arity.accepts(argc) {
        return None;
    }
    let want = arity.describe();
    let plural = if arity.fixed() == Some(1) { "" } else { "s" };
    let mut d = Diagnostic::error(
        "E0304",
        format!(
            "{what} `{}` takes {want} argument{plural} but {argc} {} given",
            name.name,
            if argc == 1 { "was" } else { "were" }
        ),
    )
    .with_primary(
        span,
        format!(
            "called with {argc} argument{}",
            if argc == 1 { "" } else { "s" }
        ),
    );
    if let Some(first) = sym.span {
        d = d.with_secondary(first, "defined here");
    }
    Some(d.with_help(format!("pass {want} argument{plural} to `{}`", name.name)))
}

fn procedure_as_value(sym: &Symbol, name: &Ident) -> Diagnostic {
    let mut d = Diagnostic::warning(
        "W0305",
        format!("PROCEDURE `{}` used as a value is 0", name.name),
    )
    .with_primary(name.span, "used as a value here");
    if let Some(first) = sym.span {
        d = d.with_secondary(first, "defined as a PROCEDURE here");
    }
    d.with_note(
        "NEURON translates a PROCEDURE into C that ends with `return 0;`, so its value is 0 (or the number a VERBATIM `return` gives); nmc does the same",
    )
    .with_help(format!(
        "call `{}(...)` as a statement on its own line, or make it a FUNCTION that assigns its result to `{}`",
        name.name, name.name
    ))
}

/// E0306: `name(...)` where `name` is not a function; `what` says what it is.
pub fn not_callable(name: &Ident, what: &str) -> Diagnostic {
    Diagnostic::error("E0306", format!("`{}` is not a function", name.name))
        .with_primary(name.span, format!("this is {what}"))
        .with_help(format!(
            "remove the parentheses to use `{}` as a value, or call a FUNCTION or PROCEDURE",
            name.name
        ))
}
