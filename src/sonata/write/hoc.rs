//! A cell as a hoc template, the form BMTK's `model_template`
//! `hoc:<Name>` asks NEURON for (`components/templates/<Name>.hoc`), so a
//! folder `nmc build` writes runs in BMTK + NEURON; nmc reads the same file
//! (`front::hoc`), so both simulators build the cell from one text.
//!
//! The template follows BMTK's conventions: the soma is the array
//! `soma[1]` (BMTK reaches it as `hobj.soma[0]`), every other section keeps
//! its NDL name, and the SectionList `all` holds the sections in the
//! cell's own order, which is the order of BMTK's section ids
//! (`afferent_section_id`). Each section sets `nseg` first, then its
//! geometry, then inserts its mechanisms with their parameters
//! (`gbar_leak = ...`), then its ion values (`ena = ...`, after `insert
//! na_ion` so the ion exists whatever the mechanisms use). Children attach
//! by their 0 end, as in NDL. Numbers are written in Rust's shortest
//! round-trip form, so NEURON reads the very same doubles.

use crate::net::Cell;
use std::fmt::Write;

/// The hoc name of section `name` of a cell: `soma[0]` for the soma,
/// the NDL name otherwise.
pub fn section_name(name: &str) -> String {
    if name == "soma" {
        "soma[0]".into()
    } else {
        name.to_string()
    }
}

/// The ion of an ion variable (`ena` -> `na`, `cai` -> `ca`, `ko` ->
/// `k`), or `None` for a name that is none of `e<ion>`, `<ion>i`,
/// `<ion>o`.
pub fn ion_of(var: &str) -> Option<&str> {
    if let Some(ion) = var.strip_prefix('e').filter(|s| !s.is_empty()) {
        return Some(ion);
    }
    var.strip_suffix('i')
        .or_else(|| var.strip_suffix('o'))
        .filter(|s| !s.is_empty())
}

/// A number as hoc reads it back to the same double.
fn num(x: f64) -> String {
    format!("{x:?}")
}

/// The hoc template `name` of `cell`. `source` names the file the cell
/// came from, for the header comment.
pub fn hoc_template(name: &str, cell: &Cell, source: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// {name}: written by `nmc build` from {source}; NEURON (BMTK's `hoc:{name}`) and nmc both read this file."
    );
    let _ = writeln!(out, "begintemplate {name}");
    let others: Vec<&str> = cell
        .sections
        .iter()
        .map(|s| s.name.as_str())
        .filter(|n| *n != "soma")
        .collect();
    let has_soma = cell.sections.iter().any(|s| s.name == "soma");
    let mut public = vec!["all"];
    if has_soma {
        public.push("soma");
    }
    public.extend(others.iter().copied());
    let _ = writeln!(out, "public {}", public.join(", "));
    let mut create: Vec<String> = Vec::new();
    if has_soma {
        create.push("soma[1]".into());
    }
    create.extend(others.iter().map(|s| s.to_string()));
    let _ = writeln!(out, "create {}", create.join(", "));
    let _ = writeln!(out, "objref all");
    let _ = writeln!(out, "proc init() {{");
    let _ = writeln!(out, "  all = new SectionList()");
    for s in &cell.sections {
        let _ = writeln!(out, "  {} {{", section_name(&s.name));
        let _ = writeln!(out, "    all.append()");
        let _ = writeln!(
            out,
            "    nseg = {}  L = {}  diam = {}  cm = {}  Ra = {}",
            s.nseg,
            num(s.length),
            num(s.diam),
            num(s.cm),
            num(s.ra)
        );
        for m in &s.mechanisms {
            let mut line = format!("    insert {}", m.mechanism);
            for (p, v) in &m.params {
                let _ = write!(line, "  {p}_{} = {}", m.mechanism, num(*v));
            }
            let _ = writeln!(out, "{line}");
        }
        for (var, v) in &s.ion_values {
            match ion_of(var) {
                Some(ion) => {
                    let _ = writeln!(out, "    insert {ion}_ion  {var} = {}", num(*v));
                }
                None => {
                    let _ = writeln!(out, "    {var} = {}", num(*v));
                }
            }
        }
        let _ = writeln!(out, "  }}");
    }
    for s in &cell.sections {
        if let Some((p, x)) = s.parent {
            let parent = cell
                .sections
                .get(p)
                .map_or_else(|| "soma[0]".to_string(), |ps| section_name(&ps.name));
            let _ = writeln!(
                out,
                "  connect {}(0), {parent}({})",
                section_name(&s.name),
                num(x)
            );
        }
    }
    let _ = writeln!(out, "}}");
    let _ = writeln!(out, "endtemplate {name}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ions_of_ion_variables() {
        assert_eq!(ion_of("ena"), Some("na"));
        assert_eq!(ion_of("eleak"), Some("leak"));
        assert_eq!(ion_of("cai"), Some("ca"));
        assert_eq!(ion_of("ko"), Some("k"));
        assert_eq!(ion_of("e"), None);
    }

    #[test]
    fn numbers_round_trip() {
        for x in [0.1, 1e-4, 1.25 / 200.0 / 3.0, 35.4, 1e20, -67.0] {
            assert_eq!(num(x).parse::<f64>().ok(), Some(x));
        }
    }
}
