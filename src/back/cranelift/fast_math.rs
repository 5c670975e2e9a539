//! The inline `exp` of [`MathMode::Fast`](crate::back::math::MathMode) as
//! Cranelift instructions: the operations of
//! [`crate::back::fast_math::fast_exp`], one for one and in the same order
//! (so the JIT and the interpreter agree bit for bit), on an `f64` or on
//! each lane of an `f64x2`.

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{Endianness, InstBuilder, MemFlagsData, Type, Value, types};
use cranelift_frontend::FunctionBuilder;

use crate::back::fast_math::{CLAMP_HI, CLAMP_LO, COEFFS, EXP_BIAS, LN2_HI, LN2_LO, LOG2E, MAGIC};

/// Emits instructions for one `exp` of a scalar or vector of f64.
struct Emitter<'a, 'f> {
    b: &'a mut FunctionBuilder<'f>,
    /// `F64` or `F64X2`.
    ty: Type,
}

impl Emitter<'_, '_> {
    fn vector(&self) -> bool {
        self.ty.is_vector()
    }

    /// The constant `c` in every lane.
    fn float(&mut self, c: f64) -> Value {
        let s = self.b.ins().f64const(c);
        if self.vector() {
            self.b.ins().splat(self.ty, s)
        } else {
            s
        }
    }

    fn int_ty(&self) -> Type {
        if self.vector() {
            types::I64X2
        } else {
            types::I64
        }
    }

    fn bitcast(&mut self, to: Type, v: Value) -> Value {
        let flags = if self.vector() {
            MemFlagsData::new().with_endianness(Endianness::Little)
        } else {
            MemFlagsData::new()
        };
        self.b.ins().bitcast(to, flags, v)
    }

    /// `if x cc limit { limit } else { x }` (false for NaN, which passes).
    fn replace_if(&mut self, cc: FloatCC, x: Value, limit: f64) -> Value {
        let limit = self.float(limit);
        let cond = self.b.ins().fcmp(cc, x, limit);
        if self.vector() {
            let mask = self.bitcast(self.ty, cond);
            self.b.ins().bitselect(mask, limit, x)
        } else {
            self.b.ins().select(cond, limit, x)
        }
    }

    /// `a * b + c`, rounded once.
    fn fma(&mut self, a: Value, b: Value, c: Value) -> Value {
        self.b.ins().fma(a, b, c)
    }

    /// `a * b + c` with constants `b` and `c`.
    fn fma_cc(&mut self, a: Value, b: f64, c: f64) -> Value {
        let (b, c) = (self.float(b), self.float(c));
        self.fma(a, b, c)
    }

    /// 2^j from `t = MAGIC + j`.
    fn pow2(&mut self, t: Value) -> Value {
        let int = self.int_ty();
        let bits = self.bitcast(int, t);
        let bias = self.b.ins().iconst(types::I64, EXP_BIAS);
        let bias = if self.vector() {
            self.b.ins().splat(int, bias)
        } else {
            bias
        };
        let biased = self.b.ins().iadd(bits, bias);
        let shifted = self.b.ins().ishl_imm_u(biased, 52);
        self.bitcast(self.ty, shifted)
    }

    fn exp(&mut self, x: Value) -> Value {
        let x = self.replace_if(FloatCC::GreaterThan, x, CLAMP_HI);
        let x = self.replace_if(FloatCC::LessThan, x, CLAMP_LO);
        let t = self.fma_cc(x, LOG2E, MAGIC);
        let magic = self.float(MAGIC);
        let k = self.b.ins().fsub(t, magic);
        let neg_hi = self.float(-LN2_HI);
        let rhi = self.fma(k, neg_hi, x);
        let neg_lo = self.float(-LN2_LO);
        let rlo = self.b.ins().fmul(k, neg_lo);
        let r = self.b.ins().fadd(rhi, rlo);
        let r2 = self.b.ins().fmul(r, r);
        let r4 = self.b.ins().fmul(r2, r2);
        let c = COEFFS;
        let a: Vec<Value> = (0..6)
            .map(|j| {
                let hi = self.float(c[2 * j + 1]);
                let lo = self.float(c[2 * j]);
                self.fma(hi, r, lo)
            })
            .collect();
        let b0 = self.fma(a[1], r2, a[0]);
        let b1 = self.fma(a[3], r2, a[2]);
        let b2 = self.fma(a[5], r2, a[4]);
        let inner = self.fma(b2, r4, b1);
        let q = self.fma(inner, r4, b0);
        let one = self.float(1.0);
        let hi = self.b.ins().fadd(one, rhi);
        let err = self.b.ins().fsub(one, hi);
        let lo = self.b.ins().fadd(err, rhi);
        let tail = self.b.ins().fadd(lo, rlo);
        let poly = self.fma(r2, q, tail);
        let m = self.b.ins().fadd(hi, poly);
        let half = self.fma_cc(k, 0.5, MAGIC);
        let k1 = self.b.ins().fsub(half, magic);
        let k2 = self.b.ins().fsub(k, k1);
        let t2 = self.b.ins().fadd(k2, magic);
        let s1 = self.pow2(half);
        let s2 = self.pow2(t2);
        let scaled = self.b.ins().fmul(m, s1);
        self.b.ins().fmul(scaled, s2)
    }
}

/// Emits `exp(x)` for an `f64` or `f64x2` value `x`, inline.
pub(super) fn emit_exp(b: &mut FunctionBuilder<'_>, x: Value) -> Value {
    let ty = b.func.dfg.value_type(x);
    Emitter { b, ty }.exp(x)
}

/// Emits `exp` of both lanes of the `f64x2` value `x`, inline: per lane
/// exactly the bits of [`emit_exp`] on an `f64` (and of the Rust
/// reference). Every instruction used lowers on x86-64 to one SSE/AVX
/// instruction (`fma` to `vfmadd` when the host has FMA, as `cranelift_native`
/// detects; without FMA Cranelift calls `fma` per lane, still exact).
#[allow(dead_code)] // called by the f64x2 kernel translator
pub(super) fn emit_exp_x2(b: &mut FunctionBuilder<'_>, x: Value) -> Value {
    debug_assert_eq!(b.func.dfg.value_type(x), types::F64X2);
    Emitter {
        b,
        ty: types::F64X2,
    }
    .exp(x)
}

#[cfg(test)]
mod tests;
