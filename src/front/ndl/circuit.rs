//! The SONATA-shaped record ([`Circuit`]) of the network the builder made,
//! laid out as BMTK 1.2.0 would store it: the real cells of the file form
//! one node population named by `network` (node types numbered from 100,
//! one per population, `pop_name` its name, `model_template`
//! `hoc:<CellType>`), every input is a virtual node population of its own,
//! the edges are grouped into `<source>_to_<target>` populations with one
//! edge type per `connect` statement. See [`super::Experiment::circuit`]
//! for how it lines up with the [`crate::net::Network`].

use super::connect::EdgeTypeDef;
use super::lower::{Ctx, InputInfo};
use super::{Column, Population};
use crate::net::circuit::{
    Attribute, Circuit, Edge, EdgePopulation, EdgeType, InputSpikes, Node, NodePopulation, NodeType,
};
use crate::net::{Network, Source};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The SONATA `model_template` of a synapse mechanism: BMTK's built-in
/// `exp2syn` for Exp2Syn, else the mechanism's name.
pub fn model_template(mechanism: &str) -> String {
    if mechanism == "Exp2Syn" {
        "exp2syn".into()
    } else {
        mechanism.into()
    }
}

/// The `dynamics_params` JSON of a synapse: the parameters the file set,
/// under the names BMTK's builders read (`erev` for exp2syn's `e`).
pub fn dynamics_params(mechanism: &str, params: &BTreeMap<String, f64>) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in params {
        let key = if mechanism == "Exp2Syn" && k == "e" {
            "erev"
        } else {
            k.as_str()
        };
        m.insert(key.to_string(), Value::from(*v));
    }
    m
}

/// `ms` in seconds, as the float nearest `ms / 1000` whose product with
/// 1000 (BMTK's and nmc's reading) gives `ms` back exactly, when one of
/// the few nearest does.
fn seconds(ms: f64) -> f64 {
    let s = ms / 1000.0;
    let mut candidates = [s, s, s, s, s];
    for k in 1..=2 {
        candidates[2 * k - 1] = f64::from_bits(s.to_bits().wrapping_add(k as u64));
        candidates[2 * k] = f64::from_bits(s.to_bits().wrapping_sub(k as u64));
    }
    candidates
        .into_iter()
        .find(|c| c.is_finite() && c * 1000.0 == ms)
        .unwrap_or(s)
}

fn text(a: &Attribute) -> String {
    match a {
        Attribute::Number(x) => crate::units::format_number(*x),
        Attribute::Text(t) => t.clone(),
    }
}

impl Ctx<'_> {
    /// Gathers what the record needs beyond the network (after
    /// [`Ctx::place_connections`]).
    pub(super) fn record(&mut self, mechanisms_dir: Option<PathBuf>) -> Record {
        let mut cell_templates = BTreeMap::new();
        let mut cells = BTreeMap::new();
        let mut point_defaults = BTreeMap::new();
        for p in &self.pops {
            if let Some(t) = self.types.get(&p.cell_type) {
                cell_templates.insert(p.cell_type.clone(), t.text.clone());
                cells.insert(p.cell_type.clone(), t.cell.clone());
            } else if let Some(m) = self.cat.as_ref().and_then(|c| c.find(&p.cell_type)) {
                let defaults: BTreeMap<String, f64> = m
                    .vars
                    .iter()
                    .filter(|v| v.settable)
                    .map(|v| (v.name.clone(), v.default))
                    .collect();
                point_defaults.insert(p.cell_type.clone(), defaults);
            }
        }
        Record {
            node_pop: self.node_pop.clone(),
            node_sets: std::mem::take(&mut self.node_sets),
            cell_templates,
            cells,
            point_defaults,
            inputs: self.inputs.clone(),
            edge_types: std::mem::take(&mut self.edge_types),
            edge_type_of: std::mem::take(&mut self.edge_type_of),
            mechanisms_dir,
            mechanism_files: self.used.iter().cloned().collect(),
        }
    }
}

/// What the SONATA record of an NDL network needs beyond the network
/// itself; the record ([`Circuit`]) is made from it on demand, so that a
/// run does not hold a second copy of every edge.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    node_pop: String,
    node_sets: BTreeMap<String, Value>,
    cell_templates: BTreeMap<String, String>,
    cells: BTreeMap<String, crate::net::Cell>,
    /// The settable parameters' defaults of each artificial cell type.
    point_defaults: BTreeMap<String, BTreeMap<String, f64>>,
    inputs: Vec<InputInfo>,
    edge_types: Vec<EdgeTypeDef>,
    /// Index into `edge_types` of each connection of the network.
    edge_type_of: super::runs::Runs<u32>,
    mechanisms_dir: Option<PathBuf>,
    mechanism_files: Vec<PathBuf>,
}

impl Record {
    /// The `dynamics_params` of an artificial-cell population `p` (None
    /// for cells with sections): `tau` and `refrac` in seconds for
    /// IntFire1 (BMTK's built-in setter reads those two, defaults
    /// included), else the parameters the population sets, in NEURON's
    /// units (what the run script's setter and nmc's reader set).
    fn point_params(&self, net: &Network, p: &Population) -> Option<Map<String, Value>> {
        if !p.sections.is_empty() {
            return None;
        }
        let cell = net.cells.get(p.first_cell)?;
        if !cell.sections.is_empty() {
            return None;
        }
        let pp = cell.point_processes.first()?;
        let mut m = Map::new();
        if &*pp.mechanism == "IntFire1" {
            let defaults = self.point_defaults.get(&p.cell_type);
            for key in ["tau", "refrac"] {
                let ms = pp
                    .params
                    .get(key)
                    .or_else(|| defaults.and_then(|d| d.get(key)))
                    .copied()?;
                m.insert(key.into(), Value::from(seconds(ms)));
            }
        } else {
            for (k, v) in pp.params.iter() {
                m.insert(k.clone(), Value::from(*v));
            }
        }
        Some(m)
    }

    /// The circuit of `net` (whose populations are `pops`).
    pub(super) fn circuit(&self, net: &Network, pops: &[Population]) -> Circuit {
        let mut c = Circuit {
            mechanisms_dir: self.mechanisms_dir.clone(),
            node_sets: self.node_sets.clone(),
            cell_templates: self.cell_templates.clone(),
            cells: self.cells.clone(),
            mechanism_files: self.mechanism_files.clone(),
            ..Circuit::default()
        };
        // Real cells: one node population.
        let mut real = NodePopulation {
            name: self.node_pop.clone(),
            is_virtual: false,
            ..NodePopulation::default()
        };
        for (i, p) in pops.iter().enumerate() {
            let type_id = 100 + i as u64;
            let mut extra = BTreeMap::new();
            for (k, col) in &p.properties {
                if let Column::Same(a) = col {
                    extra.insert(k.clone(), text(a));
                }
            }
            let point = self.point_params(net, p);
            let (model_type, model_template) = match point {
                Some(params) => {
                    let file = format!("{}_{}.json", p.cell_type, p.name);
                    c.point_params.insert(file.clone(), params);
                    extra.insert("dynamics_params".into(), file);
                    ("point_process", format!("nrn:{}", p.cell_type))
                }
                None => ("biophysical", format!("hoc:{}", p.cell_type)),
            };
            real.node_types.push(NodeType {
                node_type_id: type_id,
                pop_name: p.name.clone(),
                model_type: model_type.into(),
                model_template: Some(model_template),
                extra,
            });
            for k in 0..p.count {
                let mut attributes = BTreeMap::new();
                for (name, col) in &p.properties {
                    if let Column::PerNode(v) = col {
                        attributes.insert(name.clone(), v[k].clone());
                    }
                }
                real.nodes.push(Node {
                    node_id: (p.first_cell + k) as u64,
                    node_type_id: type_id,
                    position: p.positions.get(k).copied(),
                    attributes,
                });
            }
        }
        if !pops.is_empty() {
            c.node_populations.push(real);
        }
        // Inputs: a virtual population each, with its spikes.
        for i in &self.inputs {
            c.node_populations.push(NodePopulation {
                name: i.name.clone(),
                is_virtual: true,
                node_types: vec![NodeType {
                    node_type_id: 100,
                    pop_name: i.name.clone(),
                    model_type: "virtual".into(),
                    model_template: None,
                    extra: BTreeMap::new(),
                }],
                nodes: (0..i.count as u64)
                    .map(|k| Node {
                        node_id: k,
                        node_type_id: 100,
                        ..Node::default()
                    })
                    .collect(),
            });
            let mut spikes: Vec<(u64, f64)> = Vec::new();
            for k in 0..i.count {
                for &t in &net.trains[i.first_train + k].times {
                    spikes.push((k as u64, t));
                }
            }
            spikes.sort_by(|a, b| a.1.total_cmp(&b.1));
            c.inputs.push(InputSpikes {
                name: i.name.clone(),
                population: i.name.clone(),
                spikes,
            });
        }
        // Edge populations: recurrent (rank 0), then one per input.
        let mut ranks: Vec<usize> = self.edge_types.iter().map(|e| e.rank).collect();
        ranks.sort_unstable();
        ranks.dedup();
        for rank in ranks {
            let Some(first) = self.edge_types.iter().find(|e| e.rank == rank) else {
                continue;
            };
            let mut ep = EdgePopulation {
                name: format!("{}_to_{}", first.source_population, self.node_pop),
                source_population: first.source_population.clone(),
                target_population: self.node_pop.clone(),
                ..EdgePopulation::default()
            };
            let mut type_id: BTreeMap<usize, u64> = BTreeMap::new();
            for (k, et) in self.edge_types.iter().enumerate() {
                if et.rank != rank {
                    continue;
                }
                let id = 100 + type_id.len() as u64;
                type_id.insert(k, id);
                // Onto an artificial cell there is no synapse: the NetCon
                // targets the cell (BMTK reads no parameter of the file
                // when the edges give `sec_id`).
                let file = if et.synapse.is_empty() {
                    format!("{}_netcon.json", et.mechanism)
                } else {
                    format!("{}.json", et.synapse)
                };
                c.synapse_params
                    .entry(file.clone())
                    .or_insert_with(|| dynamics_params(&et.mechanism, &et.params));
                ep.edge_types.push(EdgeType {
                    edge_type_id: id,
                    source_query: et.source_query.clone(),
                    target_query: et.target_query.clone(),
                    model_template: model_template(&et.mechanism),
                    dynamics_params: file,
                    syn_weight: et.weight,
                    delay: et.delay,
                    target_sections: vec![et.section.clone()],
                    distance_range: None,
                });
            }
            let first_train = rank
                .checked_sub(1)
                .and_then(|k| self.inputs.get(k))
                .map_or(0, |i| i.first_train);
            let n = self
                .edge_type_of
                .iter()
                .filter(|&k| {
                    self.edge_types
                        .get(k as usize)
                        .is_some_and(|e| e.rank == rank)
                })
                .count();
            ep.edges.reserve(n);
            for (conn, k) in net.connections.iter().zip(self.edge_type_of.iter()) {
                let Some(et) = self.edge_types.get(k as usize) else {
                    continue;
                };
                if et.rank != rank {
                    continue;
                }
                let location = net
                    .cells
                    .get(conn.target_cell)
                    .and_then(|cell| cell.point_processes.get(conn.target))
                    .map(|pp| pp.location)
                    .unwrap_or_default();
                let source = match conn.source {
                    Source::Cell(s) => s,
                    Source::Train(t) => t - first_train,
                };
                ep.edges.push(Edge {
                    source: source as u64,
                    target: conn.target_cell as u64,
                    edge_type_id: type_id.get(&(k as usize)).copied().unwrap_or(100),
                    syn_weight: et.weight.is_none().then_some(conn.weight),
                    delay: et.delay.is_none().then_some(conn.delay),
                    sec_id: location.section as u64,
                    sec_x: location.x,
                    nsyns: 1,
                });
            }
            c.edge_populations.push(ep);
        }
        c
    }
}
