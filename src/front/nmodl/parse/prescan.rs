//! A quick structural scan of the raw text, run before the grammar.
//!
//! A PEG parser reports a missing `}` or `ENDCOMMENT` at the point where it
//! finally gave up, often far from the cause. This scan knows just enough
//! lexical structure (comments, strings, VERBATIM, TITLE) to find:
//! - E0102: a `{` that is never closed,
//! - E0103: COMMENT or VERBATIM without its END keyword,
//! - E0105: nesting deeper than [`MAX_NESTING`],
//! - E0106: a `}` with no `{` to close.

use super::MAX_NESTING;
use super::syntax_error::TOP_KEYWORDS;
use crate::diag::{Diagnostic, FileId, Span};

/// Top-level keywords that may also be written inside a block (comments,
/// VERBATIM, UNITSON/UNITSOFF, the nested INITIAL of NET_RECEIVE, TABLE's
/// DEPEND, and TITLE-like text): seeing them in a block proves nothing.
const ALSO_INSIDE_BLOCKS: &[&str] = &[
    "TITLE", "COMMENT", "DEPEND", "INITIAL", "VERBATIM", "UNITSON", "UNITSOFF",
];

/// Block keywords that only appear at top level; seeing one at the start of
/// a line inside an open block means a `}` is probably missing before it.
fn only_top_level(word: &str) -> bool {
    TOP_KEYWORDS.contains(&word) && !ALSO_INSIDE_BLOCKS.contains(&word)
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Finds `word` in `src` at or after `from`, as a whole word. Returns its start.
fn find_word(src: &[u8], from: usize, word: &[u8]) -> Option<usize> {
    let mut i = from;
    while i + word.len() <= src.len() {
        if src.get(i..i + word.len()) == Some(word) {
            let before_ok = i == 0 || !is_ident_char(src[i - 1]);
            if before_ok {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// Scans `src`; returns structural errors (empty when the structure is sound).
pub(super) fn scan(src: &str, file: FileId) -> Vec<Diagnostic> {
    let b = src.as_bytes();
    let n = b.len();
    let mut i = 0;
    let mut braces: Vec<usize> = Vec::new();
    let mut parens = 0usize;
    let mut line_blank = true;
    // First top-level keyword found inside an open block: (keyword span, outermost open brace).
    let mut suspicious: Option<(Span, usize)> = None;
    while i < n {
        let c = b[i];
        match c {
            b'\n' => {
                line_blank = true;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\x0c' | b'\x1a' => {
                i += 1;
                continue;
            }
            b':' | b'?' => {
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < n && b[i] != b'"' && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'{' => {
                braces.push(i);
                i += 1;
            }
            b'}' => {
                if braces.pop().is_none() {
                    return vec![
                        Diagnostic::error("E0106", "unexpected `}` with no block to close")
                            .with_primary(Span::new(file, i, i + 1), "no `{` before this is open")
                            .with_help("remove this `}`, or look for a missing `{` above it"),
                    ];
                }
                i += 1;
            }
            b'(' | b'[' => {
                parens += 1;
                i += 1;
            }
            b')' | b']' => {
                parens = parens.saturating_sub(1);
                i += 1;
            }
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < n && is_ident_char(b[i]) {
                    i += 1;
                }
                let word = &src[start..i];
                match word {
                    "COMMENT" | "VERBATIM" => {
                        let end_word = if word == "COMMENT" {
                            "ENDCOMMENT"
                        } else {
                            "ENDVERBATIM"
                        };
                        match find_word(b, i, end_word.as_bytes()) {
                            Some(e) => i = e + end_word.len(),
                            None => {
                                return vec![
                                    Diagnostic::error(
                                        "E0103",
                                        format!("unterminated {word}: no `{end_word}` follows"),
                                    )
                                    .with_primary(
                                        Span::new(file, start, i),
                                        format!("this {word} is never closed"),
                                    )
                                    .with_help(format!(
                                        "add `{end_word}` on its own line where the {} ends",
                                        if word == "COMMENT" {
                                            "comment"
                                        } else {
                                            "C code"
                                        }
                                    )),
                                ];
                            }
                        }
                    }
                    "TITLE" => {
                        while i < n && b[i] != b'\n' {
                            i += 1;
                        }
                    }
                    _ => {
                        if line_blank
                            && suspicious.is_none()
                            && only_top_level(word)
                            && let Some(&open) = braces.first()
                        {
                            suspicious = Some((Span::new(file, start, i), open));
                        }
                    }
                }
            }
            _ if c.is_ascii_digit() || c == b'.' => {
                i += 1;
                while i < n && (is_ident_char(b[i]) || b[i] == b'.') {
                    i += 1;
                }
            }
            _ => {
                // Skip one whole UTF-8 character.
                i += 1;
                while i < n && (b[i] & 0xC0) == 0x80 {
                    i += 1;
                }
            }
        }
        line_blank = false;
        if braces.len() + parens > MAX_NESTING {
            let at = i.saturating_sub(1);
            return vec![
                Diagnostic::error("E0105", "blocks or parentheses are nested too deeply")
                    .with_primary(
                        Span::new(file, at, i),
                        format!("more than {MAX_NESTING} levels deep here"),
                    )
                    .with_help("split the code into PROCEDUREs or use LOCAL variables"),
            ];
        }
    }
    if let Some(&innermost) = braces.last() {
        let d = Diagnostic::error("E0102", "unclosed `{`: a block is missing its `}`");
        let d = match suspicious {
            Some((kw, open)) => d
                .with_primary(kw, "expected `}` before this block starts")
                .with_secondary(
                    Span::new(file, open, open + 1),
                    "this block is never closed",
                )
                .with_help(
                    "add `}` to close the block opened here (a `}` may be missing inside it)",
                ),
            None => d
                .with_primary(Span::new(file, n, n), "the file ends inside a block")
                .with_secondary(
                    Span::new(file, innermost, innermost + 1),
                    "this `{` is never closed",
                )
                .with_help("add `}` to close the block opened here"),
        };
        return vec![d];
    }
    Vec::new()
}
