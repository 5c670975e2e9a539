//! Mechanism instances in structure-of-arrays form: one [`MechanismData`]
//! per mechanism type in library order, instance → node maps, parameter
//! values, and the per-node ion arrays with NEURON's default values.

use crate::ir::interface::unsuffixed;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use super::aggregate::Merged;
use super::discretize::Nodes;
use super::linear::{self, Linearity};
use super::mechanisms::Mechanisms;
use super::random123::Stream;
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
    /// When the network's instances were merged while building (see
    /// [`build`]): per row, how many instances it stands for.
    pub multiplicity: Option<Vec<u32>>,
    /// The RANDOM streams: instance `i`'s stream `r` at
    /// `i * mech().randoms.len() + r`.
    pub streams: Vec<Stream>,
    /// When the mechanism runs with its event state in its connections'
    /// arguments: what was moved (see `lift`).
    pub lifted: Option<Rc<super::lift::Lifted>>,
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

/// Builds the instances of every mechanism the network uses. With
/// `merge` (the recorded point processes, as (cell, index), which keep
/// rows of their own), the instances of a mechanism [`mergeable`] on one
/// node with the same parameter values share one row: they are
/// indistinguishable until events arrive, and their events may run on the
/// shared row (see `aggregate`), so nothing needs their own rows.
pub(crate) fn build(
    piece: &super::Piece<'_>,
    points: Option<&[Vec<crate::net::PointProcess>]>,
    lib: &Mechanisms,
    nodes: &Nodes,
    merge: Option<&HashSet<(usize, usize)>>,
) -> Result<(Vec<MechInstances>, Placement), SimError> {
    // Instances per library index: (node, params, origin).
    type Pending<'a> = Vec<(u32, &'a BTreeMap<String, f64>, Origin)>;
    let mut pending: BTreeMap<usize, Pending<'_>> = BTreeMap::new();
    let cells = piece.cells;
    for (ci, cell) in cells.iter().enumerate() {
        let points = super::points_of(cells, points, ci);
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
        if artificial && points.len() != 1 {
            return Err(SimError::new(
                SimErrorKind::InvalidNetwork,
                format!(
                    "cell {ci} (gid {}) has no section: it must hold exactly one ARTIFICIAL_CELL, not {} point processes",
                    cell.gid,
                    points.len()
                ),
            ));
        }
        let want = if artificial {
            MechKind::ArtificialCell
        } else {
            MechKind::PointProcess
        };
        let mut last: Option<(&str, usize)> = None;
        for (pi, pp) in points.iter().enumerate() {
            let idx = match last {
                Some((name, idx)) if name == &*pp.mechanism => idx,
                _ => lookup(lib, &pp.mechanism, want)?,
            };
            last = Some((&pp.mechanism, idx));
            // An artificial cell touches no node; node 0 keeps the
            // kernels' bounds checks satisfied (see `Part::build`).
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
    let mut random_order: RandomOrder<'_> = Vec::new();
    let mut placement = Placement {
        point: (0..cells.len())
            .map(|ci| vec![(UNPLACED, UNPLACED); super::points_of(cells, points, ci).len()])
            .collect(),
        ..Placement::default()
    };
    for (idx, list) in pending {
        // While merging, a mechanism may run with its event state moved
        // into its connections (see `lift`).
        let (compiled, lifted) = match merge.and(piece.lifts.get(idx)) {
            Some((c, l)) => (c.clone(), Some(l.clone())),
            None => match lib.shared(idx) {
                Some(c) => (c, None),
                None => continue,
            },
        };
        let mech = compiled.mechanism();
        // Instances with WATCH conditions keep their own state.
        let linearity = if mech.watches.is_empty() {
            linear::analyse(mech).ok()
        } else {
            None
        };
        let groups = match (merge, &linearity) {
            (Some(pinned), Some(lin)) if mergeable(mech, lin) => Some(group(&list, pinned)),
            _ => None,
        };
        let rows = groups.as_ref().map_or(list.len(), |g| g.multiplicity.len());
        let mut data = MechanismData::new(mech, rows);
        let node_index: Vec<u32> = match &groups {
            Some(g) => g.first.iter().map(|&k| list[k as usize].0).collect(),
            None => list.iter().map(|p| p.0).collect(),
        };
        data.set_node_index(&node_index);
        let slot = mechs.len() as u32;
        // Parameter names resolved once per distinct map (synapses of one
        // connection type share theirs).
        let mut resolved: Vec<(Param, f64)> = Vec::new();
        let mut resolved_for: Option<*const BTreeMap<String, f64>> = None;
        for (k, (_, params, origin)) in list.iter().enumerate() {
            let inst = match &groups {
                Some(g) => g.row_of[k] as usize,
                None => k,
            };
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
                    Param::Random(..) => {}
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
        let nr = mech.randoms.len();
        let streams = vec![Stream::new(0, 0, 0, RANDOM_GLOBAL_INDEX); list.len() * nr];
        if nr > 0 {
            for (inst, (node, params, origin)) in list.iter().enumerate() {
                let key = match *origin {
                    Origin::Density(c, s) => (c, 0, s, *node as usize),
                    Origin::Point(c, p) => (c, 1, p, 0),
                };
                random_order.push((key, slot, inst, *params));
            }
        }
        mechs.push(MechInstances {
            compiled,
            data,
            has,
            prepared: None,
            linearity,
            merged: None,
            multiplicity: groups.map(|g| g.multiplicity),
            streams,
            lifted,
        });
    }
    set_streams(&mut mechs, random_order)?;
    Ok((mechs, placement))
}

/// True when the instances of `mech` (which `lin` describes) may be
/// merged while building: events may run on the merged row
/// ([`Linearity::event_reads`]), and INITIAL gives equal instances equal
/// values (no random numbers, no RANDOM streams of their own).
fn mergeable(mech: &Mechanism, lin: &Linearity) -> bool {
    lin.event_reads.is_some() && !linear::draws_random(mech) && mech.randoms.is_empty()
}

/// A parameter map, by address (maps are shared between instances).
type Map = *const BTreeMap<String, f64>;

/// Instances merged into rows (see [`build`]).
struct Groups {
    /// Per instance (in list order): its row.
    row_of: Vec<u32>,
    /// Per row: its first instance.
    first: Vec<u32>,
    /// Per row: how many instances it stands for.
    multiplicity: Vec<u32>,
}

/// Merges the instances of `list` that sit on one node with parameter
/// maps of equal values (bit for bit), except the `pinned` point
/// processes; rows in order of first appearance.
fn group(
    list: &[(u32, &BTreeMap<String, f64>, Origin)],
    pinned: &HashSet<(usize, usize)>,
) -> Groups {
    // Parameter maps numbered by value: maps are shared, so one lookup
    // per distinct map object, and the content compared only for new ones.
    let mut by_ptr: HashMap<Map, u32> = HashMap::new();
    let mut by_value: HashMap<Vec<(&str, u64)>, u32> = HashMap::new();
    let mut rows: HashMap<(u32, u32), u32> = HashMap::new();
    let mut g = Groups {
        row_of: Vec::with_capacity(list.len()),
        first: Vec::new(),
        multiplicity: Vec::new(),
    };
    // Consecutive instances usually share node and map (the synapses of
    // one connection type onto one cell).
    let mut last: Option<((u32, Map), u32)> = None;
    for (k, &(node, params, origin)) in list.iter().enumerate() {
        let alone = matches!(origin, Origin::Point(c, p) if pinned.contains(&(c, p)));
        let ptr: Map = params;
        let hit = last.filter(|l| !alone && l.0 == (node, ptr)).map(|l| l.1);
        let row = match hit {
            Some(row) => row,
            None => {
                let next = g.first.len() as u32;
                let row = if alone {
                    next
                } else {
                    let id = *by_ptr.entry(ptr).or_insert_with(|| {
                        let value = params
                            .iter()
                            .map(|(n, v)| (n.as_str(), v.to_bits()))
                            .collect();
                        let fresh = by_value.len() as u32;
                        *by_value.entry(value).or_insert(fresh)
                    });
                    *rows.entry((node, id)).or_insert(next)
                };
                if row == next {
                    g.first.push(k as u32);
                    g.multiplicity.push(0);
                }
                if !alone {
                    last = Some(((node, ptr), row));
                }
                row
            }
        };
        g.row_of.push(row);
        if let Some(m) = g.multiplicity.get_mut(row as usize) {
            *m += 1;
        }
    }
    g
}

/// The global index of every RANDOM stream (NEURON's
/// `Random123_globalindex`, 0 unless a model sets it).
pub(crate) const RANDOM_GLOBAL_INDEX: u32 = 0;

/// Instances with RANDOM streams: (creation order key, slot, instance,
/// parameters).
type RandomOrder<'a> = Vec<(
    (usize, u8, usize, usize),
    u32,
    usize,
    &'a BTreeMap<String, f64>,
)>;

/// Gives every RANDOM stream NEURON's ids: in creation order (cell by
/// cell, density mechanisms section by section and node by node, then
/// point processes), stream after stream, ids (1, 0, n) with n counting
/// from 1, as NEURON's `nrnran123_newstream()` numbers them when the
/// instances are made in that order; then the ids and sequence given as
/// parameters `r.id1`, `r.id2`, `r.id3`, `r.seq` (NEURON's
/// `obj.r.set_ids(...)`, `set_seq(...)`).
fn set_streams(mechs: &mut [MechInstances], mut order: RandomOrder<'_>) -> Result<(), SimError> {
    order.sort_by_key(|o| o.0);
    let mut n: u32 = 0;
    for (_, slot, inst, params) in order {
        let Some(m) = mechs.get_mut(slot as usize) else {
            continue;
        };
        let nr = m.compiled.mechanism().randoms.len();
        for r in 0..nr {
            n = n.wrapping_add(1);
            if let Some(s) = m.streams.get_mut(inst * nr + r) {
                *s = Stream::new(1, 0, n, RANDOM_GLOBAL_INDEX);
            }
        }
        for (name, &value) in params.iter() {
            let Param::Random(r, which) = resolve_param(&m.data, m.compiled.mechanism(), name)?
            else {
                continue;
            };
            let Some(s) = m.streams.get_mut(inst * nr + r) else {
                continue;
            };
            if which == 3 {
                s.set_seq4which(value, RANDOM_GLOBAL_INDEX);
                continue;
            }
            if !(0.0..=u32::MAX as f64).contains(&value) || value.fract() != 0.0 {
                return Err(SimError::new(
                    SimErrorKind::UnknownParameter,
                    format!("`{name}` must be a whole number from 0 to 2^32 - 1, not {value}"),
                ));
            }
            let mut ids = s.ids();
            ids[which as usize] = value as u32;
            s.set_ids(ids[0], ids[1], ids[2]);
            // New ids take effect from the current sequence, as NEURON's
            // set_ids followed by set_seq(0) in every idiom using it.
            s.set_seq4which(0.0, RANDOM_GLOBAL_INDEX);
        }
    }
    Ok(())
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
    /// Part `1` of RANDOM stream `0`: 0..3 the ids id1..id3, 3 the
    /// sequence (`seq * 4 + word`, as `random_setseq`).
    Random(usize, u8),
}

/// Resolves parameter `name` (or `name_<mechanism>`): a field, or a
/// settable global.
fn resolve_param(data: &MechanismData, mech: &Mechanism, name: &str) -> Result<Param, SimError> {
    if let Some((stream, part)) = name.split_once('.')
        && let Some(r) = mech.randoms.iter().position(|x| x == stream)
    {
        let which = match part {
            "id1" => 0,
            "id2" => 1,
            "id3" => 2,
            "seq" => 3,
            _ => {
                return Err(SimError::new(
                    SimErrorKind::UnknownParameter,
                    format!(
                        "RANDOM stream `{stream}` of mechanism `{}` has `id1`, `id2`, `id3` and `seq`, not `{part}`",
                        mech.name
                    ),
                ));
            }
        };
        return Ok(Param::Random(r, which));
    }
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
