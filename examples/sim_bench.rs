//! Engine speed: one RTM cell for 1 s at dt 0.025 ms (40,000 steps), and
//! 10,000 independent RTM cells, each under a 1 nA IClamp, for 100 ms at
//! dt 0.1 ms, on one thread and on every core.
//! `cargo run --release --example sim_bench [one|many] [exact|fast] [THREADS]`
//! (run time as wall time and as the calling thread's CPU time). Kernels
//! are specialised for each run, as `nmc run` does; `NMC_SPECIALIZE=0`
//! runs the library's plain kernels instead.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use nmc::back::math::MathMode;
use nmc::net::{
    Cell, Insert, Location, Network, PointProcess, Record, RunSettings, Section, Variable,
};
use nmc::sim::{Mechanisms, Simulation};

fn rtm_cell(gid: u64) -> Cell {
    let insert = |m: &str, g: f64| Insert {
        mechanism: m.into(),
        params: BTreeMap::from([("gbar".to_string(), g)]),
    };
    let soma = Section {
        mechanisms: vec![
            insert("leak", 1e-4),
            insert("na_rtm", 0.1),
            insert("k_rtm", 0.08),
        ],
        ion_values: BTreeMap::from([
            ("eleak".to_string(), -67.0),
            ("ena".to_string(), 50.0),
            ("ek".to_string(), -100.0),
        ]),
        ..Section::default()
    };
    let at = Location { section: 0, x: 0.5 };
    Cell {
        gid,
        population: "exc".into(),
        sections: vec![soma],
        point_processes: vec![PointProcess {
            mechanism: "IClamp".into(),
            location: at,
            params: BTreeMap::from([
                ("del".to_string(), 0.0),
                ("dur".to_string(), 1e9),
                ("amp".to_string(), 1.0),
            ])
            .into(),
        }],
        spike_site: at,
    }
}

fn network(cells: usize, tstop: f64, dt: f64) -> Network {
    Network {
        cells: (0..cells as u64).map(rtm_cell).collect(),
        run: RunSettings {
            tstart: 0.0,
            tstop,
            dt,
            celsius: 34.0,
            v_init: -75.0,
            spike_threshold: -15.0,
        },
        records: vec![Record {
            report: "v".into(),
            cell: 0,
            location: Location { section: 0, x: 0.5 },
            variable: Variable::Voltage,
        }],
        ..Network::default()
    }
}

/// CPU time this thread has run (s), from /proc/thread-self/schedstat, so
/// other processes competing for the cores do not inflate the figure.
fn thread_cpu() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns * 1e-9)
}

fn bench(
    lib: &Mechanisms,
    label: &str,
    (cells, threads): (usize, usize),
    tstop: f64,
    dt: f64,
    repeats: usize,
) {
    let net = network(cells, tstop, dt);
    let start = Instant::now();
    let mut sim = match Simulation::with_threads(&net, lib, threads) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{label}: {e}");
            return;
        }
    };
    let build = start.elapsed();
    let special = sim.specialization_time();
    let mut best = f64::INFINITY;
    let mut best_cpu = f64::INFINITY;
    let mut spikes = 0;
    for _ in 0..repeats {
        let start = Instant::now();
        let cpu = thread_cpu();
        let res = sim.run(&mut |_| {});
        best = best.min(start.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (cpu, thread_cpu()) {
            best_cpu = best_cpu.min(b - a);
        }
        spikes = res.spikes.len();
        if let Some(e) = res.error {
            eprintln!("{label}: {e}");
        }
    }
    let steps = (tstop / dt).round();
    let threads = sim.threads();
    println!(
        "{label}, {threads} thread(s): {cells} cells, {steps} steps: build {:.1} ms (specialised kernels {:.1} ms), run {:.2} ms wall, {:.2} ms on this thread's CPU (best of {repeats}), {:.1} ns per cell-step (CPU), {spikes} spikes",
        build.as_secs_f64() * 1e3,
        special.as_secs_f64() * 1e3,
        best * 1e3,
        best_cpu * 1e3,
        best_cpu * 1e9 / (steps * cells as f64),
    );
    // One line for scripts/bench to read.
    let mode = std::env::args().nth(2).unwrap_or_else(|| "exact".into());
    println!(
        "RESULT {} {mode} threads={threads} wall_s={best:.6} cpu_s={best_cpu:.6} spikes={spikes} specialise_s={:.6}",
        if cells == 1 { "one" } else { "many" },
        special.as_secs_f64(),
    );
}

fn main() {
    let start = Instant::now();
    // `sim_bench many fast` compiles the kernels with nmc's inline exp.
    let mode = match std::env::args().nth(2).as_deref() {
        Some("fast") => MathMode::Fast,
        _ => MathMode::Exact,
    };
    let lib = match nmc::driver::library::Library::open(&[Path::new("models").to_path_buf()])
        .map_err(|d| vec![d])
        .and_then(|l| l.all(mode))
    {
        Ok(l) => l,
        Err(d) => {
            eprintln!("models/ did not compile: {} errors", d.len());
            std::process::exit(1);
        }
    };
    println!(
        "compile models/ ({} mechanisms, {mode:?} math): {:.1} ms",
        lib.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    // `sim_bench one` or `sim_bench many` runs one of the two.
    let which = std::env::args().nth(1).unwrap_or_default();
    if which != "many" {
        bench(
            &lib,
            "one RTM cell, 1 s at dt 0.025",
            (1, 1),
            1000.0,
            0.025,
            5,
        );
    }
    if which != "one" {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads: usize = std::env::args()
            .nth(3)
            .and_then(|n| n.parse().ok())
            .unwrap_or(cores);
        for t in [1, threads] {
            bench(
                &lib,
                "10,000 RTM cells, 100 ms at dt 0.1",
                (10_000, t),
                100.0,
                0.1,
                3,
            );
        }
    }
}
