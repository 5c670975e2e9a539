//! nmc diagnostics as LSP diagnostics: same code, message, help and notes
//! as `nmc check`; the primary label gives the range, the other labels
//! become related information.

use super::document::{Document, Facts};
use super::position::LineIndex;
use crate::diag::{self, Severity, SourceMap, Span};
use crate::front::nmodl::ast::ItemKind;
use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position,
    PublishDiagnosticsParams, Range,
};

/// The `publishDiagnostics` parameters for a document's last analysis.
pub fn publish(doc: &Document) -> PublishDiagnosticsParams {
    let items = doc.diagnostics.iter().map(|d| convert(doc, d)).collect();
    PublishDiagnosticsParams::new(doc.uri.clone(), items, Some(doc.version))
}

/// One diagnostic in LSP form.
pub fn convert(doc: &Document, d: &diag::Diagnostic) -> lsp_types::Diagnostic {
    let primary = d
        .labels
        .iter()
        .position(|l| l.primary)
        .or(if d.labels.is_empty() { None } else { Some(0) });
    let in_doc = |s: Span| s.file == doc.file;
    // A problem in an INCLUDEd file is shown on the INCLUDE statement.
    let span = primary.map(|i| d.labels[i].span);
    let span = match span {
        Some(s) if !in_doc(s) => include_site(doc, s.file).or(Some(s)),
        other => other,
    };
    let range = match span {
        Some(s) if in_doc(s) => doc.lines.range(&doc.text, s.start as usize, s.end as usize),
        _ => Range::new(Position::new(0, 0), Position::new(0, 0)),
    };
    let mut message = d.message.clone();
    if let Some(i) = primary {
        let label = &d.labels[i];
        if !label.message.is_empty() && in_doc(label.span) {
            message.push_str(&format!("\n{}", label.message));
        }
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    for note in &d.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .enumerate()
        .filter(|(i, l)| Some(*i) != primary || !in_doc(l.span))
        .filter_map(|(_, l)| {
            let location = location(doc, l.span)?;
            let message = if l.message.is_empty() {
                d.message.clone()
            } else {
                l.message.clone()
            };
            Some(DiagnosticRelatedInformation { location, message })
        })
        .collect();
    lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Note => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("nmc".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

/// The INCLUDE statement of `doc` that brought in `file`.
fn include_site(doc: &Document, file: crate::diag::FileId) -> Option<Span> {
    let Facts::Nmodl(f) = &doc.facts else {
        return None;
    };
    let name = std::path::Path::new(doc.map.name(file))
        .file_name()?
        .to_owned();
    f.module.as_ref()?.items.iter().find_map(|i| match &i.kind {
        ItemKind::Include { path, .. }
            if i.span.file == doc.file
                && std::path::Path::new(path).file_name() == Some(name.as_os_str()) =>
        {
            Some(i.span)
        }
        _ => None,
    })
}

/// Where a span is, in the document or in a file it INCLUDEs.
pub fn location(doc: &Document, span: Span) -> Option<Location> {
    if span.file == doc.file {
        return Some(Location::new(
            doc.uri.clone(),
            doc.lines
                .range(&doc.text, span.start as usize, span.end as usize),
        ));
    }
    other_file_location(&doc.map, span)
}

fn other_file_location(map: &SourceMap, span: Span) -> Option<Location> {
    let path = std::path::Path::new(map.name(span.file));
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let uri = super::uri::from_path(&abs)?;
    let text = map.source(span.file);
    let lines = LineIndex::new(text);
    Some(Location::new(
        uri,
        lines.range(text, span.start as usize, span.end as usize),
    ))
}
