//! A network of artificial cells written in NDL
//! (`tests/artificial/art_net.ndl`: NetStim populations with noise,
//! drawing from their RANDOM streams with NEURON's default ids, onto a
//! ring of IntFire1 cells) gives NEURON 9.0.2's spikes exactly:
//! `tests/golden/artificial/art_net_spikes.json`, written by
//! `reference/make_artificial_net.py`, which builds the same network in
//! NEURON. `tests/artificial/verbatim/art_net.ndl` is the same network
//! with its NetStims replaced by `HocStim`, a .mod file with NetStim's
//! code plus two PROCEDUREs of VERBATIM C only hoc would call (the idioms
//! of NEURON 9's netstim.mod): nmc leaves them out (W0403) and must give
//! the same spikes. `nmc build` writes the network as SONATA
//! `point_process` nodes, and `nmc run` of the folder gives the same
//! spikes again; `tests/artificial/mixed.ndl` (NetStims driving hh somas
//! and IntFire1 cells) built and run in BMTK 1.2.0 + NEURON 9.0.2 by
//! `reference/check_build_in_bmtk.py` (`tests/golden/build_bmtk_artificial/`)
//! gives the spikes of nmc's runs of the NDL file and of the built folder.

use hdf5_metno as hdf5;
use std::path::Path;

mod common;

fn read_spikes(file: &Path) -> Vec<(u64, f64)> {
    let f = hdf5::File::open(file).expect("spikes.h5 opens");
    let g = f.group("spikes/art_net").expect("population art_net");
    let ids: Vec<i64> = g
        .dataset("node_ids")
        .and_then(|d| d.read_raw())
        .expect("node_ids");
    let ts: Vec<f64> = g
        .dataset("timestamps")
        .and_then(|d| d.read_raw())
        .expect("timestamps");
    let mut v: Vec<(u64, f64)> = ids.into_iter().map(|i| i as u64).zip(ts).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    v
}

#[test]
fn netstim_and_intfire1_populations_give_neurons_spikes() {
    compare_with_neuron("tests/artificial/art_net.ndl", "plain");
}

#[test]
fn built_sonata_folder_with_point_process_nodes_gives_neurons_spikes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("nmc_artificial_build_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let build = std::process::Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["build", "--color", "never"])
        .arg(root.join("tests/artificial/art_net.ndl"))
        .arg("-o")
        .arg(&dir)
        .output()
        .expect("nmc runs");
    let err = String::from_utf8_lossy(&build.stderr);
    assert!(build.status.success(), "{err}");
    assert!(!err.contains("warning"), "{err}");
    // BMTK's point cells: model_type point_process, model_template
    // nrn:<cell>, parameters from point_neuron_models_dir (IntFire1's in
    // seconds).
    let types = std::fs::read_to_string(dir.join("network/art_net_node_types.csv")).expect("csv");
    assert_eq!(
        types,
        "node_type_id pop_name model_template model_type dynamics_params\n\
         100 drive nrn:NetStim point_process NetStim_drive.json\n\
         101 lif nrn:IntFire1 point_process IntFire1_lif.json\n\
         102 inh nrn:NetStim point_process NetStim_inh.json\n"
    );
    let json = |f: &str| -> serde_json::Value {
        let p = dir.join("components/point_neuron_models").join(f);
        serde_json::from_str(&std::fs::read_to_string(p).expect("params")).expect("JSON")
    };
    assert_eq!(
        json("IntFire1_lif.json"),
        serde_json::json!({"tau": 0.008, "refrac": 0.003})
    );
    assert_eq!(
        json("NetStim_drive.json"),
        serde_json::json!({"interval": 5.0, "number": 1000.0, "start": 2.0, "noise": 1.0})
    );
    let circuit: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("circuit_config.json")).expect("config"),
    )
    .expect("JSON");
    assert_eq!(
        circuit["components"]["point_neuron_models_dir"],
        "$COMPONENTS_DIR/point_neuron_models"
    );
    compare_with_neuron(
        dir.join("simulation_config.json").to_str().expect("path"),
        "built",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn netstim_with_uncalled_verbatim_procedures_gives_neurons_spikes() {
    compare_with_neuron("tests/artificial/verbatim/art_net.ndl", "verbatim");
}

#[test]
fn uncalled_verbatim_procedures_are_left_out_with_a_warning() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["compile", "--color", "never"])
        .arg(root.join("tests/artificial/verbatim/HocStim.mod"))
        .output()
        .expect("nmc runs");
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    for name in ["streamFromHocRandom", "streamIds"] {
        assert!(
            err.contains(&format!("warning[W0403]: PROCEDURE `{name}`")),
            "{err}"
        );
    }
    assert!(err.contains("from hoc or NDL is not supported"), "{err}");
    assert!(!err.contains("E0401"), "{err}");
}

fn compare_with_neuron(ndl: &str, tag: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let golden = root.join("tests/golden/artificial/art_net_spikes.json");
    let text = std::fs::read_to_string(&golden).expect("golden spikes");
    let g: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    // NEURON's default stream ids, in creation order.
    let ids = g["netstim_ids"].as_array().expect("netstim_ids");
    for (k, id) in ids.iter().enumerate() {
        assert_eq!(id, &serde_json::json!([1.0, 0.0, (k + 1) as f64]));
    }
    let want: Vec<(u64, f64)> = g["gids"]
        .as_array()
        .expect("gids")
        .iter()
        .zip(g["times"].as_array().expect("times"))
        .map(|(a, b)| (a.as_u64().expect("gid"), b.as_f64().expect("time")))
        .collect();
    assert!(want.len() > 300, "the fixture spikes");
    for (lo, hi, what) in [(0, 4, "drive"), (4, 10, "lif"), (10, 12, "inh")] {
        assert!(
            want.iter().filter(|s| (lo..hi).contains(&s.0)).count() > 20,
            "{what} spikes in the fixture"
        );
    }
    let out = std::env::temp_dir().join(format!("nmc_artificial_net_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_nmc"))
        .arg("run")
        .arg(root.join(ndl))
        .args(["--synapses", "one-by-one", "--exp", "libm", "--quiet", "-o"])
        .arg(&out)
        .output()
        .expect("nmc runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let ours = read_spikes(&out.join("spikes.h5"));
    assert_eq!(ours.len(), want.len(), "spike count");
    for (a, b) in ours.iter().zip(&want) {
        assert!(
            a.0 == b.0 && a.1.to_bits() == b.1.to_bits(),
            "nmc {a:?}, NEURON {b:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn misplaced_mechanisms_are_named_by_kind() {
    let dir = std::env::temp_dir().join(format!("nmc_artificial_kinds_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("kinds.ndl");
    std::fs::write(
        &file,
        "network kinds\n\
         cell C {\n  section soma { L = 20 um; diam = 20 um; nseg = 1 }\n  insert IntFire1 { }\n}\n\
         population p = 2 of ExpSyn\n\
         population q = 1 of C\n\
         synapse s = NetStim { }\n\
         run { tstop = 1 ms }\n",
    )
    .expect("write");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["check", "--color", "never"])
        .arg(&file)
        .output()
        .expect("nmc runs");
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "{err}");
    for want in [
        "`ExpSyn` is a point process, not a cell type or an artificial cell",
        "`IntFire1` is an artificial cell, but a density mechanism (SUFFIX) is needed here",
        "`NetStim` is an artificial cell, but a point process is needed here",
        "help: an artificial cell is a cell of its own: a population of it",
    ] {
        assert!(err.contains(want), "missing `{want}` in:\n{err}");
    }
    assert!(!err.contains("unknown cell type"), "{err}");
    assert!(
        !err.contains("density mechanisms are put in sections"),
        "{err}"
    );
    assert!(!err.contains("point processes are used by"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn built_mixed_network_gives_bmtks_spikes_of_the_same_folder() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let golden = root.join("tests/golden/build_bmtk_artificial");
    let dir = std::env::temp_dir().join(format!("nmc_artificial_mixed_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let nmc = |args: &[&std::ffi::OsStr]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_nmc"))
            .args(args)
            .output()
            .expect("nmc runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    for name in ["mixed", "art_net"] {
        let ndl = root.join(format!("tests/artificial/{name}.ndl"));
        let built = dir.join(name);
        nmc(&[
            "build".as_ref(),
            ndl.as_os_str(),
            "-o".as_ref(),
            built.as_os_str(),
        ]);
        let config = built.join("simulation_config.json");
        let from_folder = built.join("output_nmc");
        nmc(&[
            "run".as_ref(),
            config.as_os_str(),
            "--quiet".as_ref(),
            "-o".as_ref(),
            from_folder.as_os_str(),
        ]);
        let from_ndl = dir.join(format!("{name}_ndl"));
        nmc(&[
            "run".as_ref(),
            ndl.as_os_str(),
            "--quiet".as_ref(),
            "-o".as_ref(),
            from_ndl.as_os_str(),
        ]);
        let want = common::spike_file(&golden.join(format!("{name}_spikes_bmtk.h5")));
        assert!(want.len() > 100, "{name}: the fixture spikes");
        for got in [from_folder, from_ndl] {
            let ours = common::spike_file(&got.join("spikes.h5"));
            assert_eq!(ours.len(), want.len(), "{name}: spike count");
            for (a, b) in ours.iter().zip(&want) {
                assert!(
                    a.0 == b.0 && a.1 == b.1 && a.2.to_bits() == b.2.to_bits(),
                    "{name}: nmc {a:?}, BMTK {b:?}"
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
