//! VERBATIM C code: nmc compiles no C, so every VERBATIM block is an error
//! (E0401) except the early-return idiom `if (c) { VERBATIM return; ENDVERBATIM }`,
//! which means "leave this block now". The help line names what nmc offers
//! instead when the C text shows what it was for.

use crate::diag::{Diagnostic, Span};
use crate::front::nmodl::ast::{Block, ItemKind, Module, StmtKind};
use std::collections::HashSet;

/// Every identifier mentioned in any VERBATIM block of the module.
pub fn module_identifiers(module: &Module) -> HashSet<String> {
    let mut out = HashSet::new();
    for item in &module.items {
        match &item.kind {
            ItemKind::Verbatim(text) => out.extend(identifiers(text)),
            ItemKind::Initial(b)
            | ItemKind::Breakpoint(b)
            | ItemKind::Constructor(b)
            | ItemKind::Destructor(b)
            | ItemKind::Solvable { body: b, .. }
            | ItemKind::NetReceive { body: b, .. }
            | ItemKind::Before { body: b, .. }
            | ItemKind::After { body: b, .. } => block_identifiers(b, &mut out),
            ItemKind::Procedure(fd) | ItemKind::Function(fd) => {
                block_identifiers(&fd.body, &mut out)
            }
            _ => {}
        }
    }
    out
}

fn block_identifiers(b: &Block, out: &mut HashSet<String>) {
    for s in &b.stmts {
        match &s.kind {
            StmtKind::Verbatim(text) if !is_early_return(text) => out.extend(identifiers(text)),
            StmtKind::If {
                then,
                else_ifs,
                otherwise,
                ..
            } => {
                block_identifiers(then, out);
                for (_, b) in else_ifs {
                    block_identifiers(b, out);
                }
                if let Some(b) = otherwise {
                    block_identifiers(b, out);
                }
            }
            StmtKind::While { body, .. }
            | StmtKind::FromTo { body, .. }
            | StmtKind::Initial(body)
            | StmtKind::Block(body) => block_identifiers(body, out),
            StmtKind::Solve {
                if_error: Some(b), ..
            } => block_identifiers(b, out),
            _ => {}
        }
    }
}

/// True when the C text is just `return;` (ignoring whitespace).
pub fn is_early_return(text: &str) -> bool {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact == "return;"
}

/// The E0401 error for a VERBATIM block at `span` with C text `text`.
/// `artificial_cell` says whether the module is an ARTIFICIAL_CELL.
pub fn unsupported(text: &str, span: Span, artificial_cell: bool) -> Diagnostic {
    Diagnostic::error("E0401", "VERBATIM C code is not supported")
        .with_primary(span, "nmc does not compile embedded C")
        .with_help(help_for(text, artificial_cell))
}

fn help_for(text: &str, artificial_cell: bool) -> String {
    let lower = text.to_lowercase();
    let has = |w: &str| lower.contains(w);
    if has("random") || has("scop_random") || has("normrand") || has("nrnran123") {
        "use nmc's built-in random streams (`normrand`, `exprand`, `unirand` ...) instead of C random-number code".to_string()
    } else if artificial_cell && (has("vector") || has("ifarg")) {
        "use nmc's built-in VecStim to play a vector of event times".to_string()
    } else {
        "rewrite the C code as NMODL statements; the only VERBATIM nmc accepts is `VERBATIM return; ENDVERBATIM` inside an `if` block".to_string()
    }
}

/// Every C identifier in the text. Names the NMODL code uses that only a
/// VERBATIM block defines are not reported again as undefined.
pub fn identifiers(text: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut cur = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            cur.push(c);
        } else if !cur.is_empty() {
            out.insert(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.insert(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn early_return_ignores_whitespace() {
        assert!(is_early_return("  return ;\n"));
        assert!(!is_early_return("return 0;"));
        assert!(!is_early_return("x = 1; return;"));
    }

    #[test]
    fn helps_by_content() {
        let s = Span::default();
        let d = unsupported("_p_donotuse = nrnran123_newstream()", s, false);
        assert!(d.help.unwrap_or_default().contains("random streams"));
        let d = unsupported("if (ifarg(1)) { vector_arg(1); }", s, true);
        assert!(d.help.unwrap_or_default().contains("VecStim"));
    }
}
