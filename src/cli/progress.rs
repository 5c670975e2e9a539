//! The progress bar of `nmc run`: it appears on stderr (only when stderr
//! is a terminal, which indicatif checks) once a simulation has run for a
//! second, and shows simulated time and an estimate of the time left.

use crate::sim::{Drain, Results, SimError, SimErrorKind, Simulation, Traffic, Transport};
use std::time::{Duration, Instant};

/// Runs `sim` from `tstart` to `tstop` (ms), with a progress bar unless
/// `quiet`; with `comm`, as this process's rank of a run over ranks (see
/// [`Simulation::run_ranks`]), returning the ranks' traffic too. With
/// `drain`, the results go to it as the run goes on (see
/// [`Simulation::run_draining`]; over ranks, once at the end).
pub fn simulate(
    sim: &mut Simulation,
    tstart: f64,
    tstop: f64,
    quiet: bool,
    comm: Option<&mut dyn Transport>,
    drain: Option<&mut Drain<'_>>,
) -> (Results, Vec<Traffic>) {
    let span = (tstop - tstart).max(f64::MIN_POSITIVE);
    let start = Instant::now();
    let mut bar: Option<indicatif::ProgressBar> = None;
    let mut progress = |t: f64| {
        if quiet {
            return;
        }
        if bar.is_none() && start.elapsed() > Duration::from_secs(1) {
            let b = indicatif::ProgressBar::new(1000);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {msg} (eta {eta})",
            ) {
                b.set_style(style);
            }
            bar = Some(b);
        }
        if let Some(b) = &bar {
            let frac = ((t - tstart) / span).clamp(0.0, 1.0);
            b.set_position((frac * 1000.0) as u64);
            b.set_message(format!("t = {t:.1} ms"));
        }
    };
    let out = match (comm, drain) {
        (Some(c), drain) => {
            let (mut results, traffic) = sim.run_ranks(&mut progress, c);
            if let Some(drain) = drain
                && !drain(&mut results, &mut Vec::new())
                && results.error.is_none()
            {
                results.error = Some(SimError::new(
                    SimErrorKind::Interrupted,
                    "the recorded samples could not be written",
                ));
            }
            (results, traffic)
        }
        (None, Some(drain)) => {
            let mut go_on = |t: f64| {
                progress(t);
                true
            };
            (sim.run_draining(&mut go_on, drain), Vec::new())
        }
        (None, None) => (sim.run(&mut progress), Vec::new()),
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    out
}
