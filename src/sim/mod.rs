//! The simulation engine: runs a [`net::Network`] with NEURON 9's fixed
//! step method (backward Euler, `secondorder = 0`) so that its numbers
//! match NEURON's.
//!
//! - [`Mechanisms`]: the compiled mechanisms a run uses (IR + JIT kernels).
//! - `discretize`: sections → nodes as NEURON's `treeset.cpp` does.
//! - `hines`: the tree matrix (axial terms, capacitance, solve).
//! - `instances`: mechanism instances in SoA form, ion arrays.
//! - `events`: the event queue and kernel callbacks.
//! - `step`: `finitialize` and one fixed step, in NEURON's order.
//! - `record`: recorded values.
//! - `specialize`: kernels compiled again for the run's own data.
//!
//! One step from t to t + dt (NEURON's `nrn_fixed_step_thread`):
//! threshold detection at t (a spike is recorded at t + 1e-10 ms and its
//! events arrive at that time + delay), delivery of events with time
//! <= t + dt/2 (NET_RECEIVE runs with t = the event's time), t += dt/2,
//! currents (one JIT call per kernel per mechanism type), matrix assembly
//! and solve, v += dv, t += dt/2, states, recording, delivery of events
//! with time <= t.

pub mod linear;
mod mechanisms;
#[cfg(feature = "mpi")]
pub mod mpi;
pub mod ranks;

mod aggregate;
mod discretize;
mod events;
mod hines;
mod instances;
mod lift;
mod nernst;
mod random123;
mod record;
mod specialize;
mod step;
mod threads;
mod watch;

use std::collections::HashMap;
use std::fmt;

pub use mechanisms::Mechanisms;
pub use ranks::{Share, Traffic, Transport};
pub use specialize::ENV as SPECIALIZE_ENV;
pub use threads::{Drain, SimOptions, Simulation};

use crate::back::math::MathMode;
use crate::back::{NodeData, Shared};
use crate::net::{self, Source};
use discretize::Nodes;
use events::Queue;
use instances::MechInstances;
use record::Probe;

/// What kind of problem a [`SimError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimErrorKind {
    /// A mechanism name the library does not have.
    UnknownMechanism,
    /// A parameter a mechanism does not have.
    UnknownParameter,
    /// A recorded variable that does not exist.
    UnknownVariable,
    /// A section or position that does not exist.
    InvalidLocation,
    /// A connection whose source or target does not exist.
    InvalidConnection,
    /// Run settings that cannot be simulated (dt <= 0, NaN...).
    InvalidSettings,
    /// Any other inconsistency in the network.
    InvalidNetwork,
    /// A kernel refused to run (a bug in nmc).
    Kernel,
    /// A membrane potential became infinite or NaN during the run.
    NumericalFault,
    /// The caller asked the run to stop (see
    /// [`Simulation::run_interruptible`]).
    Interrupted,
}

/// Why a network cannot be simulated.
#[derive(Clone, Debug, PartialEq)]
pub struct SimError {
    /// What kind of problem.
    pub kind: SimErrorKind,
    /// A sentence saying what is wrong and where.
    pub message: String,
}

impl SimError {
    /// An error of `kind` with `message`.
    pub fn new(kind: SimErrorKind, message: impl Into<String>) -> Self {
        SimError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SimError {}

/// What a run produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Results {
    /// Sample times (ms): t = tstart after initialisation, then after each
    /// step (NEURON's accumulated t, not k*dt).
    pub times: Vec<f64>,
    /// One trace per [`net::Network::records`] entry, one value per time.
    pub traces: Vec<Vec<f64>>,
    /// Spikes of real cells: (gid, time in ms), in time order.
    pub spikes: Vec<(u64, f64)>,
    /// Set when the run stopped early because a kernel failed (the results
    /// hold everything up to that point).
    pub error: Option<SimError>,
}

/// Threshold detection on a node (NEURON's PreSyn). What every step
/// reads is kept apart, compact, in [`Watch`].
#[derive(Debug)]
struct Detector {
    node: u32,
    threshold: f64,
    /// Gid to record spikes under, when this is the cell's own detector.
    gid: Option<u64>,
    /// The connections fed, by delay: (delay, fan-out list), see
    /// `step::send`.
    groups: Vec<(f64, u32)>,
    /// Index among the whole network's detectors (see `events::Stamp`).
    global: u32,
    /// The cell watched.
    cell: u32,
    /// Other threads have targets: spikes go to the outbox too.
    export: bool,
}

/// What a step's threshold check reads of one detector (same index as
/// [`Part::detectors`]): 16 bytes, so the check streams through 10,000
/// detectors in a few cache lines per hundred.
#[derive(Clone, Copy, Debug)]
struct Watch {
    threshold: f64,
    node: u32,
    /// Above threshold at the last check.
    above: bool,
}

/// A spike train source.
#[derive(Debug)]
struct Train {
    times: Vec<f64>,
    /// The connections fed, by delay: (delay, fan-out list), see
    /// `step::send`.
    groups: Vec<(f64, u32)>,
}

/// A network (or, with threads, one part of it: see `threads`) ready to
/// run on one thread.
pub(crate) struct Part {
    nodes: Nodes,
    data: NodeData,
    ion_init: Vec<(String, Vec<f64>)>,
    /// Per ion array (in `data.ions` order): zeroed before every current
    /// evaluation (`ina`, `dinadv`, ...).
    ion_currents: Vec<bool>,
    /// Ions whose reversal potential follows their concentrations.
    nernst: Vec<nernst::NernstIon>,
    mechs: Vec<MechInstances>,
    shared: Shared,
    queue: Queue,
    /// (mechanism slot, instance) of every artificial cell -> its detector,
    /// through which its `net_event` spikes are sent.
    art_sources: HashMap<(u32, u32), u32>,
    /// Connection lists delivered by one event each (same source, same delay).
    fanouts: events::Fanouts,
    detectors: Vec<Detector>,
    /// Per detector, what the threshold check reads and updates.
    watches: Vec<Watch>,
    trains: Vec<Train>,
    probes: Vec<Probe>,
    /// How `probes` are read (rebuilt after each initialisation).
    plan: record::ProbePlan,
    /// Samples of the batch of steps running, one row of `probes.len()`
    /// values per step: a step writes one row in order (stores into one
    /// trace per probe would touch a page per probe each step), moved
    /// into the traces at the end of the batch ([`Part::flush_rows`]).
    rows: Vec<f64>,
    /// The membrane currents records read.
    imem: record::MembraneCurrents,
    scratch: Vec<f64>,
    /// Every connection's NET_RECEIVE arguments, one after the other
    /// (see [`events::Delivery::args`]).
    net_args: Vec<f64>,
    rng: u64,
    /// Scratch: WATCH statements of the kernel call running.
    watch_ons: Vec<(usize, usize, f64)>,
    /// The active WATCH conditions, in activation order.
    watch_conds: Vec<watch::WatchCond>,
    run: net::RunSettings,
    /// Integrate every synapse instance on its own (no aggregation).
    exact: bool,
    /// Solve the matrix with one reciprocal per node instead of two
    /// divisions (fast math mode; see `hines::solve_fast`).
    fast_solve: bool,
    /// Per cell: its gid and section names (to name where a numerical
    /// fault happened).
    labels: Vec<(u64, Vec<String>)>,
    /// Steps done since initialisation.
    steps_done: usize,
    /// Spikes of exported detectors since the last exchange: (step,
    /// time, global detector).
    outbox: Vec<(u64, f64, u32)>,
}

impl fmt::Debug for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Part")
            .field("nodes", &self.nodes.len())
            .field("mechanisms", &self.mechs.len())
            .field("connections", &self.fanouts.items.len())
            .finish()
    }
}

/// The cells a [`Part`] is built from (a whole network's, or a range of
/// them for one thread), borrowed.
pub(crate) struct Piece<'a> {
    /// The cells.
    pub cells: &'a [net::Cell],
    /// Spike trains (a thread's also feed it the spikes of other threads).
    pub trains: &'a [net::SpikeTrain],
    /// Records, with cells numbered within `cells`.
    pub records: &'a [net::Record],
    /// Run conditions.
    pub run: &'a net::RunSettings,
    /// Merge linear synapses while building (see
    /// [`SimOptions::merge_synapses`]).
    pub merge: bool,
    /// Mechanisms whose event state moves into their connections (used
    /// only when merging).
    pub lifts: &'a lift::Lifts,
    /// Detectors with their own threshold (cell within `cells`,
    /// threshold) to make even when no connection of these cells uses
    /// them: other threads or ranks listen to them.
    pub extra_detectors: &'a [(usize, f64)],
}

pub(crate) use crate::net::partition::points_of;

/// A part's connections as [`Part::build`] reads them: once to count the
/// connections of each source and delay, once to place them.
pub(crate) trait ConnectionPasses {
    /// The connections in creation order.
    fn count_pass(&self) -> impl Iterator<Item = net::Connection> + '_;
    /// The same connections, in the same order, handed over (a list is
    /// freed as it is read).
    fn place_pass(self) -> impl Iterator<Item = net::Connection>;
}

impl ConnectionPasses for net::Connections {
    fn count_pass(&self) -> impl Iterator<Item = net::Connection> + '_ {
        self.iter()
    }

    fn place_pass(self) -> impl Iterator<Item = net::Connection> {
        self.into_chunks().flatten()
    }
}

/// Lists read one after the other.
impl ConnectionPasses for Vec<net::Connections> {
    fn count_pass(&self) -> impl Iterator<Item = net::Connection> + '_ {
        self.iter().flat_map(|list| list.iter())
    }

    fn place_pass(self) -> impl Iterator<Item = net::Connection> {
        self.into_iter()
            .flat_map(|list| list.into_chunks().flatten())
    }
}

/// Lists whose connections are each mapped, or dropped, as they are
/// read (in both passes).
pub(crate) struct Mapped<F>(pub Vec<net::Connections>, pub F);

impl<F: Fn(net::Connection) -> Option<net::Connection>> ConnectionPasses for Mapped<F> {
    fn count_pass(&self) -> impl Iterator<Item = net::Connection> + '_ {
        self.0
            .iter()
            .flat_map(|list| list.iter())
            .filter_map(&self.1)
    }

    fn place_pass(self) -> impl Iterator<Item = net::Connection> {
        let f = self.1;
        self.0
            .into_iter()
            .flat_map(|list| list.into_chunks().flatten())
            .filter_map(f)
    }
}

/// Connections given by an iterator that can be read twice.
pub(crate) struct Twice<I>(pub I);

impl<I: Iterator<Item = net::Connection> + Clone> ConnectionPasses for Twice<I> {
    fn count_pass(&self) -> impl Iterator<Item = net::Connection> + '_ {
        self.0.clone()
    }

    fn place_pass(self) -> impl Iterator<Item = net::Connection> {
        self.0
    }
}

/// Numbers the fan-out groups of a part's sources while its connections
/// are read: a source's connections of one delay (bit-identical delays,
/// groups in order of first appearance) form one group.
#[derive(Default)]
struct Grouping {
    /// Connections per group.
    counts: Vec<u32>,
    /// (source's first group, delay bits) → group, for the sources of
    /// more than [`Grouping::FEW`] delays.
    many: HashMap<(u32, u64), u32>,
}

impl Grouping {
    /// Sources with up to this many delays are searched in order.
    const FEW: usize = 8;

    /// The group of a connection of delay `delay` from the source whose
    /// groups are `groups` ((delay, group) in order of first
    /// appearance), which gains one when the delay is new.
    fn of(&mut self, groups: &mut Vec<(f64, u32)>, delay: f64) -> u32 {
        let bits = delay.to_bits();
        let found = if groups.len() <= Self::FEW {
            groups.iter().find(|g| g.0.to_bits() == bits).map(|g| g.1)
        } else {
            self.many.get(&(groups[0].1, bits)).copied()
        };
        let g = match found {
            Some(g) => g,
            None => {
                let g = self.counts.len() as u32;
                self.counts.push(0);
                groups.push((delay, g));
                if groups.len() > Self::FEW {
                    let first = groups[0].1;
                    if groups.len() == Self::FEW + 1 {
                        for &(d, k) in groups.iter() {
                            self.many.insert((first, d.to_bits()), k);
                        }
                    } else {
                        self.many.insert((first, bits), g);
                    }
                }
                g
            }
        };
        if let Some(n) = self.counts.get_mut(g as usize) {
            *n += 1;
        }
        g
    }
}

impl Part {
    /// True when a mechanism of this part has no machine code yet.
    pub(crate) fn has_deferred(&self) -> bool {
        self.mechs.iter().any(|m| m.compiled.is_deferred())
    }

    /// Builds the engine's data for `net` with mechanisms from `lib`;
    /// `merge` as [`SimOptions::merge_synapses`].
    pub(crate) fn with_merging(
        net: &net::Network,
        lib: &Mechanisms,
        merge: bool,
        lifts: &lift::Lifts,
    ) -> Result<Part, SimError> {
        let piece = Piece {
            cells: &net.cells,
            trains: &net.trains,
            records: &net.records,
            run: &net.run,
            merge,
            lifts,
            extra_detectors: &[],
        };
        Part::build(
            &piece,
            None,
            net.connections.len(),
            Twice(net.connections.iter()),
            lib,
        )
    }

    /// Builds the engine's data for `piece` and its `count` connections
    /// (read twice, so that no list of them is made for this).
    /// With `points`, the cells' point processes were taken out of them
    /// (see [`Simulation::from_network`]): they are used and freed.
    pub(crate) fn build(
        net: &Piece<'_>,
        points: Option<Vec<Vec<net::PointProcess>>>,
        count: usize,
        connections: impl ConnectionPasses,
        lib: &Mechanisms,
    ) -> Result<Part, SimError> {
        let run = net.run.clone();
        let finite = [run.tstart, run.tstop, run.dt, run.celsius, run.v_init];
        if finite.iter().any(|x| !x.is_finite()) || run.dt <= 0.0 {
            return Err(SimError::new(
                SimErrorKind::InvalidSettings,
                "tstart, tstop, dt, celsius and v_init must be finite and dt positive",
            ));
        }
        if (run.tstop - run.tstart) / run.dt > 1e10 {
            return Err(SimError::new(
                SimErrorKind::InvalidSettings,
                "more than 1e10 steps: check tstop and dt",
            ));
        }
        let nodes = discretize::discretize(net.cells)
            .map_err(|m| SimError::new(SimErrorKind::InvalidNetwork, m))?;
        let n = nodes.len();
        // At least one node: artificial cells sit at node 0 (which they
        // never read), even in a network of artificial cells only.
        let mut data = NodeData::new(n.max(1));
        data.area[..n].copy_from_slice(&nodes.area);
        data.diam[..n].copy_from_slice(&nodes.diam);
        // Recorded point processes keep rows of their own, unless what is
        // recorded is a field equal in every instance a row stands for.
        let merge = net.merge.then(|| {
            let mut shared: HashMap<&str, Vec<crate::ir::FieldId>> = HashMap::new();
            net.records
                .iter()
                .filter_map(|r| match &r.variable {
                    net::Variable::PointProcess { index, name } => {
                        let pp = points_of(net.cells, points.as_deref(), r.cell).get(*index);
                        let fixed = pp.is_some_and(|pp| {
                            // The mechanism as it runs (rewritten when its
                            // event state moves into the connections).
                            let mech =
                                lib.index(&pp.mechanism)
                                    .and_then(|i| match net.lifts.get(i) {
                                        Some((c, _)) => Some(c.mechanism()),
                                        None => lib.get(&pp.mechanism),
                                    });
                            let keys = shared.entry(&pp.mechanism).or_insert_with(|| {
                                mech.and_then(|m| linear::analyse(m).ok())
                                    .map(|l| l.keys)
                                    .unwrap_or_default()
                            });
                            mech.and_then(|m| record::field_of(m, name))
                                .is_some_and(|f| keys.contains(&f))
                        });
                        (!fixed).then_some((r.cell, *index))
                    }
                    _ => None,
                })
                .collect::<std::collections::HashSet<_>>()
        });
        let (mut mechs, placement) = instances::build(net, points, lib, &nodes, merge.as_ref())?;
        // The point processes are gone: their pages go back before the
        // connection tables are made.
        crate::io::release_free_memory();
        crate::io::trace("part: instances");
        let currents = instances::ions(net.cells, &nodes, &mechs, &mut data)?;
        let ion_currents = data.ions.keys().map(|k| currents.contains(k)).collect();
        let nernst = nernst::ions(net.cells, &nodes, &mechs, &data, instances::ion_default);
        instances::prepare(&mut mechs, &mut data)?;
        let ion_init = data
            .ions
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut imem = record::MembraneCurrents::default();
        let probes = record::resolve(net.records, &nodes, &mechs, &placement, &data, &mut imem)?;
        // Times and every trace are reserved for the whole run: checked
        // against the memory there is before they are allocated.
        let samples = ((run.tstop - run.tstart) / run.dt).round().max(0.0) + 1.0;
        crate::io::check_memory(samples * 8.0 * (probes.len() as f64 + 1.0)).map_err(|m| {
            SimError::new(
                SimErrorKind::InvalidSettings,
                format!(
                    "{samples:.0} time steps recording {} traces {m}: check tstop and dt, or record fewer cells",
                    probes.len()
                ),
            )
        })?;
        let labels = net
            .cells
            .iter()
            .map(|c| (c.gid, c.sections.iter().map(|s| s.name.clone()).collect()))
            .collect();

        let mut detectors: Vec<Detector> = Vec::with_capacity(net.cells.len());
        let mut art_sources = HashMap::new();
        for (ci, cell) in net.cells.iter().enumerate() {
            if cell.sections.is_empty() {
                // An artificial cell: no threshold to watch (the node
                // does not exist, so the check never fires); it spikes
                // when its NET_RECEIVE calls net_event.
                if let Some((mech, inst)) = placement.point(ci, 0) {
                    art_sources.insert((mech, inst), detectors.len() as u32);
                }
                detectors.push(Detector {
                    node: u32::MAX,
                    threshold: run.spike_threshold,
                    gid: Some(cell.gid),
                    groups: Vec::new(),
                    global: ci as u32,
                    cell: ci as u32,
                    export: false,
                });
                continue;
            }
            let node = nodes.node(ci, cell.spike_site).ok_or_else(|| {
                SimError::new(
                    SimErrorKind::InvalidLocation,
                    format!(
                        "cell {ci}: spike site section {} does not exist",
                        cell.spike_site.section
                    ),
                )
            })?;
            detectors.push(Detector {
                node,
                threshold: run.spike_threshold,
                gid: Some(cell.gid),
                groups: Vec::new(),
                global: ci as u32,
                cell: ci as u32,
                export: false,
            });
        }
        let mut trains: Vec<Train> = net
            .trains
            .iter()
            .map(|t| Train {
                times: t.times.clone(),
                groups: Vec::new(),
            })
            .collect();
        // Two passes over the connections. The first checks them, finds
        // each one's source (a detector or train) and fan-out group (its
        // source's connections of one delay) and counts the groups; the
        // second puts each connection at its place in delivery order.
        let nargs: Vec<u32> = mechs
            .iter()
            .map(|m| m.data.layout().net_args.max(1) as u32)
            .collect();
        let mut scratch_len = 1;
        let mut grouping = Grouping::default();
        let mut group_of: Vec<u32> = Vec::with_capacity(count);
        let mut nargs_total = 0usize;
        for (k, c) in connections.count_pass().enumerate() {
            let bad = |m: String| {
                SimError::new(
                    SimErrorKind::InvalidConnection,
                    format!("connection {k}: {m}"),
                )
            };
            let (mech, _) = placement.point(c.target_cell, c.target).ok_or_else(|| {
                bad(format!(
                    "cell {} has no point process {}",
                    c.target_cell, c.target
                ))
            })?;
            let m = &mechs[mech as usize];
            if !m.has[3] {
                return Err(bad(format!("`{}` has no NET_RECEIVE block", m.mech().name)));
            }
            if !c.delay.is_finite() || c.delay < 0.0 || !c.weight.is_finite() {
                return Err(bad(
                    "delay must be finite and not negative, weight finite".into()
                ));
            }
            let n = nargs.get(mech as usize).copied().unwrap_or(1) as usize;
            scratch_len = scratch_len.max(n);
            nargs_total += n;
            if nargs_total > u32::MAX as usize || group_of.len() >= u32::MAX as usize {
                return Err(bad("too many connections in the network".into()));
            }
            let groups = match c.source {
                Source::Cell(src) => {
                    let cell = net
                        .cells
                        .get(src)
                        .ok_or_else(|| bad(format!("no source cell {src}")))?;
                    let d = if c.threshold.is_nan()
                        || c.threshold == run.spike_threshold
                        || cell.sections.is_empty()
                    {
                        src
                    } else if let Some(d) = detectors.iter().skip(net.cells.len()).position(|d| {
                        d.gid.is_none()
                            && d.threshold == c.threshold
                            && Some(d.node) == nodes.node(src, cell.spike_site)
                    }) {
                        net.cells.len() + d
                    } else {
                        detectors.push(Detector {
                            node: detectors[src].node,
                            threshold: c.threshold,
                            gid: None,
                            groups: Vec::new(),
                            global: detectors.len() as u32,
                            cell: src as u32,
                            export: false,
                        });
                        detectors.len() - 1
                    };
                    &mut detectors[d].groups
                }
                Source::Train(t) => {
                    &mut trains
                        .get_mut(t)
                        .ok_or_else(|| bad(format!("no spike train {t}")))?
                        .groups
                }
            };
            group_of.push(grouping.of(groups, c.delay));
        }
        // Every source's groups become lists, one after the other in
        // source order, which number the connections: `created[id]` is
        // connection id's creation index.
        let mut lists = Vec::new();
        let mut cursor = vec![0u32; grouping.counts.len()];
        let mut next = 0u32;
        for groups in detectors
            .iter_mut()
            .map(|d| &mut d.groups)
            .chain(trains.iter_mut().map(|t| &mut t.groups))
        {
            for g in groups.iter_mut() {
                let id = g.1 as usize;
                let n = grouping.counts.get(id).copied().unwrap_or(0);
                cursor[id] = next;
                g.1 = lists.len() as u32;
                lists.push((next, next + n));
                next += n;
            }
        }
        drop(grouping);
        let total = group_of.len();
        // (mechanism, instance, arguments, row) per connection, zeroed
        // lazily by the system (so its pages are touched as connections
        // are placed, while their lists are freed), then made deliveries
        // in place.
        let mut slots = vec![[0u32; 4]; total];
        let mut created = vec![0u32; total];
        // The arguments stay in creation order.
        let mut net_args: Vec<f64> = Vec::with_capacity(nargs_total);
        let mut placed = 0usize;
        for (k, c) in connections.place_pass().enumerate() {
            let (Some(&g), Some((mech, instance))) =
                (group_of.get(k), placement.point(c.target_cell, c.target))
            else {
                break;
            };
            let Some(at) = cursor.get_mut(g as usize) else {
                break;
            };
            let id = *at as usize;
            *at += 1;
            if let (Some(slot), Some(made)) = (slots.get_mut(id), created.get_mut(id)) {
                *slot = [mech, instance, net_args.len() as u32, instance];
                *made = k as u32;
            }
            let n = nargs.get(mech as usize).copied().unwrap_or(1) as usize;
            // The weight is the first argument; the others start at 0.
            net_args.push(c.weight);
            net_args.resize(net_args.len() + n - 1, 0.0);
            placed += 1;
        }
        drop(group_of);
        if placed != total || next as usize != total {
            return Err(SimError::new(
                SimErrorKind::InvalidConnection,
                "the connections changed between two reads (a bug in nmc)",
            ));
        }
        let items: Vec<events::Delivery> = slots
            .into_iter()
            .map(|[mech, instance, args, row]| events::Delivery {
                mech,
                instance,
                args,
                row,
            })
            .collect();
        crate::io::trace("part: connections read");
        // Detectors other parts listen to through their ghost trains that
        // no connection of this part made.
        for &(ci, th) in net.extra_detectors {
            let (Some(cell), Some(node)) = (net.cells.get(ci), detectors.get(ci).map(|d| d.node))
            else {
                continue;
            };
            if th.is_nan() || th == run.spike_threshold || cell.sections.is_empty() {
                continue;
            }
            let known = detectors
                .iter()
                .skip(net.cells.len())
                .any(|d| d.gid.is_none() && d.threshold == th && d.node == node);
            if !known {
                detectors.push(Detector {
                    node,
                    threshold: th,
                    gid: None,
                    groups: Vec::new(),
                    global: detectors.len() as u32,
                    cell: ci as u32,
                    export: false,
                });
            }
        }
        let fanouts = events::Fanouts::new(lists, items, created, nargs);
        lift::fill_args(&mechs, &fanouts, &mut net_args, true);
        crate::io::release_free_memory();
        crate::io::trace("part: connections in delivery order");
        let watches = detectors
            .iter()
            .map(|d| Watch {
                threshold: d.threshold,
                node: d.node,
                above: false,
            })
            .collect();
        // Room for a step's events; the queue grows when more are pending.
        let mut queue = Queue::default();
        queue.reserve(1024 + trains.len());
        Ok(Part {
            nodes,
            data,
            ion_init,
            ion_currents,
            nernst,
            mechs,
            shared: Shared {
                t: run.tstart,
                dt: run.dt,
                celsius: run.celsius,
                flag: 0.0,
            },
            queue,
            art_sources,
            fanouts,
            detectors,
            watches,
            trains,
            probes,
            plan: record::ProbePlan::default(),
            rows: Vec::new(),
            imem,
            scratch: vec![0.0; scratch_len],
            net_args,
            rng: 0x9E37_79B9_7F4A_7C15,
            watch_ons: Vec::new(),
            watch_conds: Vec::new(),
            run,
            exact: false,
            fast_solve: lib.math_mode() == MathMode::Fast,
            labels,
            steps_done: 0,
            outbox: Vec::new(),
        })
    }

    /// See [`Simulation::set_exact`].
    pub(crate) fn set_exact(&mut self, exact: bool) {
        self.exact = exact;
    }

    /// See [`Simulation::aggregation`].
    pub(crate) fn aggregation(&self) -> Vec<(String, usize, usize)> {
        self.mechs
            .iter()
            .filter_map(|m| {
                let rows = m.data.count();
                let instances = match &m.multiplicity {
                    Some(counts) => counts.iter().map(|&n| n as usize).sum(),
                    None => rows,
                };
                let leaders = m.merged.as_ref().map_or(rows, |g| g.leaders());
                (leaders < instances).then(|| (m.mech().name.clone(), instances, leaders))
            })
            .collect()
    }

    /// Per mechanism: (name, rows of data).
    pub(crate) fn rows(&self) -> Vec<(String, usize)> {
        self.mechs
            .iter()
            .map(|m| (m.mech().name.clone(), m.data.count()))
            .collect()
    }

    /// Number of nodes (including NEURON's zero-area end and root nodes).
    pub(crate) fn connection_count(&self) -> usize {
        self.fanouts.items.len()
    }

    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Initialises (NEURON's `finitialize(v_init)`) and records the first
    /// sample; the results then grow with [`Part::advance`].
    pub fn start(&mut self) -> Results {
        let nsteps = self.step_count();
        let mut results = Results {
            times: Vec::with_capacity(nsteps + 1),
            traces: (0..self.probes.len())
                .map(|_| Vec::with_capacity(nsteps + 1))
                .collect(),
            spikes: Vec::new(),
            error: None,
        };
        self.steps_done = 0;
        self.outbox.clear();
        if let Err(e) = self.finitialize(&mut results.spikes) {
            results.error = Some(e);
            return results;
        }
        self.plan = record::ProbePlan::new(&self.probes, &self.mechs);
        self.record(&mut results);
        self.flush_rows(&mut results);
        results
    }

    /// Runs up to `max` more steps (fewer at tstop or on an error).
    /// Returns true when the run is over.
    pub fn advance(&mut self, max: usize, results: &mut Results) -> bool {
        let done = self.advance_rows(max, results);
        self.flush_rows(results);
        done
    }

    /// [`Part::advance`] leaving this batch's samples in `self.rows`.
    pub(crate) fn advance_rows(&mut self, max: usize, results: &mut Results) -> bool {
        if results.error.is_some() {
            return true;
        }
        let nsteps = self.step_count();
        let stop = self.run.tstop - 0.5 * self.run.dt;
        for _ in 0..max {
            if !(self.shared.t < stop && self.steps_done < nsteps + 1) {
                break;
            }
            if let Err(e) = self.step(&mut results.spikes) {
                results.error = Some(e);
                return true;
            }
            self.record(results);
            if let Err(e) = self.end_step(&mut results.spikes) {
                results.error = Some(e);
                return true;
            }
            self.steps_done += 1;
        }
        if let Err(e) = self.check_finite() {
            results.error = Some(e);
            return true;
        }
        !(self.shared.t < stop && self.steps_done < nsteps + 1)
    }

    /// An error naming the cell, section and time when a membrane
    /// potential is no longer a finite number (checked after every batch
    /// of steps: a NaN never turns back into a number, so it is caught).
    fn check_finite(&self) -> Result<(), SimError> {
        if self.data.v.iter().all(|v| v.is_finite()) {
            return Ok(());
        }
        let mut at = None;
        'cells: for (ci, secs) in self.nodes.sections.iter().enumerate() {
            for (k, s) in secs.iter().enumerate() {
                if let Some(node) = (s.first..s.first + s.nseg)
                    .find(|&n| self.data.v.get(n as usize).is_some_and(|v| !v.is_finite()))
                {
                    at = Some((ci, k, node));
                    break 'cells;
                }
            }
        }
        let t = crate::units::format_number(self.shared.t);
        let message = match at {
            Some((ci, k, node)) => {
                let (gid, name) = self
                    .labels
                    .get(ci)
                    .map(|(g, names)| (*g, names.get(k).map_or("?", String::as_str)))
                    .unwrap_or((ci as u64, "?"));
                format!(
                    "the membrane potential of cell {gid}, section `{name}` became {} mV by t = {t} ms",
                    self.data.v[node as usize]
                )
            }
            None => format!("a membrane potential became infinite or NaN by t = {t} ms"),
        };
        Err(SimError::new(
            SimErrorKind::NumericalFault,
            format!(
                "{message}: the model is numerically unstable (check time constants, geometry, dt and v_init)"
            ),
        ))
    }

    /// Time now (ms).
    pub fn t(&self) -> f64 {
        self.shared.t
    }

    fn step_count(&self) -> usize {
        step_count(self.run.tstart, self.run.tstop, self.run.dt)
    }

    fn record(&mut self, results: &mut Results) {
        results.times.push(self.shared.t);
        self.plan.read_into(
            &self.probes,
            &self.data,
            &self.mechs,
            &self.imem,
            &mut self.rows,
        );
    }

    /// Steps per batch of a run whose samples are taken batch by batch
    /// (`Simulation::run_draining`): a batch's rows stay within about
    /// 256 KB, so they are still in the cache when they are written out.
    pub(crate) fn drain_batch(&self) -> usize {
        ((1 << 18) / (8 * self.probes.len().max(1))).clamp(4, 256)
    }

    /// Moves the samples in `self.rows` to the end of the traces, eight
    /// traces at a time (the rows' values of eight neighbouring probes
    /// share a cache line).
    pub(crate) fn flush_rows(&mut self, results: &mut Results) {
        let width = self.probes.len();
        if width > 0 {
            let rows = &self.rows;
            for (b, traces) in results.traces.chunks_mut(8).enumerate() {
                for (k, trace) in traces.iter_mut().enumerate() {
                    let col = b * 8 + k;
                    trace.extend(rows.iter().skip(col).step_by(width));
                }
            }
        }
        self.rows.clear();
    }
}

/// Number of steps a run from `tstart` to `tstop` (ms) in steps of `dt`
/// takes; it records one sample more (the initial state).
pub fn step_count(tstart: f64, tstop: f64, dt: f64) -> usize {
    let n = ((tstop - tstart) / dt).round();
    if n > 0.0 { n as usize } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::Grouping;

    #[test]
    fn groups_are_numbered_per_source_and_delay_as_first_seen() {
        let mut grouping = Grouping::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        // Source a: 20 distinct delays (beyond the few searched in order),
        // each given three times, interleaved with source b's two.
        let mut seen_a = Vec::new();
        for round in 0..3 {
            for k in 0..20 {
                let g = grouping.of(&mut a, 0.5 + k as f64);
                if round == 0 {
                    seen_a.push(g);
                } else {
                    assert_eq!(g, seen_a[k]);
                }
                grouping.of(&mut b, if k % 2 == 0 { 1.0 } else { -0.0 });
            }
        }
        // 0.0 and -0.0 are different delays.
        assert_eq!(grouping.of(&mut b, 0.0), grouping.counts.len() as u32 - 1);
        assert_eq!(a.len(), 20);
        assert_eq!(b.len(), 3);
        assert!(a.iter().enumerate().all(|(k, g)| g.0 == 0.5 + k as f64));
        assert!(seen_a.iter().all(|&g| grouping.counts[g as usize] == 3));
        assert_eq!(grouping.counts[b[0].1 as usize], 30);
        assert_eq!(grouping.counts[b[1].1 as usize], 30);
        assert_eq!(grouping.counts.iter().sum::<u32>(), 121);
    }
}
