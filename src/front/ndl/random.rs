//! Seeded randomness for building networks: every random choice (positions,
//! connection rules, weights, Poisson inputs) draws from its own stream,
//! derived from the file's `seed` and the statement it serves, so the same
//! file always builds the same network, bit for bit, and adding a statement
//! does not change what the others draw. A `connect` statement has one
//! stream per target cell ([`per_target`]): the connections onto a cell
//! are drawn without walking any other cell's, so that threads and ranks
//! build their cells' connections on their own and the network does not
//! depend on how many there are.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp, LogNormal};

/// What a stream serves (keeps the streams of different kinds apart).
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    /// Positions of the population with this index.
    Positions(usize),
    /// The `connect` statement with this index.
    Connect(usize),
    /// The input with this index.
    Input(usize),
}

/// SplitMix64's finaliser: spreads neighbouring integers over all 64 bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The seed of `stream` under the file's `seed`.
pub fn stream_seed(seed: u64, stream: Stream) -> u64 {
    let (kind, index) = match stream {
        Stream::Positions(i) => (1u64, i as u64),
        Stream::Connect(i) => (2, i as u64),
        Stream::Input(i) => (3, i as u64),
    };
    mix(mix(seed) ^ mix(kind << 56 | index))
}

/// The generator of `stream` under the file's `seed`.
pub fn generator(seed: u64, stream: Stream) -> StdRng {
    StdRng::seed_from_u64(stream_seed(seed, stream))
}

/// The generator of the connections onto target cell `cell` of a
/// `connect` statement whose stream seed is `base` ([`stream_seed`] of
/// its [`Stream::Connect`], or the statement's own `seed = N`).
pub fn per_target(base: u64, cell: usize) -> StdRng {
    const TARGET: u64 = 4 << 56;
    StdRng::seed_from_u64(mix(mix(base) ^ mix(TARGET | cell as u64)))
}

/// A generator from an explicit seed (`seed = N` in a statement).
pub fn seeded(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// A uniform number in [0, 1).
pub fn uniform(rng: &mut StdRng) -> f64 {
    rng.random::<f64>()
}

/// A uniform index in `0..n` (n > 0).
pub fn index(rng: &mut StdRng, n: usize) -> usize {
    rng.random_range(0..n)
}

/// `k` distinct indexes of `0..n`, ascending (k <= n).
pub fn choose(rng: &mut StdRng, n: usize, k: usize) -> Vec<usize> {
    let mut v = rand::seq::index::sample(rng, n, k).into_vec();
    v.sort_unstable();
    v
}

/// `k` distinct indexes of `0..n` in the order drawn (k <= n).
pub fn choose_unsorted(rng: &mut StdRng, n: usize, k: usize) -> Vec<usize> {
    rand::seq::index::sample(rng, n, k).into_vec()
}

/// The lognormal of a BMTK-style weight function, given the mean and sd of
/// the weights themselves: sigma^2 = ln((sd/mean)^2 + 1), mu = ln(mean) -
/// sigma^2/2, draws optionally clipped to [exp(mu + lower*sigma),
/// exp(mu + upper*sigma)] (bounds in units of sigma).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lognormal {
    /// Mean of the log.
    pub mu: f64,
    /// Sd of the log.
    pub sigma: f64,
    /// Smallest value drawn, when bounded below.
    pub min: Option<f64>,
    /// Largest value drawn, when bounded above.
    pub max: Option<f64>,
}

impl Lognormal {
    /// From the mean and sd of the values (mean > 0, sd >= 0) and bounds in
    /// sigma units; `None` when mean or sd are unusable.
    pub fn new(mean: f64, sd: f64, lower: Option<f64>, upper: Option<f64>) -> Option<Self> {
        if !(mean > 0.0 && sd >= 0.0 && mean.is_finite() && sd.is_finite()) {
            return None;
        }
        let s2 = ((sd / mean).powi(2) + 1.0).ln();
        let sigma = s2.sqrt();
        let mu = mean.ln() - s2 / 2.0;
        Some(Lognormal {
            mu,
            sigma,
            min: lower.map(|b| (mu + b * sigma).exp()),
            max: upper.map(|b| (mu + b * sigma).exp()),
        })
    }

    /// One draw.
    pub fn draw(&self, rng: &mut StdRng) -> f64 {
        let x = match LogNormal::new(self.mu, self.sigma) {
            Ok(d) => d.sample(rng),
            Err(_) => self.mu.exp(),
        };
        let x = self.min.map_or(x, |m| x.max(m));
        self.max.map_or(x, |m| x.min(m))
    }
}

/// A Poisson spike train at `rate` Hz from `start` to `stop` ms:
/// exponential intervals, the first drawn from `start`.
pub fn poisson_train(rng: &mut StdRng, rate_hz: f64, start: f64, stop: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let Ok(d) = Exp::new(rate_hz / 1000.0) else {
        return out;
    };
    if rate_hz <= 0.0 {
        return out;
    }
    let mut t = start;
    loop {
        t += d.sample(rng);
        if t >= stop {
            return out;
        }
        out.push(t);
    }
}
