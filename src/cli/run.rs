//! `nmc run NET.ndl`: check the experiment, compile the mechanisms it
//! uses, simulate, write the SONATA reports and spike file, print a summary.

use super::{EXIT_ERRORS, EXIT_OK};
use crate::diag::{self, SourceMap};
use crate::front::ndl::Experiment;
use crate::sim::{Results, SimOptions, Simulation, Traffic, Transport};
use crate::sonata::{report, spikes};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs the experiment in `file`; `out_dir` overrides the file's output
/// folder; `quiet` turns the progress bar and summary off; `exact`
/// integrates every synapse instance on its own (see
/// [`Simulation::set_exact`]), `threads` bounds the threads used;
/// `math` is how the kernels compute `exp`; `analyze` analyzes the spike
/// file into the output folder afterwards. With `comm`, this process is
/// one rank of a run over ranks: every rank loads and checks the file,
/// runs its share of the cells, and rank 0 writes the outputs.
#[allow(clippy::too_many_arguments)]
pub fn run(
    file: &Path,
    out_dir: Option<&Path>,
    quiet: bool,
    (exact, threads): (bool, usize),
    color: bool,
    math: crate::back::math::MathMode,
    analyze: bool,
    mut comm: Option<&mut dyn Transport>,
) -> i32 {
    let writer = comm.as_ref().is_none_or(|c| c.rank() == 0);
    let quiet = quiet || !writer;
    let mut map = SourceMap::new();
    // Over ranks, each rank builds only the connections onto its cells.
    let ranks = comm.as_ref().map_or((0, 1), |c| (c.rank(), c.size()));
    let (checked, library) = {
        let mut gather = |b: &[u8]| match comm.as_deref_mut() {
            Some(c) => c.all_gather(b),
            None => vec![b.to_vec()],
        };
        let share = crate::front::ndl::lower::Share {
            rank: ranks.0,
            ranks: ranks.1,
            threads: threads.max(1),
            all_gather: Some(&mut gather),
        };
        crate::driver::ndl::check_file_share(&mut map, file, share)
    };
    crate::io::release_free_memory();
    crate::io::trace("ndl: checked");
    let mut shown = diag::render_human(&map, &checked.diagnostics, color);
    let mut counts = diag::counts(&checked.diagnostics);
    let mut failed = checked.experiment.is_none();
    if let Some(c) = comm.as_deref_mut() {
        // A rank draws only the connections onto its cells, so a problem
        // in one of them (a formula that fails for a pair) is found by
        // that rank alone: every rank stops, and the first rank that
        // failed has its diagnostics printed (once, by the writer).
        let mine = [
            &[u8::from(failed)],
            counts.as_bytes(),
            &[0],
            shown.as_bytes(),
        ]
        .concat();
        let all = c.all_gather(&mine);
        if let Some(first) = all.iter().find(|b| b.first() == Some(&1)) {
            failed = true;
            let text = String::from_utf8_lossy(&first[1..]).into_owned();
            let (c, s) = text.split_once('\0').unwrap_or(("", &text));
            (counts, shown) = (c.to_string(), s.to_string());
        }
    }
    if !shown.is_empty() {
        err!("{shown}");
    }
    let (Some(mut exp), false) = (checked.experiment, failed) else {
        errln!("error: {} was not run ({counts})", file.display());
        return EXIT_ERRORS;
    };
    let lib = match library.for_network(&exp.network, math) {
        Ok(lib) => lib,
        Err(diags) => {
            let diags = map.import(&library.source_map(), &diags);
            err!("{}", diag::render_human(&map, &diags, color));
            errln!("error: the network's mechanisms cannot be used");
            return EXIT_ERRORS;
        }
    };
    crate::io::trace("mechanisms compiled");
    // A one-shot run: linear synapses merged while building unless exact.
    let options = SimOptions {
        threads,
        exact,
        merge_synapses: true,
        ..SimOptions::default()
    };
    let mut synapses = exp.network.connections.len();
    let share = exp.rank_starts.take();
    let mut partial = share.is_some();
    // The engine frees the network's synapses as it takes them over.
    let built = match comm.as_deref_mut() {
        Some(c) => {
            let built =
                Simulation::for_ranks_from(&mut exp.network, &lib, options, share.as_deref(), c);
            match built {
                // A network the ranks cannot split runs whole on rank 0:
                // every rank loads it whole (all ranks get here together).
                Err(_) if share.is_some() => {
                    let mut whole_map = SourceMap::new();
                    let (checked, _) = crate::driver::ndl::check_file(&mut whole_map, file);
                    match checked.experiment {
                        Some(whole) => {
                            exp = whole;
                            synapses = exp.network.connections.len();
                            partial = false;
                            Simulation::for_ranks_from(&mut exp.network, &lib, options, None, c)
                        }
                        None => built,
                    }
                }
                built => built,
            }
        }
        None => Simulation::from_network(&mut exp.network, &lib, options),
    };
    crate::io::trace("simulation built");
    let mut sim = match built {
        Ok(s) => s,
        Err(e) => {
            errln!("error[E1801]: the network cannot be simulated: {e}");
            return EXIT_ERRORS;
        }
    };
    let dir = out_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| exp.output.dir.clone());
    // The previous run's outputs go first: a run that fails or is killed
    // leaves no file that looks like its own.
    let mut outputs: Vec<std::path::PathBuf> = exp
        .output
        .reports
        .iter()
        .map(|r| dir.join(format!("{}.h5", r.name)))
        .collect();
    outputs.extend(exp.output.spikes.iter().map(|s| dir.join(s)));
    let outputs: Vec<&Path> = outputs.iter().map(|p| p.as_path()).collect();
    // Rank 0 alone writes the outputs; every rank learns whether it can.
    if !super::clear_old_outputs(
        &outputs,
        writer,
        comm.as_mut().map(|c| &mut **c as &mut dyn Transport),
    ) {
        return EXIT_ERRORS;
    }
    let start = Instant::now();
    let run = &exp.network.run;
    let (results, traffic) =
        super::progress::simulate(&mut sim, run.tstart, run.tstop, quiet, comm, None);
    crate::io::trace("simulated");
    let wall = start.elapsed();
    if let Some(e) = &results.error {
        // Outputs that stop at the fault would look like a whole run's:
        // none is written (the previous run's were removed above).
        errln!("error[E1802]: the run stopped early: {e}; no outputs were written");
        return EXIT_ERRORS;
    }
    if !writer {
        return if results.error.is_some() {
            EXIT_ERRORS
        } else {
            EXIT_OK
        };
    }
    if let Err(e) = write_outputs(&dir, &exp, &results) {
        errln!("error: {e}");
        return EXIT_ERRORS;
    }
    if partial {
        // Each rank held the connections onto its cells.
        synapses = traffic.iter().map(|t| t.connections as usize).sum();
    }
    if !quiet {
        print_summary(&exp, &results, wall, &dir, synapses);
        if !traffic.is_empty() {
            outln!("{}", ranks_line(sim.share(), &traffic));
        }
    }
    if analyze {
        let Some(name) = &exp.output.spikes else {
            errln!("error: --analyze needs a spike file: add `spikes = \"spikes.h5\"` to `output`");
            return EXIT_ERRORS;
        };
        let grouping = crate::analyze::Grouping::Ndl {
            network: file,
            column: "pop_name",
        };
        let code = super::analyze::run(&dir.join(name), grouping, &dir, &Default::default(), color);
        if code != EXIT_OK {
            return code;
        }
    }
    if results.error.is_some() {
        EXIT_ERRORS
    } else {
        EXIT_OK
    }
}

/// A run over ranks in one line: ranks, cells per rank, per rank the
/// time spent trading spikes and the spikes it sent.
pub fn ranks_line(share: &crate::sim::Share, traffic: &[Traffic]) -> String {
    let cells: Vec<String> = share.cells.iter().map(usize::to_string).collect();
    let windows = traffic.first().map_or(0, |t| t.windows);
    let trade: Vec<String> = traffic
        .iter()
        .map(|t| format!("{:.3}", t.exchange.as_secs_f64()))
        .collect();
    let sent: Vec<String> = traffic.iter().map(|t| t.sent.to_string()).collect();
    let conns: Vec<String> = traffic.iter().map(|t| t.connections.to_string()).collect();
    format!(
        "ranks: {} (cells per rank {}; connections per rank {}); {} spike exchanges, exchange time per rank {} s, spikes sent per rank {}",
        share.cells.len(),
        cells.join(", "),
        conns.join(", "),
        windows,
        trade.join(", "),
        sent.join(", ")
    )
}

/// Writes every report and the spike file into `dir`.
fn write_outputs(dir: &Path, exp: &Experiment, res: &Results) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let run = &exp.network.run;
    let time = report::TimeAxis {
        tstart: run.tstart,
        tstop: run.tstop,
        dt: run.dt,
    };
    for r in &exp.output.reports {
        report::write(&dir.join(format!("{}.h5", r.name)), r, &res.traces, time)?;
    }
    if let Some(name) = &exp.output.spikes {
        let by_pop = spikes_by_population(exp, res);
        spikes::write(&dir.join(name), &by_pop)?;
    }
    Ok(())
}

/// Spikes grouped by SONATA node population (the `network` name for every
/// real cell), with node ids counted within each, as BMTK writes them.
pub fn spikes_by_population(exp: &Experiment, res: &Results) -> BTreeMap<String, Vec<(u64, f64)>> {
    let cells = &exp.network.cells;
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    for (k, c) in cells.iter().enumerate() {
        first.entry(c.population.as_str()).or_insert(k);
    }
    let mut out: BTreeMap<String, Vec<(u64, f64)>> =
        first.keys().map(|p| (p.to_string(), Vec::new())).collect();
    let index = cell_index(exp);
    for &(gid, t) in &res.spikes {
        let Some(&k) = index.get(&gid) else {
            continue;
        };
        let pop = cells[k].population.as_str();
        if let (Some(f), Some(list)) = (first.get(pop), out.get_mut(pop)) {
            list.push(((k - f) as u64, t));
        }
    }
    out
}

/// Cell index by gid.
fn cell_index(exp: &Experiment) -> std::collections::HashMap<u64, usize> {
    exp.network
        .cells
        .iter()
        .enumerate()
        .map(|(k, c)| (c.gid, k))
        .collect()
}

/// Spike count of every NDL population (by its cells).
fn spikes_per_population(exp: &Experiment, res: &Results) -> Vec<usize> {
    let mut of_cell = vec![0usize; exp.network.cells.len()];
    let index = cell_index(exp);
    for &(gid, _) in &res.spikes {
        if let Some(&k) = index.get(&gid) {
            of_cell[k] += 1;
        }
    }
    exp.populations
        .iter()
        .map(|p| of_cell[p.first_cell..p.first_cell + p.count].iter().sum())
        .collect()
}

fn print_summary(exp: &Experiment, res: &Results, wall: Duration, dir: &Path, synapses: usize) {
    let steps = res.times.len().saturating_sub(1);
    let counts = spikes_per_population(exp, res);
    outln!(
        "ran {}: {} cells, {} steps of {} ms, {:.3} s wall",
        exp.name.as_deref().unwrap_or("network"),
        exp.network.cells.len(),
        steps,
        crate::units::format_number(exp.network.run.dt),
        wall.as_secs_f64()
    );
    for (p, &n) in exp.populations.iter().zip(&counts) {
        let secs = (exp.network.run.tstop - exp.network.run.tstart) / 1000.0;
        let rate = if secs > 0.0 && p.count > 0 {
            n as f64 / p.count as f64 / secs
        } else {
            0.0
        };
        outln!(
            "  {:<16} {:>6} cells {:>8} spikes {:>9.2} Hz",
            p.name,
            p.count,
            n,
            rate
        );
    }
    if let Some(m) = crate::io::memory_line(synapses) {
        outln!("{m}");
    }
    outln!("wrote {}", dir.display());
}
