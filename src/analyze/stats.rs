//! Per-group statistics: the numbers network modellers ask about ("1-10
//! Hz", "irregular, asynchronous", "gamma 30-80 Hz"), written as a table,
//! `stats.json` and `stats.csv`.

use super::data::{Dataset, Group};
use super::{Settings, rate, spectrum, volleys};
use serde::Serialize;

/// The statistics of one group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupStats {
    /// Group name.
    pub group: String,
    /// Number of cells.
    pub cells: usize,
    /// Number of spikes in the window.
    pub spikes: usize,
    /// Cells with at least one spike.
    pub active_cells: usize,
    /// Mean over cells of spikes / window (Hz).
    pub rate_mean_hz: f64,
    /// Standard deviation over cells of the rate (Hz, n - 1 in the
    /// denominator; 0 for one cell).
    pub rate_sd_hz: f64,
    /// Mean over cells with at least two intervals of each cell's
    /// coefficient of variation of inter-spike intervals (sd / mean, n - 1);
    /// 1 for a Poisson process, 0 for a clock. `None` when no cell has two
    /// intervals.
    pub cv_isi: Option<f64>,
    /// Fano factor (variance / mean, n in the denominator) of the group's
    /// spike count in `bin_ms` bins: about 1 for independent Poisson cells,
    /// large when the cells fire together. `None` without spikes.
    pub fano: Option<f64>,
    /// Bin width of the Fano factor (ms).
    pub bin_ms: f64,
    /// Peak of the power spectrum of the population rate (Hz); see
    /// [`spectrum::dominant_frequency`].
    pub peak_frequency_hz: Option<f64>,
    /// Number of volleys (see [`volleys`]).
    pub volleys: usize,
    /// Start (first spike) of each volley (ms).
    pub volley_starts_ms: Vec<f64>,
    /// Time of the group's first spike (ms).
    pub first_spike_ms: Option<f64>,
    /// Every cell's spike count and rate in the window.
    pub cell_rates: Vec<CellRate>,
}

/// The firing of one cell in the window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CellRate {
    /// SONATA node population (empty when unknown).
    pub population: String,
    /// Node id within the population (the raster row when unknown).
    pub node_id: u64,
    /// Spikes in the window.
    pub spikes: usize,
    /// Spikes / window (Hz).
    pub rate_hz: f64,
}

fn mean_sd(x: &[f64]) -> (f64, f64) {
    if x.is_empty() {
        return (0.0, 0.0);
    }
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    if x.len() < 2 {
        return (m, 0.0);
    }
    let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
    (m, v.sqrt())
}

/// Coefficient of variation of the inter-spike intervals of one sorted
/// train; `None` with fewer than two intervals or a zero mean interval.
pub fn cv_isi(train: &[f64]) -> Option<f64> {
    if train.len() < 3 {
        return None;
    }
    let isi: Vec<f64> = train.windows(2).map(|w| w[1] - w[0]).collect();
    let (m, sd) = mean_sd(&isi);
    (m > 0.0).then(|| sd / m)
}

/// Fano factor (variance / mean) of `counts`; `None` when the mean is 0.
pub fn fano(counts: &[f64]) -> Option<f64> {
    if counts.is_empty() {
        return None;
    }
    let n = counts.len() as f64;
    let m = counts.iter().sum::<f64>() / n;
    if m <= 0.0 {
        return None;
    }
    let v = counts.iter().map(|c| (c - m) * (c - m)).sum::<f64>() / n;
    Some(v / m)
}

/// Computes the statistics of `group` over the dataset's window.
pub fn group_stats(ds: &Dataset, group: &Group, settings: &Settings) -> GroupStats {
    let secs = ds.seconds();
    let rates: Vec<f64> = group
        .trains
        .iter()
        .map(|t| {
            if secs > 0.0 {
                t.len() as f64 / secs
            } else {
                0.0
            }
        })
        .collect();
    let (rate_mean_hz, rate_sd_hz) = mean_sd(&rates);
    let cvs: Vec<f64> = group.trains.iter().filter_map(|t| cv_isi(t)).collect();
    let times = group.all_times();
    let n = rate::bin_count(ds.tstart, ds.tstop, settings.bin);
    let counts = rate::counts(&times, ds.tstart, settings.bin, n);
    let found = volleys::detect(&group.by_time, group.cells());
    GroupStats {
        group: group.name.clone(),
        cells: group.cells(),
        spikes: times.len(),
        active_cells: group.trains.iter().filter(|t| !t.is_empty()).count(),
        rate_mean_hz,
        rate_sd_hz,
        cv_isi: (!cvs.is_empty()).then(|| mean_sd(&cvs).0),
        fano: fano(&counts),
        bin_ms: settings.bin,
        peak_frequency_hz: spectrum::dominant_frequency(&times, group.cells(), ds.tstart, ds.tstop),
        volleys: found.len(),
        volley_starts_ms: found.iter().map(|v| v.start).collect(),
        first_spike_ms: times.first().copied(),
        cell_rates: group
            .trains
            .iter()
            .zip(&rates)
            .enumerate()
            .map(|(k, (t, &rate_hz))| {
                let (population, node_id) =
                    group.nodes.get(k).cloned().unwrap_or_else(|| {
                        (String::new(), group.rows.get(k).copied().unwrap_or(0))
                    });
                CellRate {
                    population,
                    node_id,
                    spikes: t.len(),
                    rate_hz,
                }
            })
            .collect(),
    }
}

/// The statistics of every group, in the dataset's order.
pub fn all(ds: &Dataset, settings: &Settings) -> Vec<GroupStats> {
    ds.groups
        .iter()
        .map(|g| group_stats(ds, g, settings))
        .collect()
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.digits$}"))
}

/// The table printed on stdout.
pub fn table(ds: &Dataset, stats: &[GroupStats]) -> String {
    let mut s = format!(
        "  {:<12} {:>6} {:>8} {:>10} {:>9} {:>7} {:>8} {:>10} {:>8}\n",
        ds.group_by, "cells", "spikes", "rate", "sd", "CV ISI", "Fano", "peak", "volleys"
    );
    for g in stats {
        s.push_str(&format!(
            "  {:<12} {:>6} {:>8} {:>7.2} Hz {:>6.2} Hz {:>7} {:>8} {:>7} Hz {:>8}\n",
            g.group,
            g.cells,
            g.spikes,
            g.rate_mean_hz,
            g.rate_sd_hz,
            opt(g.cv_isi, 2),
            opt(g.fano, 2),
            opt(g.peak_frequency_hz, 1),
            g.volleys
        ));
    }
    s
}

/// The layout of `stats.json`.
#[derive(Serialize)]
struct StatsFile<'a> {
    tstart_ms: f64,
    tstop_ms: f64,
    group_by: &'a str,
    dropped_spikes: usize,
    groups: &'a [GroupStats],
}

/// `stats.json`: the window, the grouping and one object per group.
pub fn to_json(ds: &Dataset, stats: &[GroupStats]) -> String {
    let v = StatsFile {
        tstart_ms: ds.tstart,
        tstop_ms: ds.tstop,
        group_by: &ds.group_by,
        dropped_spikes: ds.dropped,
        groups: stats,
    };
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// A CSV field, quoted when it holds a comma or a quote.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `cell_rates.csv`: one row per cell (group, population, node id, spikes
/// in the window, rate in Hz), groups in the dataset's order.
pub fn cells_to_csv(stats: &[GroupStats]) -> String {
    let mut s = String::from("group,population,node_id,spikes,rate_hz\n");
    for g in stats {
        let name = csv_field(&g.group);
        for c in &g.cell_rates {
            s.push_str(&format!(
                "{name},{},{},{},{}\n",
                csv_field(&c.population),
                c.node_id,
                c.spikes,
                c.rate_hz
            ));
        }
    }
    s
}

/// `stats.csv`: one row per group, empty cells for missing values.
pub fn to_csv(stats: &[GroupStats]) -> String {
    let f = |v: Option<f64>| v.map_or_else(String::new, |x| x.to_string());
    let mut s = String::from(
        "group,cells,spikes,active_cells,rate_mean_hz,rate_sd_hz,cv_isi,fano,bin_ms,peak_frequency_hz,volleys,first_spike_ms\n",
    );
    for g in stats {
        let name = csv_field(&g.group);
        s.push_str(&format!(
            "{name},{},{},{},{},{},{},{},{},{},{},{}\n",
            g.cells,
            g.spikes,
            g.active_cells,
            g.rate_mean_hz,
            g.rate_sd_hz,
            f(g.cv_isi),
            f(g.fano),
            g.bin_ms,
            f(g.peak_frequency_hz),
            g.volleys,
            f(g.first_spike_ms)
        ));
    }
    s
}
