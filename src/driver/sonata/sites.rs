//! The synapse sites of one edge, chosen the way BMTK's bionet chooses
//! them from the columns of its edge group:
//!
//! - `sec_id` (or `afferent_section_id`): one synapse at that section and
//!   `sec_x` (or `afferent_section_pos`), whatever `nsyns` says;
//! - else `nsyns`: that many synapses on segments drawn by the target
//!   cell's random stream from its edge type's `target_sections` and
//!   `distance_range` (see [`super::placement`]);
//! - else one synapse at the soma centre.

use super::e1502;
use super::synapses::site;
use crate::diag::Diagnostic;
use crate::morph::placement::Placer;
use crate::net::{Cell, Location};
use crate::sonata::edges::EdgePopulation;

/// True when the population has the column (in an edge group or its types).
fn has_column(ep: &EdgePopulation, name: &str) -> bool {
    ep.columns.contains_key(name) || ep.types.header.iter().any(|h| h == name)
}

/// A generous estimate of the memory one synapse takes while the network
/// is built and run (bytes).
const SYNAPSE_BYTES: f64 = 512.0;

/// How the edges of one edge type get their sites, worked out once per
/// type (parsing `target_sections` and `distance_range` per edge would
/// cost more than the draw).
#[derive(Debug)]
pub(super) enum Rule {
    /// `sec_id`/`afferent_section_id` columns, or neither those nor
    /// `nsyns`: one site per edge from the edge's own columns.
    Given,
    /// An empty `distance_range`: no synapse (as BMTK).
    Nothing,
    /// `nsyns` draws among the segments of `names` within `range`.
    Random {
        names: Vec<String>,
        range: (f64, f64),
        /// Identifies this rule in the placer's cache.
        id: usize,
    },
}

/// Rules by (edge population, edge type), each worked out once.
#[derive(Default)]
pub(super) struct Rules {
    by_type: std::collections::HashMap<(usize, i64), usize>,
    rules: Vec<Rule>,
    /// The key asked for last and its rule (edges of one type come in runs).
    last: Option<((usize, i64), usize)>,
}

impl Rules {
    fn of(
        &mut self,
        (pop, ep): (usize, &EdgePopulation),
        k: usize,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<&Rule, Diagnostic> {
        let key = (pop, ep.type_ids[k]);
        let index = match self.last {
            Some((last, index)) if last == key => index,
            _ => {
                let index = match self.by_type.get(&key) {
                    Some(&i) => i,
                    None => {
                        let id = self.rules.len();
                        self.rules.push(rule(ep, k, id, warnings)?);
                        self.by_type.insert(key, id);
                        id
                    }
                };
                self.last = Some((key, index));
                index
            }
        };
        self.rules
            .get(index)
            .ok_or_else(|| e1502(format!("edge type {} has no placement rule", key.1)))
    }
}

/// A numeric edge attribute looked up once per population: its group
/// column if any, else (per edge) its type's value.
#[derive(Clone, Copy)]
pub(super) struct Column<'a> {
    name: &'a str,
    values: Option<&'a [f64]>,
    /// The types table has a column of that name.
    typed: bool,
}

impl<'a> Column<'a> {
    pub(super) fn new(ep: &'a EdgePopulation, name: &'a str) -> Column<'a> {
        Column {
            name,
            values: ep.columns.get(name).map(Vec::as_slice),
            typed: ep.types.header.iter().any(|h| h == name),
        }
    }

    /// As [`EdgePopulation::number`] for edge `k`.
    pub(super) fn number(&self, ep: &EdgePopulation, k: usize) -> Result<Option<f64>, String> {
        if let Some(&v) = self.values.and_then(|c| c.get(k))
            && !v.is_nan()
        {
            return Ok(Some(v));
        }
        if !self.typed {
            return Ok(None);
        }
        ep.number(k, self.name)
    }
}

/// The columns that place an edge's synapses, looked up once per population.
#[derive(Clone, Copy)]
pub(super) struct SiteColumns<'a> {
    pub(super) nsyns: Column<'a>,
    pub(super) sec_id: Column<'a>,
    pub(super) afferent_section_id: Column<'a>,
    pub(super) sec_x: Column<'a>,
    pub(super) afferent_section_pos: Column<'a>,
}

impl<'a> SiteColumns<'a> {
    pub(super) fn new(ep: &'a EdgePopulation) -> SiteColumns<'a> {
        SiteColumns {
            nsyns: Column::new(ep, "nsyns"),
            sec_id: Column::new(ep, "sec_id"),
            afferent_section_id: Column::new(ep, "afferent_section_id"),
            sec_x: Column::new(ep, "sec_x"),
            afferent_section_pos: Column::new(ep, "afferent_section_pos"),
        }
    }
}

fn rule(
    ep: &EdgePopulation,
    k: usize,
    id: usize,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Rule, Diagnostic> {
    let tid = ep.type_ids[k];
    if has_column(ep, "sec_id") || has_column(ep, "afferent_section_id") || !has_column(ep, "nsyns")
    {
        return Ok(Rule::Given);
    }
    let types = ep.types_file.display();
    let names = ep
        .text(k, "target_sections")
        .map(|t| parse_sections(t).ok_or(t))
        .transpose()
        .map_err(|t| {
            e1502(format!(
                "`{types}` edge type {tid}: target_sections `{t}` is not a list of section names"
            ))
        })?
        .ok_or_else(|| {
            e1502(format!(
                "`{types}` edge type {tid} has no target_sections (BMTK needs them to place its synapses)"
            ))
        })?;
    if ep.text(k, "distance_range").is_none() && has_column(ep, "distance_range") {
        // BMTK reads an empty value as [0, NaN]: no segment qualifies.
        warnings.push(Diagnostic::warning(
            "W1501",
            format!(
                "`{types}` edge type {tid}: distance_range is empty, so (as in BMTK) its edges make no synapse"
            ),
        ));
        return Ok(Rule::Nothing);
    }
    let range = ep
        .text(k, "distance_range")
        .map(|t| parse_range(t).ok_or(t))
        .transpose()
        .map_err(|t| {
            e1502(format!(
                "`{types}` edge type {tid}: distance_range `{t}` is not a pair of distances"
            ))
        })?
        .ok_or_else(|| {
            e1502(format!(
                "`{types}` edge type {tid} has no distance_range (BMTK needs it to place its synapses)"
            ))
        })?;
    Ok(Rule::Random { names, range, id })
}

/// The sites of edge `k` of `ep` on cell `tc`, into `out` (cleared first;
/// one list reused for every edge).
#[allow(clippy::too_many_arguments)]
pub(super) fn edge_sites(
    placer: &mut Placer,
    rules: &mut Rules,
    (pop, ep, columns): (usize, &EdgePopulation, &SiteColumns<'_>),
    k: usize,
    (cells, tc): (&[Cell], usize),
    out: &mut Vec<Location>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Diagnostic> {
    out.clear();
    let tid = ep.type_ids[k];
    let where_ = || {
        format!(
            "`{}` edge {k} of `{}` (type {tid})",
            ep.file.display(),
            ep.name
        )
    };
    let (names, range, id) = match rules.of((pop, ep), k, warnings)? {
        Rule::Given => {
            out.push(site(ep, k, columns, &cells[tc], placer.order(tc))?);
            return Ok(());
        }
        Rule::Nothing => return Ok(()),
        Rule::Random { names, range, id } => (names, *range, *id),
    };
    let nsyns = match columns.nsyns.number(ep, k) {
        Ok(Some(n)) if n >= 0.0 && n.fract() == 0.0 => {
            // Each synapse costs a point process, a connection and an
            // instance row: many are checked against the memory there is
            // before any is made (a few need no look at the system).
            if n > 1024.0 {
                crate::io::check_memory(n * SYNAPSE_BYTES).map_err(|m| {
                    e1502(format!(
                        "{}: nsyns is {n}: that many synapses on one edge {m}",
                        where_()
                    ))
                })?;
            }
            n as usize
        }
        Ok(None) => 1,
        Ok(Some(n)) => return Err(e1502(format!("{}: nsyns is {n}", where_()))),
        Err(v) => return Err(e1502(format!("{}: nsyns is `{v}`, not a number", where_()))),
    };
    placer
        .random_sites(cells, tc, id, (names, range), nsyns, out)
        .map_err(|e| e1502(format!("{} on cell {tc}: {e}", where_())))?;
    if out.is_empty() && nsyns > 0 {
        let types = ep.types_file.display();
        let msg = format!(
            "`{types}` edge type {tid}: no segment of the target cell lies in target_sections {names:?} within distance_range {range:?}; like BMTK, nmc makes no synapse"
        );
        if !warnings.iter().any(|w| w.message == msg) {
            warnings.push(Diagnostic::warning("W1501", msg));
        }
    }
    Ok(())
}

/// An edge type's `target_sections` (`['soma', 'dend']`, BMTK reads it
/// with Python's `literal_eval`).
fn parse_sections(text: &str) -> Option<Vec<String>> {
    let t = text.trim();
    let inner = t.strip_prefix('[')?.strip_suffix(']')?;
    let mut out = Vec::new();
    for part in inner.split(',') {
        let p = part.trim();
        if p.is_empty() {
            continue;
        }
        let q = p
            .strip_prefix('\'')
            .and_then(|s| s.strip_suffix('\''))
            .or_else(|| p.strip_prefix('"').and_then(|s| s.strip_suffix('"')))?;
        out.push(q.to_string());
    }
    Some(out)
}

/// An edge type's `distance_range`: a JSON pair, or one number `d`
/// meaning `[0, d]`.
fn parse_range(text: &str) -> Option<(f64, f64)> {
    if let Ok(v) = serde_json::from_str::<Vec<f64>>(text.trim()) {
        return match v.as_slice() {
            [a, b, ..] => Some((*a, *b)),
            _ => None,
        };
    }
    text.trim().parse::<f64>().ok().map(|d| (0.0, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bmtk_columns() {
        assert_eq!(
            parse_sections("['soma', \"dend\"]"),
            Some(vec!["soma".to_string(), "dend".to_string()])
        );
        assert_eq!(parse_range("[0.0, 999.9]"), Some((0.0, 999.9)));
        assert_eq!(parse_range("150"), Some((0.0, 150.0)));
    }
}
