//! Warnings about module-level declarations: an ASSIGNED or STATE that
//! nothing refers to (W0201), and a STATE that nothing ever changes (W0203).
//!
//! Names NEURON can see from outside are never reported: RANGE, GLOBAL,
//! ion variables, currents, POINTERs, and every PARAMETER (NEURON makes a
//! PARAMETER not listed in RANGE a GLOBAL, so hoc and other mechanisms can
//! use it). Neither are declarations of NEURON's own variables (`v`,
//! `celsius`, ...) or names VERBATIM code mentions.

use super::builtins;
use super::resolve::Usage;
use super::symbols::{SymbolKind, SymbolTable};
use crate::diag::Diagnostic;
use std::collections::{HashMap, HashSet};

/// The unused-declaration warnings, in no particular order.
pub fn check(
    table: &SymbolTable,
    usage: &HashMap<String, Usage>,
    verbatim_names: &HashSet<String>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for sym in table.symbols.values() {
        let Some(span) = sym.span else { continue };
        let block = match sym.kind {
            SymbolKind::Assigned => "ASSIGNED",
            SymbolKind::State => "STATE",
            _ => continue,
        };
        if sym.is_exposed()
            || builtins::variable(&sym.name).is_some()
            || verbatim_names.contains(&sym.name)
        {
            continue;
        }
        let u = usage.get(&sym.name).copied().unwrap_or_default();
        if !u.read && !u.written {
            out.push(
                Diagnostic::warning("W0201", format!("{block} `{}` is never used", sym.name))
                    .with_primary(span, "declared here")
                    .with_help(format!(
                        "remove `{}` from {block}, or list it in RANGE or GLOBAL if hoc sets or reads it",
                        sym.name
                    )),
            );
        } else if sym.kind == SymbolKind::State && !u.written {
            out.push(
                Diagnostic::warning("W0203", format!("STATE `{}` never changes", sym.name))
                    .with_primary(span, "declared here")
                    .with_help(format!(
                        "give `{}` an equation (`{}' = ...` in a DERIVATIVE block, or a reaction) or declare it in ASSIGNED or PARAMETER",
                        sym.name, sym.name
                    )),
            );
        }
    }
    out
}
