//! Tokens of hoc: numbers, names, strings, `$n` arguments, operators and
//! the newlines that end statements. Comments (`//`, `/* */`) are skipped.

use crate::diag::{Diagnostic, FileId, Span};

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A number literal.
    Num(f64),
    /// A name or keyword.
    Ident(String),
    /// A string literal, escapes resolved.
    Str(String),
    /// `$1` (numeric argument), `$s1` (string), `$o1` (object).
    Arg(char, u32),
    /// An operator or punctuation (`(`, `+=`, `&&`, ...).
    Punct(&'static str),
    /// End of a line (ends a statement).
    Newline,
    /// End of the file.
    Eof,
}

/// A token with its place in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Its bytes.
    pub span: Span,
}

const PUNCTS: [&str; 31] = [
    "+=", "-=", "*=", "/=", "==", "!=", "<=", ">=", "&&", "||", "(", ")", "[", "]", "{", "}", ",",
    ".", "=", "+", "-", "*", "/", "^", "%", "<", ">", "!", ";", ":", "&",
];

/// Splits `src` into tokens; the first character hoc cannot read is an
/// `E1601` error.
pub fn lex(src: &str, file: FileId) -> Result<Vec<Token>, Diagnostic> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c == b'\n' {
            out.push(tok(Tok::Newline, file, i, i + 1));
            i += 1;
        } else if c == b'\\' && b.get(i + 1) == Some(&b'\n') {
            i += 2;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if src[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if src[i..].starts_with("/*") {
            match src[i + 2..].find("*/") {
                Some(k) => i += k + 4,
                None => {
                    return Err(Diagnostic::error("E1601", "unclosed `/*` comment")
                        .with_primary(Span::new(file, i, i + 2), "this comment never ends")
                        .with_help("close the comment with `*/`"));
                }
            }
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i = number_end(b, i);
            let text = &src[start..i];
            let v: f64 = text.parse().map_err(|_| {
                Diagnostic::error("E1601", format!("malformed number `{text}`"))
                    .with_primary(Span::new(file, start, i), "not a number")
                    .with_help("write numbers like `1`, `0.5`, `1e-3`")
            })?;
            out.push(tok(Tok::Num(v), file, start, i));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(tok(Tok::Ident(src[start..i].to_string()), file, start, i));
        } else if c == b'"' {
            let (s, end) = string(src, i, file)?;
            i = end;
            out.push(tok(Tok::Str(s), file, start, i));
        } else if c == b'$' {
            i += 1;
            let kind = match b.get(i) {
                Some(b's') | Some(b'o') => {
                    i += 1;
                    b[i - 1] as char
                }
                Some(b'&') => {
                    i += 1;
                    '&'
                }
                _ => 'n',
            };
            let ds = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let n: u32 = src[ds..i].parse().map_err(|_| {
                Diagnostic::error("E1601", "`$` must be followed by an argument number")
                    .with_primary(
                        Span::new(file, start, i.max(start + 1)),
                        "expected `$1`, `$s1` or `$o1`",
                    )
                    .with_help(
                        "arguments of a proc are `$1`, `$2`, ... (strings `$s1`, objects `$o1`)",
                    )
            })?;
            out.push(tok(Tok::Arg(kind, n), file, start, i));
        } else if let Some(p) = PUNCTS.iter().find(|p| src[i..].starts_with(**p)) {
            i += p.len();
            out.push(tok(Tok::Punct(p), file, start, i));
        } else {
            let ch = src[i..].chars().next().unwrap_or('?');
            return Err(
                Diagnostic::error("E1601", format!("unexpected character `{ch}`"))
                    .with_primary(
                        Span::new(file, i, i + ch.len_utf8()),
                        "hoc has no such symbol",
                    )
                    .with_help("remove it, or put it inside a string or a `//` comment"),
            );
        }
    }
    out.push(tok(Tok::Eof, file, b.len(), b.len()));
    Ok(out)
}

fn tok(tok: Tok, file: FileId, start: usize, end: usize) -> Token {
    Token {
        tok,
        span: Span::new(file, start, end),
    }
}

/// End of the number starting at `i` (digits, fraction, exponent).
fn number_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            i = j;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    i
}

/// The string literal starting at the `"` at `start`, and the byte after it.
fn string(src: &str, start: usize, file: FileId) -> Result<(String, usize), Diagnostic> {
    let mut s = String::new();
    let mut chars = src[start + 1..].char_indices();
    while let Some((k, c)) = chars.next() {
        match c {
            '"' => return Ok((s, start + 1 + k + 1)),
            '\n' => break,
            '\\' => match chars.next() {
                Some((_, 'n')) => s.push('\n'),
                Some((_, 't')) => s.push('\t'),
                Some((_, o)) => s.push(o),
                None => break,
            },
            _ => s.push(c),
        }
    }
    Err(Diagnostic::error("E1601", "unclosed string")
        .with_primary(Span::new(file, start, start + 1), "this string never ends")
        .with_help("close the string with `\"` on the same line"))
}
