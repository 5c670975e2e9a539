//! PatternStim: NEURON's pattern.mod replays (time, gid) pairs from hoc
//! Vectors with C nmc does not compile (E0401, whose help points to NDL
//! inputs). `tests/patternstim/replay.ndl` holds the pattern NEURON's
//! PatternStim replays in `reference/make_patternstim.py` as NDL inputs:
//! nmc must give NEURON's spikes of the three IntFire1 cells bit for bit
//! (`tests/golden/patternstim/spikes.json`). `FakeFire.mod`, our own file
//! in PatternStim's style, shows the diagnostic.

mod common;

use std::path::Path;
use std::process::Command;

#[test]
fn ndl_inputs_give_the_spikes_of_neurons_patternstim() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("tests/golden/patternstim/spikes.json"))
        .expect("golden spikes");
    let g: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let nums = |k: &str| -> Vec<f64> {
        g[k].as_array()
            .expect("list")
            .iter()
            .map(|x| x.as_f64().expect("number"))
            .collect()
    };
    let want: Vec<(u64, f64)> = nums("gids")
        .into_iter()
        .map(|x| x as u64)
        .zip(nums("times"))
        .collect();
    assert!(want.len() > 20, "the fixture spikes");
    assert_eq!(nums("pattern_times").len(), 60, "the replayed pattern");
    let out = std::env::temp_dir().join(format!("nmc_patternstim_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["run", "--quiet"])
        .arg(root.join("tests/patternstim/replay.ndl"))
        .arg("-o")
        .arg(&out)
        .output()
        .expect("nmc runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // Sorted by population, node id and time; replay is the only population.
    let ours: Vec<(u64, f64)> = common::spike_file(&out.join("spikes.h5"))
        .into_iter()
        .map(|(pop, id, t)| {
            assert_eq!(pop, "replay");
            (id, t)
        })
        .collect();
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
fn patternstim_style_c_is_refused_with_a_pointer_to_inputs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["compile", "--color", "never"])
        .arg(root.join("tests/patternstim/FakeFire.mod"))
        .output()
        .expect("nmc runs");
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "{err}");
    assert_eq!(err.matches("error[E0401]").count(), 2, "{err}");
    assert_eq!(
        err.matches("fires them with `nrn_fake_fire` as if the cells of those gids had spiked")
            .count(),
        2,
        "{err}"
    );
    assert!(
        err.contains("replay the spikes with an NDL `input`"),
        "{err}"
    );
}
