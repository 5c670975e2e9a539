//! Hover: for a name in a `.mod` file, its declaration, kind, unit and
//! default; for a mechanism in an NDL file, its parameters with units; for
//! other NDL names, what they are.

use super::document::{Document, Facts};
use super::ndl_names::{self, Target as NdlTarget};
use super::nmodl_names::{self, Target};
use super::workspace::Workspace;
use crate::driver::library::Library;
use crate::front::nmodl::sema::{Symbol, SymbolKind, builtins};
use crate::ir::MechKind;
use crate::ir::interface::{Catalogue, MechInfo, Var};
use crate::units::format_number;
use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

/// The hover for byte `offset` of `doc`, if there is something to say.
pub fn hover(ws: &Workspace, doc: &Document, offset: usize) -> Option<Hover> {
    let (text, span) = match &doc.facts {
        Facts::Nmodl(f) => {
            let (start, end, word) = nmodl_names::word_at(&doc.text, offset)?;
            let module = f.module.as_ref()?;
            let text = match nmodl_names::resolve(module, f.analysis.as_ref(), word, offset)? {
                Target::Local(l) => {
                    let unit = l.unit.map(|u| format!(" ({u})")).unwrap_or_default();
                    format!(
                        "```nmodl\n{}{unit}\n```\n{} of `{}`",
                        l.name, l.what, l.owner
                    )
                }
                Target::Symbol(sym, decl) => symbol_text(doc, sym, decl),
            };
            (text, (start, end))
        }
        Facts::Ndl(f) => {
            let file = f.file.as_ref()?;
            let occ = ndl_names::occurrences(file);
            let o = ndl_names::at(&occ, offset)?;
            let cat = ws.catalogue(f.mech_dir.as_deref()).ok();
            let text = ndl_text(file, &o.target, cat.as_deref()).or_else(|| match &o.target {
                NdlTarget::CellType(name) => {
                    let (path, _, c) = super::definition::used_cell(ws, doc, file, name)?;
                    Some(cell_text(&c, Some(&path)))
                }
                _ => None,
            })?;
            (text, (o.span.start as usize, o.span.end as usize))
        }
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(doc.lines.range(&doc.text, span.0, span.1)),
    })
}

fn symbol_text(
    doc: &Document,
    sym: &Symbol,
    decl: Option<(
        &crate::front::nmodl::ast::VarDecl,
        crate::front::nmodl::ast::DeclKind,
    )>,
) -> String {
    let mut lines = Vec::new();
    if let Some((d, _)) = decl {
        let src = doc.map.text(d.span).trim();
        lines.push(format!("```nmodl\n{src}\n```"));
    } else if let Some(span) = sym.span
        && span.file == doc.file
    {
        let line = line_of(&doc.text, span.start as usize);
        lines.push(format!("```nmodl\n{line}\n```"));
    }
    let mut kind = match &sym.kind {
        SymbolKind::IonVariable { ion } => format!("ion variable of `{ion}`"),
        SymbolKind::Function { arity } => format!("FUNCTION of {arity} argument(s)"),
        SymbolKind::Procedure { arity } => format!("PROCEDURE of {arity} argument(s)"),
        SymbolKind::BuiltinFunction { .. } => {
            let arity = builtins::function(&sym.name)
                .map(|f| f.arity.describe())
                .unwrap_or_default();
            format!("built-in function ({arity} argument(s))")
        }
        k => k
            .describe()
            .trim_start_matches("a ")
            .trim_start_matches("an ")
            .to_string(),
    };
    let mut flags = Vec::new();
    if sym.range {
        flags.push("RANGE");
    }
    if sym.global {
        flags.push("GLOBAL");
    }
    if sym.current {
        flags.push("current");
    }
    if sym.pointer {
        flags.push("POINTER");
    }
    if !flags.is_empty() {
        kind.push_str(&format!(", {}", flags.join(", ")));
    }
    if let Some(ion) = &sym.ion {
        let how = match (ion.read, ion.write) {
            (true, true) => "reads and writes",
            (false, true) => "writes",
            _ => "reads",
        };
        kind.push_str(&format!("; USEION {} ({how})", ion.ion));
    }
    lines.push(format!("**{}**: {kind}", sym.name));
    let unit = sym
        .unit
        .as_ref()
        .map(|u| u.text.clone())
        .or_else(|| sym.implied_unit.map(str::to_string));
    if let Some(u) = unit.filter(|u| !u.is_empty()) {
        lines.push(format!("unit: `{u}`"));
    }
    if let Some((d, _)) = decl {
        if let Some(v) = &d.value {
            lines.push(format!("default: `{}`", v.text));
        }
        if let Some((lo, hi)) = &d.limits {
            lines.push(format!("limits: `<{}, {}>`", lo.text, hi.text));
        }
    }
    if let Some(n) = sym.array_len {
        lines.push(format!("array of {n}"));
    }
    lines.join("\n\n")
}

fn line_of(text: &str, offset: usize) -> &str {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let end = text[offset..]
        .find('\n')
        .map(|i| offset + i)
        .unwrap_or(text.len());
    text[start..end].trim()
}

fn ndl_text(
    file: &crate::front::ndl::ast::File,
    target: &NdlTarget,
    cat: Option<&Library>,
) -> Option<String> {
    Some(match target {
        NdlTarget::Mechanism { name, .. } => match cat.and_then(|c| c.find(name)) {
            Some(m) => mechanism_text(m),
            None => match cat.and_then(|c| c.broken(name)) {
                Some(d) => d.message,
                None => format!("unknown mechanism `{name}`"),
            },
        },
        NdlTarget::Param { mech, name } => {
            let m = cat.and_then(|c| c.find(mech))?;
            let v = m.var(name)?;
            format!("**{}** of `{}`\n\n{}", v.name, m.name, var_line(v))
        }
        NdlTarget::CellType(name) => {
            let c = file.items.iter().find_map(|i| match i {
                crate::front::ndl::ast::Item::Cell(c) if c.name.name == *name => Some(c),
                _ => None,
            })?;
            cell_text(c, None)
        }
        NdlTarget::Source(name) => match ndl_names::cell_type_of(file, name) {
            Some(cell) => format!("population **{name}** of cell type `{cell}`"),
            None => format!("input **{name}**"),
        },
        NdlTarget::Synapse(name) => format!("synapse **{name}**"),
        NdlTarget::Section { cell, name } => match cell {
            Some(c) => format!("section **{name}** of cell type `{c}`"),
            None => format!("section **{name}**"),
        },
    })
}

fn cell_text(c: &crate::front::ndl::ast::CellDef, from: Option<&std::path::Path>) -> String {
    let sections: Vec<&str> = c.sections.iter().map(|s| s.name.name.as_str()).collect();
    let from = from
        .map(|p| format!(" from `{}`", p.display()))
        .unwrap_or_default();
    format!(
        "cell type **{}**{from}\n\nsections: {}",
        c.name.name,
        sections.join(", ")
    )
}

/// Markdown describing a mechanism: kind, file and a table of variables.
pub fn mechanism_text(m: &MechInfo) -> String {
    let kind = match m.kind {
        MechKind::Density => "density mechanism",
        MechKind::PointProcess => "point process",
        MechKind::ArtificialCell => "artificial cell",
    };
    let mut s = format!("**{}**: {kind} from `{}`\n\n", m.name, m.file.display());
    s.push_str("| parameter | unit | default | |\n|---|---|---|---|\n");
    for v in m.vars.iter().filter(|v| v.settable || v.global) {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            v.name,
            v.unit.as_deref().unwrap_or(""),
            format_number(v.default),
            var_role(v)
        ));
    }
    if !m.ions.is_empty() {
        s.push_str(&format!("\nions: {}", m.ions.join(", ")));
    }
    s
}

fn var_role(v: &Var) -> &'static str {
    if v.ion {
        "ion value of the section"
    } else if v.global {
        "GLOBAL (not settable)"
    } else if v.settable {
        "settable"
    } else {
        ""
    }
}

fn var_line(v: &Var) -> String {
    let unit = v
        .unit
        .as_deref()
        .map(|u| format!("unit `{u}`, "))
        .unwrap_or_default();
    format!(
        "{unit}default `{}`; {}",
        format_number(v.default),
        var_role(v)
    )
}
