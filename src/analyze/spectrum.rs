//! The power spectrum of a population rate and its peak: an iterative
//! radix-2 FFT, and Bluestein's chirp-z transform on top of it so that any
//! length is transformed exactly (a 1000 ms rate in 1 ms bins has its
//! frequencies at whole hertz, with no zero padding to shift them).

use std::f64::consts::PI;

/// A complex number (re, im).
type C = (f64, f64);

fn mul(a: C, b: C) -> C {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

/// In-place radix-2 FFT; `x.len()` must be a power of two. `inverse`
/// flips the sign of the exponent (no 1/n scaling).
fn fft_pow2(x: &mut [C], inverse: bool) {
    let n = x.len();
    if n <= 1 {
        return;
    }
    // Bit-reversal permutation.
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            x.swap(i, j);
        }
    }
    let sign = if inverse { 1.0 } else { -1.0 };
    // Twiddle factors of the largest stage; stage `len` uses every
    // (n / len)-th one.
    let twiddle: Vec<C> = (0..n / 2)
        .map(|k| {
            let a = sign * 2.0 * PI * k as f64 / n as f64;
            (a.cos(), a.sin())
        })
        .collect();
    let mut len = 2;
    while len <= n {
        let stride = n / len;
        for start in (0..n).step_by(len) {
            for k in 0..len / 2 {
                let w = twiddle[k * stride];
                let a = x[start + k];
                let b = mul(x[start + k + len / 2], w);
                x[start + k] = (a.0 + b.0, a.1 + b.1);
                x[start + k + len / 2] = (a.0 - b.0, a.1 - b.1);
            }
        }
        len <<= 1;
    }
}

/// The discrete Fourier transform of real `x`, any length:
/// `X[k] = sum_j x[j] exp(-2 pi i j k / n)`.
pub fn dft(x: &[f64]) -> Vec<(f64, f64)> {
    let n = x.len();
    if n == 0 {
        return Vec::new();
    }
    if n.is_power_of_two() {
        let mut v: Vec<C> = x.iter().map(|&r| (r, 0.0)).collect();
        fft_pow2(&mut v, false);
        return v;
    }
    // Bluestein: jk = (j^2 + k^2 - (k-j)^2) / 2 turns the DFT into a
    // convolution with the chirp w[m] = exp(i pi m^2 / n).
    let m = (2 * n - 1).next_power_of_two();
    let chirp: Vec<C> = (0..n)
        .map(|k| {
            // k^2 mod 2n keeps the angle small and exact.
            let q = ((k as u128 * k as u128) % (2 * n as u128)) as f64;
            let a = PI * q / n as f64;
            (a.cos(), a.sin())
        })
        .collect();
    let mut a = vec![(0.0, 0.0); m];
    for (j, &xj) in x.iter().enumerate() {
        let c = chirp[j];
        a[j] = (xj * c.0, -xj * c.1); // x[j] * conj(chirp[j])
    }
    let mut b = vec![(0.0, 0.0); m];
    b[0] = chirp[0];
    for k in 1..n {
        b[k] = chirp[k];
        b[m - k] = chirp[k];
    }
    fft_pow2(&mut a, false);
    fft_pow2(&mut b, false);
    for (ai, bi) in a.iter_mut().zip(&b) {
        *ai = mul(*ai, *bi);
    }
    fft_pow2(&mut a, true);
    let scale = 1.0 / m as f64;
    (0..n)
        .map(|k| {
            let v = (a[k].0 * scale, a[k].1 * scale);
            let c = chirp[k];
            mul(v, (c.0, -c.1))
        })
        .collect()
}

/// One-sided power spectrum of `x` (samples `step` ms apart) with its mean
/// removed: `(frequency in Hz, |X_k|^2)` for k = 1 ..= n/2.
pub fn power_spectrum(x: &[f64], step: f64) -> Vec<(f64, f64)> {
    let n = x.len();
    if n < 2 {
        return Vec::new();
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    let centred: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let spec = dft(&centred);
    let df = 1000.0 / (n as f64 * step);
    (1..=n / 2)
        .map(|k| (k as f64 * df, spec[k].0 * spec[k].0 + spec[k].1 * spec[k].1))
        .collect()
}

/// The frequency (Hz) of the largest power in `spectrum` at or above
/// `min_hz`; `None` when there is no power there. Ties go to the lower
/// frequency.
pub fn peak_frequency(spectrum: &[(f64, f64)], min_hz: f64) -> Option<f64> {
    let spectrum: Vec<(f64, f64)> = spectrum
        .iter()
        .copied()
        .filter(|p| p.0 >= min_hz * (1.0 - 1e-12))
        .collect();
    let max = spectrum.iter().map(|p| p.1).fold(0.0, f64::max);
    if max <= 0.0 || !max.is_finite() {
        return None;
    }
    // Rounding differences between equal peaks are not a preference.
    spectrum
        .iter()
        .find(|p| p.1 >= max * (1.0 - 1e-9))
        .map(|p| p.0)
}

/// Bin width (ms) of the rate whose spectrum is taken.
pub const SPECTRUM_BIN: f64 = 1.0;
/// Gaussian smoothing (ms) of that rate, so that a sharp volley counts
/// at its fundamental and not equally at every harmonic.
pub const SPECTRUM_SMOOTH: f64 = 2.0;

/// Fewest cycles an oscillation must complete in the window to count: a
/// rate that switches on or off once (a population that stops firing part way through)
/// puts most power near 1/T, which is not an oscillation.
pub const MIN_CYCLES: f64 = 3.0;

/// The dominant oscillation frequency (Hz) of a group's population rate:
/// the peak of the power spectrum of its rate in 1 ms bins smoothed by a
/// 2 ms Gaussian, mean removed, over 3/T ..= 500 Hz (T the window; at
/// least three cycles). Resolution 1/T. `None` without spikes.
pub fn dominant_frequency(times: &[f64], cells: usize, tstart: f64, tstop: f64) -> Option<f64> {
    if times.is_empty() {
        return None;
    }
    let n = super::rate::bin_count(tstart, tstop, SPECTRUM_BIN);
    let min_hz = MIN_CYCLES * 1000.0 / (n as f64 * SPECTRUM_BIN);
    peak_frequency(&rate_spectrum(times, cells, tstart, tstop), min_hz)
}

/// The power spectrum of a group's population rate over `[tstart,
/// tstop]`: its rate in 1 ms bins smoothed by a 2 ms Gaussian, mean
/// removed, as `(frequency in Hz, power)` (see [`power_spectrum`]).
pub fn rate_spectrum(times: &[f64], cells: usize, tstart: f64, tstop: f64) -> Vec<(f64, f64)> {
    let n = super::rate::bin_count(tstart, tstop, SPECTRUM_BIN);
    let r = super::rate::population_rate(times, cells.max(1), tstart, SPECTRUM_BIN, n);
    let s = super::rate::gaussian_smooth(&r, SPECTRUM_BIN, SPECTRUM_SMOOTH);
    power_spectrum(&s, SPECTRUM_BIN)
}
