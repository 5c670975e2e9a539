//! Mechanism instances in structure-of-arrays form: one [`MechanismData`]
//! per mechanism type in library order, instance → node maps, parameter
//! values, and the per-node ion arrays with NEURON's default values.

use crate::ir::interface::unsuffixed;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

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
    pub compiled: Arc<CompiledMechanism>,
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
    pub lifted: Option<Arc<super::lift::Lifted>>,
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
        compiled: Arc<CompiledMechanism>,
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
    mut points: Option<Vec<Vec<crate::net::PointProcess>>>,
    lib: &Mechanisms,
    nodes: &Nodes,
    merge: Option<&HashSet<(usize, usize)>>,
) -> Result<(Vec<MechInstances>, Placement), SimError> {
    let cells = piece.cells;
    // Each cell's entries are made as its point processes are read (and,
    // when taken, freed), so the two never coexist whole.
    let mut placement = Placement {
        point: vec![Vec::new(); cells.len()],
        ..Placement::default()
    };
    // Instances per library index, counted first so that each list is
    // allocated once at its size.
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    let mut maps = Maps::default();
    let mut last_point: Option<(*const u8, usize)> = None;
    for (ci, cell) in cells.iter().enumerate() {
        for (si, sec) in cell.sections.iter().enumerate() {
            for ins in &sec.mechanisms {
                let idx = lookup(lib, &ins.mechanism, MechKind::Density)?;
                *counts.entry(idx).or_default() += nodes.sections[ci][si].nseg as usize;
            }
        }
        let want = if cell.sections.is_empty() {
            MechKind::ArtificialCell
        } else {
            MechKind::PointProcess
        };
        for pp in super::points_of(cells, points.as_deref(), ci) {
            let key = pp.mechanism.as_ptr();
            let idx = match last_point {
                Some((k, idx)) if k == key => idx,
                _ => lookup(lib, &pp.mechanism, want)?,
            };
            last_point = Some((key, idx));
            *counts.entry(idx).or_default() += 1;
        }
    }
    let mut pending: BTreeMap<usize, Vec<Pending>> = counts
        .iter()
        .map(|(&idx, &n)| (idx, Vec::with_capacity(n)))
        .collect();
    for (ci, cell) in cells.iter().enumerate() {
        for (si, sec) in cell.sections.iter().enumerate() {
            for ins in &sec.mechanisms {
                let idx = lookup(lib, &ins.mechanism, MechKind::Density)?;
                let secn = nodes.sections[ci][si];
                let Some(list) = pending.get_mut(&idx) else {
                    continue;
                };
                // This cell's instances of the mechanism are the last ones.
                let twice = list
                    .iter()
                    .rev()
                    .take_while(|p| p.cell == ci as u32)
                    .any(|p| p.index == si as u32);
                if twice {
                    return Err(SimError::new(
                        SimErrorKind::InvalidNetwork,
                        format!(
                            "mechanism `{}` is inserted twice in section `{}` of cell {ci}",
                            ins.mechanism, sec.name
                        ),
                    ));
                }
                let map = maps.borrowed(&ins.params);
                for k in 0..secn.nseg {
                    list.push(Pending {
                        node: secn.first + k,
                        map,
                        cell: ci as u32,
                        index: si as u32,
                    });
                }
            }
        }
        // The cell's point processes, freed here when they were taken.
        let owned = points
            .as_mut()
            .and_then(|p| p.get_mut(ci))
            .map(std::mem::take);
        let cell_points = match &owned {
            Some(p) => p.as_slice(),
            None => cell.point_processes.as_slice(),
        };
        if let Some(entries) = placement.point.get_mut(ci) {
            *entries = vec![(UNPLACED, UNPLACED); cell_points.len()];
        }
        let artificial = cell.sections.is_empty();
        if artificial && cell_points.len() != 1 {
            return Err(SimError::new(
                SimErrorKind::InvalidNetwork,
                format!(
                    "cell {ci} (gid {}) has no section: it must hold exactly one ARTIFICIAL_CELL, not {} point processes",
                    cell.gid,
                    cell_points.len()
                ),
            ));
        }
        let want = if artificial {
            MechKind::ArtificialCell
        } else {
            MechKind::PointProcess
        };
        let mut last: Option<(*const u8, usize)> = None;
        for (pi, pp) in cell_points.iter().enumerate() {
            let key = pp.mechanism.as_ptr();
            let idx = match last {
                Some((k, idx)) if k == key => idx,
                _ => lookup(lib, &pp.mechanism, want)?,
            };
            last = Some((key, idx));
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
            let map = maps.shared(&pp.params);
            if let Some(list) = pending.get_mut(&idx) {
                list.push(Pending {
                    node,
                    map,
                    cell: ci as u32,
                    index: pi as u32,
                });
            }
        }
    }
    drop(points);
    let mut mechs = Vec::new();
    let mut random_order: RandomOrder = Vec::new();
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
        let density = mech.kind == MechKind::Density;
        // Instances with WATCH conditions keep their own state.
        let linearity = if mech.watches.is_empty() {
            linear::analyse(mech).ok()
        } else {
            None
        };
        let groups = match (merge, &linearity) {
            (Some(pinned), Some(lin)) if mergeable(mech, lin) => Some(group(&list, &maps, pinned)),
            _ => None,
        };
        let rows = groups.as_ref().map_or(list.len(), |g| g.multiplicity.len());
        let mut data = MechanismData::new(mech, rows);
        let node_index: Vec<u32> = match &groups {
            Some(g) => g.first.iter().map(|&k| list[k as usize].node).collect(),
            None => list.iter().map(|p| p.node).collect(),
        };
        data.set_node_index(&node_index);
        drop(node_index);
        let slot = mechs.len() as u32;
        // Parameter names resolved once per distinct map (synapses of one
        // connection type share theirs).
        let mut resolved: Vec<(Param, f64)> = Vec::new();
        let mut resolved_for: Option<u32> = None;
        for (k, p) in list.iter().enumerate() {
            let inst = match &groups {
                Some(g) => g.row_of[k] as usize,
                None => k,
            };
            if resolved_for != Some(p.map) {
                resolved.clear();
                for (name, &value) in maps.get(p.map).iter() {
                    resolved.push((resolve_param(&data, mech, name)?, value));
                }
                resolved_for = Some(p.map);
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
            let (c, i) = (p.cell as usize, p.index as usize);
            if density {
                placement
                    .density
                    .entry((c, i, mech.name.clone()))
                    .or_insert((slot, inst as u32));
            } else if let Some(x) = placement.point.get_mut(c).and_then(|v| v.get_mut(i)) {
                *x = (slot, inst as u32);
            }
        }
        // BEFORE STEP / AFTER STEP blocks compile but have no place in
        // the engine's step yet: refused rather than silently skipped.
        let step = crate::ir::Phase::Step;
        if compiled.has_kernel(KernelKind::Before(step))
            || compiled.has_kernel(KernelKind::After(step))
        {
            return Err(SimError::new(
                SimErrorKind::InvalidNetwork,
                format!(
                    "mechanism `{}` has a BEFORE STEP or AFTER STEP block, which nmc's engine does not run yet",
                    mech.name
                ),
            ));
        }
        let has = KINDS.map(|k| compiled.has_kernel(k));
        let nr = mech.randoms.len();
        let streams = vec![Stream::new(0, 0, 0, RANDOM_GLOBAL_INDEX); list.len() * nr];
        if nr > 0 {
            for (inst, p) in list.iter().enumerate() {
                let (c, i) = (p.cell as usize, p.index as usize);
                let key = if density {
                    (c, 0, i, p.node as usize)
                } else {
                    (c, 1, i, 0)
                };
                random_order.push((key, slot, inst, p.map));
            }
        }
        drop(list);
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
    set_streams(&mut mechs, random_order, &maps)?;
    Ok((mechs, placement))
}

/// One instance to make: its node, its parameter map (see [`Maps`]), its
/// cell and, within the cell, its section (density mechanisms) or point
/// process index.
struct Pending {
    node: u32,
    map: u32,
    cell: u32,
    index: u32,
}

/// The distinct parameter maps of the instances, numbered: density
/// mechanisms borrow theirs from the sections, point processes share
/// theirs (the synapses of one connection type carry one map).
#[derive(Default)]
struct Maps<'a> {
    list: Vec<MapRef<'a>>,
    by_address: HashMap<*const BTreeMap<String, f64>, u32>,
    last: Option<(*const BTreeMap<String, f64>, u32)>,
}

enum MapRef<'a> {
    Borrowed(&'a BTreeMap<String, f64>),
    Shared(std::sync::Arc<BTreeMap<String, f64>>),
}

impl<'a> Maps<'a> {
    fn number(
        &mut self,
        address: *const BTreeMap<String, f64>,
        make: impl FnOnce() -> MapRef<'a>,
    ) -> u32 {
        if let Some((a, id)) = self.last
            && a == address
        {
            return id;
        }
        let id = *self.by_address.entry(address).or_insert_with(|| {
            self.list.push(make());
            (self.list.len() - 1) as u32
        });
        self.last = Some((address, id));
        id
    }

    fn borrowed(&mut self, map: &'a BTreeMap<String, f64>) -> u32 {
        self.number(map, || MapRef::Borrowed(map))
    }

    fn shared(&mut self, map: &std::sync::Arc<BTreeMap<String, f64>>) -> u32 {
        self.number(std::sync::Arc::as_ptr(map), || MapRef::Shared(map.clone()))
    }

    fn get(&self, id: u32) -> &BTreeMap<String, f64> {
        static EMPTY: BTreeMap<String, f64> = BTreeMap::new();
        match self.list.get(id as usize) {
            Some(MapRef::Borrowed(m)) => m,
            Some(MapRef::Shared(m)) => m,
            None => &EMPTY,
        }
    }
}

/// True when the instances of `mech` (which `lin` describes) may be
/// merged while building: events may run on the merged row
/// ([`Linearity::event_reads`]), and INITIAL gives equal instances equal
/// values (no random numbers, no RANDOM streams of their own).
fn mergeable(mech: &Mechanism, lin: &Linearity) -> bool {
    lin.event_reads.is_some() && !linear::draws_random(mech) && mech.randoms.is_empty()
}

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
fn group(list: &[Pending], maps: &Maps<'_>, pinned: &HashSet<(usize, usize)>) -> Groups {
    // Maps numbered by value: each distinct map's content compared once.
    let mut by_value: HashMap<Vec<(&str, u64)>, u32> = HashMap::new();
    let mut value_of: HashMap<u32, u32> = HashMap::new();
    let mut rows: HashMap<(u32, u32), u32> = HashMap::new();
    let mut g = Groups {
        row_of: Vec::with_capacity(list.len()),
        first: Vec::new(),
        multiplicity: Vec::new(),
    };
    // Consecutive instances usually share node and map (the synapses of
    // one connection type onto one cell).
    let mut last: Option<((u32, u32), u32)> = None;
    for (k, p) in list.iter().enumerate() {
        let alone = pinned.contains(&(p.cell as usize, p.index as usize));
        let hit = last
            .filter(|l| !alone && l.0 == (p.node, p.map))
            .map(|l| l.1);
        let row = match hit {
            Some(row) => row,
            None => {
                let next = g.first.len() as u32;
                let row = if alone {
                    next
                } else {
                    let id = *value_of.entry(p.map).or_insert_with(|| {
                        let value = maps
                            .get(p.map)
                            .iter()
                            .map(|(n, v)| (n.as_str(), v.to_bits()))
                            .collect();
                        let fresh = by_value.len() as u32;
                        *by_value.entry(value).or_insert(fresh)
                    });
                    *rows.entry((p.node, id)).or_insert(next)
                };
                if row == next {
                    g.first.push(k as u32);
                    g.multiplicity.push(0);
                }
                if !alone {
                    last = Some(((p.node, p.map), row));
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
/// parameter map in [`Maps`]).
type RandomOrder = Vec<((usize, u8, usize, usize), u32, usize, u32)>;

/// Gives every RANDOM stream NEURON's ids: in creation order (cell by
/// cell, density mechanisms section by section and node by node, then
/// point processes), stream after stream, ids (1, 0, n) with n counting
/// from 1, as NEURON's `nrnran123_newstream()` numbers them when the
/// instances are made in that order; then the ids and sequence given as
/// parameters `r.id1`, `r.id2`, `r.id3`, `r.seq` (NEURON's
/// `obj.r.set_ids(...)`, `set_seq(...)`).
fn set_streams(
    mechs: &mut [MechInstances],
    mut order: RandomOrder,
    maps: &Maps<'_>,
) -> Result<(), SimError> {
    order.sort_by_key(|o| o.0);
    let mut n: u32 = 0;
    for (_, slot, inst, map) in order {
        let params = maps.get(map);
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
