//! Kernels specialised for a run (`nmc::sim::SimOptions::specialize`) give
//! the same bits as the library's plain kernels, for voltages and for
//! recorded states and assigned variables, and the specialisation reflects
//! the run: recorded fields observed, uniform parameters constant, ion
//! currents nobody reads marked unread.

mod common;

use std::collections::BTreeMap;

use nmc::back::math::MathMode;
use nmc::ir::FieldId;
use nmc::net::{
    Cell, Insert, Location, Network, PointProcess, Record, RunSettings, Section, Variable,
};
use nmc::sim::{Mechanisms, Results, SimOptions, Simulation};

fn library(mode: MathMode) -> Mechanisms {
    common::models_library(mode)
}

const MID: Location = Location { section: 0, x: 0.5 };

/// An RTM cell under an IClamp of `amp` nA (so amp differs between cells
/// while gbar, del and dur are uniform).
fn cell(gid: u64, amp: f64) -> Cell {
    let insert = |m: &str, g: f64| Insert {
        mechanism: m.into(),
        params: BTreeMap::from([("gbar".to_string(), g)]),
    };
    Cell {
        gid,
        population: "exc".into(),
        sections: vec![Section {
            mechanisms: vec![
                insert("leak", 1e-4),
                insert("na_rtm", 0.1),
                insert("k_rtm", 0.08),
            ],
            ion_values: BTreeMap::from([
                ("eleak".to_string(), -67.0),
                ("ena".to_string(), 50.0),
                ("ek".to_string(), -100.0),
            ]),
            ..Section::default()
        }],
        point_processes: vec![PointProcess {
            mechanism: "IClamp".into(),
            location: MID,
            params: BTreeMap::from([
                ("del".to_string(), 2.0),
                ("dur".to_string(), 1e9),
                ("amp".to_string(), amp),
            ])
            .into(),
        }],
        spike_site: MID,
    }
}

fn record(cell: usize, variable: Variable) -> Record {
    Record {
        report: "r".into(),
        cell,
        location: MID,
        variable,
    }
}

fn density(mech: &str, name: &str) -> Variable {
    Variable::Density {
        mechanism: mech.into(),
        name: name.into(),
    }
}

fn network(records: Vec<Record>) -> Network {
    Network {
        cells: (0..4).map(|g| cell(g, 0.6 + 0.2 * g as f64)).collect(),
        run: RunSettings {
            tstart: 0.0,
            tstop: 60.0,
            dt: 0.025,
            celsius: 34.0,
            v_init: -75.0,
            spike_threshold: -15.0,
        },
        records,
        ..Network::default()
    }
}

fn run(net: &Network, lib: &Mechanisms, threads: usize, specialize: bool) -> Results {
    let options = SimOptions {
        threads,
        specialize,
        ..SimOptions::default()
    };
    let mut sim = Simulation::with_options(net, lib, options).expect("builds");
    let res = sim.run(&mut |_| {});
    assert!(res.error.is_none(), "{:?}", res.error);
    res
}

fn bits(traces: &[Vec<f64>]) -> Vec<Vec<u64>> {
    traces
        .iter()
        .map(|t| t.iter().map(|x| x.to_bits()).collect())
        .collect()
}

fn same_bits(a: &Results, b: &Results) {
    assert_eq!(a.times.len(), b.times.len());
    assert_eq!(bits(&a.traces), bits(&b.traces));
    assert_eq!(a.spikes, b.spikes);
}

fn all_records() -> Vec<Record> {
    vec![
        record(0, Variable::Voltage),
        record(1, density("na_rtm", "h")),
        record(1, density("na_rtm", "m")),
        record(2, density("na_rtm", "mtau")),
        record(3, density("k_rtm", "n")),
        record(3, density("na_rtm", "ina")),
        record(3, Variable::Voltage),
    ]
}

#[test]
fn specialised_runs_give_the_plain_kernels_bits() {
    let lib = library(MathMode::Exact);
    let net = network(all_records());
    let plain = run(&net, &lib, 1, false);
    assert!(!plain.spikes.is_empty(), "the cells must fire");
    // A recorded assigned variable nothing else needs (mtau) must still
    // be computed and stored.
    let mtau = &plain.traces[3];
    assert!(mtau.iter().any(|&x| x != mtau[0]), "mtau changes");
    same_bits(&plain, &run(&net, &lib, 1, true));
    same_bits(&plain, &run(&net, &lib, 2, true));
}

/// In fast math mode a specialised kernel also gets the rewrites that
/// need what the run promises (`nmc::ir::opt::relax`: a constant
/// parameter divides like any constant, an unobserved time constant can
/// hold its reciprocal), so its last bits differ from the plain kernel's.
/// Specialised runs still agree bit for bit whatever the thread count,
/// and stay with the plain kernels: same spikes to 1e-9 ms, recorded
/// values to 1e-9 relative (measured: see `--nocapture`).
#[test]
fn specialised_fast_runs_stay_with_the_plain_kernels() {
    let lib = library(MathMode::Fast);
    let net = network(all_records());
    let plain = run(&net, &lib, 1, false);
    assert!(!plain.spikes.is_empty(), "the cells must fire");
    let spec = run(&net, &lib, 1, true);
    same_bits(&spec, &run(&net, &lib, 2, true));
    assert_eq!(spec.times.len(), plain.times.len());
    assert_eq!(spec.spikes.len(), plain.spikes.len());
    let mut worst_t = 0.0f64;
    for (a, b) in spec.spikes.iter().zip(&plain.spikes) {
        assert_eq!(a.0, b.0, "spiking cells");
        worst_t = worst_t.max((a.1 - b.1).abs());
    }
    let mut worst = 0.0f64;
    for (a, b) in spec.traces.iter().zip(&plain.traces) {
        let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        for (x, y) in a.iter().zip(b) {
            worst = worst.max((x - y).abs() / scale);
        }
    }
    eprintln!(
        "specialised vs plain, fast math: spike times {worst_t:e} ms, traces {worst:e} of their range"
    );
    assert!(worst_t <= 1e-9, "spike times differ by {worst_t} ms");
    assert!(worst <= 1e-9, "traces differ by {worst} of their range");
}

#[test]
fn voltages_keep_their_bits_whatever_is_recorded() {
    let lib = library(MathMode::Exact);
    let plain = run(&network(all_records()), &lib, 1, false);
    // Only voltages recorded: nothing of the mechanisms is observed.
    let only_v = network(vec![
        record(0, Variable::Voltage),
        record(3, Variable::Voltage),
    ]);
    let spec = run(&only_v, &lib, 1, true);
    assert_eq!(bits(&spec.traces)[0], bits(&plain.traces)[0]);
    assert_eq!(bits(&spec.traces)[1], bits(&plain.traces)[6]);
    assert_eq!(spec.spikes, plain.spikes);
}

fn field(lib: &Mechanisms, mech: &str, name: &str) -> FieldId {
    lib.get(mech)
        .and_then(|m| m.field_id(name))
        .unwrap_or_else(|| panic!("{mech} has {name}"))
}

#[test]
fn the_specialisation_follows_the_run() {
    let lib = library(MathMode::Exact);
    let net = network(vec![
        record(0, Variable::Voltage),
        record(1, density("na_rtm", "h")),
    ]);
    let sim = Simulation::with_options(
        &net,
        &lib,
        SimOptions {
            threads: 2,
            specialize: true,
            ..SimOptions::default()
        },
    )
    .expect("builds");
    let specs: BTreeMap<&str, _> = sim
        .specializations()
        .iter()
        .map(|(n, s)| (n.as_str(), s))
        .collect();
    assert_eq!(
        specs.keys().copied().collect::<Vec<_>>(),
        ["IClamp", "k_rtm", "leak", "na_rtm"]
    );
    let na = specs["na_rtm"];
    let observed = na.observed.as_ref().expect("observed set");
    assert!(observed.contains(&field(&lib, "na_rtm", "h")));
    assert!(!observed.contains(&field(&lib, "na_rtm", "m")));
    assert!(!observed.contains(&field(&lib, "na_rtm", "mtau")));
    assert_eq!(na.constants.get(&field(&lib, "na_rtm", "gbar")), Some(&0.1));
    assert!(na.unread_ion_vars.contains("ina"));
    assert!(na.unread_ion_vars.contains("dinadv"));
    assert!(specs["k_rtm"].unread_ion_vars.contains("ik"));
    let iclamp = specs["IClamp"];
    assert_eq!(
        iclamp.constants.get(&field(&lib, "IClamp", "del")),
        Some(&2.0)
    );
    assert!(
        !iclamp.constants.contains_key(&field(&lib, "IClamp", "amp")),
        "amp differs between cells"
    );
    // Turned off: nothing specialised.
    let plain = Simulation::with_options(
        &net,
        &lib,
        SimOptions {
            threads: 1,
            specialize: false,
            ..SimOptions::default()
        },
    )
    .expect("builds");
    assert!(plain.specializations().is_empty());
}
