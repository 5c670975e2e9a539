//! Large KINETIC schemes: a 30-state calcium diffusion/buffering scheme
//! (`tests/kinetic/cashell30.mod`: COMPARTMENT, LONGITUDINAL_DIFFUSION and
//! a buffer over 10 shells) compiles to machine code in well under a
//! second, and its traces agree with NEURON 9.0.2's
//! (`tests/golden/kinetic/`, written by `reference/make_kinetic_traces.py`)
//! to rounding: nmc eliminates such schemes sparsely in its own planned
//! order, NEURON in its own, so the last bits may differ.

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use nmc::back::math::MathMode;
use nmc::driver::library::Library;
use nmc::net::{Cell, Insert, Location, Network, Record, RunSettings, Section, Variable};
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
    let here = Location { section: 0, x: 0.5 };
    let net = Network {
        cells: vec![Cell {
            gid: 0,
            population: "cell".into(),
            sections: vec![Section {
                name: "cyl".into(),
                length: num(&s["L"]),
                diam: num(&s["diam"]),
                nseg: s["nseg"].as_u64().expect("nseg") as usize,
                cm: 1.0,
                ra: 35.4,
                parent: None,
                mechanisms: vec![Insert {
                    mechanism: "cashell30".into(),
                    params: BTreeMap::new(),
                }],
                ion_values: BTreeMap::new(),
                pt3d: Vec::new(),
            }],
            point_processes: Vec::new(),
            spike_site: here,
        }],
        run: RunSettings {
            tstart: 0.0,
            tstop: num(&s["tstop"]),
            dt: num(&s["dt"]),
            celsius: num(&s["celsius"]),
            v_init: num(&s["v_init"]),
            spike_threshold: 10.0,
        },
        records: PROBES
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
        ..Network::default()
    };
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
