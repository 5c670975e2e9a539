//! VERBATIM C code: nmc compiles no C, so a VERBATIM block is an error
//! (E0401) unless its meaning is certain ([`idiom`]):
//! - nothing at all: empty, only C comments, or only `#include`s of
//!   standard C/C++ headers (the generated C includes them anyway);
//! - `return;` inside an `if` ("leave this block now"), or anywhere in a
//!   PROCEDURE;
//! - `return 0;` (any number) in a PROCEDURE, whose value no caller reads,
//!   or in a FUNCTION, which then returns that number.
//!
//! The help line names what nmc offers instead when the C text shows what
//! it was for.

use crate::diag::{Diagnostic, Span};
use crate::front::nmodl::ast::{Block, ItemKind, Module, StmtKind};
use std::collections::HashSet;

/// Every identifier mentioned in any VERBATIM block of the module.
pub fn module_identifiers(module: &Module) -> HashSet<String> {
    let mut out = HashSet::new();
    for item in &module.items {
        match &item.kind {
            ItemKind::Verbatim(text) if idiom(text).is_none() => out.extend(identifiers(text)),
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
            StmtKind::Verbatim(text) if idiom(text).is_none() => out.extend(identifiers(text)),
            other => {
                for b in other.nested_blocks() {
                    block_identifiers(b, out);
                }
            }
        }
    }
}

/// A VERBATIM block whose meaning is certain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Idiom {
    /// No code: empty, comments, standard `#include`s.
    Nothing,
    /// `return;` (`None`) or `return <number>;`.
    Return(Option<f64>),
}

/// Standard C and C++ headers: including them changes nothing the
/// mechanism computes.
const STANDARD_HEADERS: &[&str] = &[
    "stdio.h", "stdlib.h", "math.h", "string.h", "limits.h", "float.h", "time.h", "errno.h",
    "stdint.h", "assert.h", "ctype.h", "cstdio", "cstdlib", "cmath", "cstring", "climits",
    "cfloat", "ctime", "cerrno", "cstdint", "cassert", "cctype",
];

/// What the C text means when nmc can tell for certain; `None` for any
/// other C.
pub fn idiom(text: &str) -> Option<Idiom> {
    let code = strip_comments(text)?;
    let mut lines = code.lines().map(str::trim).filter(|l| !l.is_empty());
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Some(Idiom::Nothing);
    }
    if lines.all(is_standard_include) || is_version_string(&code) {
        return Some(Idiom::Nothing);
    }
    let value = compact.strip_prefix("return")?.strip_suffix(';')?;
    if value.is_empty() {
        return Some(Idiom::Return(None));
    }
    let value = value
        .strip_prefix('(')
        .and_then(|v| v.strip_suffix(')'))
        .unwrap_or(value);
    let number = value.strip_suffix('.').unwrap_or(value);
    if number.is_empty()
        || !number
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return None;
    }
    number.parse::<f64>().ok().map(|v| Idiom::Return(Some(v)))
}

fn is_standard_include(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('#') else {
        return false;
    };
    let Some(header) = rest.trim_start().strip_prefix("include") else {
        return false;
    };
    let header = header.trim();
    let name = header
        .strip_prefix('<')
        .and_then(|h| h.strip_suffix('>'))
        .or_else(|| header.strip_prefix('"').and_then(|h| h.strip_suffix('"')));
    name.is_some_and(|n| STANDARD_HEADERS.contains(&n.trim()))
}

/// The C text without its `/* */` and `//` comments (comments become a
/// space; line breaks are kept; string and character literals are kept
/// as written, and a `/*` or `//` inside one is no comment). `None` when
/// a `/*`, string or character literal is never closed: then nmc does
/// not claim to understand the text.
pub(crate) fn strip_comments(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                loop {
                    let x = chars.next()?;
                    if prev == '*' && x == '/' {
                        break;
                    }
                    if x == '\n' {
                        out.push('\n');
                    }
                    prev = x;
                }
                out.push(' ');
            }
            '/' if chars.peek() == Some(&'/') => {
                for x in chars.by_ref() {
                    if x == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' | '\'' => {
                out.push(c);
                loop {
                    let x = chars.next()?;
                    out.push(x);
                    if x == '\\' {
                        out.push(chars.next()?);
                    } else if x == c {
                        break;
                    } else if x == '\n' {
                        return None;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

/// A declaration of a version string nothing reads (`static const char
/// rcsid[] = "$Id: ... $";`, as RCS keyword expansion left in many
/// published files): data the mechanism never uses.
fn is_version_string(code: &str) -> bool {
    let t = code.trim();
    let Some(rest) = t.strip_prefix("static") else {
        return false;
    };
    let rest = rest.trim_start();
    let rest = rest.strip_prefix("const").map_or(rest, str::trim_start);
    let Some(rest) = rest.strip_prefix("char") else {
        return false;
    };
    let Some((name, value)) = rest.split_once('=') else {
        return false;
    };
    let name: String = name.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(ident) = name.strip_suffix("[]") else {
        return false;
    };
    let value = value.trim();
    !ident.is_empty()
        && ident.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && value.starts_with('"')
        && value.ends_with("\";")
        && value[1..value.len() - 2]
            .chars()
            .all(|c| c != '"' && c != '\\')
}

/// Removes from `module` every PROCEDURE and FUNCTION whose body holds
/// VERBATIM C that nmc cannot translate (no [`idiom`]) and whose name no
/// other top-level item of the file mentions, and returns one W0403
/// warning for each. Such a routine is reachable only from hoc (NEURON's
/// `noiseFromRandom123()` of NetStim, say), which nmc does not run, so
/// dropping it changes nothing the mechanism computes. "Mentions" is read
/// from the source text of every other item, VERBATIM C included, so a
/// name that C code or a comment inside a block might call keeps its E0401.
pub fn drop_uncalled_c(module: &mut Module, map: &crate::diag::SourceMap) -> Vec<Diagnostic> {
    let candidates: Vec<usize> = module
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| match &item.kind {
            ItemKind::Procedure(fd) | ItemKind::Function(fd) => has_untranslatable(&fd.body),
            _ => false,
        })
        .map(|(i, _)| i)
        .collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    let artificial_cell = super::is_artificial_cell(module);
    let mut dropped = Vec::new();
    let mut warnings = Vec::new();
    for &i in &candidates {
        let (ItemKind::Procedure(fd) | ItemKind::Function(fd)) = &module.items[i].kind else {
            continue;
        };
        let name = &fd.name.name;
        let mentioned = module
            .items
            .iter()
            .enumerate()
            .any(|(j, other)| j != i && identifiers(map.text(other.span)).contains(name));
        if mentioned {
            continue;
        }
        let what = if matches!(module.items[i].kind, ItemKind::Procedure(_)) {
            "PROCEDURE"
        } else {
            "FUNCTION"
        };
        warnings.push(
            Diagnostic::warning(
                "W0403",
                format!("{what} `{name}` holds VERBATIM C and is left out"),
            )
            .with_primary(fd.name.span, "nothing in this file calls it")
            .with_note(format!(
                "in NEURON only hoc or Python can call `{name}`; nmc compiles the mechanism without it"
            ))
            .with_help(if artificial_cell && map.text(module.items[i].span).contains("vector") {
                format!(
                    "calling `{name}` from hoc or NDL is not supported; to play a vector of event times use nmc's built-in VecStim"
                )
            } else {
                format!(
                    "calling `{name}` from hoc or NDL is not supported; if a model needs what it does, write that in NMODL"
                )
            }),
        );
        dropped.push(i);
    }
    let mut index = 0;
    module.items.retain(|_| {
        let keep = !dropped.contains(&index);
        index += 1;
        keep
    });
    warnings
}

/// Whether a block holds a VERBATIM statement with no certain meaning.
fn has_untranslatable(b: &Block) -> bool {
    b.stmts.iter().any(|s| match &s.kind {
        StmtKind::Verbatim(text) => idiom(text).is_none(),
        StmtKind::If {
            then,
            else_ifs,
            otherwise,
            ..
        } => {
            has_untranslatable(then)
                || else_ifs.iter().any(|(_, b)| has_untranslatable(b))
                || otherwise.as_ref().is_some_and(has_untranslatable)
        }
        StmtKind::While { body, .. }
        | StmtKind::FromTo { body, .. }
        | StmtKind::Initial(body)
        | StmtKind::Block(body) => has_untranslatable(body),
        _ => false,
    })
}

/// The E0401 error for a VERBATIM block at `span` with C text `text`.
/// `artificial_cell` says whether the module is an ARTIFICIAL_CELL;
/// `file_c` holds the identifiers of every VERBATIM block of the file
/// (the help names what the file's C as a whole does).
pub fn unsupported(
    text: &str,
    span: Span,
    artificial_cell: bool,
    file_c: &HashSet<String>,
) -> Diagnostic {
    Diagnostic::error("E0401", "VERBATIM C code is not supported")
        .with_primary(span, "nmc does not compile embedded C")
        .with_help(help_for(text, artificial_cell, file_c))
}

fn help_for(text: &str, artificial_cell: bool, file_c: &HashSet<String>) -> String {
    let lower = text.to_lowercase();
    let has = |w: &str| lower.contains(w);
    if file_c.contains("nrn_fake_fire") {
        // NEURON's PatternStim (pattern.mod) and files like it.
        "this C replays (time, gid) spikes that hoc hands over in Vectors (PatternStim's `play(tvec, gidvec)`, kept behind a BBCOREPOINTER) and fires them with `nrn_fake_fire` as if the cells of those gids had spiked; nmc compiles the pattern.mod NEURON ships (recognised by its text), not C like it: replay the spikes with an NDL `input` (`input ps = PatternStim { times = [...] ms; gids = [...] }` is NEURON's PatternStim) or a SONATA spike input (`module: spikes`), which deliver each spike through its source's connections the same way".to_string()
    } else if has("random") || has("scop_random") || has("normrand") || has("nrnran123") {
        "use nmc's built-in random streams (`normrand`, `exprand`, `unirand` ...) instead of C random-number code".to_string()
    } else if artificial_cell && (has("vector") || has("ifarg")) {
        "use nmc's built-in VecStim to play a vector of event times".to_string()
    } else if has("_p_") {
        "this C reads data through a POINTER or BBCOREPOINTER that hoc or CoreNEURON sets; nmc has no hoc objects for it to point to: pass the data as PARAMETERs or a FUNCTION_TABLE instead".to_string()
    } else {
        "rewrite the C code as NMODL statements; the VERBATIM nmc accepts is code-free (comments, standard #includes), a `return` of a number from a PROCEDURE or FUNCTION (`return;` also inside an `if`), or calls like `_lx = scop_random();` on numbers and the routine's own parameters and LOCALs".to_string()
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
    fn idioms_are_recognised_only_when_certain() {
        assert_eq!(idiom(""), Some(Idiom::Nothing));
        assert_eq!(idiom(" /* a note */\n// another\n"), Some(Idiom::Nothing));
        assert_eq!(
            idiom("#include <stdlib.h>\n#include <math.h>\n"),
            Some(Idiom::Nothing)
        );
        assert_eq!(idiom("#include \"nrnran123.h\""), None);
        assert_eq!(idiom(" return 0; "), Some(Idiom::Return(Some(0.0))));
        assert_eq!(idiom("return(1);"), Some(Idiom::Return(Some(1.0))));
        assert_eq!(
            idiom("return 0.; /* done */"),
            Some(Idiom::Return(Some(0.0)))
        );
        assert_eq!(idiom("return x;"), None);
        assert_eq!(idiom("return 0; x = 1;"), None);
        assert_eq!(idiom("/* unclosed"), None);
        assert_eq!(idiom("printf(\"// not a comment\");"), None);
        assert_eq!(
            idiom("/* printf(\"%g %g\\n\", _lv, _ltmp); */"),
            Some(Idiom::Nothing)
        );
        assert_eq!(
            idiom("static const char rcsid[]=\"$Id: hh3.mod,v 1.1 $\";"),
            Some(Idiom::Nothing)
        );
        assert_eq!(idiom("static char v[] = \"x\"; v[0] = 1;"), None);
        assert_eq!(idiom("static double x = 1;"), None);
        assert_eq!(idiom("char *s = \"unclosed;"), None);
    }

    #[test]
    fn early_return_ignores_whitespace() {
        assert_eq!(idiom("  return ;\n"), Some(Idiom::Return(None)));
        assert_eq!(idiom("x = 1; return;"), None);
    }

    fn codes(text: &str) -> Vec<&'static str> {
        let mut map = crate::diag::SourceMap::new();
        let checked = crate::front::nmodl::check_source(&mut map, "t.mod", text);
        checked.diagnostics.iter().map(|d| d.code).collect()
    }

    #[test]
    fn only_uncalled_c_routines_are_left_out() {
        let head = "NEURON { SUFFIX t RANGE a }\nASSIGNED { a }\n";
        let c = "PROCEDURE fromHoc() {\nVERBATIM\n  if (ifarg(1)) { _p_x = 0; }\nENDVERBATIM\n}\n";
        // nothing calls it: a warning, no error
        assert_eq!(codes(&format!("{head}{c}")), vec!["W0403"]);
        // called from NMODL: its C must run, so E0401 stays
        let called = format!("{head}{c}INITIAL {{ fromHoc() }}\n");
        assert!(codes(&called).contains(&"E0401"));
        // named in other C: kept too
        let named = format!("{head}{c}VERBATIM\nstatic void g() {{ fromHoc(); }}\nENDVERBATIM\n");
        assert!(codes(&named).contains(&"E0401"));
        // a FUNCTION whose C is an idiom is no candidate
        let idiom = format!("{head}FUNCTION f() {{\nVERBATIM\nreturn 1;\nENDVERBATIM\n}}\n");
        assert!(!codes(&idiom).contains(&"W0403"));
    }

    #[test]
    fn helps_by_content() {
        let s = Span::default();
        let none = HashSet::new();
        let d = unsupported("_p_donotuse = nrnran123_newstream()", s, false, &none);
        assert!(d.help.unwrap_or_default().contains("random streams"));
        let d = unsupported("if (ifarg(1)) { vector_arg(1); }", s, true, &none);
        assert!(d.help.unwrap_or_default().contains("VecStim"));
        let c = "#define CAST Info** ip = (Info**)(&(_p_ptr))";
        let d = unsupported(c, s, true, &identifiers(c));
        assert!(
            d.help
                .unwrap_or_default()
                .contains("BBCOREPOINTER that hoc")
        );
        let file = identifiers(&format!("{c}\nnrn_fake_fire(gid, t, 0);"));
        let d = unsupported("CAST; Info* info = *ip;", s, true, &file);
        assert!(d.help.unwrap_or_default().contains("NDL `input`"));
    }
}
