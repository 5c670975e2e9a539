//! A SONATA network of artificial cells built by BMTK
//! (`tests/sonata_point/point_net/`, written and run in BMTK 1.2.0 +
//! NEURON 9.0.2 by `reference/make_point_network.py`): `model_type:
//! point_process` nodes with `model_template: nrn:NetStim` (noise 1, its
//! RANDOM stream with NEURON's default ids) and `nrn:IntFire1`. An exact
//! nmc run gives BMTK's spikes bit for bit, population by population.

mod common;

use std::path::Path;

#[test]
fn netstim_and_intfire1_nodes_give_bmtks_spikes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sonata_point/point_net");
    let ids = std::fs::read_to_string(dir.join("expected/netstim_ids.txt")).expect("ids");
    assert_eq!(
        ids.trim(),
        "[[1.0, 0.0, 1.0], [1.0, 0.0, 2.0], [1.0, 0.0, 3.0]]",
        "BMTK's NetStims have NEURON's default stream ids"
    );
    let want = common::spike_file(&dir.join("expected/spikes.h5"));
    for pop in ["stim", "lif"] {
        assert!(
            want.iter().filter(|s| s.0 == pop).count() > 50,
            "{pop} spikes in the fixture"
        );
    }
    let out = std::env::temp_dir().join(format!("nmc_sonata_point_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_nmc"))
        .arg("run")
        .arg(dir.join("simulation_config.json"))
        .args(["--synapses", "one-by-one", "--exp", "libm", "--quiet", "-o"])
        .arg(&out)
        .output()
        .expect("nmc runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let ours = common::spike_file(&out.join("spikes.h5"));
    assert_eq!(ours.len(), want.len(), "spike count");
    for (a, b) in ours.iter().zip(&want) {
        assert!(
            a.0 == b.0 && a.1 == b.1 && a.2.to_bits() == b.2.to_bits(),
            "nmc {a:?}, BMTK {b:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}
