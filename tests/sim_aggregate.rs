//! Linear synapse aggregation against one-by-one integration on a small
//! network: three RTM cells with 40 synapses each (Exp2Syn excitatory and
//! inhibitory, Exp2Syn_STP with facilitation and depression), driven by
//! spike trains and by each other. Aggregated and exact runs must give the
//! same spikes and voltages within rounding, and a recorded synapse (which
//! is never grouped) must be integrated exactly as in the exact run. Runs
//! on 2 and 3 threads (cells 0 and 1 drive cell 2 across threads) must
//! equal the one-thread run bit for bit, exact or aggregated. Merging the
//! Exp2Syn instances while building, and building from a network whose
//! synapses the engine takes over, must change nothing, bit for bit.

mod common;

use std::collections::BTreeMap;

use nmc::net::{
    Cell, Connection, Insert, Location, Network, PointProcess, Record, RunSettings, Section,
    Source, SpikeTrain, Variable,
};
use nmc::sim::{Mechanisms, Results, SimOptions, Simulation};

const MID: Location = Location { section: 0, x: 0.5 };

fn library() -> Mechanisms {
    common::models_library(Default::default())
}

fn params(p: &[(&str, f64)]) -> BTreeMap<String, f64> {
    p.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn rtm_cell(gid: u64) -> Cell {
    let insert = |m: &str, g: f64| Insert {
        mechanism: m.into(),
        params: params(&[("gbar", g)]),
    };
    let mut point_processes = Vec::new();
    for k in 0..40 {
        let (mechanism, p) = match k % 4 {
            0 | 1 => (
                "Exp2Syn",
                params(&[("tau1", 0.5), ("tau2", 3.0), ("e", 0.0)]),
            ),
            2 => (
                "Exp2Syn_STP",
                params(&[
                    ("tau1", 0.5),
                    ("tau2", 9.0),
                    ("e", -90.0),
                    ("Use", 0.42),
                    ("Dep", 125.0),
                    ("Fac", 800.0),
                ]),
            ),
            _ => (
                "Exp2Syn",
                params(&[("tau1", 0.5), ("tau2", 9.0), ("e", -75.0)]),
            ),
        };
        point_processes.push(PointProcess {
            mechanism: mechanism.into(),
            location: MID,
            params: p.into(),
        });
    }
    Cell {
        gid,
        population: "exc".into(),
        sections: vec![Section {
            mechanisms: vec![
                insert("leak", 1e-4),
                insert("na_rtm", 0.1),
                insert("k_rtm", 0.08),
            ],
            ion_values: params(&[("eleak", -67.0), ("ena", 50.0), ("ek", -100.0)]),
            ..Section::default()
        }],
        point_processes,
        spike_site: MID,
    }
}

fn network() -> Network {
    // Deterministic irregular trains (a small LCG), 20 of them at ~40 Hz.
    let mut x: u64 = 12345;
    let mut next = move || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let trains: Vec<SpikeTrain> = (0..20)
        .map(|k| {
            let mut t = 0.0;
            let mut times = Vec::new();
            loop {
                t += -25.0 * (1.0 - next()).ln();
                if t > 300.0 {
                    break;
                }
                times.push(t);
            }
            SpikeTrain {
                gid: 1000 + k,
                population: "input".into(),
                times,
            }
        })
        .collect();
    let mut connections = Vec::new();
    for cell in 0..3 {
        for syn in 0..40 {
            let (source, weight) = match (cell, syn % 4) {
                // Cell 2 is driven by cells 0 and 1 on its excitatory synapses.
                (2, 0) => (Source::Cell(syn % 2), 0.004 + 0.0001 * syn as f64),
                (_, 2) => (Source::Train((syn + cell) % 20), 0.01),
                (_, 3) => (Source::Train((3 * syn + cell) % 20), 0.002),
                _ => (
                    Source::Train((syn * 7 + cell) % 20),
                    0.003 + 0.0001 * syn as f64,
                ),
            };
            connections.push(Connection {
                source,
                target_cell: cell,
                target: syn,
                weight,
                delay: 0.5 + 0.1 * (syn % 3) as f64,
                threshold: f64::NAN,
            });
        }
    }
    let mut records: Vec<Record> = (0..3)
        .map(|cell| Record {
            report: "v".into(),
            cell,
            location: MID,
            variable: Variable::Voltage,
        })
        .collect();
    records.push(Record {
        report: "syn".into(),
        cell: 1,
        location: MID,
        variable: Variable::PointProcess {
            index: 2,
            name: "B".into(),
        },
    });
    Network {
        cells: (0..3).map(rtm_cell).collect(),
        trains,
        connections: connections.into(),
        run: RunSettings {
            tstart: 0.0,
            tstop: 300.0,
            dt: 0.025,
            celsius: 34.0,
            v_init: -75.0,
            spike_threshold: -15.0,
        },
        records,
    }
}

fn run(exact: bool) -> (Results, Vec<(String, usize, usize)>) {
    run_on(exact, 1)
}

fn run_on(exact: bool, threads: usize) -> (Results, Vec<(String, usize, usize)>) {
    let lib = library();
    let mut sim = Simulation::with_threads(&network(), &lib, threads).expect("builds");
    assert_eq!(sim.threads(), threads);
    sim.set_exact(exact);
    let res = sim.run(&mut |_| {});
    assert!(res.error.is_none(), "{:?}", res.error);
    (res, sim.aggregation())
}

#[test]
fn aggregated_run_equals_the_exact_one_within_rounding() {
    let (exact, none) = run(true);
    let (merged, groups) = run(false);
    assert!(none.is_empty(), "{none:?}");
    // Per cell: the 20 excitatory Exp2Syn share one leader, the 10
    // inhibitory ones another; the 10 STP synapses one, except the
    // recorded one on cell 1, which stays alone.
    let mut groups = groups;
    groups.sort();
    assert_eq!(
        groups,
        [
            ("Exp2Syn".to_string(), 90, 6),
            ("Exp2Syn_STP".to_string(), 30, 4)
        ]
    );
    // Every cell fires, and the spikes are the same to the step.
    for cell in 0..3u64 {
        let n = exact.spikes.iter().filter(|s| s.0 == cell).count();
        assert!(n >= 3, "cell {cell} fired {n} times");
    }
    assert_eq!(merged.spikes, exact.spikes);
    // Voltages agree to rounding (relative 1e-9).
    let mut worst = 0.0f64;
    for (a, b) in exact.traces[..3].iter().zip(&merged.traces[..3]) {
        for (x, y) in a.iter().zip(b) {
            worst = worst.max((x - y).abs() / x.abs().max(1.0));
        }
    }
    eprintln!(
        "spikes {}, largest relative voltage difference {worst:e}",
        exact.spikes.len()
    );
    assert!(
        worst <= 1e-9,
        "largest relative voltage difference {worst:e}"
    );
    // The recorded synapse is integrated on its own: its state is the
    // exact run's bit for bit (it does not depend on v).
    assert_eq!(exact.traces[3], merged.traces[3]);
    assert!(exact.traces[3].iter().any(|&b| b > 0.0));
}

#[test]
fn threads_give_the_one_thread_results_bit_for_bit() {
    for exact in [true, false] {
        let (one, agg1) = run_on(exact, 1);
        assert!(one.spikes.iter().any(|s| s.0 == 2));
        for threads in [2, 3] {
            let (many, agg) = run_on(exact, threads);
            assert_eq!(many.times, one.times);
            assert_eq!(many.spikes, one.spikes, "{threads} threads, exact {exact}");
            assert_eq!(many.traces, one.traces, "{threads} threads, exact {exact}");
            assert_eq!(agg, agg1);
        }
    }
}

fn run_with(options: SimOptions, consume: bool) -> (Results, Vec<(String, usize, usize)>) {
    let lib = library();
    let mut net = network();
    let mut sim = if consume {
        let sim = Simulation::from_network(&mut net, &lib, options).expect("builds");
        assert!(net.connections.is_empty());
        assert!(net.cells.iter().all(|c| c.point_processes.is_empty()));
        sim
    } else {
        Simulation::with_options(&net, &lib, options).expect("builds")
    };
    let res = sim.run(&mut |_| {});
    assert!(res.error.is_none(), "{:?}", res.error);
    (res, sim.aggregation())
}

#[test]
fn merging_while_building_and_taking_the_network_change_nothing() {
    for threads in [1, 2, 3] {
        for exact in [false, true] {
            let (plain, groups) = run_on(exact, threads);
            for (merge, consume) in [(true, false), (false, true), (true, true)] {
                let options = SimOptions {
                    threads,
                    exact,
                    merge_synapses: merge,
                    ..SimOptions::default()
                };
                let (res, g) = run_with(options, consume);
                let what =
                    format!("{threads} threads, exact {exact}, merge {merge}, consume {consume}");
                assert_eq!(res.spikes, plain.spikes, "{what}");
                assert_eq!(res.traces, plain.traces, "{what}");
                assert_eq!(g, groups, "{what}");
            }
        }
    }
}

#[test]
fn a_simulation_merged_while_building_cannot_run_exact() {
    let lib = library();
    let options = SimOptions {
        merge_synapses: true,
        ..SimOptions::default()
    };
    let mut sim = Simulation::with_options(&network(), &lib, options).expect("builds");
    sim.set_exact(true);
    let res = sim.run(&mut |_| {});
    let err = res.error.expect("refused");
    assert!(err.message.contains("merged"), "{err}");
}

/// `network()` without the recorded synapse, built with synapse merging.
fn run_merged(net: &Network, threads: usize) -> (Results, Vec<(String, usize)>) {
    let lib = library();
    let options = SimOptions {
        threads,
        merge_synapses: true,
        ..SimOptions::default()
    };
    let mut sim = Simulation::with_options(net, &lib, options).expect("builds");
    let res = sim.run(&mut |_| {});
    assert!(res.error.is_none(), "{:?}", res.error);
    let rows = sim
        .rows()
        .into_iter()
        .filter(|r| r.0.starts_with("Exp2Syn"))
        .collect();
    (res, rows)
}

fn unrecorded_network() -> Network {
    let mut net = network();
    net.records.truncate(3);
    net
}

fn assert_close(exact: &Results, merged: &Results) {
    assert_eq!(merged.spikes, exact.spikes);
    let mut worst = 0.0f64;
    for (a, b) in exact.traces.iter().zip(&merged.traces) {
        for (x, y) in a.iter().zip(b) {
            worst = worst.max((x - y).abs() / x.abs().max(1.0));
        }
    }
    assert!(
        worst <= 1e-9,
        "largest relative voltage difference {worst:e}"
    );
}

#[test]
fn plasticity_state_in_the_connections_lets_stp_synapses_merge() {
    let net = unrecorded_network();
    let lib = library();
    let mut sim = Simulation::with_options(
        &net,
        &lib,
        SimOptions {
            exact: true,
            ..SimOptions::default()
        },
    )
    .expect("builds");
    let exact = sim.run(&mut |_| {});
    assert!(exact.error.is_none());
    for threads in [1, 2, 3] {
        let (merged, rows) = run_merged(&net, threads);
        // Every cell's 10 STP synapses (each fed by one connection) share
        // one row, as its Exp2Syn of equal parameters do.
        assert_eq!(
            rows,
            [("Exp2Syn".to_string(), 6), ("Exp2Syn_STP".to_string(), 3)],
            "{threads} threads"
        );
        assert_close(&exact, &merged);
    }
}

#[test]
fn stp_synapses_fed_by_two_connections_keep_their_rows() {
    // A second connection onto cell 0's first STP synapse: its state is
    // shared by two connections, so it cannot move into one of them.
    let mut net = unrecorded_network();
    let mut extra = net.connections.get(2).expect("connection 2");
    assert_eq!((extra.target_cell, extra.target), (0, 2));
    extra.source = Source::Train(5);
    net.connections.push(extra);
    let lib = library();
    let mut sim = Simulation::with_options(
        &net,
        &lib,
        SimOptions {
            exact: true,
            ..SimOptions::default()
        },
    )
    .expect("builds");
    let exact = sim.run(&mut |_| {});
    let (merged, rows) = run_merged(&net, 1);
    assert_eq!(
        rows,
        [("Exp2Syn".to_string(), 6), ("Exp2Syn_STP".to_string(), 30)],
        "the STP synapses keep their rows"
    );
    assert_close(&exact, &merged);
}

#[test]
fn recording_a_parameter_keeps_synapses_merged() {
    // `tau2` of cell 1's first STP synapse and `tau1` of cell 0's first
    // Exp2Syn: fields nothing writes after INITIAL, equal within a group,
    // so recording them pins nothing (recording `B` does, see above).
    let plain = unrecorded_network();
    let mut net = unrecorded_network();
    for (cell, index, name) in [(1, 2, "tau2"), (0, 0, "tau1")] {
        net.records.push(Record {
            report: "syn".into(),
            cell,
            location: MID,
            variable: Variable::PointProcess {
                index,
                name: name.into(),
            },
        });
    }
    let lib = library();
    for threads in [1, 2, 3] {
        // Merged while building.
        let (base, base_rows) = run_merged(&plain, threads);
        let (res, rows) = run_merged(&net, threads);
        assert_eq!(rows, base_rows, "{threads} threads");
        assert_eq!(res.spikes, base.spikes, "{threads} threads");
        assert_eq!(res.traces[..3], base.traces[..], "{threads} threads");
        assert!(res.traces[3].iter().all(|&x| x == 9.0));
        assert!(res.traces[4].iter().all(|&x| x == 0.5));
        assert_eq!(res.traces[3].len(), res.times.len());
        // Grouped after INITIAL.
        let mut sim = Simulation::with_threads(&plain, &lib, threads).expect("builds");
        let base = sim.run(&mut |_| {});
        let base_groups = sim.aggregation();
        let mut sim = Simulation::with_threads(&net, &lib, threads).expect("builds");
        let res = sim.run(&mut |_| {});
        assert!(res.error.is_none(), "{:?}", res.error);
        assert_eq!(sim.aggregation(), base_groups, "{threads} threads");
        assert_eq!(res.spikes, base.spikes, "{threads} threads");
        assert_eq!(res.traces[..3], base.traces[..], "{threads} threads");
        assert!(res.traces[3].iter().all(|&x| x == 9.0));
        assert!(res.traces[4].iter().all(|&x| x == 0.5));
    }
}
