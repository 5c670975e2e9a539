//! [`super::ranks::Transport`] over MPI (feature `mpi`): the system's MPI
//! library through the `mpi` crate, started only when the process was
//! launched by an MPI launcher (`mpirun`, `mpiexec`, `srun`).

use mpi::datatype::PartitionMut;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

use super::ranks::Transport;

/// Variables MPI launchers set in every process they start (Open MPI,
/// MPICH's and Intel MPI's Hydra, PMI-1/2 and PMIx as Slurm's `srun`
/// sets them).
const LAUNCHER_VARIABLES: [&str; 5] = [
    "OMPI_COMM_WORLD_SIZE",
    "PMI_SIZE",
    "PMI_RANK",
    "PMIX_RANK",
    "MPI_LOCALNRANKS",
];

/// Bytes of a rank's message that [`World::all_gather_short`] moves in
/// its first round: a window's stop flag and up to 51 spikes.
const SHORT: usize = 1024;

/// Open MPI's setting that makes a rank waiting in a collective give its
/// core away (`sched_yield`) between polls instead of spinning: a rank
/// that waits at a window's end for a rank the system has paused would
/// otherwise keep a core from it (on a machine shared with other work,
/// or with more ranks than cores); on an idle core the yield returns at
/// once. Set unless the user set it (other MPIs ignore it).
const YIELD: &str = "OMPI_MCA_mpi_yield_when_idle";

/// MPI's world of a run over several ranks.
pub struct World {
    /// Finalizes MPI when dropped.
    _universe: mpi::environment::Universe,
    world: SimpleCommunicator,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("rank", &self.rank())
            .field("size", &self.size())
            .finish()
    }
}

/// MPI's world when this process is one of at least two started by an
/// MPI launcher; None otherwise (MPI is then not started at all, or
/// finalized again for a world of one), so a plain `nmc run` is the
/// ordinary one-process run. Only the thread that calls this uses MPI.
pub fn init() -> Option<World> {
    if !LAUNCHER_VARIABLES
        .iter()
        .any(|v| std::env::var_os(v).is_some())
    {
        return None;
    }
    if std::env::var_os(YIELD).is_none() {
        // SAFETY: called before this process starts any other thread
        // (the run's threads come later), so nothing reads the
        // environment while it changes.
        unsafe { std::env::set_var(YIELD, "1") };
    }
    let (universe, _) = mpi::initialize_with_threading(mpi::Threading::Funneled)?;
    let world = universe.world();
    if world.size() < 2 {
        return None;
    }
    Some(World {
        _universe: universe,
        world,
    })
}

impl World {
    /// Bytes per rank and call: MPI counts are 32-bit, and the whole
    /// receive buffer of one call is indexed by 32-bit displacements.
    fn chunk(&self) -> u64 {
        (i32::MAX as u64 / self.size() as u64).max(1)
    }

    /// Every rank's length of `bytes` (on every rank).
    fn lengths(&self, bytes: &[u8]) -> Vec<u64> {
        let mut lens = vec![0u64; self.size()];
        self.world
            .all_gather_into(&(bytes.len() as u64), &mut lens[..]);
        lens
    }

    /// The counts and displacements of one call: the `offset`th bytes of
    /// each rank, up to a chunk.
    fn round(&self, lens: &[u64], offset: u64) -> (Vec<i32>, Vec<i32>) {
        let chunk = self.chunk();
        let counts: Vec<i32> = lens
            .iter()
            .map(|&l| l.saturating_sub(offset).min(chunk) as i32)
            .collect();
        let displs = counts
            .iter()
            .scan(0i32, |acc, &c| {
                let d = *acc;
                *acc += c;
                Some(d)
            })
            .collect();
        (counts, displs)
    }
}

/// Appends each rank's received piece of one call to its bytes.
fn split_into(out: &mut [Vec<u8>], buf: &[u8], counts: &[i32]) {
    let mut at = 0usize;
    for (o, &c) in out.iter_mut().zip(counts) {
        let end = at + c as usize;
        o.extend_from_slice(buf.get(at..end).unwrap_or_default());
        at = end;
    }
}

impl Transport for World {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn all_gather(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let lens = self.lengths(bytes);
        let mut out: Vec<Vec<u8>> = lens
            .iter()
            .map(|&l| Vec::with_capacity(l as usize))
            .collect();
        let longest = lens.iter().copied().max().unwrap_or(0);
        let me = self.rank();
        let mut offset = 0u64;
        // MPI refuses a call with nothing to move.
        while offset < longest {
            let (counts, displs) = self.round(&lens, offset);
            let total: usize = counts.iter().map(|&c| c as usize).sum();
            let mut buf = vec![0u8; total];
            let from = (offset as usize).min(bytes.len());
            let send = &bytes[from..from + counts[me] as usize];
            {
                let mut part = PartitionMut::new(&mut buf[..], counts.clone(), displs);
                self.world.all_gather_varcount_into(send, &mut part);
            }
            split_into(&mut out, &buf, &counts);
            offset += self.chunk();
        }
        out
    }

    /// One `MPI_Allgather` of a fixed slot per rank (its length, then up
    /// to [`SHORT`] bytes) instead of the lengths' and the bytes' two;
    /// the bytes beyond the slot of any rank follow in an
    /// [`Transport::all_gather`] (every rank sees the lengths, so all
    /// take part).
    fn all_gather_short(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let slot = 4 + SHORT;
        let mut send = vec![0u8; slot];
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        send[..4].copy_from_slice(&len.to_le_bytes());
        let head = bytes.len().min(SHORT);
        send[4..4 + head].copy_from_slice(&bytes[..head]);
        let mut recv = vec![0u8; slot * self.size()];
        self.world.all_gather_into(&send[..], &mut recv[..]);
        let mut out = Vec::with_capacity(self.size());
        let mut longer = false;
        for piece in recv.chunks_exact(slot) {
            let n = u32::from_le_bytes([piece[0], piece[1], piece[2], piece[3]]) as usize;
            longer |= n > SHORT;
            out.push(piece[4..4 + n.min(SHORT)].to_vec());
        }
        if longer {
            let rest = self.all_gather(&bytes[head..]);
            for (o, r) in out.iter_mut().zip(rest) {
                o.extend_from_slice(&r);
            }
        }
        out
    }

    fn gather(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let lens = self.lengths(bytes);
        let longest = lens.iter().copied().max().unwrap_or(0);
        let me = self.rank();
        let root = self.world.process_at_rank(0);
        let mut out: Vec<Vec<u8>> = if me == 0 {
            lens.iter()
                .map(|&l| Vec::with_capacity(l as usize))
                .collect()
        } else {
            Vec::new()
        };
        let mut offset = 0u64;
        while offset < longest {
            let (counts, displs) = self.round(&lens, offset);
            let from = (offset as usize).min(bytes.len());
            let send = &bytes[from..from + counts[me] as usize];
            if me == 0 {
                let total: usize = counts.iter().map(|&c| c as usize).sum();
                let mut buf = vec![0u8; total];
                {
                    let mut part = PartitionMut::new(&mut buf[..], counts.clone(), displs);
                    root.gather_varcount_into_root(send, &mut part);
                }
                split_into(&mut out, &buf, &counts);
            } else {
                root.gather_varcount_into(send);
            }
            offset += self.chunk();
        }
        out
    }
}
