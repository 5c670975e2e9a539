//! The rank logic without MPI: threads of this process play the ranks
//! through an in-memory `Transport`, each loading the circuit and running
//! its share; rank 0's results must equal a one-process run bit for bit
//! (spikes and every recorded trace), at 2, 3 and 4 ranks, in exact and
//! default modes, with 1 and 2 threads per rank.

use nmc::driver::sonata::{self, Options};
use nmc::sim::{Results, SimOptions, Simulation, Transport};
use std::path::Path;
use std::sync::{Arc, Barrier, Mutex};

/// Ranks as threads: every collective puts each rank's bytes in its slot,
/// waits for all, reads, and waits again before slots are reused.
struct Local {
    rank: usize,
    slots: Arc<Mutex<Vec<Vec<u8>>>>,
    barrier: Arc<Barrier>,
}

impl Local {
    fn trade(&mut self, bytes: &[u8], read: bool) -> Vec<Vec<u8>> {
        self.slots.lock().unwrap()[self.rank] = bytes.to_vec();
        self.barrier.wait();
        let out = if read {
            self.slots.lock().unwrap().clone()
        } else {
            Vec::new()
        };
        self.barrier.wait();
        out
    }
}

impl Transport for Local {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.slots.lock().unwrap().len()
    }
    fn all_gather(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        self.trade(bytes, true)
    }
    fn gather(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let root = self.rank == 0;
        self.trade(bytes, root)
    }
}

fn load() -> sonata::Loaded {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let opts = Options {
        mechanisms: Some(root.join("models")),
        tstop: Some(200.0),
        ..Options::default()
    };
    let mut map = nmc::diag::SourceMap::new();
    let path = root.join("tests/sonata_bmtk/ballstick_net/simulation_config.json");
    sonata::load(&mut map, &path, &opts).expect("the ball-stick circuit loads")
}

fn plain(exact: bool) -> Results {
    let l = load();
    let mut sim = Simulation::with_threads(&l.network, &l.mechanisms, 1).expect("builds");
    sim.set_exact(exact);
    sim.run(&mut |_| {})
}

/// Rank 0's results of a run over `ranks` thread-ranks.
fn ranked(ranks: usize, threads: usize, exact: bool) -> Results {
    let slots = Arc::new(Mutex::new(vec![Vec::new(); ranks]));
    let barrier = Arc::new(Barrier::new(ranks));
    let handles: Vec<_> = (0..ranks)
        .map(|rank| {
            let mut comm = Local {
                rank,
                slots: slots.clone(),
                barrier: barrier.clone(),
            };
            std::thread::spawn(move || {
                let l = load();
                let options = SimOptions {
                    threads,
                    ..SimOptions::default()
                };
                let mut sim = Simulation::for_ranks(&l.network, &l.mechanisms, options, &mut comm)
                    .expect("builds");
                sim.set_exact(exact);
                assert!(!sim.share().solo_run(), "the circuit is split");
                sim.run_ranks(&mut |_| {}, &mut comm).0
            })
        })
        .collect();
    let mut all: Vec<Results> = handles
        .into_iter()
        .map(|h| h.join().expect("rank"))
        .collect();
    all.swap_remove(0)
}

fn bits(r: &Results) -> (Vec<(u64, u64)>, Vec<Vec<u64>>) {
    (
        r.spikes.iter().map(|&(g, t)| (g, t.to_bits())).collect(),
        r.traces
            .iter()
            .map(|t| t.iter().map(|v| v.to_bits()).collect())
            .collect(),
    )
}

#[test]
fn ranks_give_one_process_bits() {
    for exact in [true, false] {
        let want = plain(exact);
        assert!(want.error.is_none());
        assert!(want.spikes.len() > 5, "the circuit spikes");
        assert!(!want.traces.is_empty(), "the circuit records");
        for ranks in 2..=4 {
            for threads in [1, 2] {
                let got = ranked(ranks, threads, exact);
                assert!(got.error.is_none(), "{:?}", got.error);
                assert!(
                    bits(&got) == bits(&want),
                    "{ranks} ranks x {threads} threads (exact: {exact}) differ from one process"
                );
                assert_eq!(got.times.len(), want.times.len());
            }
        }
    }
}
