//! Spikes joined with the cells that fired them: a [`Dataset`] of groups
//! (all cells with the same `pop_name`, or the same value of another node
//! column, or one NDL population), each cell with its sorted spike train.
//!
//! Cells that never fired are counted too when the network is known
//! (`--config` or `--network`), so rates are per cell of the group, not per
//! cell that happened to spike.

use crate::diag::{Diagnostic, SourceMap};
use crate::sonata::{config, nodes};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// One cell: `(population, node id, group, raster row)`.
pub type CellRow = (String, u64, String, u64);

/// Where the cells and groups come from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Grouping<'a> {
    /// Only the spike file: one group per SONATA population, cells are the
    /// nodes that fired, the window runs from 0 to the last spike.
    Populations,
    /// A SONATA simulation config: every real node of its circuit, grouped
    /// by `column` (a node-types column such as `pop_name`, a numeric node
    /// column, or `population`); the window is the config's `run`.
    Sonata {
        /// The simulation config.
        config: &'a Path,
        /// The node column to group by.
        column: &'a str,
    },
    /// An NDL experiment: its cells as `nmc build` would store them in
    /// SONATA (one node population named by `network`, node id = cell
    /// index), grouped by `column` (`pop_name` is the NDL population, or a
    /// population's user column); the window is its `run`.
    Ndl {
        /// The `.ndl` file.
        network: &'a Path,
        /// The node column to group by.
        column: &'a str,
    },
}

/// One group of cells with their spikes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Group {
    /// The group's name (a `pop_name` value, a population name...).
    pub name: String,
    /// Raster row of each cell: its node id plus the offset of its
    /// population, so rows are distinct across populations.
    pub rows: Vec<u64>,
    /// Spike times (ms) of each cell, sorted.
    pub trains: Vec<Vec<f64>>,
    /// Every spike of the group as `(cell, time)`, sorted by time.
    pub by_time: Vec<(usize, f64)>,
    /// SONATA node population and node id of each cell, when known (empty
    /// for groups built from rows alone).
    pub nodes: Vec<(String, u64)>,
}

impl Group {
    /// Number of cells.
    pub fn cells(&self) -> usize {
        self.trains.len()
    }

    /// Number of spikes of all its cells.
    pub fn spike_count(&self) -> usize {
        self.trains.iter().map(Vec::len).sum()
    }

    /// Every spike time of the group, sorted.
    pub fn all_times(&self) -> Vec<f64> {
        self.by_time.iter().map(|s| s.1).collect()
    }

    /// A group of `rows.len()` cells with the given `(cell, time)` spikes
    /// (in any order).
    pub fn new(name: String, rows: Vec<u64>, mut by_time: Vec<(usize, f64)>) -> Group {
        by_time.sort_unstable_by(|a, b| a.1.total_cmp(&b.1));
        let mut trains = vec![Vec::new(); rows.len()];
        for &(c, t) in &by_time {
            if let Some(tr) = trains.get_mut(c) {
                tr.push(t);
            }
        }
        Group {
            name,
            rows,
            trains,
            by_time,
            nodes: Vec::new(),
        }
    }

    /// The spikes in `[start, stop]` only; returns how many were left out.
    fn restrict(&mut self, start: f64, stop: f64) -> usize {
        let before = self.by_time.len();
        let inside = |t: &f64| *t >= start && *t <= stop;
        self.by_time.retain(|(_, t)| inside(t));
        for train in &mut self.trains {
            train.retain(inside);
        }
        before - self.by_time.len()
    }
}

/// Spikes grouped by cell and group, with the time window they cover.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    /// Start of the analysed window (ms).
    pub tstart: f64,
    /// End of the analysed window (ms).
    pub tstop: f64,
    /// What the groups are (`pop_name`, `population`...), for legends.
    pub group_by: String,
    /// The groups, sorted by name.
    pub groups: Vec<Group>,
    /// Spikes left out: from nodes the network does not have, or outside
    /// the window.
    pub dropped: usize,
}

impl Dataset {
    /// Narrows the analysed window to `[start, stop]` ms (spikes outside it
    /// are counted as left out). The caller checks `start < stop`.
    pub fn restrict(&mut self, start: f64, stop: f64) {
        for g in &mut self.groups {
            self.dropped += g.restrict(start, stop);
        }
        self.tstart = start;
        self.tstop = stop;
    }

    /// Window length in seconds.
    pub fn seconds(&self) -> f64 {
        (self.tstop - self.tstart) / 1000.0
    }

    /// Builds a dataset from `(population, node_id, time)` spikes and a list
    /// of cells `(population, node_id, group, raster row)`.
    pub fn from_parts(
        spikes: &[(String, u64, f64)],
        cells: &[CellRow],
        tstart: f64,
        tstop: f64,
        group_by: &str,
    ) -> Dataset {
        let mut cols: BTreeMap<&str, (Vec<u64>, Vec<f64>)> = BTreeMap::new();
        for (p, id, t) in spikes {
            let c = cols.entry(p.as_str()).or_default();
            c.0.push(*id);
            c.1.push(*t);
        }
        let cols: Vec<SpikeColumns> = cols
            .into_iter()
            .map(|(p, (ids, times))| SpikeColumns {
                population: p.to_string(),
                node_ids: ids,
                times,
            })
            .collect();
        Dataset::from_columns(&cols, cells, tstart, tstop, group_by)
    }

    /// Builds a dataset from the spike file's columns and a list of cells
    /// `(population, node_id, group, raster row)`.
    pub fn from_columns(
        spikes: &[SpikeColumns],
        cells: &[CellRow],
        tstart: f64,
        tstop: f64,
        group_by: &str,
    ) -> Dataset {
        let names: std::collections::BTreeSet<&str> = cells.iter().map(|c| c.2.as_str()).collect();
        let group_index: HashMap<&str, usize> =
            names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let mut rows: Vec<Vec<u64>> = vec![Vec::new(); names.len()];
        let mut nodes: Vec<Vec<(String, u64)>> = vec![Vec::new(); names.len()];
        // (population, node) → (group, cell within the group).
        let mut where_: HashMap<&str, Lookup> = HashMap::new();
        for (pop, id, name, row) in cells {
            let g = group_index[name.as_str()];
            let k = rows[g].len();
            rows[g].push(*row);
            nodes[g].push((pop.clone(), *id));
            where_.entry(pop.as_str()).or_default().insert(*id, (g, k));
        }
        let mut hits: Vec<Vec<(usize, f64)>> = vec![Vec::new(); names.len()];
        let mut dropped = 0;
        for col in spikes {
            let Some(look) = where_.get(col.population.as_str()) else {
                dropped += col.times.len();
                continue;
            };
            for (id, &t) in col.node_ids.iter().zip(&col.times) {
                match look.get(*id) {
                    Some((g, k)) if t >= tstart && t <= tstop => hits[g].push((k, t)),
                    _ => dropped += 1,
                }
            }
        }
        let groups = names
            .iter()
            .zip(rows)
            .zip(hits)
            .zip(nodes)
            .map(|(((n, r), h), ids)| Group {
                nodes: ids,
                ..Group::new((*n).to_string(), r, h)
            })
            .collect();
        Dataset {
            tstart,
            tstop,
            group_by: group_by.to_string(),
            groups,
            dropped,
        }
    }

    /// Reads the spike file at `path` and joins it with the cells that
    /// `grouping` names. NDL diagnostics are added to `map`.
    pub fn load(
        map: &mut SourceMap,
        path: &Path,
        grouping: Grouping<'_>,
    ) -> Result<Dataset, Vec<Diagnostic>> {
        let spikes = read_columns(path).map_err(|e| {
            vec![Diagnostic::error("E1901", e).with_help(
                "give a SONATA spike file (`/spikes/<population>/timestamps` and `node_ids`)",
            )]
        })?;
        Dataset::join(map, &spikes, grouping)
    }

    /// Joins spikes already in memory (a spike file's columns, or a run's
    /// spikes) with the cells that `grouping` names, as [`Dataset::load`]
    /// does. NDL diagnostics are added to `map`.
    pub fn join(
        map: &mut SourceMap,
        spikes: &[SpikeColumns],
        grouping: Grouping<'_>,
    ) -> Result<Dataset, Vec<Diagnostic>> {
        match grouping {
            Grouping::Populations => Ok(by_population(spikes)),
            Grouping::Sonata { config, column } => {
                let (cells, tstart, tstop) = sonata_cells(config, column).map_err(|d| vec![d])?;
                Ok(Dataset::from_columns(spikes, &cells, tstart, tstop, column))
            }
            Grouping::Ndl { network, column } => {
                let checked = crate::driver::ndl::check_file(map, network).0;
                let Some(exp) = checked.experiment else {
                    return Err(checked.diagnostics);
                };
                let cells = circuit_cells(&exp.circuit(), column)
                    .map_err(|help| vec![no_column(network, column, help)])?;
                let run = &exp.network.run;
                Ok(Dataset::from_columns(
                    spikes, &cells, run.tstart, run.tstop, column,
                ))
            }
        }
    }
}

fn no_column(file: &Path, column: &str, known: Vec<String>) -> Diagnostic {
    Diagnostic::error(
        "E1902",
        format!("no node of `{}` has a `{column}` column", file.display()),
    )
    .with_help(format!("group by one of: {}", known.join(", ")))
}

/// The real cells of a built NDL circuit with their group and raster row;
/// the known column names when no node has `column`.
fn circuit_cells(
    circuit: &crate::net::circuit::Circuit,
    column: &str,
) -> Result<Vec<CellRow>, Vec<String>> {
    use crate::net::circuit::Attribute;
    let mut cells = Vec::new();
    let mut offset = 0u64;
    let mut found = false;
    let mut known: std::collections::BTreeSet<String> = [
        "population",
        "pop_name",
        "model_type",
        "model_template",
        "node_type_id",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for pop in circuit.node_populations.iter().filter(|p| !p.is_virtual) {
        for node in &pop.nodes {
            let ty = pop
                .node_types
                .iter()
                .find(|t| t.node_type_id == node.node_type_id);
            if let Some(t) = ty {
                known.extend(t.extra.keys().cloned());
            }
            known.extend(node.attributes.keys().cloned());
            let value = match column {
                "population" => Some(pop.name.clone()),
                "pop_name" => ty.map(|t| t.pop_name.clone()),
                "model_type" => ty.map(|t| t.model_type.clone()),
                "model_template" => ty.and_then(|t| t.model_template.clone()),
                "node_type_id" => Some(node.node_type_id.to_string()),
                _ => match node.attributes.get(column) {
                    Some(Attribute::Text(t)) => Some(t.clone()),
                    Some(Attribute::Number(v)) => Some(crate::units::format_number(*v)),
                    None => ty.and_then(|t| t.extra.get(column).cloned()),
                },
            };
            found |= value.is_some();
            let name = value.unwrap_or_else(|| "(none)".to_string());
            cells.push((pop.name.clone(), node.node_id, name, offset + node.node_id));
        }
        offset += pop.nodes.iter().map(|n| n.node_id + 1).max().unwrap_or(0);
    }
    if found {
        Ok(cells)
    } else {
        Err(known.into_iter().collect())
    }
}

/// Groups by the spike file's populations alone.
fn by_population(spikes: &[SpikeColumns]) -> Dataset {
    let mut ids: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    let mut tstop: f64 = 0.0;
    for col in spikes {
        ids.entry(col.population.as_str())
            .or_default()
            .extend_from_slice(&col.node_ids);
        tstop = col.times.iter().copied().fold(tstop, f64::max);
    }
    let mut cells = Vec::new();
    let mut offset = 0;
    for (pop, list) in &mut ids {
        list.sort_unstable();
        list.dedup();
        for &id in list.iter() {
            cells.push((pop.to_string(), id, pop.to_string(), offset + id));
        }
        offset += list.last().map_or(0, |m| m + 1);
    }
    Dataset::from_columns(spikes, &cells, 0.0, tstop.ceil(), "population")
}

/// The spikes of one population of a spike file, as stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpikeColumns {
    /// Population name (the group under `/spikes`).
    pub population: String,
    /// `node_ids`.
    pub node_ids: Vec<u64>,
    /// `timestamps` (ms).
    pub times: Vec<f64>,
}

/// Reads a SONATA spike file column by column (the same layout as
/// [`crate::sonata::spikes::read`], without a string per spike: 10^6 spikes load in tens
/// of milliseconds).
pub fn read_columns(path: &Path) -> Result<Vec<SpikeColumns>, String> {
    use hdf5_metno as hdf5;
    let inner = || -> hdf5::Result<Vec<SpikeColumns>> {
        let file = hdf5::File::open(path)?;
        let root = file.group("spikes")?;
        let mut out = Vec::new();
        for pop in root.member_names()? {
            let g = root.group(&pop)?;
            let times: Vec<f64> = crate::sonata::read_all(&g.dataset("timestamps")?)?;
            let node_ids: Vec<i64> = crate::sonata::read_ids(&g.dataset("node_ids")?)?;
            let node_ids =
                crate::sonata::checked_spikes(&format!("/spikes/{pop}"), node_ids, &times)?;
            if times.len() != node_ids.len() {
                return Err(format!(
                    "/spikes/{pop}: {} timestamps but {} node_ids",
                    times.len(),
                    node_ids.len()
                )
                .into());
            }
            out.push(SpikeColumns {
                population: pop,
                node_ids,
                times,
            });
        }
        Ok(out)
    };
    inner().map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Node id → (group, cell) for one population: a table when the ids are
/// dense, a hash map otherwise.
#[derive(Default)]
struct Lookup {
    dense: Vec<Option<(usize, usize)>>,
    sparse: HashMap<u64, (usize, usize)>,
}

impl Lookup {
    const DENSE_MAX: u64 = 1 << 24;

    fn insert(&mut self, id: u64, v: (usize, usize)) {
        if id < Self::DENSE_MAX {
            let i = id as usize;
            if self.dense.len() <= i {
                self.dense.resize(i + 1, None);
            }
            self.dense[i] = Some(v);
        } else {
            self.sparse.insert(id, v);
        }
    }

    fn get(&self, id: u64) -> Option<(usize, usize)> {
        if id < Self::DENSE_MAX {
            self.dense.get(id as usize).copied().flatten()
        } else {
            self.sparse.get(&id).copied()
        }
    }
}

/// Every real node of the config's circuit with its group and raster row,
/// and the run's window.
fn sonata_cells(config_path: &Path, column: &str) -> Result<(Vec<CellRow>, f64, f64), Diagnostic> {
    let cfg = config::load(config_path)?;
    let mut cells = Vec::new();
    let mut offset = 0u64;
    let mut found = false;
    let mut known: std::collections::BTreeSet<String> = ["population".to_string()].into();
    for (nodes_file, types_file) in &cfg.circuit.nodes {
        for pop in nodes::read_nodes(nodes_file, types_file)? {
            if pop.is_virtual() {
                continue;
            }
            known.extend(pop.types.header.iter().cloned());
            known.extend(pop.columns.keys().cloned());
            for (k, &id) in pop.node_ids.iter().enumerate() {
                let value = if column == "population" {
                    Some(pop.name.clone())
                } else if let Some(v) = pop.attr(k, column) {
                    Some(v.to_string())
                } else {
                    pop.columns
                        .get(column)
                        .and_then(|c| c.get(k))
                        .filter(|v| !v.is_nan())
                        .map(|v| crate::units::format_number(*v))
                };
                found |= value.is_some();
                // Without a pop_name, the population names the group (as `nmc run` does).
                let name = value.unwrap_or_else(|| {
                    if column == "pop_name" {
                        pop.name.clone()
                    } else {
                        "(none)".to_string()
                    }
                });
                cells.push((pop.name.clone(), id, name, offset + id));
            }
            offset += pop.node_ids.iter().max().map_or(0, |m| m + 1);
        }
    }
    if !found && column != "pop_name" {
        return Err(no_column(config_path, column, known.into_iter().collect()));
    }
    Ok((cells, cfg.tstart, cfg.tstop))
}
