//! BMTK fixtures (`tests/sonata_bmtk/<name>/`, built by
//! `reference/make_bmtk_fixtures.py` and run there in BMTK 1.2.0 + NEURON
//! 9.0.2): nmc's SONATA loader puts every synapse where BMTK put it, and
//! an exact run gives BMTK's spikes exactly and its soma reports within
//! 1e-6 mV.

mod common;

use hdf5_metno as hdf5;
use nmc::diag::SourceMap;
use nmc::driver::sonata::{Loaded, Options, load};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sonata_bmtk")
        .join(name)
}

fn load_fixture(name: &str) -> Loaded {
    let opts = Options {
        mechanisms: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("models")),
        math: nmc::back::math::MathMode::Exact,
        ..Options::default()
    };
    let mut map = SourceMap::new();
    load(
        &mut map,
        &fixture(name).join("simulation_config.json"),
        &opts,
    )
    .unwrap_or_else(|d| panic!("{name}: {d:?}"))
}

/// `expected/synapses.csv`: (node id, section index, x) per synapse, cells
/// in node order, each cell's synapses in creation order.
fn bmtk_sites(name: &str) -> Vec<(u64, usize, f64)> {
    let text = std::fs::read_to_string(fixture(name).join("expected/synapses.csv")).expect("csv");
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (
                f[0].parse().expect("node"),
                f[1].parse().expect("section"),
                f[2].parse().expect("x"),
            )
        })
        .collect()
}

#[test]
fn synapses_sit_where_bmtk_put_them() {
    let l = load_fixture("ballstick_net");
    let mut ours = Vec::new();
    for (c, cell) in l.network.cells.iter().enumerate() {
        for pp in cell
            .point_processes
            .iter()
            .filter(|p| &*p.mechanism != "IClamp")
        {
            ours.push((l.cells[c].node_id, pp.location.section, pp.location.x));
        }
    }
    let want = bmtk_sites("ballstick_net");
    assert_eq!(ours.len(), want.len());
    for (k, (a, b)) in ours.iter().zip(&want).enumerate() {
        assert_eq!(a, b, "synapse {k}");
    }
}

/// A report's `/report/<pop>/data` (rows x columns) and its node ids.
fn read_report(path: &Path, pop: &str) -> (Vec<f64>, usize, Vec<u64>) {
    let f = hdf5::File::open(path).expect("report");
    let d = f.dataset(&format!("report/{pop}/data")).expect("data");
    let shape = d.shape();
    let v: Vec<f64> = d.read_raw().expect("values");
    let ids: Vec<u64> = f
        .dataset(&format!("report/{pop}/mapping/node_ids"))
        .expect("node_ids")
        .read_raw()
        .expect("node_ids");
    (v, shape[1], ids)
}

#[test]
fn exact_run_equals_bmtk_and_neuron() {
    let dir = fixture("ballstick_net");
    let out = std::env::temp_dir().join(format!("nmc_sonata_bmtk_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_nmc"))
        .arg("run")
        .arg(dir.join("simulation_config.json"))
        .arg("--mechanisms")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("models"))
        .args(["--synapses", "one-by-one", "--exp", "libm", "--quiet", "-o"])
        .arg(&out)
        .output()
        .expect("nmc runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let want = common::spike_pairs(&dir.join("expected/spikes.h5"));
    assert!(want.len() > 10, "the fixture spikes");
    assert_eq!(common::spike_pairs(&out.join("spikes.h5")), want);
    for name in ["soma_v.h5", "v_soma_rec.h5"] {
        let (a, na, ida) = read_report(&dir.join("expected").join(name), "cells");
        let (b, nb, idb) = read_report(&out.join(name), "cells");
        assert_eq!((na, &ida), (nb, &idb), "{name}: columns");
        assert_eq!(a.len(), b.len(), "{name}: rows");
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(worst <= 1e-6, "{name}: max |nmc - NEURON| = {worst} mV");
        // BMTK's reader needs these.
        let f = hdf5::File::open(out.join(name)).expect("report");
        let magic: u32 = f
            .attr("magic")
            .expect("magic")
            .read_scalar()
            .expect("magic");
        assert_eq!(magic, 0x0A7A);
        let var: hdf5::types::VarLenUnicode = f
            .dataset("report/cells/data")
            .expect("data")
            .attr("variable")
            .expect("variable")
            .read_scalar()
            .expect("variable");
        assert_eq!(var.as_str(), "v");
    }
    let _ = std::fs::remove_dir_all(&out);
}
