//! The emitted library `exp` on two lanes, compiled on its own into a loop
//! over an array: the library's bits on every pair whose arguments are in
//! the window, and the window flag on every other pair.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, types};

use super::emit_exp_x2_main;
use crate::back::cranelift::fast_math::tests::{compile_with, run};
use crate::back::libm_exp::{WINDOW_BITS, exp_main, host_matches, in_window};

/// What the loop stores for a pair with an argument outside the window.
const FLAGGED: f64 = -12345.0;

#[test]
fn pairs_get_the_library_bits_or_the_flag() {
    if !host_matches() {
        return;
    }
    let (_module, f) = compile_with(2, &|b, x| {
        let zero = b.ins().iconst(types::I64, 0);
        let (y, acc) = emit_exp_x2_main(b, x, zero);
        let high = b.ins().ushr_imm_u(acc, WINDOW_BITS as i64);
        let outside = b.ins().icmp_imm_u(IntCC::NotEqual, high, 0);
        let flag = b.ins().f64const(FLAGGED);
        let flag = b.ins().splat(types::F64X2, flag);
        b.ins().select(outside, flag, y)
    });
    let mut args = vec![
        0.0,
        -0.0,
        354.0,
        -354.0,
        355.0,
        1.0,
        f64::NAN,
        2.0,
        1e-300,
        -1e-300,
    ];
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for i in 0..1_000_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let u = (state >> 11) as f64 / (1u64 << 53) as f64;
        args.push(match i % 4 {
            0 => -400.0 + 800.0 * u,
            1 => -50.0 + 100.0 * u,
            2 => -1.0 + 2.0 * u,
            _ => (u - 0.5) * 1e-6,
        });
    }
    let got = run(f, &args);
    let mut flagged = 0;
    for (pair, out) in args.chunks(2).zip(got.chunks(2)) {
        let inside = pair.iter().all(|&x| in_window(exp_main(x).1));
        for (&x, &y) in pair.iter().zip(out) {
            if inside {
                assert_eq!(y.to_bits(), x.exp().to_bits(), "exp({x:e})");
            } else {
                assert_eq!(y, FLAGGED, "{x:e} not flagged");
            }
        }
        flagged += usize::from(!inside);
    }
    assert!(flagged > 1000, "the wide arguments leave the window");
}
