//! Run-invariant math moved into INITIAL (`ir::opt::hoist`): which calls
//! and divisions move, which must stay, and the fields the move adds. That the moved
//! values give the same bits is asserted by `tests/sim_specialize.rs`
//! (specialised against plain kernels) and `tests/sim_neuron.rs`
//! (specialised runs against NEURON, bit for bit).

mod common;
use common::model;

use nmc::ir::opt::{self, Specialization, hoist};
use nmc::ir::{Expr, FieldKind, KernelKind, MathFn, Mechanism, Place, Stmt};

/// What a run asks for (as `sim::specialize` does).
fn run() -> Specialization {
    Specialization {
        hoist: true,
        ..Specialization::none()
    }
}

fn kernel(mech: &Mechanism, kind: KernelKind) -> &[Stmt] {
    &mech
        .kernels
        .iter()
        .find(|k| k.kind == kind)
        .expect("kernel")
        .body
}

fn exps(body: &[Stmt]) -> usize {
    format!("{body:?}")
        .matches(&format!("Math({:?},", MathFn::Exp))
        .count()
}

fn divisions(body: &[Stmt]) -> usize {
    format!("{body:?}").matches("Binary(Div,").count()
}

#[test]
fn cnexp_factors_of_a_synapse_move_into_initial() {
    for name in ["Exp2Syn.mod", "Exp2Syn_STP.mod"] {
        let plain = model(name);
        assert_eq!(exps(kernel(&plain, KernelKind::State)), 2, "{name}");
        let plain_spec = opt::specialize(&plain, &Specialization::none()).expect("specialises");
        assert_eq!(
            plain_spec.mech.fields, plain.fields,
            "{name}: plain kernels keep the layout"
        );
        let s = opt::specialize(&plain, &run()).expect("specialises");
        let added = s.mech.fields.len() - plain.fields.len();
        assert_eq!(
            added, 5,
            "{name}: 1 - exp(dt*(-1/tau)) and -0/(-1/tau), for tau1 and tau2, \
             and the current kernel's 100/area"
        );
        assert!(divisions(kernel(&plain, KernelKind::State)) >= 4, "{name}");
        assert_eq!(exps(kernel(&s.mech, KernelKind::State)), 0, "{name}");
        assert_eq!(divisions(kernel(&s.mech, KernelKind::State)), 0, "{name}");
        for id in s.mech.field_ids().skip(plain.fields.len()) {
            assert_eq!(s.mech.fields[id].kind, FieldKind::Assigned);
            assert!(
                s.persistent.contains(&id),
                "{name}: field {id} must be stored"
            );
            let init = kernel(&s.mech, KernelKind::Init);
            assert!(
                init.iter()
                    .any(|st| matches!(st, Stmt::Assign(Place::Field(f, None), _) if *f == id)),
                "{name}: INITIAL computes field {id}"
            );
        }
        // The NET_RECEIVE exps of the plasticity read `t`: they stay.
        assert_eq!(
            exps(kernel(&s.mech, KernelKind::NetReceive)),
            exps(kernel(&plain, KernelKind::NetReceive)),
            "{name}"
        );
        // The data layout: the original fields first, unchanged.
        assert_eq!(&s.mech.fields[..plain.fields.len()], &plain.fields[..]);
        let ext = opt::with_added_fields(&plain, &s.mech);
        assert_eq!(ext.kernels, plain.kernels);
        assert_eq!(ext.fields, s.mech.fields);
    }
}

#[test]
fn voltage_dependent_rates_stay() {
    for name in ["na_rtm.mod", "k_rtm.mod", "hh.mod"] {
        let plain = model(name);
        let s = opt::specialize(&plain, &run()).expect("specialises");
        assert_eq!(s.mech.fields.len(), plain.fields.len(), "{name}");
    }
}

#[test]
fn a_field_written_after_initial_is_not_invariant() {
    let mut mech = model("Exp2Syn.mod");
    let tau1 = mech.field_id("tau1").expect("tau1");
    let nr = mech
        .kernels
        .iter()
        .position(|k| k.kind == KernelKind::NetReceive)
        .expect("NET_RECEIVE");
    // NET_RECEIVE now changes tau1: only tau2's factors may move.
    mech.kernels[nr].body.push(Stmt::Assign(
        Place::Field(tau1, None),
        Expr::Load(Place::Field(tau1, None)),
    ));
    let before = mech.fields.len();
    let added = hoist::hoist_invariant(&mut mech);
    // tau2's two, and the current kernel's 100/area.
    assert_eq!(added.len(), 3);
    assert_eq!(mech.fields.len(), before + 3);
    assert_eq!(exps(kernel(&mech, KernelKind::State)), 1);
}

#[test]
fn an_initial_that_may_return_early_keeps_the_kernels() {
    let mut mech = model("Exp2Syn.mod");
    let init = mech
        .kernels
        .iter()
        .position(|k| k.kind == KernelKind::Init)
        .expect("INITIAL");
    mech.kernels[init].body.insert(
        0,
        Stmt::If {
            cond: Expr::Const(0.0),
            then: vec![Stmt::Return],
            otherwise: Vec::new(),
        },
    );
    assert!(hoist::hoist_invariant(&mut mech).is_empty());
    assert_eq!(exps(kernel(&mech, KernelKind::State)), 2);
}
