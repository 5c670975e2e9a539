//! Which aggregated synapses deliver events on the leader's row
//! (`Linearity::event_reads`, `sim::linear::on_leader`): only those whose
//! NET_RECEIVE adds to each state once what fields fixed after INITIAL
//! give. Results are covered by `tests/sim_aggregate.rs` and
//! `tests/sonata_seed.rs` (the aggregated seed's spikes, 1 and 2 threads).

mod common;
use common::model;

use nmc::ir::{Expr, FieldId, KernelKind, Mechanism, Place, Stmt};
use nmc::sim::linear::analyse;

fn field(mech: &Mechanism, name: &str) -> FieldId {
    mech.field_id(name).expect("field")
}

#[test]
fn exp2syn_delivers_on_the_leader_reading_factor() {
    let mech = model("Exp2Syn.mod");
    let lin = analyse(&mech).expect("linear");
    assert_eq!(lin.event_reads, Some(vec![field(&mech, "factor")]));
}

#[test]
fn plasticity_state_keeps_events_on_the_instance() {
    // u, R and tsyn are per instance and NET_RECEIVE writes them.
    let lin = analyse(&model("Exp2Syn_STP.mod")).expect("linear");
    assert_eq!(lin.event_reads, None);
}

#[test]
fn a_state_incremented_twice_keeps_events_on_the_instance() {
    // l + (0 + e1 + e2) and (l + e1) + e2 round differently.
    let mut mech = model("Exp2Syn.mod");
    let a = field(&mech, "A");
    let nr = mech
        .kernels
        .iter()
        .position(|k| k.kind == KernelKind::NetReceive)
        .expect("NET_RECEIVE");
    let inc = Expr::Binary(
        nmc::ir::BinOp::Add,
        Box::new(Expr::Load(Place::Field(a, None))),
        Box::new(Expr::Load(Place::NetArg(0))),
    );
    mech.kernels[nr]
        .body
        .push(Stmt::Assign(Place::Field(a, None), inc));
    let lin = analyse(&mech).expect("still linear");
    assert_eq!(lin.event_reads, None);
}
