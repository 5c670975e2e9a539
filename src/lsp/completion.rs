//! Completion. The context comes from the text before the cursor (braces
//! still open, the words just typed), so it works while the file is
//! half-written and does not parse:
//! - `.mod`: block keywords at the top level, NEURON statements inside
//!   NEURON, statement keywords, LOCALs, arguments and declared names in
//!   code blocks;
//! - `.ndl`: statement keywords, the settings of each block, mechanism
//!   names after `insert`/`stimulus`/`synapse x =`, a mechanism's
//!   parameters (with units) inside its block, cell types after `of`,
//!   populations and inputs after `connect` and `->`.
//!
//! Items are filtered by the word being typed (its prefix, ignoring
//! case), and in `.mod` code blocks by position: statement keywords only
//! where a statement starts, values and functions inside an expression
//! (`ina = g`), equation blocks after SOLVE, methods after METHOD.

use super::document::{Document, Facts};
use super::nmodl_names;
use super::workspace::Workspace;
use crate::driver::library::Library;
use crate::front::nmodl::parse::{NEURON_KEYWORDS, STMT_KEYWORDS, TOP_KEYWORDS};
use crate::front::nmodl::sema::{SymbolKind, builtins};
use crate::ir::MechKind;
use crate::ir::interface::Catalogue;
use crate::units::format_number;
use lsp_types::{CompletionItem, CompletionItemKind};

/// Completion items at byte `offset` of `doc`.
pub fn complete(ws: &Workspace, doc: &Document, offset: usize) -> Vec<CompletionItem> {
    let offset = floor_boundary(&doc.text, offset);
    let before = &doc.text[..offset];
    let items = match &doc.facts {
        Facts::Nmodl(_) => nmodl(doc, before, offset),
        Facts::Ndl(f) => {
            let cat = ws.catalogue(f.mech_dir.as_deref()).ok();
            ndl(before, cat.as_deref())
        }
    };
    by_prefix(items, word_prefix(before))
}

/// The name being typed: the name characters right before the cursor.
fn word_prefix(before: &str) -> &str {
    let word = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(before.len(), |(i, _)| i);
    &before[word..]
}

/// The items whose label starts with `prefix`, ignoring case.
fn by_prefix(mut items: Vec<CompletionItem>, prefix: &str) -> Vec<CompletionItem> {
    if !prefix.is_empty() {
        let p = prefix.to_lowercase();
        items.retain(|i| i.label.to_lowercase().starts_with(&p));
    }
    items
}

/// Where the cursor is within an NMODL statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Position {
    /// Where a statement starts: keywords and names.
    Statement,
    /// Right after SOLVE: the equation blocks.
    Solve,
    /// After `SOLVE name`: METHOD or STEADYSTATE.
    AfterSolved,
    /// Right after METHOD: the integration methods.
    Method,
    /// Inside an expression or argument list: values and functions.
    Expression,
}

/// The statement position of the cursor, from the current line's text
/// before the word being typed (after the last brace on it).
fn statement_position(before: &str) -> Position {
    let line = line_before_word(before);
    let stmt = line.rsplit(['{', '}']).next().unwrap_or("");
    let words: Vec<&str> = stmt.split_whitespace().collect();
    match words.as_slice() {
        [] => Position::Statement,
        [.., "SOLVE"] => Position::Solve,
        [.., "METHOD"] | [.., "STEADYSTATE"] => Position::Method,
        [.., "SOLVE", _] => Position::AfterSolved,
        ["else"] => Position::Statement,
        _ => Position::Expression,
    }
}

fn item(label: &str, kind: CompletionItemKind, detail: Option<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        ..Default::default()
    }
}

fn keywords(words: &[&str]) -> Vec<CompletionItem> {
    words
        .iter()
        .map(|w| item(w, CompletionItemKind::KEYWORD, None))
        .collect()
}

fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}

/// The open `{` before the end of `text` (innermost last), skipping
/// comments and strings: `(offset of the brace)`.
fn open_braces(text: &str, nmodl: bool) -> Vec<usize> {
    let b = text.as_bytes();
    let mut stack = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        let skip_to = |end: &str, from: usize| text[from..].find(end).map(|k| from + k + end.len());
        let next = match b[i] {
            b'{' => {
                stack.push(i);
                i + 1
            }
            b'}' => {
                stack.pop();
                i + 1
            }
            b'"' => skip_to("\"", i + 1).unwrap_or(b.len()),
            b':' | b'?' if nmodl => skip_to("\n", i).unwrap_or(b.len()),
            b'/' if !nmodl && rest.starts_with("//") => skip_to("\n", i).unwrap_or(b.len()),
            b'/' if !nmodl && rest.starts_with("/*") => skip_to("*/", i).unwrap_or(b.len()),
            b'C' if nmodl && rest.starts_with("COMMENT") && at_word_start(b, i) => {
                skip_to("ENDCOMMENT", i).unwrap_or(b.len())
            }
            b'V' if nmodl && rest.starts_with("VERBATIM") && at_word_start(b, i) => {
                skip_to("ENDVERBATIM", i).unwrap_or(b.len())
            }
            _ => i + 1,
        };
        i = next;
    }
    stack
}

fn at_word_start(b: &[u8], i: usize) -> bool {
    i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

/// The words of the statement that opens the brace at `brace`: the text
/// on the brace's line (or the line before, when the brace stands alone)
/// after any earlier `;`, `{` or `}`.
fn header(text: &str, brace: usize) -> Vec<&str> {
    let head = &text[..brace];
    let after_sep = head.rfind([';', '{', '}']).map(|i| i + 1).unwrap_or(0);
    let mut line_start = head.rfind('\n').map(|i| i + 1).unwrap_or(0);
    if head[line_start..].trim().is_empty() && line_start > 0 {
        line_start = head[..line_start - 1]
            .rfind('\n')
            .map(|i| i + 1)
            .unwrap_or(0);
    }
    head[after_sep.max(line_start)..]
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '=' || c == '.'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The text of the current line before the word being typed.
fn line_before_word(before: &str) -> &str {
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = &before[line_start..];
    line.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_')
}

fn nmodl(doc: &Document, before: &str, offset: usize) -> Vec<CompletionItem> {
    let braces = open_braces(before, true);
    let Some(&outer) = braces.first() else {
        return keywords(TOP_KEYWORDS);
    };
    let block = header(before, outer).first().copied().unwrap_or("");
    let mut out = Vec::new();
    let Facts::Nmodl(f) = &doc.facts else {
        return out;
    };
    let declared = |out: &mut Vec<CompletionItem>, code: bool| {
        let Some(a) = &f.analysis else { return };
        let mut names: Vec<_> = a
            .symbols
            .symbols
            .values()
            .filter(|s| code || s.span.is_some())
            .collect();
        names.sort_by(|a, b| a.name.cmp(&b.name));
        for s in names {
            let kind = match s.kind {
                SymbolKind::Function { .. }
                | SymbolKind::Procedure { .. }
                | SymbolKind::FunctionTable { .. }
                | SymbolKind::BuiltinFunction { .. } => CompletionItemKind::FUNCTION,
                SymbolKind::Constant | SymbolKind::UnitConstant | SymbolKind::Define => {
                    CompletionItemKind::CONSTANT
                }
                SymbolKind::Solvable(_) => CompletionItemKind::MODULE,
                _ => CompletionItemKind::VARIABLE,
            };
            let unit = s
                .unit
                .as_ref()
                .map(|u| u.text.as_str())
                .or(s.implied_unit)
                .filter(|u| !u.is_empty())
                .map(|u| format!(" ({u})"))
                .unwrap_or_default();
            let what = s
                .kind
                .describe()
                .trim_start_matches("a ")
                .trim_start_matches("an ");
            out.push(item(&s.name, kind, Some(format!("{what}{unit}"))));
        }
    };
    match block {
        "NEURON" => {
            out.extend(keywords(NEURON_KEYWORDS));
            out.extend(keywords(&["READ", "WRITE", "VALENCE"]));
            declared(&mut out, false);
        }
        "PARAMETER" | "ASSIGNED" | "STATE" | "CONSTANT" | "INDEPENDENT" | "DEPEND" | "UNITS" => {
            for v in builtins::VARIABLES {
                out.push(item(
                    v.name,
                    CompletionItemKind::VARIABLE,
                    Some(format!("built-in ({})", v.unit)),
                ));
            }
        }
        _ => {
            let position = statement_position(before);
            let methods = || {
                builtins::METHODS
                    .iter()
                    .filter(|m| m.supported)
                    .map(|m| {
                        item(
                            m.name,
                            CompletionItemKind::ENUM_MEMBER,
                            Some("method".into()),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            match position {
                Position::Method => return methods(),
                Position::AfterSolved => return keywords(&["METHOD", "STEADYSTATE"]),
                Position::Solve => {
                    declared(&mut out, false);
                    out.retain(|i| i.kind == Some(CompletionItemKind::MODULE));
                    return dedup(out);
                }
                Position::Expression => {
                    if let Some(m) = &f.module {
                        for l in nmodl_names::locals_at(m, offset) {
                            let unit = l.unit.map(|u| format!(" ({u})")).unwrap_or_default();
                            out.push(item(
                                &l.name,
                                CompletionItemKind::VARIABLE,
                                Some(format!("{}{unit}", l.what)),
                            ));
                        }
                    }
                    declared(&mut out, true);
                    // Equation blocks are SOLVEd, not used in expressions.
                    out.retain(|i| i.kind != Some(CompletionItemKind::MODULE));
                    return dedup(out);
                }
                Position::Statement => {}
            }
            out.extend(keywords(STMT_KEYWORDS));
            out.extend(keywords(&["if", "else", "while", "METHOD", "STEADYSTATE"]));
            if let Some(m) = &f.module {
                for l in nmodl_names::locals_at(m, offset) {
                    let unit = l.unit.map(|u| format!(" ({u})")).unwrap_or_default();
                    out.push(item(
                        &l.name,
                        CompletionItemKind::VARIABLE,
                        Some(format!("{}{unit}", l.what)),
                    ));
                }
            }
            declared(&mut out, true);
        }
    }
    dedup(out)
}

fn dedup(mut items: Vec<CompletionItem>) -> Vec<CompletionItem> {
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.label.clone()));
    items
}

const NDL_TOP: &[&str] = &[
    "network",
    "mechanisms",
    "use",
    "seed",
    "node_set",
    "cell",
    "population",
    "synapse",
    "input",
    "stimulus",
    "connect",
    "run",
    "output",
];

fn ndl(before: &str, cat: Option<&Library>) -> Vec<CompletionItem> {
    let line = line_before_word(before);
    let words: Vec<&str> = line.split_whitespace().collect();
    let last = words.last().copied().unwrap_or("");
    let mech_names = |kind: MechKind, synapse: bool| -> Vec<CompletionItem> {
        let Some(cat) = cat else { return Vec::new() };
        cat.names_of(kind)
            .iter()
            .filter_map(|n| cat.find(n))
            .filter(|m| !synapse || m.receives_events)
            .map(|m| {
                item(
                    &m.name,
                    CompletionItemKind::CLASS,
                    Some(m.file.display().to_string()),
                )
            })
            .collect()
    };
    // Right after a keyword that takes a name.
    match last {
        "insert" => return mech_names(MechKind::Density, false),
        "stimulus" => return mech_names(MechKind::PointProcess, false),
        "=" if words.first() == Some(&"synapse") && words.len() == 3 => {
            return mech_names(MechKind::PointProcess, true);
        }
        "of" => return names_after(before, &["cell"], CompletionItemKind::CLASS),
        "connect" | "->" if braces_depth(before) == 0 => {
            return names_after(
                before,
                &["population", "input"],
                CompletionItemKind::VARIABLE,
            );
        }
        _ => {}
    }
    let braces = open_braces(before, false);
    let Some(&inner) = braces.last() else {
        return keywords(NDL_TOP);
    };
    let head = header(before, inner);
    let mech = match head.as_slice() {
        ["insert", m, ..] | ["stimulus", m, ..] => Some(*m),
        ["synapse", _, "=", m, ..] => Some(*m),
        _ => None,
    };
    if let Some(m) = mech {
        let Some(info) = cat.and_then(|c| c.find(m)) else {
            return Vec::new();
        };
        return info
            .vars
            .iter()
            .filter(|v| v.settable)
            .map(|v| {
                let unit = v.unit.as_deref().unwrap_or("1");
                let mut it = item(
                    &v.name,
                    CompletionItemKind::FIELD,
                    Some(format!("{unit}, default {}", format_number(v.default))),
                );
                it.documentation = Some(lsp_types::Documentation::String(format!(
                    "parameter of {} ({})",
                    info.name,
                    info.file.display()
                )));
                it
            })
            .collect();
    }
    let settings: &[&str] = match head.first().copied().unwrap_or("") {
        "cell" => &[
            "section",
            "insert",
            "ion",
            "connect",
            "biophysics",
            "nseg",
            "cm",
            "Ra",
        ],
        "section" => &["L", "diam", "nseg", "cm", "Ra", "insert", "ion"],
        "ion" => &["e", "i", "o"],
        "run" => &[
            "tstart",
            "tstop",
            "dt",
            "celsius",
            "v_init",
            "spike_threshold",
        ],
        "output" => &["dir", "spikes", "report"],
        "report" => &["cells", "sections", "variable"],
        "connect" => &["synapse", "weight", "delay", "on", "rule", "threshold"],
        _ => &[],
    };
    settings
        .iter()
        .map(|w| item(w, CompletionItemKind::PROPERTY, None))
        .collect()
}

fn braces_depth(before: &str) -> usize {
    open_braces(before, false).len()
}

/// Names defined by `keyword Name` statements at the start of a line.
fn names_after(text: &str, keywords: &[&str], kind: CompletionItemKind) -> Vec<CompletionItem> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut w = line.split_whitespace();
        if let (Some(k), Some(name)) = (w.next(), w.next())
            && keywords.contains(&k)
        {
            let name = name.trim_end_matches(['{', '=']);
            if !name.is_empty() {
                out.push(item(name, kind, Some(k.to_string())));
            }
        }
    }
    dedup(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_skip_comments_and_strings() {
        let t = "NEURON {\n : {\n COMMENT { ENDCOMMENT\n SUFFIX x }\nPROCEDURE p() {\n  ";
        let b = open_braces(t, true);
        assert_eq!(b.len(), 1);
        assert_eq!(header(t, b[0]), vec!["PROCEDURE", "p"]);
        let n = "cell C { // {\n section soma { \"{\" \n insert pas { g";
        let b = open_braces(n, false);
        assert_eq!(b.len(), 3);
        assert_eq!(header(n, b[2]), vec!["insert", "pas"]);
    }

    #[test]
    fn prefix_and_statement_position() {
        assert_eq!(word_prefix("    ina = g"), "g");
        assert_eq!(word_prefix("    ina = "), "");
        assert_eq!(word_prefix("x_1"), "x_1");
        assert_eq!(word_prefix("a + é2"), "é2");
        assert_eq!(
            statement_position("BREAKPOINT {\n    "),
            Position::Statement
        );
        assert_eq!(statement_position("    ina = g"), Position::Expression);
        assert_eq!(statement_position("    rates(v"), Position::Expression);
        assert_eq!(statement_position("  SOLVE st"), Position::Solve);
        assert_eq!(statement_position("  SOLVE states "), Position::AfterSolved);
        assert_eq!(
            statement_position("  SOLVE states METHOD c"),
            Position::Method
        );
        assert_eq!(statement_position("DERIVATIVE d { m"), Position::Statement);
        assert_eq!(statement_position("  } else i"), Position::Statement);
    }

    #[test]
    fn ndl_context_without_catalogue() {
        let labels = |items: Vec<CompletionItem>| -> Vec<String> {
            items.into_iter().map(|i| i.label).collect()
        };
        assert!(labels(ndl("cell C {\n section s {\n  ", None)).contains(&"diam".to_string()));
        assert!(labels(ndl("", None)).contains(&"population".to_string()));
        let pops = labels(ndl(
            "cell C { }\npopulation E = 2 of C\ninput I = spikes [1] ms\nconnect ",
            None,
        ));
        assert_eq!(pops, vec!["E", "I"]);
        assert_eq!(
            labels(ndl("cell Pyr { }\npopulation E = 2 of P", None)),
            vec!["Pyr"]
        );
    }
}
