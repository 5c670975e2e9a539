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

/// The cell of each `(population, node id)`, each cell's origin, and
/// BMTK's order of each cell's sections (`None`: the cell's own order).
pub(super) type CellTables<'a> = (
    &'a HashMap<(String, u64), usize>,
    &'a [super::CellOrigin],
    &'a [Option<Vec<usize>>],
);

/// Adds the records of every report of `config` to `net` and returns the
/// reports. `cell_of` maps `(population, node id)` to the cell index;
/// `origins` and `all_orders` give each cell's node and BMTK's order of
/// its sections.
pub(super) fn add_reports(
    config: &SimulationConfig,
    pops: &[NodePopulation],
    (cell_of, origins, all_orders): CellTables<'_>,
    net: &mut Network,
    lib: &Library,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Vec<Report>, Vec<Diagnostic>> {
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    for r in &config.reports {
        let netcon = r.module == "netcon_report";
        if r.module != "membrane_report" && !netcon {
            errors.push(bad(
                config,
                r,
                format!(
                    "module `{}` is not supported (nmc writes `membrane_report`s and `netcon_report`s)",
                    r.module
                ),
            ));
            continue;
        }
        if !netcon && r.sections != "soma" && r.sections != "all" {
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
                let named;
                let set = match v {
                    Value::String(name) => match super::named_node_set(config, pops, name) {
                        Some(s) => {
                            named = s;
                            &named
                        }
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
        if netcon {
            // BMTK records the synapses of the biophysical cells only.
            cells.retain(|&c| !net.cells[c].sections.is_empty());
        }
        if cells.is_empty() {
            // BMTK writes no file for a report of no cell.
            warnings.push(Diagnostic::warning(
                "W1501",
                format!(
                    "`{}` report `{}`: its cells select no real cell, so (as in BMTK) no report is written{}",
                    config.path.display(),
                    r.name,
                    type_column_note(pops, r.cells.as_ref(), config)
                ),
            ));
            continue;
        }
        let mut unit = "mV".to_string();
        let mut groups: Vec<ReportGroup> = Vec::new();
        for &c in &cells {
            let cell = &net.cells[c];
            // BMTK numbers sections in the order of the cell's `all` list.
            let order: Vec<usize> = match all_orders.get(c) {
                Some(Some(o)) => o.clone(),
                _ => (0..cell.sections.len()).collect(),
            };
            let mut sec_id = vec![0u64; cell.sections.len()];
            for (k, &s) in order.iter().enumerate() {
                if let Some(x) = sec_id.get_mut(s) {
                    *x = k as u64;
                }
            }
            if netcon {
                let elems = synapse_records(net, c, r.syn_type.as_deref());
                if elems.is_empty() {
                    continue;
                }
                if let Some(u) = elems.first().and_then(|&(pp, _)| {
                    let mech = &net.cells[c].point_processes[pp].mechanism;
                    lib.ir(mech)?
                        .fields
                        .iter()
                        .find(|f| f.name == r.variable)
                        .map(|f| f.unit.clone().unwrap_or_default())
                }) {
                    unit = u;
                }
                let g = group_for(&mut groups, net, c);
                g.node_ids
                    .push(origins.get(c).map_or(c as u64, |o| o.node_id));
                for (pp, x) in elems {
                    let loc = net.cells[c].point_processes[pp].location;
                    g.element_ids
                        .push(sec_id.get(loc.section).copied().unwrap_or(0));
                    g.element_pos.push(x);
                    net.records.push(Record {
                        report: r.name.clone(),
                        cell: c,
                        location: loc,
                        variable: Variable::PointProcess {
                            index: pp,
                            name: r.variable.clone(),
                        },
                    });
                }
                g.index_pointer.push(g.element_ids.len() as u64);
                g.records.end = net.records.len();
                continue;
            }
            let secs: Vec<usize> = if r.sections == "all" {
                order.clone()
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
                } else if r.variable == "i_membrane"
                    && origins.get(c).is_some_and(|o| o.extracellular)
                {
                    unit = "mA/cm2".to_string();
                    Variable::MembraneCurrent
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
                    // An ion variable (`cai`, `ena`, `ik`) of an ion some
                    // mechanism of the section uses.
                    let ion = || {
                        sec.mechanisms.iter().find_map(|ins| {
                            lib.ir(&ins.mechanism)?
                                .ions
                                .iter()
                                .find(|u| ion_variables(&u.name).contains(&r.variable))
                                .map(|u| u.name.clone())
                        })
                    };
                    match found {
                        Some((mechanism, name, u)) => {
                            unit = u.unwrap_or_default();
                            Variable::Density { mechanism, name }
                        }
                        None if ion().is_some() => {
                            unit = ion_unit(&r.variable).to_string();
                            Variable::Ion {
                                name: r.variable.clone(),
                            }
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
            let g = group_for(&mut groups, net, c);
            g.node_ids
                .push(origins.get(c).map_or(c as u64, |o| o.node_id));
            for (loc, var) in elems {
                g.element_ids
                    .push(sec_id.get(loc.section).copied().unwrap_or(0));
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

/// The variables NEURON's ion `ion` carries: reversal potential, inside
/// and outside concentrations, current.
fn ion_variables(ion: &str) -> [String; 4] {
    [
        format!("e{ion}"),
        format!("{ion}i"),
        format!("{ion}o"),
        format!("i{ion}"),
    ]
}

/// The unit of ion variable `var`.
fn ion_unit(var: &str) -> &'static str {
    if var.starts_with('e') {
        "mV"
    } else if var.starts_with('i') {
        "mA/cm2"
    } else {
        "mM"
    }
}

/// The group of `groups` cell `c` belongs to: the last one when it is
/// of the cell's population, else a new one.
fn group_for<'a>(groups: &'a mut Vec<ReportGroup>, net: &Network, c: usize) -> &'a mut ReportGroup {
    let pop = &net.cells[c].population;
    if groups.last().is_none_or(|g| &g.population != pop) {
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
    let last = groups.len() - 1;
    &mut groups[last]
}

/// BMTK's `netcon_report` elements of cell `c`: the target synapse of each
/// NetCon onto the cell, in the order the NetCons were made, whose
/// mechanism name starts with `syn_type`; with NEURON's `postloc`, the
/// centre of the segment the synapse sits in.
fn synapse_records(net: &Network, c: usize, syn_type: Option<&str>) -> Vec<(usize, f64)> {
    let cell = &net.cells[c];
    net.connections
        .iter()
        .filter(|k| k.target_cell == c)
        .filter_map(|k| {
            let pp = cell.point_processes.get(k.target)?;
            if syn_type.is_some_and(|t| !pp.mechanism.starts_with(t)) {
                return None;
            }
            let nseg = cell.sections.get(pp.location.section)?.nseg.max(1) as f64;
            let seg = (pp.location.x * nseg).floor().min(nseg - 1.0).max(0.0);
            let x = match pp.location.x {
                x if x <= 0.0 => 0.0,
                x if x >= 1.0 => 1.0,
                _ => (seg + 0.5) / nseg,
            };
            Some((k.target, x))
        })
        .collect()
}

/// A note on node sets that select by a text column of a node types
/// table, which BMTK 1.2.0 (with pandas 3) never matches.
pub(super) fn type_column_note(
    pops: &[NodePopulation],
    cells: Option<&Value>,
    config: &SimulationConfig,
) -> String {
    let set = match cells {
        Some(Value::String(name)) => config.node_sets.get(name),
        other => other,
    };
    let Some(obj) = set.and_then(Value::as_object) else {
        return String::new();
    };
    let keys: Vec<&str> = obj
        .keys()
        .filter(|k| {
            pops.iter().any(|p| {
                !p.texts.contains_key(*k)
                    && !p.columns.contains_key(*k)
                    && crate::sonata::node_sets::is_text_type_column(p, k)
            })
        })
        .map(String::as_str)
        .collect();
    if keys.is_empty() {
        return String::new();
    }
    format!(
        " (BMTK 1.2.0 selects no node by a text column of a node types table, here `{}`; select by population or node_id)",
        keys.join("`, `")
    )
}
