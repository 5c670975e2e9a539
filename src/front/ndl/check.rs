//! Structural checks that need no mechanism knowledge: duplicate names
//! (E1201) and cell topology (E14xx). Topology is resolved here into a
//! parent-first section order for the builder.

use super::ast::{Assign, CellDef, File, Ident, Item};
use crate::diag::Diagnostic;
use std::collections::HashMap;

/// Reports names defined twice in one namespace: cell types; populations
/// and inputs (both can be connection sources); synapses; reports.
pub fn duplicates(file: &File, out: &mut Vec<Diagnostic>) {
    let mut cells = Names::new("cell type");
    let mut sources = Names::new("population or input");
    let mut synapses = Names::new("synapse");
    let mut reports = Names::new("report");
    let mut node_sets = Names::new("node set");
    for item in &file.items {
        match item {
            Item::Cell(c) => {
                cells.add(&c.name, out);
                let mut secs = Names::new("section");
                for s in &c.sections {
                    secs.add(&s.name, out);
                    settings_twice(&s.properties, out);
                }
            }
            Item::Synapse(s) => {
                synapses.add(&s.name, out);
                settings_twice(&s.params.assigns, out);
            }
            Item::Output(o) => {
                settings_twice(&o.settings, out);
                for r in &o.reports {
                    reports.add(&r.name, out);
                    settings_twice(&r.settings.assigns, out);
                }
            }
            Item::Run(s) => settings_twice(&s.assigns, out),
            Item::Stimulus(s) => settings_twice(&s.params.assigns, out),
            Item::Connect(c) => settings_twice(&c.settings.assigns, out),
            Item::Population(p) => {
                sources.add(&p.name, out);
                if let Some(s) = &p.settings {
                    settings_twice(&s.assigns, out);
                }
            }
            Item::NodeSet(n) => {
                node_sets.add(&n.name, out);
                settings_twice(&n.settings.assigns, out);
            }
            Item::Input(i) => {
                sources.add(&i.name, out);
                if let super::ast::Train::Poisson(s) | super::ast::Train::Pattern(s) = &i.train {
                    settings_twice(&s.assigns, out);
                }
            }
            Item::Network(_) | Item::Mechanisms { .. } | Item::Use { .. } | Item::Seed { .. } => {}
        }
    }
}

/// Reports a setting given twice in one block.
pub fn settings_twice(assigns: &[Assign], out: &mut Vec<Diagnostic>) {
    let mut seen = Names::new("setting");
    for a in assigns {
        seen.add(&a.name, out);
    }
}

/// One namespace of definitions.
struct Names<'a> {
    what: &'static str,
    seen: HashMap<&'a str, &'a Ident>,
}

impl<'a> Names<'a> {
    fn new(what: &'static str) -> Self {
        Names {
            what,
            seen: HashMap::new(),
        }
    }

    fn add(&mut self, id: &'a Ident, out: &mut Vec<Diagnostic>) {
        if let Some(first) = self.seen.get(id.name.as_str()) {
            out.push(
                Diagnostic::error(
                    "E1201",
                    format!("{} `{}` is defined twice", self.what, id.name),
                )
                .with_primary(id.span, "defined again here")
                .with_secondary(first.span, "first defined here")
                .with_help(format!(
                    "rename one of them or remove the second {}",
                    self.what
                )),
            );
        } else {
            self.seen.insert(&id.name, id);
        }
    }
}

/// A cell's sections in parent-first order: `(section index in the
/// definition, parent as (position in this order, x))`.
pub type Order = Vec<(usize, Option<(usize, f64)>)>;

/// Resolves `connect child(0) to parent(x)` statements into a tree.
/// Errors: unknown section (E1205), a child end other than 0 (E1404), a
/// section attached twice (E1401), a cycle (E1402), more than one root
/// (E1403), x outside [0, 1] (E1304).
pub fn topology(cell: &CellDef, out: &mut Vec<Diagnostic>) -> Option<Order> {
    let n = cell.sections.len();
    let index: HashMap<&str, usize> = cell
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.name.as_str(), i))
        .collect();
    let names: Vec<&str> = cell.sections.iter().map(|s| s.name.name.as_str()).collect();
    let before = out.len();
    let mut parent: Vec<Option<(usize, f64, usize)>> = vec![None; n];
    for (ti, t) in cell.topology.iter().enumerate() {
        let mut ok = true;
        for site in [&t.child, &t.parent] {
            if !index.contains_key(site.section.name.as_str()) {
                let mut d = Diagnostic::error(
                    "E1205",
                    format!(
                        "cell `{}` has no section `{}`",
                        cell.name.name, site.section.name
                    ),
                )
                .with_primary(site.section.span, "unknown section");
                d = match crate::diag::suggest::closest(&site.section.name, names.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!(
                        "its sections are {}",
                        crate::diag::suggest::one_of(&names)
                    )),
                };
                out.push(d);
                ok = false;
            }
            if !(0.0..=1.0).contains(&site.x) {
                out.push(
                    Diagnostic::error(
                        "E1304",
                        "a position along a section must be between 0 and 1",
                    )
                    .with_primary(site.x_span, "outside [0, 1]"),
                );
                ok = false;
            }
        }
        if !ok {
            continue;
        }
        if t.child.x != 0.0 {
            out.push(
                Diagnostic::error("E1404", "a section attaches to its parent by its 0 end")
                    .with_primary(t.child.x_span, "must be 0")
                    .with_help(format!(
                        "write `connect {}(0) to {}({})`",
                        t.child.section.name,
                        t.parent.section.name,
                        crate::units::format_number(t.parent.x)
                    )),
            );
            continue;
        }
        let c = index[t.child.section.name.as_str()];
        let p = index[t.parent.section.name.as_str()];
        if c == p {
            out.push(
                Diagnostic::error(
                    "E1402",
                    format!("section `{}` is connected to itself", t.child.section.name),
                )
                .with_primary(t.span, "a section cannot be its own parent"),
            );
            continue;
        }
        if let Some((_, _, first)) = parent[c] {
            out.push(
                Diagnostic::error(
                    "E1401",
                    format!("section `{}` is attached twice", t.child.section.name),
                )
                .with_primary(t.child.section.span, "attached again here")
                .with_secondary(
                    cell.topology[first].child.section.span,
                    "first attached here",
                )
                .with_help("a section has one parent; remove one of the `connect` statements"),
            );
            continue;
        }
        parent[c] = Some((p, t.parent.x, ti));
    }
    if out.len() > before {
        return None;
    }
    // Cycles: walk up from every section.
    for start in 0..n {
        let mut cur = start;
        for _ in 0..=n {
            match parent[cur] {
                Some((p, _, _)) => cur = p,
                None => break,
            }
            if cur == start {
                let ti = parent[start].map(|(_, _, t)| t).unwrap_or(0);
                out.push(
                    Diagnostic::error(
                        "E1402",
                        format!(
                            "the sections of `{}` form a loop through `{}`",
                            cell.name.name, names[start]
                        ),
                    )
                    .with_primary(cell.topology[ti].span, "this connection closes the loop")
                    .with_help("a cell is a tree: remove one `connect` of the loop"),
                );
                return None;
            }
        }
    }
    let roots: Vec<usize> = (0..n).filter(|&i| parent[i].is_none()).collect();
    if roots.len() > 1 {
        let mut d = Diagnostic::error(
            "E1403",
            format!(
                "cell `{}` falls apart: {} sections have no parent",
                cell.name.name,
                roots.len()
            ),
        )
        .with_primary(
            cell.sections[roots[1]].name.span,
            "not connected to the rest of the cell",
        );
        d = d.with_secondary(cell.sections[roots[0]].name.span, "the root section");
        out.push(d.with_help(format!(
            "connect it, e.g. `connect {}(0) to {}(1)`",
            names[roots[1]], names[roots[0]]
        )));
        return None;
    }
    // Parent-first order (breadth first from the root).
    let mut order: Order = Vec::with_capacity(n);
    let mut pos = vec![usize::MAX; n];
    if let Some(&root) = roots.first() {
        pos[root] = 0;
        order.push((root, None));
        let mut k = 0;
        while k < order.len() {
            let here = order[k].0;
            for (c, pc) in parent.iter().enumerate() {
                if let Some((p, x, _)) = pc
                    && *p == here
                {
                    pos[c] = order.len();
                    order.push((c, Some((pos[here], *x))));
                }
            }
            k += 1;
        }
    }
    Some(order)
}
