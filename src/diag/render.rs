//! Turning diagnostics into text: rustc-style for people, JSON for editors.

use super::{Diagnostic, Severity, SourceMap};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::term::{self, Config, Styles, StylesWriter, termcolor};
use serde::Serialize;

fn to_codespan(d: &Diagnostic) -> cs::Diagnostic<usize> {
    let severity = match d.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Note => cs::Severity::Note,
    };
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let style = if l.primary {
                cs::LabelStyle::Primary
            } else {
                cs::LabelStyle::Secondary
            };
            cs::Label::new(style, l.span.file, l.span.range()).with_message(l.message.clone())
        })
        .collect();
    let mut notes = d.notes.clone();
    if let Some(help) = &d.help {
        notes.push(format!("help: {help}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(d.code)
        .with_message(d.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}

/// Renders diagnostics the way rustc does: header with code, file:line:col,
/// the source line with carets under each label, notes and help.
/// `color` adds ANSI colours (for terminals).
pub fn render_human(map: &SourceMap, diags: &[Diagnostic], color: bool) -> String {
    let config = Config::default();
    let mut out = String::new();
    for d in diags {
        let cd = to_codespan(d);
        if color {
            let mut buffer = termcolor::Buffer::ansi();
            let styles = Styles::default();
            let mut writer = StylesWriter::new(&mut buffer, &styles);
            if term::emit_to_write_style(&mut writer, &config, map.files(), &cd).is_ok() {
                out.push_str(&String::from_utf8_lossy(buffer.as_slice()));
                continue;
            }
        }
        if let Err(e) = term::emit_to_string(&mut out, &config, map.files(), &cd) {
            out.push_str(&format!(
                "{}[{}]: {} (could not show source: {e})\n",
                severity_word(d.severity),
                d.code,
                d.message
            ));
        }
    }
    out
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// The machine-readable form of one diagnostic (one JSON object per line).
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    severity: Severity,
    code: &'a str,
    message: &'a str,
    help: Option<&'a str>,
    labels: Vec<JsonLabel<'a>>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    primary: bool,
}

/// Renders each diagnostic as one line of JSON with file, line, column,
/// end position, severity, code, message, help and all labels.
pub fn render_json(map: &SourceMap, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let span = d.primary_span().unwrap_or_default();
        let start = map.line_col(span.file, span.start as usize);
        let end = map.line_col(span.file, span.end as usize);
        let labels = d
            .labels
            .iter()
            .map(|l| {
                let s = map.line_col(l.span.file, l.span.start as usize);
                let e = map.line_col(l.span.file, l.span.end as usize);
                JsonLabel {
                    file: map.name(l.span.file),
                    line: s.line,
                    column: s.column,
                    end_line: e.line,
                    end_column: e.column,
                    message: &l.message,
                    primary: l.primary,
                }
            })
            .collect();
        let j = JsonDiagnostic {
            file: map.name(span.file),
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
            severity: d.severity,
            code: d.code,
            message: &d.message,
            help: d.help.as_deref(),
            labels,
        };
        match serde_json::to_string(&j) {
            Ok(s) => {
                out.push_str(&s);
                out.push('\n');
            }
            Err(e) => out.push_str(&format!("{{\"error\":\"{e}\"}}\n")),
        }
    }
    out
}

/// One line such as `checked 15 files: 0 errors, 2 warnings`.
pub fn summary_line(verb: &str, files: usize, diags: &[Diagnostic]) -> String {
    format!("{verb} {}: {}", plural(files, "file"), counts(diags))
}

/// `n` and the word `w`, with an `s` unless `n` is 1.
fn plural(n: usize, w: &str) -> String {
    if n == 1 {
        format!("{n} {w}")
    } else {
        format!("{n} {w}s")
    }
}

/// "N errors, M warnings" of `diags`.
pub fn counts(diags: &[Diagnostic]) -> String {
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}
