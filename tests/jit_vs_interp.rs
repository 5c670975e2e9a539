//! Differential tests: every kernel of every mechanism runs through the
//! Cranelift JIT and the reference interpreter on random valid states, and
//! the two must agree to 1e-12 relative (in practice bit for bit): every
//! column, global, node and ion array, NET_RECEIVE argument and engine call.
//! Both math modes are tested: in `Fast` mode the interpreter uses the same
//! `exp` as the JIT (`back::fast_math`) and runs the same rewritten kernels
//! (`ir::opt::relax`), so the tolerance stays the same.

mod common;
use common::mod_files;

use nmc::back::cranelift::{self, CompiledMechanism};
use nmc::back::math::MathMode;
use nmc::back::samples;
use nmc::back::{EngineCall, Env, Event, MechanismData, NodeData, RecordingEngine, Shared, interp};
use nmc::ir::opt::{Specialization, relax};
use nmc::ir::{FieldId, FieldKind, KernelKind, Mechanism};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const INSTANCES: usize = 5;
const NODES: usize = 3;

/// Random inputs of one trial.
#[derive(Clone, Debug)]
struct Trial {
    v: Vec<f64>,
    states: Vec<f64>,
    ions: Vec<f64>,
    nodes: Vec<u32>,
    target: usize,
    weight: f64,
    t: f64,
    flag: f64,
}

fn trial() -> impl Strategy<Value = Trial> {
    (
        prop::collection::vec(-100.0..60.0f64, NODES),
        prop::collection::vec(0.0..1.0f64, 64),
        prop::collection::vec(0.0..1.0f64, 32),
        prop::collection::vec(0..NODES as u32, INSTANCES),
        0..INSTANCES,
        0.0..0.1f64,
        0.0..100.0f64,
        prop::sample::select(vec![0.0, 1.0, 2.0]),
    )
        .prop_map(|(v, states, ions, nodes, target, weight, t, flag)| Trial {
            v,
            states,
            ions,
            nodes,
            target,
            weight,
            t,
            flag,
        })
}

/// Node arrays and mechanism data for `mech` filled from `trial`.
fn setup(mech: &Mechanism, trial: &Trial) -> (MechanismData, NodeData) {
    let mut data = MechanismData::new(mech, INSTANCES);
    assert!(data.set_node_index(&trial.nodes));
    let mut k = 0;
    for (id, field) in mech.fields_with_ids() {
        if field.kind == FieldKind::State {
            let slot = data.layout().field_slot[id];
            for col in slot..slot + field.len.max(1) {
                for i in 0..INSTANCES {
                    data.set_value(col, i, trial.states[k % trial.states.len()]);
                    k += 1;
                }
            }
        }
    }
    let mut nodes = NodeData::new(NODES);
    nodes.v.copy_from_slice(&trial.v);
    for (n, (_, name)) in data.layout().ion_vars.clone().iter().enumerate() {
        let u = trial.ions[n % trial.ions.len()];
        let value = if name.starts_with('e') {
            -100.0 + 200.0 * u
        } else if name.starts_with('i') || name.starts_with('d') {
            0.0
        } else {
            0.01 + 10.0 * u
        };
        nodes.add_ion(name, value);
    }
    (data, nodes)
}

/// Named values after one kernel.
type Snapshot = Vec<(String, f64)>;

/// Everything a kernel run can change, flattened for comparison.
fn snapshot(
    mech: &Mechanism,
    data: &MechanismData,
    nodes: &NodeData,
    shared: &Shared,
    args: &[f64],
) -> Snapshot {
    let mut out = Vec::new();
    for (id, field) in mech.fields_with_ids() {
        let slot = data.layout().field_slot[id];
        for col in slot..slot + field.len.max(1) {
            for i in 0..data.count() {
                let v = data.value(col, i).unwrap_or(f64::NAN);
                out.push((format!("{}[{}] of instance {i}", field.name, col - slot), v));
            }
        }
    }
    for (g, v) in data.globals().iter().enumerate() {
        out.push((format!("global {g}"), *v));
    }
    for a in 0..mech.global_arrays.len() {
        for (k, v) in data.global_array(a).unwrap_or(&[]).iter().enumerate() {
            out.push((format!("global array {a}[{k}]"), *v));
        }
    }
    for (name, array) in [("v", &nodes.v), ("rhs", &nodes.rhs), ("diag", &nodes.diag)] {
        for (k, v) in array.iter().enumerate() {
            out.push((format!("{name} of node {k}"), *v));
        }
    }
    for (name, array) in &nodes.ions {
        for (k, v) in array.iter().enumerate() {
            out.push((format!("{name} of node {k}"), *v));
        }
    }
    out.push(("t".into(), shared.t));
    out.push(("flag".into(), shared.flag));
    for (k, v) in args.iter().enumerate() {
        out.push((format!("net arg {k}"), *v));
    }
    out
}

fn close(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
        || (a.is_nan() && b.is_nan())
        || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

fn calls_close(a: &[EngineCall], b: &[EngineCall]) -> bool {
    // Engine calls carry values computed by the kernels; compare them via
    // their Debug text (bitwise-equal values print equally).
    format!("{a:?}") == format!("{b:?}")
}

/// The kernels to run in order: the whole life of an instance.
fn sequence(mech: &Mechanism) -> Vec<KernelKind> {
    let mut kinds: Vec<KernelKind> = mech.kernels.iter().map(|k| k.kind).collect();
    let order = |k: &KernelKind| match k {
        KernelKind::Before(_) => 0,
        KernelKind::Init => 1,
        KernelKind::NetReceiveInit => 2,
        KernelKind::Current => 3,
        KernelKind::State => 4,
        KernelKind::NetReceive => 5,
        KernelKind::After(_) => 6,
    };
    kinds.sort_by_key(order);
    // Run the step twice so states evolve from computed values too.
    let again = kinds.clone();
    kinds.extend(again);
    kinds
}

/// Runs the kernel sequence on one back end; returns the snapshot after
/// every kernel and the engine calls.
fn run(
    mode: MathMode,
    mech: &Mechanism,
    trial: &Trial,
    jit: Option<&CompiledMechanism>,
) -> Result<(Vec<Snapshot>, Vec<EngineCall>), String> {
    let (mut data, mut nodes) = setup(mech, trial);
    let mut shared = Shared {
        t: trial.t,
        flag: trial.flag,
        ..Shared::default()
    };
    let mut engine = RecordingEngine::new();
    let mut args = vec![trial.weight; mech.net_receive_args.len().max(4)];
    let mut snaps = Vec::new();
    for kind in sequence(mech) {
        let event =
            matches!(kind, KernelKind::NetReceive | KernelKind::NetReceiveInit).then(|| Event {
                target: trial.target,
                args: &mut args,
            });
        let mut env = Env {
            nodes: &mut nodes,
            shared: &mut shared,
            engine: &mut engine,
            event,
        };
        let result = match jit {
            Some(c) => c.run(kind, &mut data, &mut env),
            None => interp::run_kernel_in(mode, mech, kind, &mut data, &mut env),
        };
        result.map_err(|e| format!("{kind:?}: {e}"))?;
        snaps.push(snapshot(mech, &data, &nodes, &shared, &args));
    }
    Ok((snaps, engine.calls))
}

fn differential(name: &str, mech: &Mechanism, cases: u32) {
    differential_in(MathMode::Exact, name, mech, cases);
}

fn differential_in(mode: MathMode, name: &str, mech: &Mechanism, cases: u32) {
    let compiled =
        cranelift::compile_with(mech, mode).unwrap_or_else(|d| panic!("{name}: {}", d.message));
    assert_eq!(compiled.math_mode(), mode);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&trial(), |trial| {
        let (want, want_calls) = run(mode, mech, &trial, None).map_err(TestCaseError::fail)?;
        let (got, got_calls) =
            run(mode, mech, &trial, Some(&compiled)).map_err(TestCaseError::fail)?;
        for (step, (w, g)) in want.iter().zip(&got).enumerate() {
            for ((what, a), (_, b)) in w.iter().zip(g) {
                prop_assert!(
                    close(*a, *b),
                    "{name}, kernel #{step}: {what}: interp {a:e} vs jit {b:e}"
                );
            }
        }
        prop_assert!(
            calls_close(&want_calls, &got_calls),
            "{name}: engine calls differ:\n{want_calls:?}\n{got_calls:?}"
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn na_rtm_agrees() {
    differential("na_rtm", &samples::na_rtm(), 64);
}

#[test]
fn k_rtm_agrees() {
    differential("k_rtm", &samples::k_rtm(), 64);
}

#[test]
fn exp2syn_agrees() {
    differential("exp2syn", &samples::exp2syn(), 64);
}

#[test]
fn everything_agrees() {
    differential("everything", &samples::everything(), 64);
}

#[test]
fn watch_conditions_agree() {
    let mech = samples::everything();
    let compiled = cranelift::compile(&mech).expect("compiles");
    for v in [-50.0, -20.0, 0.0, 10.0] {
        let trial = Trial {
            v: vec![v; NODES],
            states: vec![0.5],
            ions: vec![0.5],
            nodes: vec![0, 1, 2, 0, 1],
            target: 0,
            weight: 0.0,
            t: 0.0,
            flag: 0.0,
        };
        let (mut data, mut nodes) = setup(&mech, &trial);
        let mut shared = Shared::default();
        let mut engine = RecordingEngine::new();
        let mut env = Env {
            nodes: &mut nodes,
            shared: &mut shared,
            engine: &mut engine,
            event: None,
        };
        // v is copied into the field by the current kernel.
        interp::run_kernel(&mech, KernelKind::Current, &mut data, &mut env).expect("runs");
        let want = interp::eval_watch(&mech, 0, 1, &mut data, &mut env).expect("interp");
        let got = compiled.eval_watch(0, 1, &mut data, &mut env).expect("jit");
        assert_eq!(want, got);
        assert_eq!(want, if v > -20.0 { 1.0 } else { 0.0 });
    }
}

#[test]
fn bad_inputs_are_errors_not_crashes() {
    let mech = samples::na_rtm();
    let compiled = cranelift::compile(&mech).expect("compiles");
    let mut data = MechanismData::new(&mech, 4);
    let mut nodes = NodeData::new(2); // instances 2 and 3 have no node
    nodes.add_ion("ena", 50.0);
    nodes.add_ion("ina", 0.0);
    nodes.add_ion("dinadv", 0.0);
    let mut shared = Shared::default();
    let mut engine = RecordingEngine::new();
    let mut env = Env {
        nodes: &mut nodes,
        shared: &mut shared,
        engine: &mut engine,
        event: None,
    };
    assert!(
        compiled
            .run(KernelKind::Current, &mut data, &mut env)
            .is_err()
    );
    assert!(interp::run_kernel(&mech, KernelKind::Current, &mut data, &mut env).is_err());
    assert!(data.set_node_index(&[0, 1, 1, 0]));
    assert!(
        compiled
            .run(KernelKind::Current, &mut data, &mut env)
            .is_ok()
    );
    env.nodes.ions.remove("ena");
    assert!(
        compiled
            .run(KernelKind::Current, &mut data, &mut env)
            .is_err()
    );
    // Data of another mechanism is refused.
    let mut other = MechanismData::new(&samples::k_rtm(), 4);
    assert!(
        compiled
            .run(KernelKind::State, &mut other, &mut env)
            .is_err()
    );
}

/// Compiles `path` through the whole pipeline; `None` when the front end
/// or the IR passes reject it (their tests cover that).
fn pipeline_mechanism(path: &std::path::Path) -> Option<Mechanism> {
    let mut map = nmc::diag::SourceMap::new();
    let outcome = nmc::driver::pipeline::compile_file(&mut map, path);
    if outcome.failed() {
        return None;
    }
    outcome.mechanism
}

fn differential_dir(dir: &str, cases: u32) {
    differential_dir_in(MathMode::Exact, dir, cases);
}

fn differential_dir_in(mode: MathMode, dir: &str, cases: u32) {
    let files = mod_files(dir);
    assert!(!files.is_empty(), "no .mod files in {dir}");
    let mut tested = 0;
    for path in &files {
        let name = path.display().to_string();
        if let Some(mech) = pipeline_mechanism(path) {
            if let Err(d) = cranelift::compile(&mech) {
                eprintln!("skipped (back end rejects it): {name}: {}", d.message);
                continue;
            }
            differential_in(mode, &name, &mech, cases);
            tested += 1;
        } else {
            eprintln!("skipped (pipeline rejects it): {name}");
        }
    }
    eprintln!(
        "{dir}: {tested} of {} mechanisms agree ({mode:?})",
        files.len()
    );
}

#[test]
fn every_model_agrees() {
    differential_dir("models", 32);
}

#[test]
fn every_builtin_agrees() {
    differential_dir("builtins", 32);
}

#[test]
fn every_corpus_file_agrees() {
    differential_dir("tests/corpus", 16);
}

#[test]
fn every_model_agrees_in_fast_mode() {
    differential_dir_in(MathMode::Fast, "models", 32);
}

#[test]
fn every_corpus_file_agrees_in_fast_mode() {
    differential_dir_in(MathMode::Fast, "tests/corpus", 16);
}

#[test]
fn samples_agree_in_fast_mode() {
    for (name, mech) in [
        ("na_rtm", samples::na_rtm()),
        ("everything", samples::everything()),
    ] {
        differential_in(MathMode::Fast, name, &mech, 64);
    }
}

#[test]
fn fast_mode_really_changes_exp() {
    // Guards against a mode that is silently ignored: over 2000 voltages
    // the two `exp`s must give na_rtm's rate values (minf, hinf, htau,
    // mtau) different last bits somewhere, and never differ by more than a
    // few ulps.
    let mech = samples::na_rtm();
    let fields: Vec<FieldId> = ["minf", "hinf", "htau", "mtau"]
        .iter()
        .map(|n| mech.field_id(n).expect("field"))
        .collect();
    // Fast mode also rewrites expressions (`nmc::ir::opt::relax`): the
    // exact side runs the rewritten kernels too, so only `exp` differs.
    let relaxed = relax::specialize_fast(&mech, &Specialization::none())
        .expect("relaxes")
        .mech;
    let exact = cranelift::compile_with(&relaxed, MathMode::Exact).expect("compiles");
    let fast = cranelift::compile_with(&mech, MathMode::Fast).expect("compiles");
    let mut differ = 0;
    for k in 0..2000 {
        let trial = Trial {
            v: vec![-100.0 + 0.08 * k as f64; NODES],
            states: vec![0.5],
            ions: vec![0.5],
            nodes: vec![0, 1, 2, 0, 1],
            target: 0,
            weight: 0.0,
            t: 0.0,
            flag: 0.0,
        };
        let mut values = Vec::new();
        for compiled in [&exact, &fast] {
            let (mut data, mut nodes) = setup(&mech, &trial);
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
            let row: Vec<f64> = fields
                .iter()
                .map(|&f| data.value(data.layout().field_slot[f], 0).expect("value"))
                .collect();
            values.push(row);
        }
        for (a, b) in values[0].iter().zip(&values[1]) {
            if a.is_nan() && b.is_nan() {
                continue; // mtau is 0/0 at v = -27 mV in both modes
            }
            assert!((a - b).abs() <= 8.0 * f64::EPSILON * a.abs(), "{a} vs {b}");
            differ += usize::from(a.to_bits() != b.to_bits());
        }
    }
    assert!(
        differ > 0,
        "fast and exact exp never differed on na_rtm's rates"
    );
}
