//! The f64x2 pair loop (src/back/cranelift/vector.rs) against the
//! interpreter: every kernel of every model and corpus file runs through
//! both for instance counts with and without an odd last instance, with
//! one instance per node (as density mechanisms have) and with instances
//! sharing nodes (which the pair loop must also get right), in both math
//! modes; every field, node and ion array must agree bit for bit after
//! every kernel. Also pins which kernels of models/ are vectorised.

mod common;
use common::{bin, mod_files};

use std::path::Path;

use nmc::back::cranelift::{self, CompiledMechanism};
use nmc::back::math::MathMode;
use nmc::back::{Env, MechanismData, NodeData, RecordingEngine, Shared, interp};
use nmc::ir::opt::Specialization;
use nmc::ir::{
    BinOp, Expr, Field, FieldId, FieldKind, FuncId, Function, Global, GlobalId, Kernel, KernelKind,
    LocalId, MathFn, MechKind, Mechanism, NodeArray, Place, SharedVar, Stmt, UnOp,
};

/// 200: 33 groups of 6, two passes over a block of 32 and one of 1, 2
/// instances left to the scalar loop; 1000: 5 blocks of 32 and one of 6.
const COUNTS: [usize; 6] = [1, 2, 3, 7, 200, 1000];

fn mechanism(path: &Path) -> Option<Mechanism> {
    let mut map = nmc::diag::SourceMap::new();
    let outcome = nmc::driver::pipeline::compile_file(&mut map, path);
    if outcome.failed() {
        return None;
    }
    outcome.mechanism
}

/// A deterministic value in [0, 1) for `k` (a 64-bit mix).
fn unit(k: u64) -> f64 {
    let mut x = k.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// How instances sit on nodes.
#[derive(Clone, Copy, Debug)]
enum Nodes {
    /// Instance i on node i (density mechanisms in a simulation).
    OnePerInstance,
    /// Instance i on node i % 3: neighbours differ, nodes repeat.
    Modulo3,
    /// Instances 2k and 2k + 1 on node k: both lanes of a pair on one node.
    Pairs,
}

const LAYOUTS: [Nodes; 3] = [Nodes::OnePerInstance, Nodes::Modulo3, Nodes::Pairs];

/// Data for `count` instances placed by `layout`, states and voltages
/// spread over their ranges.
fn setup(mech: &Mechanism, count: usize, layout: Nodes) -> (MechanismData, NodeData) {
    let mut data = MechanismData::new(mech, count);
    let node = |i: usize| match layout {
        Nodes::OnePerInstance => i,
        Nodes::Modulo3 => i % 3,
        Nodes::Pairs => i / 2,
    };
    let index: Vec<u32> = (0..count).map(|i| node(i) as u32).collect();
    let n_nodes = (0..count).map(node).max().map_or(0, |n| n + 1);
    assert!(data.set_node_index(&index));
    let mut k = count as u64 * 7919;
    for (id, field) in mech.fields_with_ids() {
        if matches!(field.kind, FieldKind::State | FieldKind::Assigned) {
            let slot = data.layout().field_slot[id];
            for col in slot..slot + field.len.max(1) {
                for i in 0..count {
                    data.set_value(col, i, unit(k));
                    k += 1;
                }
            }
        }
    }
    let mut nodes = NodeData::new(n_nodes);
    for (i, v) in nodes.v.iter_mut().enumerate() {
        *v = -90.0 + 140.0 * unit(1_000_000 + i as u64);
    }
    for (n, (_, name)) in data.layout().ion_vars.clone().iter().enumerate() {
        let u = unit(2_000_000 + n as u64);
        let value = if name.starts_with('e') {
            -100.0 + 200.0 * u
        } else if name.starts_with('i') || name.starts_with('d') {
            // Nonzero, so kernels reading ion currents see distinct values.
            0.1 * (u - 0.5)
        } else {
            0.01 + 10.0 * u
        };
        nodes.add_ion(name, value);
    }
    (data, nodes)
}

/// Every value a kernel can change, as bits.
fn snapshot(mech: &Mechanism, data: &MechanismData, nodes: &NodeData) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for (id, field) in mech.fields_with_ids() {
        let slot = data.layout().field_slot[id];
        for col in slot..slot + field.len.max(1) {
            for i in 0..data.count() {
                let v = data.value(col, i).unwrap_or(f64::NAN);
                out.push((format!("{} of instance {i}", field.name), v.to_bits()));
            }
        }
    }
    for (name, array) in [("v", &nodes.v), ("rhs", &nodes.rhs), ("diag", &nodes.diag)] {
        for (k, v) in array.iter().enumerate() {
            out.push((format!("{name} of node {k}"), v.to_bits()));
        }
    }
    for (name, array) in &nodes.ions {
        for (k, v) in array.iter().enumerate() {
            out.push((format!("{name} of node {k}"), v.to_bits()));
        }
    }
    out
}

/// A step of current + state, INITIAL, another step, on the interpreter (`None`)
/// or the JIT; the snapshot after every kernel.
fn run(
    mode: MathMode,
    mech: &Mechanism,
    count: usize,
    layout: Nodes,
    jit: Option<&CompiledMechanism>,
) -> Vec<Vec<(String, u64)>> {
    let (mut data, mut nodes) = setup(mech, count, layout);
    let mut shared = Shared {
        dt: 0.025,
        ..Shared::default()
    };
    let mut engine = RecordingEngine::new();
    let mut snaps = Vec::new();
    // States first from the random data, then from INITIAL's values.
    let kinds = [
        KernelKind::Current,
        KernelKind::State,
        KernelKind::Init,
        KernelKind::Current,
        KernelKind::State,
    ];
    for kind in kinds {
        if !mech.kernels.iter().any(|k| k.kind == kind) {
            continue;
        }
        let mut env = Env {
            nodes: &mut nodes,
            shared: &mut shared,
            engine: &mut engine,
            event: None,
        };
        let result = match jit {
            Some(c) => c.run(kind, &mut data, &mut env),
            None => interp::run_kernel_in(mode, mech, kind, &mut data, &mut env),
        };
        result.unwrap_or_else(|e| panic!("{}: {kind:?}: {e}", mech.name));
        snaps.push(snapshot(mech, &data, &nodes));
    }
    snaps
}

/// Runs every file of `dir` whose mechanism has a vectorised kernel;
/// returns how many such mechanisms there were.
fn agree_in(dir: &str, mode: MathMode) -> usize {
    let mut tested = 0;
    for path in mod_files(dir) {
        let Some(mech) = mechanism(&path) else {
            continue;
        };
        let kinds = cranelift::vectorized_kernels(&mech, &Specialization::none())
            .unwrap_or_else(|d| panic!("{}: {}", path.display(), d.message));
        if kinds.iter().all(|(_, why)| why.is_some()) {
            continue;
        }
        let compiled = cranelift::compile_with(&mech, mode)
            .unwrap_or_else(|d| panic!("{}: {}", path.display(), d.message));
        for count in COUNTS {
            for layout in LAYOUTS {
                let want = run(mode, &mech, count, layout, None);
                let got = run(mode, &mech, count, layout, Some(&compiled));
                for (step, (w, g)) in want.iter().zip(&got).enumerate() {
                    for ((what, a), (_, b)) in w.iter().zip(g) {
                        assert_eq!(
                            a,
                            b,
                            "{} ({mode:?}, {count} instances, {layout:?}), \
                             kernel #{step}: {what}: interp {:e} vs jit {:e}",
                            path.display(),
                            f64::from_bits(*a),
                            f64::from_bits(*b)
                        );
                    }
                }
            }
        }
        tested += 1;
    }
    tested
}

#[test]
fn vectorised_models_agree_bit_for_bit() {
    assert!(agree_in("models", MathMode::Exact) >= 3);
    assert!(agree_in("models", MathMode::Fast) >= 3);
    assert!(agree_in("builtins", MathMode::Exact) >= 1);
}

#[test]
fn vectorised_corpus_files_agree_bit_for_bit() {
    assert!(agree_in("tests/corpus", MathMode::Exact) >= 1);
    assert!(agree_in("tests/corpus", MathMode::Fast) >= 1);
}

/// A run's specialised kernels keep INITIAL scalar (it runs once; its
/// pair loop only cost compile time) and still give the interpreter's
/// bits: every field observed, so the specialisation drops nothing and
/// the snapshots compare field for field.
#[test]
fn specialised_initial_is_scalar_and_agrees_bit_for_bit() {
    let mut tested = 0;
    for path in mod_files("models") {
        let Some(mech) = mechanism(&path) else {
            continue;
        };
        let plain = cranelift::vectorized_kernels(&mech, &Specialization::none())
            .unwrap_or_else(|d| panic!("{}: {}", path.display(), d.message));
        if !plain.contains(&(KernelKind::Init, None)) {
            continue;
        }
        let spec = Specialization {
            observed: Some(mech.fields_with_ids().map(|(id, _)| id).collect()),
            ..Specialization::none()
        };
        let kinds = cranelift::vectorized_kernels(&mech, &spec)
            .unwrap_or_else(|d| panic!("{}: {}", path.display(), d.message));
        let split = cranelift::split_kernels(&mech, &spec)
            .unwrap_or_else(|d| panic!("{}: {}", path.display(), d.message));
        assert!(
            split.iter().all(|(kind, _)| *kind != KernelKind::Init),
            "{}: a scalar INITIAL listed as split: {split:?}",
            mech.name
        );
        for (kind, why) in &kinds {
            let pairs = plain.contains(&(*kind, None));
            match kind {
                KernelKind::Init => assert!(why.is_some(), "{}: INITIAL vectorised", mech.name),
                _ => assert_eq!(why.is_none(), pairs, "{}: {kind:?}", mech.name),
            }
        }
        // Exact math: fast mode's specialised kernels may also be
        // rewritten (`ir::opt::relax`), which moves last bits.
        let mode = MathMode::Exact;
        let compiled = cranelift::compile_specialized(&mech, mode, &spec)
            .unwrap_or_else(|d| panic!("{}: {}", path.display(), d.message));
        for count in [3, 200] {
            let want = run(mode, &mech, count, LAYOUTS[0], None);
            let got = run(mode, &mech, count, LAYOUTS[0], Some(&compiled));
            assert_eq!(want, got, "{} ({count} instances)", mech.name);
        }
        tested += 1;
    }
    assert!(tested >= 2, "{tested} models with a vectorised INITIAL");
}

/// Which kernels of models/ get the pair loop, and why the others do not
/// (printed with `--nocapture`); the RTM channels' current kernels must.
#[test]
fn vectorised_kernels_of_the_models() {
    let mut report = String::new();
    let mut vectorised = Vec::new();
    for path in mod_files("models") {
        let Some(mech) = mechanism(&path) else {
            continue;
        };
        let kinds = cranelift::vectorized_kernels(&mech, &Specialization::none())
            .unwrap_or_else(|d| panic!("{}: {}", path.display(), d.message));
        for (kind, why) in kinds {
            match why {
                None => {
                    report.push_str(&format!("{} {kind:?}: f64x2\n", mech.name));
                    vectorised.push((mech.name.clone(), kind));
                }
                Some(why) => report.push_str(&format!("{} {kind:?}: scalar ({why})\n", mech.name)),
            }
        }
    }
    eprint!("{report}");
    for name in ["na_rtm", "k_rtm", "leak"] {
        assert!(
            vectorised.contains(&(name.to_string(), KernelKind::Current)),
            "{name}'s current kernel is not vectorised:\n{report}"
        );
    }
    // Point processes never are (several may share a node).
    assert!(!vectorised.iter().any(|(name, _)| name == "ExpSyn"));
}

/// The RTM channels' state kernels run in two passes (rates, then the
/// cnexp update); their current kernels in one.
#[test]
fn state_kernels_of_the_rtm_channels_run_in_two_passes() {
    for name in ["na_rtm", "k_rtm"] {
        let path = Path::new("models").join(format!("{name}.mod"));
        let mech = mechanism(&path).unwrap_or_else(|| panic!("{name} compiles"));
        let split = cranelift::split_kernels(&mech, &Specialization::none())
            .unwrap_or_else(|d| panic!("{name}: {}", d.message));
        let kinds: Vec<KernelKind> = split.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, [KernelKind::State], "{name}");
        // The first pass has the rates (the cut is in the optimised body).
        assert!(split[0].1 > 0, "{name}: {split:?}");
    }
}

fn fld(id: usize) -> Place {
    Place::Field(FieldId::new(id), None)
}
fn load(p: Place) -> Expr {
    Expr::Load(p)
}
fn f(id: usize) -> Expr {
    load(fld(id))
}
fn c(x: f64) -> Expr {
    Expr::Const(x)
}
fn math(m: MathFn, args: Vec<Expr>) -> Expr {
    Expr::Math(m, args)
}

/// A density mechanism made to exercise the pair loop: a FUNCTION with a
/// field write, every operator, library math, globals and shared values,
/// and two accumulations into one node array (whose order matters when
/// both instances of a pair sit on one node).
fn synthetic() -> Mechanism {
    let field = |name: &str, kind: FieldKind| Field {
        name: name.into(),
        kind,
        unit: None,
        default: 0.0,
        len: 1,
        range: true,
    };
    let (v, g, x, y, w) = (0, 1, 2, 3, 4);
    let shared = |s| load(Place::Shared(s));
    let nv = || load(Place::Node(NodeArray::V));
    let mut flags = c(0.0);
    for (k, op) in [
        BinOp::Lt,
        BinOp::Le,
        BinOp::Gt,
        BinOp::Ge,
        BinOp::Eq,
        BinOp::Ne,
        BinOp::And,
        BinOp::Or,
    ]
    .into_iter()
    .enumerate()
    {
        let cmp = bin(
            op,
            bin(BinOp::Sub, f(x), c(0.5)),
            bin(BinOp::Mul, f(g), c(0.3)),
        );
        flags = bin(BinOp::Add, flags, bin(BinOp::Mul, cmp, c((1 << k) as f64)));
    }
    flags = bin(
        BinOp::Add,
        flags,
        Expr::Unary(UnOp::Not, Box::new(bin(BinOp::Gt, f(x), c(0.5)))),
    );
    let mut libm = bin(BinOp::Pow, math(MathFn::Fabs, vec![f(v)]), c(0.5));
    for e in [
        math(MathFn::Floor, vec![f(v)]),
        math(MathFn::Ceil, vec![bin(BinOp::Mul, f(x), c(10.0))]),
        math(MathFn::Fmin, vec![f(v), f(x)]),
        math(MathFn::Fmax, vec![f(v), f(g)]),
        math(MathFn::Sqrt, vec![f(x)]),
        math(MathFn::Exp, vec![f(x)]),
        math(MathFn::Log, vec![bin(BinOp::Add, f(x), c(1.0))]),
        math(MathFn::Atan2, vec![f(x), f(g)]),
        math(MathFn::Exp, vec![f(x)]),
        // Beyond the range-free fast exp's window for v < -78.7 (about 40%
        // of the groups of six): those groups are redone with the full one.
        math(MathFn::Exp, vec![bin(BinOp::Mul, f(v), c(4.5))]),
        bin(
            BinOp::Mul,
            load(Place::Global(GlobalId::new(0))),
            shared(SharedVar::Dt),
        ),
        bin(BinOp::Div, shared(SharedVar::Celsius), c(7.0)),
    ] {
        libm = bin(BinOp::Add, libm, e);
    }
    let current = vec![
        Stmt::Assign(fld(v), nv()),
        Stmt::Assign(
            Place::Local(LocalId::new(0)),
            bin(BinOp::Add, Expr::Call(FuncId::new(0), vec![f(v)]), f(g)),
        ),
        Stmt::Accumulate(Place::Node(NodeArray::Rhs), bin(BinOp::Mul, f(g), f(v))),
        Stmt::Accumulate(Place::Node(NodeArray::Diag), f(g)),
        Stmt::Accumulate(
            Place::Node(NodeArray::Rhs),
            bin(
                BinOp::Add,
                bin(BinOp::Mul, c(0.1), f(g)),
                bin(BinOp::Mul, load(Place::Local(LocalId::new(0))), c(1e-3)),
            ),
        ),
        Stmt::Assign(fld(y), flags),
        Stmt::Accumulate(fld(y), libm),
        Stmt::Accumulate(Place::Local(LocalId::new(0)), f(y)),
        Stmt::Accumulate(
            Place::Node(NodeArray::Diag),
            load(Place::Local(LocalId::new(0))),
        ),
    ];
    let dt = shared(SharedVar::Dt);
    let state = vec![Stmt::Assign(
        fld(x),
        bin(
            BinOp::Add,
            f(x),
            bin(
                BinOp::Mul,
                bin(
                    BinOp::Sub,
                    c(1.0),
                    math(
                        MathFn::Exp,
                        vec![bin(
                            BinOp::Div,
                            Expr::Unary(UnOp::Neg, Box::new(dt)),
                            bin(BinOp::Add, c(1.0), f(g)),
                        )],
                    ),
                ),
                bin(BinOp::Sub, bin(BinOp::Mul, f(y), c(1e-3)), f(x)),
            ),
        ),
    )];
    Mechanism {
        name: "synthetic".into(),
        kind: MechKind::Density,
        ions: vec![],
        fields: vec![
            field("v", FieldKind::Voltage),
            field("g", FieldKind::Assigned),
            field("x", FieldKind::State),
            field("y", FieldKind::Assigned),
            field("w", FieldKind::Assigned),
        ],
        globals: vec![Global {
            name: "k".into(),
            default: 0.7,
            unit: None,
            settable: true,
        }],
        net_receive_args: vec![],
        kernels: vec![
            Kernel {
                kind: KernelKind::Current,
                locals: vec!["t0".into()],
                body: current,
            },
            Kernel {
                kind: KernelKind::State,
                locals: vec![],
                body: state,
            },
        ],
        functions: vec![Function {
            name: "f".into(),
            params: 1,
            locals: vec!["a".into(), "f".into()],
            result: LocalId::new(1),
            body: vec![
                Stmt::Accumulate(fld(w), load(Place::Local(LocalId::new(0)))),
                Stmt::Assign(
                    Place::Local(LocalId::new(1)),
                    bin(
                        BinOp::Add,
                        bin(BinOp::Mul, load(Place::Local(LocalId::new(0))), c(2.0)),
                        f(x),
                    ),
                ),
            ],
            returns_value: true,
        }],
        global_arrays: vec![],
        watches: vec![],
        function_tables: vec![],
        randoms: vec![],
    }
}

#[test]
fn synthetic_kernels_agree_bit_for_bit() {
    let mech = synthetic();
    let kinds = cranelift::vectorized_kernels(&mech, &Specialization::none()).expect("checks");
    assert_eq!(
        kinds,
        vec![(KernelKind::Current, None), (KernelKind::State, None)]
    );
    for mode in [MathMode::Exact, MathMode::Fast] {
        let compiled = cranelift::compile_with(&mech, mode).expect("compiles");
        for count in COUNTS {
            for layout in LAYOUTS {
                let want = run(mode, &mech, count, layout, None);
                let got = run(mode, &mech, count, layout, Some(&compiled));
                assert_eq!(want.len(), 4);
                for (step, (w, g)) in want.iter().zip(&got).enumerate() {
                    for ((what, a), (_, b)) in w.iter().zip(g) {
                        assert_eq!(
                            a, b,
                            "synthetic ({mode:?}, {count} instances, {layout:?}), kernel #{step}: {what}"
                        );
                    }
                }
            }
        }
    }
}
