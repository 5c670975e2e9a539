//! VERBATIM C that only calls NEURON's random-number library, translated
//! to the NMODL statements that mean exactly the same.
//!
//! NMODL's built-ins `scop_random()`, `set_seed(s)`, `exprand(m)`,
//! `normrand(m, s)` and `unirand()` are compiled by NEURON into calls of
//! the C functions of the same names, so a VERBATIM block made only of
//! such calls, inside a PROCEDURE or FUNCTION, is the NMODL call written in
//! C. Recognised, statement by statement (comments aside):
//!
//! ```text
//! _lNAME = f(ARGS);      NAME = f(ARGS)  (NAME a parameter, LOCAL or the FUNCTION)
//! f(ARGS);               f(ARGS)
//! ```
//!
//! where every argument is a number or `_lNAME` of a parameter or LOCAL
//! of the same routine, and `f` takes the arguments NMODL's built-in
//! takes. Anything else (a cast, a RANGE variable, a pointer, another
//! function) is not translated and keeps its E0401.

use super::verbatim::strip_comments;
use crate::diag::Span;
use crate::front::nmodl::ast::{
    Block, Expr, ExprKind, Ident, ItemKind, LValue, Module, Number, Stmt, StmtKind,
};
use std::collections::HashSet;

/// The C functions translated and how many arguments each takes.
const CALLS: &[(&str, usize)] = &[
    ("scop_random", 0),
    ("unirand", 0),
    ("set_seed", 1),
    ("exprand", 1),
    ("normrand", 2),
];

/// Replaces every translatable VERBATIM block in the module's PROCEDUREs
/// and FUNCTIONs by its NMODL statements.
pub fn translate(module: &mut Module) {
    for item in &mut module.items {
        let is_function = matches!(item.kind, ItemKind::Function(_));
        let (ItemKind::Procedure(fd) | ItemKind::Function(fd)) = &mut item.kind else {
            continue;
        };
        let mut names: HashSet<String> = fd.params.iter().map(|p| p.name.name.clone()).collect();
        collect_locals(&fd.body, &mut names);
        let own = is_function.then(|| fd.name.name.clone());
        translate_block(&mut fd.body, &names, own.as_deref());
    }
}

fn collect_locals(b: &Block, out: &mut HashSet<String>) {
    for s in &b.stmts {
        match &s.kind {
            StmtKind::Local(decls) => out.extend(
                decls
                    .iter()
                    .filter(|d| d.array.is_none())
                    .map(|d| d.name.name.clone()),
            ),
            StmtKind::If {
                then,
                else_ifs,
                otherwise,
                ..
            } => {
                collect_locals(then, out);
                for (_, b) in else_ifs {
                    collect_locals(b, out);
                }
                if let Some(b) = otherwise {
                    collect_locals(b, out);
                }
            }
            StmtKind::While { body, .. }
            | StmtKind::FromTo { body, .. }
            | StmtKind::Block(body) => collect_locals(body, out),
            _ => {}
        }
    }
}

fn translate_block(b: &mut Block, names: &HashSet<String>, own: Option<&str>) {
    let mut out = Vec::with_capacity(b.stmts.len());
    for mut s in std::mem::take(&mut b.stmts) {
        match &mut s.kind {
            StmtKind::Verbatim(text) => {
                if let Some(stmts) = statements(text, s.span, names, own) {
                    out.extend(stmts);
                    continue;
                }
            }
            StmtKind::If {
                then,
                else_ifs,
                otherwise,
                ..
            } => {
                translate_block(then, names, own);
                for (_, b) in else_ifs {
                    translate_block(b, names, own);
                }
                if let Some(b) = otherwise {
                    translate_block(b, names, own);
                }
            }
            StmtKind::While { body, .. }
            | StmtKind::FromTo { body, .. }
            | StmtKind::Block(body) => translate_block(body, names, own),
            _ => {}
        }
        out.push(s);
    }
    b.stmts = out;
}

/// The NMODL statements the C text means, or `None` when any part of it is
/// not a recognised call. Every node carries the VERBATIM block's span.
pub fn statements(
    text: &str,
    span: Span,
    names: &HashSet<String>,
    own: Option<&str>,
) -> Option<Vec<Stmt>> {
    let code = strip_comments(text)?;
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let body = compact.strip_suffix(';')?;
    if body.is_empty() {
        return None;
    }
    let ident = |name: &str| Ident {
        name: name.to_string(),
        span,
    };
    let local = |c: &str| -> Option<String> {
        let name = c.strip_prefix("_l")?;
        names.contains(name).then(|| name.to_string())
    };
    let mut out = Vec::new();
    for one in body.split(';') {
        let (target, call) = match one.split_once('=') {
            Some((lhs, rhs)) => {
                let name = local(lhs).or_else(|| {
                    (own.is_some_and(|f| lhs.strip_prefix("_l") == Some(f)))
                        .then(|| lhs[2..].to_string())
                })?;
                (Some(name), rhs)
            }
            None => (None, one),
        };
        let (f, rest) = call.split_once('(')?;
        let arg_text = rest.strip_suffix(')')?;
        let &(_, arity) = CALLS.iter().find(|(name, _)| *name == f)?;
        let raw: Vec<&str> = if arg_text.is_empty() {
            Vec::new()
        } else {
            arg_text.split(',').collect()
        };
        if raw.len() != arity {
            return None;
        }
        let mut args = Vec::with_capacity(raw.len());
        for a in raw {
            let kind = if let Some(name) = local(a) {
                ExprKind::Name(ident(&name))
            } else {
                let value = number(a)?;
                ExprKind::Number(Number {
                    value,
                    text: a.to_string(),
                    span,
                })
            };
            args.push(Expr { kind, span });
        }
        let value = Expr {
            kind: ExprKind::Call {
                name: ident(f),
                args,
            },
            span,
        };
        let kind = match target {
            Some(name) => StmtKind::Assign {
                target: LValue {
                    name: ident(&name),
                    index: None,
                    span,
                },
                value,
                protect: false,
            },
            None => StmtKind::Expr(value),
        };
        out.push(Stmt { kind, span });
    }
    Some(out)
}

/// A C floating or integer literal without suffixes.
fn number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty()
        || !digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        || !digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
    {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> HashSet<String> {
        ["x", "m"].iter().map(|s| s.to_string()).collect()
    }

    fn show(text: &str, own: Option<&str>) -> Option<Vec<String>> {
        statements(text, Span::default(), &names(), own)
            .map(|v| v.iter().map(|s| format!("{:?}", s.kind)).collect())
    }

    #[test]
    fn recognises_only_exact_calls() {
        assert_eq!(show("_lx = scop_random();", None).map(|v| v.len()), Some(1));
        assert_eq!(
            show(" set_seed(_lx); /* seed */", None).map(|v| v.len()),
            Some(1)
        );
        assert_eq!(
            show("_lr = normrand(0, _lm);", Some("r")).map(|v| v.len()),
            Some(1)
        );
        assert_eq!(
            show("set_seed(3); _lx = exprand(1.5);", None).map(|v| v.len()),
            Some(2)
        );
        // not a LOCAL, parameter or the FUNCTION itself
        assert_eq!(show("_ly = scop_random();", None), None);
        assert_eq!(show("y = scop_random();", None), None);
        // a RANGE variable or a cast: C nmc does not claim to read
        assert_eq!(show("_lx = exprand(tau);", None), None);
        assert_eq!(show("_lx = (double)scop_random();", None), None);
        // wrong arity, other functions, missing `;`
        assert_eq!(show("_lx = normrand(1);", None), None);
        assert_eq!(show("_lx = drand48();", None), None);
        assert_eq!(show("_lx = scop_random()", None), None);
        assert_eq!(show("_lx = nrn_random_pick(_p_donotuse);", None), None);
    }
}
