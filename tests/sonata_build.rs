//! `nmc build NET.ndl` end to end: the SONATA folder it writes, run by
//! nmc's SONATA reader, is the same network as the `.ndl` run directly:
//! the same spikes (exactly) and the same recorded soma voltage. Checked
//! for the NDL files with connections (`tests/cells/syn_exp2syn_rtm.ndl`)
//! and for the seed network `examples/bmtk_test_net/network.ndl`.

mod common;
use common::repo;

use nmc::diag::{self, SourceMap};
use nmc::driver::sonata::{Options, load};
use nmc::net::Network;
use nmc::sim::{Results, Simulation};
use std::path::PathBuf;
use std::process::Command;

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nmc_sonata_build_{}_{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Spikes as (cell index, time), sorted.
fn spikes(net: &Network, res: &Results) -> Vec<(usize, f64)> {
    let mut v: Vec<(usize, f64)> = res
        .spikes
        .iter()
        .map(|&(gid, t)| {
            let cell = net
                .cells
                .iter()
                .position(|c| c.gid == gid)
                .expect("a spike of a known cell");
            (cell, t)
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    v
}

/// The trace of the first record of `report` on `cell`.
fn trace<'a>(net: &Network, res: &'a Results, report: &str, cell: usize) -> Option<&'a Vec<f64>> {
    let r = net
        .records
        .iter()
        .position(|r| r.report == report && r.cell == cell)?;
    res.traces.get(r)
}

/// Builds `ndl` with the nmc binary, runs the NDL and the written SONATA,
/// and checks that both give the same spikes and soma traces; returns the
/// number of spikes.
fn same_as_direct(ndl_file: &str, tag: &str, report: Option<&str>) -> usize {
    let dir = scratch(tag);
    let out = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["build", "--quiet", "-o"])
        .arg(&dir)
        .arg(repo(ndl_file))
        .output()
        .expect("nmc build runs");
    assert!(
        out.status.success(),
        "nmc build {ndl_file}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut map = SourceMap::new();
    let (checked, library) = nmc::driver::ndl::check_file(&mut map, &repo(ndl_file));
    let text = diag::render_human(&map, &checked.diagnostics, false);
    let exp = checked
        .experiment
        .unwrap_or_else(|| panic!("{ndl_file}:\n{text}"));
    let lib = library
        .for_network(&exp.network, Default::default())
        .expect("mechanisms");
    let direct = Simulation::new(&exp.network, &lib)
        .expect("simulation")
        .run(&mut |_| {});
    assert!(direct.error.is_none(), "{:?}", direct.error);

    let loaded = load(
        &mut map,
        &dir.join("simulation_config.json"),
        &Options::default(),
    )
    .unwrap_or_else(|d| panic!("{}", diag::render_human(&map, &d, false)));
    assert_eq!(loaded.network.cells.len(), exp.network.cells.len());
    assert_eq!(
        loaded.network.connections.len(),
        exp.network.connections.len()
    );
    assert_eq!(loaded.network.run, exp.network.run);
    let via = Simulation::new(&loaded.network, &loaded.mechanisms)
        .expect("simulation")
        .run(&mut |_| {});
    assert!(via.error.is_none(), "{:?}", via.error);

    let a = spikes(&exp.network, &direct);
    let b = spikes(&loaded.network, &via);
    assert_eq!(a.len(), b.len(), "{ndl_file}: spike counts differ");
    assert_eq!(a, b, "{ndl_file}: spikes differ");
    if let Some(r) = report {
        let x = trace(&exp.network, &direct, r, 0).expect("direct trace");
        let y = trace(&loaded.network, &via, r, 0).expect("SONATA trace");
        assert_eq!(x, y, "{ndl_file}: report `{r}` differs");
    }
    let _ = std::fs::remove_dir_all(&dir);
    a.len()
}

#[test]
fn synapse_cell_runs_the_same_from_sonata() {
    let n = same_as_direct("tests/cells/syn_exp2syn_rtm.ndl", "syn", Some("soma_v"));
    assert!(n > 0, "the cell should spike");
}

#[test]
fn seed_network_runs_the_same_from_sonata() {
    let n = same_as_direct("examples/bmtk_test_net/network.ndl", "seed", None);
    // 300 cells at 10-22 Hz for 1 s.
    assert!(n > 3000, "{n} spikes");
}

#[test]
fn build_reports_an_unwritable_folder() {
    let blocker = scratch("blocker");
    std::fs::write(&blocker, "not a folder").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["build", "--color", "never", "-o"])
        .arg(blocker.join("out"))
        .arg(repo("tests/cells/syn_exp2syn_rtm.ndl"))
        .output()
        .expect("nmc build runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("E1505") && err.contains("blocker"), "{err}");
    // The synapse report cannot be a SONATA membrane report: a warning.
    assert!(err.contains("W1505") && err.contains("syn_g"), "{err}");
    let _ = std::fs::remove_file(&blocker);
}
