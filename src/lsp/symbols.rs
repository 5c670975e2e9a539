//! Document symbols (the editor's outline): for `.mod` files every block,
//! with declared variables under PARAMETER/STATE/ASSIGNED/...; for NDL
//! files cells (with their sections), populations, inputs, synapses,
//! stimuli, connections, run and output.

use super::document::{Document, Facts};
use super::nmodl_names::{decl_keyword, item_title};
use crate::diag::Span;
use crate::front::ndl::ast::Item as NdlItem;
use crate::front::nmodl::ast::{ItemKind, NeuronStmtKind};
use lsp_types::{DocumentSymbol, SymbolKind};

/// The outline of `doc`.
pub fn symbols(doc: &Document) -> Vec<DocumentSymbol> {
    match &doc.facts {
        Facts::Nmodl(f) => f.module.as_ref().map(|m| nmodl(doc, m)).unwrap_or_default(),
        Facts::Ndl(f) => f.file.as_ref().map(|n| ndl(doc, n)).unwrap_or_default(),
    }
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be given; it is None.
fn symbol(
    doc: &Document,
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    span: Span,
    selection: Span,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    let range = doc
        .lines
        .range(&doc.text, span.start as usize, span.end as usize);
    let mut selection_range =
        doc.lines
            .range(&doc.text, selection.start as usize, selection.end as usize);
    // The selection must lie inside the range.
    if selection_range.start < range.start || selection_range.end > range.end {
        selection_range = range;
    }
    DocumentSymbol {
        name: if name.is_empty() { "?".into() } else { name },
        detail,
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range,
        children: (!children.is_empty()).then_some(children),
    }
}

fn nmodl(doc: &Document, m: &crate::front::nmodl::ast::Module) -> Vec<DocumentSymbol> {
    let mut out = Vec::new();
    for item in &m.items {
        // Items spliced in from INCLUDEd files are not in this document.
        if item.span.file != doc.file {
            continue;
        }
        let title = item_title(item);
        let (name, detail, kind, selection, children) = match &item.kind {
            ItemKind::Procedure(f) => (
                f.name.name.clone(),
                Some("PROCEDURE".into()),
                SymbolKind::FUNCTION,
                f.name.span,
                vec![],
            ),
            ItemKind::Function(f) => (
                f.name.name.clone(),
                Some("FUNCTION".into()),
                SymbolKind::FUNCTION,
                f.name.span,
                vec![],
            ),
            ItemKind::FunctionTable { name, .. } => (
                name.name.clone(),
                Some("FUNCTION_TABLE".into()),
                SymbolKind::FUNCTION,
                name.span,
                vec![],
            ),
            ItemKind::Solvable { name, .. } => {
                let kw = title.split(' ').next().unwrap_or("").to_string();
                (
                    name.name.clone(),
                    Some(kw),
                    SymbolKind::METHOD,
                    name.span,
                    vec![],
                )
            }
            ItemKind::Declare { kind, decls } => {
                let children = decls
                    .iter()
                    .filter(|d| d.span.file == doc.file)
                    .map(|d| {
                        let unit = d.unit.as_ref().map(|u| format!("({})", u.text));
                        let k = match kind {
                            crate::front::nmodl::ast::DeclKind::Constant => SymbolKind::CONSTANT,
                            _ => SymbolKind::VARIABLE,
                        };
                        symbol(
                            doc,
                            d.name.name.clone(),
                            unit,
                            k,
                            d.span,
                            d.name.span,
                            vec![],
                        )
                    })
                    .collect();
                (
                    decl_keyword(*kind).to_string(),
                    None,
                    SymbolKind::STRUCT,
                    item.span,
                    children,
                )
            }
            ItemKind::Neuron(stmts) => {
                let name = stmts.iter().find_map(|s| match &s.kind {
                    NeuronStmtKind::Suffix(n)
                    | NeuronStmtKind::PointProcess(n)
                    | NeuronStmtKind::ArtificialCell(n) => Some(n),
                    _ => None,
                });
                match name {
                    Some(n) => (
                        "NEURON".into(),
                        Some(n.name.clone()),
                        SymbolKind::MODULE,
                        n.span,
                        vec![],
                    ),
                    None => ("NEURON".into(), None, SymbolKind::MODULE, item.span, vec![]),
                }
            }
            ItemKind::Define { name, .. } => (
                name.name.clone(),
                Some("DEFINE".into()),
                SymbolKind::CONSTANT,
                name.span,
                vec![],
            ),
            ItemKind::UnitsOff | ItemKind::UnitsOn | ItemKind::Title(_) => continue,
            _ => (title, None, SymbolKind::NAMESPACE, item.span, vec![]),
        };
        out.push(symbol(
            doc, name, detail, kind, item.span, selection, children,
        ));
    }
    out
}

fn ndl(doc: &Document, file: &crate::front::ndl::ast::File) -> Vec<DocumentSymbol> {
    let mut out = Vec::new();
    for item in &file.items {
        let s = match item {
            NdlItem::Cell(c) => {
                let sections = c
                    .sections
                    .iter()
                    .map(|s| {
                        symbol(
                            doc,
                            s.name.name.clone(),
                            Some("section".into()),
                            SymbolKind::FIELD,
                            s.span,
                            s.name.span,
                            vec![],
                        )
                    })
                    .collect();
                symbol(
                    doc,
                    c.name.name.clone(),
                    Some("cell".into()),
                    SymbolKind::CLASS,
                    c.span,
                    c.name.span,
                    sections,
                )
            }
            NdlItem::Population(p) => symbol(
                doc,
                p.name.name.clone(),
                Some(format!("population of {} {}", p.count, p.cell_type.name)),
                SymbolKind::ARRAY,
                p.span,
                p.name.span,
                vec![],
            ),
            NdlItem::Input(i) => symbol(
                doc,
                i.name.name.clone(),
                Some("input".into()),
                SymbolKind::EVENT,
                i.span,
                i.name.span,
                vec![],
            ),
            NdlItem::Synapse(s) => symbol(
                doc,
                s.name.name.clone(),
                Some(format!("synapse {}", s.mechanism.name)),
                SymbolKind::OBJECT,
                s.span,
                s.name.span,
                vec![],
            ),
            NdlItem::Stimulus(s) => symbol(
                doc,
                format!("stimulus {}", s.mechanism.name),
                None,
                SymbolKind::EVENT,
                s.span,
                s.mechanism.span,
                vec![],
            ),
            NdlItem::Connect(c) => symbol(
                doc,
                format!("{} -> {}", c.source.name.name, c.target.name.name),
                Some("connection".into()),
                SymbolKind::INTERFACE,
                c.span,
                c.source.span,
                vec![],
            ),
            NdlItem::Run(s) => symbol(
                doc,
                "run".into(),
                None,
                SymbolKind::NAMESPACE,
                s.span,
                s.span,
                vec![],
            ),
            NdlItem::Output(o) => {
                let reports = o
                    .reports
                    .iter()
                    .map(|r| {
                        symbol(
                            doc,
                            r.name.name.clone(),
                            Some("report".into()),
                            SymbolKind::FIELD,
                            r.span,
                            r.name.span,
                            vec![],
                        )
                    })
                    .collect();
                symbol(
                    doc,
                    "output".into(),
                    None,
                    SymbolKind::NAMESPACE,
                    o.span,
                    o.span,
                    reports,
                )
            }
            NdlItem::Network(n) => symbol(
                doc,
                n.name.clone(),
                Some("network".into()),
                SymbolKind::PACKAGE,
                n.span,
                n.span,
                vec![],
            ),
            NdlItem::NodeSet(n) => symbol(
                doc,
                n.name.name.clone(),
                Some("node set".into()),
                SymbolKind::KEY,
                n.span,
                n.name.span,
                vec![],
            ),
            NdlItem::Mechanisms { .. } | NdlItem::Use { .. } | NdlItem::Seed { .. } => continue,
        };
        out.push(s);
    }
    out
}
