//! `nmc analyze SPIKES.h5`: statistics table, `stats.json`, `stats.csv`,
//! `cell_rates.csv` and the pictures; also the last step of `nmc run --analyze`.

use super::{EXIT_ERRORS, EXIT_OK};
use crate::analyze::plot::{self, ImageFormat};
use crate::analyze::{Dataset, Grouping, Settings, stats};
use crate::diag::{self, Diagnostic, SourceMap};
use std::path::Path;
use std::time::Instant;

/// What to compute and draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Picture format.
    pub format: ImageFormat,
    /// Bin width and smoothing.
    pub settings: Settings,
    /// Print the timing of each step on stderr.
    pub timing: bool,
    /// Analyse only `[start, stop]` ms instead of the run's window.
    pub window: Option<(f64, f64)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: ImageFormat::Png,
            settings: Settings::default(),
            timing: false,
            window: None,
        }
    }
}

/// Parses `--window START:STOP` (ms): two finite numbers, START < STOP.
pub fn parse_window(text: &str) -> Result<(f64, f64), String> {
    let (a, b) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not START:STOP (in ms, e.g. `200:800`)"))?;
    let num = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("`{s}` is not a number of ms"))
    };
    let (start, stop) = (num(a)?, num(b)?);
    if start >= stop {
        return Err(format!(
            "the window starts at {start} ms, not before its end at {stop} ms"
        ));
    }
    Ok((start, stop))
}

/// Checks the numeric options.
pub fn check_settings(s: &Settings) -> Result<(), Diagnostic> {
    if !(s.bin > 0.0 && s.bin.is_finite()) {
        return Err(Diagnostic::error(
            "E1904",
            format!("`--bin {}` must be a positive number of ms", s.bin),
        )
        .with_help("try `--bin 5`"));
    }
    if !(s.smooth >= 0.0 && s.smooth.is_finite()) {
        return Err(Diagnostic::error(
            "E1904",
            format!(
                "`--smooth {}` must be zero or a positive number of ms",
                s.smooth
            ),
        )
        .with_help("try `--smooth 20` (0 turns smoothing off)"));
    }
    Ok(())
}

/// Runs the analysis of `spikes` and prints the table and the paths written.
pub fn run(
    spikes: &Path,
    grouping: Grouping<'_>,
    out_dir: &Path,
    opts: &Options,
    color: bool,
) -> i32 {
    let mut map = SourceMap::new();
    match analyze(&mut map, spikes, grouping, out_dir, opts) {
        Ok(()) => EXIT_OK,
        Err(diags) => {
            eprint!("{}", diag::render_human(&map, &diags, color));
            EXIT_ERRORS
        }
    }
}

/// Loads, computes, prints and writes; diagnostics on failure.
pub fn analyze(
    map: &mut SourceMap,
    spikes: &Path,
    grouping: Grouping<'_>,
    out_dir: &Path,
    opts: &Options,
) -> Result<(), Vec<Diagnostic>> {
    check_settings(&opts.settings).map_err(|d| vec![d])?;
    let t0 = Instant::now();
    let mut ds = Dataset::load(map, spikes, grouping)?;
    if let Some((start, stop)) = opts.window {
        ds.restrict(start, stop);
    }
    crate::analyze::check_window(&ds, &opts.settings).map_err(|d| vec![d])?;
    let t1 = Instant::now();
    let st = stats::all(&ds, &opts.settings);
    let t2 = Instant::now();
    let e1903 = |e: String| vec![Diagnostic::error("E1903", e)];
    std::fs::create_dir_all(out_dir)
        .map_err(|e| e1903(format!("cannot create {}: {e}", out_dir.display())))?;
    let json = out_dir.join("stats.json");
    let csv = out_dir.join("stats.csv");
    let cells_csv = out_dir.join("cell_rates.csv");
    for (path, text) in [
        (&json, stats::to_json(&ds, &st)),
        (&csv, stats::to_csv(&st)),
        (&cells_csv, stats::cells_to_csv(&st)),
    ] {
        crate::io::write_atomic(path, text.as_bytes())
            .map_err(|e| e1903(format!("cannot write {}: {e}", path.display())))?;
    }
    let pictures = plot::write_all(&ds, &opts.settings, out_dir, opts.format).map_err(e1903)?;
    let t3 = Instant::now();
    let total: usize = st.iter().map(|g| g.spikes).sum();
    outln!(
        "analyzed {}: {} spikes of {} cells, {} to {} ms",
        spikes.display(),
        total,
        st.iter().map(|g| g.cells).sum::<usize>(),
        crate::units::format_number(ds.tstart),
        crate::units::format_number(ds.tstop)
    );
    if ds.dropped > 0 {
        outln!(
            "  ({} spikes left out: outside the window or from nodes the network lacks)",
            ds.dropped
        );
    }
    out!("{}", stats::table(&ds, &st));
    for p in [&json, &csv, &cells_csv].into_iter().chain(&pictures) {
        outln!("wrote {}", p.display());
    }
    if opts.timing {
        eprintln!(
            "timing: read + join {:.3} s, statistics {:.3} s, files + pictures {:.3} s",
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            (t3 - t2).as_secs_f64()
        );
    }
    Ok(())
}
