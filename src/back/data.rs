//! Safe owners of everything a kernel reads and writes: one mechanism's
//! instance columns ([`MechanismData`]), the engine's per-node arrays
//! ([`NodeData`]), the shared scalars ([`Shared`]) and the event being
//! delivered ([`Event`]). The back ends take these, check them once per call
//! ([`MechanismData::check`]) and never index out of bounds afterwards.

use std::collections::BTreeMap;
use std::fmt;

use super::engine::Engine;
use super::layout::Layout;
use crate::ir::{FieldKind, KernelKind, Mechanism, NodeArray};

/// Why a kernel could not run.
#[derive(Clone, Debug, PartialEq)]
pub enum RunError {
    /// The data was built for another mechanism (different column count).
    WrongMechanism,
    /// A node index is past the end of a node or ion array.
    NodeOutOfRange {
        /// The array that is too short.
        array: String,
        /// Its length.
        len: usize,
        /// The largest node index used.
        node: usize,
    },
    /// The kernel uses an ion variable the node data does not have.
    MissingIon(String),
    /// A NET_RECEIVE kernel was run without an event.
    NoEvent,
    /// The event's target is not an instance.
    TargetOutOfRange(usize),
    /// The event carries fewer arguments than the kernel uses.
    TooFewNetArgs {
        /// Arguments needed.
        needed: usize,
        /// Arguments given.
        given: usize,
    },
    /// The IR is not executable (unsolved statement, bad index, bad arity).
    InvalidIr(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::WrongMechanism => write!(f, "mechanism data belongs to another mechanism"),
            RunError::NodeOutOfRange { array, len, node } => {
                write!(f, "node {node} is out of range of `{array}` (length {len})")
            }
            RunError::MissingIon(name) => write!(f, "node data has no ion array `{name}`"),
            RunError::NoEvent => write!(f, "a NET_RECEIVE kernel needs an event"),
            RunError::TargetOutOfRange(i) => write!(f, "event target {i} is not an instance"),
            RunError::TooFewNetArgs { needed, given } => {
                write!(f, "event has {given} arguments, the kernel uses {needed}")
            }
            RunError::InvalidIr(what) => write!(f, "invalid IR: {what}"),
        }
    }
}

impl std::error::Error for RunError {}

/// The engine's per-node arrays, shared by all mechanisms.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeData {
    /// Membrane potential (mV).
    pub v: Vec<f64>,
    /// Right-hand side of the cable matrix.
    pub rhs: Vec<f64>,
    /// Diagonal of the cable matrix.
    pub diag: Vec<f64>,
    /// Membrane area (um2).
    pub area: Vec<f64>,
    /// Diameter (um).
    pub diam: Vec<f64>,
    /// Ion variables per node by name (`ena`, `ina`, `cai`, `dinadv`, ...).
    pub ions: BTreeMap<String, Vec<f64>>,
}

impl NodeData {
    /// `n` nodes at 0 mV with zero matrix entries, area 100 um2, diam 1 um
    /// and no ion arrays.
    pub fn new(n: usize) -> Self {
        NodeData {
            v: vec![0.0; n],
            rhs: vec![0.0; n],
            diag: vec![0.0; n],
            area: vec![100.0; n],
            diam: vec![1.0; n],
            ions: BTreeMap::new(),
        }
    }

    /// The array behind `which`.
    pub fn array(&self, which: NodeArray) -> &[f64] {
        match which {
            NodeArray::V => &self.v,
            NodeArray::Rhs => &self.rhs,
            NodeArray::Diag => &self.diag,
            NodeArray::Area => &self.area,
            NodeArray::Diam => &self.diam,
        }
    }

    /// The array behind `which`, mutably.
    pub fn array_mut(&mut self, which: NodeArray) -> &mut [f64] {
        match which {
            NodeArray::V => &mut self.v,
            NodeArray::Rhs => &mut self.rhs,
            NodeArray::Diag => &mut self.diag,
            NodeArray::Area => &mut self.area,
            NodeArray::Diam => &mut self.diam,
        }
    }

    /// Adds (or replaces) ion array `name`, filled with `value`.
    pub fn add_ion(&mut self, name: &str, value: f64) {
        self.ions
            .insert(name.to_string(), vec![value; self.v.len()]);
    }
}

/// The node arrays in [`super::abi::KernelArgs::nodes`] order.
pub const NODE_ARRAYS: [NodeArray; 5] = [
    NodeArray::V,
    NodeArray::Rhs,
    NodeArray::Diag,
    NodeArray::Area,
    NodeArray::Diam,
];

/// Scalars every kernel sees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shared {
    /// Time (ms); in NET_RECEIVE the event's time.
    pub t: f64,
    /// Time step (ms).
    pub dt: f64,
    /// Temperature (degC).
    pub celsius: f64,
    /// NET_RECEIVE flag.
    pub flag: f64,
}

impl Default for Shared {
    /// t = 0, dt = 0.025 ms, celsius = 6.3 degC, flag = 0: NEURON's defaults.
    fn default() -> Self {
        Shared {
            t: 0.0,
            dt: 0.025,
            celsius: 6.3,
            flag: 0.0,
        }
    }
}

/// The event a NET_RECEIVE kernel delivers.
#[derive(Debug)]
pub struct Event<'a> {
    /// The receiving instance.
    pub target: usize,
    /// The connection's NET_RECEIVE arguments (weight first); kernels may
    /// write them.
    pub args: &'a mut [f64],
}

/// Everything besides the mechanism's own data that a kernel call needs.
pub struct Env<'a> {
    /// The engine's node arrays.
    pub nodes: &'a mut NodeData,
    /// t, dt, celsius, flag; kernels may write them.
    pub shared: &'a mut Shared,
    /// Callbacks for events, printing, random numbers, tables.
    pub engine: &'a mut dyn Engine,
    /// The event, for NET_RECEIVE kernels.
    pub event: Option<Event<'a>>,
}

/// One mechanism's instances in structure-of-arrays form, plus its
/// globals and global arrays. Built once; no kernel call allocates.
#[derive(Debug)]
pub struct MechanismData {
    count: usize,
    layout: Layout,
    columns: Vec<Vec<f64>>,
    /// Per column: empty, or for POINTER fields the per-instance target.
    pointers: Vec<Vec<*mut f64>>,
    /// Storage POINTER fields aim at until the engine sets them.
    _fallback: Vec<Vec<f64>>,
    globals: Vec<f64>,
    global_arrays: Vec<Vec<f64>>,
    node_index: Vec<u32>,
    max_node: usize,
    pub(crate) column_ptrs: Vec<*mut f64>,
    pub(crate) array_ptrs: Vec<*mut f64>,
    pub(crate) ion_ptrs: Vec<*mut f64>,
}

impl MechanismData {
    /// `count` instances of `mech` with every field at its default, globals
    /// at their defaults, global arrays zeroed and instance i at node i.
    pub fn new(mech: &Mechanism, count: usize) -> Self {
        let layout = Layout::of(mech);
        let mut columns = Vec::with_capacity(layout.columns);
        let mut pointers = Vec::with_capacity(layout.columns);
        let mut fallback = Vec::new();
        for field in &mech.fields {
            for _ in 0..field.len.max(1) {
                columns.push(vec![field.default; count]);
                if field.kind == FieldKind::Pointer {
                    let mut store = vec![field.default; count];
                    pointers.push(store.iter_mut().map(|x| x as *mut f64).collect());
                    fallback.push(store);
                } else {
                    pointers.push(Vec::new());
                }
            }
        }
        let column_ptrs = vec![std::ptr::null_mut(); layout.columns];
        let ion_ptrs = vec![std::ptr::null_mut(); layout.ion_vars.len()];
        MechanismData {
            count,
            columns,
            pointers,
            _fallback: fallback,
            globals: mech.globals.iter().map(|g| g.default).collect(),
            global_arrays: mech
                .global_arrays
                .iter()
                .map(|a| vec![0.0; a.len])
                .collect(),
            array_ptrs: vec![std::ptr::null_mut(); mech.global_arrays.len()],
            node_index: (0..count).map(|i| i as u32).collect(),
            max_node: count.saturating_sub(1),
            column_ptrs,
            ion_ptrs,
            layout,
        }
    }

    /// Adds columns, at their defaults, for the fields of `mech` past the
    /// ones this data has: kernels specialised for a run may keep values
    /// computed once in new fields at the end of the field list.
    pub fn grow_fields(&mut self, mech: &Mechanism) {
        for field in mech.fields.iter().skip(self.layout.field_slot.len()) {
            self.layout.field_slot.push(self.layout.columns);
            for _ in 0..field.len.max(1) {
                self.columns.push(vec![field.default; self.count]);
                if field.kind == FieldKind::Pointer {
                    let mut store = vec![field.default; self.count];
                    self.pointers
                        .push(store.iter_mut().map(|x| x as *mut f64).collect());
                    self._fallback.push(store);
                } else {
                    self.pointers.push(Vec::new());
                }
                self.column_ptrs.push(std::ptr::null_mut());
                self.layout.columns += 1;
            }
        }
    }

    /// Number of instances.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The layout the data follows.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Column `slot` (see [`Layout::field_slot`]). For a POINTER field this
    /// is unused storage; read the value with [`MechanismData::value`].
    pub fn column(&self, slot: usize) -> Option<&[f64]> {
        self.columns.get(slot).map(Vec::as_slice)
    }

    /// Column `slot`, mutably.
    pub fn column_mut(&mut self, slot: usize) -> Option<&mut [f64]> {
        self.columns.get_mut(slot).map(Vec::as_mut_slice)
    }

    /// Column of field `name` (its first element for arrays).
    pub fn field(&self, mech: &Mechanism, name: &str) -> Option<&[f64]> {
        let id = mech.field_id(name)?;
        self.column(*self.layout.field_slot.get(id)?)
    }

    /// Column of field `name`, mutably.
    pub fn field_mut(&mut self, mech: &Mechanism, name: &str) -> Option<&mut [f64]> {
        let id = mech.field_id(name)?;
        let slot = *self.layout.field_slot.get(id)?;
        self.column_mut(slot)
    }

    /// Whether column `slot` is a POINTER field's (read it with
    /// [`MechanismData::value`], not [`MechanismData::column`]).
    pub fn is_pointer(&self, slot: usize) -> bool {
        self.pointers.get(slot).is_some_and(|p| !p.is_empty())
    }

    /// The value of column `slot` for `instance`, following POINTERs.
    pub fn value(&self, slot: usize, instance: usize) -> Option<f64> {
        match self.pointers.get(slot) {
            Some(targets) if !targets.is_empty() => {
                let target = *targets.get(instance)?;
                // SAFETY: the pointer aims into `fallback` (owned, never
                // resized) or at a value the engine promised, in
                // `set_pointer`, to keep alive while this data exists.
                Some(unsafe { *target })
            }
            _ => self.columns.get(slot)?.get(instance).copied(),
        }
    }

    /// Sets the value of column `slot` for `instance`, following POINTERs.
    /// Returns false when out of range.
    pub fn set_value(&mut self, slot: usize, instance: usize, value: f64) -> bool {
        match self.pointers.get(slot) {
            Some(targets) if !targets.is_empty() => match targets.get(instance) {
                Some(&target) => {
                    // SAFETY: as in `value`.
                    unsafe { *target = value };
                    true
                }
                None => false,
            },
            _ => match self.columns.get_mut(slot).and_then(|c| c.get_mut(instance)) {
                Some(x) => {
                    *x = value;
                    true
                }
                None => false,
            },
        }
    }

    /// Aims POINTER column `slot` of `instance` at `target`. Returns false
    /// if the column is not a POINTER or the instance is out of range.
    ///
    /// # Safety
    /// `target` must stay valid for reads and writes, and must not be
    /// accessed through a Rust reference while a kernel runs, for as long
    /// as this data is used.
    pub unsafe fn set_pointer(&mut self, slot: usize, instance: usize, target: *mut f64) -> bool {
        match self
            .pointers
            .get_mut(slot)
            .and_then(|p| p.get_mut(instance))
        {
            Some(p) => {
                *p = target;
                true
            }
            None => false,
        }
    }

    /// Mechanism-wide values (`Mechanism::globals` order).
    pub fn globals(&self) -> &[f64] {
        &self.globals
    }

    /// Mechanism-wide values, mutably.
    pub fn globals_mut(&mut self) -> &mut [f64] {
        &mut self.globals
    }

    /// Global array `index`.
    pub fn global_array(&self, index: usize) -> Option<&[f64]> {
        self.global_arrays.get(index).map(Vec::as_slice)
    }

    /// Global array `index`, mutably.
    pub fn global_array_mut(&mut self, index: usize) -> Option<&mut [f64]> {
        self.global_arrays.get_mut(index).map(Vec::as_mut_slice)
    }

    /// Instance → node map.
    pub fn node_index(&self) -> &[u32] {
        &self.node_index
    }

    /// Sets the instance → node map; false (and no change) unless it has
    /// one entry per instance.
    pub fn set_node_index(&mut self, nodes: &[u32]) -> bool {
        if nodes.len() != self.count {
            return false;
        }
        self.node_index.copy_from_slice(nodes);
        self.max_node = nodes.iter().copied().max().unwrap_or(0) as usize;
        true
    }

    /// The node of `instance`.
    pub fn node_of(&self, instance: usize) -> Option<usize> {
        self.node_index.get(instance).map(|&n| n as usize)
    }

    /// Checks that a kernel of `kind` of `mech` can run on this data in
    /// `env` without any access out of bounds.
    pub fn check(&self, mech: &Mechanism, kind: KernelKind, env: &Env<'_>) -> Result<(), RunError> {
        self.check_nodes(mech, env.nodes)?;
        if matches!(kind, KernelKind::NetReceive | KernelKind::NetReceiveInit) {
            let event = env.event.as_ref().ok_or(RunError::NoEvent)?;
            self.check_event(event)?;
        }
        Ok(())
    }

    /// Checks that `event` targets an instance and carries enough
    /// NET_RECEIVE arguments.
    pub(crate) fn check_event(&self, event: &Event<'_>) -> Result<(), RunError> {
        if event.target >= self.count {
            return Err(RunError::TargetOutOfRange(event.target));
        }
        if event.args.len() < self.layout.net_args {
            return Err(RunError::TooFewNetArgs {
                needed: self.layout.net_args,
                given: event.args.len(),
            });
        }
        Ok(())
    }

    /// The event-independent part of [`MechanismData::check`]: the data
    /// belongs to `mech` and every node and ion array covers every node
    /// index.
    pub fn check_nodes(&self, mech: &Mechanism, nodes: &NodeData) -> Result<(), RunError> {
        if self.columns.len() != self.layout.columns
            || self.globals.len() != mech.globals.len()
            || self.global_arrays.len() != mech.global_arrays.len()
            || self.layout.field_slot.len() != mech.fields.len()
        {
            return Err(RunError::WrongMechanism);
        }
        if self.count > 0 {
            let node = self.max_node;
            for which in NODE_ARRAYS {
                let len = nodes.array(which).len();
                if node >= len {
                    return Err(RunError::NodeOutOfRange {
                        array: format!("{which:?}"),
                        len,
                        node,
                    });
                }
            }
            for (_, name) in &self.layout.ion_vars {
                let array = nodes
                    .ions
                    .get(name)
                    .ok_or_else(|| RunError::MissingIon(name.clone()))?;
                if node >= array.len() {
                    return Err(RunError::NodeOutOfRange {
                        array: name.clone(),
                        len: array.len(),
                        node,
                    });
                }
            }
        }
        Ok(())
    }

    /// True when every node array is longer than the largest node index
    /// (always true for data with no instances).
    pub(crate) fn nodes_cover(&self, nodes: &NodeData) -> bool {
        self.count == 0
            || NODE_ARRAYS
                .iter()
                .all(|&w| nodes.array(w).len() > self.max_node)
    }

    /// Refreshes the raw column, global-array and ion pointer tables (no
    /// allocation). Call after [`MechanismData::check`] succeeded.
    pub(crate) fn refresh_pointers(&mut self, nodes: &mut NodeData) {
        for (slot, ptr) in self.column_ptrs.iter_mut().enumerate() {
            *ptr = match (self.pointers.get_mut(slot), self.columns.get_mut(slot)) {
                (Some(targets), _) if !targets.is_empty() => targets.as_mut_ptr().cast::<f64>(),
                (_, Some(column)) => column.as_mut_ptr(),
                _ => std::ptr::null_mut(),
            };
        }
        for (ptr, array) in self.array_ptrs.iter_mut().zip(&mut self.global_arrays) {
            *ptr = array.as_mut_ptr();
        }
        for (ptr, (_, name)) in self.ion_ptrs.iter_mut().zip(&self.layout.ion_vars) {
            *ptr = nodes
                .ions
                .get_mut(name)
                .map_or(std::ptr::null_mut(), |a| a.as_mut_ptr());
        }
    }

    pub(crate) fn globals_ptr(&mut self) -> *mut f64 {
        self.globals.as_mut_ptr()
    }

    pub(crate) fn node_index_ptr(&self) -> *const u32 {
        self.node_index.as_ptr()
    }
}
