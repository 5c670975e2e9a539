//! Engine sanity checks that need no reference data: a passive cell's
//! decay against backward Euler's closed form and the exponential, an RTM
//! cell firing repetitively under 1 nA, and errors for bad networks.

mod common;

use std::collections::BTreeMap;

use nmc::net::{
    Cell, Connection, Insert, Location, Network, PointProcess, Record, RunSettings, Section,
    Source, Variable,
};
use nmc::sim::{Mechanisms, SimErrorKind, Simulation};

fn library() -> Mechanisms {
    common::models_library(Default::default())
}

fn insert(m: &str, params: &[(&str, f64)]) -> Insert {
    Insert {
        mechanism: m.into(),
        params: params.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    }
}

const MID: Location = Location { section: 0, x: 0.5 };

fn one_cell(mechs: Vec<Insert>, ions: &[(&str, f64)], run: RunSettings) -> Network {
    Network {
        cells: vec![Cell {
            gid: 7,
            population: "p".into(),
            sections: vec![Section {
                mechanisms: mechs,
                ion_values: ions.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
                ..Section::default()
            }],
            point_processes: Vec::new(),
            spike_site: MID,
        }],
        run,
        records: vec![Record {
            report: "v".into(),
            cell: 0,
            location: MID,
            variable: Variable::Voltage,
        }],
        ..Network::default()
    }
}

#[test]
fn passive_decay_is_backward_euler_of_the_exponential() {
    let lib = library();
    let dt = 0.025;
    let run = RunSettings {
        tstart: 0.0,
        tstop: 10.0,
        dt,
        celsius: 6.3,
        v_init: -55.0,
        spike_threshold: 0.0,
    };
    // tau = cm / g = 1 uF/cm2 / 1 mS/cm2 = 1 ms.
    let net = one_cell(vec![insert("pas", &[("g", 1e-3), ("e", -65.0)])], &[], run);
    let mut sim = Simulation::new(&net, &lib).expect("builds");
    let res = sim.run(&mut |_| {});
    assert!(res.error.is_none());
    assert_eq!(res.times.len(), 401);
    let v = &res.traces[0];
    for (k, (&t, &v)) in res.times.iter().zip(v).enumerate() {
        let be = -65.0 + 10.0 * (1.0 / (1.0 + dt)).powi(k as i32);
        assert!(
            (v - be).abs() < 1e-9,
            "step {k}: {v} vs backward Euler {be}"
        );
        let exact = -65.0 + 10.0 * (-t).exp();
        assert!(
            (v - exact).abs() < 0.05,
            "t {t}: {v} vs exponential {exact}"
        );
    }
    assert!(res.spikes.is_empty());
}

#[test]
fn rtm_cell_fires_repetitively_under_1_na() {
    let lib = library();
    let run = RunSettings {
        tstart: 0.0,
        tstop: 500.0,
        dt: 0.025,
        celsius: 34.0,
        v_init: -75.0,
        spike_threshold: -15.0,
    };
    let mut net = one_cell(
        vec![
            insert("leak", &[("gbar", 1e-4)]),
            insert("na_rtm", &[("gbar", 0.1)]),
            insert("k_rtm", &[("gbar", 0.08)]),
        ],
        &[("eleak", -67.0), ("ena", 50.0), ("ek", -100.0)],
        run,
    );
    net.cells[0].point_processes.push(PointProcess {
        mechanism: "IClamp".into(),
        location: MID,
        params: BTreeMap::from([
            ("del".into(), 50.0),
            ("dur".into(), 400.0),
            ("amp".into(), 1.0),
        ])
        .into(),
    });
    let mut sim = Simulation::new(&net, &lib).expect("builds");
    let mut last = -1.0;
    let res = sim.run(&mut |t| {
        assert!(t >= last);
        last = t;
    });
    assert!(res.error.is_none());
    assert!((last - 500.0).abs() < 1e-6);
    let times: Vec<f64> = res.spikes.iter().map(|s| s.1).collect();
    assert!(res.spikes.iter().all(|s| s.0 == 7));
    assert!(times.len() >= 10, "{times:?}");
    assert!(
        times.iter().all(|&t| (50.0..451.0).contains(&t)),
        "{times:?}"
    );
    // Regular firing: intervals after the first settle within 10 %.
    let isi: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let last_isi = isi[isi.len() - 1];
    assert!(
        isi[2..]
            .iter()
            .all(|d| (d - last_isi).abs() < 0.1 * last_isi),
        "{isi:?}"
    );
}

#[test]
fn bad_networks_are_errors_not_panics() {
    let lib = library();
    let base = one_cell(vec![insert("pas", &[])], &[], RunSettings::default());

    let mut net = base.clone();
    net.cells[0].sections[0]
        .mechanisms
        .push(insert("nosuch", &[]));
    let e = Simulation::new(&net, &lib).expect_err("unknown mechanism");
    assert_eq!(e.kind, SimErrorKind::UnknownMechanism);

    let mut net = base.clone();
    net.cells[0].sections[0].mechanisms[0] = insert("pas", &[("gg", 1.0)]);
    let e = Simulation::new(&net, &lib).expect_err("unknown parameter");
    assert_eq!(e.kind, SimErrorKind::UnknownParameter);

    let mut net = base.clone();
    net.records[0].variable = Variable::Density {
        mechanism: "pas".into(),
        name: "nope".into(),
    };
    let e = Simulation::new(&net, &lib).expect_err("unknown variable");
    assert_eq!(e.kind, SimErrorKind::UnknownVariable);

    let mut net = base.clone();
    net.connections.push(Connection {
        source: Source::Train(3),
        target_cell: 0,
        target: 0,
        weight: 1.0,
        delay: 1.0,
        threshold: f64::NAN,
    });
    let e = Simulation::new(&net, &lib).expect_err("bad connection");
    assert_eq!(e.kind, SimErrorKind::InvalidConnection);

    let mut net = base.clone();
    net.run.dt = 0.0;
    let e = Simulation::new(&net, &lib).expect_err("dt 0");
    assert_eq!(e.kind, SimErrorKind::InvalidSettings);

    let mut net = base.clone();
    net.cells[0].sections[0].nseg = 0;
    assert!(Simulation::new(&net, &lib).is_err());

    let mut net = base;
    net.cells[0].point_processes.push(PointProcess {
        mechanism: "pas".into(),
        location: MID,
        params: BTreeMap::new().into(),
    });
    let e = Simulation::new(&net, &lib).expect_err("density as point process");
    assert_eq!(e.kind, SimErrorKind::InvalidNetwork);
}

#[test]
fn density_and_point_process_variables_are_recorded() {
    let lib = library();
    let mut net = one_cell(
        vec![insert("pas", &[("g", 1e-3), ("e", -65.0)])],
        &[],
        RunSettings {
            tstop: 1.0,
            dt: 0.1,
            ..RunSettings::default()
        },
    );
    net.cells[0].point_processes.push(PointProcess {
        mechanism: "IClamp".into(),
        location: MID,
        params: BTreeMap::from([("dur".into(), 1e9), ("amp".into(), 0.5)]).into(),
    });
    net.records.push(Record {
        report: "i_pas".into(),
        cell: 0,
        location: MID,
        variable: Variable::Density {
            mechanism: "pas".into(),
            name: "i".into(),
        },
    });
    net.records.push(Record {
        report: "stim".into(),
        cell: 0,
        location: MID,
        variable: Variable::PointProcess {
            index: 0,
            name: "i".into(),
        },
    });
    let mut sim = Simulation::new(&net, &lib).expect("builds");
    let res = sim.run(&mut |_| {});
    assert_eq!(res.traces.len(), 3);
    assert_eq!(res.traces[2][0], 0.5, "IClamp i after finitialize");
    assert!(res.traces[2][1..].iter().all(|&i| i == 0.5));
    let (v, i) = (&res.traces[0], &res.traces[1]);
    assert!((i[0] - 1e-3 * (v[0] + 65.0)).abs() < 1e-12);
}
