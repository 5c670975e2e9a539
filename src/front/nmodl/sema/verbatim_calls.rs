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
/// and FUNCTIONs by its NMODL statements, and drops a VERBATIM `return;`
/// or `return <number>;` that ends an INITIAL or NET_RECEIVE block (it
/// leaves the block where the block ends anyway).
pub fn translate(module: &mut Module) {
    for item in &mut module.items {
        if let ItemKind::Initial(b) | ItemKind::NetReceive { body: b, .. } = &mut item.kind
            && let Some(StmtKind::Verbatim(text)) = b.stmts.last().map(|s| &s.kind)
            && matches!(
                super::verbatim::idiom(text),
                Some(super::verbatim::Idiom::Return(_))
            )
        {
            b.stmts.pop();
        }
    }
    let fresh = ion_reads(module);
    if !fresh.is_empty() {
        for item in &mut module.items {
            if let Some(b) = body_mut(&mut item.kind) {
                drop_ion_rereads(b, &fresh);
            }
        }
    }
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

/// The body of an item that has statements.
fn body_mut(kind: &mut ItemKind) -> Option<&mut Block> {
    match kind {
        ItemKind::Initial(b)
        | ItemKind::Breakpoint(b)
        | ItemKind::Constructor(b)
        | ItemKind::Destructor(b)
        | ItemKind::Solvable { body: b, .. }
        | ItemKind::NetReceive { body: b, .. }
        | ItemKind::Before { body: b, .. }
        | ItemKind::After { body: b, .. } => Some(b),
        ItemKind::Procedure(fd) | ItemKind::Function(fd) => Some(&mut fd.body),
        _ => None,
    }
}

/// The ion variables the mechanism reads (USEION ... READ) and that
/// nothing writes: no WRITE, no assignment or equation in NMODL. For
/// them the C `x = _ion_x;` (copy the ion's value into the mechanism's
/// variable) changes nothing: the variable already holds that value,
/// copied in when the block began, and nothing changes the ion's value
/// while one mechanism's block runs.
fn ion_reads(module: &Module) -> HashSet<String> {
    use crate::front::nmodl::ast::NeuronStmtKind;
    let mut reads = HashSet::new();
    let mut written = HashSet::new();
    for item in &module.items {
        if let ItemKind::Neuron(stmts) = &item.kind {
            for st in stmts {
                if let NeuronStmtKind::UseIon { read, write, .. } = &st.kind {
                    reads.extend(read.iter().map(|i| i.name.clone()));
                    written.extend(write.iter().map(|i| i.name.clone()));
                }
            }
        }
    }
    fn assigned(b: &Block, out: &mut HashSet<String>) {
        for s in &b.stmts {
            match &s.kind {
                StmtKind::Assign { target, .. } | StmtKind::Derivative { target, .. } => {
                    out.insert(target.name.name.clone());
                }
                // a reaction or equation may solve for the name
                StmtKind::Reaction(_) | StmtKind::Equation { .. } | StmtKind::Conserve { .. } => {
                    out.insert(String::new());
                }
                other => {
                    for b in other.nested_blocks() {
                        assigned(b, out);
                    }
                }
            }
        }
    }
    let mut items = module.items.clone();
    for item in &mut items {
        if let Some(b) = body_mut(&mut item.kind) {
            assigned(b, &mut written);
        }
    }
    if written.contains("") {
        // reactions name states in ways this walk does not follow
        return HashSet::new();
    }
    reads.retain(|r| !written.contains(r));
    reads
}

/// Whether the C text is only `x = _ion_x;` copies of names in `fresh`.
fn only_ion_rereads(text: &str, fresh: &HashSet<String>) -> bool {
    let Some(code) = strip_comments(text) else {
        return false;
    };
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(body) = compact.strip_suffix(';') else {
        return false;
    };
    !body.is_empty()
        && body.split(';').all(|one| {
            one.split_once('=').is_some_and(|(lhs, rhs)| {
                fresh.contains(lhs) && rhs.strip_prefix("_ion_") == Some(lhs)
            })
        })
}

fn drop_ion_rereads(b: &mut Block, fresh: &HashSet<String>) {
    b.stmts.retain_mut(|s| match &mut s.kind {
        StmtKind::Verbatim(text) => !only_ion_rereads(text, fresh),
        StmtKind::If {
            then,
            else_ifs,
            otherwise,
            ..
        } => {
            drop_ion_rereads(then, fresh);
            for (_, b) in else_ifs {
                drop_ion_rereads(b, fresh);
            }
            if let Some(b) = otherwise {
                drop_ion_rereads(b, fresh);
            }
            true
        }
        StmtKind::While { body, .. }
        | StmtKind::FromTo { body, .. }
        | StmtKind::Initial(body)
        | StmtKind::Block(body) => {
            drop_ion_rereads(body, fresh);
            true
        }
        _ => true,
    });
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
    if code.contains('"') {
        return printf_statements(&code, span, names);
    }
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

/// C text made only of `printf("format", ARGS);` statements, each ARG a
/// number or `_lNAME` of a parameter or LOCAL: NMODL's `printf`, which
/// NEURON passes to C as written. The format is kept as written (its
/// escapes are read as NMODL's printf reads them).
fn printf_statements(code: &str, span: Span, names: &HashSet<String>) -> Option<Vec<Stmt>> {
    let mut out = Vec::new();
    let mut rest = code.trim();
    while !rest.is_empty() {
        let after = rest.strip_prefix("printf")?.trim_start();
        let after = after.strip_prefix('(')?.trim_start();
        let inner = after.strip_prefix('"')?;
        // the closing quote: the first `"` not escaped
        let mut end = None;
        let mut escaped = false;
        for (i, c) in inner.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = Some(i);
                    break;
                }
                _ => escaped = false,
            }
        }
        let end = end?;
        let format = &inner[..end];
        let tail = &inner[end + 1..];
        let close = tail.find(')')?;
        let arg_text: String = tail[..close]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let after_call = tail[close + 1..].trim_start();
        rest = after_call.strip_prefix(';')?.trim_start();
        let mut args = vec![Expr {
            kind: ExprKind::Str(format.to_string()),
            span,
        }];
        if !arg_text.is_empty() {
            for a in arg_text.strip_prefix(',')?.split(',') {
                let kind = if let Some(name) = a.strip_prefix("_l").filter(|n| names.contains(*n)) {
                    ExprKind::Name(Ident {
                        name: name.to_string(),
                        span,
                    })
                } else {
                    ExprKind::Number(Number {
                        value: number(a)?,
                        text: a.to_string(),
                        span,
                    })
                };
                args.push(Expr { kind, span });
            }
        }
        let call = Expr {
            kind: ExprKind::Call {
                name: Ident {
                    name: "printf".to_string(),
                    span,
                },
                args,
            },
            span,
        };
        out.push(Stmt {
            kind: StmtKind::Expr(call),
            span,
        });
    }
    (!out.is_empty()).then_some(out)
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
        // printf of numbers and the routine's own names
        assert_eq!(
            show("printf(\"seed = %g, %g\\n\", _lx, 2);", None).map(|v| v.len()),
            Some(2 - 1)
        );
        assert_eq!(
            show("printf(\"a\\n\"); printf(\"b %g\\n\", _lm);", None).map(|v| v.len()),
            Some(2)
        );
        assert_eq!(show("printf(\"%g\\n\", tau);", None), None);
        assert_eq!(show("printf(\"%g\\n\", f(_lx));", None), None);
        assert_eq!(show("fprintf(stderr, \"x\");", None), None);
    }

    fn codes(text: &str) -> Vec<&'static str> {
        let mut map = crate::diag::SourceMap::new();
        let checked = crate::front::nmodl::check_source(&mut map, "t.mod", text);
        checked.diagnostics.iter().map(|d| d.code).collect()
    }

    #[test]
    fn ion_rereads_only_of_ion_variables_nothing_writes() {
        let c = "BREAKPOINT {\nVERBATIM\ncai = _ion_cai;\nENDVERBATIM\n}\n";
        let read = format!("NEURON {{ SUFFIX t USEION ca READ cai }}\nASSIGNED {{ cai }}\n{c}");
        assert!(!codes(&read).contains(&"E0401"));
        let written =
            format!("NEURON {{ SUFFIX t USEION ca READ cai WRITE cai }}\nASSIGNED {{ cai }}\n{c}");
        assert!(codes(&written).contains(&"E0401"));
        let assigned = format!("{read}INITIAL {{ cai = 1 }}\n");
        assert!(codes(&assigned).contains(&"E0401"));
        let other = read.replace("cai = _ion_cai;", "cai = _ion_cao;");
        assert!(codes(&other).contains(&"E0401"));
        let scaled = read.replace("cai = _ion_cai;", "cai = 2*_ion_cai;");
        assert!(codes(&scaled).contains(&"E0401"));
    }
}
