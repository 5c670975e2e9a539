//! Runs over several processes ("ranks"), with the same results bit for
//! bit as one process.
//!
//! The network's cells are cut into one run of consecutive cells per rank
//! with about equal work (compartments times mechanisms, plus synapses:
//! `net::partition::cell_work`), each run then into the rank's thread parts; the
//! cut depends on the network alone, so every rank computes the same one.
//! A rank builds only its own parts. A loader may give each rank only the
//! connections and point processes onto its cells, with the cut
//! ([`crate::net::partition::rank_starts`], from each cell's incoming connection count) made
//! before: [`Simulation::for_ranks_from`] then trades, while building,
//! what the ranks must agree on. Windows end with a trade through a
//! [`Transport`]: every rank's spikes of the window that feed cells of
//! other ranks (step, time, global detector), and whether it stops. A rank
//! queues a received spike through its ghost trains exactly as the thread
//! exchange does, with the spike's creation stamp, so delivery order is
//! the one-process order. At the end rank 0 gathers every rank's spikes
//! and traces and merges them in network order.
//!
//! Networks the threads would run on one thread (an artificial cell, a
//! random mechanism, a delay between parts shorter than a step, fewer
//! cells than ranks) run whole on rank 0; the other ranks wait.

use std::time::{Duration, Instant};

use super::{Mechanisms, Results, SimError, SimErrorKind, SimOptions, Simulation};
use crate::net::Network;

/// Moves bytes between the ranks of a run: every rank calls each method
/// at the same point of the run, in the same order.
pub trait Transport {
    /// This process's rank, 0 ..= [`Transport::size`] - 1.
    fn rank(&self) -> usize;
    /// Number of ranks.
    fn size(&self) -> usize;
    /// Every rank's `bytes`, in rank order, on every rank.
    fn all_gather(&mut self, bytes: &[u8]) -> Vec<Vec<u8>>;
    /// Every rank's `bytes`, in rank order, on rank 0 (empty elsewhere).
    fn gather(&mut self, bytes: &[u8]) -> Vec<Vec<u8>>;
    /// [`Transport::all_gather`] of the few bytes of a window's trade:
    /// a transport may move short messages in one round instead of two.
    fn all_gather_short(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        self.all_gather(bytes)
    }
}

/// A process's share of a run over ranks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Share {
    /// This process's rank.
    pub rank: usize,
    /// Cells simulated by each rank.
    pub cells: Vec<usize>,
}

impl Share {
    /// Rank 0 runs all `ncells` cells (one rank: an ordinary run).
    pub(super) fn solo(ranks: (usize, usize), ncells: usize) -> Share {
        let mut cells = vec![0; ranks.1.max(1)];
        cells[0] = ncells;
        Share {
            rank: ranks.0,
            cells,
        }
    }

    /// Rank r runs the cells from `blocks[r]` to the next block's start.
    pub(super) fn split(ranks: (usize, usize), blocks: &[usize], ncells: usize) -> Share {
        let cells = (0..blocks.len())
            .map(|r| blocks.get(r + 1).copied().unwrap_or(ncells) - blocks[r])
            .collect();
        Share {
            rank: ranks.0,
            cells,
        }
    }

    /// True when rank 0 runs the whole network alone.
    pub fn solo_run(&self) -> bool {
        self.cells.iter().skip(1).all(|&c| c == 0)
    }
}

/// What the trades of a run cost this rank.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Traffic {
    /// Time in the window trades (waiting for other ranks included).
    pub exchange: Duration,
    /// Trades done.
    pub windows: u64,
    /// Spikes this rank sent.
    pub sent: u64,
    /// Spikes this rank received from the others.
    pub received: u64,
    /// Connections this rank built (those onto its cells).
    pub connections: u64,
}

impl Simulation {
    /// Builds the parts of rank `comm.rank()` of a run of `net` over
    /// `comm.size()` ranks; every rank must call it. An error on any rank
    /// is every rank's error (the first in rank order), so all stop
    /// together.
    pub fn for_ranks(
        net: &Network,
        lib: &Mechanisms,
        options: SimOptions,
        comm: &mut dyn Transport,
    ) -> Result<Simulation, SimError> {
        let built = Simulation::for_rank(net, lib, options, (comm.rank(), comm.size()));
        agree_on(built, comm)
    }

    /// [`Simulation::for_ranks`] that takes `net`'s connections and point
    /// processes and frees them as the engine's tables are built (see
    /// [`Simulation::from_network`]). With `starts` (the first cell of
    /// each rank, as [`crate::net::partition::rank_starts`] gives), `net` holds only the
    /// connections and point processes onto this rank's cells (every cell
    /// with its sections, every train and record), as a loader reading
    /// one rank's share makes it: the ranks trade what they must agree on
    /// (the detectors, the smallest delay between parts, which detectors
    /// leave a rank) while building. Such a network that cannot be split
    /// over the ranks is an error (rank 0 does not hold it whole).
    pub fn for_ranks_from(
        net: &mut Network,
        lib: &Mechanisms,
        options: SimOptions,
        starts: Option<&[usize]>,
        comm: &mut dyn Transport,
    ) -> Result<Simulation, SimError> {
        let ranks = (comm.rank(), comm.size());
        let taken = super::threads::Taken::from(net);
        let built = match starts {
            Some(starts) => {
                let link = super::threads::PerRank { starts, comm };
                Simulation::build(net, Some(taken), lib, options, ranks, Some(link))
            }
            None => Simulation::build(net, Some(taken), lib, options, ranks, None),
        };
        agree_on(built, comm)
    }
}

/// Every rank's build outcome: the first error in rank order, if any.
fn agree_on(
    built: Result<Simulation, SimError>,
    comm: &mut dyn Transport,
) -> Result<Simulation, SimError> {
    let mine = match &built {
        Ok(_) => Vec::new(),
        Err(e) => encode_error(e),
    };
    let first = comm
        .all_gather(&mine)
        .iter()
        .find(|b| !b.is_empty())
        .and_then(|b| decode_error(&mut Reader(b)));
    match first {
        Some(e) => Err(e),
        None => built,
    }
}

impl Simulation {
    /// This process's share of the run.
    pub fn share(&self) -> &Share {
        &self.share
    }

    /// Runs this rank's parts as [`Simulation::run`] does, trading spikes
    /// with the other ranks after every window; every rank must call it.
    /// Rank 0 gets the whole network's results (in one-process order)
    /// and every rank's traffic; the other ranks get results without
    /// spikes or traces, with an error when any rank stopped on one, and
    /// their own traffic.
    pub fn run_ranks(
        &mut self,
        progress: &mut dyn FnMut(f64),
        comm: &mut dyn Transport,
    ) -> (Results, Vec<Traffic>) {
        let mut traffic = Traffic::default();
        let results = if self.share.solo_run() {
            if comm.rank() == 0 {
                self.run(progress)
            } else {
                Results::default()
            }
        } else {
            let mut link = |out: &[(u64, f64, u32)], stop: bool| {
                let t0 = Instant::now();
                let mut bytes = Vec::with_capacity(1 + out.len() * 20);
                bytes.push(u8::from(stop));
                for &(step, t, d) in out {
                    bytes.extend_from_slice(&step.to_le_bytes());
                    bytes.extend_from_slice(&t.to_le_bytes());
                    bytes.extend_from_slice(&d.to_le_bytes());
                }
                let all = comm.all_gather_short(&bytes);
                let mut any = stop;
                let mut arrived = Vec::new();
                for (r, b) in all.iter().enumerate() {
                    let mut rd = Reader(b);
                    any |= rd.u8().is_some_and(|s| s != 0);
                    if r == comm.rank() {
                        continue;
                    }
                    while let (Some(step), Some(t), Some(d)) = (rd.u64(), rd.f64(), rd.u32()) {
                        arrived.push((step, t, d));
                    }
                }
                traffic.windows += 1;
                traffic.sent += out.len() as u64;
                traffic.received += arrived.len() as u64;
                traffic.exchange += t0.elapsed();
                (arrived, any)
            };
            self.run_linked(
                &mut |t| {
                    progress(t);
                    true
                },
                Some(&mut link),
            )
        };
        let results = self.gather(results, comm);
        let mut bytes = Vec::new();
        put_u64(&mut bytes, traffic.windows);
        put_u64(&mut bytes, traffic.sent);
        put_u64(&mut bytes, traffic.received);
        put_u64(&mut bytes, traffic.exchange.as_nanos() as u64);
        traffic.connections = self.connection_count() as u64;
        put_u64(&mut bytes, traffic.connections);
        let all = comm.gather(&bytes);
        let every = if comm.rank() == 0 {
            all.iter()
                .map(|b| {
                    let mut rd = Reader(b);
                    Traffic {
                        windows: rd.u64().unwrap_or(0),
                        sent: rd.u64().unwrap_or(0),
                        received: rd.u64().unwrap_or(0),
                        exchange: Duration::from_nanos(rd.u64().unwrap_or(0)),
                        connections: rd.u64().unwrap_or(0),
                    }
                })
                .collect()
        } else {
            vec![traffic]
        };
        (results, every)
    }

    /// Rank 0: every rank's spikes, traces and first error merged in
    /// network order. Other ranks: their own results less spikes and
    /// traces, with the first error of any rank.
    fn gather(&self, mut results: Results, comm: &mut dyn Transport) -> Results {
        let mut bytes = Vec::new();
        put_u64(&mut bytes, results.spikes.len() as u64);
        for &(gid, t) in &results.spikes {
            put_u64(&mut bytes, gid);
            bytes.extend_from_slice(&t.to_le_bytes());
        }
        let owned: Vec<usize> = (0..self.records.len())
            .filter(|&k| self.records[k].0 != usize::MAX)
            .collect();
        put_u64(&mut bytes, owned.len() as u64);
        for &k in &owned {
            let trace = results.traces.get(k).map_or(&[][..], Vec::as_slice);
            put_u64(&mut bytes, k as u64);
            put_u64(&mut bytes, trace.len() as u64);
            for v in trace {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
        if let Some(e) = &results.error {
            bytes.extend_from_slice(&encode_error(e));
        }
        let all = comm.gather(&bytes);
        // Every rank learns whether one stopped on an error.
        let failed = u8::from(results.error.is_some());
        let flags = comm.all_gather(&[failed]);
        if comm.rank() != 0 {
            if results.error.is_none() && flags.iter().any(|f| f.first() == Some(&1)) {
                results.error = Some(SimError::new(
                    SimErrorKind::Kernel,
                    "another rank stopped on an error",
                ));
            }
            results.spikes.clear();
            results.traces.clear();
            return results;
        }
        let mut out = Results {
            times: std::mem::take(&mut results.times),
            traces: vec![Vec::new(); self.records.len()],
            spikes: Vec::new(),
            error: None,
        };
        for b in &all {
            let mut rd = Reader(b);
            let n = rd.u64().unwrap_or(0);
            for _ in 0..n {
                if let (Some(gid), Some(t)) = (rd.u64(), rd.f64()) {
                    out.spikes.push((gid, t));
                }
            }
            let n = rd.u64().unwrap_or(0);
            for _ in 0..n {
                let (Some(k), Some(len)) = (rd.u64(), rd.u64()) else {
                    break;
                };
                let trace: Vec<f64> = (0..len).map_while(|_| rd.f64()).collect();
                if let Some(slot) = out.traces.get_mut(k as usize) {
                    *slot = trace;
                }
            }
            if out.error.is_none() {
                out.error = decode_error(&mut rd);
            }
        }
        // Ranks hold consecutive runs of cells: within one time, rank
        // order is cell order, the order of one process's checks.
        out.spikes.sort_by(|a, b| a.1.total_cmp(&b.1));
        out
    }
}

impl Simulation {
    /// [`Simulation::aggregation`] summed over every rank, sorted by
    /// name; every rank must call it (after the run).
    pub fn aggregation_ranks(&self, comm: &mut dyn Transport) -> Vec<(String, usize, usize)> {
        let mut bytes = Vec::new();
        for (name, n, leaders) in self.aggregation() {
            put_u64(&mut bytes, name.len() as u64);
            bytes.extend_from_slice(name.as_bytes());
            put_u64(&mut bytes, n as u64);
            put_u64(&mut bytes, leaders as u64);
        }
        let mut sum: Vec<(String, usize, usize)> = Vec::new();
        for b in comm.all_gather(&bytes) {
            let mut rd = Reader(&b);
            while let Some(len) = rd.u64() {
                let Some((name, rest)) = rd.0.split_at_checked(len as usize) else {
                    break;
                };
                let name = String::from_utf8_lossy(name).into_owned();
                rd.0 = rest;
                let (Some(n), Some(l)) = (rd.u64(), rd.u64()) else {
                    break;
                };
                match sum.iter_mut().find(|s| s.0 == name) {
                    Some(s) => {
                        s.1 += n as usize;
                        s.2 += l as usize;
                    }
                    None => sum.push((name, n as usize, l as usize)),
                }
            }
        }
        sum.sort();
        sum
    }
}

/// Reads little-endian numbers off the front of a byte slice.
pub(super) struct Reader<'a>(pub(super) &'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_at_checked(N)?;
        self.0 = rest;
        head.try_into().ok()
    }
    fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|b| b[0])
    }
    pub(super) fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
    pub(super) fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
    pub(super) fn f64(&mut self) -> Option<f64> {
        self.take().map(f64::from_le_bytes)
    }
}

fn put_u64(bytes: &mut Vec<u8>, v: u64) {
    bytes.extend_from_slice(&v.to_le_bytes());
}

/// Every error kind, in a fixed order (its code in messages between ranks).
const KINDS: [SimErrorKind; 10] = [
    SimErrorKind::UnknownMechanism,
    SimErrorKind::UnknownParameter,
    SimErrorKind::UnknownVariable,
    SimErrorKind::InvalidLocation,
    SimErrorKind::InvalidConnection,
    SimErrorKind::InvalidSettings,
    SimErrorKind::InvalidNetwork,
    SimErrorKind::Kernel,
    SimErrorKind::NumericalFault,
    SimErrorKind::Interrupted,
];

/// An error as bytes: kind code, then the message.
fn encode_error(e: &SimError) -> Vec<u8> {
    let mut b = vec![KINDS.iter().position(|&k| k == e.kind).unwrap_or(7) as u8];
    b.extend_from_slice(e.message.as_bytes());
    b
}

/// The error [`encode_error`] wrote (None when nothing is left).
fn decode_error(rd: &mut Reader<'_>) -> Option<SimError> {
    let kind = KINDS.get(rd.u8()? as usize).copied()?;
    let message = String::from_utf8_lossy(rd.0).into_owned();
    rd.0 = &[];
    Some(SimError::new(kind, message))
}

/// A [`Transport`] for one process (every collective returns its input):
/// for tests and for runs without a launcher.
#[derive(Clone, Copy, Debug, Default)]
pub struct Alone;

impl Transport for Alone {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn all_gather(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        vec![bytes.to_vec()]
    }
    fn gather(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        vec![bytes.to_vec()]
    }
}
