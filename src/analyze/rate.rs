//! Population rates: spike counts in fixed bins turned into Hz per cell,
//! and their Gaussian smoothing.

/// Number of bins of width `bin` (ms) that cover `[tstart, tstop)`; at
/// least one.
pub fn bin_count(tstart: f64, tstop: f64, bin: f64) -> usize {
    (((tstop - tstart) / bin).ceil().max(1.0)) as usize
}

/// Spike counts of `times` (ms) in `n` bins of width `bin` from `tstart`;
/// a spike exactly at the end of the last bin counts in the last bin.
pub fn counts(times: &[f64], tstart: f64, bin: f64, n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n];
    for &t in times {
        let k = ((t - tstart) / bin).floor();
        if k >= 0.0 {
            let k = (k as usize).min(n.saturating_sub(1));
            if let Some(slot) = c.get_mut(k) {
                *slot += 1.0;
            }
        }
    }
    c
}

/// The population rate (Hz per cell) in each bin: counts / cells / bin.
pub fn population_rate(times: &[f64], cells: usize, tstart: f64, bin: f64, n: usize) -> Vec<f64> {
    let scale = if cells == 0 {
        0.0
    } else {
        1000.0 / (cells as f64 * bin)
    };
    counts(times, tstart, bin, n)
        .into_iter()
        .map(|c| c * scale)
        .collect()
}

/// Convolves `x` (samples `step` ms apart) with a Gaussian of standard
/// deviation `sigma` ms, cut at 4 sigma. Near the ends the kernel is
/// renormalised over the samples that exist, so a constant stays constant.
pub fn gaussian_smooth(x: &[f64], step: f64, sigma: f64) -> Vec<f64> {
    if sigma <= 0.0 || x.is_empty() {
        return x.to_vec();
    }
    let s = sigma / step;
    let n = x.len();
    // Entries of the kernel further than n - 1 from its centre are never
    // used: a kernel wider than the data is cut there (no huge allocation
    // for `--smooth 1e300`).
    let half = (4.0 * s).ceil().min((n - 1) as f64) as usize;
    let kernel: Vec<f64> = (0..=2 * half)
        .map(|i| {
            let d = i as f64 - half as f64;
            (-0.5 * d * d / (s * s)).exp()
        })
        .collect();
    (0..n)
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half).min(n - 1);
            let (mut sum, mut w) = (0.0, 0.0);
            for (j, xj) in x.iter().enumerate().take(hi + 1).skip(lo) {
                let k = kernel[j + half - i];
                sum += k * xj;
                w += k;
            }
            if w > 0.0 { sum / w } else { 0.0 }
        })
        .collect()
}
