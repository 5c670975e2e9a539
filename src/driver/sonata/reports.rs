//! Compartment reports of a SONATA simulation config (`reports`, BMTK's
//! `membrane_report`): the cells of a node set, a variable (`v` or a range
//! variable of an inserted mechanism, `m_na_rtm`), on the soma or on every
//! section, recorded at each segment centre. They become
//! [`crate::net::Record`]s of the network and [`Report`]s to write.

use crate::diag::Diagnostic;
use crate::driver::library::Library;
use crate::ir::interface::unsuffixed;
use crate::net::{Location, Network, Record, Variable};
use crate::sonata::config::{ReportEntry, SimulationConfig};
use crate::sonata::node_sets::select;
use crate::sonata::nodes::NodePopulation;
use crate::sonata::report::{Report, ReportGroup};
use serde_json::Value;
use std::collections::HashMap;

fn bad(config: &SimulationConfig, r: &ReportEntry, what: String) -> Diagnostic {
    Diagnostic::error(
        "E1502",
        format!("`{}` report `{}`: {what}", config.path.display(), r.name),
    )
}

/// Adds the records of every report of `config` to `net` and returns the
/// reports. `cell_of` maps `(population, node id)` to the cell index.
pub(super) fn add_reports(
    config: &SimulationConfig,
    pops: &[NodePopulation],
    cell_of: &HashMap<(String, u64), usize>,
    origins: &[super::CellOrigin],
    net: &mut Network,
    lib: &Library,
) -> Result<Vec<Report>, Vec<Diagnostic>> {
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    for r in &config.reports {
        if r.module != "membrane_report" {
            errors.push(bad(
                config,
                r,
                format!(
                    "module `{}` is not supported (nmc writes `membrane_report`s)",
                    r.module
                ),
            ));
            continue;
        }
        if r.sections != "soma" && r.sections != "all" {
            errors.push(bad(
                config,
                r,
                format!("sections `{}`: nmc records `soma` or `all`", r.sections),
            ));
            continue;
        }
        // The cells, in cell order.
        let mut cells: Vec<usize> = match &r.cells {
            None => (0..net.cells.len()).collect(),
            Some(v) => {
                let set = match v {
                    Value::String(name) => match config.node_sets.get(name) {
                        Some(s) => s,
                        None => {
                            errors.push(bad(
                                config,
                                r,
                                format!("node set `{name}` is not defined"),
                            ));
                            continue;
                        }
                    },
                    other => other,
                };
                match select(pops, &config.node_sets, set, 0) {
                    Some(list) => list
                        .iter()
                        .filter_map(|k| cell_of.get(k).copied())
                        .collect(),
                    None => {
                        errors.push(bad(
                            config,
                            r,
                            format!("cells `{v}` is not a node set nmc can evaluate"),
                        ));
                        continue;
                    }
                }
            }
        };
        cells.sort_unstable();
        cells.dedup();
        if cells.is_empty() {
            errors.push(bad(config, r, "its cells select no real cell".into()));
            continue;
        }
        let mut unit = "mV".to_string();
        let mut groups: Vec<ReportGroup> = Vec::new();
        for &c in &cells {
            let cell = &net.cells[c];
            let secs: Vec<usize> = if r.sections == "all" {
                (0..cell.sections.len()).collect()
            } else {
                match cell.sections.iter().position(|s| s.name == "soma") {
                    Some(i) => vec![i],
                    None => vec![0],
                }
            };
            let mut elems = Vec::new();
            for s in secs {
                let sec = &cell.sections[s];
                let var = if r.variable == "v" {
                    Variable::Voltage
                } else {
                    let found = sec.mechanisms.iter().find_map(|ins| {
                        let name = unsuffixed(&r.variable, &ins.mechanism)?;
                        let f = lib
                            .ir(&ins.mechanism)?
                            .fields
                            .iter()
                            .find(|f| f.name == name)?;
                        Some((ins.mechanism.clone(), f.name.clone(), f.unit.clone()))
                    });
                    match found {
                        Some((mechanism, name, u)) => {
                            unit = u.unwrap_or_default();
                            Variable::Density { mechanism, name }
                        }
                        None => {
                            errors.push(bad(
                                config,
                                r,
                                format!(
                                    "variable_name `{}` is neither `v` nor `<name>_<mechanism>` of a mechanism in section `{}` of cell {c}",
                                    r.variable, sec.name
                                ),
                            ));
                            return Err(errors);
                        }
                    }
                };
                if r.sections == "soma" {
                    // BMTK's soma report: soma[0](0.5) only.
                    elems.push((Location { section: s, x: 0.5 }, var.clone()));
                    continue;
                }
                for k in 0..sec.nseg {
                    let x = (k as f64 + 0.5) / sec.nseg as f64;
                    elems.push((Location { section: s, x }, var.clone()));
                }
            }
            let pop = cell.population.clone();
            if groups.last().is_none_or(|g| g.population != pop) {
                let start = net.records.len();
                groups.push(ReportGroup {
                    population: pop.clone(),
                    node_ids: Vec::new(),
                    index_pointer: vec![0],
                    element_ids: Vec::new(),
                    element_pos: Vec::new(),
                    records: start..start,
                });
            }
            let Some(g) = groups.last_mut() else { continue };
            g.node_ids
                .push(origins.get(c).map_or(c as u64, |o| o.node_id));
            for (loc, var) in elems {
                g.element_ids.push(loc.section as u64);
                g.element_pos.push(loc.x);
                net.records.push(Record {
                    report: r.name.clone(),
                    cell: c,
                    location: loc,
                    variable: var,
                });
            }
            g.index_pointer.push(g.element_ids.len() as u64);
            g.records.end = net.records.len();
        }
        reports.push(Report {
            name: r.name.clone(),
            variable: r.variable.clone(),
            unit,
            groups,
        });
    }
    if errors.is_empty() {
        Ok(reports)
    } else {
        Err(errors)
    }
}
