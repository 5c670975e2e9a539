//! Spike analysis: what a BMTK user's notebook (bmtool) shows after a run,
//! computed in Rust from a SONATA spike file.
//!
//! - [`data`] joins spikes with the cells they came from and groups them
//!   (by `pop_name` or any node column of a SONATA circuit, or by NDL
//!   population);
//! - [`rate`] bins and smooths population rates;
//! - [`spectrum`] the FFT and the dominant frequency of a rate;
//! - [`volleys`] finds bursts of population activity;
//! - [`stats`] the per-group numbers (`stats.json`, `stats.csv`, the table);
//! - [`plot`] the raster, rate and rate-distribution pictures;
//! - [`compare`] two spike files of the same network, group by group.
//!
//! Diagnostic codes: `E1901` a spike or node file that cannot be read,
//! `E1902` a `--group-by` column no node has, `E1903` an output that cannot
//! be written, `E1904` an option out of range, `E1905` a window and bin
//! width whose rates would not fit in memory.

use crate::diag;

pub mod compare;
pub mod data;
pub mod plot;
pub mod rate;
pub mod spectrum;
pub mod stats;
pub mod volleys;

pub use data::{Dataset, Group, Grouping};
pub use stats::GroupStats;

/// Settings shared by the analysis and the plots.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Bin width (ms) of the raw population rate and of the Fano factor.
    pub bin: f64,
    /// Standard deviation (ms) of the Gaussian that smooths the plotted rate.
    pub smooth: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bin: 5.0,
            smooth: 20.0,
        }
    }
}

/// E1905 when the binned rates of `ds` (its window in `settings.bin` bins
/// for the statistics and the pictures, in 1 ms bins for the spectrum)
/// would not fit in memory: checked before any of them is allocated.
pub fn check_window(ds: &Dataset, settings: &Settings) -> Result<(), diag::Diagnostic> {
    let span = ds.tstop - ds.tstart;
    let bins = (span / settings.bin).ceil().max(1.0);
    let ms_bins = (span / spectrum::SPECTRUM_BIN).ceil().max(1.0);
    let groups = ds.groups.len().max(1) as f64;
    // Rates, counts and smoothed rates per group kept for the pictures;
    // the spectrum's padded complex buffers (about 200 bytes a 1 ms bin).
    let bytes = bins * 8.0 * (4.0 + 2.0 * groups) + ms_bins * 200.0;
    crate::io::check_memory(bytes).map_err(|m| {
        diag::Diagnostic::error(
            "E1905",
            format!(
                "the spikes span {} to {} ms: {} bins of {} ms {m}",
                crate::units::format_number(ds.tstart),
                crate::units::format_number(ds.tstop),
                crate::units::format_number(bins),
                crate::units::format_number(settings.bin),
            ),
        )
        .with_help("check the spike times for a stray huge value, or use a larger `--bin`")
    })
}
