//! Mechanism instances in structure-of-arrays form: one [`MechanismData`]
//! per mechanism type in library order, instance → node maps, parameter
//! values, and the per-node ion arrays with NEURON's default values.

use crate::ir::interface::unsuffixed;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use super::aggregate::Merged;
use super::discretize::Nodes;
use super::linear::{self, Linearity};
use super::mechanisms::Mechanisms;
use super::{SimError, SimErrorKind};
use crate::back::{CompiledMechanism, Prepared};
use crate::back::{MechanismData, NodeData};
use crate::ir::{FieldKind, KernelKind, MechKind, Mechanism};
use crate::net::Cell;

/// All instances of one mechanism type.
pub(crate) struct MechInstances {
    /// Kernels.
    pub compiled: Rc<CompiledMechanism>,
    /// Instance data.
    pub data: MechanismData,
    /// Which kernels exist: init, current, state, net_receive, net_receive_init.
    pub has: [bool; 5],
    /// The argument block validated once for `data` and the engine's node
    /// data (see [`prepare`]).
    pub prepared: Option<Prepared>,
    /// When instances may share state: what the analysis proved.
    pub linearity: Option<Linearity>,
    /// The leaders while instances share state (set at every
    /// initialisation, see `aggregate`).
    pub merged: Option<Merged>,
}

impl MechInstances {
    /// The mechanism.
    pub fn mech(&self) -> &Mechanism {
        self.compiled.mechanism()
    }

    /// Runs `compiled` (the same mechanism, e.g. kernels specialised for
    /// this run) from now on: the argument block is made again for it.
    /// Only before the first run (no aggregated leaders yet).
    pub fn switch(
        &mut self,
        compiled: Rc<CompiledMechanism>,
        nodes: &mut NodeData,
    ) -> Result<(), SimError> {
        self.data.grow_fields(compiled.mechanism());
        let prepared = compiled.prepare(&mut self.data, nodes).map_err(|e| {
            SimError::new(
                SimErrorKind::Kernel,
                format!("mechanism `{}` cannot run: {e}", compiled.mechanism().name),
            )
        })?;
        self.has = KINDS.map(|k| compiled.has_kernel(k));
        self.compiled = compiled;
        self.prepared = Some(prepared);
        self.merged = None;
        Ok(())
    }
}

/// Where each network object's instance lives.
#[derive(Default)]
pub(crate) struct Placement {
    /// Per cell, per point process index: (mechanism slot, instance).
    pub point: Vec<Vec<(u32, u32)>>,
    /// (cell, section, mechanism name) → (mechanism slot, first instance);
    /// instance k sits at the section's k-th interior node.
    pub density: HashMap<(usize, usize, String), (u32, u32)>,
}

const KINDS: [KernelKind; 5] = [
    KernelKind::Init,
    KernelKind::Current,
    KernelKind::State,
    KernelKind::NetReceive,
    KernelKind::NetReceiveInit,
];

/// A point process without an instance in [`Placement::point`].
const UNPLACED: u32 = u32::MAX;

impl Placement {
    /// (mechanism slot, instance) of point process `index` of cell `cell`
    /// (None when it has no instance).
    pub fn point(&self, cell: usize, index: usize) -> Option<(u32, u32)> {
        let p = *self.point.get(cell)?.get(index)?;
        (p.0 != UNPLACED).then_some(p)
    }
}

/// Builds the instances of every mechanism the network uses.
pub(crate) fn build(
    cells: &[Cell],
    lib: &Mechanisms,
    nodes: &Nodes,
) -> Result<(Vec<MechInstances>, Placement), SimError> {
    // Instances per library index: (node, params, origin).
    type Pending<'a> = Vec<(u32, &'a BTreeMap<String, f64>, Origin)>;
    let mut pending: BTreeMap<usize, Pending<'_>> = BTreeMap::new();
    for (ci, cell) in cells.iter().enumerate() {
        for (si, sec) in cell.sections.iter().enumerate() {
            for ins in &sec.mechanisms {
                let idx = lookup(lib, &ins.mechanism, MechKind::Density)?;
                let secn = nodes.sections[ci][si];
                let list = pending.entry(idx).or_default();
                if list.iter().any(|p| p.2 == Origin::Density(ci, si)) {
                    return Err(SimError::new(
                        SimErrorKind::InvalidNetwork,
                        format!(
                            "mechanism `{}` is inserted twice in section `{}` of cell {ci}",
                            ins.mechanism, sec.name
                        ),
                    ));
                }
                for k in 0..secn.nseg {
                    list.push((secn.first + k, &ins.params, Origin::Density(ci, si)));
                }
            }
        }
        let artificial = cell.sections.is_empty();
        if artificial && cell.point_processes.len() != 1 {
            return Err(SimError::new(
                SimErrorKind::InvalidNetwork,
                format!(
                    "cell {ci} (gid {}) has no section: it must hold exactly one ARTIFICIAL_CELL, not {} point processes",
                    cell.gid,
                    cell.point_processes.len()
                ),
            ));
        }
        let want = if artificial {
            MechKind::ArtificialCell
        } else {
            MechKind::PointProcess
        };
        let mut last: Option<(&str, usize)> = None;
        for (pi, pp) in cell.point_processes.iter().enumerate() {
            let idx = match last {
                Some((name, idx)) if name == &*pp.mechanism => idx,
                _ => lookup(lib, &pp.mechanism, want)?,
            };
            last = Some((&pp.mechanism, idx));
            // An artificial cell touches no node; node 0 keeps the
            // kernels' bounds checks satisfied (see `Part::new`).
            let node = if artificial {
                Some(0)
            } else {
                nodes.node(ci, pp.location)
            };
            let node = node.ok_or_else(|| {
                SimError::new(
                    SimErrorKind::InvalidLocation,
                    format!(
                        "point process {pi} (`{}`) of cell {ci}: section {} does not exist",
                        pp.mechanism, pp.location.section
                    ),
                )
            })?;
            pending
                .entry(idx)
                .or_default()
                .push((node, &pp.params, Origin::Point(ci, pi)));
        }
    }
    let mut mechs = Vec::new();
    let mut placement = Placement {
        point: cells
            .iter()
            .map(|c| vec![(UNPLACED, UNPLACED); c.point_processes.len()])
            .collect(),
        ..Placement::default()
    };
    for (idx, list) in pending {
        let Some(compiled) = lib.shared(idx) else {
            continue;
        };
        let mech = compiled.mechanism();
        let mut data = MechanismData::new(mech, list.len());
        let node_index: Vec<u32> = list.iter().map(|p| p.0).collect();
        data.set_node_index(&node_index);
        let slot = mechs.len() as u32;
        // Parameter names resolved once per distinct map (synapses of one
        // connection type share theirs).
        let mut resolved: Vec<(Param, f64)> = Vec::new();
        let mut resolved_for: Option<*const BTreeMap<String, f64>> = None;
        for (inst, (_, params, origin)) in list.iter().enumerate() {
            let key: *const BTreeMap<String, f64> = *params;
            if resolved_for != Some(key) {
                resolved.clear();
                for (name, &value) in params.iter() {
                    resolved.push((resolve_param(&data, mech, name)?, value));
                }
                resolved_for = Some(key);
            }
            for &(param, value) in &resolved {
                match param {
                    Param::Column(slot) => {
                        if let Some(x) = data.column_mut(slot).and_then(|c| c.get_mut(inst)) {
                            *x = value;
                        }
                    }
                    Param::Global(g) => {
                        if let Some(x) = data.globals_mut().get_mut(g) {
                            *x = value;
                        }
                    }
                    Param::Ignored => {}
                }
            }
            match *origin {
                Origin::Point(c, p) => {
                    if let Some(x) = placement.point.get_mut(c).and_then(|v| v.get_mut(p)) {
                        *x = (slot, inst as u32);
                    }
                }
                Origin::Density(c, s) => {
                    placement
                        .density
                        .entry((c, s, mech.name.clone()))
                        .or_insert((slot, inst as u32));
                }
            }
        }
        let has = KINDS.map(|k| compiled.has_kernel(k));
        let linearity = linear::analyse(compiled.mechanism()).ok();
        mechs.push(MechInstances {
            compiled,
            data,
            has,
            prepared: None,
            linearity,
            merged: None,
        });
    }
    Ok((mechs, placement))
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Origin {
    Density(usize, usize),
    Point(usize, usize),
}

fn lookup(lib: &Mechanisms, name: &str, want: MechKind) -> Result<usize, SimError> {
    let idx = lib.index(name).ok_or_else(|| {
        SimError::new(
            SimErrorKind::UnknownMechanism,
            format!("unknown mechanism `{name}` (not in the mechanism library)"),
        )
    })?;
    let kind = lib.get(name).map(|m| m.kind);
    if kind != Some(want) {
        let what = match (want, kind) {
            (MechKind::Density, _) => "inserted into a section (it is not a density mechanism)",
            (MechKind::ArtificialCell, _) => {
                "a cell without sections (it is not an ARTIFICIAL_CELL)"
            }
            (_, Some(MechKind::ArtificialCell)) => {
                "placed on a section (an ARTIFICIAL_CELL is a cell of its own: a cell with no sections)"
            }
            _ => "placed as a point process (it is not a POINT_PROCESS)",
        };
        return Err(SimError::new(
            SimErrorKind::InvalidNetwork,
            format!("mechanism `{name}` cannot be {what}"),
        ));
    }
    Ok(idx)
}

/// Where a parameter value goes.
#[derive(Clone, Copy, Debug)]
enum Param {
    /// Column `slot` of the mechanism data.
    Column(usize),
    /// Settable global `g`.
    Global(usize),
    /// A field without a column (nothing to set).
    Ignored,
}

/// Resolves parameter `name` (or `name_<mechanism>`): a field, or a
/// settable global.
fn resolve_param(data: &MechanismData, mech: &Mechanism, name: &str) -> Result<Param, SimError> {
    let base = unsuffixed(name, &mech.name).unwrap_or(name);
    if let Some(id) = mech.field_id(base) {
        let field = &mech.fields[id];
        if matches!(
            field.kind,
            FieldKind::Voltage | FieldKind::Ion { .. } | FieldKind::Pointer
        ) {
            return Err(SimError::new(
                SimErrorKind::UnknownParameter,
                format!(
                    "`{base}` of mechanism `{}` is not a parameter (set ion values on the section)",
                    mech.name
                ),
            ));
        }
        return Ok(match data.layout().field_slot.get(id) {
            Some(&slot) => Param::Column(slot),
            None => Param::Ignored,
        });
    }
    if let Some(g) = mech
        .globals
        .iter()
        .position(|g| g.name == base && g.settable)
    {
        return Ok(Param::Global(g));
    }
    Err(SimError::new(
        SimErrorKind::UnknownParameter,
        format!("mechanism `{}` has no parameter `{base}`", mech.name),
    ))
}

/// NEURON's default value of ion variable `var` of ion `ion`.
pub(crate) fn ion_default(ion: &str, var: &str) -> f64 {
    let table: &[(&str, f64, f64, f64)] = &[
        // (ion, e, inside, outside)
        ("na", 50.0, 10.0, 140.0),
        ("k", -77.0, 54.4, 2.5),
        ("ca", 132.457_934_774_194_23, 5e-5, 2.0),
    ];
    let (e, ci, co) = table
        .iter()
        .find(|t| t.0 == ion)
        .map_or((0.0, 1.0, 1.0), |t| (t.1, t.2, t.3));
    if var == format!("e{ion}") {
        e
    } else if var == format!("{ion}i") {
        ci
    } else if var == format!("{ion}o") {
        co
    } else {
        0.0
    }
}

/// Ion arrays: adds every ion variable any mechanism uses to `data` with
/// its default, then the sections' explicit values at their interior
/// nodes. Returns the names of the current arrays (`ina`, `dinadv`) that
/// are zeroed before every current evaluation.
pub(crate) fn ions(
    cells: &[Cell],
    nodes: &Nodes,
    mechs: &[MechInstances],
    data: &mut NodeData,
) -> Result<Vec<String>, SimError> {
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    let mut currents = BTreeSet::new();
    for m in mechs {
        let mech = m.mech();
        for (ion, name) in &m.data.layout().ion_vars {
            let Some(usage) = mech.ions.get(ion.index()) else {
                continue;
            };
            vars.insert(name.clone(), usage.name.clone());
            if *name == format!("i{}", usage.name) || *name == format!("di{}dv", usage.name) {
                currents.insert(name.clone());
            }
        }
        for usage in &mech.ions {
            for w in &usage.write {
                if *w == format!("i{}", usage.name) {
                    currents.insert(w.clone());
                    let d = format!("di{}dv", usage.name);
                    vars.insert(d.clone(), usage.name.clone());
                    currents.insert(d);
                }
            }
        }
    }
    for (var, ion) in &vars {
        data.add_ion(var, ion_default(ion, var));
    }
    for (ci, cell) in cells.iter().enumerate() {
        for (si, sec) in cell.sections.iter().enumerate() {
            for (var, &value) in &sec.ion_values {
                let Some(array) = data.ions.get_mut(var) else {
                    if var.is_empty() {
                        return Err(SimError::new(
                            SimErrorKind::UnknownParameter,
                            format!("an empty ion variable name in section `{}`", sec.name),
                        ));
                    }
                    // No mechanism uses this ion: nothing reads it.
                    continue;
                };
                let s = nodes.sections[ci][si];
                for k in 0..s.nseg {
                    if let Some(x) = array.get_mut((s.first + k) as usize) {
                        *x = value;
                    }
                }
            }
        }
    }
    Ok(currents.into_iter().collect())
}

/// Validates every mechanism's data against the node arrays once and
/// fills its kernel argument block. Call when the ion arrays are complete;
/// afterwards no node or ion array may be added, removed or resized.
pub(crate) fn prepare(mechs: &mut [MechInstances], data: &mut NodeData) -> Result<(), SimError> {
    for m in mechs {
        let prepared = m.compiled.prepare(&mut m.data, data).map_err(|e| {
            SimError::new(
                SimErrorKind::Kernel,
                format!("mechanism `{}` cannot run: {e}", m.mech().name),
            )
        })?;
        m.prepared = Some(prepared);
    }
    Ok(())
}
