//! A bionet network using what BMTK's example networks use beyond
//! `tests/sonata_allen` (`tests/sonata_bionet/net/`, built by
//! `reference/make_bionet_features.py` and run there in BMTK 1.2.0 +
//! NEURON 9.0.2): calcium written by a mechanism, so the calcium reversal
//! potential follows it (Nernst at every step); reports of `cai`, of
//! `i_membrane` on a cell with `extracellular`, of `v` on all sections, a
//! `netcon_report`; BMTK's `expsyn` model; `wmax` and `gaussianLL`
//! weights; node sets of node ids; and a node set on a node-types text
//! column, for which BMTK 1.2.0 writes no report. Every report nmc writes
//! is BMTK's within 1e-6 (measured: 2e-9 mV, 1e-10 mA/cm2, 1e-12 mM).

use hdf5_metno as hdf5;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sonata_bionet/net")
}

/// `/report/<pop>/data` and its element ids and positions.
fn read_report(path: &Path) -> (Vec<f64>, Vec<u64>, Vec<f64>) {
    let f = hdf5::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let data = f
        .dataset("report/cells/data")
        .expect("data")
        .read_raw()
        .expect("values");
    let ids = f
        .dataset("report/cells/mapping/element_ids")
        .expect("ids")
        .read_raw()
        .expect("ids");
    let pos = f
        .dataset("report/cells/mapping/element_pos")
        .expect("pos")
        .read_raw()
        .expect("pos");
    (data, ids, pos)
}

fn spike_count(path: &Path) -> usize {
    let f = hdf5::File::open(path).expect("spike file");
    let Ok(g) = f.group("spikes") else { return 0 };
    g.member_names()
        .expect("names")
        .iter()
        .map(|p| {
            let ts: Vec<f64> = f
                .dataset(&format!("spikes/{p}/timestamps"))
                .expect("t")
                .read_raw()
                .expect("t");
            ts.len()
        })
        .sum()
}

#[test]
fn reports_equal_bmtk_and_neuron() {
    let dir = fixture();
    let out = std::env::temp_dir().join(format!("nmc_sonata_bionet_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_nmc"))
        .arg("run")
        .arg(dir.join("simulation_config.json"))
        .args(["--quiet", "-o"])
        .arg(&out)
        .output()
        .expect("nmc runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        spike_count(&out.join("spikes.h5")),
        spike_count(&dir.join("expected/spikes.h5"))
    );
    for (name, tol) in [
        ("soma_v.h5", 1e-6),
        ("soma_cai.h5", 1e-9),
        ("imem.h5", 1e-6),
        ("all_v.h5", 1e-6),
        ("syn_tau2.h5", 0.0),
    ] {
        let (a, ia, pa) = read_report(&dir.join("expected").join(name));
        let (b, ib, pb) = read_report(&out.join(name));
        assert_eq!(ia, ib, "{name}: element ids");
        assert_eq!(pa.len(), pb.len(), "{name}: elements");
        for (x, y) in pa.iter().zip(&pb) {
            assert!((x - y).abs() < 1e-12, "{name}: element positions {x} {y}");
        }
        assert_eq!(a.len(), b.len(), "{name}: size");
        assert!(!a.is_empty(), "{name}: has data");
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(worst <= tol, "{name}: max |nmc - NEURON| = {worst}");
    }
    // The calcium reversal potential moved: cai rose well above its start.
    let (cai, _, _) = read_report(&out.join("soma_cai.h5"));
    assert!(cai.iter().fold(0.0, |m: f64, x| m.max(*x)) > 5e-4);
    // BMTK writes no report for `{"model_type": "biophysical"}`.
    assert!(!dir.join("expected/by_type.h5").exists());
    assert!(!out.join("by_type.h5").exists());
    let _ = std::fs::remove_dir_all(&out);
}
