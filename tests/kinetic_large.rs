//! Large KINETIC schemes: a 30-state calcium diffusion/buffering scheme
//! (`tests/kinetic/cashell30.mod`: COMPARTMENT, LONGITUDINAL_DIFFUSION and
//! a buffer over 10 shells) compiles to machine code in well under a
//! second, and its traces agree with NEURON 9.0.2's
//! (`tests/golden/kinetic/`, written by `reference/make_kinetic_traces.py`)
//! to rounding: nmc eliminates such schemes sparsely in its own planned
//! order, NEURON in its own, so the last bits may differ.

mod common;

use std::time::Instant;

use nmc::back::math::MathMode;
use nmc::driver::library::Library;
use nmc::net::{Record, Variable};
use nmc::sim::Simulation;
use serde_json::Value;

const PROBES: [&str; 3] = ["top_ca", "core_ca", "top_b"];

fn golden() -> Value {
    let path = common::repo("tests/golden/kinetic/cashell30.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("NEURON's traces {}: {e}", path.display()));
    serde_json::from_str(&text).expect("golden JSON parses")
}

fn num(v: &Value) -> f64 {
    v.as_f64().expect("a number")
}

#[test]
fn thirty_state_scheme_compiles_in_well_under_a_second() {
    let lib = Library::open(&[common::repo("tests/kinetic")]).expect("library opens");
    let start = Instant::now();
    let mechs = lib.mechanisms(["cashell30"], MathMode::Exact);
    let took = start.elapsed().as_secs_f64();
    assert!(mechs.is_ok(), "{:?}", mechs.err());
    // front end, IR passes, the sparse solve and Cranelift machine code
    assert!(took < 1.0, "cashell30 took {took:.3} s to compile");
    let ir = lib.ir("cashell30").expect("IR");
    let lines = nmc::ir::print::print(ir).lines().count();
    assert!(lines < 5000, "the solved IR has {lines} lines");
}

#[test]
fn thirty_state_scheme_matches_neuron() {
    let g = golden();
    let s = &g["settings"];
    let lib = Library::open(&[common::repo("tests/kinetic")]).expect("library opens");
    let mechs = lib
        .mechanisms(["cashell30"], MathMode::Exact)
        .unwrap_or_else(|d| panic!("{d:?}"));
    let here = common::golden::HERE;
    let net = common::golden::one_cylinder(
        "cashell30",
        s,
        PROBES
            .iter()
            .map(|p| Record {
                report: p.to_string(),
                cell: 0,
                location: here,
                variable: Variable::Density {
                    mechanism: "cashell30".into(),
                    name: p.to_string(),
                },
            })
            .collect(),
    );
    let mut sim = Simulation::new(&net, &mechs).expect("network builds");
    let res = sim.run(&mut |_| {});
    assert!(res.error.is_none(), "{:?}", res.error);
    let t: Vec<f64> = g["traces"]["t"]
        .as_array()
        .expect("t")
        .iter()
        .map(num)
        .collect();
    assert_eq!(res.times.len(), t.len(), "number of samples");
    let mut report = String::from("cashell30 vs NEURON:");
    for (trace, key) in res.traces.iter().zip(PROBES) {
        let want: Vec<f64> = g["traces"][key]
            .as_array()
            .expect("trace")
            .iter()
            .map(num)
            .collect();
        let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let worst = trace
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(
                0.0f64,
                |m, d| if d.is_nan() { f64::INFINITY } else { m.max(d) },
            );
        report += &format!(" max|d{key}|/max|{key}| = {:.2e}", worst / scale);
        // the pulse must have moved the trace: a frozen scheme cannot pass
        let span = want.iter().fold(f64::MIN, |m, x| m.max(*x))
            - want.iter().fold(f64::MAX, |m, x| m.min(*x));
        assert!(span > 0.01 * scale, "{key} does not change in NEURON's run");
        assert!(
            worst <= 1e-12 * scale,
            "{key}: max |nmc - NEURON| = {worst:e} (scale {scale:e})"
        );
    }
    eprintln!("{report}");
}

/// Every column and ion array (as bits) after the INITIAL and 8 state
/// kernels of `tests/kinetic/cabuf30.mod` (two instances on two nodes with
/// different diameters and calcium currents), run by the JIT or by the
/// interpreter, and the final `cai` of both nodes.
fn cabuf30_run(
    mech: &nmc::ir::Mechanism,
    jit: Option<&nmc::back::CompiledMechanism>,
) -> (Vec<u64>, Vec<f64>) {
    use nmc::back::{Env, MechanismData, NodeData, RecordingEngine, Shared, interp};
    use nmc::ir::KernelKind;
    let mut data = MechanismData::new(mech, 2);
    assert!(data.set_node_index(&[0, 1]));
    let mut nodes = NodeData::new(2);
    nodes.v.copy_from_slice(&[-65.0, -40.0]);
    nodes.diam.copy_from_slice(&[1.7, 4.0]);
    for (_, name) in data.layout().ion_vars.clone() {
        nodes.add_ion(&name, if name == "cai" { 5e-5 } else { 0.0 });
    }
    let mut shared = Shared::default();
    let mut engine = RecordingEngine::new();
    let mut kinds = vec![KernelKind::Init];
    kinds.extend([KernelKind::State; 8]);
    for (step, kind) in kinds.into_iter().enumerate() {
        // an inward calcium current that switches on, then off
        let ica = if (2..6).contains(&step) { -0.02 } else { 0.0 };
        nodes
            .ions
            .get_mut("ica")
            .expect("ica")
            .copy_from_slice(&[ica, 3.0 * ica]);
        let mut env = Env {
            nodes: &mut nodes,
            shared: &mut shared,
            engine: &mut engine,
            event: None,
        };
        match jit {
            Some(c) => c.run(kind, &mut data, &mut env),
            None => interp::run_kernel_in(MathMode::Exact, mech, kind, &mut data, &mut env),
        }
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        shared.t += shared.dt;
    }
    let mut bits = Vec::new();
    for slot in 0..data.layout().columns {
        for i in 0..2 {
            bits.push(data.value(slot, i).expect("a value").to_bits());
        }
    }
    for array in nodes.ions.values() {
        bits.extend(array.iter().map(|v| v.to_bits()));
    }
    (bits, nodes.ions["cai"].clone())
}

#[test]
fn a_152_state_scheme_is_compiled_in_parts_and_equals_the_interpreter() {
    let path = common::repo("tests/kinetic/cabuf30.mod");
    let mut map = nmc::diag::SourceMap::new();
    let start = Instant::now();
    let outcome = nmc::driver::pipeline::compile_file(&mut map, &path);
    let mech = outcome.mechanism.expect("cabuf30 compiles");
    let compiled = nmc::back::cranelift::compile_with(&mech, MathMode::Exact)
        .unwrap_or_else(|d| panic!("{}", d.message));
    let took = start.elapsed().as_secs_f64();
    assert!(took < 1.0, "cabuf30 took {took:.3} s to compile");
    // the state kernel is too large for one function: its locals live in
    // a stack frame and it calls parts of itself
    let clif = nmc::back::cranelift::clif_text(&mech).expect("CLIF");
    let parts = clif.matches("; cabuf30::kernel_state::part").count();
    assert!(parts >= 4, "{parts} parts");
    let (want, cai) = cabuf30_run(&mech, None);
    let (got, _) = cabuf30_run(&mech, Some(&compiled));
    assert_eq!(want.len(), got.len());
    let differ = want.iter().zip(&got).filter(|(a, b)| a != b).count();
    assert_eq!(differ, 0, "{differ} values differ from the interpreter's");
    // and the scheme did something: calcium came in at the surface
    assert!(
        cai.iter().all(|&c| c > 6e-5),
        "cai after the current: {cai:?}"
    );
}
