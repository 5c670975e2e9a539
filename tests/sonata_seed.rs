//! The BMTK-built seed network (`../shared/reference/bmtk_test_net`),
//! unmodified, run through the SONATA reader with the project's cell
//! templates and mechanisms, compared spike by spike with NEURON 9.0.2's
//! `output/spikes_neuron.h5`.
//!
//! Release builds simulate the full 1000 ms (about 15 s exact, 1.5 s
//! aggregated); debug builds simulate the first 150 ms and compare up to
//! there.
//!
//! `seed_network_matches_neuron` runs the exact path (every synapse
//! instance integrated on its own, `Simulation::set_exact`); figures at
//! 1000 ms (fraction of NEURON's spikes matched on the same node
//! within 1e-6 ms / within 0.1 ms): PV 1.0000 / 1.0000, SOM 0.8000 /
//! 1.0000, Exc 0.9948 / 0.9977; rates identical (PV 500, SOM 500, Exc 4402
//! spikes). The first difference is Exc node 236 spiking at 129.5 ms
//! instead of 129.6 ms. NEURON 9.0.2 running the project's own `models/`
//! on the same circuit (built from the same files, BMTK's creation order)
//! gives exactly nmc's 5402 spikes, so the residual comes from the seed's
//! own `.mod` files, which differ from `models/` at about the 1e-7 level
//! (scaling the background weight by 1 - 1e-6 in that NEURON run removes
//! the first difference); instance order and mechanism order do not matter.

mod common;
use common::repo;

use nmc::diag::SourceMap;
use nmc::driver::sonata::{Options, load};
use nmc::sim::Simulation;
use nmc::sonata::spikes;
use std::path::{Path, PathBuf};

fn reference() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/bmtk_test_net");
    let dir = if dir.is_dir() {
        dir
    } else {
        PathBuf::from("/work/shared/reference/bmtk_test_net")
    };
    dir.join("simulation_config.json").is_file().then_some(dir)
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
    let Some(dir) = reference() else { return };
    let mut map = SourceMap::new();
    let err = load(
        &mut map,
        &dir.join("simulation_config.json"),
        &Options::default(),
    )
    .err()
    .unwrap_or_default();
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
    let Some(dir) = reference() else {
        eprintln!("skipped: no reference network");
        return;
    };
    let tstop = if cfg!(debug_assertions) {
        150.0
    } else {
        1000.0
    };
    let opts = Options {
        templates: Some(repo("components/templates")),
        mechanisms: Some(repo("models")),
        tstop: Some(tstop),
        // The exact path: `nmc run --exact` (libm's exp, every synapse
        // on its own).
        math: nmc::back::math::MathMode::Exact,
    };
    let mut map = SourceMap::new();
    let loaded = match load(&mut map, &dir.join("simulation_config.json"), &opts) {
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
    let theirs = spikes::read(&dir.join("output/spikes_neuron.h5")).expect("reference spikes");
    let got = ours.get("network").cloned().unwrap_or_default();
    // (pop_name, node range) of the seed.
    let pops = [("PV", 0..50u64), ("SOM", 50..100), ("Exc", 100..300)];
    let mut report = String::new();
    let mut fractions = Vec::new();
    for (name, range) in pops {
        let want: Vec<(u64, f64)> = theirs
            .iter()
            .filter(|(p, id, t)| p == "network" && range.contains(id) && *t <= tstop - 1.0)
            .map(|(_, id, t)| (*id, *t))
            .collect();
        let g: Vec<(u64, f64)> = got
            .iter()
            .filter(|(id, _)| range.contains(id))
            .copied()
            .collect();
        let exact = matched(&want, &g, 1e-6);
        let close = matched(&want, &g, 0.1);
        report.push_str(&format!(
            "{name}: {} NEURON spikes, {} ours; {:.4} within 1e-6 ms, {:.4} within 0.1 ms\n",
            want.len(),
            g.len(),
            exact,
            close
        ));
        fractions.push((name, exact, close));
    }
    eprint!("{report}");
    // What the reader achieves today (see the report for the figures).
    for (name, exact, close) in fractions {
        let (min_exact, min_close) = match name {
            "PV" => (1.0, 1.0),
            "SOM" => (0.8, 1.0),
            _ => (0.99, 0.995),
        };
        assert!(exact >= min_exact, "{name}: {report}");
        assert!(close >= min_close, "{name}: {report}");
    }
    // Per-population rates within 2% of NEURON's (full runs only).
    if tstop >= 1000.0 {
        for (name, n, spikes, rate) in loaded.rates(&res) {
            let want = match name.as_str() {
                "Exc" => 22.01,
                _ => 10.0,
            };
            assert!(
                (rate - want).abs() <= 0.02 * want,
                "{name}: {n} cells {spikes} spikes {rate} Hz"
            );
        }
    }
}

/// First spike of each volley of `times` (sorted): a volley starts after
/// a silence of more than 5 ms.
fn volleys(times: &[f64]) -> Vec<f64> {
    let mut out = Vec::new();
    let mut last = f64::NEG_INFINITY;
    for &t in times {
        if t - last > 5.0 {
            out.push(t);
        }
        last = t;
    }
    out
}

/// The default path (linear synapse aggregation) against issue 5's
/// acceptance lines: per-population rates within 2% of NEURON's, all 10 PV
/// and all 10 SOM volleys, each volley's first spike within 1 ms.
#[test]
fn seed_network_aggregated_meets_the_acceptance_figures() {
    let Some(dir) = reference() else {
        eprintln!("skipped: no reference network");
        return;
    };
    let tstop = if cfg!(debug_assertions) {
        150.0
    } else {
        1000.0
    };
    let opts = Options {
        templates: Some(repo("components/templates")),
        mechanisms: Some(repo("models")),
        tstop: Some(tstop),
        math: Default::default(),
    };
    let mut map = SourceMap::new();
    let loaded = match load(&mut map, &dir.join("simulation_config.json"), &opts) {
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

    let theirs = spikes::read(&dir.join("output/spikes_neuron.h5")).expect("reference spikes");
    let ours = loaded.spikes_by_population(&res);
    let got = ours.get("network").cloned().unwrap_or_default();
    let mut report = String::new();
    for (name, range, want_volleys) in [("PV", 0..50u64, 10), ("SOM", 50..100, 10)] {
        let mut want: Vec<f64> = theirs
            .iter()
            .filter(|(p, id, t)| p == "network" && range.contains(id) && *t <= tstop - 1.0)
            .map(|x| x.2)
            .collect();
        let mut ours: Vec<f64> = got
            .iter()
            .filter(|(id, t)| range.contains(id) && *t <= tstop - 1.0)
            .map(|x| x.1)
            .collect();
        want.sort_by(f64::total_cmp);
        ours.sort_by(f64::total_cmp);
        let (w, o) = (volleys(&want), volleys(&ours));
        report.push_str(&format!("{name}: NEURON volleys {w:?}\n     ours {o:?}\n"));
        if tstop >= 1000.0 {
            assert_eq!(w.len(), want_volleys, "{report}");
        }
        assert_eq!(o.len(), w.len(), "{report}");
        for (a, b) in w.iter().zip(&o) {
            assert!((a - b).abs() <= 1.0, "{report}");
        }
    }
    eprint!("{report}");
    if tstop >= 1000.0 {
        for (name, n, spikes, rate) in loaded.rates(&res) {
            let want = match name.as_str() {
                "Exc" => 22.01,
                _ => 10.0,
            };
            assert!(
                (rate - want).abs() <= 0.02 * want,
                "{name}: {n} cells {spikes} spikes {rate} Hz"
            );
        }
    }
}

/// Copies the reference circuit (without its output) into a fresh temp folder.
fn copy_reference(dir: &Path, tag: &str) -> PathBuf {
    let dst = std::env::temp_dir().join(format!("nmc_sonata_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dst);
    fn copy(src: &Path, dst: &Path) {
        std::fs::create_dir_all(dst).expect("mkdir");
        for e in std::fs::read_dir(src).expect("read_dir").flatten() {
            let p = e.path();
            let name = e.file_name();
            if p.is_dir() {
                if name != "output" && name != "seed_figures" {
                    copy(&p, &dst.join(&name));
                }
            } else {
                std::fs::copy(&p, dst.join(&name)).expect("copy");
            }
        }
    }
    copy(dir, &dst);
    dst
}

#[test]
fn unmappable_model_template_names_file_row_and_value() {
    let Some(dir) = reference() else { return };
    let tmp = copy_reference(&dir, "badtmpl");
    let csv = tmp.join("network/network_network_edge_types.csv");
    let text = std::fs::read_to_string(&csv).expect("csv");
    std::fs::write(
        &csv,
        text.replacen("PV2Exc.json Exp2Syn_STP", "PV2Exc.json Exp2Syn_STPX", 1),
    )
    .expect("write");
    let opts = Options {
        templates: Some(repo("components/templates")),
        mechanisms: Some(repo("models")),
        tstop: Some(1.0),
        math: Default::default(),
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
