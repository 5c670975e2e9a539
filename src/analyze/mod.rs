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
//! be written, `E1904` an option out of range.

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
