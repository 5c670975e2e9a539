//! nmc's engine against NEURON 9.0.2: every experiment of
//! `tests/golden/neuron/manifest.json` is rebuilt as a `net::Network` from
//! the manifest alone, run, and compared with NEURON's recorded arrays:
//! same spike count, spike times within 1e-6 ms, max |dV| <= 1e-3 mV on one
//! compartment and <= 0.01 mV on the multi-compartment cell. With exact
//! math (the C library's `exp`) every trace and spike time must also be
//! bit-identical; with nmc's fast `exp` (module `fast`) the tolerances hold.

mod common;
use common::golden::{self, num, params, read};

use std::path::PathBuf;
use std::sync::OnceLock;

use nmc::back::math::MathMode;
use nmc::net::{
    Cell, Connection, Location, Network, PointProcess, Record, RunSettings, Source, SpikeTrain,
    Variable,
};
use nmc::sim::{Mechanisms, Simulation};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn manifest() -> &'static Value {
    static M: OnceLock<Value> = OnceLock::new();
    M.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("tests/golden/neuron/manifest.json"))
            .expect("manifest.json");
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

/// The network of one experiment and the dataset name of each record.
fn build(exp: &Value) -> (Network, Vec<String>) {
    let secs = exp["cell"]["sections"].as_array().expect("sections");
    let index_of = |name: &str| {
        secs.iter()
            .position(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no section {name}"))
    };
    let sections = golden::sections(secs);
    let loc = |v: &Value| Location {
        section: index_of(v["section"].as_str().expect("section")),
        x: num(&v["x"]),
    };
    let pps = exp["point_processes"].as_array().expect("point_processes");
    let pp_index = |id: &str| pps.iter().position(|p| p["id"] == id).expect("pp id");
    let det = &exp["spike_detector"];
    let cell = Cell {
        gid: 0,
        population: "cell".into(),
        sections,
        point_processes: pps
            .iter()
            .map(|p| PointProcess {
                mechanism: p["type"].as_str().expect("type").into(),
                location: loc(p),
                params: params(&p["params"]).into(),
            })
            .collect(),
        spike_site: loc(det),
    };
    let mut net = Network {
        cells: vec![cell],
        run: RunSettings {
            tstart: 0.0,
            tstop: num(&exp["tstop"]),
            dt: num(&exp["dt"]),
            celsius: num(&exp["celsius"]),
            v_init: num(&exp["v_init"]),
            spike_threshold: num(&det["threshold"]),
        },
        ..Network::default()
    };
    for inp in exp["inputs"].as_array().expect("inputs") {
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
        net.connections.push(Connection {
            source: Source::Train(net.trains.len() - 1),
            target_cell: 0,
            target: pp_index(inp["target"].as_str().expect("target")),
            weight: num(&inp["weight"]),
            delay: num(&inp["delay"]),
            threshold: f64::NAN,
        });
    }
    let mut names = Vec::new();
    for (key, r) in exp["records"].as_object().expect("records") {
        if key == "t" || key == "spikes" {
            continue;
        }
        let variable = r["variable"].as_str().expect("variable").to_string();
        let (location, variable) = if let Some(pp) = r["point_process"].as_str() {
            let index = pp_index(pp);
            (
                net.cells[0].point_processes[index].location,
                Variable::PointProcess {
                    index,
                    name: variable,
                },
            )
        } else {
            assert_eq!(variable, "v", "only v is recorded on sections");
            (loc(r), Variable::Voltage)
        };
        net.records.push(Record {
            report: key.clone(),
            cell: 0,
            location,
            variable,
        });
        names.push(key.clone());
    }
    (net, names)
}

fn library(mode: MathMode) -> &'static Mechanisms {
    // The library holds JIT code that is not Sync; leak one per thread.
    std::thread_local! {
        static EXACT: &'static Mechanisms = Box::leak(Box::new(
            common::models_library(MathMode::Exact),
        ));
        static FAST: &'static Mechanisms = Box::leak(Box::new(
            common::models_library(MathMode::Fast),
        ));
    }
    match mode {
        MathMode::Exact => EXACT.with(|l| *l),
        MathMode::Fast => FAST.with(|l| *l),
    }
}

/// Runs experiment `name` with kernels in `mode` and compares with NEURON:
/// issue 4's tolerances in both modes, and in `Exact` mode bit identity.
fn check(name: &str, mode: MathMode) {
    let exact = mode == MathMode::Exact;
    let exp = experiment(name);
    let (net, names) = build(exp);
    let mut sim = Simulation::new(&net, library(mode)).expect("network builds");
    let res = sim.run(&mut |_| {});
    assert!(res.error.is_none(), "{:?}", res.error);
    let file = root()
        .join("tests/golden/neuron")
        .join(exp["file"].as_str().expect("file"));
    let t = read(&file, "t");
    assert_eq!(res.times.len(), t.len(), "{name}: number of samples");
    let dt_max = res
        .times
        .iter()
        .zip(&t)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert_eq!(dt_max, 0.0, "{name}: t differs from NEURON's by {dt_max}");
    let mc = exp["group"] == "multicompartment";
    let vtol = if mc { 0.01 } else { 1e-3 };
    let mut report = format!("{name} ({mode:?}):");
    for (trace, key) in res.traces.iter().zip(&names) {
        let want = read(&file, key);
        let (mut worst, mut at) = (0.0f64, 0);
        for (k, (a, b)) in trace.iter().zip(&want).enumerate() {
            let d = (a - b).abs();
            if d > worst || d.is_nan() {
                worst = if d.is_nan() { f64::INFINITY } else { d };
                at = k;
            }
        }
        report += &format!(" max|d{key}|={worst:.3e}@{}", res.times[at]);
        if exact {
            assert_eq!(worst, 0.0, "{name}: {key} is not bit-identical to NEURON's");
        }
        if key.starts_with('v') {
            assert!(
                worst <= vtol,
                "{name}: max |d{key}| = {worst} mV at t = {} (nmc {} NEURON {})",
                res.times[at],
                trace[at],
                want[at]
            );
        } else {
            let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(1e-12);
            assert!(
                worst <= 1e-3 * scale,
                "{name}: max |d{key}| = {worst} (scale {scale}) at t = {}",
                res.times[at]
            );
        }
    }
    let spikes = read(&file, "spikes");
    let ours: Vec<f64> = res.spikes.iter().map(|s| s.1).collect();
    let sd = ours
        .iter()
        .zip(&spikes)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    report += &format!(" spikes {}/{} max|dt|={sd:.3e}", ours.len(), spikes.len());
    eprintln!("{report}");
    assert_eq!(
        ours.len(),
        spikes.len(),
        "{name}: spike count (nmc {ours:?})"
    );
    assert!(sd <= 1e-6, "{name}: spike times differ by {sd} ms");
    if exact {
        assert_eq!(
            sd, 0.0,
            "{name}: spike times are not bit-identical to NEURON's"
        );
    }
}

macro_rules! experiments {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            #[allow(non_snake_case)]
            fn $name() {
                check(stringify!($name), MathMode::Exact);
            }
        )*

        /// The same experiments with nmc's fast `exp`: issue 4's tolerances.
        mod fast {
            use super::*;
            $(
                #[test]
                #[allow(non_snake_case)]
                fn $name() {
                    check(stringify!($name), MathMode::Fast);
                }
            )*
        }

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
    iclamp_rtm_amp0_dt0p025,
    iclamp_rtm_amp0_dt0p1,
    iclamp_rtm_amp0p2_dt0p025,
    iclamp_rtm_amp0p2_dt0p1,
    iclamp_rtm_amp0p5_dt0p025,
    iclamp_rtm_amp0p5_dt0p1,
    iclamp_rtm_amp1_dt0p025,
    iclamp_rtm_amp1_dt0p1,
    iclamp_rtm_amp2_dt0p025,
    iclamp_rtm_amp2_dt0p1,
    iclamp_wb_amp0_dt0p025,
    iclamp_wb_amp0_dt0p1,
    iclamp_wb_amp0p2_dt0p025,
    iclamp_wb_amp0p2_dt0p1,
    iclamp_wb_amp0p5_dt0p025,
    iclamp_wb_amp0p5_dt0p1,
    iclamp_wb_amp1_dt0p025,
    iclamp_wb_amp1_dt0p1,
    iclamp_wb_amp2_dt0p025,
    iclamp_wb_amp2_dt0p1,
    mc_ball_tree_34C_dt0p1,
    mc_ball_tree_6p3C_dt0p025,
    mc_ball_tree_6p3C_dt0p1,
    syn_ampa_nmda_rtm_dt0p025,
    syn_ampa_nmda_rtm_dt0p1,
    syn_ampa_nmda_wb_dt0p025,
    syn_ampa_nmda_wb_dt0p1,
    syn_exp2syn_rtm_dt0p025,
    syn_exp2syn_rtm_dt0p1,
    syn_exp2syn_wb_dt0p025,
    syn_exp2syn_wb_dt0p1,
    syn_gaba_a_rtm_dt0p025,
    syn_gaba_a_rtm_dt0p1,
    syn_gaba_a_wb_dt0p025,
    syn_gaba_a_wb_dt0p1,
    syn_stp_dep_rtm_dt0p025,
    syn_stp_dep_rtm_dt0p1,
    syn_stp_dep_wb_dt0p025,
    syn_stp_dep_wb_dt0p1,
    syn_stp_fac_rtm_dt0p025,
    syn_stp_fac_rtm_dt0p1,
    syn_stp_fac_wb_dt0p025,
    syn_stp_fac_wb_dt0p1,
);
