//! `nmc run simulation_config.json`: load a SONATA circuit as BMTK built
//! it, simulate, write `spikes.h5` the way BMTK does and print a table of
//! per-population rates.

use super::{EXIT_ERRORS, EXIT_OK};
use crate::diag::{self, SourceMap};
use crate::sim::Simulation;
use crate::sonata::build::{self, Options};
use crate::sonata::spikes;
use std::path::Path;
use std::time::Instant;

/// Runs the SONATA simulation config `file`; `exact` integrates every
/// synapse instance on its own (see [`Simulation::set_exact`]).
pub fn run(
    file: &Path,
    opts: &Options,
    out_dir: Option<&Path>,
    quiet: bool,
    exact: bool,
    color: bool,
) -> i32 {
    let t0 = Instant::now();
    let mut map = SourceMap::new();
    let loaded = match build::load(&mut map, file, opts) {
        Ok(l) => l,
        Err(diags) => {
            eprint!("{}", diag::render_human(&map, &diags, color));
            eprintln!("{}", diag::summary_line("loaded", 1, &diags));
            return EXIT_ERRORS;
        }
    };
    if !loaded.warnings.is_empty() {
        eprint!("{}", diag::render_human(&map, &loaded.warnings, color));
    }
    let mut sim = match Simulation::new(&loaded.network, &loaded.library) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: the network cannot be simulated: {e}");
            return EXIT_ERRORS;
        }
    };
    sim.set_exact(exact);
    let load_time = t0.elapsed();
    let t1 = Instant::now();
    let results = sim.run(&mut |_| {});
    let sim_time = t1.elapsed();
    if let Some(e) = &results.error {
        eprintln!("error: the run stopped early: {e}");
    }
    let dir = out_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| loaded.config.output_dir.clone());
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("error: cannot create {}: {e}", dir.display());
        return EXIT_ERRORS;
    }
    let out = dir.join(&loaded.config.spikes_file);
    if let Err(e) = spikes::write(&out, &loaded.spikes_by_population(&results)) {
        eprintln!("error: {e}");
        return EXIT_ERRORS;
    }
    if !quiet {
        let run = &loaded.network.run;
        println!(
            "ran {}: {} cells, {} connections, {} ms in steps of {} ms; load {:.2} s, simulate {:.2} s",
            file.display(),
            loaded.network.cells.len(),
            loaded.network.connections.len(),
            crate::units::format_number(run.tstop - run.tstart),
            crate::units::format_number(run.dt),
            load_time.as_secs_f64(),
            sim_time.as_secs_f64()
        );
        for (name, n, leaders) in sim.aggregation() {
            println!(
                "  {name}: {n} instances integrated as {leaders} (linear aggregation; --exact for one by one)"
            );
        }
        println!(
            "  {:<16} {:>6} {:>8} {:>9}",
            "population", "cells", "spikes", "rate"
        );
        for (name, n, s, rate) in loaded.rates(&results) {
            println!("  {name:<16} {n:>6} {s:>8} {rate:>6.2} Hz");
        }
        println!("wrote {}", out.display());
    }
    if results.error.is_some() {
        EXIT_ERRORS
    } else {
        EXIT_OK
    }
}
