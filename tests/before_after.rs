//! BEFORE/AFTER blocks: a mechanism may have several of one phase (NEURON
//! runs them in the order of the file). nmc compiles them into one kernel
//! that runs them in that order for each instance, and refuses blocks that
//! would see each other's writes across instances in a different order.

use nmc::back::cranelift;
use nmc::back::{Env, MechanismData, NodeData, RecordingEngine, Shared};
use nmc::diag::SourceMap;
use nmc::driver::pipeline::compile_source;
use nmc::ir::{KernelKind, Phase};

const TWO_BLOCKS: &str = "
NEURON { POINT_PROCESS Twice RANGE a, b, ri POINTER pim }
PARAMETER { ri = 2 }
ASSIGNED { a b pim }
INITIAL { a = 1 b = 0 }
BEFORE STEP { if (ri > 0) { a = a * 3 } }
BEFORE STEP { b = a + ri }
";

#[test]
fn two_before_step_blocks_run_in_file_order_in_one_kernel() {
    let mut map = SourceMap::new();
    let out = compile_source(&mut map, "twice.mod", TWO_BLOCKS);
    assert!(!out.failed(), "{:?}", out.diagnostics);
    let mech = out.mechanism.expect("mechanism");
    let kind = KernelKind::Before(Phase::Step);
    assert_eq!(mech.kernels.iter().filter(|k| k.kind == kind).count(), 1);
    let compiled = cranelift::compile(&mech).unwrap_or_else(|d| panic!("{}", d.message));
    let mut data = MechanismData::new(&mech, 2);
    assert!(data.set_node_index(&[0, 0]));
    let mut nodes = NodeData::new(1);
    let mut shared = Shared::default();
    let mut engine = RecordingEngine::new();
    for kind in [KernelKind::Init, kind] {
        let mut env = Env {
            nodes: &mut nodes,
            shared: &mut shared,
            engine: &mut engine,
            event: None,
        };
        compiled
            .run(kind, &mut data, &mut env)
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
    let slot = |name: &str| data.layout().field_slot[mech.field_id(name).expect(name)];
    for i in 0..2 {
        // the first block, then the second: b sees a already tripled
        assert_eq!(data.value(slot("a"), i), Some(3.0));
        assert_eq!(data.value(slot("b"), i), Some(5.0));
    }
}

#[test]
fn blocks_that_share_a_global_are_refused() {
    let text = "
NEURON { SUFFIX shared GLOBAL g RANGE x }
ASSIGNED { g x }
BEFORE STEP { g = g + 1 }
AFTER SOLVE { x = 0 }
BEFORE STEP { x = g }
";
    let mut map = SourceMap::new();
    let out = compile_source(&mut map, "shared.mod", text);
    assert!(out.failed());
    let d = out
        .diagnostics
        .iter()
        .find(|d| d.code == "E0601")
        .unwrap_or_else(|| panic!("{:?}", out.diagnostics));
    assert!(
        d.message
            .contains("two BEFORE STEP blocks of this mechanism share `g`"),
        "{}",
        d.message
    );
}

#[test]
fn a_network_with_a_before_step_block_is_refused_by_the_engine() {
    use nmc::back::math::MathMode;
    use nmc::net::{Cell, Location, Network, PointProcess, Section};
    use nmc::sim::{Mechanisms, SimErrorKind, Simulation};
    let mut map = SourceMap::new();
    let out = compile_source(&mut map, "twice.mod", TWO_BLOCKS);
    let mech = out.mechanism.expect("mechanism");
    let compiled = cranelift::compile(&mech).unwrap_or_else(|d| panic!("{}", d.message));
    let lib = Mechanisms::new(vec![std::sync::Arc::new(compiled)], MathMode::default())
        .unwrap_or_else(|d| panic!("{}", d.message));
    let mid = Location { section: 0, x: 0.5 };
    let net = Network {
        cells: vec![Cell {
            gid: 0,
            population: "p".into(),
            sections: vec![Section::default()],
            point_processes: vec![PointProcess {
                mechanism: "Twice".into(),
                location: mid,
                params: Default::default(),
            }],
            spike_site: mid,
        }],
        ..Network::default()
    };
    let err = Simulation::new(&net, &lib).expect_err("refused");
    assert_eq!(err.kind, SimErrorKind::InvalidNetwork);
    assert!(
        err.message.contains("`Twice` has a BEFORE STEP"),
        "{}",
        err.message
    );
}
