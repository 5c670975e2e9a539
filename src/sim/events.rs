//! The event queue: a binary heap ordered by (time, creation stamp), so
//! delivery is deterministic and the same in any number of threads, plus the [`Engine`] kernels call back into
//! (`net_send` and friends).

use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet};

use super::instances::RANDOM_GLOBAL_INDEX;
use super::random123::Stream;
use crate::back::{Engine, MechanismData};
use crate::ir::{
    BinOp, Builtin, Expr, FieldId, FieldKind, IdVec, KernelKind, Mechanism, NodeArray, Phase,
    Place, Stmt, UnOp,
};

/// No connection (a self-event sent from INITIAL).
pub(crate) const NO_CONN: u32 = u32::MAX;

/// What an event does when delivered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Target {
    /// Run NET_RECEIVE of connection `0`'s target with its arguments.
    NetCon(u32),
    /// Run NET_RECEIVE for every connection of fan-out list `0`, in order.
    Fanout(u32),
    /// A `net_send` self-event.
    SelfEvent {
        /// Mechanism slot.
        mech: u32,
        /// Instance.
        instance: u32,
        /// Flag.
        flag: f64,
        /// The connection whose arguments the event carries, or [`NO_CONN`].
        conn: u32,
    },
    /// Spike `index` of train `train`: send its connections' events.
    Train {
        /// Train index.
        train: u32,
        /// Spike index.
        index: u32,
    },
}

/// When an event was created, as an order that every partition of the
/// network into threads agrees on: step number, then phase (0: threshold
/// detection, 1: everything else), then for phase 0 the global detector
/// index and the event's index among that detector's events, for phase 1
/// a counter. Phase-1 events never cross threads (self-events, spike
/// trains, whose copies live in every thread that has targets), so their
/// counter only has to order the events of one thread. In one thread the
/// stamp order is creation order, which is NEURON's tie-break for events
/// of equal time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Stamp {
    step: u64,
    phase: u8,
    source: u32,
    seq: u64,
}

#[derive(Clone, Copy, Debug)]
struct Item {
    t: f64,
    stamp: Stamp,
    target: Target,
}

impl PartialEq for Item {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Item {}

impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Item {
    /// Reversed, so the max-heap pops the earliest (then first created).
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .t
            .total_cmp(&self.t)
            .then_with(|| other.stamp.cmp(&self.stamp))
    }
}

/// Pending events.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    heap: BinaryHeap<Item>,
    /// Step number now (0 during initialisation).
    step: u64,
    /// Phase-1 counter.
    seq: u64,
    /// Per (mechanism slot, instance): the undelivered self-event its
    /// last `net_send` queued, which `net_move` moves (NEURON keeps one
    /// such event per instance).
    movable: HashMap<(u32, u32), Movable>,
    /// Creation numbers of moved self-events, skipped when popped.
    cancelled: HashSet<u64>,
}

/// A self-event that `net_move` may move.
#[derive(Clone, Copy, Debug)]
struct Movable {
    seq: u64,
    target: Target,
}

impl Queue {
    /// Removes every event and restarts the step count.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.seq = 0;
        self.step = 0;
        self.movable.clear();
        self.cancelled.clear();
    }

    /// Reserves room for `n` more events.
    pub fn reserve(&mut self, n: usize) {
        self.heap.reserve(n);
    }

    /// Starts step `step` (numbered from 1).
    pub fn start_step(&mut self, step: u64) {
        self.step = step;
    }

    /// The step number now.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Schedules `target` at `t` (NaN times are dropped), created now
    /// outside threshold detection.
    pub fn push(&mut self, t: f64, target: Target) {
        self.seq += 1;
        let stamp = Stamp {
            step: self.step,
            phase: 1,
            source: 0,
            seq: self.seq,
        };
        self.push_stamped(t, stamp, target);
    }

    /// Schedules `target` at `t` (created now, outside threshold
    /// detection) and returns its creation number for [`Queue::cancel`].
    pub fn push_cancellable(&mut self, t: f64, target: Target) -> u64 {
        self.push(t, target);
        self.seq
    }

    /// The self-event of creation number `seq` is not delivered.
    pub fn cancel(&mut self, seq: u64) {
        self.cancelled.insert(seq);
    }

    /// Schedules self-event `target` at `t` as the one `net_move` of its
    /// instance moves from now on.
    pub fn push_movable(&mut self, t: f64, target: Target) {
        self.push(t, target);
        if let Target::SelfEvent { mech, instance, .. } = target
            && !t.is_nan()
        {
            let m = Movable {
                seq: self.seq,
                target,
            };
            self.movable.insert((mech, instance), m);
        }
    }

    /// NEURON's `net_move`: the undelivered self-event of `instance` of
    /// mechanism slot `mech` is due at `t` instead (a new creation
    /// number). Nothing happens when there is none.
    pub fn move_self_event(&mut self, mech: u32, instance: u32, t: f64) {
        let Some(m) = self.movable.get(&(mech, instance)).copied() else {
            return;
        };
        self.cancelled.insert(m.seq);
        self.movable.remove(&(mech, instance));
        self.push_movable(t, m.target);
    }

    /// Schedules `target` at `t`: event `index` of a spike that global
    /// detector `detector` detected at the start of step `step`.
    pub fn push_spike(&mut self, t: f64, step: u64, detector: u32, index: u64, target: Target) {
        let stamp = Stamp {
            step,
            phase: 0,
            source: detector,
            seq: index,
        };
        self.push_stamped(t, stamp, target);
    }

    fn push_stamped(&mut self, t: f64, stamp: Stamp, target: Target) {
        if t.is_nan() {
            return;
        }
        self.heap.push(Item { t, stamp, target });
    }

    /// The earliest event if its time is at most `til` (moved self-events
    /// are skipped).
    pub fn pop_until(&mut self, til: f64) -> Option<(f64, Target)> {
        loop {
            let item = match self.heap.peek() {
                Some(item) if item.t <= til => self.heap.pop()?,
                _ => return None,
            };
            if let Target::SelfEvent { mech, instance, .. } = item.target
                && item.stamp.phase == 1
            {
                if self.cancelled.remove(&item.stamp.seq) {
                    continue;
                }
                if self
                    .movable
                    .get(&(mech, instance))
                    .is_some_and(|m| m.seq == item.stamp.seq)
                {
                    self.movable.remove(&(mech, instance));
                }
            }
            return Some((item.t, item.target));
        }
    }
}

/// What kernels of one mechanism call back into during one kernel call.
pub(crate) struct Callbacks<'a> {
    /// The queue self-events go to.
    pub queue: &'a mut Queue,
    /// The mechanism slot running.
    pub mech: u32,
    /// Time of the call (the event time in NET_RECEIVE).
    pub t: f64,
    /// The connection being delivered, or [`NO_CONN`].
    pub conn: u32,
    /// Random number state.
    pub rng: &'a mut u64,
    /// The mechanism's RANDOM streams (see [`super::instances::MechInstances::streams`]).
    pub streams: &'a mut [Stream],
    /// RANDOM streams per instance.
    pub nrandoms: usize,
    /// WATCH statements run by this kernel call: (instance, watch, flag),
    /// in order; the engine activates them when the call returns.
    pub watch_ons: &'a mut Vec<(usize, usize, f64)>,
    /// Where `net_event` of an artificial cell goes; None while the
    /// engine takes no spikes (INITIAL).
    pub spiking: Option<Spiking<'a>>,
}

/// What `net_event` of an artificial cell needs: the cell's detector
/// (its connections) and the list its spikes are recorded in.
pub(crate) struct Spiking<'a> {
    /// (mechanism slot, instance) of each artificial cell -> its detector.
    pub sources: &'a HashMap<(u32, u32), u32>,
    /// Every detector of the part.
    pub detectors: &'a [super::Detector],
    /// The part's connections (for the order of a spike's events).
    pub fanouts: &'a Fanouts,
    /// Spikes found so far: (gid, time).
    pub spikes: &'a mut Vec<(u64, f64)>,
}

impl Callbacks<'_> {
    fn uniform(&mut self) -> f64 {
        // xorshift64*: deterministic, never zero state.
        let mut x = *self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *self.rng = x;
        let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (r >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Callbacks<'_> {
    /// A `random_*` call on RANDOM stream `args[0]` of `instance` (None
    /// for the other builtins). A stream the instance lacks gives 0.
    fn random_stream(&mut self, instance: usize, kind: Builtin, args: &[f64]) -> Option<f64> {
        let g = RANDOM_GLOBAL_INDEX;
        let arg = |k: usize| args.get(k).copied().unwrap_or(0.0);
        let r = arg(0);
        let at = if r >= 0.0 && (r as usize) < self.nrandoms {
            instance * self.nrandoms + r as usize
        } else {
            usize::MAX
        };
        let value = match kind {
            Builtin::NormRand
            | Builtin::ExpRand
            | Builtin::UniRand
            | Builtin::ScopRandom
            | Builtin::SetSeed => return None,
            Builtin::RandomUniform => {
                let s = self.streams.get_mut(at)?;
                let x = s.dblpick(g);
                if args.len() >= 3 {
                    arg(1) + x * (arg(2) - arg(1))
                } else {
                    x
                }
            }
            Builtin::RandomNegexp => {
                let s = self.streams.get_mut(at)?;
                let x = s.negexp(g);
                if args.len() >= 2 { x * arg(1) } else { x }
            }
            Builtin::RandomNormal => {
                let s = self.streams.get_mut(at)?;
                let x = s.normal(g);
                if args.len() >= 3 {
                    arg(1) + x * arg(2)
                } else {
                    x
                }
            }
            Builtin::RandomIpick => f64::from(self.streams.get_mut(at)?.ipick(g)),
            Builtin::RandomDpick => self.streams.get_mut(at)?.dblpick(g),
            Builtin::RandomSetseq => {
                let x = arg(1);
                self.streams.get_mut(at)?.set_seq4which(x, g);
                0.0
            }
            Builtin::RandomSetids => {
                // C's double -> uint32_t conversion, for values in range.
                let id = |x: f64| x as u32;
                let (a, b, c) = (id(arg(1)), id(arg(2)), id(arg(3)));
                self.streams.get_mut(at)?.set_ids(a, b, c);
                0.0
            }
        };
        Some(value)
    }
}

impl Engine for Callbacks<'_> {
    fn net_send(&mut self, instance: usize, delay: f64, flag: f64) {
        self.queue.push_movable(
            self.t + delay,
            Target::SelfEvent {
                mech: self.mech,
                instance: instance as u32,
                flag,
                conn: self.conn,
            },
        );
    }

    /// An artificial cell fires at `t`: the spike is recorded under the
    /// cell's gid at exactly `t` and its events queued at `t` + delay, in
    /// creation order (NEURON's `PreSyn::send` from `net_event`).
    fn net_event(&mut self, instance: usize, t: f64) {
        let Some(sp) = &mut self.spiking else {
            return;
        };
        let Some(d) = sp
            .sources
            .get(&(self.mech, instance as u32))
            .and_then(|&k| sp.detectors.get(k as usize))
        else {
            return;
        };
        if let Some(gid) = d.gid {
            sp.spikes.push((gid, t));
        }
        super::step::send(self.queue, t, None, &d.groups, sp.fanouts);
    }

    fn net_move(&mut self, instance: usize, t: f64) {
        self.queue.move_self_event(self.mech, instance as u32, t);
    }

    fn watch_on(&mut self, instance: usize, watch: usize, flag: f64) {
        self.watch_ons.push((instance, watch, flag));
    }

    fn printf(&mut self, _instance: usize, _format: &str, _args: &[f64]) {}

    fn random(&mut self, instance: usize, kind: Builtin, args: &[f64]) -> f64 {
        if let Some(v) = self.random_stream(instance, kind, args) {
            return v;
        }
        let u = self.uniform();
        match kind {
            Builtin::UniRand | Builtin::ScopRandom => u,
            Builtin::SetSeed => {
                // xorshift state must not be 0; mix the seed so small seeds differ widely.
                let seed = args.first().copied().unwrap_or(0.0).to_bits();
                *self.rng = (seed ^ 0x9E37_79B9_7F4A_7C15).max(1);
                0.0
            }
            Builtin::ExpRand => -args.first().copied().unwrap_or(1.0) * (1.0 - u).ln(),
            Builtin::NormRand => {
                let u2 = self.uniform();
                let z = (-2.0 * (1.0 - u).ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                args.first().copied().unwrap_or(0.0) + args.get(1).copied().unwrap_or(1.0) * z
            }
            // Handled by `random_stream`.
            _ => 0.0,
        }
    }

    fn function_table(&mut self, _instance: usize, _table: usize, _args: &[f64]) -> f64 {
        0.0
    }
}

/// A connection as the engine keeps it. Connections are numbered in
/// delivery order (see [`Fanouts`]): a connection's id is its position in
/// [`Fanouts::items`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Delivery {
    /// Its target's mechanism slot.
    pub mech: u32,
    /// Its target instance.
    pub instance: u32,
    /// Where its NET_RECEIVE arguments (weight first) start in the
    /// engine's argument array; their number is its mechanism's
    /// [`Fanouts::nargs`].
    pub args: u32,
    /// The row its events change: when its mechanism's NET_RECEIVE is a
    /// [`PlainAdd`], the leader's of its target's group (or the target's
    /// own), else its target instance.
    pub row: u32,
}

/// Every connection, grouped into the lists one event each delivers (one
/// source, one delay), the lists one after the other, so a spike's
/// deliveries read memory in order; with what delivering to a
/// [`PlainAdd`] NET_RECEIVE takes, computed at initialisation.
#[derive(Debug, Default)]
pub(crate) struct Fanouts {
    /// Per list: its range in `items`.
    pub lists: Vec<(u32, u32)>,
    /// Every connection, list after list.
    pub items: Vec<Delivery>,
    /// Per connection: its index in creation order (which decides the
    /// order of events due at the same time, and of NET_RECEIVE INITIAL).
    pub created: Vec<u32>,
    /// Per mechanism slot: its NET_RECEIVE when it is a plain addition
    /// the engine does itself (see [`PlainAdd`]), for this run.
    pub plans: Vec<Option<PlainAdd>>,
    /// The increments of the [`PlainAdd`] connections, in list order.
    pub increments: Vec<f64>,
    /// Per list: where its connections' increments start in `increments`.
    pub list_increments: Vec<u32>,
    /// Per mechanism slot: the number of NET_RECEIVE arguments of its
    /// connections.
    pub nargs: Vec<u32>,
    /// Per mechanism slot whose events run the kernel: the columns its
    /// NET_RECEIVE reads or writes, fetched into the cache a few
    /// deliveries ahead (a spike's targets are scattered over the
    /// instances).
    pub touched: Vec<Vec<usize>>,
    /// Connection events delivered since initialisation.
    pub delivered: u64,
    /// Time spent delivering events since initialisation.
    pub busy: std::time::Duration,
}

impl Fanouts {
    /// The connections `items` (in delivery order, `created` their
    /// creation indices) grouped into `lists` (ranges in `items`).
    pub fn new(
        lists: Vec<(u32, u32)>,
        items: Vec<Delivery>,
        created: Vec<u32>,
        nargs: Vec<u32>,
    ) -> Fanouts {
        Fanouts {
            lists,
            items,
            created,
            nargs,
            ..Fanouts::default()
        }
    }

    /// The connections of list `list`, in order.
    pub fn list(&self, list: u32) -> std::ops::Range<usize> {
        match self.lists.get(list as usize) {
            Some(&(a, b)) => a as usize..b as usize,
            None => 0..0,
        }
    }

    /// Connection `k`.
    #[inline]
    pub fn item(&self, k: usize) -> Option<Delivery> {
        self.items.get(k).copied()
    }

    /// Number of NET_RECEIVE arguments of connection `d`.
    #[inline]
    pub fn nargs_of(&self, d: Delivery) -> u32 {
        self.nargs.get(d.mech as usize).copied().unwrap_or(1)
    }

    /// The connections in creation order (a new list, made at
    /// initialisation only).
    pub fn in_creation_order(&self) -> Vec<u32> {
        let mut ids = vec![0u32; self.created.len()];
        for (id, &k) in self.created.iter().enumerate() {
            if let Some(slot) = ids.get_mut(k as usize) {
                *slot = id as u32;
            }
        }
        ids
    }
}

/// A NET_RECEIVE block that only adds to states values that stay fixed
/// from the end of initialisation on (Exp2Syn's `A = A + weight*factor`):
/// the increment each connection brings is computed once per run, and
/// delivering an event is a few additions, the same IEEE operations the
/// kernel would do, without a kernel call. The block may also copy the
/// node's voltage into a field (`v = node.v`, as every kernel does).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PlainAdd {
    /// Column slots of the states incremented (true: decremented).
    pub states: Vec<(usize, bool)>,
    /// The distinct increments, which read only constants, NET_RECEIVE
    /// arguments and fields nothing writes after initialisation: a
    /// connection keeps one value per expression (Exp2Syn adds the same
    /// `weight*factor` to A and B, so one value, not two).
    pub exprs: Vec<Expr>,
    /// Per state: its increment, an index into `exprs`.
    pub value_of: Vec<usize>,
    /// Column slot of the field set to the node's voltage, if any.
    pub voltage: Option<usize>,
}

impl PlainAdd {
    /// The plan for `mech` (its fields at `field_slot`'s columns), or
    /// None when its NET_RECEIVE is not a plain addition.
    pub fn of(mech: &Mechanism, field_slot: &IdVec<FieldId, usize>) -> Option<PlainAdd> {
        let body = &mech
            .kernels
            .iter()
            .find(|k| k.kind == KernelKind::NetReceive)?
            .body;
        let written = written_after_init(mech);
        let scalar = |f: FieldId| {
            mech.field(f)
                .is_some_and(|x| x.len <= 1 && x.kind != FieldKind::Pointer)
        };
        let slot = |f: FieldId| field_slot.get(f).copied();
        let mut plan = PlainAdd {
            states: Vec::new(),
            exprs: Vec::new(),
            value_of: Vec::new(),
            voltage: None,
        };
        let mut seen = BTreeSet::new();
        for s in body {
            let Stmt::Assign(Place::Field(f, None), e) = s else {
                return None;
            };
            if !scalar(*f) || !seen.insert(*f) {
                return None;
            }
            let is_state = mech.field(*f).map(|x| &x.kind) == Some(&FieldKind::State);
            match e {
                Expr::Load(Place::Node(NodeArray::V)) if !is_state => {
                    plan.voltage = Some(slot(*f)?);
                }
                Expr::Binary(op @ (BinOp::Add | BinOp::Sub), a, inc)
                    if is_state && **a == Expr::Load(Place::Field(*f, None)) =>
                {
                    if !fixed(mech, &written, inc) {
                        return None;
                    }
                    plan.states.push((slot(*f)?, *op == BinOp::Sub));
                    let k = match plan.exprs.iter().position(|e| e == &**inc) {
                        Some(k) => k,
                        None => {
                            plan.exprs.push((**inc).clone());
                            plan.exprs.len() - 1
                        }
                    };
                    plan.value_of.push(k);
                }
                _ => return None,
            }
        }
        (!plan.states.is_empty()).then_some(plan)
    }

    /// The increments of a connection with NET_RECEIVE arguments `args`
    /// onto row `row` of `data`, into `out`. None when a value cannot be
    /// read.
    pub fn increments(
        &self,
        data: &MechanismData,
        row: usize,
        args: &[f64],
        out: &mut Vec<f64>,
    ) -> Option<()> {
        for e in &self.exprs {
            out.push(eval(data, row, args, e)?);
        }
        Some(())
    }

    /// Delivers an event: row `row` of `data` gets `increments` (in the
    /// order of [`PlainAdd::exprs`]) and, if the block copies it, the
    /// voltage of its node in `v`.
    #[inline]
    pub fn apply(&self, data: &mut MechanismData, v: &[f64], row: usize, increments: &[f64]) {
        if let Some(col) = self.voltage {
            let x = data.node_of(row).and_then(|n| v.get(n)).copied();
            if let (Some(x), Some(y)) = (x, data.column_mut(col).and_then(|c| c.get_mut(row))) {
                *y = x;
            }
        }
        for (&(col, sub), &k) in self.states.iter().zip(&self.value_of) {
            let Some(&inc) = increments.get(k) else {
                continue;
            };
            if let Some(y) = data.column_mut(col).and_then(|c| c.get_mut(row)) {
                *y = if sub { *y - inc } else { *y + inc };
            }
        }
    }
}

/// The column slots of the fields (scalars) the NET_RECEIVE block of
/// `mech` reads or writes, with `field_slot` the fields' columns.
pub(crate) fn net_receive_columns(
    mech: &Mechanism,
    field_slot: &IdVec<FieldId, usize>,
) -> Vec<usize> {
    fn expr(e: &Expr, out: &mut BTreeSet<FieldId>) {
        match e {
            Expr::Load(p) => place(p, out),
            Expr::Const(_) => {}
            Expr::Unary(_, a) => expr(a, out),
            Expr::Binary(_, a, b) => {
                expr(a, out);
                expr(b, out);
            }
            Expr::Math(_, args)
            | Expr::Call(_, args)
            | Expr::Builtin(_, args)
            | Expr::FunctionTable(_, args) => args.iter().for_each(|a| expr(a, out)),
        }
    }
    fn place(p: &Place, out: &mut BTreeSet<FieldId>) {
        if let Place::Field(f, None) = p {
            out.insert(*f);
        }
    }
    fn stmts(body: &[Stmt], out: &mut BTreeSet<FieldId>) {
        for s in body {
            match s {
                Stmt::Assign(p, e) | Stmt::Accumulate(p, e) => {
                    place(p, out);
                    expr(e, out);
                }
                Stmt::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    expr(cond, out);
                    stmts(then, out);
                    stmts(otherwise, out);
                }
                Stmt::While { cond, body } => {
                    expr(cond, out);
                    stmts(body, out);
                }
                Stmt::Eval(e) | Stmt::NetEvent(e) | Stmt::NetMove(e) => expr(e, out),
                Stmt::NetSend { delay, flag } => {
                    expr(delay, out);
                    expr(flag, out);
                }
                _ => {}
            }
        }
    }
    let mut fields = BTreeSet::new();
    for k in mech
        .kernels
        .iter()
        .filter(|k| k.kind == KernelKind::NetReceive)
    {
        stmts(&k.body, &mut fields);
    }
    fields
        .into_iter()
        .filter(|&f| {
            mech.field(f)
                .is_some_and(|x| x.len <= 1 && x.kind != FieldKind::Pointer)
        })
        .filter_map(|f| field_slot.get(f).copied())
        .collect()
}

/// Asks the CPU to bring `x` into its cache.
#[inline(always)]
pub(crate) fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: every x86-64 CPU has SSE, and a prefetch reads
        // nothing (it is a hint, even for a bad address).
        unsafe { _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// True when `e` reads only constants, NET_RECEIVE arguments and scalar
/// fields not in `written`, through the four arithmetic operations.
fn fixed(mech: &Mechanism, written: &BTreeSet<FieldId>, e: &Expr) -> bool {
    match e {
        Expr::Const(_) | Expr::Load(Place::NetArg(_)) => true,
        Expr::Load(Place::Field(f, None)) => {
            !written.contains(f)
                && mech.field(*f).is_some_and(|x| {
                    x.len <= 1 && matches!(x.kind, FieldKind::Parameter | FieldKind::Assigned)
                })
        }
        Expr::Unary(UnOp::Neg, a) => fixed(mech, written, a),
        Expr::Binary(BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div, a, b) => {
            fixed(mech, written, a) && fixed(mech, written, b)
        }
        _ => false,
    }
}

/// The value of `e` (accepted by [`fixed`]) for row `row` of `data` and
/// NET_RECEIVE arguments `args`: the operations the kernel does.
fn eval(data: &MechanismData, row: usize, args: &[f64], e: &Expr) -> Option<f64> {
    Some(match e {
        Expr::Const(c) => *c,
        Expr::Load(Place::NetArg(k)) => *args.get(*k)?,
        Expr::Load(Place::Field(f, None)) => data.value(*data.layout().field_slot.get(*f)?, row)?,
        Expr::Unary(UnOp::Neg, a) => -eval(data, row, args, a)?,
        Expr::Binary(op, a, b) => {
            let (x, y) = (eval(data, row, args, a)?, eval(data, row, args, b)?);
            match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// Fields that a kernel running after initialisation (or any FUNCTION
/// or PROCEDURE, which such a kernel may call) may assign.
fn written_after_init(mech: &Mechanism) -> BTreeSet<FieldId> {
    fn stmts(body: &[Stmt], out: &mut BTreeSet<FieldId>) {
        for s in body {
            match s {
                Stmt::Assign(Place::Field(f, _), _) | Stmt::Accumulate(Place::Field(f, _), _) => {
                    out.insert(*f);
                }
                Stmt::If {
                    then, otherwise, ..
                } => {
                    stmts(then, out);
                    stmts(otherwise, out);
                }
                Stmt::While { body, .. } => stmts(body, out),
                Stmt::Solve { body, solvefor, .. } => {
                    stmts(body, out);
                    places(solvefor, out);
                }
                Stmt::Ode { state, .. } => places(std::slice::from_ref(state), out),
                Stmt::Reaction(r) => {
                    for (_, p) in r.lhs.iter().chain(&r.rhs) {
                        places(std::slice::from_ref(p), out);
                    }
                }
                Stmt::Conserve { terms, .. } => {
                    for (_, p) in terms {
                        places(std::slice::from_ref(p), out);
                    }
                }
                Stmt::Table { outputs, .. } => places(outputs, out),
                _ => {}
            }
        }
    }
    fn places(ps: &[Place], out: &mut BTreeSet<FieldId>) {
        for p in ps {
            if let Place::Field(f, _) = p {
                out.insert(*f);
            }
        }
    }
    let mut out = BTreeSet::new();
    for k in &mech.kernels {
        let init = matches!(
            k.kind,
            KernelKind::Init
                | KernelKind::NetReceiveInit
                | KernelKind::Before(Phase::Initial)
                | KernelKind::After(Phase::Initial)
        );
        if !init {
            stmts(&k.body, &mut out);
        }
    }
    for f in &mech.functions {
        stmts(&f.body, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Field, Kernel, MechKind};

    fn field(name: &str, kind: FieldKind) -> Field {
        Field {
            name: name.into(),
            kind,
            unit: None,
            default: 0.0,
            len: 1,
            range: true,
        }
    }

    const V: FieldId = FieldId::new(0);
    const A: FieldId = FieldId::new(1);
    const B: FieldId = FieldId::new(2);
    const FACTOR: FieldId = FieldId::new(3);
    const TAU: FieldId = FieldId::new(4);

    fn load(f: FieldId) -> Box<Expr> {
        Box::new(Expr::Load(Place::Field(f, None)))
    }

    fn add(state: FieldId, op: BinOp, inc: Expr) -> Stmt {
        Stmt::Assign(
            Place::Field(state, None),
            Expr::Binary(op, load(state), Box::new(inc)),
        )
    }

    fn weight_times_factor() -> Expr {
        Expr::Binary(
            BinOp::Mul,
            Box::new(Expr::Load(Place::NetArg(0))),
            load(FACTOR),
        )
    }

    /// A synapse like Exp2Syn: the state kernel decays A and B with
    /// `tau`, NET_RECEIVE adds `weight*factor` to both.
    fn synapse(net_receive: Vec<Stmt>) -> Mechanism {
        let decay = |s: FieldId| {
            Stmt::Assign(
                Place::Field(s, None),
                Expr::Binary(BinOp::Div, load(s), load(TAU)),
            )
        };
        let kernel = |kind: KernelKind, body: Vec<Stmt>| Kernel {
            kind,
            locals: Vec::new(),
            body,
        };
        Mechanism {
            name: "syn".into(),
            kind: MechKind::PointProcess,
            ions: Vec::new(),
            fields: vec![
                field("v", FieldKind::Voltage),
                field("A", FieldKind::State),
                field("B", FieldKind::State),
                field("factor", FieldKind::Assigned),
                field("tau", FieldKind::Parameter),
            ],
            globals: Vec::new(),
            net_receive_args: vec!["weight".into()],
            kernels: vec![
                kernel(
                    KernelKind::Init,
                    vec![Stmt::Assign(Place::Field(FACTOR, None), Expr::Const(3.0))],
                ),
                kernel(KernelKind::State, vec![decay(A), decay(B)]),
                kernel(KernelKind::NetReceive, net_receive),
            ],
            functions: Vec::new(),
            global_arrays: Vec::new(),
            watches: Vec::new(),
            function_tables: Vec::new(),
            randoms: Vec::new(),
        }
    }

    fn slots(mech: &Mechanism) -> IdVec<FieldId, usize> {
        (0..mech.fields.len()).collect::<Vec<_>>().into()
    }

    #[test]
    fn exp2syn_like_net_receive_is_a_plain_add() {
        let mech = synapse(vec![
            Stmt::Assign(Place::Field(V, None), Expr::Load(Place::Node(NodeArray::V))),
            add(A, BinOp::Add, weight_times_factor()),
            add(B, BinOp::Sub, weight_times_factor()),
        ]);
        let plan = PlainAdd::of(&mech, &slots(&mech)).expect("plain");
        assert_eq!(plan.states, vec![(A.index(), false), (B.index(), true)]);
        assert_eq!(plan.voltage, Some(V.index()));
        // The increments and their delivery: the kernel's operations.
        let mut data = MechanismData::new(&mech, 3);
        data.set_node_index(&[0, 1, 1]);
        data.column_mut(FACTOR.index())
            .unwrap()
            .copy_from_slice(&[0.1, 0.3, 0.7]);
        data.column_mut(A.index())
            .unwrap()
            .copy_from_slice(&[1.0, 0.2, 5.0]);
        data.column_mut(B.index())
            .unwrap()
            .copy_from_slice(&[2.0, 0.1, 6.0]);
        let mut inc = Vec::new();
        plan.increments(&data, 1, &[0.3], &mut inc)
            .expect("readable");
        // One value for the two states that add the same expression.
        assert_eq!(plan.value_of, vec![0, 0]);
        assert_eq!(inc, vec![0.3 * 0.3]);
        plan.apply(&mut data, &[-65.0, -70.5], 1, &inc);
        assert_eq!(data.value(V.index(), 1), Some(-70.5));
        assert_eq!(data.value(A.index(), 1), Some(0.2 + 0.3 * 0.3));
        assert_eq!(data.value(B.index(), 1), Some(0.1 - 0.3 * 0.3));
        assert_eq!(data.value(A.index(), 0), Some(1.0));
    }

    #[test]
    fn net_receive_reading_what_changes_during_the_run_is_not_a_plain_add() {
        // t changes; A is a state; tau is fine but v is written per event.
        let t = Expr::Load(Place::Shared(crate::ir::SharedVar::T));
        let state = Expr::Load(Place::Field(B, None));
        let v = Expr::Load(Place::Field(V, None));
        for inc in [t, state, v] {
            let mech = synapse(vec![add(A, BinOp::Add, inc)]);
            assert_eq!(PlainAdd::of(&mech, &slots(&mech)), None);
        }
        let tau = Expr::Load(Place::Field(TAU, None));
        let mech = synapse(vec![add(A, BinOp::Add, tau)]);
        assert!(PlainAdd::of(&mech, &slots(&mech)).is_some());
    }

    #[test]
    fn a_field_a_kernel_writes_after_initial_is_not_fixed() {
        // factor written by the state kernel: its value at delivery time
        // is not the one at initialisation.
        let mut mech = synapse(vec![add(A, BinOp::Add, weight_times_factor())]);
        if let Some(k) = mech
            .kernels
            .iter_mut()
            .find(|k| k.kind == KernelKind::State)
        {
            k.body
                .push(Stmt::Assign(Place::Field(FACTOR, None), Expr::Const(1.0)));
        }
        assert_eq!(PlainAdd::of(&mech, &slots(&mech)), None);
    }

    #[test]
    fn other_statements_keep_the_kernel() {
        // A state incremented twice, a field assigned, a branch, an event.
        let twice = vec![
            add(A, BinOp::Add, weight_times_factor()),
            add(A, BinOp::Add, weight_times_factor()),
        ];
        let assigned = vec![
            add(A, BinOp::Add, weight_times_factor()),
            Stmt::Assign(Place::Field(FACTOR, None), Expr::Const(2.0)),
        ];
        let branch = vec![Stmt::If {
            cond: Expr::Const(1.0),
            then: vec![add(A, BinOp::Add, weight_times_factor())],
            otherwise: Vec::new(),
        }];
        let send = vec![
            add(A, BinOp::Add, weight_times_factor()),
            Stmt::NetSend {
                delay: Expr::Const(1.0),
                flag: Expr::Const(1.0),
            },
        ];
        let product = vec![Stmt::Assign(
            Place::Field(A, None),
            Expr::Binary(BinOp::Mul, load(A), Box::new(weight_times_factor())),
        )];
        for body in [twice, assigned, branch, send, product, Vec::new()] {
            let mech = synapse(body);
            assert_eq!(PlainAdd::of(&mech, &slots(&mech)), None);
        }
    }

    fn self_event(instance: u32, flag: f64) -> Target {
        Target::SelfEvent {
            mech: 0,
            instance,
            flag,
            conn: NO_CONN,
        }
    }

    #[test]
    fn net_move_moves_the_last_self_event_only() {
        let mut q = Queue::default();
        q.push_movable(5.0, self_event(0, 1.0));
        q.push_movable(7.0, self_event(1, 1.0));
        q.move_self_event(0, 0, 2.0);
        q.move_self_event(0, 0, 3.0);
        assert_eq!(q.pop_until(10.0), Some((3.0, self_event(0, 1.0))));
        // The event at 5 and the one at 2 were moved away.
        assert_eq!(q.pop_until(10.0), Some((7.0, self_event(1, 1.0))));
        assert_eq!(q.pop_until(10.0), None);
        // Delivered: nothing left to move.
        q.move_self_event(0, 0, 4.0);
        assert_eq!(q.pop_until(10.0), None);
    }

    #[test]
    fn equal_times_deliver_in_creation_order() {
        let mut q = Queue::default();
        q.push_movable(1.0, self_event(0, 1.0));
        q.push(1.0, Target::NetCon(4));
        q.push_movable(1.0, self_event(1, 2.0));
        assert_eq!(q.pop_until(1.0), Some((1.0, self_event(0, 1.0))));
        assert_eq!(q.pop_until(1.0), Some((1.0, Target::NetCon(4))));
        assert_eq!(q.pop_until(1.0), Some((1.0, self_event(1, 2.0))));
    }
}
