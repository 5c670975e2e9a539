//! nmc's own `exp` for [`MathMode::Fast`](super::math::MathMode): a
//! 256-entry table of 2^(j/256) and a short polynomial, with no branch and
//! no call, so the JIT can emit it inline (and two lanes at a time). This
//! Rust function is the reference: the JIT's emitted instructions
//! (`back/cranelift/fast_math.rs`) perform exactly these operations in this
//! order, so both back ends give the same bits.
//!
//! Algorithm. `x` is clamped into [-746, 710] (beyond, the result is 0 or
//! +inf anyway; NaN passes through). `i = round(x * 256 / ln 2)` by adding
//! 1.5 * 2^52 (the integer lands in the low bits of the sum `kd`), and
//! `r = x - i ln2/256` with two fused multiply-adds (ln 2 in two parts), so
//! |r| <= ln2/512. (Keeping one multiply-add off the chain instead, by
//! folding the low part into the table's tail, measured slower in the
//! kernels, which are bound by instruction count once the state kernels
//! run in two passes: it costs one more multiply-add.) With `i = 256 k + j`, `e^x = 2^k 2^(j/256) e^r`. The
//! table holds 2^(j/256) as a double `s_j` and the relative remainder
//! `t_j = 2^(j/256) / s_j - 1` (|t_j| < 2^-53), computed at build time in
//! double-double arithmetic (repeated square roots of 2, see [`EXP_TABLE`]).
//! `e^r - 1` is the degree-5 Taylor polynomial with its r^5 term replaced
//! by its Chebyshev economisation on [-ln2/512, ln2/512] (degree 4; error
//! below 2.4e-18 relative). Then `e^x = s_j 2^k (1 + t_j + p(r))`, formed
//! with one final fused multiply-add, so the result is rounded essentially
//! once. The power 2^k goes into the exponent bits of `s_j` by integer
//! addition; to keep that factor normal for every clamped `x` (k runs from
//! -1077 to 1024), `2^(k-b)` is formed with b = 512 when the sign bit of
//! `x` is clear and b = -512 when it is set (then k <= 0), and the result
//! multiplied by 2^b at the end (exact unless the result overflows, which
//! gives +inf, or is subnormal, which is rounded there once more).
//!
//! Accuracy, measured against glibc's `exp` (which is within 0.51 ulp of
//! the true value) on 1.2 * 10^7 random arguments and every edge case (see
//! `tests/fast_exp.rs`): never more than 1 ulp apart, identical on about
//! 99.2% of arguments (98.7% with the table-free version before); +-inf, NaN, overflow, underflow to 0 and the
//! subnormal range agree exactly with glibc on the tested edge cases.

/// log2 of the table size.
pub const TABLE_BITS: u32 = 8;
/// Table size: 2^(j/N) for j in 0..N.
pub const N: usize = 1 << TABLE_BITS;
/// N / ln 2 (exact scaling of log2(e)).
pub const INV_LN2_N: f64 = std::f64::consts::LOG2_E * N as f64;
/// 1.5 * 2^52: adding it rounds an f64 of magnitude below 2^51 to an
/// integer (ties to even) held in the low bits of the sum.
pub const MAGIC: f64 = 6_755_399_441_055_744.0;
/// The leading bits of ln 2 / N (the last 21 bits are zero, so `kf *
/// LN2_N_HI` is exact for every `kf` the clamped range gives).
pub const LN2_N_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000) / N as f64;
/// ln 2 / N - LN2_N_HI.
pub const LN2_N_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76) / N as f64;
/// Arguments above this give +inf (e^710 overflows).
pub const CLAMP_HI: f64 = 710.0;
/// Arguments below this give 0 (e^-746 is below half the least subnormal).
pub const CLAMP_LO: f64 = -746.0;
/// Shifting the bits of `MAGIC + i` left by this leaves `i << SHIFT`, so
/// `i = 256 k + j` adds k to an exponent field and `j << SHIFT`, which the
/// table entries subtract.
pub const SHIFT: i64 = 52 - TABLE_BITS as i64;
/// The bits of 2^-512, the final factor for x < 0.
pub const SMALL_FACTOR_BITS: i64 = 0x1ff0_0000_0000_0000;
/// The bits of 2^512, the final factor for x >= 0.
pub const BIG_FACTOR_BITS: i64 = 0x5ff0_0000_0000_0000;
/// Largest |r| (ln 2 / 2N).
const H: f64 = std::f64::consts::LN_2 / (2 * N) as f64;
/// Coefficients of `p(r) = C1 r + C2 r^2 + C3 r^3 + C4 r^4 ~ e^r - 1`: the
/// Taylor series to r^5, with r^5 replaced by `(20 h^2 r^3 - 5 h^4 r) / 16`
/// (r^5 minus h^5 T5(r/h) / 16, T5 the Chebyshev polynomial, h = `H`).
pub const C1: f64 = 1.0 - H * H * H * H / 384.0;
/// See [`C1`].
pub const C2: f64 = 0.5;
/// See [`C1`].
pub const C3: f64 = 1.0 / 6.0 + H * H / 96.0;
/// See [`C1`].
pub const C4: f64 = 1.0 / 24.0;

/// The table of 2^(j/N): entry j is `[bits of t_j, bits of s_j - (j <<
/// SHIFT) + bits of 1.0]` (wrapping), aligned so that no entry straddles a
/// cache line.
#[repr(C, align(64))]
pub struct ExpTable(pub [[u64; 2]; N]);

/// The table, computed by the compiler (const evaluation) in double-double
/// arithmetic. It is a `static`, so its address is fixed for the life of
/// the program and JIT code can embed it.
pub static EXP_TABLE: ExpTable = ExpTable::build();

/// A double-double number `hi + lo`, |lo| <= ulp(hi) / 2.
#[derive(Clone, Copy, Debug)]
pub struct Dd {
    /// Leading part.
    pub hi: f64,
    /// Trailing part.
    pub lo: f64,
}

impl Dd {
    /// `a + b` exactly, as a normalised pair (Knuth's two-sum).
    pub const fn sum(a: f64, b: f64) -> Dd {
        let s = a + b;
        let bb = s - a;
        Dd {
            hi: s,
            lo: (a - (s - bb)) + (b - bb),
        }
    }

    /// `a * b` exactly (Dekker's product with Veltkamp splitting; no fma so
    /// that it can run in const evaluation).
    pub const fn product(a: f64, b: f64) -> Dd {
        const fn split(a: f64) -> (f64, f64) {
            let c = 134_217_729.0 * a;
            let hi = c - (c - a);
            (hi, a - hi)
        }
        let p = a * b;
        let (ah, al) = split(a);
        let (bh, bl) = split(b);
        Dd {
            hi: p,
            lo: ((ah * bh - p) + ah * bl + al * bh) + al * bl,
        }
    }

    /// `self * o` to about 2^-104 relative.
    pub const fn mul(self, o: Dd) -> Dd {
        let p = Dd::product(self.hi, o.hi);
        Dd::sum(p.hi, p.lo + (self.hi * o.lo + self.lo * o.hi))
    }

    /// The square root of `self` in [1, 4) to about 2^-104 relative: Newton
    /// in f64, then one correction from the exact residual.
    const fn sqrt(self) -> Dd {
        let mut y = 1.0;
        let mut i = 0;
        while i < 8 {
            y = 0.5 * (y + self.hi / y);
            i += 1;
        }
        let sq = Dd::product(y, y);
        let residual = ((self.hi - sq.hi) - sq.lo) + self.lo;
        Dd::sum(y, residual / (2.0 * y))
    }
}

/// 2^(j/N) in double-double (see [`exp2_fraction`]).
pub const fn exp2_table_value(j: usize) -> Dd {
    exp2_fraction(j, TABLE_BITS)
}

/// 2^(j / 2^bits) in double-double, for `bits` <= 16: the product of the
/// roots 2^(2^b / 2^bits) for the set bits b of j, each root a repeated
/// square root of 2.
pub const fn exp2_fraction(j: usize, bits: u32) -> Dd {
    let bits = if bits > 16 { 16 } else { bits as usize };
    let mut roots = [Dd { hi: 0.0, lo: 0.0 }; 16];
    let mut root = Dd { hi: 2.0, lo: 0.0 };
    let mut b = bits;
    while b > 0 {
        b -= 1;
        root = root.sqrt();
        roots[b] = root;
    }
    let mut v = Dd { hi: 1.0, lo: 0.0 };
    let mut b = 0;
    while b < bits {
        if j >> b & 1 == 1 {
            v = v.mul(roots[b]);
        }
        b += 1;
    }
    v
}

impl ExpTable {
    const fn build() -> ExpTable {
        let mut t = [[0u64; 2]; N];
        let mut j = 0;
        while j < N {
            let v = exp2_table_value(j);
            let s = v.hi.to_bits();
            t[j][0] = (v.lo / v.hi).to_bits();
            t[j][1] = s
                .wrapping_sub((j as u64) << SHIFT)
                .wrapping_add(1f64.to_bits());
            j += 1;
        }
        ExpTable(t)
    }
}

/// log2 of the width of the index window [`fast_exp_in_range`] accepts:
/// `i = round(x * N / ln 2)` in [-2^17, 2^17), |x| below about 354.
pub const RANGE_BITS: u32 = 18;
/// [`MAGIC`] plus `0xc01 << 8`, for [`fast_exp_in_range`]: it rounds
/// `x * N/ln2` to the same integer `i` (an even shift keeps ties to even),
/// with `i & (N - 1)` the same table index, but its bits shifted left by
/// [`SHIFT`] add `0xc01 << 52`, which is minus the bits of 1.0 (modulo
/// 2^64): exactly what the table's scale bits carry beyond `s_j`, so the
/// scale needs no subtraction.
pub const MAGIC_IN_RANGE: f64 = MAGIC + (0xc01 << 8) as f64;
/// Added (wrapping) to the bits of `kd = x * N/ln2 + MAGIC_IN_RANGE` it
/// gives `i + 2^17`, in [0, 2^18) exactly when `i` is in the window.
pub const RANGE_OFFSET: i64 =
    (1i64 << (RANGE_BITS - 1)).wrapping_sub(MAGIC_IN_RANGE.to_bits() as i64);

/// [`fast_exp`] without its handling of huge arguments, for code that
/// checks the range afterwards: the result and `i + 2^17` (see
/// [`RANGE_OFFSET`]). When that is in [0, 2^18) (|x| <= 354 or so) the
/// result has exactly [`fast_exp`]'s bits: the same operations, with the
/// power of two applied in one step instead of two, which rounds the same
/// while nothing overflows or goes subnormal. Otherwise (NaN, infinities,
/// large |x|) the result is meaningless and the caller must use
/// [`fast_exp`]. The f64x2 kernels use this form and redo a group of
/// instances with the full one when any argument falls outside.
pub fn fast_exp_in_range(x: f64) -> (f64, i64) {
    let kd = x.mul_add(INV_LN2_N, MAGIC_IN_RANGE);
    let kf = kd - MAGIC_IN_RANGE;
    let rhi = kf.mul_add(-LN2_N_HI, x);
    let r = kf.mul_add(-LN2_N_LO, rhi);
    let bits = kd.to_bits() as i64;
    let window = bits.wrapping_add(RANGE_OFFSET);
    let [tail, sbits] = EXP_TABLE.0[(bits & (N as i64 - 1)) as usize];
    let tail = f64::from_bits(tail);
    let scale = (sbits as i64).wrapping_add(bits << SHIFT);
    let scale = f64::from_bits(scale as u64);
    let p = polynomial(r, tail);
    (scale.mul_add(p, scale), window)
}

/// `t + (e^r - 1)` for the reduced argument `r` and the table's tail `t`
/// (see the module documentation), in the JIT's order of operations.
fn polynomial(r: f64, tail: f64) -> f64 {
    let r2 = r * r;
    let a = r.mul_add(C3, C2);
    let a = r2.mul_add(C4, a);
    let t = r.mul_add(C1, tail);
    r2.mul_add(a, t)
}

/// Whether [`fast_exp_in_range`]'s window value (or the bitwise OR of
/// several) says every argument was in range.
pub fn in_range(window: i64) -> bool {
    (window as u64) >> RANGE_BITS == 0
}

/// `e^x` within 1 ulp (see the module documentation).
pub fn fast_exp(x: f64) -> f64 {
    let x = if CLAMP_HI < x { CLAMP_HI } else { x };
    let x = if x < CLAMP_LO { CLAMP_LO } else { x };
    let kd = x.mul_add(INV_LN2_N, MAGIC);
    let kf = kd - MAGIC;
    let rhi = kf.mul_add(-LN2_N_HI, x);
    let r = kf.mul_add(-LN2_N_LO, rhi);
    let bits = kd.to_bits() as i64;
    let [tail, sbits] = EXP_TABLE.0[(bits & (N as i64 - 1)) as usize];
    let tail = f64::from_bits(tail);
    let factor = if x.is_sign_negative() {
        SMALL_FACTOR_BITS
    } else {
        BIG_FACTOR_BITS
    };
    let scale = (sbits as i64)
        .wrapping_add(bits << SHIFT)
        .wrapping_sub(factor);
    let scale = f64::from_bits(scale as u64);
    let p = polynomial(r, tail);
    scale.mul_add(p, scale) * f64::from_bits(factor as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_range_magic_cancels_the_tables_one() {
        let one = 1f64.to_bits() as i64;
        assert_eq!(
            ((MAGIC_IN_RANGE.to_bits() as i64) << SHIFT).wrapping_add(one),
            0
        );
        assert_eq!((MAGIC_IN_RANGE - MAGIC) as i64 & (N as i64 - 1), 0);
        assert_eq!((MAGIC_IN_RANGE - MAGIC) as i64 % 2, 0);
    }

    #[test]
    fn constants_are_what_they_claim() {
        assert_eq!((LN2_N_HI * N as f64).to_bits() & ((1 << 21) - 1), 0);
        let ln2 = std::f64::consts::LN_2;
        assert!(((LN2_N_HI + LN2_N_LO) * N as f64 - ln2).abs() <= f64::EPSILON * ln2);
        assert_eq!(f64::from_bits(SMALL_FACTOR_BITS as u64), 2f64.powi(-512));
        assert_eq!(f64::from_bits(BIG_FACTOR_BITS as u64), 2f64.powi(512));
        // The integer lands in the low bits of MAGIC + i.
        let low = |x: f64| (x + MAGIC).to_bits() as i64 - MAGIC.to_bits() as i64;
        assert_eq!((low(-3.0), low(5.0), low(0.5)), (-3, 5, 0));
        assert!((C1 - 1.0).abs() < 1e-13 && (C3 - 1.0 / 6.0).abs() < 1e-6);
    }

    /// Each table value, raised to the power N by squaring in
    /// double-double, gives 2^j to far better than double precision; its
    /// leading part is within an ulp of the C library's `exp2`.
    #[test]
    fn table_holds_powers_of_two() {
        for j in 0..N {
            let v = exp2_table_value(j);
            let mut p = v;
            for _ in 0..TABLE_BITS {
                p = p.mul(p);
            }
            let want = 2f64.powi(j as i32);
            let rel = ((p.hi - want) + p.lo) / want;
            assert!(rel.abs() < 1e-27, "2^({j}/N)^N off by {rel:e}");
            let libm = (j as f64 / N as f64).exp2();
            assert!((v.hi - libm).abs() <= f64::EPSILON * 2.0, "2^({j}/N)");
            let [tail, sbits] = EXP_TABLE.0[j];
            assert_eq!(f64::from_bits(tail), v.lo / v.hi);
            let s = sbits
                .wrapping_add((j as u64) << SHIFT)
                .wrapping_sub(1f64.to_bits());
            assert_eq!(s, v.hi.to_bits());
        }
    }

    /// Inside the window the range-free form gives fast_exp's bits;
    /// outside (and for NaN and infinities) it says so.
    #[test]
    fn in_range_form_matches_inside_and_flags_outside() {
        let mut k: u64 = 12345;
        let mut unit = || {
            k = k
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (k >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..200_000 {
            let x = (unit() - 0.5) * 709.0;
            let (y, w) = fast_exp_in_range(x);
            assert!(in_range(w), "{x} flagged");
            assert_eq!(y.to_bits(), fast_exp(x).to_bits(), "exp({x:e})");
        }
        for x in [
            355.0,
            -355.0,
            709.0,
            -745.0,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            assert!(!in_range(fast_exp_in_range(x).1), "{x} not flagged");
        }
        for x in [354.0, -354.0, 0.0, -0.0, 5e-324] {
            let (y, w) = fast_exp_in_range(x);
            assert!(in_range(w) && y.to_bits() == fast_exp(x).to_bits(), "{x}");
        }
    }

    #[test]
    fn table_is_aligned() {
        assert_eq!(EXP_TABLE.0.as_ptr() as usize % 64, 0);
    }

    #[test]
    fn edge_cases_match_glibc() {
        for x in [
            0.0,
            -0.0,
            1.0,
            709.782712893384,
            709.7827128933841,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -708.3964185322641,
            -745.1332191019411,
            -745.1332191019412,
            -1e300,
            5e-324,
        ] {
            assert_eq!(fast_exp(x).to_bits(), x.exp().to_bits(), "exp({x:e})");
        }
        assert!(fast_exp(f64::NAN).is_nan());
    }
}
