//! The kernel ABI: the `#[repr(C)]` argument block every compiled kernel
//! takes (by pointer, as its only argument) and the engine callbacks it
//! calls through. Safe code builds it with [`KernelArgs::build`] from a
//! checked [`MechanismData`] and the engine's node data; nothing else touches raw pointers.
//!
//! Layout contract (all pointers 8 bytes, see the field docs):
//! - `columns[s]` is column `s` of [`super::layout::Layout::field_slot`]: `count` f64s
//!   indexed by instance; for a POINTER field it is `count` `*mut f64`s.
//! - node arrays and ion arrays are indexed by `node_index[instance]`;
//!   `ions[k]` is ion variable `k` of [`super::layout::Layout::ion_vars`].
//! - callbacks get `engine` as their first argument.

use std::ffi::c_void;

use super::data::{Event, MechanismData, NODE_ARRAYS, NodeData, Shared};
use super::engine::Engine;
use crate::ir::Builtin;

/// `net_send(engine, instance, delay, flag)`.
pub type NetSendFn = extern "C" fn(*mut c_void, u64, f64, f64);
/// `net_event(engine, instance, t)` and `net_move(engine, instance, t)`.
pub type NetTimeFn = extern "C" fn(*mut c_void, u64, f64);
/// `watch_on(engine, instance, watch, flag)`.
pub type WatchFn = extern "C" fn(*mut c_void, u64, u64, f64);
/// `printf(engine, instance, format id, args, nargs)`; the id indexes
/// [`super::layout::Layout::formats`].
pub type PrintfFn = extern "C" fn(*mut c_void, u64, u64, *const f64, u64);
/// `random(engine, instance, builtin code, args, nargs) -> value` and
/// `function_table(engine, instance, table, args, nargs) -> value`.
pub type ValueFn = extern "C" fn(*mut c_void, u64, u64, *const f64, u64) -> f64;

/// The engine's callbacks.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Callbacks {
    /// `net_send`.
    pub net_send: NetSendFn,
    /// `net_event`.
    pub net_event: NetTimeFn,
    /// `net_move`.
    pub net_move: NetTimeFn,
    /// WATCH activation.
    pub watch_on: WatchFn,
    /// `printf`.
    pub printf: PrintfFn,
    /// Random numbers; the code is [`builtin_code`].
    pub random: ValueFn,
    /// FUNCTION_TABLE lookups.
    pub function_table: ValueFn,
}

/// The argument block of every kernel.
#[repr(C)]
#[derive(Debug)]
pub struct KernelArgs {
    /// Number of instances; loop kernels run instances `0..count`.
    pub count: u64,
    /// The instance NET_RECEIVE kernels run for.
    pub target: u64,
    /// Column pointers, one per layout column.
    pub columns: *const *mut f64,
    /// Mechanism globals (`Mechanism::globals` order).
    pub globals: *mut f64,
    /// Global array pointers (`Mechanism::global_arrays` order).
    pub global_arrays: *const *mut f64,
    /// Instance → node.
    pub node_index: *const u32,
    /// Node arrays V, Rhs, Diag, Area, Diam, indexed by node.
    pub nodes: [*mut f64; 5],
    /// Ion variable arrays ([`super::layout::Layout::ion_vars`] order), indexed by node.
    pub ions: *const *mut f64,
    /// The delivered connection's NET_RECEIVE arguments (may be null).
    pub net_args: *mut f64,
    /// Time (ms).
    pub t: f64,
    /// Time step (ms).
    pub dt: f64,
    /// Temperature (degC).
    pub celsius: f64,
    /// NET_RECEIVE flag.
    pub flag: f64,
    /// Opaque engine pointer passed to every callback.
    pub engine: *mut c_void,
    /// The callbacks.
    pub callbacks: Callbacks,
}

/// The code of `b` in the `random` callback.
pub fn builtin_code(b: Builtin) -> u64 {
    match b {
        Builtin::NormRand => 0,
        Builtin::ExpRand => 1,
        Builtin::UniRand => 2,
        Builtin::ScopRandom => 3,
        Builtin::SetSeed => 4,
        Builtin::RandomUniform => 5,
        Builtin::RandomNegexp => 6,
        Builtin::RandomNormal => 7,
        Builtin::RandomIpick => 8,
        Builtin::RandomDpick => 9,
        Builtin::RandomSetseq => 10,
        Builtin::RandomSetids => 11,
    }
}

fn builtin_of(code: u64) -> Builtin {
    match code {
        0 => Builtin::NormRand,
        1 => Builtin::ExpRand,
        2 => Builtin::UniRand,
        4 => Builtin::SetSeed,
        5 => Builtin::RandomUniform,
        6 => Builtin::RandomNegexp,
        7 => Builtin::RandomNormal,
        8 => Builtin::RandomIpick,
        9 => Builtin::RandomDpick,
        10 => Builtin::RandomSetseq,
        11 => Builtin::RandomSetids,
        _ => Builtin::ScopRandom,
    }
}

/// What the `engine` pointer of a block built by [`KernelArgs::build`]
/// points at: the Rust engine and the mechanism's printf formats.
pub struct Bridge<'a, 'e> {
    /// The engine.
    pub engine: &'a mut (dyn Engine + 'e),
    /// printf formats by id.
    pub formats: &'a [String],
}

impl KernelArgs {
    /// Fills a block for `data` over `nodes`, `shared` and `event`, with
    /// callbacks that forward to `bridge`. `data` must have passed
    /// [`MechanismData::check`] for the kernel about to run with the same
    /// `nodes` and `event`; the block is valid while none of the arguments
    /// is moved or otherwise used.
    pub fn build(
        data: &mut MechanismData,
        nodes: &mut NodeData,
        shared: &Shared,
        event: Option<&mut Event<'_>>,
        bridge: &mut Bridge<'_, '_>,
    ) -> KernelArgs {
        data.refresh_pointers(nodes);
        let node_arrays = NODE_ARRAYS.map(|which| nodes.array_mut(which).as_mut_ptr());
        let (target, net_args) = match event {
            Some(event) => (event.target as u64, event.args.as_mut_ptr()),
            None => (0, std::ptr::null_mut()),
        };
        KernelArgs {
            count: data.count() as u64,
            target,
            columns: data.column_ptrs.as_ptr(),
            globals: data.globals_ptr(),
            global_arrays: data.array_ptrs.as_ptr(),
            node_index: data.node_index_ptr(),
            nodes: node_arrays,
            ions: data.ion_ptrs.as_ptr(),
            net_args,
            t: shared.t,
            dt: shared.dt,
            celsius: shared.celsius,
            flag: shared.flag,
            engine: (bridge as *mut Bridge<'_, '_>).cast::<c_void>(),
            callbacks: CALLBACKS,
        }
    }

    /// Copies the scalars a kernel may have written back into `shared`.
    pub fn write_back(&self, shared: &mut Shared) {
        shared.t = self.t;
        shared.dt = self.dt;
        shared.celsius = self.celsius;
        shared.flag = self.flag;
    }
}

/// The callbacks that forward to a [`Bridge`].
pub const CALLBACKS: Callbacks = Callbacks {
    net_send: bridge_net_send,
    net_event: bridge_net_event,
    net_move: bridge_net_move,
    watch_on: bridge_watch_on,
    printf: bridge_printf,
    random: bridge_random,
    function_table: bridge_function_table,
};

/// Recovers the bridge from a callback's engine pointer.
///
/// # Safety
/// `engine` must be the `engine` of a block built by [`KernelArgs::build`]
/// whose bridge is still alive and not otherwise borrowed.
unsafe fn bridge<'a>(engine: *mut c_void) -> &'a mut Bridge<'a, 'a> {
    // SAFETY: guaranteed by the caller (kernels only pass the block's
    // engine pointer back, during the call that owns the bridge).
    unsafe { &mut *engine.cast::<Bridge<'a, 'a>>() }
}

/// Views `n` f64s at `args` as a slice.
///
/// # Safety
/// `args` must point to `n` readable f64s (or `n` must be 0).
unsafe fn slice<'a>(args: *const f64, n: u64) -> &'a [f64] {
    if n == 0 || args.is_null() {
        &[]
    } else {
        // SAFETY: guaranteed by the caller (kernels pass a stack slot of n values).
        unsafe { std::slice::from_raw_parts(args, n as usize) }
    }
}

extern "C" fn bridge_net_send(engine: *mut c_void, instance: u64, delay: f64, flag: f64) {
    // SAFETY: only kernels call this, with their block's engine pointer.
    let b = unsafe { bridge(engine) };
    b.engine.net_send(instance as usize, delay, flag);
}

extern "C" fn bridge_net_event(engine: *mut c_void, instance: u64, t: f64) {
    // SAFETY: only kernels call this, with their block's engine pointer.
    let b = unsafe { bridge(engine) };
    b.engine.net_event(instance as usize, t);
}

extern "C" fn bridge_net_move(engine: *mut c_void, instance: u64, t: f64) {
    // SAFETY: only kernels call this, with their block's engine pointer.
    let b = unsafe { bridge(engine) };
    b.engine.net_move(instance as usize, t);
}

extern "C" fn bridge_watch_on(engine: *mut c_void, instance: u64, watch: u64, flag: f64) {
    // SAFETY: only kernels call this, with their block's engine pointer.
    let b = unsafe { bridge(engine) };
    b.engine.watch_on(instance as usize, watch as usize, flag);
}

extern "C" fn bridge_printf(
    engine: *mut c_void,
    instance: u64,
    format: u64,
    args: *const f64,
    n: u64,
) {
    // SAFETY: only kernels call this, with their block's engine pointer and
    // a stack slot holding n arguments.
    let (b, args) = unsafe { (bridge(engine), slice(args, n)) };
    let format = b.formats.get(format as usize).map_or("", String::as_str);
    b.engine.printf(instance as usize, format, args);
}

extern "C" fn bridge_random(
    engine: *mut c_void,
    instance: u64,
    code: u64,
    args: *const f64,
    n: u64,
) -> f64 {
    // SAFETY: as in `bridge_printf`.
    let (b, args) = unsafe { (bridge(engine), slice(args, n)) };
    b.engine.random(instance as usize, builtin_of(code), args)
}

extern "C" fn bridge_function_table(
    engine: *mut c_void,
    instance: u64,
    table: u64,
    args: *const f64,
    n: u64,
) -> f64 {
    // SAFETY: as in `bridge_printf`.
    let (b, args) = unsafe { (bridge(engine), slice(args, n)) };
    b.engine
        .function_table(instance as usize, table as usize, args)
}

/// Byte offsets of [`KernelArgs`] fields, for code generators.
pub mod offsets {
    use super::{Callbacks, KernelArgs};
    use std::mem::offset_of;

    /// `count`.
    pub const COUNT: i32 = offset_of!(KernelArgs, count) as i32;
    /// `target`.
    pub const TARGET: i32 = offset_of!(KernelArgs, target) as i32;
    /// `columns`.
    pub const COLUMNS: i32 = offset_of!(KernelArgs, columns) as i32;
    /// `globals`.
    pub const GLOBALS: i32 = offset_of!(KernelArgs, globals) as i32;
    /// `global_arrays`.
    pub const GLOBAL_ARRAYS: i32 = offset_of!(KernelArgs, global_arrays) as i32;
    /// `node_index`.
    pub const NODE_INDEX: i32 = offset_of!(KernelArgs, node_index) as i32;
    /// `nodes[0]`; node array k is at `NODES + 8 k`.
    pub const NODES: i32 = offset_of!(KernelArgs, nodes) as i32;
    /// `ions`.
    pub const IONS: i32 = offset_of!(KernelArgs, ions) as i32;
    /// `net_args`.
    pub const NET_ARGS: i32 = offset_of!(KernelArgs, net_args) as i32;
    /// `t`.
    pub const T: i32 = offset_of!(KernelArgs, t) as i32;
    /// `dt`.
    pub const DT: i32 = offset_of!(KernelArgs, dt) as i32;
    /// `celsius`.
    pub const CELSIUS: i32 = offset_of!(KernelArgs, celsius) as i32;
    /// `flag`.
    pub const FLAG: i32 = offset_of!(KernelArgs, flag) as i32;
    /// `engine`.
    pub const ENGINE: i32 = offset_of!(KernelArgs, engine) as i32;
    const CB: usize = offset_of!(KernelArgs, callbacks);
    /// `callbacks.net_send`.
    pub const NET_SEND: i32 = (CB + offset_of!(Callbacks, net_send)) as i32;
    /// `callbacks.net_event`.
    pub const NET_EVENT: i32 = (CB + offset_of!(Callbacks, net_event)) as i32;
    /// `callbacks.net_move`.
    pub const NET_MOVE: i32 = (CB + offset_of!(Callbacks, net_move)) as i32;
    /// `callbacks.watch_on`.
    pub const WATCH_ON: i32 = (CB + offset_of!(Callbacks, watch_on)) as i32;
    /// `callbacks.printf`.
    pub const PRINTF: i32 = (CB + offset_of!(Callbacks, printf)) as i32;
    /// `callbacks.random`.
    pub const RANDOM: i32 = (CB + offset_of!(Callbacks, random)) as i32;
    /// `callbacks.function_table`.
    pub const FUNCTION_TABLE: i32 = (CB + offset_of!(Callbacks, function_table)) as i32;
}
