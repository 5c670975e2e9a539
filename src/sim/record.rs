//! Recorded values: each [`crate::net::Record`] resolved once to a node
//! voltage or an instance column, then read every step.

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
    let id = mech.field_id(base).ok_or_else(|| {
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
