//! `driver::run`, the entry point of programs that embed nmc (the Python
//! module): the seed network's spikes, rates and outputs in memory equal
//! NEURON's and what `nmc run` writes; a caller that asks a run to stop
//! gets it stopped, on one thread and on two (no thread left waiting).

mod common;
use common::{repo, seed_config, seed_neuron_spikes};

use nmc::diag::SourceMap;
use nmc::driver::run::{RunOptions, load};
use nmc::sim::SimErrorKind;

fn options(threads: usize) -> RunOptions {
    RunOptions {
        threads,
        ..RunOptions::default()
    }
}

#[test]
fn seed_in_memory_equals_neuron_and_the_written_file() {
    let mut map = SourceMap::new();
    let prepared = load(&mut map, &seed_config(), &options(2)).expect("seed loads");
    let outcome = prepared
        .simulate(&options(2), &mut |_| true)
        .expect("seed simulates");
    assert!(outcome.results.error.is_none());
    let spikes = prepared.spikes(&outcome.results);
    assert_eq!(spikes.populations, vec!["network".to_string()]);
    assert_eq!(spikes.timestamps.len(), 5402);
    let mut ours: Vec<(u64, u64)> = spikes
        .node_ids
        .iter()
        .zip(&spikes.timestamps)
        .map(|(&n, &t)| (n, t.to_bits()))
        .collect();
    ours.sort_unstable();
    let mut neuron: Vec<(u64, u64)> = nmc::sonata::spikes::read(&seed_neuron_spikes())
        .expect("NEURON's spikes")
        .into_iter()
        .map(|(_, n, t)| (n, t.to_bits()))
        .collect();
    neuron.sort_unstable();
    assert_eq!(ours, neuron, "bit for bit NEURON's spikes");

    let rates: Vec<(String, usize, usize)> = prepared
        .rates(&outcome.results)
        .into_iter()
        .map(|r| (r.name, r.cells, r.spikes))
        .collect();
    assert_eq!(
        rates,
        vec![
            ("PV".to_string(), 50, 500),
            ("SOM".to_string(), 50, 500),
            ("Exc".to_string(), 200, 4402)
        ]
    );
    let table = nmc::driver::run::rate_table(&prepared.rates(&outcome.results));
    assert!(
        table.contains("  Exc                 200     4402  22.01 Hz"),
        "{table}"
    );

    let dir = std::env::temp_dir().join(format!("nmc_driver_run_{}", std::process::id()));
    let written = prepared.write(&dir, &outcome.results).expect("outputs");
    assert_eq!(written, vec![dir.join("spikes.h5")]);
    let mut back: Vec<(u64, u64)> = nmc::sonata::spikes::read(&written[0])
        .expect("written spikes")
        .into_iter()
        .map(|(_, n, t)| (n, t.to_bits()))
        .collect();
    back.sort_unstable();
    assert_eq!(back, ours);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Stopped after the first progress report: an `Interrupted` error, the
/// spikes so far, and `simulate` returns (on two threads a thread still
/// waiting at the barrier would hang the test).
#[test]
fn a_run_asked_to_stop_stops() {
    for threads in [1, 2] {
        let mut map = SourceMap::new();
        let prepared = load(&mut map, &seed_config(), &options(threads)).expect("seed loads");
        let mut calls = 0;
        let outcome = prepared
            .simulate(&options(threads), &mut |_| {
                calls += 1;
                calls < 3
            })
            .expect("seed simulates");
        let err = outcome
            .results
            .error
            .as_ref()
            .expect("stopped with an error");
        assert_eq!(err.kind, SimErrorKind::Interrupted, "{threads} threads");
        let reached = *outcome.results.times.last().expect("some steps");
        assert!(
            reached < 100.0,
            "{threads} threads: stopped at {reached} ms"
        );
        let n = prepared.spikes(&outcome.results).timestamps.len();
        assert!(n < 5402, "{threads} threads: {n} spikes");
        let d = nmc::driver::run::sim_diagnostic(err, true);
        assert_eq!(d.code, "E1803");
    }
}

/// An NDL experiment: its report in memory has one row per sample from
/// tstart, and the cell's population is the `network` name.
#[test]
fn ndl_report_in_memory() {
    let mut map = SourceMap::new();
    let path = repo("tests/cells/rtm_iclamp.ndl");
    let prepared = load(&mut map, &path, &options(1)).expect("loads");
    let outcome = prepared
        .simulate(&options(1), &mut |_| true)
        .expect("simulates");
    let reports = prepared.reports(&outcome.results);
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert_eq!((r.name.as_str(), r.variable.as_str()), ("soma_v", "v"));
    assert_eq!(r.times.len(), 20001);
    assert_eq!(r.times[0], 0.0);
    assert_eq!(r.parts[0].population, "rtm_iclamp");
    assert_eq!(r.parts[0].data.len(), 20001);
    assert_eq!(r.parts[0].data[0], -75.0, "v_init");
    let rates = prepared.rates(&outcome.results);
    assert_eq!(rates[0].name, "cell");
    assert!(rates[0].spikes > 0);
}
