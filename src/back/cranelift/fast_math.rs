//! The inline `exp` of [`MathMode::Fast`](crate::back::math::MathMode) as
//! Cranelift instructions: the operations of
//! [`crate::back::fast_math::fast_exp`], one for one and in the same order
//! (so the JIT and the interpreter agree bit for bit), on an `f64` or on
//! each lane of an `f64x2`. The table [`EXP_TABLE`] is a `static`; its
//! address is embedded as a constant (valid for the life of the program).
//!
//! Written for instruction count, because kernels are bound by it (about
//! 36 x86-64 instructions per f64x2 exp, constants loaded from the
//! constant pool included): every `fma` takes as its first operand a value
//! that dies there (a freshly loaded constant or an intermediate), which is
//! the operand x86-64's `vfmadd213` overwrites, so no register copies are
//! needed; the table offsets are computed in general-purpose registers
//! after moving the two lanes out (`vmovq`, `vpextrq`), where they do not
//! compete with the vector arithmetic; the final factor 2^+-512 is one
//! `blendvpd` on the sign of `x` (SSE4.1, which every x86-64 with FMA has).
//!
//! The f64x2 kernels use the range-free form
//! ([`crate::back::fast_math::fast_exp_in_range`], [`emit_exp_x2_in_range`]):
//! no clamps and no final factor, the range checked in general-purpose
//! registers with two integer operations per lane; a group of instances
//! with an argument beyond |x| ~354 is redone with the full form. Same
//! bits; kernel_bench's specialised fast row (na_rtm + k_rtm, Zen 4) went
//! from about 23 to 19.6 ns per instance-step with it.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    ConstantData, Endianness, InstBuilder, MemFlagsData, Type, Value, types,
};
use cranelift_frontend::FunctionBuilder;

use crate::back::fast_math::{
    BIG_FACTOR_BITS, C1, C2, C3, C4, CLAMP_HI, CLAMP_LO, EXP_TABLE, INV_LN2_N, LN2_N_HI, LN2_N_LO,
    MAGIC, MAGIC_IN_RANGE, N, RANGE_OFFSET, SHIFT, SMALL_FACTOR_BITS,
};

/// The address of the table, as JIT code embeds it.
pub(super) fn table_address() -> i64 {
    EXP_TABLE.0.as_ptr() as i64
}

/// Emits instructions for one `exp` of a scalar or vector of f64 (also
/// used by [`super::libm_exp`]).
pub(super) struct Emitter<'a, 'f> {
    pub(super) b: &'a mut FunctionBuilder<'f>,
    /// `F64` or `F64X2`.
    pub(super) ty: Type,
}

impl Emitter<'_, '_> {
    fn vector(&self) -> bool {
        self.ty.is_vector()
    }

    /// The constant `c` in every lane.
    pub(super) fn float(&mut self, c: f64) -> Value {
        let s = self.b.ins().f64const(c);
        if self.vector() {
            self.b.ins().splat(self.ty, s)
        } else {
            s
        }
    }

    /// The integer constant `c` in every lane.
    fn int(&mut self, c: i64) -> Value {
        let s = self.b.ins().iconst(types::I64, c);
        if self.vector() {
            self.b.ins().splat(types::I64X2, s)
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

    pub(super) fn bitcast(&mut self, to: Type, v: Value) -> Value {
        let flags = if self.vector() {
            MemFlagsData::new().with_endianness(Endianness::Little)
        } else {
            MemFlagsData::new()
        };
        self.b.ins().bitcast(to, flags, v)
    }

    /// `if a < b { a } else { b }`, in the operand order that x86-64 lowers
    /// to one `minsd`/`maxsd` (NaN in `b` passes).
    fn select_less(&mut self, a: Value, b: Value) -> Value {
        let cond = self.b.ins().fcmp(FloatCC::LessThan, a, b);
        if self.vector() {
            let mask = self.bitcast(self.ty, cond);
            self.b.ins().bitselect(mask, a, b)
        } else {
            self.b.ins().select(cond, a, b)
        }
    }

    /// `if limit < x { limit } else { x }`.
    fn clamp_above(&mut self, x: Value, limit: f64) -> Value {
        let limit = self.float(limit);
        self.select_less(limit, x)
    }

    /// `if x < limit { limit } else { x }`.
    fn clamp_below(&mut self, x: Value, limit: f64) -> Value {
        let limit = self.float(limit);
        let cond = self.b.ins().fcmp(FloatCC::LessThan, x, limit);
        if self.vector() {
            let mask = self.bitcast(self.ty, cond);
            self.b.ins().bitselect(mask, limit, x)
        } else {
            self.b.ins().select(cond, limit, x)
        }
    }

    /// `a * b + c`, rounded once. x86-64 overwrites the register of `a`
    /// (`vfmadd213`), so callers pass as `a` a value that dies here.
    pub(super) fn fma(&mut self, a: Value, b: Value, c: Value) -> Value {
        self.b.ins().fma(a, b, c)
    }

    /// `b * a + c` with a constant `b` (loaded into the overwritten
    /// register).
    pub(super) fn fma_c(&mut self, a: Value, b: f64, c: Value) -> Value {
        let b = self.float(b);
        self.fma(b, a, c)
    }

    /// `b * a + c` with constants `b` and `c`.
    pub(super) fn fma_cc(&mut self, a: Value, b: f64, c: f64) -> Value {
        let (b, c) = (self.float(b), self.float(c));
        self.fma(b, a, c)
    }

    /// The byte offset in the table of the entry indexed by the low bits of
    /// `bits` (an `I64`).
    fn entry_offset(&mut self, bits: Value) -> Value {
        let index = self.b.ins().band_imm_u(bits, N as i64 - 1);
        self.b.ins().ishl_imm_u(index, 4)
    }

    /// The table entry at byte offset `offset` (an `I64`): its tail as an
    /// `F64` and its scale bits as an `I64`.
    fn load_entry(&mut self, offset: Value) -> (Value, Value) {
        let base = self.b.ins().iconst(types::I64, table_address());
        let addr = self.b.ins().iadd(base, offset);
        // The table is immutable, aligned and always in bounds.
        let flags = MemFlagsData::trusted().with_readonly();
        let tail = self.b.ins().load(types::F64, flags, addr, 0);
        let bits = self.b.ins().load(types::I64, flags, addr, 8);
        (tail, bits)
    }

    /// Tails (`F64X2`) and scale bits (`I64X2`) of the entries indexed by
    /// the two lanes of `kd` (`F64X2`, with its bits `bits`): each lane
    /// moved to a general-purpose register (lane 0 through its `f64`, one
    /// `vmovq`), its offset computed there, one 16-byte load per lane, then
    /// the low and high halves interleaved.
    fn load_entries_x2(&mut self, kd: Value, bits: Value) -> (Value, Value) {
        let low = self.b.ins().extractlane(kd, 0);
        let lanes = [
            self.b.ins().bitcast(types::I64, MemFlagsData::new(), low),
            self.b.ins().extractlane(bits, 1),
        ];
        self.entries_of_lanes(lanes)
    }

    /// [`Emitter::load_entries_x2`] from the two lanes' bits (`I64`s).
    fn entries_of_lanes(&mut self, lanes: [Value; 2]) -> (Value, Value) {
        self.table_entries_x2(table_address(), N as i64 - 1, lanes)
    }

    /// The 16-byte entries `[tail, scale bits]` of the table at `table`
    /// indexed by the low bits (`mask`) of each lane's bits (`I64`s), as
    /// tails (`F64X2`) and scale bits (`I64X2`): one 16-byte load per
    /// lane, then the low and high halves interleaved.
    pub(super) fn table_entries_x2(
        &mut self,
        table: i64,
        mask: i64,
        lanes: [Value; 2],
    ) -> (Value, Value) {
        let base = self.b.ins().iconst(types::I64, table);
        let flags = MemFlagsData::trusted().with_readonly();
        let entries = lanes.map(|lane| {
            let index = self.b.ins().band_imm_u(lane, mask);
            let offset = self.b.ins().ishl_imm_u(index, 4);
            let addr = self.b.ins().iadd(base, offset);
            self.b.ins().load(types::I8X16, flags, addr, 0)
        });
        let mut interleave = |first: u8| {
            let bytes: Vec<u8> = (first..first + 8).chain(first + 16..first + 24).collect();
            let mask = self.b.func.dfg.immediates.push(ConstantData::from(bytes));
            self.b.ins().shuffle(entries[0], entries[1], mask)
        };
        let (lows, highs) = (interleave(0), interleave(8));
        let tails = self.bitcast(types::F64X2, lows);
        let bits = self.bitcast(types::I64X2, highs);
        (tails, bits)
    }

    /// The bits of the final factor: 2^-512 where the sign bit of `x` is
    /// set, 2^512 elsewhere (one `blendvpd` for f64x2, a `cmov` for f64).
    fn factor_bits(&mut self, x: Value) -> Value {
        let int = self.int_ty();
        let xbits = self.bitcast(int, x);
        let small = self.int(SMALL_FACTOR_BITS);
        let big = self.int(BIG_FACTOR_BITS);
        if self.vector() {
            self.b.ins().blendv(xbits, small, big)
        } else {
            let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, xbits, 0);
            self.b.ins().select(negative, small, big)
        }
    }

    /// [`crate::back::fast_math::fast_exp_in_range`] on both lanes of `x`
    /// (an `f64x2`); each lane's window value is ORed into `acc` (an
    /// `I64`, in general-purpose registers, where the table offsets are
    /// computed too). Returns the result and the new `acc`.
    fn exp_in_range(&mut self, x: Value, acc: Value) -> (Value, Value) {
        let kd = self.fma_cc(x, INV_LN2_N, MAGIC_IN_RANGE);
        let magic = self.float(MAGIC_IN_RANGE);
        let kf = self.b.ins().fsub(kd, magic);
        let rhi = self.fma_c(kf, -LN2_N_HI, x);
        let r = self.fma_c(kf, -LN2_N_LO, rhi);
        let bits = self.bitcast(types::I64X2, kd);
        let low = self.b.ins().extractlane(kd, 0);
        let lanes = [
            self.b.ins().bitcast(types::I64, MemFlagsData::new(), low),
            self.b.ins().extractlane(bits, 1),
        ];
        let offset = self.b.ins().iconst(types::I64, RANGE_OFFSET);
        let mut acc = acc;
        for lane in lanes {
            let window = self.b.ins().iadd(lane, offset);
            acc = self.b.ins().bor(acc, window);
        }
        let (tail, sbits) = self.entries_of_lanes(lanes);
        let shifted = self.b.ins().ishl_imm_u(bits, SHIFT);
        let scale = self.b.ins().iadd(sbits, shifted);
        let scale = self.bitcast(self.ty, scale);
        let p = self.polynomial(r, tail);
        (self.fma(p, scale, scale), acc)
    }

    /// `t + (e^r - 1)` as the reference computes it, from the reduced
    /// argument `r` and the table's `tail` `t`.
    fn polynomial(&mut self, r: Value, tail: Value) -> Value {
        let r2 = self.b.ins().fmul(r, r);
        let a = self.fma_cc(r, C3, C2);
        let a = self.fma_c(r2, C4, a);
        let t = self.fma_c(r, C1, tail);
        self.fma(a, r2, t)
    }

    fn exp(&mut self, x: Value) -> Value {
        let x = self.clamp_above(x, CLAMP_HI);
        let x = self.clamp_below(x, CLAMP_LO);
        let kd = self.fma_cc(x, INV_LN2_N, MAGIC);
        let magic = self.float(MAGIC);
        let kf = self.b.ins().fsub(kd, magic);
        let rhi = self.fma_c(kf, -LN2_N_HI, x);
        let r = self.fma_c(kf, -LN2_N_LO, rhi);
        let int = self.int_ty();
        let bits = self.bitcast(int, kd);
        let (tail, sbits) = if self.vector() {
            self.load_entries_x2(kd, bits)
        } else {
            let offset = self.entry_offset(bits);
            self.load_entry(offset)
        };
        let factor = self.factor_bits(x);
        let shifted = self.b.ins().ishl_imm_u(bits, SHIFT);
        let scale = self.b.ins().iadd(sbits, shifted);
        let scale = self.b.ins().isub(scale, factor);
        let scale = self.bitcast(self.ty, scale);
        let p = self.polynomial(r, tail);
        let m = self.fma(p, scale, scale);
        let factor = self.bitcast(self.ty, factor);
        self.b.ins().fmul(m, factor)
    }
}

/// Emits `exp(x)` for an `f64` or `f64x2` value `x`, inline.
pub(super) fn emit_exp(b: &mut FunctionBuilder<'_>, x: Value) -> Value {
    let ty = b.func.dfg.value_type(x);
    Emitter { b, ty }.exp(x)
}

/// Emits [`crate::back::fast_math::fast_exp_in_range`] of both lanes of
/// the `f64x2` value `x`, inline, ORing both lanes' window values into the
/// `I64` `acc`: the result has [`emit_exp_x2`]'s bits when
/// [`crate::back::fast_math::in_range`] holds for the final `acc`.
pub(super) fn emit_exp_x2_in_range(
    b: &mut FunctionBuilder<'_>,
    x: Value,
    acc: Value,
) -> (Value, Value) {
    debug_assert_eq!(b.func.dfg.value_type(x), types::F64X2);
    Emitter {
        b,
        ty: types::F64X2,
    }
    .exp_in_range(x, acc)
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
pub(super) mod tests;
