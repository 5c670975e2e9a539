//! The BMTK-built seed network in the repository (`simulation_config.json`,
//! `network/`, `input/`; BMTK's files unmodified), run through the SONATA
//! reader with the circuit's own components (`components/templates`,
//! `components/synaptic_models`, `models`), compared spike by spike with
//! NEURON 9.0.2's `tests/golden/seed/spikes_neuron.h5`.
//!
//! Release builds simulate the full 1000 ms; debug builds simulate the
//! first 150 ms and compare up to there.
//!
//! Both paths, the exact one (every synapse instance integrated on its
//! own, `Simulation::set_exact`) and the default one (linear synapse
//! aggregation), give NEURON's spikes exactly: the same cells at the same
//! times (PV 500, SOM 500, Exc 4402 spikes in 1000 ms).

mod common;
use common::{copy_seed, seed_config, seed_neuron_spikes};

use nmc::diag::SourceMap;
use nmc::driver::sonata::{Options, load};
use nmc::sim::Simulation;
use nmc::sonata::spikes;

/// NEURON's spikes of population `network` up to `until` ms, by
/// (pop_name, node range) of the seed, as (node, time) sorted.
fn neuron_by_population(until: f64) -> Vec<(&'static str, Vec<(u64, f64)>)> {
    let theirs = spikes::read(&seed_neuron_spikes()).expect("reference spikes");
    by_population(
        &theirs
            .iter()
            .filter(|(p, _, _)| p == "network")
            .map(|(_, id, t)| (*id, *t))
            .collect::<Vec<_>>(),
        until,
    )
}

/// `spikes` of population `network` up to `until` ms split by the seed's
/// populations (PV 0-49, SOM 50-99, Exc 100-299), each sorted.
fn by_population(spikes: &[(u64, f64)], until: f64) -> Vec<(&'static str, Vec<(u64, f64)>)> {
    [("PV", 0..50u64), ("SOM", 50..100), ("Exc", 100..300)]
        .into_iter()
        .map(|(name, range)| {
            let mut v: Vec<(u64, f64)> = spikes
                .iter()
                .filter(|(id, t)| range.contains(id) && *t <= until)
                .copied()
                .collect();
            v.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            (name, v)
        })
        .collect()
}

/// Asserts that `ours` (population `network`, simulated to `tstop` ms) has
/// exactly NEURON's spikes in every population: same cells, same times (up
/// to `tstop`, or 1 ms before it in shortened runs).
fn assert_neuron_spikes(ours: &[(u64, f64)], tstop: f64) {
    let full = tstop >= 1000.0;
    let until = if full { tstop } else { tstop - 1.0 };
    let want = neuron_by_population(until);
    let got = by_population(ours, until);
    let mut report = String::new();
    for ((name, w), (_, g)) in want.iter().zip(&got) {
        report.push_str(&format!(
            "{name}: {} NEURON spikes, {} ours; {:.4} matched exactly\n",
            w.len(),
            g.len(),
            matched(w, g, 0.0)
        ));
    }
    eprint!("{report}");
    for ((name, w), (_, g)) in want.iter().zip(&got) {
        assert!(!w.is_empty(), "{name}: NEURON has no spikes\n{report}");
        assert_eq!(matched(w, g, 0.0), 1.0, "{name}\n{report}");
        assert_eq!(g, w, "{name}\n{report}");
    }
    if full {
        let counts: Vec<usize> = got.iter().map(|(_, v)| v.len()).collect();
        assert_eq!(counts, [500, 500, 4402], "{report}");
    }
}

/// Fraction of `want`'s spikes that `got` has on the same node within `tol` ms.
fn matched(want: &[(u64, f64)], got: &[(u64, f64)], tol: f64) -> f64 {
    if want.is_empty() {
        return 1.0;
    }
    let n = want
        .iter()
        .filter(|(id, t)| got.iter().any(|(g, s)| g == id && (s - t).abs() <= tol))
        .count();
    n as f64 / want.len() as f64
}

#[test]
fn missing_components_name_the_flags() {
    // The circuit without its templates and mechanisms folders (as BMTK's
    // own copy ships it).
    let dir = std::env::temp_dir().join(format!("nmc_sonata_nocomp_{}", std::process::id()));
    copy_seed(&dir, false);
    let mut map = SourceMap::new();
    let err = load(
        &mut map,
        &dir.join("simulation_config.json"),
        &Options::default(),
    )
    .err()
    .unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let text: String = err
        .iter()
        .map(|d| format!("{} {:?}\n", d.message, d.help))
        .collect();
    assert!(text.contains("does not exist"), "{text}");
    assert!(
        err.iter()
            .any(|d| format!("{d:?}")
                .contains("--templates components/templates --mechanisms models")),
        "{text}"
    );
}

#[test]
fn seed_network_matches_neuron() {
    let config = seed_config();
    let tstop = if cfg!(debug_assertions) {
        150.0
    } else {
        1000.0
    };
    // The circuit's own components: no --templates / --mechanisms.
    let opts = Options {
        tstop: Some(tstop),
        // The exact path: `nmc run --synapses one-by-one --exp libm` (libm's exp, every synapse
        // on its own).
        math: nmc::back::math::MathMode::Exact,
        ..Options::default()
    };
    let mut map = SourceMap::new();
    let loaded = match load(&mut map, &config, &opts) {
        Ok(l) => l,
        Err(d) => panic!("{d:?}"),
    };
    assert_eq!(loaded.network.cells.len(), 300);
    assert_eq!(loaded.network.connections.len(), 85_200);
    assert_eq!(loaded.network.trains.len(), 200);
    // Both slips of the seed are reported.
    let warn: String = loaded.warnings.iter().map(|d| d.message.clone()).collect();
    assert!(warn.contains("bgnoisevirtExc"), "{warn}");
    assert!(warn.contains("permuted"), "{warn}");

    let mut sim = Simulation::new(&loaded.network, &loaded.mechanisms).expect("simulation");
    sim.set_exact(true);
    let start = std::time::Instant::now();
    let res = sim.run(&mut |_| {});
    eprintln!(
        "simulated {tstop} ms in {:.2} s",
        start.elapsed().as_secs_f64()
    );
    assert!(res.error.is_none(), "{:?}", res.error);
    assert!(sim.aggregation().is_empty());

    let ours = loaded.spikes_by_population(&res);
    // The spike file is written as BMTK writes it.
    let out = std::env::temp_dir().join(format!("nmc_sonata_seed_{}.h5", std::process::id()));
    spikes::write(&out, &ours).expect("write spikes");
    {
        use hdf5_metno as hdf5;
        let f = hdf5::File::open(&out).expect("open spikes");
        let magic: u32 = f
            .attr("magic")
            .and_then(|a| a.read_scalar())
            .expect("magic");
        assert_eq!(magic, 0x0A7A);
        let ids = f.dataset("spikes/network/node_ids").expect("node_ids");
        assert!(ids.dtype().expect("dtype").is::<i64>());
        let back = spikes::read(&out).expect("read back");
        assert_eq!(back.len(), res.spikes.len());
    }
    let _ = std::fs::remove_file(&out);
    let got = ours.get("network").cloned().unwrap_or_default();
    assert_neuron_spikes(&got, tstop);
}

/// The default path (linear synapse aggregation), as `nmc run
/// simulation_config.json` runs it: NEURON's spikes exactly, on one
/// thread and on two, and the rate table's figures.
#[test]
fn seed_network_aggregated_gives_neurons_spikes() {
    let config = seed_config();
    let tstop = if cfg!(debug_assertions) {
        150.0
    } else {
        1000.0
    };
    let opts = Options {
        tstop: Some(tstop),
        math: Default::default(),
        ..Options::default()
    };
    let mut map = SourceMap::new();
    let loaded = match load(&mut map, &config, &opts) {
        Ok(l) => l,
        Err(d) => panic!("{d:?}"),
    };
    let mut sim = Simulation::new(&loaded.network, &loaded.mechanisms).expect("simulation");
    let start = std::time::Instant::now();
    let res = sim.run(&mut |_| {});
    eprintln!(
        "simulated {tstop} ms aggregated in {:.2} s",
        start.elapsed().as_secs_f64()
    );
    assert!(res.error.is_none(), "{:?}", res.error);
    // 55,200 Exp2Syn become 1,750 leaders (Exc: one group, PV: three, on
    // each of the 5 soma segments BMTK's dL = 20 um gives), the 30,000
    // Exp2Syn_STP 2,250 (Exc: PV and SOM inputs, SOM: Exc input; 5 segments).
    let mut agg = sim.aggregation();
    agg.sort();
    assert_eq!(
        agg,
        [
            ("Exp2Syn".to_string(), 55_200, 1_750),
            ("Exp2Syn_STP".to_string(), 30_000, 2_250)
        ]
    );
    // Two threads (PV and SOM in one, Exc in the other, 0.5 ms between
    // exchanges): the same spikes bit for bit.
    let mut two =
        Simulation::with_threads(&loaded.network, &loaded.mechanisms, 2).expect("simulation");
    assert_eq!(two.threads(), 2);
    let res2 = two.run(&mut |_| {});
    assert!(res2.error.is_none(), "{:?}", res2.error);
    assert_eq!(res2.spikes, res.spikes);
    assert_eq!(two.aggregation(), agg);

    let ours = loaded.spikes_by_population(&res);
    let got = ours.get("network").cloned().unwrap_or_default();
    assert_neuron_spikes(&got, tstop);
    if tstop >= 1000.0 {
        let table: Vec<String> = loaded
            .rates(&res)
            .iter()
            .map(|(name, n, spikes, rate)| format!("{name} {n} {spikes} {rate:.2}"))
            .collect();
        assert_eq!(
            table,
            ["PV 50 500 10.00", "SOM 50 500 10.00", "Exc 200 4402 22.01"]
        );
    }
}

#[test]
fn unmappable_model_template_names_file_row_and_value() {
    let tmp = std::env::temp_dir().join(format!("nmc_sonata_badtmpl_{}", std::process::id()));
    copy_seed(&tmp, true);
    let csv = tmp.join("network/network_network_edge_types.csv");
    let text = std::fs::read_to_string(&csv).expect("csv");
    std::fs::write(
        &csv,
        text.replacen("PV2Exc.json Exp2Syn_STP", "PV2Exc.json Exp2Syn_STPX", 1),
    )
    .expect("write");
    let opts = Options {
        tstop: Some(1.0),
        ..Options::default()
    };
    let mut map = SourceMap::new();
    let err = load(&mut map, &tmp.join("simulation_config.json"), &opts)
        .err()
        .unwrap_or_default();
    let _ = std::fs::remove_dir_all(&tmp);
    let d = err.first().expect("a diagnostic");
    assert!(
        d.message.contains("network_network_edge_types.csv"),
        "{}",
        d.message
    );
    assert!(d.message.contains("edge type 103"), "{}", d.message);
    assert!(d.message.contains("`Exp2Syn_STPX`"), "{}", d.message);
    assert_eq!(d.help.as_deref(), Some("did you mean `Exp2Syn_STP`?"));
}
