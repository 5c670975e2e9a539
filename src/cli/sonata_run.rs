//! `nmc run simulation_config.json`: load a SONATA circuit as BMTK built
//! it, simulate (with a progress bar on a terminal), write `spikes.h5` and
//! the config's compartment reports the way BMTK does, a run log
//! (`output.log_file`, default `log.txt` in the output folder) and print a
//! table of per-population rates.

use super::{EXIT_ERRORS, EXIT_OK};
use crate::diag::{self, SourceMap};
use crate::driver::sonata::{self, Loaded, Options};
use crate::sim::{Results, SimOptions, Simulation, Transport};
use crate::sonata::{report, spikes};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Runs the SONATA simulation config `file`; `exact` integrates every
/// synapse instance on its own (see [`Simulation::set_exact`]), `threads`
/// bounds the threads used; with `analyze`, analyzes the spikes into the
/// output folder afterwards (as `nmc analyze` does). With `comm`, this
/// process is one rank of a run over ranks: every rank loads the circuit,
/// runs its share of the cells, and rank 0 writes the outputs and log.
#[allow(clippy::too_many_arguments)]
pub fn run(
    file: &Path,
    opts: &Options,
    out_dir: Option<&Path>,
    quiet: bool,
    (exact, threads): (bool, usize),
    color: bool,
    analyze: bool,
    mut comm: Option<&mut dyn Transport>,
) -> i32 {
    let writer = comm.as_ref().is_none_or(|c| c.rank() == 0);
    let quiet = quiet || !writer;
    let t0 = Instant::now();
    let mut map = SourceMap::new();
    let ranks = comm.as_ref().map_or((0, 1), |c| (c.rank(), c.size()));
    let loaded = sonata::load_share(&mut map, file, opts, ranks);
    let mut failure = loaded
        .as_ref()
        .err()
        .map(|d| (diag::render_human(&map, d, color), diag::counts(d)));
    if let Some(c) = comm.as_deref_mut() {
        // A rank reading only the edges onto its cells finds a problem
        // in them alone: every rank stops, and the first failing rank's
        // diagnostics are printed (once, by the writer).
        let mine = match &failure {
            Some((shown, counts)) => [&[1], counts.as_bytes(), &[0], shown.as_bytes()].concat(),
            None => vec![0],
        };
        if let Some(first) = c.all_gather(&mine).iter().find(|b| b.first() == Some(&1)) {
            let text = String::from_utf8_lossy(&first[1..]).into_owned();
            let (counts, shown) = text.split_once('\0').unwrap_or(("", &text));
            failure = Some((shown.to_string(), counts.to_string()));
        }
    }
    let mut loaded = match (loaded, failure) {
        (Ok(l), None) => l,
        (_, failure) => {
            let (shown, counts) = failure.unwrap_or_default();
            err!("{shown}");
            errln!("error: {} was not run ({counts})", file.display());
            return EXIT_ERRORS;
        }
    };
    if !loaded.warnings.is_empty() {
        err!("{}", diag::render_human(&map, &loaded.warnings, color));
    }
    let dir = out_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| loaded.config.output_dir.clone());
    let log_path = log_path(&loaded, &dir, out_dir);
    if let Err(e) = distinct_outputs(&dir, out_dir.is_some(), &loaded, &log_path) {
        errln!("error: {e}");
        return EXIT_ERRORS;
    }
    // The previous run's outputs go first: a run that fails or is killed
    // leaves no file that looks like its own (rank 0 alone writes them).
    let mut outputs = vec![dir.join(&loaded.config.spikes_file), log_path.clone()];
    for entry in &loaded.config.reports {
        outputs.push(report_path(entry, &dir, out_dir.is_some()));
    }
    let outputs: Vec<&Path> = outputs.iter().map(PathBuf::as_path).collect();
    if !super::clear_old_outputs(
        &outputs,
        writer,
        comm.as_mut().map(|c| &mut **c as &mut dyn Transport),
    ) {
        return EXIT_ERRORS;
    }
    // A one-shot run: linear synapses merged while building unless exact.
    let options = SimOptions {
        threads,
        exact,
        merge_synapses: true,
        ..SimOptions::default()
    };
    let mut synapses = loaded.network.connections.len();
    let built = match comm.as_deref_mut() {
        Some(c) => {
            let starts = loaded.rank_starts.take();
            if starts.is_some() {
                // Each rank holds the connections onto its cells.
                synapses = c
                    .all_gather(&(synapses as u64).to_le_bytes())
                    .iter()
                    .filter_map(|b| Some(u64::from_le_bytes(b.get(..8)?.try_into().ok()?)))
                    .sum::<u64>() as usize;
            }
            let built = Simulation::for_ranks_from(
                &mut loaded.network,
                &loaded.mechanisms,
                options,
                starts.as_deref(),
                c,
            );
            match built {
                // A circuit the ranks cannot split runs whole on rank 0:
                // every rank reads it whole (all ranks get here together).
                Err(_) if starts.is_some() => match sonata::load(&mut map, file, opts) {
                    Ok(whole) => {
                        loaded = whole;
                        synapses = loaded.network.connections.len();
                        Simulation::for_ranks_from(
                            &mut loaded.network,
                            &loaded.mechanisms,
                            options,
                            None,
                            c,
                        )
                    }
                    Err(d) => {
                        err!("{}", diag::render_human(&map, &d, color));
                        errln!(
                            "error: {} was not run ({})",
                            file.display(),
                            diag::counts(&d)
                        );
                        return EXIT_ERRORS;
                    }
                },
                built => built,
            }
        }
        // The engine frees the network's synapses as it takes them over.
        None => Simulation::from_network(&mut loaded.network, &loaded.mechanisms, options),
    };
    let mut sim = match built {
        Ok(s) => s,
        Err(e) => {
            errln!("error[E1801]: the network cannot be simulated: {e}");
            return EXIT_ERRORS;
        }
    };
    // The report files are written while the run goes on (the samples
    // never all sit in memory), under temporary names until it is done.
    let mut streams = if writer {
        match open_reports(&dir, out_dir.is_some(), &loaded) {
            Ok(s) => s,
            Err(e) => {
                errln!("error: {e}");
                return EXIT_ERRORS;
            }
        }
    } else {
        Vec::new()
    };
    let mut stream_error = None;
    let mut drain = |r: &mut Results, rows: &mut Vec<f64>| {
        let width = r.traces.len();
        for (_, w) in &mut streams {
            if let Err(e) = w
                .append(&r.traces)
                .and_then(|()| w.append_rows(rows, width))
            {
                stream_error = Some(e);
                return false;
            }
        }
        for t in &mut r.traces {
            t.clear();
        }
        rows.clear();
        true
    };
    let load_time = t0.elapsed();
    let t1 = Instant::now();
    let run = &loaded.network.run;
    let (results, traffic) = super::progress::simulate(
        &mut sim,
        run.tstart,
        run.tstop,
        quiet,
        comm.as_mut().map(|c| &mut **c as &mut dyn Transport),
        Some(&mut drain),
    );
    if let Some(e) = stream_error {
        errln!("error: {e}");
        return EXIT_ERRORS;
    }
    let aggregation = match comm {
        Some(c) => sim.aggregation_ranks(c),
        None => sim.aggregation(),
    };
    let sim_time = t1.elapsed();
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
    let t2 = Instant::now();
    let written = match write_outputs(&dir, &loaded, &results, streams) {
        Ok(w) => w,
        Err(e) => {
            errln!("error: {e}");
            return EXIT_ERRORS;
        }
    };
    let times = Timings {
        load: load_time,
        simulate: sim_time,
        write: t2.elapsed(),
        events: sim.event_stats(),
    };
    let mut text = log_text(
        file,
        &loaded,
        &results,
        &times,
        &written,
        &map,
        (&aggregation, synapses),
    );
    if !traffic.is_empty() {
        let _ = writeln!(text, "{}", super::run::ranks_line(sim.share(), &traffic));
    }
    if let Some(parent) = log_path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    if let Err(e) = crate::io::write_atomic(&log_path, text.as_bytes()) {
        errln!("error: cannot write {}: {e}", log_path.display());
        return EXIT_ERRORS;
    }
    if !quiet {
        outln!(
            "ran {}: {} cells, {} connections, {} ms in steps of {} ms on {} thread{}; load {:.2} s, simulate {:.2} s",
            file.display(),
            loaded.network.cells.len(),
            synapses,
            crate::units::format_number(run.tstop - run.tstart),
            crate::units::format_number(run.dt),
            sim.threads(),
            if sim.threads() == 1 { "" } else { "s" },
            load_time.as_secs_f64(),
            sim_time.as_secs_f64()
        );
        for (name, n, leaders) in &aggregation {
            outln!(
                "  {name}: {n} instances integrated as {leaders} (linear aggregation; --synapses one-by-one for one by one)"
            );
        }
        if !sim.specializations().is_empty() {
            outln!(
                "  kernels of {} mechanisms specialised for this run in {:.1} ms ({}=0: plain kernels)",
                sim.specializations().len(),
                sim.specialization_time().as_secs_f64() * 1e3,
                crate::sim::SPECIALIZE_ENV
            );
        }
        if !traffic.is_empty() {
            outln!("  {}", super::run::ranks_line(sim.share(), &traffic));
        }
        out!("{}", rate_table(&loaded, &results));
        for w in &written {
            outln!("wrote {}", w.display());
        }
        outln!("log {}", log_path.display());
    }
    if analyze {
        let grouping = crate::analyze::Grouping::Sonata {
            config: file,
            column: "pop_name",
        };
        let spikes = dir.join(&loaded.config.spikes_file);
        let code = super::analyze::run(&spikes, grouping, &dir, &Default::default(), color);
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

/// Wall-clock times of the phases of a run.
struct Timings {
    load: Duration,
    simulate: Duration,
    write: Duration,
    /// Connection events delivered and the threads' time delivering events.
    events: (u64, Duration),
}

/// The log: BMTK's `output.log_file`, else `log.txt` in the output folder.
fn log_path(loaded: &Loaded, dir: &Path, out_dir: Option<&Path>) -> PathBuf {
    match (&loaded.config.log_file, out_dir) {
        (Some(l), Some(d)) => d.join(l.file_name().unwrap_or_else(|| "log.txt".as_ref())),
        (Some(l), None) => l.clone(),
        (None, _) => dir.join("log.txt"),
    }
}

/// Where report `entry` is written (with `-o`, into `dir` under its name).
fn report_path(entry: &crate::sonata::config::ReportEntry, dir: &Path, moved: bool) -> PathBuf {
    match entry.file.file_name() {
        Some(name) if moved => dir.join(name),
        _ => entry.file.clone(),
    }
}

/// Checked before the run: the spike file, every report and the log go to
/// different files (a report or log named like the spike file would
/// replace it; two reports with one file name would keep one).
fn distinct_outputs(dir: &Path, moved: bool, loaded: &Loaded, log: &Path) -> Result<(), String> {
    let mut seen: Vec<(PathBuf, String)> = Vec::new();
    let mut outputs = vec![(
        dir.join(&loaded.config.spikes_file),
        format!(
            "the spike file (`output.spikes_file` = \"{}\")",
            loaded.config.spikes_file
        ),
    )];
    for entry in &loaded.config.reports {
        outputs.push((
            report_path(entry, dir, moved),
            format!("report `{}`", entry.name),
        ));
    }
    outputs.push((log.to_path_buf(), "the log (`output.log_file`)".to_string()));
    for (path, what) in outputs {
        let key: PathBuf = path
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect();
        if let Some((_, first)) = seen.iter().find(|(p, _)| *p == key) {
            return Err(format!(
                "{what} and {first} would both be written to {}; give them different file names",
                path.display()
            ));
        }
        seen.push((key, what));
    }
    Ok(())
}

/// The writers of the config's reports (a report with no config entry is
/// skipped), their files created empty of samples. With `-o` (`moved`),
/// report files go into `dir` under their own names.
fn open_reports(
    dir: &Path,
    moved: bool,
    loaded: &Loaded,
) -> Result<Vec<(PathBuf, report::ReportWriter)>, String> {
    let run = &loaded.network.run;
    let time = report::TimeAxis {
        tstart: run.tstart,
        tstop: run.tstop,
        dt: run.dt,
    };
    // BMTK records after every step: rows are t = dt ... tstop, labelled
    // from tstart (the initial sample is left out).
    let rows = crate::sim::step_count(run.tstart, run.tstop, run.dt);
    let mut out = Vec::new();
    for r in &loaded.reports {
        let Some(entry) = loaded.config.reports.iter().find(|e| e.name == r.name) else {
            continue;
        };
        let path = report_path(entry, dir, moved);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let w = report::ReportWriter::create(&path, r, rows, 1, time)?;
        out.push((path, w));
    }
    Ok(out)
}

/// Writes the spike file and finishes every report; returns the files
/// written.
fn write_outputs(
    dir: &Path,
    loaded: &Loaded,
    results: &Results,
    reports: Vec<(PathBuf, report::ReportWriter)>,
) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut written = Vec::new();
    let out = dir.join(&loaded.config.spikes_file);
    spikes::write(&out, &loaded.spikes_by_population(results))?;
    written.push(out);
    for (path, mut w) in reports {
        // Samples the run has not handed over yet (a run over ranks
        // gathers them at the end).
        w.append(&results.traces)?;
        w.finish()?;
        written.push(path);
    }
    Ok(written)
}

/// The per-population table: cells, spikes, mean rate.
fn rate_table(loaded: &Loaded, results: &Results) -> String {
    let mut s = format!(
        "  {:<16} {:>6} {:>8} {:>9}\n",
        "population", "cells", "spikes", "rate"
    );
    for (name, n, k, rate) in loaded.rates(results) {
        let _ = writeln!(s, "  {name:<16} {n:>6} {k:>8} {rate:>6.2} Hz");
    }
    s
}

/// The run log: what ran, its size, settings, warnings, timings, rates and files.
fn log_text(
    file: &Path,
    loaded: &Loaded,
    results: &Results,
    times: &Timings,
    written: &[PathBuf],
    map: &SourceMap,
    (aggregation, synapses): (&[(String, usize, usize)], usize),
) -> String {
    let c = &loaded.config;
    let net = &loaded.network;
    let r = &net.run;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "nmc {} run of {}",
        env!("CARGO_PKG_VERSION"),
        file.display()
    );
    let _ = writeln!(s, "circuit: {}", c.circuit.path.display());
    let _ = writeln!(
        s,
        "run: tstart {} ms, tstop {} ms, dt {} ms, spike_threshold {} mV; celsius {} degC, v_init {} mV",
        r.tstart, r.tstop, r.dt, r.spike_threshold, r.celsius, r.v_init
    );
    let input_spikes: usize = net.trains.iter().map(|t| t.times.len()).sum();
    let _ = writeln!(
        s,
        "network: {} cells in {} populations ({}), {} connections, {} input trains with {} spikes, {} recorded values",
        net.cells.len(),
        loaded.populations.len(),
        loaded.populations.join(", "),
        synapses,
        net.trains.len(),
        input_spikes,
        net.records.len()
    );
    for i in &c.inputs {
        let _ = writeln!(
            s,
            "input {}: {} {} from {}",
            i.name,
            i.input_type,
            i.module,
            i.input_file
                .as_ref()
                .or(i.file.as_ref())
                .map_or("(no file)".into(), |f| f.display().to_string())
        );
    }
    for (name, n, leaders) in aggregation {
        let _ = writeln!(
            s,
            "synapses {name}: {n} instances integrated as {leaders} (linear aggregation)"
        );
    }
    let _ = writeln!(s, "warnings: {}", loaded.warnings.len());
    if !loaded.warnings.is_empty() {
        s.push_str(&diag::render_human(map, &loaded.warnings, false));
    }
    let total = times.load + times.simulate + times.write;
    let _ = writeln!(
        s,
        "time: load and compile {:.3} s, simulate {:.3} s, write {:.3} s, total {:.3} s",
        times.load.as_secs_f64(),
        times.simulate.as_secs_f64(),
        times.write.as_secs_f64(),
        total.as_secs_f64()
    );
    if let Some(m) = crate::io::memory_line(synapses) {
        let _ = writeln!(s, "{m}");
    }
    let (events, busy) = times.events;
    let _ = writeln!(
        s,
        "events: {events} connection events delivered in {:.3} s of the threads' time, {:.1} ns each",
        busy.as_secs_f64(),
        busy.as_secs_f64() * 1e9 / events.max(1) as f64
    );
    match &results.error {
        Some(e) => {
            let _ = writeln!(s, "stopped early: {e}");
        }
        None => {
            let _ = writeln!(s, "completed: {} spikes", results.spikes.len());
        }
    }
    s.push_str(&rate_table(loaded, results));
    for w in written {
        let _ = writeln!(s, "wrote {}", w.display());
    }
    s
}
