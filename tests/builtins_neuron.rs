//! nmc's built-in mechanisms (`builtins/*.mod`) against NEURON 9.0.2's
//! own built-ins: every experiment of
//! `tests/golden/neuron/builtins/manifest.json` (written by
//! `reference/make_builtin_traces.py`) is rebuilt from the manifest alone,
//! run in exact math, and every recorded trace and every spike time must
//! be bit-identical to NEURON's.

mod common;
use common::golden::{self, builtins_library, num, params, read};

use std::path::PathBuf;
use std::sync::OnceLock;

use nmc::driver::builtins::BUILTINS;
use nmc::net::{
    Cell, Connection, Location, Network, PointProcess, Record, RunSettings, Source, SpikeTrain,
    Variable,
};
use nmc::sim::Simulation;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn golden() -> PathBuf {
    root().join("tests/golden/neuron/builtins")
}

fn manifest() -> &'static Value {
    static M: OnceLock<Value> = OnceLock::new();
    M.get_or_init(|| {
        let text = std::fs::read_to_string(golden().join("manifest.json")).expect("manifest.json");
        serde_json::from_str(&text).expect("manifest.json parses")
    })
}

fn experiment(name: &str) -> &'static Value {
    manifest()["experiments"]
        .as_array()
        .expect("experiments")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no experiment {name}"))
}

/// Gid of the real cell; artificial cell k gets `ART_GID + k`.
const CELL_GID: u64 = 0;
const ART_GID: u64 = 100;

/// The network of one experiment, the dataset name of each record, and
/// the gid whose spikes each `spikes*` dataset holds.
fn build(exp: &Value) -> (Network, Vec<String>, Vec<(String, u64)>) {
    let empty = Vec::new();
    let secs = exp["cell"]["sections"].as_array().unwrap_or(&empty);
    let index_of = |name: &str| {
        secs.iter()
            .position(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no section {name}"))
    };
    let loc = |v: &Value| Location {
        section: index_of(v["section"].as_str().expect("section")),
        x: num(&v["x"]),
    };
    let pps = exp["point_processes"].as_array().expect("point_processes");
    let arts = exp["artificial_cells"]
        .as_array()
        .expect("artificial_cells");
    let mut net = Network {
        run: RunSettings {
            tstart: 0.0,
            tstop: num(&exp["tstop"]),
            dt: num(&exp["dt"]),
            celsius: num(&exp["celsius"]),
            v_init: num(&exp["v_init"]),
            spike_threshold: exp["spike_detector"]["threshold"].as_f64().unwrap_or(-20.0),
        },
        ..Network::default()
    };
    let mut spikes = vec![];
    if !exp["cell"].is_null() {
        let det = &exp["spike_detector"];
        net.cells.push(Cell {
            gid: CELL_GID,
            population: "cell".into(),
            sections: golden::sections(secs),
            point_processes: pps
                .iter()
                .map(|p| PointProcess {
                    mechanism: p["type"].as_str().expect("type").into(),
                    location: loc(p),
                    params: params(&p["params"]).into(),
                })
                .collect(),
            spike_site: if det.is_null() {
                Location { section: 0, x: 0.5 }
            } else {
                loc(det)
            },
        });
        if !det.is_null() {
            spikes.push(("spikes".to_string(), CELL_GID));
        }
    }
    let first_art = net.cells.len();
    for (k, a) in arts.iter().enumerate() {
        net.cells.push(Cell {
            gid: ART_GID + k as u64,
            population: "artificial".into(),
            sections: Vec::new(),
            point_processes: vec![PointProcess {
                mechanism: a["type"].as_str().expect("type").into(),
                location: Location::default(),
                params: params(&a["params"]).into(),
            }],
            spike_site: Location::default(),
        });
        spikes.push((
            format!("spikes_{}", a["id"].as_str().expect("id")),
            ART_GID + k as u64,
        ));
    }
    // (cell, point process index) of an id: a point process of the real
    // cell or an artificial cell.
    let target = |id: &str| -> (usize, usize) {
        if let Some(i) = pps.iter().position(|p| p["id"] == id) {
            (0, i)
        } else {
            let k = arts
                .iter()
                .position(|a| a["id"] == id)
                .unwrap_or_else(|| panic!("no object {id}"));
            (first_art + k, 0)
        }
    };
    for inp in exp["inputs"].as_array().expect("inputs") {
        // A spike train is NEURON's NetCon.event(s + delay) and, for times
        // VecStim reproduces exactly, its VecStim.
        net.trains.push(SpikeTrain {
            gid: 1000 + net.trains.len() as u64,
            population: "input".into(),
            times: inp["times"]
                .as_array()
                .expect("times")
                .iter()
                .map(num)
                .collect(),
        });
        let (cell, pp) = target(inp["target"].as_str().expect("target"));
        net.connections.push(Connection {
            source: Source::Train(net.trains.len() - 1),
            target_cell: cell,
            target: pp,
            weight: num(&inp["weight"]),
            delay: num(&inp["delay"]),
            threshold: f64::NAN,
        });
    }
    for c in exp["connections"].as_array().expect("connections") {
        let (src, _) = target(c["source"].as_str().expect("source"));
        let (cell, pp) = target(c["target"].as_str().expect("target"));
        net.connections.push(Connection {
            source: Source::Cell(src),
            target_cell: cell,
            target: pp,
            weight: num(&c["weight"]),
            delay: num(&c["delay"]),
            threshold: f64::NAN,
        });
    }
    let mut names = Vec::new();
    for (key, r) in exp["records"].as_object().expect("records") {
        if key == "t" || key.starts_with("spikes") {
            continue;
        }
        let variable = r["variable"].as_str().expect("variable").to_string();
        let id = r["point_process"]
            .as_str()
            .or_else(|| r["artificial_cell"].as_str());
        let (cell, location, variable) = if let Some(id) = id {
            let (cell, index) = target(id);
            let location = net.cells[cell]
                .point_processes
                .get(index)
                .map(|p| p.location)
                .unwrap_or_default();
            (
                cell,
                location,
                Variable::PointProcess {
                    index,
                    name: variable,
                },
            )
        } else if let Some(m) = r["mechanism"].as_str() {
            (
                0,
                loc(r),
                Variable::Density {
                    mechanism: m.to_string(),
                    name: variable,
                },
            )
        } else {
            assert_eq!(variable, "v");
            (0, loc(r), Variable::Voltage)
        };
        net.records.push(Record {
            report: key.clone(),
            cell,
            location,
            variable,
        });
        names.push(key.clone());
    }
    (net, names, spikes)
}

/// Runs experiment `name` and asserts bit identity with NEURON.
fn check(name: &str) {
    let exp = experiment(name);
    let (net, names, spike_sets) = build(exp);
    let mut sim = Simulation::new(&net, builtins_library()).expect("network builds");
    sim.set_exact(true);
    let res = sim.run(&mut |_| {});
    assert!(res.error.is_none(), "{:?}", res.error);
    let file = golden().join(exp["file"].as_str().expect("file"));
    let t = read(&file, "t");
    assert_eq!(res.times, t, "{name}: t");
    let mut report = format!("{name}:");
    for (trace, key) in res.traces.iter().zip(&names) {
        let want = read(&file, key);
        assert_eq!(trace.len(), want.len(), "{name}: {key} length");
        let (mut worst, mut at) = (0.0f64, 0);
        for (k, (a, b)) in trace.iter().zip(&want).enumerate() {
            let d = if a.to_bits() == b.to_bits() {
                0.0
            } else {
                (a - b).abs().max(f64::MIN_POSITIVE)
            };
            if d > worst || d.is_nan() {
                worst = if d.is_nan() { f64::INFINITY } else { d };
                at = k;
            }
        }
        report += &format!(" max|d{key}|={worst:.3e}");
        let first = trace
            .iter()
            .zip(&want)
            .position(|(a, b)| a.to_bits() != b.to_bits())
            .unwrap_or(0);
        assert_eq!(
            worst, 0.0,
            "{name}: {key} differs from NEURON's, by {worst} at t = {} (nmc {} NEURON {}), first at t = {} (nmc {} NEURON {})",
            res.times[at], trace[at], want[at], res.times[first], trace[first], want[first]
        );
    }
    for (key, gid) in &spike_sets {
        let want = read(&file, key);
        let ours: Vec<f64> = res
            .spikes
            .iter()
            .filter(|s| s.0 == *gid)
            .map(|s| s.1)
            .collect();
        report += &format!(" {key} {}/{}", ours.len(), want.len());
        assert_eq!(ours, want, "{name}: {key}");
        let n = exp["results"][format!("n_{key}")].as_u64();
        assert_eq!(n, Some(want.len() as u64), "{name}: manifest n_{key}");
    }
    eprintln!("{report}");
}

macro_rules! experiments {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            #[allow(non_snake_case)]
            fn $name() {
                check(stringify!($name));
            }
        )*

        #[test]
        fn every_manifest_experiment_has_a_test() {
            let ours = [$(stringify!($name)),*];
            for e in manifest()["experiments"].as_array().expect("experiments") {
                let n = e["name"].as_str().expect("name");
                assert!(ours.contains(&n), "experiment {n} has no test");
            }
        }
    };
}

experiments!(
    hh_iclamp_dt0p025,
    hh_iclamp_dt0p1,
    hh_iclamp_34C_dt0p025,
    pas_iclamp_dt0p025,
    hh_pas_cable_dt0p025,
    seclamp_hh_dt0p025,
    seclamp_hh_dt0p1,
    alphasynapse_hh_dt0p025,
    netstim_expsyn_dt0p025,
    netstim_expsyn_dt0p1,
    netstim_noise0p5_expsyn_dt0p025,
    netstim_noise1_expsyn_dt0p1,
    netstim_onoff_dt0p025,
    vecstim_exp2syn_dt0p025,
    vecstim_exp2syn_dt0p1,
    intfire1_dt0p1,
    intfire2_dt0p025,
    intfire2_bias_dt0p1,
    intfire4_dt0p025,
    intfire4_adjusted_dt0p1,
);

/// Every built-in is exercised by at least one experiment.
#[test]
fn every_builtin_is_exercised() {
    let mut used = std::collections::BTreeSet::new();
    for e in manifest()["experiments"].as_array().expect("experiments") {
        for s in e["cell"]["sections"].as_array().into_iter().flatten() {
            used.extend(
                s["mechanisms"]
                    .as_object()
                    .expect("mechanisms")
                    .keys()
                    .cloned(),
            );
        }
        for p in e["point_processes"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(e["artificial_cells"].as_array().into_iter().flatten())
        {
            used.insert(p["type"].as_str().expect("type").to_string());
        }
        for i in e["inputs"].as_array().into_iter().flatten() {
            if i["type"] == "vecstim" {
                used.insert("VecStim".to_string());
            }
        }
    }
    // IClampPlay is nmc's own (NEURON plays a waveform into an IClamp);
    // tests/sonata_stimuli.rs pins it against BMTK + NEURON.
    for b in BUILTINS.iter().filter(|b| b.name() != "IClampPlay") {
        assert!(used.contains(b.name()), "{} is not exercised", b.name());
    }
}
