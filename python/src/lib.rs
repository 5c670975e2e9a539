//! `nmc._nmc`: the native half of the `nmc` Python package.
//!
//! Each function does its work with the GIL released (other Python
//! threads go on while nmc loads, compiles and simulates) and hands back
//! plain Python objects and numpy arrays; the Python half (`nmc/`) wraps
//! them in typed classes and raises its exceptions. nmc's problems come
//! back as diagnostics (their JSON form and their rendered text), never
//! as panics.

use nmc::analyze::plot::{self, Plot};
use nmc::analyze::{Dataset, Grouping, Settings, data::SpikeColumns, stats};
use nmc::back::math::MathMode;
use nmc::diag::{self, Diagnostic, SourceMap};
use nmc::driver::run::{self as driver_run, ReportData, RunOptions, Spikes};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How often a run looks for Ctrl-C and reports progress to Python.
const POLL: Duration = Duration::from_millis(100);

/// A diagnostic as (JSON object, rendered text without colour).
type DiagText = (String, String);

/// Every diagnostic of `diags` with its sources from `map`.
fn diag_texts(map: &SourceMap, diags: &[Diagnostic]) -> Vec<DiagText> {
    diags
        .iter()
        .map(|d| {
            let one = std::slice::from_ref(d);
            (
                diag::render_json(map, one).trim_end().to_string(),
                diag::render_human(map, one, false),
            )
        })
        .collect()
}

/// A diagnostic without a source file (an option out of range...).
fn bare(code: &'static str, message: String) -> Vec<DiagText> {
    diag_texts(&SourceMap::new(), &[Diagnostic::error(code, message)])
}

fn diag_list<'py>(py: Python<'py>, diags: &[DiagText]) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, diags.iter().map(|(j, r)| (j.as_str(), r.as_str())))
}

/// What a run hands back across the GIL boundary (plain data only).
enum RunReturn {
    /// Loading or compiling failed: "load" with diagnostics.
    Failed(&'static str, Vec<DiagText>),
    Done(Box<RunData>),
}

struct RunData {
    spikes: Spikes,
    rates: Vec<driver_run::Rate>,
    reports: Vec<ReportData>,
    warnings: Vec<DiagText>,
    summary: String,
    written: Vec<PathBuf>,
    /// Why the run stopped early, or its outputs could not be written.
    error: Option<DiagText>,
    /// A Python exception raised during the run (Ctrl-C, a progress
    /// callback that failed).
    py_error: Option<PyErr>,
    window: (f64, f64, f64),
    load_time: f64,
    simulate_time: f64,
    threads: usize,
}

/// Runs the NDL file or SONATA simulation config at `path`.
#[pyfunction]
#[pyo3(signature = (path, threads, exact, math, templates, mechanisms, output_dir, progress))]
#[allow(clippy::too_many_arguments)]
fn run<'py>(
    py: Python<'py>,
    path: PathBuf,
    threads: usize,
    exact: bool,
    math: &str,
    templates: Option<PathBuf>,
    mechanisms: Option<PathBuf>,
    output_dir: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let math = MathMode::from_name(math).ok_or_else(|| {
        PyValueError::new_err(format!("math must be \"exact\" or \"fast\", not {math:?}"))
    })?;
    let opts = RunOptions {
        threads,
        exact,
        math,
        templates,
        mechanisms,
    };
    let ret = py.detach(move || run_detached(&path, &opts, output_dir.as_deref(), progress));
    let out = PyDict::new(py);
    let data = match ret {
        RunReturn::Failed(stage, diags) => {
            out.set_item("failed", stage)?;
            out.set_item("diagnostics", diag_list(py, &diags)?)?;
            return Ok(out);
        }
        RunReturn::Done(d) => d,
    };
    if let Some(e) = data.py_error {
        return Err(e);
    }
    let s = data.spikes;
    out.set_item("populations", s.populations)?;
    out.set_item("population", PyArray1::from_vec(py, s.population))?;
    out.set_item("node_ids", PyArray1::from_vec(py, s.node_ids))?;
    out.set_item("timestamps", PyArray1::from_vec(py, s.timestamps))?;
    let rates = PyList::new(
        py,
        data.rates
            .iter()
            .map(|r| (r.name.as_str(), r.cells, r.spikes, r.hz)),
    )?;
    out.set_item("rates", rates)?;
    let reports = PyList::empty(py);
    for r in data.reports {
        reports.append(report_dict(py, r)?)?;
    }
    out.set_item("reports", reports)?;
    out.set_item("warnings", diag_list(py, &data.warnings)?)?;
    out.set_item("summary", data.summary)?;
    out.set_item("written", data.written)?;
    out.set_item("error", data.error)?;
    out.set_item("window", data.window)?;
    out.set_item("load_time", data.load_time)?;
    out.set_item("simulate_time", data.simulate_time)?;
    out.set_item("threads", data.threads)?;
    Ok(out)
}

/// The run itself, without the GIL: load, simulate (looking for Ctrl-C
/// and reporting progress every [`POLL`]), collect, write on request.
fn run_detached(
    path: &std::path::Path,
    opts: &RunOptions,
    output_dir: Option<&std::path::Path>,
    progress: Option<Py<PyAny>>,
) -> RunReturn {
    let mut map = SourceMap::new();
    let prepared = match driver_run::load(&mut map, path, opts) {
        Ok(p) => p,
        Err(diags) => return RunReturn::Failed("load", diag_texts(&map, &diags)),
    };
    let run = &prepared.network().run;
    let (tstart, tstop) = (run.tstart, run.tstop);
    let mut py_error: Option<PyErr> = None;
    let mut last = Instant::now();
    let mut poll = |t: f64| -> bool {
        if last.elapsed() < POLL {
            return true;
        }
        last = Instant::now();
        let outcome = Python::attach(|py| -> PyResult<()> {
            py.check_signals()?;
            if let Some(cb) = &progress {
                cb.call1(py, (t, tstart, tstop))?;
            }
            Ok(())
        });
        match outcome {
            Ok(()) => true,
            Err(e) => {
                py_error = Some(e);
                false
            }
        }
    };
    let outcome = match prepared.simulate(opts, &mut poll) {
        Ok(o) => o,
        Err(e) => {
            let d = driver_run::sim_diagnostic(&e, false);
            return RunReturn::Failed("simulate", diag_texts(&SourceMap::new(), &[d]));
        }
    };
    if let Some(cb) = &progress {
        // The bar ends at tstop, or where the run stopped (a callback
        // error here is ignored: the run is over).
        let t = match &outcome.results.error {
            None => tstop,
            Some(_) => outcome.results.times.last().copied().unwrap_or(tstart),
        };
        Python::attach(|py| {
            let _ = cb.call1(py, (t, tstart, tstop));
        });
    }
    let res = &outcome.results;
    let mut written = Vec::new();
    let mut error = res
        .error
        .as_ref()
        .map(|e| driver_run::sim_diagnostic(e, true));
    if let (Some(dir), None) = (output_dir, &py_error) {
        match prepared.write(dir, res) {
            Ok(w) => written = w,
            Err(e) => error = error.or(Some(driver_run::output_diagnostic(e))),
        }
    }
    let error = error.and_then(|d| diag_texts(&SourceMap::new(), &[d]).pop());
    RunReturn::Done(Box::new(RunData {
        spikes: prepared.spikes(res),
        rates: prepared.rates(res),
        reports: prepared.reports(res),
        warnings: diag_texts(&map, &prepared.warnings),
        summary: prepared.summary(path, &outcome),
        written,
        error,
        py_error,
        window: (tstart, tstop, run.dt),
        load_time: (prepared.load_time + outcome.build_time).as_secs_f64(),
        simulate_time: outcome.simulate_time.as_secs_f64(),
        threads: outcome.threads,
    }))
}

/// A report as a dict of numpy arrays: `data` has one row per time.
fn report_dict<'py>(py: Python<'py>, r: ReportData) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", r.name)?;
    d.set_item("variable", r.variable)?;
    d.set_item("unit", r.unit)?;
    d.set_item("times", PyArray1::from_vec(py, r.times))?;
    let parts = PyList::empty(py);
    for p in r.parts {
        let pd = PyDict::new(py);
        let cols = p.element_ids.len();
        let rows = p.data.len().checked_div(cols).unwrap_or(0);
        let mut data = p.data;
        data.truncate(rows * cols);
        pd.set_item("population", p.population)?;
        pd.set_item("node_ids", PyArray1::from_vec(py, p.node_ids))?;
        pd.set_item("index_pointer", PyArray1::from_vec(py, p.index_pointer))?;
        pd.set_item("element_ids", PyArray1::from_vec(py, p.element_ids))?;
        pd.set_item("element_pos", PyArray1::from_vec(py, p.element_pos))?;
        pd.set_item("data", PyArray1::from_vec(py, data).reshape([rows, cols])?)?;
        parts.append(pd)?;
    }
    d.set_item("parts", parts)?;
    Ok(d)
}

/// Checks every file through its front end (`.ndl` files with the
/// mechanisms they use, anything else as NMODL); the diagnostics.
#[pyfunction]
fn check(py: Python<'_>, paths: Vec<PathBuf>) -> PyResult<Bound<'_, PyList>> {
    let diags = py.detach(move || {
        let mut map = SourceMap::new();
        let mut all = Vec::new();
        for path in &paths {
            if path.extension().is_some_and(|e| e == "ndl") {
                all.extend(nmc::driver::ndl::check_file(&mut map, path).0.diagnostics);
            } else {
                all.extend(nmc::front::nmodl::check_file(&mut map, path).diagnostics);
            }
        }
        diag_texts(&map, &all)
    });
    diag_list(py, &diags)
}

/// One compiled mechanism, as plain data.
struct Compiled {
    file: PathBuf,
    info: Option<nmc::ir::interface::MechInfo>,
    kernels: Vec<String>,
    seconds: f64,
}

/// Compiles every `.mod` file through the whole compiler, machine code
/// included; per file its mechanism's interface, then all diagnostics.
#[pyfunction]
fn compile(py: Python<'_>, paths: Vec<PathBuf>) -> PyResult<Bound<'_, PyDict>> {
    let (compiled, diags) = py.detach(move || {
        let mut map = SourceMap::new();
        let mut all = Vec::new();
        let mut out = Vec::new();
        for path in paths {
            let t0 = Instant::now();
            let outcome = nmc::driver::pipeline::compile_file(&mut map, &path);
            let failed = outcome.failed();
            let mut diags = outcome.diagnostics;
            let mut info = None;
            let mut kernels = Vec::new();
            if let (false, Some(mech)) = (failed, &outcome.mechanism) {
                match nmc::back::cranelift::compile(mech) {
                    Ok(_) => {
                        kernels = mech
                            .kernels
                            .iter()
                            .map(|k| nmc::ir::print::kernel_name(k.kind))
                            .collect();
                        info = Some(nmc::driver::library::describe::describe(
                            mech,
                            outcome.module.as_ref(),
                            &path,
                        ));
                    }
                    Err(d) => diags.push(d),
                }
            }
            out.push(Compiled {
                file: path,
                info,
                kernels,
                seconds: t0.elapsed().as_secs_f64(),
            });
            all.extend(diags);
        }
        (out, diag_texts(&map, &all))
    });
    let list = PyList::empty(py);
    for c in compiled {
        let d = PyDict::new(py);
        d.set_item("file", c.file)?;
        d.set_item("seconds", c.seconds)?;
        match c.info {
            Some(info) => {
                d.set_item("name", info.name)?;
                d.set_item(
                    "kind",
                    match info.kind {
                        nmc::ir::MechKind::Density => "density",
                        nmc::ir::MechKind::PointProcess => "point_process",
                        nmc::ir::MechKind::ArtificialCell => "artificial_cell",
                    },
                )?;
                d.set_item("ions", info.ions)?;
                d.set_item("kernels", c.kernels)?;
                d.set_item("receives_events", info.receives_events)?;
                d.set_item("weight_unit", info.weight_unit)?;
                let vars = PyList::empty(py);
                for v in info.vars {
                    vars.append((v.name, v.unit, v.default, v.settable, v.global, v.ion))?;
                }
                d.set_item("variables", vars)?;
            }
            None => d.set_item("name", py.None())?,
        }
        list.append(d)?;
    }
    let out = PyDict::new(py);
    out.set_item("mechanisms", list)?;
    out.set_item("diagnostics", diag_list(py, &diags)?)?;
    Ok(out)
}

/// A run's spikes as columns: population names, then per spike its
/// population (index), node id and time.
type Columns = (Vec<String>, Vec<u32>, Vec<u64>, Vec<f64>);

/// What an analysis hands back across the GIL boundary.
struct Analysis {
    stats_json: String,
    table: String,
    figures: Vec<(&'static str, Vec<u8>)>,
}

/// Analyses spikes (a spike file at `path`, or columns of a run) grouped
/// as `config` / `network` / `group_by` say; figures in `figures` format
/// (`png`, `svg` or none).
#[pyfunction]
#[pyo3(signature = (path, columns, config, network, group_by, bin, smooth, figures))]
#[allow(clippy::too_many_arguments)]
fn analyze<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    columns: Option<Columns>,
    config: Option<PathBuf>,
    network: Option<PathBuf>,
    group_by: String,
    bin: f64,
    smooth: f64,
    figures: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let result = py.detach(move || -> Result<Analysis, Vec<DiagText>> {
        let settings = Settings { bin, smooth };
        let mut map = SourceMap::new();
        let fail = |map: &SourceMap, d: Vec<Diagnostic>| diag_texts(map, &d);
        if !(bin > 0.0 && bin.is_finite()) {
            return Err(bare(
                "E1904",
                format!("bin={bin} must be a positive number of ms"),
            ));
        }
        if !(smooth >= 0.0 && smooth.is_finite()) {
            return Err(bare(
                "E1904",
                format!("smooth={smooth} must be zero or a positive number of ms"),
            ));
        }
        let spikes: Vec<SpikeColumns> = match (&path, columns) {
            (Some(p), _) => nmc::analyze::data::read_columns(p).map_err(|e| bare("E1901", e))?,
            (None, Some((pops, pop, ids, times))) => {
                let mut cols: Vec<SpikeColumns> = pops
                    .iter()
                    .map(|p| SpikeColumns {
                        population: p.clone(),
                        ..SpikeColumns::default()
                    })
                    .collect();
                for ((p, id), t) in pop.iter().zip(ids).zip(times) {
                    if let Some(c) = cols.get_mut(*p as usize) {
                        c.node_ids.push(id);
                        c.times.push(t);
                    }
                }
                cols
            }
            (None, None) => return Err(bare("E1901", "no spikes given".to_string())),
        };
        let grouping = match (&config, &network) {
            (Some(c), _) => Grouping::Sonata {
                config: c,
                column: &group_by,
            },
            (None, Some(n)) => Grouping::Ndl {
                network: n,
                column: &group_by,
            },
            (None, None) => Grouping::Populations,
        };
        let ds = Dataset::join(&mut map, &spikes, grouping).map_err(|d| fail(&map, d))?;
        nmc::analyze::check_window(&ds, &settings).map_err(|d| fail(&map, vec![d]))?;
        let st = stats::all(&ds, &settings);
        let mut pictures = Vec::new();
        let draw_err = |e: String| bare("E1903", format!("cannot draw: {e}"));
        for p in Plot::ALL {
            let bytes = match figures.as_deref() {
                Some("png") => plot::encode_png(
                    &plot::render_rgb(p, &ds, &settings).map_err(draw_err)?,
                    plot::WIDTH,
                    plot::HEIGHT,
                )
                .map_err(draw_err)?,
                Some("svg") => plot::render_svg(p, &ds, &settings)
                    .map_err(draw_err)?
                    .into_bytes(),
                _ => continue,
            };
            pictures.push((p.stem(), bytes));
        }
        Ok(Analysis {
            stats_json: stats::to_json(&ds, &st),
            table: stats::table(&ds, &st),
            figures: pictures,
        })
    });
    let out = PyDict::new(py);
    match result {
        Ok(a) => {
            out.set_item("stats_json", a.stats_json)?;
            out.set_item("table", a.table)?;
            let figs = PyDict::new(py);
            for (name, bytes) in a.figures {
                figs.set_item(name, PyBytes::new(py, &bytes))?;
            }
            out.set_item("figures", figs)?;
        }
        Err(diags) => out.set_item("diagnostics", diag_list(py, &diags)?)?,
    }
    Ok(out)
}

/// Reads a SONATA spike file: population names, then per spike its
/// population (index), node id and time; or the diagnostic.
#[pyfunction]
fn read_spikes(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyDict>> {
    let read = py.detach(move || nmc::analyze::data::read_columns(&path));
    let out = PyDict::new(py);
    match read {
        Ok(cols) => {
            let mut pop = Vec::new();
            let mut ids = Vec::new();
            let mut times = Vec::new();
            for (k, c) in cols.iter().enumerate() {
                pop.extend(std::iter::repeat_n(k as u32, c.times.len()));
                ids.extend_from_slice(&c.node_ids);
                times.extend_from_slice(&c.times);
            }
            let names: Vec<&str> = cols.iter().map(|c| c.population.as_str()).collect();
            out.set_item("populations", names)?;
            out.set_item("population", PyArray1::from_vec(py, pop))?;
            out.set_item("node_ids", PyArray1::from_vec(py, ids))?;
            out.set_item("timestamps", PyArray1::from_vec(py, times))?;
        }
        Err(e) => out.set_item("diagnostics", diag_list(py, &bare("E1901", e))?)?,
    }
    Ok(out)
}

/// The native module.
#[pymodule]
fn _nmc(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(read_spikes, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
