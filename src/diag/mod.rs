//! Diagnostics shared by every language nmc reads: source files, spans,
//! diagnostics with stable codes, and their human (codespan-reporting) and
//! JSON renderings. This module knows no language; codes are chosen by the
//! front ends.

pub mod codes;
mod render;
mod source;
pub mod suggest;

pub use render::{counts, render_human, render_json, summary_line};
pub use source::{FileId, SourceMap, Span};

use serde::Serialize;

/// How bad a diagnostic is. Errors stop compilation; warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Additional information attached to a run, never a problem.
    Note,
    /// Suspicious input that still compiles.
    Warning,
    /// Input that cannot be compiled.
    Error,
}

/// A span with a message, shown under the source line.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// Where the label points.
    pub span: Span,
    /// Text shown next to the caret (may be empty).
    pub message: String,
    /// The primary label is the one the diagnostic is "at" (line:col).
    pub primary: bool,
}

/// One problem found in user input: a stable code, a message, labelled
/// spans (the first primary one gives line:col) and an optional help line.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Error, warning or note.
    pub severity: Severity,
    /// Stable identifier such as `E0201`, documented per front end.
    pub code: &'static str,
    /// One-sentence description of the problem.
    pub message: String,
    /// Spans shown with carets; the first primary label locates the diagnostic.
    pub labels: Vec<Label>,
    /// What the user can do about it.
    pub help: Option<String>,
    /// Further facts ("note: ...").
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A new diagnostic with no labels yet.
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    /// A new error.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    /// A new warning.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    /// Adds the primary label (where the problem is).
    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// Adds a secondary label (related location, e.g. an earlier declaration).
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a note line.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// The span that locates this diagnostic: the first primary label, else the first label.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or_else(|| self.labels.first())
            .map(|l| l.span)
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts diagnostics by file and position so output is stable.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| {
        d.primary_span()
            .map(|s| (s.file, s.start, s.end))
            .unwrap_or((FileId::MAX, 0, 0))
    });
}
