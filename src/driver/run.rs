//! One run of an NDL file or a SONATA simulation config for a program
//! that embeds nmc (the Python module): load, simulate with a progress
//! callback that may stop the run, and hand back spikes, compartment
//! reports and rates in memory. Writing the SONATA outputs is a separate
//! step ([`Prepared::write`]), taken only when the caller asks for it.

use crate::back::math::MathMode;
use crate::diag::{Diagnostic, SourceMap};
use crate::front::ndl::Experiment;
use crate::net::Network;
use crate::sim::{Mechanisms, Results, Simulation};
use crate::sonata::report::{self, Report};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How to run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunOptions {
    /// Threads to use (0 or 1: one).
    pub threads: usize,
    /// Integrate every synapse instance on its own (see
    /// [`Simulation::set_exact`]).
    pub exact: bool,
    /// How the kernels compute `exp`.
    pub math: MathMode,
    /// SONATA runs: folder of NDL cell templates instead of the circuit's.
    pub templates: Option<PathBuf>,
    /// SONATA runs: folder of `.mod` files instead of the circuit's.
    pub mechanisms: Option<PathBuf>,
}

/// What was loaded.
enum Source {
    Ndl {
        exp: Box<Experiment>,
        mechanisms: Mechanisms,
    },
    Sonata(Box<super::sonata::Loaded>),
}

/// A network loaded, checked and compiled, ready to simulate.
pub struct Prepared {
    source: Source,
    /// Warnings of loading (their sources are in the caller's map).
    pub warnings: Vec<Diagnostic>,
    /// Time spent loading and compiling.
    pub load_time: Duration,
}

/// Spikes of real cells in time order, as columns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Spikes {
    /// Node population names; [`Spikes::population`] indexes into them.
    pub populations: Vec<String>,
    /// Population of each spike.
    pub population: Vec<u32>,
    /// Node id (within its population) of each spike.
    pub node_ids: Vec<u64>,
    /// Time (ms) of each spike.
    pub timestamps: Vec<f64>,
}

/// Mean rate of one group of cells (SONATA: `pop_name`; NDL: population).
#[derive(Clone, Debug, PartialEq)]
pub struct Rate {
    /// Group name.
    pub name: String,
    /// Number of cells.
    pub cells: usize,
    /// Number of spikes.
    pub spikes: usize,
    /// Spikes per cell per second of the run's window (Hz).
    pub hz: f64,
}

/// The part of a compartment report on one node population, in memory.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportPart {
    /// Node population.
    pub population: String,
    /// Node id of each recorded cell.
    pub node_ids: Vec<u64>,
    /// Cell `k` owns columns `index_pointer[k]..index_pointer[k + 1]`.
    pub index_pointer: Vec<u64>,
    /// Section index of each column.
    pub element_ids: Vec<u64>,
    /// Position along the section of each column.
    pub element_pos: Vec<f64>,
    /// Values, row-major: one row per time, one column per element.
    pub data: Vec<f64>,
}

/// A compartment report in memory.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportData {
    /// Report name.
    pub name: String,
    /// Recorded variable, as the user wrote it.
    pub variable: String,
    /// Unit of the data.
    pub unit: String,
    /// Time (ms) of every row.
    pub times: Vec<f64>,
    /// One part per node population.
    pub parts: Vec<ReportPart>,
}

/// What a simulation produced, with what the summary needs.
#[derive(Debug)]
pub struct Outcome {
    /// The engine's results (the error is set when the run stopped early).
    pub results: Results,
    /// Threads the run used.
    pub threads: usize,
    /// Per aggregated synapse mechanism: (name, instances, leaders).
    pub aggregation: Vec<(String, usize, usize)>,
    /// Time spent building the engine's data and kernels for the run.
    pub build_time: Duration,
    /// Time spent simulating.
    pub simulate_time: Duration,
}

/// Loads `path`: a SONATA simulation config (`.json`), or else an NDL
/// file, as `nmc run` decides. Diagnostics refer to sources added to `map`.
pub fn load(
    map: &mut SourceMap,
    path: &Path,
    opts: &RunOptions,
) -> Result<Prepared, Vec<Diagnostic>> {
    let t0 = Instant::now();
    if path.extension().is_none_or(|e| e != "json") {
        let (checked, library) = super::ndl::check_file(map, path);
        let Some(exp) = checked.experiment else {
            return Err(checked.diagnostics);
        };
        let mechanisms = library
            .for_network(&exp.network, opts.math)
            .map_err(|diags| map.import(&library.source_map(), &diags))?;
        return Ok(Prepared {
            source: Source::Ndl {
                exp: Box::new(exp),
                mechanisms,
            },
            warnings: checked.diagnostics,
            load_time: t0.elapsed(),
        });
    }
    let sonata_opts = super::sonata::Options {
        templates: opts.templates.clone(),
        mechanisms: opts.mechanisms.clone(),
        tstop: None,
        math: opts.math,
    };
    let loaded = super::sonata::load(map, path, &sonata_opts)?;
    let warnings = loaded.warnings.clone();
    Ok(Prepared {
        source: Source::Sonata(Box::new(loaded)),
        warnings,
        load_time: t0.elapsed(),
    })
}

impl Prepared {
    /// The network to simulate.
    pub fn network(&self) -> &Network {
        match &self.source {
            Source::Ndl { exp, .. } => &exp.network,
            Source::Sonata(l) => &l.network,
        }
    }

    fn mechanisms(&self) -> &Mechanisms {
        match &self.source {
            Source::Ndl { mechanisms, .. } => mechanisms,
            Source::Sonata(l) => &l.mechanisms,
        }
    }

    /// The output folder the file names (relative to the working folder).
    pub fn output_dir(&self) -> &Path {
        match &self.source {
            Source::Ndl { exp, .. } => &exp.output.dir,
            Source::Sonata(l) => &l.config.output_dir,
        }
    }

    /// Simulates from `tstart` to `tstop`. `progress` gets the simulated
    /// time now and then and answers whether to go on (see
    /// [`Simulation::run_interruptible`]). A network the engine refuses
    /// is an error; a run that stops early is an [`Outcome`] whose
    /// results carry the error and everything simulated before it.
    pub fn simulate(
        &self,
        opts: &RunOptions,
        progress: &mut dyn FnMut(f64) -> bool,
    ) -> Result<Outcome, crate::sim::SimError> {
        let t0 = Instant::now();
        let options = crate::sim::SimOptions {
            threads: opts.threads,
            exact: opts.exact,
            merge_synapses: true,
            ..Default::default()
        };
        let mut sim = Simulation::with_options(self.network(), self.mechanisms(), options)?;
        let build_time = t0.elapsed();
        let t1 = Instant::now();
        let results = sim.run_interruptible(progress);
        Ok(Outcome {
            results,
            threads: sim.threads(),
            aggregation: sim.aggregation(),
            build_time,
            simulate_time: t1.elapsed(),
        })
    }

    /// Node population and node id of every real cell, by gid.
    fn origins(&self) -> (Vec<String>, HashMap<u64, (u32, u64)>) {
        match &self.source {
            Source::Sonata(l) => {
                let index: HashMap<&str, u32> = l
                    .populations
                    .iter()
                    .enumerate()
                    .map(|(k, p)| (p.as_str(), k as u32))
                    .collect();
                let by_gid = l
                    .cells
                    .iter()
                    .enumerate()
                    .filter_map(|(g, c)| {
                        let p = *index.get(c.population.as_str())?;
                        Some((g as u64, (p, c.node_id)))
                    })
                    .collect();
                (l.populations.clone(), by_gid)
            }
            // NDL: every real cell is in the node population named by
            // `network`, node id = its index (see `Experiment::circuit`).
            Source::Ndl { exp, .. } => {
                let mut names: Vec<String> = Vec::new();
                let mut by_gid = HashMap::new();
                let mut first: BTreeMap<&str, usize> = BTreeMap::new();
                for (k, c) in exp.network.cells.iter().enumerate() {
                    let f = *first.entry(c.population.as_str()).or_insert(k);
                    let p = match names.iter().position(|n| *n == c.population) {
                        Some(p) => p,
                        None => {
                            names.push(c.population.clone());
                            names.len() - 1
                        }
                    };
                    by_gid.insert(c.gid, (p as u32, (k - f) as u64));
                }
                (names, by_gid)
            }
        }
    }

    /// The spikes of real cells as columns, in the engine's time order.
    pub fn spikes(&self, res: &Results) -> Spikes {
        let (populations, by_gid) = self.origins();
        let mut out = Spikes {
            populations,
            ..Spikes::default()
        };
        for &(gid, t) in &res.spikes {
            if let Some(&(p, id)) = by_gid.get(&gid) {
                out.population.push(p);
                out.node_ids.push(id);
                out.timestamps.push(t);
            }
        }
        out
    }

    /// Mean rates: per `pop_name` for SONATA runs (in order of first
    /// appearance, as `nmc run` prints them), per population for NDL.
    pub fn rates(&self, res: &Results) -> Vec<Rate> {
        match &self.source {
            Source::Sonata(l) => l
                .rates(res)
                .into_iter()
                .map(|(name, cells, spikes, hz)| Rate {
                    name,
                    cells,
                    spikes,
                    hz,
                })
                .collect(),
            Source::Ndl { exp, .. } => {
                let index: HashMap<u64, usize> = exp
                    .network
                    .cells
                    .iter()
                    .enumerate()
                    .map(|(k, c)| (c.gid, k))
                    .collect();
                let mut of_cell = vec![0usize; exp.network.cells.len()];
                for (gid, _) in &res.spikes {
                    if let Some(&k) = index.get(gid) {
                        of_cell[k] += 1;
                    }
                }
                let run = &exp.network.run;
                let secs = (run.tstop - run.tstart) / 1000.0;
                exp.populations
                    .iter()
                    .map(|p| {
                        let spikes: usize = of_cell
                            .get(p.first_cell..p.first_cell + p.count)
                            .map_or(0, |s| s.iter().sum());
                        let hz = if secs > 0.0 && p.count > 0 {
                            spikes as f64 / p.count as f64 / secs
                        } else {
                            0.0
                        };
                        Rate {
                            name: p.name.clone(),
                            cells: p.count,
                            spikes,
                            hz,
                        }
                    })
                    .collect()
            }
        }
    }

    /// The reports as they are written: SONATA runs (as BMTK) hold one
    /// row after every step, NDL runs one more at `tstart`. Each row's
    /// time is the engine's time of that sample.
    fn report_specs(&self) -> (&[Report], usize) {
        match &self.source {
            Source::Ndl { exp, .. } => (&exp.output.reports, 0),
            Source::Sonata(l) => (&l.reports, 1),
        }
    }

    /// Every compartment report of the run, in memory.
    pub fn reports(&self, res: &Results) -> Vec<ReportData> {
        let (specs, skip) = self.report_specs();
        let times: Vec<f64> = res.times.get(skip..).unwrap_or_default().to_vec();
        specs
            .iter()
            .map(|r| ReportData {
                name: r.name.clone(),
                variable: r.variable.clone(),
                unit: r.unit.clone(),
                times: times.clone(),
                parts: r
                    .groups
                    .iter()
                    .map(|g| {
                        let cols: Vec<&[f64]> = g
                            .records
                            .clone()
                            .filter_map(|k| res.traces.get(k))
                            .map(|t| t.get(skip..).unwrap_or_default())
                            .collect();
                        let rows = cols.iter().map(|c| c.len()).min().unwrap_or(0);
                        let mut data = Vec::with_capacity(rows * cols.len());
                        for s in 0..rows {
                            data.extend(cols.iter().map(|c| c[s]));
                        }
                        ReportPart {
                            population: g.population.clone(),
                            node_ids: g.node_ids.clone(),
                            index_pointer: g.index_pointer.clone(),
                            element_ids: g.element_ids.clone(),
                            element_pos: g.element_pos.clone(),
                            data,
                        }
                    })
                    .collect(),
            })
            .collect()
    }

    /// Writes the SONATA spike file and every report into `dir` (each
    /// under its own file name, atomically), as `nmc run -o DIR` does;
    /// returns the files written.
    pub fn write(&self, dir: &Path, res: &Results) -> Result<Vec<PathBuf>, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut written = Vec::new();
        let spike_file = match &self.source {
            Source::Ndl { exp, .. } => exp.output.spikes.clone(),
            Source::Sonata(l) => Some(l.config.spikes_file.clone()),
        };
        if let Some(name) = spike_file {
            let s = self.spikes(res);
            let mut by_pop: BTreeMap<String, Vec<(u64, f64)>> = s
                .populations
                .iter()
                .map(|p| (p.clone(), Vec::new()))
                .collect();
            for ((&p, &id), &t) in s.population.iter().zip(&s.node_ids).zip(&s.timestamps) {
                if let Some(list) = s
                    .populations
                    .get(p as usize)
                    .and_then(|n| by_pop.get_mut(n))
                {
                    list.push((id, t));
                }
            }
            let path = dir.join(name);
            crate::sonata::spikes::write(&path, &by_pop)?;
            written.push(path);
        }
        let (specs, skip) = self.report_specs();

        let run = &self.network().run;
        let time = report::TimeAxis {
            tstart: run.tstart,
            tstop: run.tstop,
            dt: run.dt,
        };
        let files: Vec<PathBuf> = match &self.source {
            Source::Ndl { exp, .. } => exp
                .output
                .reports
                .iter()
                .map(|r| PathBuf::from(format!("{}.h5", r.name)))
                .collect(),
            // The reports written, by name (a report of no cell is not).
            Source::Sonata(l) => l
                .reports
                .iter()
                .map(|r| {
                    l.config
                        .reports
                        .iter()
                        .find(|e| e.name == r.name)
                        .and_then(|e| e.file.file_name().map(PathBuf::from))
                        .unwrap_or_else(|| PathBuf::from(format!("{}.h5", r.name)))
                })
                .collect(),
        };
        for (r, file) in specs.iter().zip(files) {
            let path = dir.join(file);
            report::write_from(&path, r, &res.traces, skip, time)?;
            written.push(path);
        }
        Ok(written)
    }

    /// What ran, in a few lines: size, threads, times (load counts the
    /// engine's build, as `nmc run` counts it), synapse aggregation and
    /// the rate table (as `nmc run` prints them).
    pub fn summary(&self, path: &Path, outcome: &Outcome) -> String {
        use std::fmt::Write as _;
        let net = self.network();
        let r = &net.run;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "ran {}: {} cells, {} connections, {} ms in steps of {} ms on {} thread{}; load {:.2} s, simulate {:.2} s",
            path.display(),
            net.cells.len(),
            net.connections.len(),
            crate::units::format_number(r.tstop - r.tstart),
            crate::units::format_number(r.dt),
            outcome.threads,
            if outcome.threads == 1 { "" } else { "s" },
            (self.load_time + outcome.build_time).as_secs_f64(),
            outcome.simulate_time.as_secs_f64()
        );
        for (name, n, leaders) in &outcome.aggregation {
            let _ = writeln!(
                s,
                "  {name}: {n} instances integrated as {leaders} (linear aggregation; exact=True for one by one)"
            );
        }
        s.push_str(&rate_table(&self.rates(&outcome.results)));
        if let Some(e) = &outcome.results.error {
            let _ = writeln!(s, "stopped early: {e}");
        }
        s
    }
}

/// The per-group table of `nmc run`: cells, spikes, mean rate.
pub fn rate_table(rates: &[Rate]) -> String {
    use std::fmt::Write as _;
    let mut s = format!(
        "  {:<16} {:>6} {:>8} {:>9}\n",
        "population", "cells", "spikes", "rate"
    );
    for r in rates {
        let _ = writeln!(
            s,
            "  {:<16} {:>6} {:>8} {:>6.2} Hz",
            r.name, r.cells, r.spikes, r.hz
        );
    }
    s
}

/// A run's failure as a diagnostic for embedding programs (the command
/// line prints these as plain `error:` lines): `E1801` the engine refuses
/// the network, `E1802` the run stopped early (a kernel failed or a
/// voltage became NaN), `E1803` the caller interrupted it.
pub fn sim_diagnostic(e: &crate::sim::SimError, started: bool) -> Diagnostic {
    use crate::sim::SimErrorKind;
    match (e.kind, started) {
        (SimErrorKind::Interrupted, _) => Diagnostic::error("E1803", format!("the run was {e}")),
        (_, true) => Diagnostic::error("E1802", format!("the run stopped early: {e}")),
        (_, false) => Diagnostic::error("E1801", format!("the network cannot be simulated: {e}")),
    }
}

/// `E1804`: an output file that cannot be written.
pub fn output_diagnostic(message: String) -> Diagnostic {
    Diagnostic::error("E1804", message)
        .with_help("choose an output folder you can write to, or run without one")
}
