//! Every name in an NDL syntax tree with what it refers to: mechanisms and
//! their parameters, cell types, populations and inputs, synapses and
//! sections, each marked as a definition or a use. Hover and go to
//! definition look the cursor up here.

use crate::diag::Span;
use crate::front::ndl::ast::{Assign, File, InsertDef, Item, Settings, Value};
use crate::ir::MechKind;

/// What a name in an NDL file means.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A mechanism, with the kind its place needs.
    Mechanism {
        /// Its name as written.
        name: String,
        /// Density (`insert`) or point process (`synapse`, `stimulus`).
        kind: MechKind,
    },
    /// A parameter of a mechanism.
    Param {
        /// The mechanism's name as written.
        mech: String,
        /// The parameter.
        name: String,
    },
    /// A cell type.
    CellType(String),
    /// A population or input (what connections start from).
    Source(String),
    /// A named synapse.
    Synapse(String),
    /// A section of a cell type (`None` when the cell type is not known).
    Section {
        /// The cell type.
        cell: Option<String>,
        /// The section.
        name: String,
    },
}

/// One name in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Occurrence {
    /// Where the name is.
    pub span: Span,
    /// What it means.
    pub target: Target,
    /// True where the name is defined (not just used).
    pub definition: bool,
}

/// All names in `file`, in source order.
pub fn occurrences(file: &File) -> Vec<Occurrence> {
    let mut out = Vec::new();
    let mut push = |span: Span, target: Target, definition: bool| {
        out.push(Occurrence {
            span,
            target,
            definition,
        })
    };
    for item in &file.items {
        match item {
            Item::Cell(c) => {
                let cell = Some(c.name.name.clone());
                push(c.name.span, Target::CellType(c.name.name.clone()), true);
                for s in &c.sections {
                    push(
                        s.name.span,
                        Target::Section {
                            cell: cell.clone(),
                            name: s.name.name.clone(),
                        },
                        true,
                    );
                    for i in &s.inserts {
                        insert(i, &mut push);
                    }
                }
                for i in &c.inserts {
                    insert(i, &mut push);
                }
                for t in &c.topology {
                    for site in [&t.child, &t.parent] {
                        push(
                            site.section.span,
                            Target::Section {
                                cell: cell.clone(),
                                name: site.section.name.clone(),
                            },
                            false,
                        );
                    }
                }
            }
            Item::Population(p) => {
                push(p.name.span, Target::Source(p.name.name.clone()), true);
                push(
                    p.cell_type.span,
                    Target::CellType(p.cell_type.name.clone()),
                    false,
                );
            }
            Item::Synapse(s) => {
                push(s.name.span, Target::Synapse(s.name.name.clone()), true);
                mechanism(
                    &s.mechanism.name,
                    s.mechanism.span,
                    MechKind::PointProcess,
                    &s.params,
                    &mut push,
                );
            }
            Item::Input(i) => push(i.name.span, Target::Source(i.name.name.clone()), true),
            Item::Stimulus(s) => {
                mechanism(
                    &s.mechanism.name,
                    s.mechanism.span,
                    MechKind::PointProcess,
                    &s.params,
                    &mut push,
                );
                let cell = s.cells.as_ref().and_then(|r| {
                    push(r.name.span, Target::Source(r.name.name.clone()), false);
                    cell_type_of(file, &r.name.name)
                });
                push(
                    s.site.section.span,
                    Target::Section {
                        cell,
                        name: s.site.section.name.clone(),
                    },
                    false,
                );
            }
            Item::Connect(c) => {
                push(
                    c.source.name.span,
                    Target::Source(c.source.name.name.clone()),
                    false,
                );
                push(
                    c.target.name.span,
                    Target::Source(c.target.name.name.clone()),
                    false,
                );
                for a in &c.settings.assigns {
                    if a.name.name == "synapse" {
                        refs(a, &mut |span, name| {
                            push(span, Target::Synapse(name), false)
                        });
                    }
                }
            }
            Item::Output(o) => {
                for r in &o.reports {
                    for a in &r.settings.assigns {
                        match a.name.name.as_str() {
                            "cells" => {
                                refs(a, &mut |span, name| push(span, Target::Source(name), false))
                            }
                            "sections" => refs(a, &mut |span, name| {
                                push(span, Target::Section { cell: None, name }, false)
                            }),
                            _ => {}
                        }
                    }
                }
            }
            Item::Network(_)
            | Item::Mechanisms { .. }
            | Item::Use { .. }
            | Item::Seed { .. }
            | Item::NodeSet(_)
            | Item::Run(_) => {}
        }
    }
    out
}

fn insert(i: &InsertDef, push: &mut impl FnMut(Span, Target, bool)) {
    mechanism(
        &i.mechanism.name,
        i.mechanism.span,
        MechKind::Density,
        &i.params,
        push,
    );
}

fn mechanism(
    name: &str,
    span: Span,
    kind: MechKind,
    params: &Settings,
    push: &mut impl FnMut(Span, Target, bool),
) {
    push(
        span,
        Target::Mechanism {
            name: name.to_string(),
            kind,
        },
        false,
    );
    for a in &params.assigns {
        push(
            a.name.span,
            Target::Param {
                mech: name.to_string(),
                name: a.name.name.clone(),
            },
            false,
        );
    }
}

fn refs(a: &Assign, f: &mut impl FnMut(Span, String)) {
    if let Value::Refs(rs) = &a.value {
        for r in rs {
            f(r.name.span, r.name.name.clone());
        }
    }
}

/// The cell type of a population.
pub fn cell_type_of(file: &File, population: &str) -> Option<String> {
    file.items.iter().find_map(|i| match i {
        Item::Population(p) if p.name.name == population => Some(p.cell_type.name.clone()),
        _ => None,
    })
}

/// The innermost name at byte `offset`.
pub fn at(occurrences: &[Occurrence], offset: usize) -> Option<&Occurrence> {
    occurrences
        .iter()
        .filter(|o| o.span.start as usize <= offset && offset <= o.span.end as usize)
        .min_by_key(|o| o.span.end - o.span.start)
}

/// Where `target` is defined in the file itself (cells, sections,
/// populations, inputs, synapses).
pub fn definition(occurrences: &[Occurrence], target: &Target) -> Option<Span> {
    let found = occurrences
        .iter()
        .find(|o| o.definition && o.target == *target);
    if let Some(o) = found {
        return Some(o.span);
    }
    match target {
        // A section named without its cell: the first cell that has one.
        Target::Section { cell: None, name } => occurrences
            .iter()
            .find(|o| {
                o.definition && matches!(&o.target, Target::Section { name: n, .. } if n == name)
            })
            .map(|o| o.span),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front::ndl::parse::parse;

    const SRC: &str = "mechanisms \"m\"\ncell C {\n  section soma { L = 10 um }\n  section dend { L = 10 um }\n  insert pas { g = 1e-4 S/cm2 }\n  connect dend(0) to soma(1)\n}\npopulation P = 2 of C\nstimulus iclamp at P.soma(0.5) { amp = 1 nA }\n";

    #[test]
    fn finds_uses_and_their_definitions() {
        let file = parse(SRC, 0).expect("parses");
        let occ = occurrences(&file);
        // The occurrence at `needle`'s first match, `delta` bytes in.
        let use_of = |needle: &str, delta: usize| {
            let off = SRC.find(needle).expect("needle") + delta;
            at(&occ, off).expect("occurrence").clone()
        };
        let c = use_of("of C", 3);
        assert_eq!(c.target, Target::CellType("C".into()));
        assert!(!c.definition);
        let def = definition(&occ, &c.target).expect("def");
        assert_eq!(&SRC[def.range()], "C");
        assert_eq!(def.start as usize, SRC.find("cell C").unwrap() + 5);
        let g = use_of("g =", 0);
        assert_eq!(
            g.target,
            Target::Param {
                mech: "pas".into(),
                name: "g".into()
            }
        );
        let soma_use = use_of("soma(0.5)", 0);
        assert_eq!(
            soma_use.target,
            Target::Section {
                cell: Some("C".into()),
                name: "soma".into()
            }
        );
        let d = definition(&occ, &soma_use.target).expect("section def");
        assert_eq!(d.start as usize, SRC.find("soma {").unwrap());
    }
}
