//! Source files and byte spans into them.

use codespan_reporting::files::{Files, SimpleFiles};
use serde::Serialize;

/// Index of a file in a [`SourceMap`].
pub type FileId = usize;

/// A byte range `start..end` in one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    /// The file the span points into.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span in `file` covering bytes `start..end`.
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both (they must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// Byte range, for slicing the source text.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// All source files read in one run, so spans can be turned into
/// file:line:col and rendered with the offending line.
#[derive(Default)]
pub struct SourceMap {
    files: SimpleFiles<String, String>,
}

/// 1-based line and column (column counted in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LineCol {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in Unicode scalar values.
    pub column: usize,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, source: impl Into<String>) -> FileId {
        self.files.add(name.into(), source.into())
    }

    /// The display name of a file.
    pub fn name(&self, file: FileId) -> &str {
        self.files
            .get(file)
            .map(|f| f.name().as_str())
            .unwrap_or("<unknown>")
    }

    /// The text of a file.
    pub fn source(&self, file: FileId) -> &str {
        self.files
            .get(file)
            .map(|f| f.source().as_str())
            .unwrap_or("")
    }

    /// The text a span covers.
    pub fn text(&self, span: Span) -> &str {
        self.source(span.file).get(span.range()).unwrap_or("")
    }

    /// Line and column of a byte offset.
    pub fn line_col(&self, file: FileId, byte: usize) -> LineCol {
        let src = self.source(file);
        let byte = byte.min(src.len());
        match self.files.line_index(file, byte) {
            Ok(line) => {
                let start = self
                    .files
                    .line_range(file, line)
                    .map(|r| r.start)
                    .unwrap_or(0);
                let column = src.get(start..byte).map(|s| s.chars().count()).unwrap_or(0) + 1;
                LineCol {
                    line: line + 1,
                    column,
                }
            }
            Err(_) => LineCol { line: 1, column: 1 },
        }
    }

    /// `diags`, whose spans point into `from`, made to point into this map:
    /// every file they mention is added here once (so a diagnostic made by
    /// a stage with its own map renders with its file and source line).
    pub fn import(
        &mut self,
        from: &SourceMap,
        diags: &[super::Diagnostic],
    ) -> Vec<super::Diagnostic> {
        let mut ids: std::collections::HashMap<FileId, FileId> = std::collections::HashMap::new();
        diags
            .iter()
            .map(|d| {
                let mut d = d.clone();
                for label in &mut d.labels {
                    let old = label.span.file;
                    let new = *ids
                        .entry(old)
                        .or_insert_with(|| self.add(from.name(old), from.source(old)));
                    label.span.file = new;
                }
                d
            })
            .collect()
    }

    /// The codespan-reporting view of the files, for rendering.
    pub(crate) fn files(&self) -> &SimpleFiles<String, String> {
        &self.files
    }
}
