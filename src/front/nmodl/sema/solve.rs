//! Checks of `SOLVE name METHOD m`: the block exists (E0301), the method
//! is known (E0303), suits the block (E0302), and is one nmc implements
//! (E0402).

use super::builtins::{self, METHODS};
use super::symbols::{SymbolKind, SymbolTable};
use crate::diag::Diagnostic;
use crate::diag::suggest;
use crate::front::nmodl::ast::{Ident, SolvableKind};

/// Checks one SOLVE statement.
pub fn check(
    table: &SymbolTable,
    block: &Ident,
    method: Option<&Ident>,
    steadystate: Option<&Ident>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Some(sym) = table.get(&block.name) else {
        let candidates = table
            .symbols
            .values()
            .filter(|s| {
                matches!(
                    s.kind,
                    SymbolKind::Solvable(_) | SymbolKind::Procedure { .. }
                )
            })
            .map(|s| s.name.as_str());
        let help = match suggest::closest(&block.name, candidates) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "define `DERIVATIVE {} {{ }}` (or KINETIC, LINEAR, NONLINEAR) for SOLVE to solve",
                block.name
            ),
        };
        out.push(
            Diagnostic::error(
                "E0301",
                format!("SOLVE names `{}`, which is not defined", block.name),
            )
            .with_primary(block.span, "no block with this name")
            .with_help(help),
        );
        return out;
    };
    let target = match &sym.kind {
        SymbolKind::Solvable(k) => Some(*k),
        SymbolKind::Procedure { .. } => None,
        k => {
            let what = k.describe();
            let mut d = Diagnostic::error(
                "E0301",
                format!(
                    "SOLVE names `{}`, which is not a block that can be solved",
                    block.name
                ),
            )
            .with_primary(block.span, format!("this is {what}"));
            if let Some(first) = sym.span {
                d = d.with_secondary(first, "declared here");
            }
            let mut blocks: Vec<&str> = table
                .symbols
                .values()
                .filter(|s| matches!(s.kind, SymbolKind::Solvable(_)))
                .map(|s| s.name.as_str())
                .collect();
            blocks.sort_unstable();
            let help = match blocks.as_slice() {
                [one] => format!(
                    "SOLVE takes the name of a DERIVATIVE, KINETIC, LINEAR or NONLINEAR block: did you mean `SOLVE {one}`?"
                ),
                _ => "SOLVE takes the name of a DERIVATIVE, KINETIC, LINEAR or NONLINEAR block"
                    .to_string(),
            };
            out.push(d.with_help(help));
            return out;
        }
    };
    for m in method.into_iter().chain(steadystate) {
        if let Some(d) = check_method(m, target, block) {
            out.push(d);
        }
    }
    out
}

fn check_method(m: &Ident, target: Option<SolvableKind>, block: &Ident) -> Option<Diagnostic> {
    let Some(meth) = builtins::method(&m.name) else {
        // Name only the methods that suit the block being solved.
        let known: Vec<&str> = METHODS
            .iter()
            .filter(|x| x.supports(target))
            .filter(|x| match target {
                Some(k) => x.blocks.contains(&k),
                None => x.blocks.is_empty(),
            })
            .map(|x| x.name)
            .collect();
        let what = match target {
            Some(k) => format!(
                "nmc's methods for a {} block are",
                builtins::solvable_keyword(k)
            ),
            None => "nmc's methods for a PROCEDURE are".to_string(),
        };
        let help = match suggest::closest(&m.name, known.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? {what} {}", list(&known)),
            None if known.is_empty() => "nmc has no method for this kind of block".to_string(),
            None => format!("{what} {}", list(&known)),
        };
        return Some(
            Diagnostic::error("E0303", format!("unknown integration method `{}`", m.name))
                .with_primary(m.span, "not a method")
                .with_help(help),
        );
    };
    let fits = match target {
        Some(k) => meth.blocks.contains(&k),
        None => meth.blocks.is_empty(),
    };
    if !fits {
        let (what, good) = match target {
            Some(k) => (
                format!("a {} block", builtins::solvable_keyword(k)),
                builtins::supported_for(k),
            ),
            None => (
                "a PROCEDURE".to_string(),
                vec!["after_cvode", "cvode_t", "cvode_t_v"],
            ),
        };
        let help = if good.is_empty() {
            "nmc has no method for this kind of block".to_string()
        } else {
            format!("use {}", list(&good))
        };
        return Some(
            Diagnostic::error("E0302", format!("method `{}` cannot solve {what}", m.name))
                .with_primary(m.span, format!("`{}` is {what}", block.name))
                .with_help(help),
        );
    }
    if !meth.supports(target) {
        let good = target.map(builtins::supported_for).unwrap_or_default();
        let help = if good.is_empty() {
            match target {
                Some(k) => format!(
                    "nmc has no method for {} blocks yet",
                    builtins::solvable_keyword(k)
                ),
                None => "nmc has no method for this kind of block".to_string(),
            }
        } else {
            format!("use {} instead", list(&good))
        };
        return Some(
            Diagnostic::error(
                "E0402",
                format!("method `{}` is not supported by nmc", m.name),
            )
            .with_primary(
                m.span,
                "NEURON accepts this method; nmc does not implement it",
            )
            .with_help(help),
        );
    }
    None
}

fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}
