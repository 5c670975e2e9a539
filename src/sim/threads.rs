//! [`Simulation`]: a network split into parts of consecutive cells, each
//! stepped by its own thread, with the same results bit for bit as one
//! thread.
//!
//! Each part is a [`Part`] built from a sub-network: its cells, every spike
//! train, the connections onto its cells, and for each detector of another
//! part that feeds it a "ghost" spike train without spikes. The threads run
//! windows of steps no longer than the smallest delay of a connection
//! between parts, then exchange the spikes detected in the window (step,
//! time, global detector): a part queues a received spike's events through
//! the ghost train's connections, exactly as the sending detector would
//! have, with the same creation stamp (`events::Stamp`), so the delivery
//! order is the one-thread order. Spikes and traces are merged back in
//! network order.
//!
//! One thread is used when there is nothing to gain or exactness cannot be
//! kept: a single cell, a connection between parts with a delay of less
//! than one step, or a mechanism drawing random numbers (one stream in
//! the network's event order).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::mechanisms::Mechanisms;
use super::ranks::Reader;
use super::specialize;
use super::{Part, Results, SimError};
use crate::ir::opt::Specialization;
use crate::net::{Connection, Connections, Network, PointProcess, Record, Source, SpikeTrain};

/// Spikes for one part: (step, time, global detector, ghost train).
type Inbox = Mutex<Vec<(u64, f64, u32, u32)>>;

/// A network ready to run.
pub struct Simulation {
    parts: Vec<Part>,
    /// Per record of the network: (part, its index in the part); part
    /// `usize::MAX` when another rank records it.
    pub(super) records: Vec<(usize, usize)>,
    /// Steps between spike exchanges.
    window: usize,
    /// Per global detector: (part, ghost train) of every part it feeds
    /// from another part.
    importers: Vec<Vec<(u32, u32)>>,
    /// What specialising the kernels for this run did (empty when off).
    special: specialize::Report,
    /// Per global detector: true when it feeds a cell of another rank
    /// (empty without ranks, see `super::ranks`).
    pub(super) leaves: Vec<bool>,
    /// This process's share of a run over ranks.
    pub(super) share: super::ranks::Share,
}

/// How to build a [`Simulation`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimOptions {
    /// Threads to use at most (see [`Simulation::with_threads`]).
    pub threads: usize,
    /// Compile each mechanism's kernels again for this run's data (see
    /// [`crate::ir::opt`]): same bits, less work. Off: the library's plain
    /// kernels, for debugging.
    pub specialize: bool,
    /// Run exact (see [`Simulation::set_exact`]) from the start.
    pub exact: bool,
    /// Unless `exact`: merge the instances of a linear synapse mechanism
    /// whose events may run on the merged row (Exp2Syn's, see
    /// `super::linear`) while building, so they never get rows of their
    /// own: the results of the default (aggregated) run, in far less
    /// memory and time for networks with many synapses per cell. Such a
    /// simulation cannot be made exact later.
    pub merge_synapses: bool,
}

impl Default for SimOptions {
    /// One thread; specialised unless the environment variable
    /// `NMC_SPECIALIZE` is `0`, `off`, `no` or `false`.
    fn default() -> Self {
        SimOptions {
            threads: 1,
            specialize: specialize::enabled_by_env(),
            exact: false,
            merge_synapses: false,
        }
    }
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation")
            .field("parts", &self.parts)
            .field("window", &self.window)
            .finish()
    }
}

impl Simulation {
    /// Builds the engine's data for `net` with mechanisms from `lib`, to
    /// run on one thread.
    pub fn new(net: &Network, lib: &Mechanisms) -> Result<Simulation, SimError> {
        Self::with_threads(net, lib, 1)
    }

    /// Like [`Simulation::new`], split to run on up to `threads` threads
    /// (see the module documentation for when fewer are used), with
    /// kernels specialised for the run (see [`SimOptions::default`]).
    pub fn with_threads(
        net: &Network,
        lib: &Mechanisms,
        threads: usize,
    ) -> Result<Simulation, SimError> {
        let options = SimOptions {
            threads,
            ..SimOptions::default()
        };
        Self::with_options(net, lib, options)
    }

    /// Builds the engine's data for `net` as `options` say.
    pub fn with_options(
        net: &Network,
        lib: &Mechanisms,
        options: SimOptions,
    ) -> Result<Simulation, SimError> {
        Self::for_rank(net, lib, options, (0, 1))
    }

    /// Like [`Simulation::with_options`] for a one-shot run: takes the
    /// network's connections and point processes out of `net` (it keeps
    /// its cells' sections, trains, records and run settings) and frees
    /// them as the engine's own tables are built, so that the two never
    /// coexist whole: a network of many synapses peaks about 100 bytes
    /// per synapse lower.
    pub fn from_network(
        net: &mut Network,
        lib: &Mechanisms,
        options: SimOptions,
    ) -> Result<Simulation, SimError> {
        let taken = Taken::from(net);
        Self::build(net, Some(taken), lib, options, (0, 1), None)
    }

    /// Like [`Simulation::with_options`], for rank `ranks.0` of `ranks.1`
    /// processes: the parts of this rank's cells (see `super::ranks`).
    pub(super) fn for_rank(
        net: &Network,
        lib: &Mechanisms,
        options: SimOptions,
        ranks: (usize, usize),
    ) -> Result<Simulation, SimError> {
        Self::build(net, None, lib, options, ranks, None)
    }

    /// [`Simulation::for_rank`] of `net`, or, with `taken`, of `net` with
    /// the connections and point processes taken out of it (see
    /// [`Simulation::from_network`]). With `link`, `net` holds only the
    /// connections and point processes onto this rank's cells, the ranks'
    /// cells start at `link.starts`, and what the ranks must agree on is
    /// traded through `link.comm`.
    pub(super) fn build(
        net: &Network,
        mut taken: Option<Taken>,
        lib: &Mechanisms,
        options: SimOptions,
        ranks: (usize, usize),
        mut link: Option<PerRank<'_>>,
    ) -> Result<Simulation, SimError> {
        let threads = options.threads.clamp(1, net.cells.len().max(1));
        let merge = options.merge_synapses && !options.exact;
        let mut random = uses_random(net, taken.as_ref().map(|t| t.points.as_slice()), lib);
        if let Some(l) = link.as_mut() {
            // Each rank sees its own cells' synapses only.
            random = l
                .comm
                .all_gather(&[u8::from(random)])
                .iter()
                .any(|b| b.first() == Some(&1));
            if random {
                return Err(not_split("a mechanism draws random numbers"));
            }
        }
        let lifts = if merge {
            match &taken {
                Some(t) => super::lift::Lifts::plan(
                    &net.cells,
                    Some(&t.points),
                    t.connections.iter(),
                    &net.records,
                    lib,
                ),
                None => super::lift::Lifts::plan(
                    &net.cells,
                    None,
                    net.connections.iter(),
                    &net.records,
                    lib,
                ),
            }
        } else {
            super::lift::Lifts::none()
        };
        crate::io::trace("simulation: lifts planned");
        let mut lifts = lifts;
        if let Some(l) = link.as_mut() {
            lifts.agree(l.comm);
        }
        let partial = link.is_some();
        let split = if (threads > 1 || ranks.1 > 1) && !random {
            split(
                net,
                taken.as_mut(),
                lib,
                threads,
                ranks,
                merge,
                &lifts,
                link,
            )?
        } else {
            None
        };
        if split.is_none() && partial {
            return Err(not_split(
                "an artificial cell, fewer cells than ranks or a delay between ranks under one step",
            ));
        }
        let mut sim = match split {
            Some(sim) => sim,
            // Not split over ranks: rank 0 runs the whole network.
            None if ranks.0 > 0 => Simulation {
                parts: Vec::new(),
                records: vec![(usize::MAX, 0); net.records.len()],
                window: usize::MAX,
                importers: Vec::new(),
                special: specialize::Report::default(),
                leaves: Vec::new(),
                share: super::ranks::Share::solo(ranks, net.cells.len()),
            },
            None => Simulation {
                parts: vec![match taken {
                    Some(taken) => {
                        let piece = super::Piece {
                            cells: &net.cells,
                            trains: &net.trains,
                            records: &net.records,
                            run: &net.run,
                            merge,
                            lifts: &lifts,
                            extra_detectors: &[],
                        };
                        let count = taken.connections.len();
                        Part::build(&piece, Some(taken.points), count, taken.connections, lib)?
                    }
                    None => Part::with_merging(net, lib, merge, &lifts)?,
                }],
                records: (0..net.records.len()).map(|k| (0, k)).collect(),
                window: usize::MAX,
                importers: Vec::new(),
                special: specialize::Report::default(),
                leaves: Vec::new(),
                share: super::ranks::Share::solo(ranks, net.cells.len()),
            },
        };
        if options.specialize {
            sim.special = specialize::specialize(&mut sim.parts, false, threads)?;
        } else if sim.parts.iter().any(Part::has_deferred) {
            specialize::specialize(&mut sim.parts, true, threads)?;
        }
        sim.set_exact(options.exact);
        Ok(sim)
    }

    /// Per mechanism the run uses, what its kernels were specialised for
    /// (empty when specialisation is off).
    pub fn specializations(&self) -> &[(String, Specialization)] {
        &self.special.specs
    }

    /// Time spent compiling the specialised kernels.
    pub fn specialization_time(&self) -> Duration {
        self.special.compile
    }

    /// Number of threads the run uses.
    pub fn threads(&self) -> usize {
        self.parts.len()
    }

    /// With `exact`, every synapse instance is integrated on its own, as
    /// NEURON does, so results equal NEURON's bit for bit. Without it (the
    /// default), instances of a linear synapse mechanism on one node with
    /// equal parameters share their state (see [`super::linear`]): the
    /// same dynamics in real arithmetic, rounded differently, much faster
    /// for networks with many synapses per cell.
    pub fn set_exact(&mut self, exact: bool) {
        for p in &mut self.parts {
            p.set_exact(exact);
        }
    }

    /// Per mechanism with aggregated instances (after [`Simulation::run`]
    /// initialised): (name, instances, leaders integrated), summed over
    /// the threads' parts, sorted by name.
    pub fn aggregation(&self) -> Vec<(String, usize, usize)> {
        let mut sum: Vec<(String, usize, usize)> = Vec::new();
        for (name, n, l) in self.parts.iter().flat_map(Part::aggregation) {
            match sum.iter_mut().find(|s| s.0 == name) {
                Some(s) => {
                    s.1 += n;
                    s.2 += l;
                }
                None => sum.push((name, n, l)),
            }
        }
        sum.sort();
        sum
    }

    /// Per mechanism: (name, rows of data kept), summed over the
    /// threads' parts, sorted by name. Instances merged while building
    /// share a row.
    pub fn rows(&self) -> Vec<(String, usize)> {
        let mut sum: Vec<(String, usize)> = Vec::new();
        for (name, n) in self.parts.iter().flat_map(Part::rows) {
            match sum.iter_mut().find(|s| s.0 == name) {
                Some(s) => s.1 += n,
                None => sum.push((name, n)),
            }
        }
        sum.sort();
        sum
    }

    /// Connection events delivered in the last run and the time the
    /// threads spent delivering events (summed over the threads).
    pub fn event_stats(&self) -> (u64, Duration) {
        self.parts.iter().fold((0, Duration::ZERO), |(n, t), p| {
            let (pn, pt) = p.event_stats();
            (n + pn, t + pt)
        })
    }

    /// Number of connections this process built (a rank's: those onto
    /// its cells).
    pub fn connection_count(&self) -> usize {
        self.parts.iter().map(Part::connection_count).sum()
    }

    /// Number of nodes (including NEURON's zero-area end and root nodes).
    pub fn node_count(&self) -> usize {
        self.parts.iter().map(Part::node_count).sum()
    }

    /// Initialises (NEURON's `finitialize(v_init)`) and runs to tstop;
    /// `progress` gets the time now and then.
    pub fn run(&mut self, progress: &mut dyn FnMut(f64)) -> Results {
        self.run_linked(
            &mut |t| {
                progress(t);
                true
            },
            None,
        )
    }

    /// Like [`Simulation::run`], for callers that may stop a run early
    /// (a Ctrl-C in an embedding interpreter): `progress` gets the time
    /// after every window and answers whether to go on. After a `false`,
    /// every thread stops at the end of the next window and the results
    /// hold everything simulated until then, with an error of kind
    /// [`super::SimErrorKind::Interrupted`].
    pub fn run_interruptible(&mut self, progress: &mut dyn FnMut(f64) -> bool) -> Results {
        self.run_linked(progress, None)
    }

    /// [`Simulation::run_interruptible`] that also hands `drain` the
    /// results so far after every batch of steps and once at the end, so
    /// that a caller can move the recorded samples out while the run goes
    /// on (into a file, emptying the traces: the run then holds a batch of
    /// samples rather than all of them). `drain` answers whether to go on,
    /// as `progress` does. Its second argument holds the samples recorded
    /// after those in the traces, row by row (one row of `traces.len()`
    /// values per sample); whatever `drain` leaves there goes into the
    /// traces. On one thread the samples come batch by batch (the batch's
    /// in rows); on several, all at the end (in the traces).
    pub fn run_draining(
        &mut self,
        progress: &mut dyn FnMut(f64) -> bool,
        drain: &mut Drain<'_>,
    ) -> Results {
        if let [part] = self.parts.as_mut_slice() {
            let mut results = part.start();
            let batch = part.drain_batch();
            loop {
                let done = part.advance_rows(batch, &mut results);
                let go_on = drain(&mut results, &mut part.rows);
                part.flush_rows(&mut results);
                if !go_on {
                    results.error.get_or_insert_with(|| interrupted(part.t()));
                    return results;
                }
                if done {
                    progress(part.t());
                    return results;
                }
                if !progress(part.t()) {
                    results.error = Some(interrupted(part.t()));
                    return results;
                }
            }
        }
        let mut results = self.run_linked(progress, None);
        if !drain(&mut results, &mut Vec::new()) && results.error.is_none() {
            let t = self.parts.first().map_or(0.0, Part::t);
            results.error = Some(interrupted(t));
        }
        results
    }

    /// [`Simulation::run`]; with `link`, every window ends with a trade of
    /// spikes with the other ranks (see [`Link`]).
    pub(super) fn run_linked(
        &mut self,
        progress: &mut dyn FnMut(f64) -> bool,
        link: Option<&mut Link<'_>>,
    ) -> Results {
        if let (None, [part]) = (&link, self.parts.as_mut_slice()) {
            let mut results = part.start();
            while !part.advance(256, &mut results) {
                if !progress(part.t()) {
                    results.error = Some(interrupted(part.t()));
                    return results;
                }
            }
            progress(part.t());
            return results;
        }
        let n = self.parts.len();
        let even: Vec<Inbox> = (0..n).map(|_| Mutex::new(Vec::new())).collect();
        let odd: Vec<Inbox> = (0..n).map(|_| Mutex::new(Vec::new())).collect();
        let shared = Exchange {
            inboxes: [&even, &odd],
            barrier: SpinBarrier::new(n),
            stop_after: AtomicU64::new(u64::MAX),
            window: self.window,
            importers: &self.importers,
            leaves: &self.leaves,
            leaving: Mutex::new(Vec::new()),
            linked: link.is_some(),
        };
        let mut parts = self.parts.iter_mut();
        let first = parts.next();
        let mut all: Vec<Results> = std::thread::scope(|s| {
            let handles: Vec<_> = parts
                .enumerate()
                .map(|(k, p)| {
                    let shared = &shared;
                    let mut p = SendPart(p);
                    s.spawn(move || shared.work(k + 1, p.get(), None, None))
                })
                .collect();
            let mut out = Vec::with_capacity(n);
            if let Some(p) = first {
                out.push(shared.work(0, p, Some(progress), link));
            }
            for h in handles {
                out.push(h.join().unwrap_or_else(|_| Results {
                    error: Some(SimError::new(
                        super::SimErrorKind::Kernel,
                        "a simulation thread panicked (a bug in nmc)",
                    )),
                    ..Results::default()
                }));
            }
            out
        });
        merge(&mut all, &self.records)
    }
}

/// The CPU time of the calling thread (zero where it cannot be read).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    if !ok {
        return Duration::ZERO;
    }
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// The error of a run stopped by its caller at `t` (ms).
fn interrupted(t: f64) -> SimError {
    SimError::new(
        super::SimErrorKind::Interrupted,
        format!("interrupted at t = {t:.3} ms"),
    )
}

/// What [`Simulation::run_draining`] hands the results to: the results
/// so far and the samples after those in the traces, row by row; answers
/// whether to go on.
pub type Drain<'a> = dyn FnMut(&mut Results, &mut Vec<f64>) -> bool + 'a;

/// The work of cells `range` for cutting a rank's cells into thread
/// parts, from `work` (`net::partition::cell_work`, which counts a point
/// process as an eighth of a compartment's mechanism, as it costs when
/// every synapse has its own row). When synapses are merged, the kernels
/// of a mechanism run once per merged row and a synapse costs little more
/// than its events: it counts as 1/128 of a compartment's mechanism (on a
/// network of 5-compartment cells with ~180 synapses each, 1/8 gave the
/// part with the most synapses ~10% less stepping than the other).
fn thread_work(
    net: &Network,
    taken: Option<&Taken>,
    work: &[f64],
    range: std::ops::Range<usize>,
    merge: bool,
) -> Vec<f64> {
    let points = taken.map(|t| t.points.as_slice());
    range
        .map(|c| {
            let w = work.get(c).copied().unwrap_or(0.0);
            if !merge {
                return w;
            }
            let n = crate::net::partition::points_of(&net.cells, points, c).len() as f64;
            w - n / 8.0 + n / 128.0
        })
        .collect()
}

/// A part handed to its thread.
struct SendPart<'a>(&'a mut Part);

// SAFETY: a part owns all the data its kernels touch (node arrays,
// instance columns, argument blocks whose raw pointers aim into those
// columns and arrays, its queue). What parts share is read only while
// threads run: the compiled mechanisms (`Arc<CompiledMechanism>`,
// immutable machine code). Each part is used by one thread
// at a time: the scope hands each `&mut Part` to exactly one thread.
unsafe impl Send for SendPart<'_> {}

impl<'a> SendPart<'a> {
    fn get(&mut self) -> &mut Part {
        self.0
    }
}

/// A barrier for the threads of one run that spins a little before it
/// sleeps: a window lasts a few steps (tens to hundreds of microseconds),
/// and waking a sleeping thread takes a large part of that; on a busy
/// machine, where the other thread may not be running at all, it sleeps
/// rather than spinning on. `wait` returns once all `n` threads have
/// called it; it can be reused at once. The last thread to arrive makes a
/// system call only when some thread went to sleep.
struct SpinBarrier {
    n: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    /// Threads asleep (or about to be) on `wake`.
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
}

impl SpinBarrier {
    /// Spins (about 20 to 50 ns each) before sleeping.
    const SPINS: u32 = 1 << 11;

    fn new(n: usize) -> Self {
        SpinBarrier {
            n,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        }
    }

    fn wait(&self) {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 >= self.n {
            // Reset before the release below: a thread that sees the new
            // generation and arrives again counts from zero.
            self.arrived.store(0, Ordering::Relaxed);
            self.generation
                .store(generation.wrapping_add(1), Ordering::SeqCst);
            // A sleeper counts itself before it checks the generation
            // (both sequentially consistent, as the store and load here):
            // either it sees the new generation or it is counted here.
            if self.sleepers.load(Ordering::SeqCst) > 0 {
                // Taking the lock orders the wake-up after the sleeper's
                // check, so none misses it.
                drop(self.lock.lock().unwrap_or_else(|e| e.into_inner()));
                self.wake.notify_all();
            }
            return;
        }
        for _ in 0..Self::SPINS {
            if self.generation.load(Ordering::Acquire) != generation {
                return;
            }
            std::hint::spin_loop();
        }
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        while self.generation.load(Ordering::SeqCst) == generation {
            guard = self.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
        }
        drop(guard);
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Trades this rank's spikes of a window, and whether it stops, for
/// those of every other rank (see `super::ranks`): called by one thread
/// of every rank at the end of each window.
pub(super) type Link<'a> = dyn FnMut(&[(u64, f64, u32)], bool) -> (Vec<(u64, f64, u32)>, bool) + 'a;

/// What the threads share during a run.
///
/// Windows are numbered (rounds, the first 1). One barrier ends a round
/// (two in a linked run, around the trade): a thread may be a round ahead
/// of another after it, so what a round hands over is kept per round
/// parity (the inboxes) or per round number (the stop): a thread
/// pushing into round r + 1's inboxes cannot touch round r's, which
/// their owner empties before it reaches the barrier of round r + 1.
struct Exchange<'a> {
    /// Per round parity, per part.
    inboxes: [&'a [Inbox]; 2],
    barrier: SpinBarrier,
    /// The first round after which every thread stops (`u64::MAX`: none
    /// yet). Set during a round to that round at the latest, before its
    /// barrier; read after it.
    stop_after: AtomicU64,
    window: usize,
    importers: &'a [Vec<(u32, u32)>],
    /// See [`Simulation::leaves`].
    leaves: &'a [bool],
    /// Spikes of this window for other ranks.
    leaving: Mutex<Vec<(u64, f64, u32)>>,
    /// Windows end with a trade through a [`Link`].
    linked: bool,
}

impl Exchange<'_> {
    /// One thread's run of part `k`.
    fn work(
        &self,
        k: usize,
        part: &mut Part,
        mut progress: Option<&mut dyn FnMut(f64) -> bool>,
        mut link: Option<&mut Link<'_>>,
    ) -> Results {
        let mut results = part.start();
        if results.error.is_some() {
            self.stop_after.fetch_min(0, Ordering::SeqCst);
        }
        self.sync(&mut link, 0);
        // Time spent in the windows and at their ends, and the thread's
        // CPU time in the windows (for `NMC_TRACE` only: a system call).
        let tracing = std::env::var_os("NMC_TRACE").is_some();
        let (mut busy, mut waiting, mut cpu) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
        let mut clock = Instant::now();
        let mut round: u64 = 0;
        let mut halt = self.stop_after.load(Ordering::SeqCst) <= round;
        // Set when `progress` asked to stop: the run stops after the
        // next round.
        let mut asked_to_stop = false;
        // The received spikes of a round, swapped with the inbox (its
        // capacity kept from round to round).
        let mut received = Vec::new();
        while !halt {
            round += 1;
            let parity = (round % 2) as usize;
            let cpu_before = if tracing {
                thread_cpu()
            } else {
                Duration::ZERO
            };
            let done = part.advance(self.window, &mut results);
            if tracing {
                cpu += thread_cpu().saturating_sub(cpu_before);
            }
            if asked_to_stop && results.error.is_none() {
                results.error = Some(interrupted(part.t()));
            }
            if done || asked_to_stop {
                self.stop_after.fetch_min(round, Ordering::SeqCst);
            }
            for &(step, t, d) in &part.outbox {
                if self.leaves.get(d as usize) == Some(&true) {
                    let mut leaving = self.leaving.lock().unwrap_or_else(|e| e.into_inner());
                    leaving.push((step, t, d));
                }
                self.post(parity, step, t, d);
            }
            part.outbox.clear();
            let now = Instant::now();
            busy += now - clock;
            self.sync(&mut link, round);
            clock = Instant::now();
            waiting += clock - now;
            if let Some(inbox) = self.inboxes[parity].get(k) {
                std::mem::swap(
                    &mut *inbox.lock().unwrap_or_else(|e| e.into_inner()),
                    &mut received,
                );
            }
            for &(step, t, d, ghost) in &received {
                if let Err(e) = part.import(step, t, d, ghost)
                    && results.error.is_none()
                {
                    // `advance` sees it and stops next round.
                    results.error = Some(e);
                }
            }
            received.clear();
            if let Some(p) = progress.as_mut()
                && !p(part.t())
            {
                asked_to_stop = true;
            }
            halt = self.stop_after.load(Ordering::SeqCst) <= round;
        }
        busy += clock.elapsed();
        if tracing {
            crate::io::trace(&format!(
                "thread {k}: {round} windows, {:.3} s stepping ({:.3} s CPU), {:.3} s at window ends",
                busy.as_secs_f64(),
                cpu.as_secs_f64(),
                waiting.as_secs_f64()
            ));
        }
        results
    }

    /// Queues the spike of global detector `d` found at `step`, `t` for
    /// every part that imports it, in the inboxes of round parity
    /// `parity`.
    fn post(&self, parity: usize, step: u64, t: f64, d: u32) {
        for &(p, ghost) in self
            .importers
            .get(d as usize)
            .map_or(&[][..], Vec::as_slice)
        {
            if let Some(inbox) = self.inboxes[parity].get(p as usize) {
                let mut inbox = inbox.lock().unwrap_or_else(|e| e.into_inner());
                inbox.push((step, t, d, ghost));
            }
        }
    }

    /// The end of round `round`: every thread waits; in a linked run the
    /// thread holding the link then trades the rank's leaving spikes for
    /// the other ranks', fills the inboxes and merges the stop flags, and
    /// every thread waits again.
    fn sync(&self, link: &mut Option<&mut Link<'_>>, round: u64) {
        self.barrier.wait();
        if !self.linked {
            return;
        }
        if let Some(link) = link.as_mut() {
            let out = std::mem::take(&mut *self.leaving.lock().unwrap_or_else(|e| e.into_inner()));
            let stopping = self.stop_after.load(Ordering::SeqCst) <= round;
            let (arrived, stop) = link(&out, stopping);
            if stop {
                self.stop_after.fetch_min(round, Ordering::SeqCst);
            }
            // What arrives before the first round (nothing, as no rank
            // has stepped) would go with the first round's spikes.
            let parity = (round.max(1) % 2) as usize;
            for (step, t, d) in arrived {
                self.post(parity, step, t, d);
            }
        }
        self.barrier.wait();
    }
}

/// Network-order results from the parts' results.
fn merge(all: &mut [Results], records: &[(usize, usize)]) -> Results {
    let mut out = Results {
        times: all
            .first_mut()
            .map(|r| std::mem::take(&mut r.times))
            .unwrap_or_default(),
        ..Results::default()
    };
    for &(p, k) in records {
        let trace = all
            .get_mut(p)
            .and_then(|r| r.traces.get_mut(k))
            .map(std::mem::take)
            .unwrap_or_default();
        out.traces.push(trace);
    }
    // Parts hold consecutive cells: within one time, part order is cell
    // order, the order of one thread's threshold checks.
    for r in all.iter_mut() {
        out.spikes.append(&mut r.spikes);
        if out.error.is_none() {
            out.error = r.error.take();
        }
    }
    out.spikes.sort_by(|a, b| a.1.total_cmp(&b.1));
    out
}

/// True when a mechanism the network uses draws random numbers or has
/// WATCH statements (their events are made outside the threads' exchange).
fn uses_random(net: &Network, points: Option<&[Vec<PointProcess>]>, lib: &Mechanisms) -> bool {
    // Each name once (a network of 10^7 synapses names a few mechanisms).
    let mut names: HashSet<&str> = HashSet::new();
    let mut last = "";
    for (ci, c) in net.cells.iter().enumerate() {
        for p in super::points_of(&net.cells, points, ci) {
            if *p.mechanism != *last {
                last = &p.mechanism;
                names.insert(last);
            }
        }
        for s in &c.sections {
            names.extend(s.mechanisms.iter().map(|m| m.mechanism.as_str()));
        }
    }
    names
        .iter()
        .filter_map(|n| lib.get(n))
        .any(|m| super::linear::draws_random(m) || !m.watches.is_empty())
}

/// The network's detectors as one thread numbers them: one per cell, then
/// one per (source cell, threshold) of connections with their own
/// threshold, in order of first appearance among the connections.
struct Detectors {
    cells: usize,
    spike_threshold: f64,
    /// The detectors beyond the cells': (source cell, threshold).
    extra: Vec<(usize, f64)>,
    /// (source cell, threshold bits) → index into `extra`.
    index: HashMap<(usize, u64), u32>,
}

impl Detectors {
    fn new(net: &Network, connections: &Connections) -> Detectors {
        let mut d = Detectors {
            cells: net.cells.len(),
            spike_threshold: net.run.spike_threshold,
            extra: Vec::new(),
            index: HashMap::new(),
        };
        if !connections.has_own_thresholds() {
            return d;
        }
        for c in connections.iter() {
            if let Source::Cell(src) = c.source
                && d.own_threshold(&c)
            {
                let next = d.extra.len() as u32;
                if *d.index.entry((src, c.threshold.to_bits())).or_insert(next) == next {
                    d.extra.push((src, c.threshold));
                }
            }
        }
        d
    }

    /// The detectors of every rank's [`Detectors::new`] (of the
    /// connections onto its cells) as one numbering: each rank's extra
    /// detectors in rank order, each once.
    fn merged(self, comm: &mut dyn super::ranks::Transport) -> Detectors {
        let mut bytes = Vec::with_capacity(self.extra.len() * 16);
        for &(src, th) in &self.extra {
            bytes.extend_from_slice(&(src as u64).to_le_bytes());
            bytes.extend_from_slice(&th.to_le_bytes());
        }
        let mut d = Detectors {
            extra: Vec::new(),
            index: HashMap::new(),
            ..self
        };
        for b in comm.all_gather(&bytes) {
            let mut rd = Reader(&b);
            while let (Some(src), Some(th)) = (rd.u64(), rd.f64()) {
                let next = d.extra.len() as u32;
                if *d.index.entry((src as usize, th.to_bits())).or_insert(next) == next {
                    d.extra.push((src as usize, th));
                }
            }
        }
        d
    }

    fn own_threshold(&self, c: &Connection) -> bool {
        !(c.threshold.is_nan() || c.threshold == self.spike_threshold)
    }

    /// The global detector of connection `c` (None for a train's).
    fn of(&self, c: &Connection) -> Option<u32> {
        let Source::Cell(src) = c.source else {
            return None;
        };
        if !self.own_threshold(c) {
            return Some(src as u32);
        }
        let k = self.index.get(&(src, c.threshold.to_bits()))?;
        Some((self.cells + *k as usize) as u32)
    }

    fn len(&self) -> usize {
        self.cells + self.extra.len()
    }
}

/// Splits `net` into up to `threads` parts of consecutive cells with
/// about equal work; over `ranks.1` ranks, first into one run of cells
/// per rank (see `super::ranks::Share`), each then into up to `threads`
/// parts, of which only rank `ranks.0`'s are built. None when one thread
/// must be used, which includes every network with an artificial cell (a
/// cell with no sections): its spikes are found while events are
/// delivered, not at the threshold check the parts exchange.
#[allow(clippy::too_many_arguments)]
fn split(
    net: &Network,
    mut taken: Option<&mut Taken>,
    lib: &Mechanisms,
    threads: usize,
    ranks: (usize, usize),
    merge: bool,
    lifts: &super::lift::Lifts,
    mut link: Option<PerRank<'_>>,
) -> Result<Option<Simulation>, SimError> {
    if net.cells.iter().any(|c| c.sections.is_empty()) {
        return Ok(None);
    }
    let ncells = net.cells.len();
    let work = crate::net::partition::cell_work(net, taken.as_deref().map(|t| t.points.as_slice()));
    let blocks = match &link {
        Some(l) => l.starts.to_vec(),
        None => crate::net::partition::cut(&work, ranks.1),
    };
    if blocks.len() < ranks.1 || blocks.windows(2).any(|w| w[0] >= w[1]) {
        return Ok(None);
    }
    // Global parts: (first cell, rank). With `link`, another rank's cells
    // count as one part (their work is not known here, nor needed).
    let mut starts = Vec::new();
    let mut owner = Vec::new();
    for (r, &a) in blocks.iter().enumerate() {
        let b = blocks.get(r + 1).copied().unwrap_or(ncells);
        if link.is_some() && r != ranks.0 {
            starts.push(a);
            owner.push(r);
            continue;
        }
        let local = thread_work(net, taken.as_deref(), &work, a..b, merge);
        for s in crate::net::partition::cut(&local, threads) {
            starts.push(a + s);
            owner.push(r);
        }
    }
    let mut part_of = vec![0u32; ncells];
    for (p, &a) in starts.iter().enumerate() {
        let b = starts.get(p + 1).copied().unwrap_or(ncells);
        part_of[a..b].fill(p as u32);
    }
    let nparts = starts.len();
    if nparts < 2 {
        return Ok(None);
    }
    let connections: &Connections = match taken.as_deref() {
        Some(t) => &t.connections,
        None => &net.connections,
    };
    let mut detectors = Detectors::new(net, connections);
    if let Some(l) = link.as_mut() {
        // Every rank's connections are those onto its cells: the ranks
        // agree on the detectors (each rank's new ones in rank order, the
        // order of first appearance in the whole network's list).
        detectors = detectors.merged(l.comm);
    }
    let ndet = detectors.len();
    let mine: Vec<usize> = (0..nparts).filter(|&p| owner[p] == ranks.0).collect();
    // Per part of this rank: its trains (the network's, then one ghost
    // per detector of another part that feeds this one: its spikes arrive
    // by exchange), its ghosts and its number of connections.
    let mut locals: Vec<Local> = mine
        .iter()
        .map(|&p| Local {
            range: starts[p]..starts.get(p + 1).copied().unwrap_or(ncells),
            trains: net.trains.clone(),
            ghost_of: vec![NO_GHOST; ndet],
            ghosts: Vec::new(),
            count: 0,
        })
        .collect();
    // Part number → its index among this rank's parts.
    let mut index_of = vec![None; nparts];
    for (i, &p) in mine.iter().enumerate() {
        index_of[p] = Some(i);
    }
    let rank_of = |cell: usize| {
        part_of
            .get(cell)
            .and_then(|&p| owner.get(p as usize).copied())
    };
    // Over ranks: which detectors feed a cell of another rank.
    let mut leaves = if ranks.1 > 1 {
        vec![false; ndet]
    } else {
        Vec::new()
    };
    // One pass over the connections for every part of this rank; the
    // smallest delay between parts decides the exchange window.
    let mut min_delay = f64::INFINITY;
    for conn in connections.iter() {
        if let Source::Cell(src) = conn.source
            && part_of.get(src) != part_of.get(conn.target_cell)
        {
            min_delay = min_delay.min(conn.delay);
            if ranks.1 > 1
                && rank_of(src) != rank_of(conn.target_cell)
                && let Some(l) = detectors.of(&conn).and_then(|d| leaves.get_mut(d as usize))
            {
                *l = true;
            }
        }
        let Some(&Some(i)) = part_of
            .get(conn.target_cell)
            .and_then(|&p| index_of.get(p as usize))
        else {
            continue;
        };
        let local = &mut locals[i];
        local.count += 1;
        if let Source::Cell(src) = conn.source
            && !local.range.contains(&src)
        {
            let d = detectors.of(&conn).unwrap_or(0);
            if let Some(g) = local.ghost_of.get_mut(d as usize)
                && *g == NO_GHOST
            {
                local.trains.push(SpikeTrain {
                    gid: u64::MAX,
                    population: String::new(),
                    times: Vec::new(),
                });
                *g = (local.trains.len() - 1) as u32;
                local.ghosts.push((d, *g));
            }
        }
    }
    if let Some(l) = link.as_mut() {
        // ... and on the smallest delay between parts of any rank.
        for b in l.comm.all_gather(&min_delay.to_le_bytes()) {
            if let Some(d) = Reader(&b).f64() {
                min_delay = min_delay.min(d);
            }
        }
    }
    let dt = net.run.dt;
    let window = if min_delay.is_infinite() {
        usize::MAX
    } else {
        // A spike found at the start of a window's first step reaches
        // another part no earlier than min_delay later; t accumulates
        // rounding, hence the margin.
        let w = ((min_delay - 1e-9) / dt).floor();
        if w.is_nan() || w < 1.0 {
            return Ok(None);
        }
        w.min(1e9) as usize
    };
    if ranks.1 > 1
        && let Some(l) = link.as_mut()
    {
        // This rank knows which detectors of other ranks it needs;
        // every rank learns which of its own leave it.
        let mut bytes = Vec::new();
        for (d, _) in leaves.iter().enumerate().filter(|(_, x)| **x) {
            bytes.extend_from_slice(&(d as u32).to_le_bytes());
        }
        for b in l.comm.all_gather(&bytes) {
            let mut rd = Reader(&b);
            while let Some(d) = rd.u32() {
                if let Some(x) = leaves.get_mut(d as usize) {
                    *x = true;
                }
            }
        }
    }
    // A connection as its part numbers things: target and source cells
    // from the part's first, other parts' cells as their ghost trains.
    let localise = |local: &Local, conn: &mut Connection| {
        let start = local.range.start;
        conn.target_cell -= start;
        if let Source::Cell(src) = conn.source {
            if local.range.contains(&src) {
                conn.source = Source::Cell(src - start);
            } else {
                let d = detectors.of(conn).unwrap_or(0);
                let ghost = match local.ghost_of.get(d as usize) {
                    Some(&g) if g != NO_GHOST => g,
                    _ => 0,
                };
                conn.source = Source::Train(ghost as usize);
                conn.threshold = f64::NAN;
            }
        }
    };
    // Taken connections are moved into their parts' lists chunk by
    // chunk, each chunk freed once moved, on every thread: thread k takes
    // the k-th run of chunks and makes its piece of each part's list.
    // Other connections are given to each part one by one, without a list.
    // A rank of one part keeps the list as it is: its part localises
    // each connection as it reads it (no second list is made).
    let mut moved: Vec<Vec<Connections>> = Vec::new();
    let in_place = mine.len() == 1 && taken.is_some();
    if in_place && let Some(t) = taken.as_deref_mut() {
        moved = vec![vec![std::mem::take(&mut t.connections)]];
    } else if let Some(t) = taken.as_deref_mut() {
        let move_piece = |piece: Connections| -> Vec<Connections> {
            let mut out: Vec<Connections> = (0..mine.len()).map(|_| Connections::new()).collect();
            for chunk in piece.into_chunks() {
                for mut conn in chunk {
                    let p = part_of.get(conn.target_cell).copied().unwrap_or(0) as usize;
                    if let (Some(&Some(i)), true) =
                        (index_of.get(p), owner.get(p) == Some(&ranks.0))
                    {
                        localise(&locals[i], &mut conn);
                        out[i].push(conn);
                    }
                }
            }
            out
        };
        let pieces = std::mem::take(&mut t.connections).into_pieces(threads);
        let per_thread: Vec<Vec<Connections>> = if pieces.len() > 1 {
            std::thread::scope(|s| {
                let handles: Vec<_> = pieces
                    .into_iter()
                    .map(|piece| s.spawn(|| move_piece(piece)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| match h.join() {
                        Ok(out) => out,
                        Err(panic) => std::panic::resume_unwind(panic),
                    })
                    .collect()
            })
        } else {
            pieces.into_iter().map(move_piece).collect()
        };
        moved = (0..mine.len()).map(|_| Vec::new()).collect();
        for lists in per_thread {
            for (i, list) in lists.into_iter().enumerate() {
                moved[i].push(list);
            }
        }
    }
    crate::io::trace("split: connections moved to their parts");
    let mut records = vec![(usize::MAX, 0usize); net.records.len()];
    let mut importers: Vec<Vec<(u32, u32)>> = vec![Vec::new(); ndet];
    // What each part is built from, gathered in order; the parts are then
    // built at the same time, one per thread.
    let mut jobs = Vec::with_capacity(locals.len());
    for (index, local) in locals.iter().enumerate() {
        let (start, end) = (local.range.start, local.range.end);
        let mut sub_records = Vec::new();
        for (k, r) in net.records.iter().enumerate() {
            if (start..end).contains(&r.cell) {
                let mut local = r.clone();
                local.cell -= start;
                records[k] = (index, sub_records.len());
                sub_records.push(local);
            }
        }
        let extra: Vec<(usize, f64)> = detectors
            .extra
            .iter()
            .filter(|(src, _)| (start..end).contains(src))
            .map(|&(src, th)| (src - start, th))
            .collect();
        let points = taken.as_deref_mut().map(|t| {
            t.points
                .get_mut(start..end)
                .into_iter()
                .flatten()
                .map(std::mem::take)
                .collect()
        });
        let list = moved.get_mut(index).map(std::mem::take);
        jobs.push(PartJob {
            local,
            records: sub_records,
            extra,
            points,
            list,
        });
    }
    let build = |job: PartJob<'_>| -> Result<Part, SimError> {
        let local = job.local;
        let piece = super::Piece {
            cells: &net.cells[local.range.clone()],
            trains: &local.trains,
            records: &job.records,
            run: &net.run,
            merge,
            lifts,
            extra_detectors: &job.extra,
        };
        let mut part = match job.list {
            Some(list) if in_place => {
                let read = |mut conn: Connection| {
                    local.range.contains(&conn.target_cell).then(|| {
                        localise(local, &mut conn);
                        conn
                    })
                };
                let list = super::Mapped(list, read);
                Part::build(&piece, job.points, local.count, list, lib)?
            }
            Some(list) => Part::build(&piece, job.points, local.count, list, lib)?,
            None => {
                let each = net
                    .connections
                    .iter()
                    .filter(|conn| local.range.contains(&conn.target_cell))
                    .map(|mut conn| {
                        localise(local, &mut conn);
                        conn
                    });
                Part::build(&piece, job.points, local.count, super::Twice(each), lib)?
            }
        };
        part.localise(local.range.start, ncells, &detectors.extra);
        Ok(part)
    };
    let built: Vec<Result<Part, SimError>> = if jobs.len() > 1 && threads > 1 {
        std::thread::scope(|s| {
            let handles: Vec<_> = jobs
                .into_iter()
                .map(|job| s.spawn(|| BuiltPart(build(job))))
                .collect();
            handles
                .into_iter()
                .map(|h| match h.join() {
                    Ok(BuiltPart(part)) => part,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        })
    } else {
        jobs.into_iter().map(build).collect()
    };
    let mut parts = Vec::with_capacity(built.len());
    for (index, part) in built.into_iter().enumerate() {
        parts.push(part?);
        for &(d, ghost) in &locals[index].ghosts {
            if let Some(list) = importers.get_mut(d as usize) {
                list.push((index as u32, ghost));
            }
        }
    }
    for list in &mut importers {
        list.sort_unstable();
    }
    for part in &mut parts {
        part.mark_exports(&importers, &leaves);
    }
    let share = super::ranks::Share::split(ranks, &blocks, ncells);
    Ok(Some(Simulation {
        parts,
        records,
        window,
        importers,
        special: specialize::Report::default(),
        leaves,
        share,
    }))
}

/// What one part of this rank is built from.
struct PartJob<'a> {
    /// The part's cells, trains and ghosts.
    local: &'a Local,
    /// The records of its cells, numbered from its first cell.
    records: Vec<Record>,
    /// Its detectors that other parts listen to and none of its
    /// connections make: (cell in the part, threshold).
    extra: Vec<(usize, f64)>,
    /// Its cells' point processes, when taken out of the network.
    points: Option<Vec<Vec<PointProcess>>>,
    /// Its connections, when taken out of the network (one list per
    /// thread that moved them).
    list: Option<Vec<Connections>>,
}

/// A part built on a thread of its own, handed back to the thread that
/// runs the simulation.
struct BuiltPart(Result<Part, SimError>);

// SAFETY: a part owns all the data its kernels touch (the raw pointers of
// its argument blocks aim into its own columns and arrays); what it shares
// with other parts is immutable (`Arc`s of compiled mechanisms). Moving it
// whole to another thread leaves nothing behind that still points into it.
unsafe impl Send for BuiltPart {}

/// No ghost train in [`Local::ghost_of`].
const NO_GHOST: u32 = u32::MAX;

/// One part of this rank, before it is built.
struct Local {
    /// Its cells.
    range: std::ops::Range<usize>,
    /// Its spike trains: the network's, then its ghosts.
    trains: Vec<SpikeTrain>,
    /// Global detector → the ghost train its spikes arrive on
    /// ([`NO_GHOST`] for detectors of this part or feeding no cell of it).
    ghost_of: Vec<u32>,
    /// The (detector, ghost train) pairs of `ghost_of`, in the order the
    /// ghosts were made.
    ghosts: Vec<(u32, u32)>,
    /// Its connections.
    count: usize,
}

/// A rank's part of a network loaded per rank (see [`Simulation::build`]).
pub(super) struct PerRank<'a> {
    /// First cell of each rank.
    pub starts: &'a [usize],
    /// The ranks.
    pub comm: &'a mut dyn super::ranks::Transport,
}

/// The error of a network loaded per rank that cannot be split over the
/// ranks (the whole network would run on rank 0, which does not hold it).
fn not_split(why: &str) -> SimError {
    SimError::new(
        super::SimErrorKind::InvalidSettings,
        format!("the network cannot be split over ranks ({why}); load it whole on every rank"),
    )
}

/// What [`Simulation::from_network`] takes out of a network.
pub(crate) struct Taken {
    /// The connections.
    pub connections: Connections,
    /// Per cell, its point processes.
    pub points: Vec<Vec<PointProcess>>,
}

impl Taken {
    /// Takes `net`'s connections and point processes.
    pub fn from(net: &mut Network) -> Taken {
        Taken {
            connections: std::mem::take(&mut net.connections),
            points: net
                .cells
                .iter_mut()
                .map(|c| std::mem::take(&mut c.point_processes))
                .collect(),
        }
    }
}

/// Helpers on [`Part`] for running as one part of a network.
impl Part {
    /// Gives the detectors of a part whose first cell is network cell
    /// `start` their network-wide numbers (`ncells` cells, `extra` as
    /// [`global_detectors`] returns).
    fn localise(&mut self, start: usize, ncells: usize, extra: &[(usize, f64)]) {
        for d in &mut self.detectors {
            let cell = start + d.cell as usize;
            d.global = if d.gid.is_some() {
                cell as u32
            } else {
                extra
                    .iter()
                    .position(|&(s, th)| s == cell && th == d.threshold)
                    .map_or(u32::MAX, |k| (ncells + k) as u32)
            };
        }
    }

    /// Marks the detectors other parts listen to (of this rank, or of
    /// another rank: `leaves`).
    fn mark_exports(&mut self, importers: &[Vec<(u32, u32)>], leaves: &[bool]) {
        for d in &mut self.detectors {
            d.export = importers
                .get(d.global as usize)
                .is_some_and(|l| !l.is_empty())
                || leaves.get(d.global as usize) == Some(&true);
        }
    }

    /// Queues the events of a spike that global detector `global` of
    /// another part detected at the start of step `step` at time `t`, fed
    /// to this part through ghost train `ghost`.
    fn import(&mut self, step: u64, t: f64, global: u32, ghost: u32) -> Result<(), SimError> {
        let Some(train) = self.trains.get(ghost as usize) else {
            return Ok(());
        };
        let now = self.t();
        if train.groups.iter().any(|g| t + g.0 <= now) {
            return Err(SimError::new(
                super::SimErrorKind::Kernel,
                "a spike reached another thread too late (a bug in nmc)",
            ));
        }
        super::step::send(
            &mut self.queue,
            t,
            Some((step, global)),
            &train.groups,
            &self.fanouts,
        );
        Ok(())
    }
}
