//! Go to definition: names in a `.mod` file to their declaration (LOCALs,
//! arguments, PARAMETER/STATE/ASSIGNED, functions and blocks); in an NDL
//! file, mechanisms to their `.mod` file, parameters to their declaration
//! there, and cells, sections, populations, inputs and synapses to where
//! the file defines them.

use super::diagnostics::location;
use super::document::{Document, Facts};
use super::ndl_names::{self, Target as NdlTarget};
use super::nmodl_names::{self, Target};
use super::position::LineIndex;
use super::workspace::Workspace;
use crate::diag::{SourceMap, Span};
use crate::front::ndl::ast::{CellDef, File as NdlFile, Item as NdlItem};
use crate::front::ndl::lower::normalize;
use crate::front::nmodl::ast::{ItemKind, Module, NeuronStmtKind};
use crate::ir::interface::Catalogue;
use lsp_types::{Location, Position, Range};
use std::path::{Path, PathBuf};

/// Where the name at byte `offset` of `doc` is defined.
pub fn definition(ws: &Workspace, doc: &Document, offset: usize) -> Option<Location> {
    match &doc.facts {
        Facts::Nmodl(f) => {
            let (_, _, word) = nmodl_names::word_at(&doc.text, offset)?;
            let module = f.module.as_ref()?;
            let span = match nmodl_names::resolve(module, f.analysis.as_ref(), word, offset)? {
                Target::Local(l) => l.span,
                Target::Symbol(sym, _) => sym.span?,
            };
            location(doc, span)
        }
        Facts::Ndl(f) => {
            let file = f.file.as_ref()?;
            let occ = ndl_names::occurrences(file);
            let o = ndl_names::at(&occ, offset)?;
            let cat = || ws.catalogue(f.mech_dir.as_deref()).ok();
            match &o.target {
                NdlTarget::Mechanism { name, .. } => {
                    let cat = cat()?;
                    match cat.find(name) {
                        Some(m) => in_mod_file(ws, &m.file, &Find::Mechanism),
                        None => in_mod_file(ws, cat.file_of(name)?, &Find::Mechanism),
                    }
                }
                NdlTarget::Param { mech, name } => {
                    let cat = cat()?;
                    let m = cat.find(mech)?;
                    in_mod_file(ws, &m.file, &Find::Variable(name))
                }
                NdlTarget::CellType(name) => match ndl_names::definition(&occ, &o.target) {
                    Some(span) => location(doc, span),
                    None => {
                        let (path, text, cell) = used_cell(ws, doc, file, name)?;
                        let lines = LineIndex::new(&text);
                        let s = cell.name.span;
                        let range = lines.range(&text, s.start as usize, s.end as usize);
                        Some(Location::new(super::uri::from_path(&path)?, range))
                    }
                },
                target => {
                    let span = ndl_names::definition(&occ, target)?;
                    location(doc, span)
                }
            }
        }
    }
}

/// The cell type `name` from a file that `file` brings in with `use`:
/// that file's path and text, and the definition.
pub fn used_cell(
    ws: &Workspace,
    doc: &Document,
    file: &NdlFile,
    name: &str,
) -> Option<(PathBuf, String, CellDef)> {
    let base = doc.path.as_deref()?.parent()?;
    for item in &file.items {
        let NdlItem::Use { path, .. } = item else {
            continue;
        };
        let full = normalize(&base.join(path));
        let open = super::uri::from_path(&full).and_then(|u| ws.get(&u).map(|d| d.text.clone()));
        let Some(text) = open.or_else(|| std::fs::read_to_string(&full).ok()) else {
            continue;
        };
        let Ok(used) = crate::front::ndl::parse::parse(&text, 0) else {
            continue;
        };
        let cell = used.items.into_iter().find_map(|i| match i {
            NdlItem::Cell(c) if c.name.name == name => Some(c),
            _ => None,
        });
        if let Some(c) = cell {
            return Some((full, text, c));
        }
    }
    None
}

/// What to look for in a `.mod` file.
enum Find<'a> {
    /// The SUFFIX / POINT_PROCESS / ARTIFICIAL_CELL name.
    Mechanism,
    /// A variable's declaration.
    Variable(&'a str),
}

/// Finds something in the `.mod` file at `path` (its open buffer if the
/// editor has one); the file's start when it does not parse that far.
fn in_mod_file(ws: &Workspace, path: &Path, what: &Find) -> Option<Location> {
    let uri = super::uri::from_path(path)?;
    let text = match ws.get(&uri) {
        Some(d) => d.text.clone(),
        None => std::fs::read_to_string(path).ok()?,
    };
    let mut map = SourceMap::new();
    let file = map.add(path.display().to_string(), text.clone());
    let parsed = crate::front::nmodl::parse::parse_recovering(&mut map, file);
    let span = parsed
        .module
        .as_ref()
        .and_then(|m| find(m, what))
        .filter(|s| s.file == file);
    let range = match span {
        Some(s) => LineIndex::new(&text).range(&text, s.start as usize, s.end as usize),
        None => Range::new(Position::new(0, 0), Position::new(0, 0)),
    };
    Some(Location::new(uri, range))
}

fn find(m: &Module, what: &Find) -> Option<Span> {
    let mut fallback = None;
    for item in &m.items {
        match &item.kind {
            ItemKind::Neuron(stmts) => {
                for s in stmts {
                    match (&s.kind, what) {
                        (
                            NeuronStmtKind::Suffix(n)
                            | NeuronStmtKind::PointProcess(n)
                            | NeuronStmtKind::ArtificialCell(n),
                            Find::Mechanism,
                        ) => return Some(n.span),
                        (
                            NeuronStmtKind::Range(ids) | NeuronStmtKind::Global(ids),
                            Find::Variable(v),
                        ) => {
                            if let Some(id) = ids.iter().find(|i| i.name == *v) {
                                fallback = fallback.or(Some(id.span));
                            }
                        }
                        (NeuronStmtKind::UseIon { read, write, .. }, Find::Variable(v)) => {
                            if let Some(id) = read.iter().chain(write).find(|i| i.name == *v) {
                                fallback = fallback.or(Some(id.span));
                            }
                        }
                        _ => {}
                    }
                }
            }
            ItemKind::Declare { decls, .. } => {
                if let Find::Variable(v) = what
                    && let Some(d) = decls.iter().find(|d| d.name.name == *v)
                {
                    return Some(d.name.span);
                }
            }
            _ => {}
        }
    }
    fallback
}
