//! The math functions kernels call. Both back ends use exactly these
//! functions (the JIT binds its imported symbols to them), so their results
//! agree bit for bit. Each forwards to Rust's `f64` method, which is the
//! platform libm for the transcendental ones, as in NEURON's C.

use crate::ir::{BinOp, MathFn};

/// Which `exp` kernels use, chosen when they are compiled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MathMode {
    /// The C library's functions, as NEURON calls them: results agree with
    /// NEURON bit for bit. The default: `Fast` keeps every reference
    /// experiment within the engine tests' tolerances but is not faster in the
    /// engine (see the README's "Math modes").
    #[default]
    Exact,
    /// `exp` is nmc's own ([`super::fast_math::fast_exp`], within 1 ulp of
    /// glibc's), inlined by the JIT; every other function as in `Exact`.
    /// Kernels are also rewritten to cheaper forms equal in real
    /// arithmetic ([`crate::ir::opt::relax`]).
    Fast,
}

impl MathMode {
    /// The mode named `name` (`exact` or `fast`).
    pub fn from_name(name: &str) -> Option<MathMode> {
        match name {
            "exact" => Some(MathMode::Exact),
            "fast" => Some(MathMode::Fast),
            _ => None,
        }
    }
}

macro_rules! unary {
    ($($name:ident => $method:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($method), "(x)` with the C calling convention.")]
        pub extern "C" fn $name(x: f64) -> f64 {
            x.$method()
        }
    )*};
}

unary! {
    nmc_exp => exp, nmc_log => ln, nmc_log10 => log10, nmc_sqrt => sqrt,
    nmc_fabs => abs, nmc_sin => sin, nmc_cos => cos, nmc_tan => tan,
    nmc_tanh => tanh, nmc_sinh => sinh, nmc_cosh => cosh, nmc_asin => asin,
    nmc_acos => acos, nmc_atan => atan, nmc_floor => floor, nmc_ceil => ceil,
}

unsafe extern "C" {
    /// The C library's `exp`, the function `f64::exp` lowers to; kernels
    /// call it directly, without a Rust frame in between.
    #[link_name = "exp"]
    safe fn libm_exp(x: f64) -> f64;
}

/// `pow(x, y)` (also the `^` operator).
pub extern "C" fn nmc_pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

/// `atan2(y, x)`.
pub extern "C" fn nmc_atan2(y: f64, x: f64) -> f64 {
    y.atan2(x)
}

/// `fmod(x, y)`: the remainder with the sign of `x`, as C's fmod.
pub extern "C" fn nmc_fmod(x: f64, y: f64) -> f64 {
    x % y
}

/// `fmin(x, y)`: a NaN argument is ignored, as in C.
pub extern "C" fn nmc_fmin(x: f64, y: f64) -> f64 {
    x.min(y)
}

/// `fmax(x, y)`: a NaN argument is ignored, as in C.
pub extern "C" fn nmc_fmax(x: f64, y: f64) -> f64 {
    x.max(y)
}

/// One math function as a callable: its symbol name and implementation.
#[derive(Clone, Copy, Debug)]
pub enum MathImpl {
    /// One argument.
    Unary(&'static str, extern "C" fn(f64) -> f64),
    /// Two arguments.
    Binary(&'static str, extern "C" fn(f64, f64) -> f64),
}

impl MathImpl {
    /// The symbol name the JIT imports.
    pub fn symbol(self) -> &'static str {
        match self {
            MathImpl::Unary(name, _) | MathImpl::Binary(name, _) => name,
        }
    }

    /// Number of arguments.
    pub fn arity(self) -> usize {
        match self {
            MathImpl::Unary(..) => 1,
            MathImpl::Binary(..) => 2,
        }
    }

    /// The function's address, for binding the JIT symbol.
    pub fn address(self) -> *const u8 {
        match self {
            MathImpl::Unary(_, f) => f as *const u8,
            MathImpl::Binary(_, f) => f as *const u8,
        }
    }
}

/// The implementation of `f`.
pub fn implementation(f: MathFn) -> MathImpl {
    use MathImpl::{Binary, Unary};
    match f {
        MathFn::Exp => Unary("nmc_exp", libm_exp),
        MathFn::Log => Unary("nmc_log", nmc_log),
        MathFn::Log10 => Unary("nmc_log10", nmc_log10),
        MathFn::Sqrt => Unary("nmc_sqrt", nmc_sqrt),
        MathFn::Fabs => Unary("nmc_fabs", nmc_fabs),
        MathFn::Pow => Binary("nmc_pow", nmc_pow),
        MathFn::Sin => Unary("nmc_sin", nmc_sin),
        MathFn::Cos => Unary("nmc_cos", nmc_cos),
        MathFn::Tan => Unary("nmc_tan", nmc_tan),
        MathFn::Tanh => Unary("nmc_tanh", nmc_tanh),
        MathFn::Sinh => Unary("nmc_sinh", nmc_sinh),
        MathFn::Cosh => Unary("nmc_cosh", nmc_cosh),
        MathFn::Asin => Unary("nmc_asin", nmc_asin),
        MathFn::Acos => Unary("nmc_acos", nmc_acos),
        MathFn::Atan => Unary("nmc_atan", nmc_atan),
        MathFn::Atan2 => Binary("nmc_atan2", nmc_atan2),
        MathFn::Floor => Unary("nmc_floor", nmc_floor),
        MathFn::Ceil => Unary("nmc_ceil", nmc_ceil),
        MathFn::Fmod => Binary("nmc_fmod", nmc_fmod),
        MathFn::Fmin => Binary("nmc_fmin", nmc_fmin),
        MathFn::Fmax => Binary("nmc_fmax", nmc_fmax),
    }
}

/// Applies `f` to `args`; `None` when the number of arguments is wrong.
pub fn apply(f: MathFn, args: &[f64]) -> Option<f64> {
    match (implementation(f), args) {
        (MathImpl::Unary(_, g), [x]) => Some(g(*x)),
        (MathImpl::Binary(_, g), [x, y]) => Some(g(*x, *y)),
        _ => None,
    }
}

/// Applies `f` to `args` with the functions of `mode`; `None` when the
/// number of arguments is wrong.
pub fn apply_in(mode: MathMode, f: MathFn, args: &[f64]) -> Option<f64> {
    match (mode, f, args) {
        (MathMode::Fast, MathFn::Exp, [x]) => Some(super::fast_math::fast_exp(*x)),
        _ => apply(f, args),
    }
}

/// Every math function, for binding JIT symbols.
pub const ALL: [MathFn; 21] = [
    MathFn::Exp,
    MathFn::Log,
    MathFn::Log10,
    MathFn::Sqrt,
    MathFn::Fabs,
    MathFn::Pow,
    MathFn::Sin,
    MathFn::Cos,
    MathFn::Tan,
    MathFn::Tanh,
    MathFn::Sinh,
    MathFn::Cosh,
    MathFn::Asin,
    MathFn::Acos,
    MathFn::Atan,
    MathFn::Atan2,
    MathFn::Floor,
    MathFn::Ceil,
    MathFn::Fmod,
    MathFn::Fmin,
    MathFn::Fmax,
];

/// `a op b` with NMODL's meaning: IEEE arithmetic, `^` through [`nmc_pow`],
/// comparisons and logic giving 1.0 or 0.0 (a value is true when it is not
/// 0.0; NaN is true). Both back ends and constant folding use this.
pub fn binary(op: BinOp, a: f64, b: f64) -> f64 {
    let truth = |x: bool| if x { 1.0 } else { 0.0 };
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Pow => nmc_pow(a, b),
        BinOp::Lt => truth(a < b),
        BinOp::Le => truth(a <= b),
        BinOp::Gt => truth(a > b),
        BinOp::Ge => truth(a >= b),
        BinOp::Eq => truth(a == b),
        BinOp::Ne => truth(a != b),
        BinOp::And => truth(a != 0.0 && b != 0.0),
        BinOp::Or => truth(a != 0.0 || b != 0.0),
    }
}
