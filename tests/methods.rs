//! Constructs of published NMODL that nocmodl accepts, against NEURON
//! 9.0.2 (`tests/golden/methods/`, written by
//! `reference/make_method_traces.py`):
//! - `METHOD runge` (scopmath's fourth-order Runge-Kutta, its order of
//!   operations), in `tests/methods/rk4chan.mod`, whose DERIVATIVE block
//!   also reads `t` between the stages;
//! - a PROCEDURE used as a value (0, as NEURON's C gives it; W0305);
//! - a COMPARTMENT list naming an undeclared name and a CONSTANT
//!   (`compart_extra.mod`; passed over as nocmodl does, W0208).
//! - VERBATIM C whose meaning is certain (`verbatim_ion.mod`).

mod common;

use nmc::back::math::MathMode;
use nmc::driver::library::Library;
use nmc::net::{Record, Variable};
use nmc::sim::Simulation;
use serde_json::Value;

fn golden(stem: &str) -> Value {
    let path = common::repo(&format!("tests/golden/methods/{stem}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("NEURON's traces {}: {e}", path.display()));
    serde_json::from_str(&text).expect("golden JSON parses")
}

fn num(v: &Value) -> f64 {
    v.as_f64().expect("a number")
}

fn series(v: &Value) -> Vec<f64> {
    v.as_array().expect("a trace").iter().map(num).collect()
}

/// Runs the mechanism of `stem` as NEURON's script does and returns, per
/// recorded name (v and the probes), nmc's trace and NEURON's.
fn compare(stem: &str) -> Vec<(String, Vec<f64>, Vec<f64>)> {
    let g = golden(stem);
    let s = &g["settings"];
    let mech = g["mechanism"].as_str().expect("mechanism").to_string();
    let probes: Vec<String> = g["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .map(|p| p.as_str().expect("probe").to_string())
        .collect();
    let lib = Library::open(&[common::repo("tests/methods")]).expect("library opens");
    let mechs = lib
        .mechanisms([mech.as_str()], MathMode::Exact)
        .unwrap_or_else(|d| panic!("{d:?}"));
    let here = common::golden::HERE;
    let mut records = vec![Record {
        report: "v".into(),
        cell: 0,
        location: here,
        variable: Variable::Voltage,
    }];
    records.extend(probes.iter().map(|p| Record {
        report: p.clone(),
        cell: 0,
        location: here,
        variable: Variable::Density {
            mechanism: mech.clone(),
            name: p.clone(),
        },
    }));
    let net = common::golden::one_cylinder(&mech, s, records);
    let mut sim = Simulation::new(&net, &mechs).expect("network builds");
    let res = sim.run(&mut |_| {});
    assert!(res.error.is_none(), "{:?}", res.error);
    assert_eq!(res.times.len(), series(&g["traces"]["t"]).len(), "samples");
    let names = std::iter::once("v".to_string()).chain(probes);
    names
        .zip(res.traces)
        .map(|(name, ours)| {
            let theirs = series(&g["traces"][&name]);
            (name, ours, theirs)
        })
        .collect()
}

fn worst(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(
            0.0,
            |m, d| if d.is_nan() { f64::INFINITY } else { m.max(d) },
        )
}

#[test]
fn runge_matches_neuron() {
    let traces = compare("rk4chan");
    for (name, ours, theirs) in &traces {
        let scale = theirs.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let span = theirs.iter().fold(f64::MIN, |m, x| m.max(*x))
            - theirs.iter().fold(f64::MAX, |m, x| m.min(*x));
        let d = worst(ours, theirs);
        eprintln!("rk4chan {name}: max |nmc - NEURON| = {d:e}");
        if name == "pv" {
            // touch(v) + 2 with touch a PROCEDURE: 0 + 2
            assert!(theirs.iter().all(|&x| x == 2.0));
            assert_eq!(ours, theirs);
            continue;
        }
        assert!(
            span > 0.01 * scale,
            "{name} does not change in NEURON's run"
        );
        // NEURON's runge moves the global t by +dt/2, +dt/2, -dt each
        // step, which leaves t a few ulps off the plain sum; the stages
        // here read t, so the last bits may differ (see the module doc).
        assert!(d <= 1e-12 * scale, "{name}: {d:e} (scale {scale:e})");
    }
}

#[test]
fn compartment_names_that_are_not_states_are_passed_over() {
    for (name, ours, theirs) in compare("compart_extra") {
        assert_eq!(ours, theirs, "{name}");
    }
}

#[test]
fn verbatim_with_certain_meaning_matches_neuron() {
    // an RCS string, a comment holding C, `return;` ending INITIAL and
    // `cai = _ion_cai;`: bit for bit NEURON's run
    for (name, ours, theirs) in compare("verbatim_ion") {
        let span = theirs.iter().fold(f64::MIN, |m, x| m.max(*x))
            - theirs.iter().fold(f64::MAX, |m, x| m.min(*x));
        if name == "v" {
            assert!(span > 1.0, "v does not move in NEURON's run");
        }
        assert_eq!(ours, theirs, "{name}");
    }
}
