//! Interpreter checks against values computed by hand.

use super::run_kernel;
use crate::back::samples;
use crate::back::{Env, Event, MechanismData, NodeData, RecordingEngine, Shared};
use crate::ir::{FieldId, KernelKind};

fn nodes(n: usize, v: f64) -> NodeData {
    let mut nodes = NodeData::new(n);
    nodes.v.fill(v);
    for name in ["ena", "ina", "dinadv", "ek", "ik", "dikdv", "cai", "ica"] {
        nodes.add_ion(name, 0.0);
    }
    nodes.ions.insert("ena".into(), vec![50.0; n]);
    nodes
}

#[test]
fn na_rtm_init_current_state() {
    let mech = samples::na_rtm();
    let mut data = MechanismData::new(&mech, 3);
    let mut nodes = nodes(3, -65.0);
    let mut shared = Shared::default();
    let mut engine = RecordingEngine::new();
    let mut env = Env {
        nodes: &mut nodes,
        shared: &mut shared,
        engine: &mut engine,
        event: None,
    };
    for kind in [KernelKind::Init, KernelKind::Current, KernelKind::State] {
        run_kernel(&mech, kind, &mut data, &mut env).expect("runs");
    }
    let minf = 1.0 / (1.0 + ((-65.0f64 + 41.03) / -7.1).exp());
    let hinf = 1.0 / (1.0 + ((-65.0f64 + 45.32) / 4.04).exp());
    assert_eq!(data.field(&mech, "m").expect("m")[1], minf);
    // h started at hinf and v did not change: stays at hinf.
    assert!((data.field(&mech, "h").expect("h")[1] - hinf).abs() < 1e-15);
    let ina = 0.1 * minf * minf * minf * hinf * (-65.0 - 50.0);
    assert!((nodes.ions["ina"][0] - ina).abs() < 1e-15);
    assert!((nodes.rhs[2] + ina).abs() < 1e-15);
    assert!(nodes.diag[0] > 0.0);
}

#[test]
fn net_receive_needs_an_event_and_writes_args() {
    let mech = samples::everything();
    let mut data = MechanismData::new(&mech, 2);
    let mut nodes = nodes(2, -65.0);
    let mut shared = Shared::default();
    let mut engine = RecordingEngine::new();
    let mut args = [0.5, 0.0];
    let mut env = Env {
        nodes: &mut nodes,
        shared: &mut shared,
        engine: &mut engine,
        event: None,
    };
    assert!(run_kernel(&mech, KernelKind::NetReceive, &mut data, &mut env).is_err());
    env.event = Some(Event {
        target: 1,
        args: &mut args,
    });
    run_kernel(&mech, KernelKind::NetReceive, &mut data, &mut env).expect("runs");
    assert_eq!(args[1], 1.0);
    assert_eq!(data.field(&mech, "s").expect("s"), &[0.2, 0.7]);
    assert_eq!(engine.calls.len(), 2);
}

#[test]
fn everything_runs_and_recursion_works() {
    let mech = samples::everything();
    let mut data = MechanismData::new(&mech, 2);
    let mut nodes = nodes(2, -65.0);
    nodes.v[1] = 10.0;
    let mut shared = Shared::default();
    let mut engine = RecordingEngine::new();
    let mut env = Env {
        nodes: &mut nodes,
        shared: &mut shared,
        engine: &mut engine,
        event: None,
    };
    run_kernel(&mech, KernelKind::Current, &mut data, &mut env).expect("runs");
    let slot = data.layout().field_slot[FieldId::new(3)];
    // p = 2 + fact(5)
    assert_eq!(data.value(slot, 0), Some(122.0));
    assert_eq!(data.global_array(0).expect("tab")[2], 2.0);
    let arr = data.layout().field_slot[FieldId::new(1)];
    for col in arr..arr + 4 {
        let x = data.value(col, 0).expect("arr");
        assert!(x.is_finite() && x != 0.5, "arr = {x}");
    }
}
