//! The C library's `exp` inline, for exact math mode: the operations of
//! [`crate::back::libm_exp::exp_main`], one for one and in the same order,
//! on both lanes of an `f64x2`. Used only when
//! [`crate::back::libm_exp::host_matches`] says those operations are the
//! host library's; each lane's window value is ORed into an `I64`
//! accumulator, and a group of instances with an argument outside the
//! window is redone with library calls (see `vector.rs`).

use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value, types};
use cranelift_frontend::FunctionBuilder;

use super::fast_math::Emitter;
use crate::back::libm_exp::{
    C2, C3, C4, C5, INV_LN2_N, NEG_LN2_HI_N, NEG_LN2_LO_N, SCALE_SHIFT, SHIFT, TABLE, TABLE_BITS,
    WINDOW_OFFSET,
};

/// Emits [`crate::back::libm_exp::exp_main`] of both lanes of the `f64x2`
/// value `x`, ORing both lanes' window values into the `I64` `acc`.
/// Returns the result and the new accumulator.
pub(super) fn emit_exp_x2_main(
    b: &mut FunctionBuilder<'_>,
    x: Value,
    acc: Value,
) -> (Value, Value) {
    let mut e = Emitter {
        b,
        ty: types::F64X2,
    };
    let z = e.fma_cc(x, INV_LN2_N, SHIFT);
    let shift = e.float(SHIFT);
    let kd = e.b.ins().fsub(z, shift);
    let r = e.fma_c(kd, NEG_LN2_HI_N, x);
    let r = e.fma_c(kd, NEG_LN2_LO_N, r);
    let bits = e.bitcast(types::I64X2, z);
    let low = e.b.ins().extractlane(z, 0);
    let lanes = [
        e.b.ins().bitcast(types::I64, MemFlagsData::new(), low),
        e.b.ins().extractlane(bits, 1),
    ];
    let offset = e.b.ins().iconst(types::I64, WINDOW_OFFSET);
    let mut acc = acc;
    for lane in lanes {
        let window = e.b.ins().iadd(lane, offset);
        acc = e.b.ins().bor(acc, window);
    }
    let table = TABLE.0.as_ptr() as i64;
    let (tail, sbits) = e.table_entries_x2(table, (1 << TABLE_BITS) - 1, lanes);
    let shifted = e.b.ins().ishl_imm_u(bits, SCALE_SHIFT);
    let scale = e.b.ins().iadd(sbits, shifted);
    let scale = e.bitcast(types::F64X2, scale);
    let t = e.b.ins().fadd(r, tail);
    let r2 = e.b.ins().fmul(r, r);
    let low = e.fma_cc(r, C3, C2);
    let high = e.fma_cc(r, C5, C4);
    let a = e.fma(low, r2, t);
    let r4 = e.b.ins().fmul(r2, r2);
    let tmp = e.fma(r4, high, a);
    (e.fma(tmp, scale, scale), acc)
}

#[cfg(test)]
mod tests;
