//! nmc's fast `exp` (`back::fast_math`): within 1 ulp of the C library's
//! on millions of arguments and exact on the edge cases, and the JIT's
//! inline version gives the same bits as the Rust reference.

use nmc::back::cranelift;
use nmc::back::fast_math::fast_exp;
use nmc::back::math::MathMode;
use nmc::back::{Env, MechanismData, NodeData, RecordingEngine, Shared};
use nmc::ir::KernelKind;

/// Distance in representable doubles (0 for two NaNs).
fn ulps(a: f64, b: f64) -> u64 {
    if a.is_nan() && b.is_nan() {
        return 0;
    }
    if a.is_nan() || b.is_nan() {
        return u64::MAX;
    }
    // Both results of exp are >= 0, so bit patterns order like values.
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
}

/// A deterministic xorshift stream of uniform numbers in [0, 1).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Arguments: uniform over the whole finite range, over the ranges kernels
/// see (|x| < 50), near 0, near the overflow and underflow thresholds and
/// over the arguments with subnormal results.
fn arguments(n: usize) -> Vec<f64> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..n)
        .map(|i| {
            let u = rng.next();
            match i % 6 {
                0 => -746.0 + 1456.0 * u,
                1 => -50.0 + 100.0 * u,
                2 => -1.0 + 2.0 * u,
                3 => 1e-12 * (u - 0.5),
                4 => 700.0 + 10.0 * u,
                _ => -746.0 + 38.0 * u,
            }
        })
        .collect()
}

const EDGES: [f64; 30] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    1e-300,
    -1e-300,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    0.34657359027997264,
    -0.34657359027997264,
    709.782712893384,
    709.7827128933841,
    709.79,
    710.0,
    1e10,
    1e300,
    f64::MAX,
    f64::INFINITY,
    -708.3964185322641,
    -708.4,
    -744.4400719213812,
    -745.1332191019411,
    -745.1332191019412,
    -745.2,
    -746.0,
    -1e10,
    f64::MIN,
    f64::NEG_INFINITY,
];

#[test]
fn within_one_ulp_of_glibc() {
    let args = arguments(12_000_000);
    let (mut worst, mut same) = (0, 0usize);
    for &x in &args {
        let d = ulps(fast_exp(x), x.exp());
        assert!(
            d <= 1,
            "exp({x:e}): fast {:e} vs libm {:e}",
            fast_exp(x),
            x.exp()
        );
        worst = worst.max(d);
        same += usize::from(d == 0);
    }
    let share = same as f64 / args.len() as f64;
    eprintln!(
        "fast exp vs libm: max {worst} ulp, identical on {:.2}%",
        100.0 * share
    );
    // The split of 1 + r keeps most results correctly rounded.
    assert!(share > 0.97, "only {share} identical");
}

#[test]
fn edge_cases_are_exact() {
    for x in EDGES {
        assert_eq!(fast_exp(x).to_bits(), x.exp().to_bits(), "exp({x:e})");
    }
    for x in [f64::NAN, -f64::NAN] {
        assert!(fast_exp(x).is_nan());
    }
    // Subnormal results are monotone and within 1 ulp.
    let mut x = -745.2;
    let mut last = 0.0;
    while x < -708.0 {
        let y = fast_exp(x);
        assert!(y >= last, "not monotone at {x}");
        assert!(ulps(y, x.exp()) <= 1, "exp({x:e})");
        last = y;
        x += 1e-3;
    }
}

/// Runs `y = exp(x)` through the JIT (fast mode) for every argument.
fn jit_exp(args: &[f64]) -> Vec<f64> {
    let dir = std::env::temp_dir().join(format!("nmc_fast_exp_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("expprobe.mod");
    std::fs::write(
        &file,
        "NEURON { SUFFIX expprobe RANGE x, y }\n\
         PARAMETER { x = 0 }\n\
         ASSIGNED { y }\n\
         INITIAL { y = exp(x) }\n",
    )
    .expect("write probe");
    let mut map = nmc::diag::SourceMap::new();
    let outcome = nmc::driver::pipeline::compile_file(&mut map, &file);
    let _ = std::fs::remove_dir_all(&dir);
    let mech = outcome.mechanism.expect("probe compiles");
    let compiled = cranelift::compile_with(&mech, MathMode::Fast).expect("JIT");
    let field = |name: &str| mech.field_id(name).expect(name);
    let mut data = MechanismData::new(&mech, args.len());
    let (xs, ys) = (
        data.layout().field_slot[field("x")],
        data.layout().field_slot[field("y")],
    );
    for (i, &x) in args.iter().enumerate() {
        data.set_value(xs, i, x);
    }
    let mut nodes = NodeData::new(1);
    let zeros = vec![0; args.len()];
    assert!(data.set_node_index(&zeros));
    let mut shared = Shared::default();
    let mut engine = RecordingEngine::new();
    let mut env = Env {
        nodes: &mut nodes,
        shared: &mut shared,
        engine: &mut engine,
        event: None,
    };
    compiled
        .run(KernelKind::Init, &mut data, &mut env)
        .expect("runs");
    (0..args.len())
        .map(|i| data.value(ys, i).expect("y"))
        .collect()
}

#[test]
fn jit_gives_the_reference_bits() {
    let mut args = arguments(2_000_000);
    args.extend(EDGES);
    args.extend([f64::NAN, -f64::NAN]);
    let got = jit_exp(&args);
    for (&x, &y) in args.iter().zip(&got) {
        let want = fast_exp(x);
        assert!(
            y.to_bits() == want.to_bits() || (y.is_nan() && want.is_nan()),
            "exp({x:e}): JIT {y:e} vs reference {want:e}"
        );
    }
}
