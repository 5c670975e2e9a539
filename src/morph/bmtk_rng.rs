//! The random stream BMTK places synapses with: numpy's legacy
//! `RandomState(seed)` (MT19937 seeded by `init_genrand`), its
//! `random_sample` doubles and `choice(a, size, p=p)`, and numpy's
//! pairwise `sum` that BMTK normalises the probabilities with. Every
//! operation follows numpy's order of floating-point operations, so the
//! draws are numpy's bit for bit.

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER: u32 = 0x8000_0000;
const LOWER: u32 = 0x7fff_ffff;

/// numpy's `np.random.RandomState` with an integer seed.
#[derive(Clone)]
pub struct RandomState {
    key: [u32; N],
    pos: usize,
}

impl RandomState {
    /// `RandomState(seed)`.
    pub fn new(seed: u32) -> RandomState {
        let mut key = [0u32; N];
        let mut s = seed;
        for (i, k) in key.iter_mut().enumerate() {
            *k = s;
            s = 1_812_433_253u32
                .wrapping_mul(s ^ (s >> 30))
                .wrapping_add(i as u32 + 1);
        }
        RandomState { key, pos: N }
    }

    fn generate(&mut self) {
        let k = &mut self.key;
        let twist = |a: u32, b: u32, c: u32| {
            let y = (a & UPPER) | (b & LOWER);
            c ^ (y >> 1) ^ (if y & 1 == 1 { MATRIX_A } else { 0 })
        };
        for i in 0..N - M {
            k[i] = twist(k[i], k[i + 1], k[i + M]);
        }
        for i in N - M..N - 1 {
            k[i] = twist(k[i], k[i + 1], k[i + M - N]);
        }
        k[N - 1] = twist(k[N - 1], k[0], k[M - 1]);
        self.pos = 0;
    }

    /// The next 32-bit output.
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= N {
            self.generate();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `random_sample()`: a double in [0, 1) from two outputs (53 bits).
    pub fn random_sample(&mut self) -> f64 {
        let a = self.next_u32() >> 5;
        let b = self.next_u32() >> 6;
        (f64::from(a) * 67_108_864.0 + f64::from(b)) / 9_007_199_254_740_992.0
    }

    /// `choice(range(len(p)), size, replace=True, p=p)`: indexes into `p`.
    /// Errors as numpy raises them (empty `p` with draws, negative or
    /// non-finite probabilities, a sum away from 1).
    pub fn choice(&mut self, p: &[f64], size: usize) -> Result<Vec<usize>, String> {
        let cdf = Cdf::new(p, size)?;
        let mut out = Vec::new();
        self.choice_cdf(&cdf, size, |i| out.push(i));
        Ok(out)
    }

    /// [`RandomState::choice`] with the probabilities prepared once
    /// ([`Cdf::new`]): hands each of the `size` indexes to `each`.
    pub(super) fn choice_cdf(&mut self, cdf: &Cdf, size: usize, mut each: impl FnMut(usize)) {
        if cdf.0.is_empty() {
            return;
        }
        for _ in 0..size {
            let u = self.random_sample();
            // searchsorted(side='right'): the number of entries <= u.
            each(cdf.0.partition_point(|&c| c <= u).min(cdf.0.len() - 1));
        }
    }
}

/// numpy's cumulative distribution of `choice`'s probabilities, checked
/// and normalised as numpy does; the same for every draw from one list.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Cdf(Vec<f64>);

impl Cdf {
    /// The distribution of `p`, or numpy's complaint about it; an empty
    /// `p` is allowed only when `size` is 0.
    pub(super) fn new(p: &[f64], size: usize) -> Result<Cdf, String> {
        if p.is_empty() {
            if size == 0 {
                return Ok(Cdf(Vec::new()));
            }
            return Err("a cannot be empty unless no samples are taken".into());
        }
        if p.iter().any(|&x| x < 0.0 || x.is_nan()) {
            return Err("probabilities are not non-negative".into());
        }
        let total = kahan_sum(p);
        if (total - 1.0).abs() > f64::EPSILON.sqrt() || total.is_nan() {
            return Err(format!("probabilities do not sum to 1 (sum {total})"));
        }
        let mut cdf: Vec<f64> = Vec::with_capacity(p.len());
        let mut acc = 0.0;
        for (i, &x) in p.iter().enumerate() {
            acc = if i == 0 { x } else { acc + x };
            cdf.push(acc);
        }
        let last = acc;
        for c in &mut cdf {
            *c /= last;
        }
        Ok(Cdf(cdf))
    }
}

/// numpy's check sum of `choice`'s probabilities.
fn kahan_sum(a: &[f64]) -> f64 {
    let Some((&first, rest)) = a.split_first() else {
        return 0.0;
    };
    let (mut sum, mut c) = (first, 0.0);
    for &x in rest {
        let y = x - c;
        let t = sum + y;
        c = (t - sum) - y;
        sum = t;
    }
    sum
}

/// `np.sum(a)` of a contiguous float64 array: 0 plus numpy's pairwise sum
/// (blocks of 8 partial sums up to 128 elements, halves above).
pub fn np_sum(a: &[f64]) -> f64 {
    0.0 + pairwise(a)
}

fn pairwise(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut r = 0.0;
        for &x in a {
            r += x;
        }
        r
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let whole = n - n % 8;
        let mut i = 8;
        while i < whole {
            for (j, rj) in r.iter_mut().enumerate() {
                *rj += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[i..] {
            res += x;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise(&a[..n2]) + pairwise(&a[n2..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `RandomState(5489).randint(0, 2**32, size=3, dtype=np.uint32)`:
    /// MT19937's reference outputs.
    #[test]
    fn reference_outputs_of_mt19937() {
        let mut r = RandomState::new(5489);
        let first: Vec<u32> = (0..3).map(|_| r.next_u32()).collect();
        assert_eq!(first, [3_499_211_612, 581_869_302, 3_890_346_734]);
    }

    /// Values printed by numpy 2.4.6:
    /// `np.random.RandomState(s).random_sample(3)` for s = 0 and 123.
    #[test]
    fn random_sample_equals_numpy() {
        let mut r = RandomState::new(0);
        let got: Vec<f64> = (0..3).map(|_| r.random_sample()).collect();
        assert_eq!(
            got,
            [0.5488135039273248, 0.7151893663724195, 0.6027633760716439]
        );
        let mut r = RandomState::new(123);
        let got: Vec<f64> = (0..3).map(|_| r.random_sample()).collect();
        assert_eq!(
            got,
            [0.6964691855978616, 0.28613933495037946, 0.2268514535642031]
        );
    }

    /// `np.random.RandomState(7).choice(5, 12, p=[.1, .2, .3, .15, .25])`
    /// and, continuing the same stream, `choice(3, 4, p=[.5, .25, .25])`.
    #[test]
    fn choice_equals_numpy() {
        let mut r = RandomState::new(7);
        let a = r.choice(&[0.1, 0.2, 0.3, 0.15, 0.25], 12).unwrap();
        assert_eq!(a, CHOICE_A);
        let b = r.choice(&[0.5, 0.25, 0.25], 4).unwrap();
        assert_eq!(b, CHOICE_B);
        assert!(r.choice(&[0.5, 0.6], 1).is_err());
        assert!(r.choice(&[], 1).is_err());
        assert_eq!(r.choice(&[], 0).unwrap(), Vec::<usize>::new());
    }

    const CHOICE_A: [usize; 12] = [0, 4, 2, 3, 4, 2, 2, 0, 1, 2, 3, 4];
    const CHOICE_B: [usize; 4] = [0, 0, 0, 2];

    #[test]
    fn pairwise_sum_orders_as_numpy() {
        // 0.1 * k summed: numpy's pairwise result differs from a loop.
        let v: Vec<f64> = (0..200).map(|k| 0.1 * f64::from(k) + 1e-3).collect();
        assert_eq!(np_sum(&v), NP_SUM_200);
        let short = [0.1, 0.2, 0.3];
        assert_eq!(np_sum(&short), 0.1 + 0.2 + 0.3);
    }

    /// `np.sum` of the same values (a plain loop gives 1990.2000000000012).
    const NP_SUM_200: f64 = 1990.2;
}
