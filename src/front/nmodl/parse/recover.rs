//! Recovery after a syntax error: the file is cut into top-level chunks
//! (each starting at a line that begins with a top-level keyword,
//! [`TOP_KEYWORDS`], in column 0),
//! and each chunk is parsed on its own, so one broken block does not hide
//! the problems in the others. Chunks are parsed in a copy of the text with
//! everything before them blanked out, so every span stays a true offset
//! into the real file.

use super::syntax_error::TOP_KEYWORDS;
use super::{MAX_NESTING, parse_strict};
use crate::diag::{Diagnostic, FileId, Span};
use crate::front::nmodl::ast::Item;

/// What recovery found.
pub(super) struct Recovered {
    /// Items of the chunks that parsed, in source order.
    pub items: Vec<Item>,
    /// Diagnostics of the chunks that did not parse, except the first one
    /// (which the whole-file parse already reported).
    pub later_errors: Vec<Diagnostic>,
    /// Spans of the chunks that did not parse.
    pub skipped: Vec<Span>,
}

/// Parses each top-level chunk of `src` separately. Returns `None` when no
/// chunk fails on its own (the error lies between chunks; nothing to gain).
pub(super) fn recover(src: &str, file: FileId) -> Option<Recovered> {
    let ranges = chunk_ranges(src);
    if ranges.len() < 2 || ranges.len() > 4 * MAX_NESTING * 64 {
        return None;
    }
    let mut items = Vec::new();
    let mut later_errors = Vec::new();
    let mut skipped = Vec::new();
    for (start, end) in ranges {
        let masked = masked_prefix(src, start, end);
        let (module, diags) = parse_strict(&masked, file);
        match module {
            Some(m) => items.extend(m.items),
            None => {
                if !skipped.is_empty() {
                    later_errors.extend(diags.into_iter().filter(Diagnostic::is_error).take(1));
                }
                skipped.push(Span::new(file, start, end));
            }
        }
    }
    if skipped.is_empty() {
        return None;
    }
    Some(Recovered {
        items,
        later_errors,
        skipped,
    })
}

/// Byte ranges of the top-level chunks: each starts at a line whose first
/// word (in column 0) is an item keyword, outside COMMENT and VERBATIM text.
fn chunk_ranges(src: &str) -> Vec<(usize, usize)> {
    let mut starts = vec![0usize];
    let mut inside: Option<&str> = None;
    let mut offset = 0usize;
    for line in src.split_inclusive('\n') {
        let word: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        match inside {
            Some(end) => {
                if line.contains(end) {
                    inside = None;
                }
            }
            None => {
                if TOP_KEYWORDS.contains(&word.as_str()) && offset > 0 {
                    starts.push(offset);
                }
                if word == "COMMENT" && !line.contains("ENDCOMMENT") {
                    inside = Some("ENDCOMMENT");
                } else if word == "VERBATIM" && !line.contains("ENDVERBATIM") {
                    inside = Some("ENDVERBATIM");
                }
            }
        }
        offset += line.len();
    }
    starts.dedup();
    let mut ranges = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(src.len());
        if e > s {
            ranges.push((s, e));
        }
    }
    ranges
}

/// `src[..end]` with everything before `start` blanked (newlines kept), so
/// offsets into the result are offsets into `src`.
fn masked_prefix(src: &str, start: usize, end: usize) -> String {
    let mut out = String::with_capacity(end);
    for b in src.as_bytes().iter().take(start) {
        out.push(if *b == b'\n' { '\n' } else { ' ' });
    }
    out.push_str(src.get(start..end).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_start_at_column_zero_keywords_outside_comments() {
        let src = "TITLE t\nCOMMENT\nNEURON inside\nENDCOMMENT\nNEURON { SUFFIX x }\n  INITIAL { }\nINITIAL { }\n";
        let r = chunk_ranges(src);
        let firsts: Vec<&str> = r.iter().map(|(s, _)| &src[*s..*s + 5]).collect();
        assert_eq!(firsts, vec!["TITLE", "COMME", "NEURO", "INITI"]);
    }

    #[test]
    fn masking_keeps_offsets() {
        let src = "ab\ncd\nef";
        assert_eq!(masked_prefix(src, 3, 6), "  \ncd\n");
    }
}
