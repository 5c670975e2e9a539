//! `nmc run` end to end: the NDL experiment `tests/cells/rtm_iclamp.ndl`
//! runs, writes a SONATA report (v in mV, time in ms) and spike file that
//! read back with hdf5, and matches NEURON's trace for the same experiment
//! (`tests/golden/neuron/iclamp_rtm_amp0p5_dt0p025.h5`).

use hdf5_metno as hdf5;
use std::path::Path;
use std::process::Command;

fn attr(ds: &hdf5::Dataset, name: &str) -> String {
    ds.attr(name)
        .and_then(|a| a.read_scalar::<hdf5::types::VarLenUnicode>())
        .map(|s| s.as_str().to_string())
        .unwrap_or_default()
}

#[test]
fn rtm_iclamp_runs_and_matches_neuron() {
    let out = std::env::temp_dir().join(format!("nmc_ndl_run_{}", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["run", "--quiet", "tests/cells/rtm_iclamp.ndl", "-o"])
        .arg(&out)
        .output()
        .expect("run nmc");
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(status.stdout.is_empty(), "--quiet prints nothing");

    let f = hdf5::File::open(out.join("soma_v.h5")).expect("report opens");
    let data = f.dataset("report/rtm_iclamp/data").expect("data");
    assert_eq!(attr(&data, "units"), "mV");
    let shape = data.shape();
    assert_eq!(shape, vec![20001, 1]);
    let v: Vec<f32> = data.read_raw().expect("read data");
    let time = f.dataset("report/rtm_iclamp/mapping/time").expect("time");
    assert_eq!(attr(&time, "units"), "ms");
    let t: Vec<f64> = time.read_raw().expect("read time");
    assert_eq!(t, vec![0.0, 500.0, 0.025]);
    let ids: Vec<u64> = f
        .dataset("report/rtm_iclamp/mapping/node_ids")
        .and_then(|d| d.read_raw())
        .expect("node_ids");
    assert_eq!(ids, vec![0]);

    let spikes = nmc::sonata::spikes::read(&out.join("spikes.h5")).expect("spikes open");
    let ours: Vec<f64> = spikes.iter().map(|s| s.2).collect();

    let golden = Path::new("tests/golden/neuron/iclamp_rtm_amp0p5_dt0p025.h5");
    let g = hdf5::File::open(golden).expect("golden trace");
    let gv: Vec<f64> = g.dataset("v").and_then(|d| d.read_raw()).expect("v");
    let gs: Vec<f64> = g
        .dataset("spikes")
        .and_then(|d| d.read_raw())
        .expect("spikes");
    assert_eq!(gv.len(), v.len());
    let max_dv = gv
        .iter()
        .zip(&v)
        .map(|(a, b)| (a - f64::from(*b)).abs())
        .fold(0.0, f64::max);
    assert!(max_dv <= 1e-3, "max |dV| = {max_dv} mV");
    assert_eq!(
        ours.len(),
        gs.len(),
        "spike count: ours {ours:?}, NEURON {gs:?}"
    );
    for (a, b) in ours.iter().zip(&gs) {
        assert!((a - b).abs() <= 1e-6, "spike {a} vs NEURON {b}");
    }
    let _ = std::fs::remove_dir_all(&out);
}
