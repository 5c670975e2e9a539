//! A SONATA network of Allen-style perisomatic cells
//! (`tests/sonata_allen/allen_net/`, built by
//! `reference/make_allen_network.py` from the project's synthetic SWC
//! files and fit file, and run there in BMTK 1.2.0 + NEURON 9.0.2):
//! `ctdb:Biophys1.hoc` + `aibs_perisomatic` cells, synapses placed by
//! `target_sections` and `distance_range` with BMTK's random draws, and
//! two `nrn:IntFire1` point cells as targets and sources. nmc
//! puts every synapse where BMTK put it, and an exact run gives BMTK's
//! spikes bit for bit and its soma reports within 1e-9 mV (measured:
//! 7.7e-12 mV, from the synapses; single cells are bit-identical, see
//! `tests/allen_neuron.rs`).

mod common;

use hdf5_metno as hdf5;
use nmc::diag::SourceMap;
use nmc::driver::sonata::{Options, load};
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sonata_allen/allen_net")
}

#[test]
fn synapses_sit_where_bmtk_put_them() {
    let opts = Options {
        math: nmc::back::math::MathMode::Exact,
        ..Options::default()
    };
    let mut map = SourceMap::new();
    let l = load(&mut map, &fixture().join("simulation_config.json"), &opts)
        .unwrap_or_else(|d| panic!("{d:?}"));
    let mut ours = Vec::new();
    // The IntFire1 point cells have no synapses (their NetCons target them).
    for (c, cell) in l.network.cells.iter().enumerate() {
        if cell.sections.is_empty() {
            assert_eq!(cell.point_processes.len(), 1);
            continue;
        }
        for pp in &cell.point_processes {
            let s = &cell.sections[pp.location.section];
            ours.push((l.cells[c].node_id, s.name.clone(), pp.location.x));
        }
    }
    let text = std::fs::read_to_string(fixture().join("expected/synapses.csv")).expect("csv");
    let want: Vec<(u64, String, f64)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (
                f[0].parse().expect("node"),
                f[2].to_string(),
                f[3].parse().expect("x"),
            )
        })
        .collect();
    assert!(want.len() > 50, "the fixture has synapses");
    assert_eq!(ours.len(), want.len());
    for (k, (a, b)) in ours.iter().zip(&want).enumerate() {
        assert_eq!(a, b, "synapse {k}");
    }
}

fn read_report(path: &Path) -> Vec<f64> {
    let f = hdf5::File::open(path).expect("report");
    f.dataset("report/cells/data")
        .expect("data")
        .read_raw()
        .expect("values")
}

#[test]
fn exact_run_equals_bmtk_and_neuron() {
    let dir = fixture();
    let out = std::env::temp_dir().join(format!("nmc_sonata_allen_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_nmc"))
        .arg("run")
        .arg(dir.join("simulation_config.json"))
        .args(["--exact", "--math", "exact", "--quiet", "-o"])
        .arg(&out)
        .output()
        .expect("nmc runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let want = common::spike_pairs(&dir.join("expected/spikes.h5"));
    assert!(want.len() >= 80, "the fixture spikes");
    assert!(
        want.iter().filter(|s| s.0 < 2).count() > 60,
        "the point cells spike"
    );
    assert_eq!(common::spike_pairs(&out.join("spikes.h5")), want);
    let a = read_report(&dir.join("expected/soma_v.h5"));
    let b = read_report(&out.join("soma_v.h5"));
    assert_eq!(a.len(), b.len(), "report size");
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    assert!(worst <= 1e-9, "soma_v: max |nmc - NEURON| = {worst} mV");
    let _ = std::fs::remove_dir_all(&out);
}
