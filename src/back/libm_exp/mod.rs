//! The C library's `exp`, rebuilt on its main path so that exact math mode
//! can inline it in vector kernels and still get the bits a call gives.
//!
//! glibc (since 2.28; the algorithm Arm published with its optimized
//! routines, which other C libraries share) computes e^x for |x| < 512 as
//! follows, with N = 128:
//! - `z = x * N/ln2 + 1.5 * 2^52` (one fused multiply-add): the rounded
//!   integer n = round(x N / ln2) lands in the low bits of `z`;
//! - `r = x - n ln2/N` with ln2/N in two parts (two fused multiply-adds);
//! - n = N k + j: e^x = 2^k 2^(j/N) e^r, with 2^(j/N) = h_j (1 + tail_j)
//!   from a table ([`table::TABLE`]), and the exponent k added to the bits
//!   of h_j;
//! - `tmp = tail_j + r + r^2 (C2 + r C3) + r^4 (C4 + r C5)` and the result
//!   `scale + scale * tmp` (`scale` = 2^k h_j).
//!
//! On an x86-64 CPU with FMA, glibc runs the build of that code in which
//! the compiler fused exactly the multiply-adds [`exp_main`] writes as
//! `mul_add`; [`exp_main`] does the same IEEE operations in the same
//! order, so it returns the same bits whenever the library takes this
//! path. The inputs that leave it (|x| >= 512, NaN, infinities) are
//! flagged by the window value [`exp_main`] returns, and callers use the
//! library for those.
//!
//! That the host's `exp` is this function is checked, not assumed:
//! [`host_matches`] compares the two once per process on arguments that
//! reach every table entry, tiny and large arguments and pseudo-random
//! ones. With another C library, or a CPU without FMA (glibc then runs an
//! unfused build), the check fails and exact kernels keep calling the
//! library.

mod table;

use std::sync::OnceLock;

pub use table::TABLE;

/// log2 of the table size.
pub const TABLE_BITS: u32 = 7;
/// `N / ln 2` rounded (`log2(e) * 128`, an exact scaling).
pub const INV_LN2_N: f64 = std::f64::consts::LOG2_E * 128.0;
/// 1.5 * 2^52: added to a value of magnitude below 2^51, rounds it to an
/// integer held in the low bits of the sum.
pub const SHIFT: f64 = 6_755_399_441_055_744.0;
/// `-ln2/N` to 36 significant bits (so that `n * NEG_LN2_HI_N` is exact).
pub const NEG_LN2_HI_N: f64 = -f64::from_bits(0x3fe6_2e42_fefa_0000) / 128.0;
/// `-ln2/N - NEG_LN2_HI_N`, rounded.
pub const NEG_LN2_LO_N: f64 = f64::from_bits(0xbd0c_f79a_bc9e_3b3a);
/// The library's polynomial coefficients for e^r - 1 - r (a minimax fit
/// on |r| <= ln2/256; about 1/2, 1/6, 1/24, 1/120). Only these exact bits
/// give the library's results.
pub const C2: f64 = f64::from_bits(0x3fdf_ffff_ffff_fdbd);
/// See [`C2`].
pub const C3: f64 = f64::from_bits(0x3fc5_5555_5555_543c);
/// See [`C2`].
pub const C4: f64 = f64::from_bits(0x3fa5_5555_cf17_2b91);
/// See [`C2`].
pub const C5: f64 = f64::from_bits(0x3f81_1111_67a4_d017);
/// The bits of the rounded argument, shifted left by this, put the table
/// index back (the table entries subtract `j << SCALE_SHIFT`) and add k to
/// the exponent field.
pub const SCALE_SHIFT: i64 = 52 - TABLE_BITS as i64;
/// log2 of the width of the window of n the inline form accepts: n in
/// [-2^16, 2^16), that is |x| below about 354, well inside the library's
/// main path (|x| < 512).
pub const WINDOW_BITS: u32 = 17;
/// Added (wrapping) to the bits of `z` it gives `n + 2^16`, in
/// [0, 2^17) exactly when n is in the window.
pub const WINDOW_OFFSET: i64 = (1i64 << (WINDOW_BITS - 1)).wrapping_sub(SHIFT.to_bits() as i64);

/// The library's main path for `x`, and the window value `n + 2^16` (see
/// [`in_window`]): when that is in the window the result has exactly the
/// bits of the library's `exp(x)` (given [`host_matches`]); otherwise the
/// result means nothing and the caller must call the library.
pub fn exp_main(x: f64) -> (f64, i64) {
    let z = x.mul_add(INV_LN2_N, SHIFT);
    let kd = z - SHIFT;
    let r = kd.mul_add(NEG_LN2_HI_N, x);
    let r = kd.mul_add(NEG_LN2_LO_N, r);
    let bits = z.to_bits() as i64;
    let window = bits.wrapping_add(WINDOW_OFFSET);
    let [tail, sbits] = TABLE.0[(bits & ((1 << TABLE_BITS) - 1)) as usize];
    let scale = f64::from_bits((sbits as i64).wrapping_add(bits << SCALE_SHIFT) as u64);
    let t = r + f64::from_bits(tail);
    let r2 = r * r;
    let low = r.mul_add(C3, C2);
    let high = r.mul_add(C5, C4);
    let a = low.mul_add(r2, t);
    let r4 = r2 * r2;
    let tmp = r4.mul_add(high, a);
    (scale.mul_add(tmp, scale), window)
}

/// Whether a window value of [`exp_main`] (or the bitwise OR of several)
/// says every argument was in the window.
pub fn in_window(window: i64) -> bool {
    (window as u64) >> WINDOW_BITS == 0
}

/// `e^x` with the library's bits: [`exp_main`] inside the window, a call
/// outside. Equal to the library's `exp` on every argument when
/// [`host_matches`] holds.
pub fn exp(x: f64) -> f64 {
    match exp_main(x) {
        (y, w) if in_window(w) => y,
        _ => x.exp(),
    }
}

/// Whether [`exp_main`] gives the host `exp`'s bits on a sample that
/// reaches every table entry (both signs, near the window's edges, tiny
/// and pseudo-random arguments). Computed once per process (about 40,000
/// calls of each, well under a millisecond).
pub fn host_matches() -> bool {
    static MATCHES: OnceLock<bool> = OnceLock::new();
    *MATCHES.get_or_init(|| sample().all(agrees))
}

/// Whether [`exp`] agrees with the library at `x`.
fn agrees(x: f64) -> bool {
    let (y, w) = exp_main(x);
    !in_window(w) || y.to_bits() == x.exp().to_bits()
}

/// The arguments [`host_matches`] tries.
pub fn sample() -> impl Iterator<Item = f64> {
    let step = std::f64::consts::LN_2 / 128.0;
    // Every table entry j, at several multiples k and offsets within the
    // reduction interval.
    let entries = (-40_000i64..40_000).step_by(3).flat_map(move |n| {
        let base = n as f64 * step;
        [base, base + 0.37 * step, base - 0.49 * step]
    });
    let tiny = (0..200i32).flat_map(|e| {
        let x = 2f64.powi(-e);
        [x, -x, x * 1.5, -x * 1.5]
    });
    let edges = [0.0, -0.0, 354.0, -354.0, 354.9, -354.9, 5e-324, -5e-324];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let random = std::iter::repeat_with(move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 720.0
    })
    .take(4_000);
    entries.chain(tiny).chain(edges).chain(random)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_what_they_claim() {
        let ln2 = std::f64::consts::LN_2;
        assert_eq!(INV_LN2_N, 128.0 / ln2);
        assert_eq!((-NEG_LN2_HI_N * 128.0).to_bits() & 0xffff, 0);
        let split = -(NEG_LN2_HI_N + NEG_LN2_LO_N) * 128.0;
        assert!((split - ln2).abs() <= f64::EPSILON * ln2);
        for (c, inverse) in [(C2, 2.0), (C3, 6.0), (C4, 24.0), (C5, 120.0)] {
            assert!((c * inverse - 1.0).abs() < 1e-6, "{c}");
        }
        assert_eq!(SHIFT, 1.5 * 2f64.powi(52));
    }

    #[test]
    fn table_holds_powers_of_two() {
        for (j, &[tail, sbits]) in TABLE.0.iter().enumerate() {
            let v = crate::back::fast_math::exp2_fraction(j, TABLE_BITS);
            let h = sbits.wrapping_add((j as u64) << SCALE_SHIFT);
            assert_eq!(h, v.hi.to_bits(), "h_{j}");
            // The double-double value is good to about 2^-100 relative,
            // and so is the tail as a fraction of 2^(j/N).
            let tail = f64::from_bits(tail);
            let approx = v.lo / v.hi;
            assert!(
                (tail - approx).abs() <= 2f64.powi(-100),
                "tail_{j}: {tail:e} vs {approx:e}"
            );
        }
        assert_eq!(TABLE.0.as_ptr() as usize % 64, 0);
    }

    #[test]
    fn window_flags_what_leaves_the_main_path() {
        for x in [355.0, -355.0, 600.0, -800.0, 1e300, f64::INFINITY, f64::NAN] {
            assert!(!in_window(exp_main(x).1), "{x} not flagged");
            assert_eq!(exp(x).to_bits(), x.exp().to_bits(), "{x}");
        }
        for x in [354.0, -354.0, 0.0, -0.0, 1e-300, -1e-300] {
            assert!(in_window(exp_main(x).1), "{x} flagged");
        }
    }

    /// The rebuilt function is the host's on this machine (the engine's
    /// bit-identity tests depend on the host's library either way: where
    /// this fails, exact kernels call the library instead).
    #[test]
    #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
    fn host_library_is_the_rebuilt_one() {
        if std::arch::is_x86_feature_detected!("fma") {
            assert!(host_matches(), "glibc's exp on an FMA CPU differs");
        }
    }
}
