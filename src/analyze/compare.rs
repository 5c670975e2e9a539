//! Two spike files of the same network, group by group: rate difference,
//! volley and first-spike timing differences, and the fraction of spikes
//! matched within a tolerance. The check of nmc against NEURON.

use super::data::{Dataset, Group};
use super::volleys::{self, Volley};
use serde::Serialize;

/// Volleys whose starts are further apart than this (ms) are not paired.
pub const VOLLEY_MATCH: f64 = 10.0;

/// How one group differs between run A and run B.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupDiff {
    /// Group name.
    pub group: String,
    /// Cells (from A).
    pub cells: usize,
    /// Spikes in A and in B.
    pub spikes: (usize, usize),
    /// Mean rates (Hz) in A and in B.
    pub rate_hz: (f64, f64),
    /// Spikes paired one to one on the same cell within the tolerance.
    pub matched: usize,
    /// Volleys in A and in B (see [`volleys`]).
    pub volleys: (usize, usize),
    /// Volleys paired (starts within [`VOLLEY_MATCH`] ms).
    pub volleys_matched: usize,
    /// Largest |start B - start A| over paired volleys (ms).
    pub volley_offset_max: Option<f64>,
    /// Mean |start B - start A| over paired volleys (ms).
    pub volley_offset_mean: Option<f64>,
    /// First spike of the group in A and in B (ms).
    pub first_spike: (Option<f64>, Option<f64>),
    /// Cells that fired in both runs.
    pub cells_in_both: usize,
    /// Largest |first spike B - first spike A| over those cells (ms).
    pub first_spike_offset_max: Option<f64>,
    /// Mean of the same (ms).
    pub first_spike_offset_mean: Option<f64>,
}

impl GroupDiff {
    /// Rate of B minus rate of A (Hz).
    pub fn rate_diff(&self) -> f64 {
        self.rate_hz.1 - self.rate_hz.0
    }

    /// The rate difference relative to A (0 when A is 0 and B is too).
    pub fn rate_rel(&self) -> f64 {
        let d = self.rate_diff();
        if self.rate_hz.0 != 0.0 {
            d / self.rate_hz.0
        } else if d == 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    }

    /// Matched spikes over the larger of the two counts (1 when both are
    /// empty).
    pub fn matched_fraction(&self) -> f64 {
        let n = self.spikes.0.max(self.spikes.1);
        if n == 0 {
            1.0
        } else {
            self.matched as f64 / n as f64
        }
    }
}

/// Pairs the spikes of two sorted trains one to one when they are at most
/// `tol` ms apart (a greedy merge, which pairs as many as possible) and
/// returns how many were paired.
pub fn match_trains(a: &[f64], b: &[f64], tol: f64) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let d = a[i] - b[j];
        if d.abs() <= tol {
            n += 1;
            i += 1;
            j += 1;
        } else if d < 0.0 {
            i += 1;
        } else {
            j += 1;
        }
    }
    n
}

fn mean_max(d: &[f64]) -> (Option<f64>, Option<f64>) {
    if d.is_empty() {
        return (None, None);
    }
    let max = d.iter().copied().fold(0.0, f64::max);
    (Some(max), Some(d.iter().sum::<f64>() / d.len() as f64))
}

fn group_volleys(g: &Group) -> Vec<Volley> {
    volleys::detect(&g.by_time, g.cells())
}

/// Compares group `a` with group `b` (the same cells, in the same order).
pub fn diff_group(a: &Group, b: &Group, secs_a: f64, secs_b: f64, tol: f64) -> GroupDiff {
    let rate = |g: &Group, secs: f64| {
        if g.cells() == 0 || secs <= 0.0 {
            0.0
        } else {
            g.spike_count() as f64 / g.cells() as f64 / secs
        }
    };
    let matched = a
        .trains
        .iter()
        .zip(&b.trains)
        .map(|(x, y)| match_trains(x, y, tol))
        .sum();
    let (va, vb) = (group_volleys(a), group_volleys(b));
    let pairs = volleys::match_volleys(&va, &vb, VOLLEY_MATCH);
    let offs: Vec<f64> = pairs
        .iter()
        .map(|&(i, j)| (vb[j].start - va[i].start).abs())
        .collect();
    let (volley_offset_max, volley_offset_mean) = mean_max(&offs);
    let first: Vec<f64> = a
        .trains
        .iter()
        .zip(&b.trains)
        .filter_map(|(x, y)| Some((y.first()? - x.first()?).abs()))
        .collect();
    let (first_spike_offset_max, first_spike_offset_mean) = mean_max(&first);
    let first_of = |g: &Group| {
        g.trains
            .iter()
            .filter_map(|t| t.first().copied())
            .min_by(f64::total_cmp)
    };
    GroupDiff {
        group: a.name.clone(),
        cells: a.cells(),
        spikes: (a.spike_count(), b.spike_count()),
        rate_hz: (rate(a, secs_a), rate(b, secs_b)),
        matched,
        volleys: (va.len(), vb.len()),
        volleys_matched: pairs.len(),
        volley_offset_max,
        volley_offset_mean,
        first_spike: (first_of(a), first_of(b)),
        cells_in_both: first.len(),
        first_spike_offset_max,
        first_spike_offset_mean,
    }
}

/// Compares every group of `a` with the group of the same name in `b`
/// (an empty group when `b` lacks it).
pub fn compare(a: &Dataset, b: &Dataset, tol: f64) -> Vec<GroupDiff> {
    a.groups
        .iter()
        .map(|ga| {
            let empty;
            let gb = match b.groups.iter().find(|g| g.name == ga.name) {
                Some(g) => g,
                None => {
                    empty = Group {
                        name: ga.name.clone(),
                        rows: ga.rows.clone(),
                        trains: vec![Vec::new(); ga.cells()],
                        by_time: Vec::new(),
                        nodes: ga.nodes.clone(),
                    };
                    &empty
                }
            };
            diff_group(ga, gb, a.seconds(), b.seconds(), tol)
        })
        .collect()
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.3} ms"))
}

/// The report `nmc compare` prints.
pub fn report(diffs: &[GroupDiff], tol: f64) -> String {
    let mut s = format!(
        "  {:<12} {:>6} {:>8} {:>8} {:>10} {:>10} {:>18} {:>9}\n",
        "group", "cells", "spikes A", "spikes B", "rate A", "rate B", "B - A", "matched"
    );
    for d in diffs {
        s.push_str(&format!(
            "  {:<12} {:>6} {:>8} {:>8} {:>7.2} Hz {:>7.2} Hz {:>+7.3} Hz ({:>+6.2}%) {:>8.2}%\n",
            d.group,
            d.cells,
            d.spikes.0,
            d.spikes.1,
            d.rate_hz.0,
            d.rate_hz.1,
            d.rate_diff(),
            100.0 * d.rate_rel(),
            100.0 * d.matched_fraction()
        ));
    }
    s.push_str(&format!(
        "  (matched: spikes of the same cell paired one to one within {tol} ms, over the larger count)\n"
    ));
    s.push_str(&format!(
        "volleys (at least {:.0}% of a group's cells within {} ms; paired when starts are within {} ms):\n",
        100.0 * volleys::VOLLEY_FRACTION,
        volleys::VOLLEY_WINDOW,
        VOLLEY_MATCH
    ));
    for d in diffs {
        s.push_str(&format!(
            "  {:<12} A {:>3}  B {:>3}  paired {:>3}  start offset max {}  mean {}\n",
            d.group,
            d.volleys.0,
            d.volleys.1,
            d.volleys_matched,
            ms(d.volley_offset_max),
            ms(d.volley_offset_mean)
        ));
    }
    s.push_str("first spikes:\n");
    for d in diffs {
        let delta = match d.first_spike {
            (Some(a), Some(b)) => format!("{:+.3} ms", b - a),
            _ => "-".to_string(),
        };
        s.push_str(&format!(
            "  {:<12} A {}  B {}  B - A {}; per cell ({} fired in both) max |B - A| {}  mean {}\n",
            d.group,
            ms(d.first_spike.0),
            ms(d.first_spike.1),
            delta,
            d.cells_in_both,
            ms(d.first_spike_offset_max),
            ms(d.first_spike_offset_mean)
        ));
    }
    s
}
