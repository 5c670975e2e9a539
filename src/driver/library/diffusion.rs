//! LONGITUDINAL_DIFFUSION: NEURON couples the concentration a mechanism
//! diffuses between neighbouring segments of a cell (its own tree solve
//! after every step's state update). nmc's kernels work on one segment
//! at a time and do not couple them, so a run whose cells hold such a
//! mechanism in two neighbouring segments would be silently wrong: it is
//! refused (`E0804`). One segment per cell (or holders that are not
//! neighbours) is exact, since NEURON then has nothing to couple either.
//!
//! NEURON's neighbours: the instance of the segment before (same
//! section), else the first segment's parent node in the parent section
//! or, when that node has no instance, the node before it (which can be
//! the grandparent section's) or the parent section's first segment. At
//! the level of sections, refused: a section with the mechanism and more
//! than one segment, or a section with the mechanism whose parent or
//! grandparent section has it too (the grandparent is coupled only for
//! some attachment points; it is refused for all, on the safe side).

use crate::diag::Diagnostic;
use crate::front::nmodl::ast::{ItemKind, Module, Stmt, StmtKind};
use crate::net::{Cell, Network};
use std::path::Path;

/// The STATEs the file's LONGITUDINAL_DIFFUSION statements name, in
/// order of appearance, without repeats.
pub fn diffusing_states(module: &Module) -> Vec<String> {
    fn walk(stmts: &[Stmt], out: &mut Vec<String>) {
        for s in stmts {
            match &s.kind {
                StmtKind::Compartment {
                    longitudinal: true,
                    states,
                    ..
                } => {
                    for st in states {
                        if !out.contains(&st.name) {
                            out.push(st.name.clone());
                        }
                    }
                }
                StmtKind::If {
                    then,
                    else_ifs,
                    otherwise,
                    ..
                } => {
                    walk(&then.stmts, out);
                    for (_, b) in else_ifs {
                        walk(&b.stmts, out);
                    }
                    if let Some(b) = otherwise {
                        walk(&b.stmts, out);
                    }
                }
                StmtKind::While { body, .. } | StmtKind::FromTo { body, .. } => {
                    walk(&body.stmts, out)
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for item in &module.items {
        if let ItemKind::Solvable { body, .. } = &item.kind {
            walk(&body.stmts, &mut out);
        }
    }
    out
}

/// Where `cell` holds `mechanism` in two neighbouring segments: the
/// section (and its parent when the pair straddles two sections).
fn neighbours(cell: &Cell, mechanism: &str) -> Option<String> {
    let has = |s: usize| {
        cell.sections
            .get(s)
            .is_some_and(|sec| sec.mechanisms.iter().any(|m| m.mechanism == mechanism))
    };
    for (k, sec) in cell.sections.iter().enumerate() {
        if !has(k) {
            continue;
        }
        if sec.nseg > 1 {
            return Some(format!("section `{}` has {} segments", sec.name, sec.nseg));
        }
        let Some((p, _)) = sec.parent else { continue };
        let mut near = vec![p];
        if let Some((g, _)) = cell.sections.get(p).and_then(|ps| ps.parent) {
            near.push(g);
        }
        if let Some(&q) = near.iter().find(|&&q| has(q)) {
            return Some(format!(
                "sections `{}` and `{}`, which touch, both have it",
                cell.sections[q].name, sec.name
            ));
        }
    }
    None
}

/// `E0804` when a cell of `net` holds `mechanism`, which diffuses
/// `states` along the cell, in two neighbouring segments.
pub fn check(net: &Network, mechanism: &str, file: &Path, states: &[String]) -> Option<Diagnostic> {
    if states.is_empty() {
        return None;
    }
    let (k, cell, where_) = net
        .cells
        .iter()
        .enumerate()
        .find_map(|(k, c)| neighbours(c, mechanism).map(|w| (k, c, w)))?;
    let states = states
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(
        Diagnostic::error(
            "E0804",
            format!(
                "mechanism `{mechanism}` (`{}`) diffuses {states} between segments (LONGITUDINAL_DIFFUSION), which nmc does not simulate: cell {k} (gid {}) holds it in neighbouring segments ({where_})",
                file.display(),
                cell.gid
            ),
        )
        .with_help(
            "give the sections that hold it one segment each and no neighbour that holds it too (then NEURON couples nothing either), or remove LONGITUDINAL_DIFFUSION from the KINETIC block to run without diffusion along the cell",
        ),
    )
}
