//! Fast-math rewrites (`nmc::ir::opt::relax`): each rule on small
//! expressions, where it must not fire, the divisions it saves in the RTM
//! channels' kernels, and that every model's fast-mode kernels stay close
//! to the exact-mode ones on random states.

mod common;
use common::bin;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use nmc::back::cranelift::{self, CompiledMechanism};
use nmc::back::math::MathMode;
use nmc::back::{Env, MechanismData, NodeData, RecordingEngine, Shared};
use nmc::diag::SourceMap;
use nmc::ir::opt::{Specialization, relax};
use nmc::ir::{
    BinOp, Builtin, Expr, Field, FieldId, FieldKind, Kernel, KernelKind, LocalId, MathFn, MechKind,
    Mechanism, Place, SharedVar, Stmt, UnOp,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

// ---- small expressions -------------------------------------------------

/// Locals of the test kernel: `r` receives the expression under test.
const LOCALS: [&str; 5] = ["r", "a", "b", "c", "x"];

fn local(name: &str) -> Expr {
    let k = LOCALS.iter().position(|l| *l == name).expect("local");
    Expr::Load(Place::Local(LocalId::new(k)))
}

fn field(name: &str) -> Expr {
    let k = FIELDS.iter().position(|l| *l == name).expect("field");
    Expr::Load(Place::Field(FieldId::new(k), None))
}

const FIELDS: [&str; 4] = ["tau", "xinf", "y", "arr"];

fn c(x: f64) -> Expr {
    Expr::Const(x)
}

fn div(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Div, a, b)
}

fn mul(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Mul, a, b)
}

fn add(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Add, a, b)
}

fn sub(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Sub, a, b)
}

fn neg(a: Expr) -> Expr {
    Expr::Unary(UnOp::Neg, Box::new(a))
}

fn exp(a: Expr) -> Expr {
    Expr::Math(MathFn::Exp, vec![a])
}

fn dt() -> Expr {
    Expr::Load(Place::Shared(SharedVar::Dt))
}

fn test_mech(body: Vec<Stmt>) -> Mechanism {
    let fields = FIELDS
        .iter()
        .map(|name| Field {
            name: name.to_string(),
            kind: FieldKind::Assigned,
            unit: None,
            default: 0.0,
            len: if *name == "arr" { 4 } else { 1 },
            range: true,
        })
        .collect();
    Mechanism {
        name: "t".into(),
        kind: MechKind::Density,
        ions: vec![],
        fields,
        globals: vec![],
        net_receive_args: vec![],
        kernels: vec![Kernel {
            kind: KernelKind::State,
            locals: LOCALS.iter().map(|l| l.to_string()).collect(),
            body,
        }],
        functions: vec![],
        global_arrays: vec![],
        watches: vec![],
        function_tables: vec![],
        randoms: vec![],
    }
}

/// The kernel's statements as printed after relaxing with `persistent`
/// fields (by name).
fn relaxed_body(body: Vec<Stmt>, persistent: &[&str]) -> Vec<String> {
    let mut m = test_mech(body);
    let persistent: BTreeSet<FieldId> = persistent
        .iter()
        .map(|n| FieldId::new(FIELDS.iter().position(|f| f == n).expect("field")))
        .collect();
    relax::relax(&mut m, &persistent);
    let text = nmc::ir::print::print(&m);
    let kernel = text
        .split("kernel state:\n")
        .nth(1)
        .expect("kernel printed");
    kernel
        .lines()
        .skip(1) // locals
        .map(|l| l.trim().to_string())
        .collect()
}

/// `e` relaxed, as printed (every field persistent).
fn relaxed(e: Expr) -> String {
    let body = relaxed_body(
        vec![Stmt::Assign(Place::Local(LocalId::new(0)), e)],
        &FIELDS,
    );
    body[0]
        .strip_prefix("r = ")
        .expect("assignment to r")
        .to_string()
}

#[test]
fn division_by_a_constant_becomes_a_multiplication() {
    assert_eq!(relaxed(div(local("a"), c(4.0))), "a * 0.25");
    assert_eq!(relaxed(div(local("a"), c(-8.0))), "a * -0.125");
    assert_eq!(
        relaxed(div(local("a"), c(3.0))),
        format!("a * {}", nmc::ir::print::num(1.0 / 3.0))
    );
    assert_eq!(relaxed(div(local("a"), c(1.0))), "a");
    // Not when the reciprocal is not a normal number or the divisor is
    // not a usable constant.
    assert_eq!(relaxed(div(local("a"), c(0.0))), "a / 0");
    assert_eq!(relaxed(div(local("a"), c(1e-310))), "a / 1e-310");
    assert_eq!(relaxed(div(local("a"), c(1e308))), "a / 1e308");
    assert_eq!(relaxed(div(local("a"), c(f64::INFINITY))), "a / inf");
    assert_eq!(relaxed(div(local("a"), local("b"))), "a / b");
}

#[test]
fn constants_fold_as_the_kernel_would() {
    assert_eq!(
        relaxed(div(c(27.0), c(5.0))),
        nmc::ir::print::num(27.0 / 5.0)
    );
    assert_eq!(relaxed(sub(c(0.1), c(0.3))), nmc::ir::print::num(0.1 - 0.3));
    assert_eq!(relaxed(neg(neg(local("a")))), "a");
}

#[test]
fn negations_move_out_and_cancel() {
    let (a, b) = (|| local("a"), || local("b"));
    assert_eq!(relaxed(div(neg(a()), neg(b()))), "a / b");
    assert_eq!(relaxed(mul(neg(a()), neg(b()))), "a * b");
    assert_eq!(relaxed(div(neg(a()), b())), "-(a / b)");
    assert_eq!(relaxed(div(a(), neg(b()))), "-(a / b)");
    // ... and end in constants or differences.
    assert_eq!(relaxed(div(neg(a()), c(5.0))), "a * -0.2");
    assert_eq!(relaxed(div(c(-1.0), b())), "-1 / b");
    assert_eq!(relaxed(add(local("c"), div(neg(a()), b()))), "c - a / b");
    assert_eq!(relaxed(sub(local("c"), div(neg(a()), b()))), "c + a / b");
    assert_eq!(relaxed(add(div(neg(a()), b()), local("c"))), "c - a / b");
}

#[test]
fn divisions_merge() {
    let (a, b, x) = (|| local("a"), || local("b"), || local("x"));
    // (a/b)/(c/b) -> a/c
    assert_eq!(relaxed(div(div(a(), b()), div(local("c"), b()))), "a / c");
    // a/(b/c) -> a*c/b
    assert_eq!(relaxed(div(a(), div(b(), local("c")))), "a * c / b");
    // (a/b)/c -> a/(b*c)
    assert_eq!(relaxed(div(div(a(), b()), local("c"))), "a / (b * c)");
    // a*(1/b) -> a/b, (a/b)*c -> a*c/b
    assert_eq!(relaxed(mul(a(), div(c(1.0), b()))), "a / b");
    assert_eq!(relaxed(mul(div(a(), b()), local("c"))), "a * c / b");
    // (a/b)*(c/x): one division.
    assert_eq!(
        relaxed(mul(div(a(), b()), div(local("c"), x()))),
        "a * c / (x * b)"
    );
    // Different divisors do not cancel.
    assert_eq!(
        relaxed(div(div(a(), b()), div(local("c"), x()))),
        "a * x / (b * c)"
    );
    // A sum of quotients keeps its divisions.
    assert_eq!(
        relaxed(add(div(a(), b()), div(local("c"), x()))),
        "a / b + c / x"
    );
}

#[test]
fn cnexp_update_simplifies() {
    // x + (1 - exp(dt*(-1/tau))) * (-(xinf/tau)/(-1/tau) - x), tau a
    // stored field.
    let tau = || field("tau");
    let e = add(
        local("x"),
        mul(
            sub(c(1.0), exp(mul(dt(), div(c(-1.0), tau())))),
            sub(
                div(neg(div(field("xinf"), tau())), div(c(-1.0), tau())),
                local("x"),
            ),
        ),
    );
    assert_eq!(relaxed(e), "x + (1 - exp(-(dt / tau))) * (xinf - x)");
}

#[test]
fn exp_of_a_multiple_becomes_a_power() {
    // exp(-0.2x - 10.4) next to exp(-0.025x - 1.425): the first is the
    // eighth power of the second times e.
    let affine = |k: f64, c0: f64| exp(sub(mul(local("x"), c(k)), c(c0)));
    let e = add(affine(-0.2, 10.4), affine(-0.025, 1.425));
    let base = "exp(x * -0.025 - 1.425)";
    let square = format!("{base} * {base}");
    let fourth = format!("{square} * ({square})");
    assert_eq!(
        relaxed(e),
        format!(
            "{fourth} * ({fourth}) * {} + {base}",
            nmc::ir::print::num(1f64.exp())
        )
    );
    // Odd powers, in the other order.
    assert_eq!(
        relaxed(add(affine(0.5, 0.0), affine(1.5, 0.0))),
        "exp(x * 0.5 - 0) + exp(x * 0.5 - 0) * exp(x * 0.5 - 0) * exp(x * 0.5 - 0) * 1"
    );
    // Not: a ratio that is no integer, above 8, a different variable, a
    // factor far from 1, separate statements.
    for e in [
        add(affine(0.5, 0.0), affine(0.75, 0.0)),
        add(affine(0.5, 0.0), affine(5.0, 0.0)),
        add(affine(0.5, 0.0), exp(mul(local("a"), c(1.0)))),
        add(affine(0.5, 0.0), affine(1.0, 50.0)),
    ] {
        let text = relaxed(e);
        assert_eq!(text.matches("exp(").count(), 2, "{text}");
    }
    let two = relaxed_body(
        vec![
            Stmt::Assign(Place::Local(LocalId::new(0)), affine(0.5, 0.0)),
            Stmt::Assign(Place::Local(LocalId::new(1)), affine(1.0, 0.0)),
        ],
        &FIELDS,
    );
    assert_eq!(two, ["r = exp(x * 0.5 - 0)", "a = exp(x - 0)"]);
}

#[test]
fn effects_and_indices_are_left_alone() {
    let rand = || Expr::Builtin(Builtin::UniRand, vec![]);
    // Dropping or reordering a random number would change the stream.
    assert_eq!(
        relaxed(div(div(local("a"), rand()), div(local("c"), rand()))),
        "a / unirand() / (c / unirand())"
    );
    assert_eq!(relaxed(div(rand(), c(4.0))), "unirand() / 4");
    // An index truncates: x/3 must stay x/3 there (the value around it
    // is still rewritten).
    let indexed = Expr::Load(Place::Field(
        FieldId::new(3),
        Some(Box::new(div(local("x"), c(3.0)))),
    ));
    assert_eq!(relaxed(div(indexed, c(2.0))), "arr[x / 3] * 0.5");
}

#[test]
fn reciprocal_stored_for_divisor_only_variables() {
    let tau_def = || div(add(local("a"), c(1.0)), local("b"));
    let use_tau = |p: Place| div(dt(), Expr::Load(p));
    // A local (`c`): c = (a+1)/b; r = dt/c; if a { x = 2/c }.
    let body = vec![
        Stmt::Assign(Place::Local(LocalId::new(3)), tau_def()),
        Stmt::Assign(
            Place::Local(LocalId::new(0)),
            use_tau(Place::Local(LocalId::new(3))),
        ),
        Stmt::If {
            cond: local("a"),
            then: vec![Stmt::Assign(
                Place::Local(LocalId::new(4)),
                div(c(2.0), local("c")),
            )],
            otherwise: vec![],
        },
    ];
    assert_eq!(
        relaxed_body(body, &FIELDS),
        ["c = b / (a + 1)", "r = dt * c", "if a {", "x = 2 * c", "}"]
    );
    // A field nobody observes: the same; a persistent one keeps its value.
    let tau = Place::Field(FieldId::new(0), None);
    let body = vec![
        Stmt::Assign(tau.clone(), tau_def()),
        Stmt::Assign(Place::Local(LocalId::new(0)), use_tau(tau.clone())),
    ];
    assert_eq!(
        relaxed_body(body.clone(), &[]),
        ["tau = b / (a + 1)", "r = dt * tau"]
    );
    assert_eq!(
        relaxed_body(body.clone(), &["tau"]),
        ["tau = (a + 1) / b", "r = dt / tau"]
    );
    // Read other than as a divisor, read before it is set, or set twice:
    // left alone.
    let other_read = vec![
        body[0].clone(),
        body[1].clone(),
        Stmt::Assign(
            Place::Local(LocalId::new(4)),
            mul(Expr::Load(tau.clone()), c(2.0)),
        ),
    ];
    assert_eq!(
        relaxed_body(other_read, &[])[..2],
        ["tau = (a + 1) / b", "r = dt / tau"]
    );
    let read_before = vec![body[1].clone(), body[0].clone(), body[1].clone()];
    assert_eq!(relaxed_body(read_before, &[])[1], "tau = (a + 1) / b");
    let set_twice = vec![
        body[0].clone(),
        body[1].clone(),
        Stmt::Assign(tau.clone(), tau_def()),
    ];
    assert_eq!(relaxed_body(set_twice, &[])[0], "tau = (a + 1) / b");
    // A divisor inside an index is a read that cannot be rewritten.
    let in_index = vec![
        body[0].clone(),
        body[1].clone(),
        Stmt::Assign(
            Place::Local(LocalId::new(4)),
            Expr::Load(Place::Field(
                FieldId::new(3),
                Some(Box::new(use_tau(tau.clone()))),
            )),
        ),
    ];
    assert_eq!(relaxed_body(in_index, &[])[0], "tau = (a + 1) / b");
}

// ---- the models ----------------------------------------------------------

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(path: &Path) -> Option<Mechanism> {
    let mut map = SourceMap::new();
    let outcome = nmc::driver::pipeline::compile_file(&mut map, path);
    if outcome.failed() {
        return None;
    }
    outcome.mechanism
}

fn model(name: &str) -> Mechanism {
    load(&root().join("models").join(name)).expect("model compiles")
}

/// What the simulator assumes for a run recording nothing, every scalar
/// PARAMETER uniform (as kernel_bench does), ion currents still read.
fn run_spec(mech: &Mechanism) -> Specialization {
    Specialization::defaults_unobserved(mech, &[])
}

fn divisions(e: &Expr) -> usize {
    let own = usize::from(matches!(e, Expr::Binary(BinOp::Div, ..)));
    let below: usize = match e {
        Expr::Const(_) | Expr::Load(_) => 0,
        Expr::Unary(_, a) => divisions(a),
        Expr::Binary(_, a, b) => divisions(a) + divisions(b),
        Expr::Math(_, args)
        | Expr::Call(_, args)
        | Expr::Builtin(_, args)
        | Expr::FunctionTable(_, args) => args.iter().map(divisions).sum(),
    };
    own + below
}

/// Divisions in the current and state kernels of `mech`.
fn step_divisions(mech: &Mechanism) -> usize {
    mech.kernels
        .iter()
        .filter(|k| matches!(k.kind, KernelKind::Current | KernelKind::State))
        .flat_map(|k| &k.body)
        .map(|s| match s {
            Stmt::Assign(_, e) | Stmt::Accumulate(_, e) => divisions(e),
            _ => 0,
        })
        .sum()
}

/// `fdiv` instructions in the CLIF of the current and state kernels.
fn clif_fdivs(mech: &Mechanism, mode: MathMode) -> usize {
    let text = cranelift::clif_text_specialized(mech, mode, &run_spec(mech)).expect("compiles");
    text.split("\n; ")
        .filter(|f| f.starts_with("kernel_current") || f.starts_with("kernel_state"))
        .map(|f| f.matches(" fdiv").count())
        .sum()
}

#[test]
fn rtm_channels_divide_once_per_rate() {
    let mut exact = 0;
    let mut fast = 0;
    let mut exact_clif = 0;
    let mut fast_clif = 0;
    for name in ["na_rtm.mod", "k_rtm.mod"] {
        let mech = model(name);
        let spec = run_spec(&mech);
        exact += step_divisions(&nmc::ir::opt::specialize(&mech, &spec).expect("ok").mech);
        fast += step_divisions(&relax::specialize_fast(&mech, &spec).expect("ok").mech);
        exact_clif += clif_fdivs(&mech, MathMode::Exact);
        fast_clif += clif_fdivs(&mech, MathMode::Fast);
    }
    eprintln!(
        "divisions per instance-step: {exact} exact, {fast} fast; \
         fdiv in the CLIF: {exact_clif} exact, {fast_clif} fast"
    );
    // na_rtm computes minf, hinf, htau; k_rtm ninf, ntau: one division
    // for each (1/(1+exp(..)) and the reciprocal of tau), none elsewhere.
    assert!(fast <= 5, "{fast} divisions left in fast mode");
    assert!(fast * 4 <= exact, "{fast} fast vs {exact} exact divisions");
    // In the CLIF, fast math has every f64x2 body twice (the range-free
    // exp's, and the same body with the full exp for a group redone: see
    // back/cranelift/vector.rs), so statically its 4x fewer divisions per
    // executed path show as 2x fewer fdiv instructions.
    assert!(
        fast_clif * 2 <= exact_clif,
        "CLIF: {fast_clif} fdiv fast vs {exact_clif} exact"
    );
}

// ---- fast against exact on random states --------------------------------

const INSTANCES: usize = 6;

/// Node arrays and data for `mech`: every instance on its own node at a
/// random voltage, random states in [0, 1], random ion values.
fn setup(mech: &Mechanism, rng: &mut StdRng) -> (MechanismData, NodeData) {
    let mut data = MechanismData::new(mech, INSTANCES);
    let nodes: Vec<u32> = (0..INSTANCES as u32).collect();
    assert!(data.set_node_index(&nodes));
    for (id, f) in mech.fields_with_ids() {
        if f.kind == FieldKind::State {
            let slot = data.layout().field_slot[id];
            for col in slot..slot + f.len.max(1) {
                for i in 0..INSTANCES {
                    data.set_value(col, i, rng.random_range(0.0..1.0));
                }
            }
        }
    }
    let mut node = NodeData::new(INSTANCES);
    for v in node.v.iter_mut() {
        *v = rng.random_range(-100.0..60.0);
    }
    for (_, name) in data.layout().ion_vars.clone() {
        let value = if name.starts_with('e') {
            rng.random_range(-100.0..100.0)
        } else if name.starts_with('i') || name.starts_with('d') {
            0.0
        } else {
            rng.random_range(0.01..10.0)
        };
        node.add_ion(&name, value);
    }
    (data, node)
}

/// Every value a kernel may change that `keep` selects among the fields,
/// plus the node and ion arrays.
fn snapshot(
    mech: &Mechanism,
    data: &MechanismData,
    nodes: &NodeData,
    keep: &dyn Fn(&Field) -> bool,
) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for (id, f) in mech.fields_with_ids() {
        if !keep(f) {
            continue;
        }
        let slot = data.layout().field_slot[id];
        for col in slot..slot + f.len.max(1) {
            for i in 0..data.count() {
                let v = data.value(col, i).unwrap_or(f64::NAN);
                out.push((format!("{}[{i}]", f.name), v));
            }
        }
    }
    for (name, a) in [("rhs", &nodes.rhs), ("diag", &nodes.diag)] {
        for (k, v) in a.iter().enumerate() {
            out.push((format!("{name} of node {k}"), *v));
        }
    }
    for (name, a) in &nodes.ions {
        for (k, v) in a.iter().enumerate() {
            out.push((format!("{name} of node {k}"), *v));
        }
    }
    out
}

/// Runs init, then current and state twice, from the same random state
/// through `compiled`; a snapshot after every kernel.
fn run(
    mech: &Mechanism,
    compiled: &CompiledMechanism,
    seed: u64,
    keep: &dyn Fn(&Field) -> bool,
) -> Vec<Vec<(String, f64)>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut data, mut nodes) = setup(mech, &mut rng);
    let mut shared = Shared {
        dt: 0.025,
        ..Shared::default()
    };
    let mut engine = RecordingEngine::new();
    let mut snaps = Vec::new();
    use KernelKind::{Current, Init, State};
    for (k, kind) in [Current, State, Current, State, Init]
        .into_iter()
        .enumerate()
    {
        if kind == Init {
            // A fresh random state for INITIAL.
            (data, nodes) = setup(mech, &mut rng);
        }
        if k == 2 {
            shared.t += shared.dt;
        }
        let mut env = Env {
            nodes: &mut nodes,
            shared: &mut shared,
            engine: &mut engine,
            event: None,
        };
        compiled
            .run(kind, &mut data, &mut env)
            .unwrap_or_else(|e| panic!("{}: {kind:?}: {e}", mech.name));
        snaps.push(snapshot(mech, &data, &nodes, keep));
    }
    snaps
}

/// For a numerical conductance (`diag`, `di..dv`), the current it is the
/// difference quotient of (`rhs`, `i..`) at the same node.
fn quotient_of(what: &str) -> Option<String> {
    if let Some(node) = what.strip_prefix("diag ") {
        return Some(format!("rhs {node}"));
    }
    let (array, node) = what.split_once(' ')?;
    let current = array.strip_prefix('d')?.strip_suffix("dv")?;
    Some(format!("{current} {node}"))
}

/// The largest relative difference between fast- and exact-mode kernels
/// of `mech` over `trials` random states (NaN in both counts as equal),
/// with the value it was found at.
fn worst_relative(
    mech: &Mechanism,
    spec: &Specialization,
    keep: &dyn Fn(&Field) -> bool,
    trials: u64,
) -> (f64, String) {
    let exact = cranelift::compile_specialized(mech, MathMode::Exact, spec).expect("exact");
    let fast = cranelift::compile_specialized(mech, MathMode::Fast, spec).expect("fast");
    let mut worst = (0.0f64, String::new());
    for seed in 0..trials {
        let a = run(mech, &exact, seed, keep);
        let b = run(mech, &fast, seed, keep);
        for (step, (sa, sb)) in a.iter().zip(&b).enumerate() {
            let values: BTreeMap<&str, f64> = sa.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            for ((what, x), (_, y)) in sa.iter().zip(sb) {
                if x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()) {
                    continue;
                }
                // A numerical conductance is measured against the size of
                // the currents it is the difference quotient of.
                let scale = quotient_of(what)
                    .and_then(|i| values.get(i.as_str()))
                    .map_or(0.0, |i| i.abs() / 0.001);
                let rel = (x - y).abs() / x.abs().max(y.abs()).max(scale);
                let rel = if rel.is_nan() { f64::INFINITY } else { rel };
                if rel > worst.0 {
                    worst = (
                        rel,
                        format!("kernel #{step}, {what}: exact {x:e} fast {y:e}"),
                    );
                }
            }
        }
    }
    worst
}

/// Fast mode (nmc's exp and the rewrites) against exact mode, every model
/// and every value the kernels leave, plain and specialised as a run
/// specialises them, within 1e-12 relative. The numerical conductances
/// (`diag`, `dinadv`, ..: `(i(v+0.001) - i(v))/0.001`) are measured
/// against |i|/0.001, the size of what they are computed from: an ulp of
/// a current is ~1e-16 * |i| in either mode, and the quotient turns it
/// into ~1e-13 * |i| whatever the conductance. Measured (`--nocapture`):
/// at most 3.5e-14 (k_rtm's ntau, from a power of exp) when this test was
/// written.
#[test]
fn fast_mode_stays_close_to_exact_mode() {
    const TOLERANCE: f64 = 1e-12;
    let mut dir: Vec<PathBuf> = Vec::new();
    for folder in ["models", "builtins"] {
        dir.extend(
            std::fs::read_dir(root().join(folder))
                .unwrap_or_else(|e| panic!("{folder}/: {e}"))
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "mod")),
        );
    }
    dir.sort();
    let mut tested = 0;
    for path in &dir {
        let Some(mech) = load(path) else {
            continue;
        };
        let all = |_: &Field| true;
        let states = |f: &Field| f.kind == FieldKind::State;
        for (what, spec, keep) in [
            (
                "plain",
                Specialization::none(),
                &all as &dyn Fn(&Field) -> bool,
            ),
            ("specialised", run_spec(&mech), &states),
        ] {
            let (rel, at) = worst_relative(&mech, &spec, keep, 16);
            eprintln!("{} ({what}): {rel:.2e} {at}", mech.name);
            assert!(
                rel <= TOLERANCE,
                "{} ({what}): fast differs from exact by {rel:e} relative at {at}",
                mech.name
            );
        }
        tested += 1;
    }
    assert!(tested >= 10, "only {tested} models tested");
}
