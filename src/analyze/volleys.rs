//! Volleys: bursts in which a large part of a group fires together, like
//! an interneuron population whose 50 cells fire within about a millisecond.
//!
//! Definition: scanning the group's spikes in time order, a volley starts
//! at spike time `t0` when at least [`VOLLEY_FRACTION`] of the group's
//! cells (distinct cells, at least two) fire in `[t0, t0 + VOLLEY_WINDOW)`;
//! the volley is those spikes, its start `t0` (its first spike), and the
//! scan resumes at `t0 + VOLLEY_WINDOW`. Irregular firing (200 cells at
//! 22 Hz, about 22 spikes per 5 ms) makes no volley.

/// Width (ms) of the window a volley's spikes fall in.
pub const VOLLEY_WINDOW: f64 = 5.0;
/// Fraction of the group's cells that must fire in the window.
pub const VOLLEY_FRACTION: f64 = 0.5;

/// One volley.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Volley {
    /// Time of its first spike (ms).
    pub start: f64,
    /// Time of its last spike (ms).
    pub end: f64,
    /// Number of spikes in it.
    pub spikes: usize,
    /// Number of distinct cells that fired in it.
    pub cells: usize,
}

/// The volleys of a group: `spikes` are `(cell, time)` pairs sorted by
/// time, `cells` the group's size.
pub fn detect(spikes: &[(usize, f64)], cells: usize) -> Vec<Volley> {
    let need = ((VOLLEY_FRACTION * cells as f64).ceil() as usize).max(2);
    let mut out = Vec::new();
    let mut seen = vec![usize::MAX; cells];
    let mut i = 0;
    let mut j = 0;
    while i < spikes.len() {
        let t0 = spikes[i].1;
        j = j.max(i);
        while j < spikes.len() && spikes[j].1 < t0 + VOLLEY_WINDOW {
            j += 1;
        }
        if j - i >= need {
            // Enough spikes; are they from enough distinct cells?
            let mut distinct = 0;
            for &(c, _) in &spikes[i..j] {
                if let Some(s) = seen.get_mut(c)
                    && *s != i
                {
                    *s = i;
                    distinct += 1;
                }
            }
            if distinct >= need {
                out.push(Volley {
                    start: t0,
                    end: spikes[j - 1].1,
                    spikes: j - i,
                    cells: distinct,
                });
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// The `(cell, time)` spikes of a group's trains, sorted by time.
pub fn merged(trains: &[Vec<f64>]) -> Vec<(usize, f64)> {
    let mut v: Vec<(usize, f64)> = trains
        .iter()
        .enumerate()
        .flat_map(|(c, tr)| tr.iter().map(move |&t| (c, t)))
        .collect();
    v.sort_unstable_by(|a, b| a.1.total_cmp(&b.1));
    v
}

/// Pairs the volleys of two runs in time order: volley starts closer than
/// `max_offset` ms are matched (a merge of the two sorted lists).
/// Returns `(index in a, index in b)` pairs.
pub fn match_volleys(a: &[Volley], b: &[Volley], max_offset: f64) -> Vec<(usize, usize)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let d = a[i].start - b[j].start;
        if d.abs() <= max_offset {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if d < 0.0 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}
