//! BMTK bionet inputs beyond spike files and plain pulses
//! (`tests/sonata_stimuli/net/`, built by
//! `reference/make_bionet_stimuli.py` and run there in BMTK 1.2.0 +
//! NEURON 9.0.2): `csv` current clamps (regridded onsets, a waveform not
//! ending at 0, another separator, a dendritic clamp), `nwb`/`allen`
//! current clamps from our own NWB-layout file (float32 and float64
//! sweeps, `downsample`, `sweep_window`, `delay`) and `syn_activity`
//! (pre- and postcell filters on recurrent connections); and
//! `aibs_allactive` cells (our own all-active fit). nmc's spikes equal
//! BMTK's (times identical) and its traces are within 1e-9 mV (measured:
//! 3.7e-13, 1.9e-11, 2.2e-11, 1.4e-10 mV; the NWB run one by one is
//! NEURON's bit for bit, the others until the first synaptic event).
//! Malformed inputs are reported with E1507.

mod common;

use hdf5_metno as hdf5;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sonata_stimuli/net")
}

/// A report's data and element ids.
fn report(path: &Path, pop: &str) -> (Vec<f64>, Vec<u64>) {
    let f = hdf5::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let data = f
        .dataset(&format!("report/{pop}/data"))
        .expect("data")
        .read_raw()
        .expect("values");
    let ids = f
        .dataset(&format!("report/{pop}/mapping/element_ids"))
        .expect("ids")
        .read_raw()
        .expect("ids");
    (data, ids)
}

/// Runs `simulation_<name>.json` with `extra` arguments; compares with
/// BMTK's outputs; returns the largest |nmc - NEURON| of the soma trace.
fn run_and_compare(name: &str, extra: &[&str]) -> f64 {
    run_reports(name, extra, "cells", &["soma_v.h5"])
}

/// As [`run_and_compare`] for the reports `files` of population `pop`.
fn run_reports(name: &str, extra: &[&str], pop: &str, files: &[&str]) -> f64 {
    let dir = fixture();
    let out = std::env::temp_dir().join(format!(
        "nmc_sonata_stimuli_{name}_{}_{}",
        extra.len(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .arg("run")
        .arg(dir.join(format!("simulation_{name}.json")))
        .args(["--quiet", "-o"])
        .arg(&out)
        .args(extra)
        .output()
        .expect("nmc runs");
    assert!(
        run.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let exp = dir.join("expected").join(name);
    let ours = common::spike_file(&out.join("spikes.h5"));
    let theirs = common::spike_file(&exp.join("spikes.h5"));
    assert!(theirs.len() >= 5, "{name}: the reference has spikes");
    assert_eq!(ours, theirs, "{name}: spikes");
    let mut worst = 0.0f64;
    for file in files {
        let ((a, ia), (b, ib)) = (report(&out.join(file), pop), report(&exp.join(file), pop));
        assert_eq!(ia, ib, "{name} {file}: element ids");
        assert_eq!(a.len(), b.len(), "{name} {file}: report size");
        assert!(!a.is_empty(), "{name} {file}: has data");
        worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(worst, f64::max);
    }
    let _ = std::fs::remove_dir_all(&out);
    worst
}

#[test]
fn allactive_cells_equal_bmtk() {
    // Every section's v: the axon stub's diameters, the passive values
    // per section type and the genome as BMTK sets them.
    let worst = run_reports("allactive", &[], "aa", &["soma_v.h5", "all_v.h5"]);
    assert!(worst <= 1e-9, "max |nmc - NEURON| = {worst} mV");
}

#[test]
fn csv_current_clamps_equal_bmtk() {
    let worst = run_and_compare("csv", &[]);
    assert!(worst <= 1e-9, "max |nmc - NEURON| = {worst} mV");
}

#[test]
fn nwb_current_clamps_equal_bmtk() {
    let worst = run_and_compare("nwb", &[]);
    assert!(worst <= 1e-9, "max |nmc - NEURON| = {worst} mV");
    // One synapse at a time: NEURON's trace bit for bit.
    let exact = run_and_compare("nwb", &["--synapses", "one-by-one"]);
    assert_eq!(exact, 0.0, "one by one");
}

#[test]
fn spontaneous_synaptic_activity_equals_bmtk() {
    let worst = run_and_compare("spont", &[]);
    assert!(worst <= 1e-9, "max |nmc - NEURON| = {worst} mV");
}

/// Runs a copy of `simulation_csv.json` whose inputs are `inputs`; the
/// error output.
fn fails_with(tag: &str, inputs: serde_json::Value) -> String {
    let dir = fixture();
    let tmp = std::env::temp_dir().join(format!("nmc_stimuli_bad_{tag}_{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp");
    let text = std::fs::read_to_string(dir.join("simulation_csv.json")).expect("config");
    let mut cfg: serde_json::Value = serde_json::from_str(&text).expect("json");
    cfg["inputs"] = inputs;
    cfg["network"] = dir.join("circuit_config.json").display().to_string().into();
    let path = tmp.join("simulation.json");
    std::fs::write(&path, cfg.to_string()).expect("write");
    let run = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .arg("run")
        .arg(&path)
        .args(["--quiet", "-o"])
        .arg(tmp.join("out"))
        .output()
        .expect("nmc runs");
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(!run.status.success(), "{tag}: should fail");
    String::from_utf8_lossy(&run.stderr).into_owned()
}

#[test]
fn malformed_stimuli_are_reported() {
    let input = |f: &str| fixture().join("input").join(f).display().to_string();
    let tmp = std::env::temp_dir().join(format!("nmc_stimuli_csv_{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp");
    let one_row = tmp.join("one_row.csv");
    std::fs::write(&one_row, "timestamps amps\n0 1\n").expect("write");
    let cases = [
        (
            "column",
            serde_json::json!({"c": {"input_type": "csv", "module": "IClamp", "node_set": "bio",
                "file": input("ramp.csv")}}),
            "no column `timestamps`",
        ),
        (
            "rows",
            serde_json::json!({"c": {"input_type": "csv", "module": "IClamp", "node_set": "bio",
                "file": one_row.display().to_string()}}),
            "two or more",
        ),
        (
            "sweep",
            serde_json::json!({"c": {"input_type": "nwb", "module": "IClamp", "node_set": "bio",
                "file": input("stim.nwb"), "sweep_id": 9}}),
            "no sweep `/epochs/Sweep_9`",
        ),
        (
            "window",
            serde_json::json!({"c": {"input_type": "nwb", "module": "IClamp", "node_set": "bio",
                "file": input("stim.nwb"), "sweep_id": 7, "sweep_window": [400.0, 500.0]}}),
            "holds no sample",
        ),
        (
            "filter",
            serde_json::json!({"s": {"input_type": "syn_activity", "module": "syn_activity",
                "precell_filter": "pa", "timestamps": [1.0]}}),
            "precell_filter must be an object",
        ),
        (
            "times",
            serde_json::json!({"s": {"input_type": "syn_activity", "module": "syn_activity",
                "precell_filter": {"layer": 4}, "timestamps": [5.0, 1.0]}}),
            "must not decrease",
        ),
        (
            "point",
            serde_json::json!({"s": {"input_type": "syn_activity", "module": "syn_activity",
                "precell_filter": {"layer": 5}, "timestamps": [5.0]}}),
            "connects to point cell",
        ),
        (
            "key",
            serde_json::json!({"s": {"input_type": "syn_activity", "module": "syn_activity",
                "precell_filter": {"colour": "red"}, "timestamps": [5.0]}}),
            "key `colour` is not an attribute",
        ),
        (
            "type",
            serde_json::json!({"c": {"input_type": "wave", "module": "IClamp", "node_set": "bio"}}),
            "input_type `wave` of module IClamp",
        ),
    ];
    for (tag, inputs, needle) in cases {
        let err = fails_with(tag, inputs);
        assert!(err.contains(needle), "{tag}: {err}");
        let code = if tag == "type" { "E1502" } else { "E1507" };
        assert!(err.contains(code), "{tag}: {err}");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
