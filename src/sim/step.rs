//! NEURON's `finitialize` and fixed step (`nrn_fixed_step_thread`), in its
//! order of operations.

use std::collections::BTreeSet;

use super::aggregate;
use super::events::{
    Callbacks, Delivery, Fanouts, NO_CONN, PlainAdd, Queue, Spiking, Target, net_receive_columns,
    prefetch,
};
use super::instances::MechInstances;
use super::record::Probe;
use super::watch::WatchCond;
use super::{Part, SimError, SimErrorKind, hines};
use crate::back::{Env, Event, NodeData, Shared};
use crate::ir::{KernelKind, Phase};

/// How many deliveries ahead of the one running the data of a kernel
/// delivery is fetched into the cache.
const AHEAD: usize = 4;

/// Index of each kernel kind in [`MechInstances::has`].
const INIT: usize = 0;
const CURRENT: usize = 1;
const STATE: usize = 2;
const NET_RECEIVE: usize = 3;
const NET_RECEIVE_INIT: usize = 4;

/// Everything one kernel call needs besides the mechanism.
struct Ctx<'a> {
    nodes: &'a mut NodeData,
    shared: &'a mut Shared,
    queue: &'a mut Queue,
    rng: &'a mut u64,
    /// Where artificial cells' spikes go (None: nowhere, as in INITIAL).
    spiking: Option<Spiking<'a>>,
    /// WATCH statements of the kernel call running (scratch).
    watch_ons: &'a mut Vec<(usize, usize, f64)>,
    /// The active WATCH conditions, in activation order.
    conds: &'a mut Vec<WatchCond>,
}

fn kernel_error(m: &MechInstances, kind: KernelKind, e: impl std::fmt::Display) -> SimError {
    SimError::new(
        SimErrorKind::Kernel,
        format!("{kind:?} kernel of `{}` failed: {e}", m.mech().name),
    )
}

/// Runs kernel `kind` of mechanism slot `slot` over all its instances (or
/// for `event`'s target). The state and current kernels of aggregated
/// mechanisms run over the leaders; everything else over every instance.
fn run_kernel(
    m: &mut MechInstances,
    slot: u32,
    kind: KernelKind,
    ctx: &mut Ctx<'_>,
    event: Option<Event<'_>>,
    conn: u32,
) -> Result<(), SimError> {
    let mut engine = Callbacks {
        queue: ctx.queue,
        mech: slot,
        t: ctx.shared.t,
        conn,
        rng: ctx.rng,
        nrandoms: m.compiled.mechanism().randoms.len(),
        streams: &mut m.streams,
        watch_ons: ctx.watch_ons,
        spiking: ctx.spiking.as_mut().map(|s| Spiking {
            sources: s.sources,
            detectors: s.detectors,
            fanouts: s.fanouts,
            spikes: &mut *s.spikes,
        }),
    };
    let mut env = Env {
        nodes: ctx.nodes,
        shared: ctx.shared,
        engine: &mut engine,
        event,
    };
    let leaders = matches!(kind, KernelKind::Current | KernelKind::State)
        || (kind == KernelKind::NetReceive && m.merged.as_ref().is_some_and(|g| g.direct));
    let (data, prepared) = match &mut m.merged {
        Some(g) if leaders => (&mut g.data, &mut g.prepared),
        _ => (&mut m.data, &mut m.prepared),
    };
    let result = match prepared {
        // SAFETY: `prepared` was made by `instances::prepare` (or
        // `Part::aggregate`) for this data and the engine's node
        // data; after `Part::build` the engine never adds, removes or
        // resizes an ion array or a column.
        Some(p) => unsafe { m.compiled.run_prepared(kind, p, data, &mut env) },
        None => m.compiled.run(kind, data, &mut env),
    };
    result.map_err(|e| kernel_error(m, kind, e))?;
    if !ctx.watch_ons.is_empty() {
        let ons = std::mem::take(ctx.watch_ons);
        activate(m, slot, ctx, &ons)?;
    }
    Ok(())
}

/// Activates the WATCH statements `ons` that one kernel call of mechanism
/// slot `slot` ran (see `watch`).
fn activate(
    m: &mut MechInstances,
    slot: u32,
    ctx: &mut Ctx<'_>,
    ons: &[(usize, usize, f64)],
) -> Result<(), SimError> {
    let mut seen: Vec<usize> = Vec::new();
    for &(inst, watch, flag) in ons {
        if !seen.contains(&inst) {
            seen.push(inst);
            let queue = &mut *ctx.queue;
            ctx.conds.retain(|c| {
                let keep = !(c.mech == slot && c.instance as usize == inst);
                if let (false, Some(seq)) = (keep, c.pending) {
                    queue.cancel(seq);
                }
                keep
            });
        }
        let value = watch_value(m, slot, inst, watch, ctx)?;
        ctx.conds
            .push(WatchCond::activated(slot, inst as u32, watch, flag, value));
    }
    Ok(())
}

/// The value of WATCH condition `watch` of instance `inst` now.
fn watch_value(
    m: &mut MechInstances,
    slot: u32,
    inst: usize,
    watch: usize,
    ctx: &mut Ctx<'_>,
) -> Result<f64, SimError> {
    let mut ons = Vec::new();
    let mut engine = Callbacks {
        queue: ctx.queue,
        mech: slot,
        t: ctx.shared.t,
        conn: NO_CONN,
        rng: ctx.rng,
        nrandoms: 0,
        streams: &mut [],
        watch_ons: &mut ons,
        spiking: None,
    };
    let mut env = Env {
        nodes: ctx.nodes,
        shared: ctx.shared,
        engine: &mut engine,
        event: None,
    };
    let compiled = std::sync::Arc::clone(&m.compiled);
    compiled
        .eval_watch(watch, inst, &mut m.data, &mut env)
        .map_err(|e| kernel_error(m, KernelKind::NetReceive, e))
}

/// Delivers one event to instance `instance` of `m` and, when the
/// mechanism is aggregated, moves the state increment into the leader.
fn receive(
    m: &mut MechInstances,
    slot: u32,
    ctx: &mut Ctx<'_>,
    mut event: Event<'_>,
    conn: u32,
) -> Result<(), SimError> {
    let row = event.target;
    if let Some(g) = &m.merged
        && g.direct
    {
        let Some(&leader) = g.leader_of.get(row) else {
            return Err(kernel_error(
                m,
                KernelKind::NetReceive,
                "instance without a leader",
            ));
        };
        event.target = leader as usize;
        return run_kernel(m, slot, KernelKind::NetReceive, ctx, Some(event), conn);
    }
    run_kernel(m, slot, KernelKind::NetReceive, ctx, Some(event), conn)?;
    if let Some(g) = &mut m.merged {
        g.settle(&mut m.data, row);
    }
    Ok(())
}

impl Part {
    /// Runs `kind` for every mechanism that has it (loop kernels only).
    fn all(&mut self, kind: KernelKind, which: Option<usize>) -> Result<(), SimError> {
        let mut ctx = Ctx {
            nodes: &mut self.data,
            shared: &mut self.shared,
            queue: &mut self.queue,
            rng: &mut self.rng,
            spiking: None,
            watch_ons: &mut self.watch_ons,
            conds: &mut self.watch_conds,
        };
        for (slot, m) in self.mechs.iter_mut().enumerate() {
            let present = match which {
                Some(k) => m.has[k],
                None => m.compiled.has_kernel(kind),
            };
            if present && m.data.count() > 0 {
                run_kernel(m, slot as u32, kind, &mut ctx, None, NO_CONN)?;
            }
        }
        Ok(())
    }

    /// NEURON's `finitialize(v_init)`; spikes of artificial cells during
    /// it go to `spikes`.
    pub(super) fn finitialize(&mut self, spikes: &mut Vec<(u64, f64)>) -> Result<(), SimError> {
        self.shared.t = self.run.tstart;
        self.shared.dt = self.run.dt;
        self.shared.celsius = self.run.celsius;
        self.shared.flag = 0.0;
        self.queue.clear();
        self.watch_conds.clear();
        for m in &mut self.mechs {
            m.merged = None;
        }
        self.data.v.fill(self.run.v_init);
        for (name, init) in &self.ion_init {
            if let Some(a) = self.data.ions.get_mut(name) {
                a.copy_from_slice(init);
            }
        }
        super::nernst::update(&mut self.nernst, &mut self.data, self.shared.celsius, true);
        self.all(KernelKind::Before(Phase::Initial), None)?;
        self.all(KernelKind::Init, Some(INIT))?;
        // Event state kept in the connections starts as INITIAL left it.
        super::lift::fill_args(&self.mechs, &self.fanouts, &mut self.net_args, false);
        // NET_RECEIVE INITIAL per connection, in creation order.
        let in_order = self
            .mechs
            .iter()
            .any(|m| m.has[NET_RECEIVE_INIT])
            .then(|| self.fanouts.in_creation_order());
        for k in 0..self.fanouts.items.len() {
            let c = match &in_order {
                Some(ids) => ids.get(k).copied().unwrap_or(u32::MAX),
                None => k as u32,
            };
            let Some(conn) = self.fanouts.item(c as usize) else {
                continue;
            };
            let slot = conn.mech;
            let nargs = self.fanouts.nargs_of(conn);
            let m = &mut self.mechs[slot as usize];
            // The weight stays what it is (NEURON keeps a NetCon's
            // weight across initialisations); the other arguments start
            // at 0 unless NET_RECEIVE's INITIAL sets them (moved event
            // state excepted, see `lift`).
            let own = m.lifted.as_ref().map_or(usize::MAX, |l| l.first_arg);
            let args = args_of(&mut self.net_args, conn, nargs);
            let n = args.len().min(own);
            if let Some(rest) = args.get_mut(1..n) {
                rest.fill(0.0);
            }
            if m.has[NET_RECEIVE_INIT] {
                let mut ctx = Ctx {
                    nodes: &mut self.data,
                    shared: &mut self.shared,
                    queue: &mut self.queue,
                    rng: &mut self.rng,
                    spiking: None,
                    watch_ons: &mut self.watch_ons,
                    conds: &mut self.watch_conds,
                };
                let event = Event {
                    target: conn.instance as usize,
                    args,
                };
                run_kernel(
                    m,
                    slot,
                    KernelKind::NetReceiveInit,
                    &mut ctx,
                    Some(event),
                    c,
                )?;
            }
        }
        self.all(KernelKind::After(Phase::Initial), None)?;
        self.aggregate()?;
        self.plan_deliveries();
        let t0 = self.shared.t;
        for (k, train) in self.trains.iter().enumerate() {
            if let Some(i) = train.times.iter().position(|&s| s >= t0) {
                self.queue.push(
                    train.times[i],
                    Target::Train {
                        train: k as u32,
                        index: i as u32,
                    },
                );
            }
        }
        for w in &mut self.watches {
            w.above = false;
        }
        self.deliver(t0, spikes)?;
        self.setup_matrix()?;
        self.deliver(t0, spikes)?;
        Ok(())
    }

    /// Groups the instances of every mechanism that allows it (unless the
    /// run is exact): see `aggregate`. Recorded instances stay alone.
    fn aggregate(&mut self) -> Result<(), SimError> {
        let premerged = self.mechs.iter().find(|m| m.multiplicity.is_some());
        if self.exact {
            return match premerged {
                Some(m) => Err(SimError::new(
                    SimErrorKind::InvalidSettings,
                    format!(
                        "the instances of `{}` were merged when the simulation was built: build it exact to run it exact",
                        m.mech().name
                    ),
                )),
                None => Ok(()),
            };
        }
        for (slot, m) in self.mechs.iter_mut().enumerate() {
            let Some(lin) = &m.linearity else {
                continue;
            };
            if let Some(counts) = &m.multiplicity {
                // A merged row holds the sum of its instances' states, as
                // a leader does: added one by one, in order.
                let layout = m.data.layout().clone();
                for &f in &lin.states {
                    let Some(col) = layout.field_slot.get(f).and_then(|&s| m.data.column_mut(s))
                    else {
                        continue;
                    };
                    for (x, &n) in col.iter_mut().zip(counts) {
                        let one = *x;
                        let mut sum = 0.0;
                        for _ in 0..n {
                            sum += one;
                        }
                        *x = sum;
                    }
                }
            }
            // A recorded instance stays alone unless what is recorded is
            // a key (equal within its group, written by nothing after
            // INITIAL): it is then still read on the instance's own row.
            let layout = m.data.layout();
            let key_slots: BTreeSet<usize> = lin
                .keys
                .iter()
                .filter_map(|&f| layout.field_slot.get(f).copied())
                .collect();
            let pinned: BTreeSet<u32> = self
                .probes
                .iter()
                .filter(|p| !matches!(p, Probe::Column { slot, .. } if key_slots.contains(&(*slot as usize))))
                .filter_map(|p| p.instance())
                .filter(|&(mech, _)| mech as usize == slot)
                .map(|(_, i)| i)
                .collect();
            let mech = m.compiled.mechanism();
            let Some(mut g) = aggregate::build(mech, &mut m.data, lin, &pinned) else {
                continue;
            };
            let p = m
                .compiled
                .prepare(&mut g.data, &mut self.data)
                .map_err(|e| kernel_error(m, KernelKind::State, e))?;
            g.prepared = Some(p);
            m.merged = Some(g);
        }
        Ok(())
    }

    /// One fixed step from t to t + dt, up to recording (then
    /// [`Part::end_step`]).
    pub(super) fn step(&mut self, spikes: &mut Vec<(u64, f64)>) -> Result<(), SimError> {
        let step = self.queue.step() + 1;
        self.queue.start_step(step);
        self.check_thresholds(spikes);
        self.check_watch_conds()?;
        let half = 0.5 * self.shared.dt;
        let tm = self.shared.t + half;
        self.deliver(tm, spikes)?;
        self.shared.t += half;
        self.currents()?;
        let cfac = self.cfac();
        self.imem.before_solve(&self.data, &self.nodes.cm, cfac);
        hines::assemble_solve(
            &self.nodes,
            cfac,
            self.fast_solve,
            &mut self.data.diag,
            &mut self.data.rhs,
            &mut self.data.v,
        );
        self.imem.after_solve(&self.data);
        self.shared.t += half;
        self.all(KernelKind::Before(Phase::Solve), None)?;
        self.all(KernelKind::State, Some(STATE))?;
        self.all(KernelKind::After(Phase::Solve), None)?;
        Ok(())
    }

    /// The end of a step, after its values are recorded (NEURON's
    /// `fixed_record_continuous` comes before `nrn_deliver_events`):
    /// delivers the events with time <= t, so a recorded STATE shows an
    /// event due at or before t[k] only from sample k + 1 on.
    pub(super) fn end_step(&mut self, spikes: &mut Vec<(u64, f64)>) -> Result<(), SimError> {
        let t = self.shared.t;
        self.deliver(t, spikes)
    }

    /// NEURON's `setup_tree_matrix`: currents and conductances of every
    /// mechanism, then capacitance and axial terms.
    fn setup_matrix(&mut self) -> Result<(), SimError> {
        self.currents()?;
        hines::assemble(
            &self.nodes,
            self.cfac(),
            &self.data.v,
            &mut self.data.rhs,
            &mut self.data.diag,
        );
        Ok(())
    }

    /// NEURON's capacitance factor 0.001/dt.
    fn cfac(&self) -> f64 {
        0.001 * (1.0 / self.shared.dt)
    }

    /// The first part of NEURON's `setup_tree_matrix`: currents and
    /// conductances of every mechanism into zeroed `rhs` and `d`.
    fn currents(&mut self) -> Result<(), SimError> {
        self.data.rhs.fill(0.0);
        self.data.diag.fill(0.0);
        for (a, &zero) in self.data.ions.values_mut().zip(&self.ion_currents) {
            if zero {
                a.fill(0.0);
            }
        }
        super::nernst::update(&mut self.nernst, &mut self.data, self.shared.celsius, false);
        self.all(KernelKind::Before(Phase::Breakpoint), None)?;
        self.all(KernelKind::Current, Some(CURRENT))?;
        Ok(())
    }

    /// The active WATCH conditions at the current t, after the spike
    /// detectors (the rest of NEURON's `check_thresh`): each that turns
    /// true queues its self-event at t.
    fn check_watch_conds(&mut self) -> Result<(), SimError> {
        if self.watch_conds.is_empty() {
            return Ok(());
        }
        let t = self.shared.t;
        let mut conds = std::mem::take(&mut self.watch_conds);
        let mut none = Vec::new();
        for c in conds.iter_mut() {
            let Some(m) = self.mechs.get_mut(c.mech as usize) else {
                continue;
            };
            let mut ctx = Ctx {
                nodes: &mut self.data,
                shared: &mut self.shared,
                queue: &mut self.queue,
                rng: &mut self.rng,
                spiking: None,
                watch_ons: &mut self.watch_ons,
                conds: &mut none,
            };
            let value = watch_value(m, c.mech, c.instance as usize, c.watch, &mut ctx)?;
            if c.check(value) {
                let target = Target::SelfEvent {
                    mech: c.mech,
                    instance: c.instance,
                    flag: c.flag,
                    conn: NO_CONN,
                };
                c.pending = Some(self.queue.push_cancellable(t, target));
            }
        }
        self.watch_conds = conds;
        Ok(())
    }

    /// Threshold detection at the current t (NEURON's `check_thresh`).
    fn check_thresholds(&mut self, spikes: &mut Vec<(u64, f64)>) {
        let t = self.shared.t;
        let v = &self.data.v;
        for (k, w) in self.watches.iter_mut().enumerate() {
            let v = v.get(w.node as usize).copied().unwrap_or(f64::NAN);
            if v - w.threshold > 0.0 {
                if !w.above {
                    w.above = true;
                    let Some(d) = self.detectors.get(k) else {
                        continue;
                    };
                    let tt = t + 1e-10;
                    if let Some(gid) = d.gid {
                        spikes.push((gid, tt));
                    }
                    let origin = Some((self.queue.step(), d.global));
                    send(&mut self.queue, tt, origin, &d.groups, &self.fanouts);
                    if d.export {
                        self.outbox.push((self.queue.step(), tt, d.global));
                    }
                }
            } else {
                w.above = false;
            }
        }
    }

    /// Connection events delivered since initialisation, and the time
    /// spent delivering events.
    pub(super) fn event_stats(&self) -> (u64, std::time::Duration) {
        (self.fanouts.delivered, self.fanouts.busy)
    }

    /// Works out, once the instances are initialised and grouped, which
    /// mechanisms' events the engine adds itself ([`PlainAdd`]: their
    /// NET_RECEIVE runs on the instance's own row or, for grouped
    /// instances, on the leader's) and what every connection to them
    /// adds.
    fn plan_deliveries(&mut self) {
        let f = &mut self.fanouts;
        f.delivered = 0;
        f.busy = std::time::Duration::ZERO;
        f.plans = self
            .mechs
            .iter()
            .map(|m| {
                let data = match &m.merged {
                    Some(g) if g.direct => &g.data,
                    Some(_) => return None,
                    None => &m.data,
                };
                if !m.has[NET_RECEIVE] {
                    return None;
                }
                PlainAdd::of(m.mech(), &data.layout().field_slot)
            })
            .collect();
        self.fanouts.touched = self
            .mechs
            .iter()
            .zip(&self.fanouts.plans)
            .map(|(m, plan)| match plan {
                Some(_) => Vec::new(),
                None => net_receive_columns(m.mech(), &m.data.layout().field_slot),
            })
            .collect();
        // A mechanism with a connection whose increments cannot be read
        // has its events delivered by the kernel.
        while let Some(failed) = self.fill_deliveries() {
            if let Some(p) = self.fanouts.plans.get_mut(failed as usize) {
                *p = None;
            }
        }
    }

    /// Fills [`Delivery::row`] and [`Delivery::at`] for the plans of
    /// [`Part::plan_deliveries`]. Returns the slot of a mechanism
    /// whose plan cannot be used (nothing filled then).
    fn fill_deliveries(&mut self) -> Option<u32> {
        let f = &mut self.fanouts;
        f.increments.clear();
        let (plans, increments) = (&f.plans, &mut f.increments);
        let needed: usize = f
            .items
            .iter()
            .filter_map(|d| plans.get(d.mech as usize)?.as_ref())
            .map(|p| p.exprs.len())
            .sum();
        increments.shrink_to(needed);
        increments.reserve_exact(needed);
        f.list_increments.clear();
        for &(a, b) in f.lists.iter() {
            let Ok(at) = u32::try_from(increments.len()) else {
                return f.items.get(a as usize).map(|d| d.mech);
            };
            f.list_increments.push(at);
            for d in f.items.get_mut(a as usize..b as usize).unwrap_or_default() {
                d.row = d.instance;
                let (Some(Some(plan)), Some(m)) =
                    (plans.get(d.mech as usize), self.mechs.get(d.mech as usize))
                else {
                    continue;
                };
                let (data, row) = match &m.merged {
                    Some(g) => match g.leader_of.get(d.instance as usize) {
                        Some(&l) => (&g.data, l),
                        None => return Some(d.mech),
                    },
                    None => (&m.data, d.instance),
                };
                let n = f.nargs.get(d.mech as usize).copied().unwrap_or(1) as usize;
                let start = d.args as usize;
                let args = self.net_args.get(start..start + n).unwrap_or_default();
                if plan
                    .increments(data, row as usize, args, increments)
                    .is_none()
                {
                    return Some(d.mech);
                }
                d.row = row;
            }
        }
        None
    }

    /// Brings what delivering `d` by its kernel touches into the cache.
    #[inline]
    fn prefetch(&self, d: Delivery) {
        let (Some(m), Some(columns)) = (
            self.mechs.get(d.mech as usize),
            self.fanouts.touched.get(d.mech as usize),
        ) else {
            return;
        };
        let row = d.row as usize;
        for &c in columns {
            if let Some(x) = m.data.column(c).and_then(|c| c.get(row)) {
                prefetch(x);
            }
        }
        if !columns.is_empty() {
            if let Some(x) = m.data.node_index().get(row) {
                prefetch(x);
            }
            if let Some(x) = m.merged.as_ref().and_then(|g| g.leader_of.get(row)) {
                prefetch(x);
            }
            // The arguments, in creation order, are scattered too.
            if let Some(x) = self.net_args.get(d.args as usize) {
                prefetch(x);
            }
        }
    }

    /// Delivers every event with time <= `til`, including those the
    /// deliveries themselves schedule; spikes of artificial cells go to
    /// `spikes`.
    fn deliver(&mut self, til: f64, spikes: &mut Vec<(u64, f64)>) -> Result<(), SimError> {
        let start = std::time::Instant::now();
        let result = self.deliver_until(til, spikes);
        self.fanouts.busy += start.elapsed();
        result
    }

    fn deliver_until(&mut self, til: f64, spikes: &mut Vec<(u64, f64)>) -> Result<(), SimError> {
        let tsav = self.shared.t;
        while let Some((te, target)) = self.queue.pop_until(til) {
            match target {
                Target::NetCon(c) => {
                    self.fanouts.delivered += 1;
                    self.deliver_netcon(c, te, spikes)?;
                }
                Target::Fanout(list) => {
                    let mut inc = self
                        .fanouts
                        .list_increments
                        .get(list as usize)
                        .copied()
                        .unwrap_or(0) as usize;
                    let list = self.fanouts.list(list);
                    self.fanouts.delivered += list.len() as u64;
                    let end = list.end;
                    for k in list.start..end.min(list.start + AHEAD) {
                        if let Some(d) = self.fanouts.item(k) {
                            self.prefetch(d);
                        }
                    }
                    for k in list {
                        if k + AHEAD < end
                            && let Some(d) = self.fanouts.item(k + AHEAD)
                        {
                            self.prefetch(d);
                        }
                        let Some(d) = self.fanouts.item(k) else {
                            continue;
                        };
                        let Some(m) = self.mechs.get_mut(d.mech as usize) else {
                            continue;
                        };
                        match self.fanouts.plans.get(d.mech as usize) {
                            Some(Some(plan)) => {
                                let data = match &mut m.merged {
                                    Some(g) => &mut g.data,
                                    None => &mut m.data,
                                };
                                let increments =
                                    self.fanouts.increments.get(inc..).unwrap_or_default();
                                plan.apply(data, &self.data.v, d.row as usize, increments);
                                inc += plan.exprs.len();
                            }
                            _ => {
                                let args = (d.args, self.fanouts.nargs_of(d));
                                self.net_receive(k as u32, d.mech, d.row, args, te, spikes)?;
                            }
                        }
                    }
                }
                Target::SelfEvent {
                    mech,
                    instance,
                    flag,
                    conn,
                } => {
                    let Some(m) = self.mechs.get_mut(mech as usize) else {
                        continue;
                    };
                    if !m.has[NET_RECEIVE] {
                        continue;
                    }
                    self.shared.t = te;
                    self.shared.flag = flag;
                    let args = match self.fanouts.item(conn as usize) {
                        Some(c) => args_of(&mut self.net_args, c, self.fanouts.nargs_of(c)),
                        None => {
                            self.scratch.fill(0.0);
                            &mut self.scratch
                        }
                    };
                    let mut ctx = Ctx {
                        nodes: &mut self.data,
                        shared: &mut self.shared,
                        queue: &mut self.queue,
                        rng: &mut self.rng,
                        spiking: Some(Spiking {
                            sources: &self.art_sources,
                            detectors: &self.detectors,
                            fanouts: &self.fanouts,
                            spikes,
                        }),
                        watch_ons: &mut self.watch_ons,
                        conds: &mut self.watch_conds,
                    };
                    let event = Event {
                        target: instance as usize,
                        args,
                    };
                    receive(m, mech, &mut ctx, event, conn)?;
                    self.shared.flag = 0.0;
                }
                Target::Train { train, index } => {
                    let Some(tr) = self.trains.get(train as usize) else {
                        continue;
                    };
                    send(&mut self.queue, te, None, &tr.groups, &self.fanouts);
                    let next = index as usize + 1;
                    if let Some(&s) = tr.times.get(next) {
                        self.queue.push(
                            s,
                            Target::Train {
                                train,
                                index: next as u32,
                            },
                        );
                    }
                }
            }
        }
        self.shared.t = tsav;
        Ok(())
    }

    /// Runs NET_RECEIVE of connection `c`'s target for an event at `te`.
    fn deliver_netcon(
        &mut self,
        c: u32,
        te: f64,
        spikes: &mut Vec<(u64, f64)>,
    ) -> Result<(), SimError> {
        let Some(conn) = self.fanouts.item(c as usize) else {
            return Ok(());
        };
        let args = (conn.args, self.fanouts.nargs_of(conn));
        self.net_receive(c, conn.mech, conn.instance, args, te, spikes)
    }

    /// Runs NET_RECEIVE of mechanism slot `mech` for instance `instance`
    /// and an event of connection `c` at `te`, whose arguments are at
    /// `args` (start and count) in `net_args`.
    fn net_receive(
        &mut self,
        c: u32,
        mech: u32,
        instance: u32,
        args: (u32, u32),
        te: f64,
        spikes: &mut Vec<(u64, f64)>,
    ) -> Result<(), SimError> {
        let Some(m) = self.mechs.get_mut(mech as usize) else {
            return Ok(());
        };
        self.shared.t = te;
        self.shared.flag = 0.0;
        let mut ctx = Ctx {
            nodes: &mut self.data,
            shared: &mut self.shared,
            queue: &mut self.queue,
            rng: &mut self.rng,
            spiking: Some(Spiking {
                sources: &self.art_sources,
                detectors: &self.detectors,
                fanouts: &self.fanouts,
                spikes,
            }),
            watch_ons: &mut self.watch_ons,
            conds: &mut self.watch_conds,
        };
        let (at, n) = (args.0 as usize, args.1 as usize);
        let event = Event {
            target: instance as usize,
            args: self.net_args.get_mut(at..at + n).unwrap_or_default(),
        };
        receive(m, mech, &mut ctx, event, c)
    }
}

/// Connection `conn`'s NET_RECEIVE arguments in `net_args`.
#[inline]
fn args_of(net_args: &mut [f64], conn: Delivery, nargs: u32) -> &mut [f64] {
    let (at, n) = (conn.args as usize, nargs as usize);
    net_args.get_mut(at..at + n).unwrap_or_default()
}

/// Queues the events of a spike at `t0` to the connections of `groups`
/// (delay and fan-out list of `fanouts`, in order of first appearance):
/// one event per list. That delivers in exactly the order of one event
/// per connection (time, then creation): a list's events would all have
/// the same time and consecutive creation numbers. When two delays give
/// the same time, one event per connection is queued instead, in
/// creation order. `origin`: (step, global detector) of a detected
/// spike, None for a spike train's or an artificial cell's spike (see
/// `events::Stamp`).
pub(super) fn send(
    queue: &mut Queue,
    t0: f64,
    origin: Option<(u64, u32)>,
    groups: &[(f64, u32)],
    fanouts: &Fanouts,
) {
    let mut push = |index: usize, t: f64, target: Target| match origin {
        Some((step, detector)) => queue.push_spike(t, step, detector, index as u64, target),
        None => queue.push(t, target),
    };
    let distinct = match groups {
        [] => return,
        [_] => true,
        _ => {
            let mut times: Vec<f64> = groups.iter().map(|g| t0 + g.0).collect();
            times.sort_by(f64::total_cmp);
            times.windows(2).all(|w| w[0] != w[1])
        }
    };
    if distinct {
        for (k, &(delay, list)) in groups.iter().enumerate() {
            push(k, t0 + delay, Target::Fanout(list));
        }
    } else {
        // (creation index, connection, delay) of every connection fed.
        let mut each: Vec<(u32, u32, f64)> = Vec::new();
        for &(delay, list) in groups {
            for c in fanouts.list(list) {
                if let Some(&k) = fanouts.created.get(c) {
                    each.push((k, c as u32, delay));
                }
            }
        }
        each.sort_unstable_by_key(|e| e.0);
        for (k, &(_, c, delay)) in each.iter().enumerate() {
            push(k, t0 + delay, Target::NetCon(c));
        }
    }
}
