//! The emitted `exp`, scalar and two lanes at a time, compiled on their own
//! into a loop over an array: the same bits as the Rust reference on every
//! lane, and (ignored by default) its cost per call.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{AbiParam, InstBuilder, MemFlagsData, UserFuncName, Value, types};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};

use super::{emit_exp, emit_exp_x2};
use crate::back::fast_math::fast_exp;

/// `dst[i] = exp(src[i])` for `i < n` (`n` a multiple of the lane count).
pub(in crate::back::cranelift) type ExpLoop = unsafe extern "C" fn(*const f64, *mut f64, i64);

/// A JIT-compiled loop applying the emitted `exp` with `lanes` (1 or 2)
/// lanes per step; the module owns the code and must outlive its use.
fn compile_loop(lanes: i64) -> (JITModule, ExpLoop) {
    compile_with(lanes, &move |b, x| {
        if lanes == 2 {
            emit_exp_x2(b, x)
        } else {
            emit_exp(b, x)
        }
    })
}

/// Emits a function of one `f64` or `f64x2` value.
pub(in crate::back::cranelift) type Emit = dyn Fn(&mut FunctionBuilder<'_>, Value) -> Value;

/// A JIT-compiled loop `dst[i..i + lanes] = emit(src[i..i + lanes])`.
pub(in crate::back::cranelift) fn compile_with(lanes: i64, emit: &Emit) -> (JITModule, ExpLoop) {
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").expect("flag");
    let isa = cranelift_native::builder()
        .expect("host")
        .finish(settings::Flags::new(flags))
        .expect("isa");
    let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    let ptr = module.target_config().pointer_type();
    let mut sig = module.make_signature();
    sig.params.extend([AbiParam::new(ptr), AbiParam::new(ptr)]);
    sig.params.push(AbiParam::new(types::I64));
    let id = module
        .declare_function("exp_loop", Linkage::Local, &sig)
        .expect("declare");
    let mut ctx = module.make_context();
    ctx.func.signature = sig;
    ctx.func.name = UserFuncName::user(0, id.as_u32());
    let mut fctx = FunctionBuilderContext::new();
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let (entry, head, body, exit) = (
            b.create_block(),
            b.create_block(),
            b.create_block(),
            b.create_block(),
        );
        b.append_block_params_for_function_params(entry);
        b.append_block_param(head, types::I64);
        b.switch_to_block(entry);
        let [src, dst, n] = b.block_params(entry).try_into().expect("3 params");
        let zero = b.ins().iconst(types::I64, 0);
        b.ins().jump(head, &[zero.into()]);
        b.switch_to_block(head);
        let i = b.block_params(head)[0];
        let more = b.ins().icmp(IntCC::SignedLessThan, i, n);
        b.ins().brif(more, body, &[], exit, &[]);
        b.switch_to_block(body);
        let offset = b.ins().imul_imm_s(i, 8);
        let (from, to) = (b.ins().iadd(src, offset), b.ins().iadd(dst, offset));
        let flags = MemFlagsData::trusted();
        let ty = if lanes == 2 { types::F64X2 } else { types::F64 };
        let x = b.ins().load(ty, flags, from, 0);
        let y = emit(&mut b, x);
        b.ins().store(flags, y, to, 0);
        let next = b.ins().iadd_imm_s(i, lanes);
        b.ins().jump(head, &[next.into()]);
        b.switch_to_block(exit);
        b.ins().return_(&[]);
        b.seal_all_blocks();
        b.finalize(module.target_config());
    }
    ctx.set_disasm(std::env::var_os("NMC_EXP_DISASM").is_some());
    module.define_function(id, &mut ctx).expect("define");
    if let Some(code) = ctx.compiled_code().and_then(|c| c.vcode.as_ref()) {
        eprintln!("{lanes} lane(s):\n{code}");
    }
    module.finalize_definitions().expect("finalize");
    let code = module.get_finalized_function(id);
    // SAFETY: the function was declared with exactly this signature.
    let f = unsafe { std::mem::transmute::<*const u8, ExpLoop>(code) };
    (module, f)
}

/// Runs a compiled loop over `args` (length even).
pub(in crate::back::cranelift) fn run(f: ExpLoop, args: &[f64]) -> Vec<f64> {
    assert_eq!(args.len() % 2, 0);
    let mut out = vec![0.0; args.len()];
    // SAFETY: both buffers hold `args.len()` doubles.
    unsafe { f(args.as_ptr(), out.as_mut_ptr(), args.len() as i64) };
    out
}

/// Arguments: edge cases, then a deterministic spread over all ranges.
fn arguments() -> Vec<f64> {
    let mut args = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        f64::NAN,
        -f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MAX,
        f64::MIN,
        5e-324,
        -5e-324,
        709.782712893384,
        709.7827128933841,
        710.0,
        -708.3964185322641,
        -745.1332191019411,
        -745.1332191019412,
        -746.0,
        0.34657359027997264,
        // The final factor follows the sign of x: small arguments of
        // either sign (i = 0 for both, but factors 2^512 and 2^-512), and
        // -0.0 next to the largest finite result.
        -1e-5,
        1e-5,
        -1e-300,
        1e-300,
        -0.0013538,
        0.0013538,
        -0.0,
        709.78,
        // Subnormal results and the underflow edge in both lanes.
        -740.0,
        -745.0,
    ];
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for i in 0..400_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let u = (state >> 11) as f64 / (1u64 << 53) as f64;
        args.push(match i % 4 {
            0 => -746.0 + 1456.0 * u,
            1 => -50.0 + 100.0 * u,
            2 => -1.0 + 2.0 * u,
            _ => -746.0 + 38.0 * u,
        });
    }
    // Mixed lanes: a NaN or an infinity next to an ordinary argument.
    args.extend([f64::NAN, 1.5, -3.0, f64::INFINITY, f64::NEG_INFINITY, 0.25]);
    args
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn both_forms_give_the_reference_bits_per_lane() {
    let args = arguments();
    for lanes in [1, 2] {
        let (_module, f) = compile_loop(lanes);
        let got = run(f, &args);
        for (&x, &y) in args.iter().zip(&got) {
            let want = fast_exp(x);
            assert!(
                same(y, want),
                "{lanes} lanes: exp({x:e}) = {y:e}, reference {want:e}"
            );
        }
    }
}

/// Cost per `exp` call: `cargo test --release --lib exp_cost -- --ignored
/// --nocapture` (best of several rounds over 4096 arguments in cache).
#[test]
#[ignore]
fn exp_cost() {
    let args: Vec<f64> = (0..4096)
        .map(|i| -40.0 + 80.0 * i as f64 / 4096.0)
        .collect();
    let best = |f: &dyn Fn()| {
        (0..30)
            .map(|_| {
                let t = std::time::Instant::now();
                for _ in 0..100 {
                    f();
                }
                t.elapsed().as_secs_f64() / (100.0 * args.len() as f64)
            })
            .fold(f64::INFINITY, f64::min)
    };
    let mut out = vec![0.0; args.len()];
    let rust = best(&|| {
        let s: f64 = args.iter().map(|&x| fast_exp(x)).sum();
        std::hint::black_box(s);
    });
    let libm = best(&|| {
        let s: f64 = args.iter().map(|&x| x.exp()).sum();
        std::hint::black_box(s);
    });
    for lanes in [1, 2] {
        let (_module, f) = compile_loop(lanes);
        let o = out.as_mut_ptr();
        let t = best(&|| unsafe { f(args.as_ptr(), o, args.len() as i64) });
        eprintln!("JIT exp, {lanes} lane(s): {:.2} ns per exp", t * 1e9);
    }
    out[0] = 0.0;
    eprintln!(
        "Rust reference: {:.2} ns, libm: {:.2} ns",
        rust * 1e9,
        libm * 1e9
    );
}
