//! Recorded values: each [`crate::net::Record`] resolved once to a node
//! voltage or an instance column, then read every step.

use std::collections::HashMap;

use crate::ir::interface::unsuffixed;

use super::discretize::Nodes;
use super::instances::{MechInstances, Placement};
use super::{SimError, SimErrorKind};
use crate::back::NodeData;
use crate::net::{Record, Variable};

/// Where a recorded value is read.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Probe {
    /// Membrane potential of a node.
    Voltage(u32),
    /// Entry `k` of the membrane currents computed each step.
    MembraneCurrent(u32),
    /// Ion array `ion` (in the node data's name order) at node `node`.
    Ion {
        /// Index of the ion array.
        ion: u32,
        /// Node.
        node: u32,
    },
    /// Column `slot` of mechanism `mech`, instance `instance`.
    Column {
        /// Mechanism slot.
        mech: u32,
        /// Column.
        slot: u32,
        /// Instance.
        instance: u32,
    },
}

impl Probe {
    /// The mechanism instance read, if any: (mechanism slot, instance).
    pub fn instance(&self) -> Option<(u32, u32)> {
        match *self {
            Probe::Voltage(_) | Probe::Ion { .. } | Probe::MembraneCurrent(_) => None,
            Probe::Column { mech, instance, .. } => Some((mech, instance)),
        }
    }

    /// The value now.
    pub fn read(&self, nodes: &NodeData, mechs: &[MechInstances], imem: &MembraneCurrents) -> f64 {
        match *self {
            Probe::MembraneCurrent(k) => imem.value.get(k as usize).copied().unwrap_or(f64::NAN),
            Probe::Voltage(n) => nodes.v.get(n as usize).copied().unwrap_or(f64::NAN),
            Probe::Ion { ion, node } => nodes
                .ions
                .values()
                .nth(ion as usize)
                .and_then(|a| a.get(node as usize))
                .copied()
                .unwrap_or(f64::NAN),
            Probe::Column {
                mech,
                slot,
                instance,
            } => {
                let Some(m) = mechs.get(mech as usize) else {
                    return f64::NAN;
                };
                let (slot, instance) = (slot as usize, instance as usize);
                let value = match &m.merged {
                    // A recorded instance is never grouped with another:
                    // its leader row holds exactly its own values.
                    Some(g) if g.owned.get(slot) == Some(&true) => g
                        .leader_of
                        .get(instance)
                        .and_then(|&l| g.data.value(slot, l as usize)),
                    _ => m.data.value(slot, instance),
                };
                value.unwrap_or(f64::NAN)
            }
        }
    }
}

/// The probes' reads as entries of a few arrays (node voltages, one
/// column of a mechanism, ...): the arrays are looked up once per step,
/// then every probe is one indexed load. Built once the instances are
/// grouped (after initialisation: a grouped instance is read on its
/// leader's row); a probe following a POINTER, or whose array is not
/// found, reads through [`Probe::read`]. Same values as `Probe::read`.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProbePlan {
    arrays: Vec<Array>,
    /// Runs of consecutive probes reading one array: (array, end of the
    /// run in `entries`); array `u32::MAX`: each read by `Probe::read`.
    runs: Vec<(u32, u32)>,
    /// Per probe: the entry of its array it reads.
    entries: Vec<u32>,
}

/// An array probes read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Array {
    Voltage,
    MembraneCurrent,
    /// Ion array, in the node data's name order.
    Ion(u32),
    /// Column `slot` of mechanism `mech`'s instances.
    Column {
        mech: u32,
        slot: u32,
    },
    /// Column `slot` of mechanism `mech`'s grouped rows.
    Grouped {
        mech: u32,
        slot: u32,
    },
}

impl ProbePlan {
    /// The plan for `probes` over the instances as they are now.
    pub fn new(probes: &[Probe], mechs: &[MechInstances]) -> ProbePlan {
        const SLOW: (u32, u32) = (u32::MAX, 0);
        let mut arrays = Vec::new();
        let mut index: HashMap<Array, u32> = HashMap::new();
        let mut array_of = |a: Array| {
            *index.entry(a).or_insert_with(|| {
                arrays.push(a);
                (arrays.len() - 1) as u32
            })
        };
        let mut runs: Vec<(u32, u32)> = Vec::new();
        let mut entries = Vec::with_capacity(probes.len());
        for p in probes {
            let (a, i) = match *p {
                Probe::Voltage(n) => (array_of(Array::Voltage), n),
                Probe::MembraneCurrent(k) => (array_of(Array::MembraneCurrent), k),
                Probe::Ion { ion, node } => (array_of(Array::Ion(ion)), node),
                Probe::Column {
                    mech,
                    slot,
                    instance,
                } => match mechs.get(mech as usize) {
                    None => SLOW,
                    Some(m) => match &m.merged {
                        Some(g) if g.owned.get(slot as usize) == Some(&true) => {
                            match g.leader_of.get(instance as usize) {
                                Some(&l) if !g.data.is_pointer(slot as usize) => {
                                    (array_of(Array::Grouped { mech, slot }), l)
                                }
                                _ => SLOW,
                            }
                        }
                        _ if m.data.is_pointer(slot as usize) => SLOW,
                        _ => (array_of(Array::Column { mech, slot }), instance),
                    },
                },
            };
            entries.push(i);
            let end = entries.len() as u32;
            match runs.last_mut() {
                Some(run) if run.0 == a => run.1 = end,
                _ => runs.push((a, end)),
            }
        }
        ProbePlan {
            arrays,
            runs,
            entries,
        }
    }

    /// Appends the value of every probe now to `out` (`probes` as given
    /// to [`ProbePlan::new`]).
    pub fn read_into(
        &self,
        probes: &[Probe],
        nodes: &NodeData,
        mechs: &[MechInstances],
        imem: &MembraneCurrents,
        out: &mut Vec<f64>,
    ) {
        let arrays: Vec<Option<&[f64]>> = self
            .arrays
            .iter()
            .map(|a| match *a {
                Array::Voltage => Some(nodes.v.as_slice()),
                Array::MembraneCurrent => Some(imem.value.as_slice()),
                Array::Ion(k) => nodes.ions.values().nth(k as usize).map(Vec::as_slice),
                Array::Column { mech, slot } => mechs
                    .get(mech as usize)
                    .and_then(|m| m.data.column(slot as usize)),
                Array::Grouped { mech, slot } => mechs
                    .get(mech as usize)
                    .and_then(|m| m.merged.as_ref())
                    .and_then(|g| g.data.column(slot as usize)),
            })
            .collect();
        out.reserve(probes.len());
        let mut start = 0;
        for &(a, end) in &self.runs {
            let range = start..end as usize;
            start = end as usize;
            match arrays.get(a as usize) {
                Some(Some(values)) => {
                    let entries = self.entries.get(range).unwrap_or_default();
                    out.extend(
                        entries
                            .iter()
                            .map(|&i| values.get(i as usize).copied().unwrap_or(f64::NAN)),
                    );
                }
                _ => {
                    let probes = probes.get(range).unwrap_or_default();
                    out.extend(probes.iter().map(|p| p.read(nodes, mechs, imem)));
                }
            }
        }
    }
}

/// Resolves every record of `net`.
pub(crate) fn resolve(
    records: &[Record],
    nodes: &Nodes,
    mechs: &[MechInstances],
    placement: &Placement,
    data: &NodeData,
    imem: &mut MembraneCurrents,
) -> Result<Vec<Probe>, SimError> {
    records
        .iter()
        .enumerate()
        .map(|(k, r)| resolve_one(k, r, nodes, mechs, placement, data, imem))
        .collect()
}

/// The membrane currents of the nodes some record reads (NEURON's
/// `extracellular` `i_membrane`): `g * dv + i`, with the membrane's
/// conductance (mechanisms and capacitance) and ionic current from the
/// step's current evaluation and the step's change of v.
#[derive(Clone, Debug, Default)]
pub(crate) struct MembraneCurrents {
    pub node: Vec<u32>,
    g: Vec<f64>,
    i: Vec<f64>,
    v0: Vec<f64>,
    pub value: Vec<f64>,
}

impl MembraneCurrents {
    fn add(&mut self, node: u32) -> u32 {
        if let Some(k) = self.node.iter().position(|&n| n == node) {
            return k as u32;
        }
        self.node.push(node);
        self.g.push(0.0);
        self.i.push(0.0);
        self.v0.push(0.0);
        self.value.push(0.0);
        (self.node.len() - 1) as u32
    }

    /// After the currents, before the solve: the membrane's part of the
    /// matrix (`cfac * cm` added to the conductances, as NEURON's
    /// capacitance jacobian does) and v.
    pub fn before_solve(&mut self, data: &NodeData, cm: &[f64], cfac: f64) {
        for (k, &n) in self.node.iter().enumerate() {
            let n = n as usize;
            self.g[k] = data.diag[n] + cfac * cm[n];
            self.i[k] = -data.rhs[n];
            self.v0[k] = data.v[n];
        }
    }

    /// After the solve: the currents.
    pub fn after_solve(&mut self, data: &NodeData) {
        for (k, &n) in self.node.iter().enumerate() {
            self.value[k] = self.g[k] * (data.v[n as usize] - self.v0[k]) + self.i[k];
        }
    }
}

fn bad(k: usize, what: String) -> SimError {
    SimError::new(SimErrorKind::UnknownVariable, format!("record {k}: {what}"))
}

fn resolve_one(
    k: usize,
    r: &Record,
    nodes: &Nodes,
    mechs: &[MechInstances],
    placement: &Placement,
    data: &NodeData,
    imem: &mut MembraneCurrents,
) -> Result<Probe, SimError> {
    // A point process's variable needs no node (an artificial cell has
    // none).
    let node = || {
        nodes.node(r.cell, r.location).ok_or_else(|| {
            SimError::new(
                SimErrorKind::InvalidLocation,
                format!(
                    "record {k}: cell {} has no section {}",
                    r.cell, r.location.section
                ),
            )
        })
    };
    match &r.variable {
        Variable::Voltage => Ok(Probe::Voltage(node()?)),
        Variable::MembraneCurrent => Ok(Probe::MembraneCurrent(imem.add(node()?))),
        Variable::Ion { name } => {
            let node = node()?;
            let ion =
                data.ions.keys().position(|k| k == name).ok_or_else(|| {
                    bad(k, format!("no mechanism uses the ion variable `{name}`"))
                })?;
            Ok(Probe::Ion {
                ion: ion as u32,
                node,
            })
        }
        Variable::Density { mechanism, name } => {
            let node = node()?;
            let &(slot, first) = placement
                .density
                .get(&(r.cell, r.location.section, mechanism.clone()))
                .ok_or_else(|| {
                    bad(
                        k,
                        format!("mechanism `{mechanism}` is not inserted in that section"),
                    )
                })?;
            let sec = nodes.sections[r.cell][r.location.section];
            if !sec.is_interior(node) {
                return Err(bad(
                    k,
                    format!(
                        "x = {} is an end of the section, where no mechanism lives",
                        r.location.x
                    ),
                ));
            }
            column(k, mechs, slot, first + (node - sec.first), mechanism, name)
        }
        Variable::PointProcess { index, name } => {
            let (slot, inst) = placement
                .point(r.cell, *index)
                .ok_or_else(|| bad(k, format!("cell {} has no point process {index}", r.cell)))?;
            let mech = mechs
                .get(slot as usize)
                .map(|m| m.mech().name.clone())
                .unwrap_or_default();
            column(k, mechs, slot, inst, &mech, name)
        }
    }
}

/// The field a record names `name` of mechanism `mech` reads (with or
/// without the mechanism's suffix).
pub(crate) fn field_of(mech: &crate::ir::Mechanism, name: &str) -> Option<crate::ir::FieldId> {
    mech.field_id(unsuffixed(name, &mech.name).unwrap_or(name))
}

fn column(
    k: usize,
    mechs: &[MechInstances],
    slot: u32,
    instance: u32,
    mechanism: &str,
    name: &str,
) -> Result<Probe, SimError> {
    let m = mechs
        .get(slot as usize)
        .ok_or_else(|| bad(k, format!("no mechanism `{mechanism}`")))?;
    let mech = m.mech();
    let base = unsuffixed(name, &mech.name).unwrap_or(name);
    let id = field_of(mech, name).ok_or_else(|| {
        bad(
            k,
            format!("mechanism `{mechanism}` has no variable `{base}`"),
        )
    })?;
    let col = m
        .data
        .layout()
        .field_slot
        .get(id)
        .copied()
        .ok_or_else(|| bad(k, format!("variable `{base}` has no column")))?;
    Ok(Probe::Column {
        mech: slot,
        slot: col as u32,
        instance,
    })
}
