//! PatternStim: NEURON's pattern.mod replays (time, gid) pairs from hoc
//! Vectors with C. nmc compiles the pattern.mod NEURON ships (recognised
//! by its text) as its own PatternStim, whose pattern an NDL input gives:
//! `tests/patternstim/pattern_stim.ndl` (written by
//! `reference/make_patternstim.py`, 260 pairs onto IntFire1 and IntFire2
//! cells) must give NEURON's spikes bit for bit
//! (`tests/golden/patternstim/pattern_stim.json`). The same pattern style
//! as plain NDL inputs (`tests/patternstim/replay.ndl`) must too
//! (`tests/golden/patternstim/spikes.json`). Through ExpSyn synapses of hh
//! cells (`tests/patternstim/pattern_trace.ndl`), run one synapse at a time
//! with libm's exp, the spikes and every step's soma voltage are NEURON's
//! bit for bit (`tests/golden/patternstim/pattern_trace.json`). `FakeFire.mod`, our own file
//! in PatternStim's style, is C nmc does not compile: the diagnostic.

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

/// NEURON's spikes (gid, time) from a golden file, and the pattern's length.
fn golden(name: &str) -> (Vec<(u64, f64)>, usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("tests/golden/patternstim").join(name))
        .expect("golden spikes");
    let g: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let list = |k: &str| g[k].as_array().expect("list").clone();
    let spikes = list("gids")
        .iter()
        .map(|x| x.as_u64().expect("gid"))
        .zip(list("times").iter().map(|x| x.as_f64().expect("time")))
        .collect();
    (spikes, list("pattern_times").len())
}

/// Runs `nmc run` on NDL text in a fresh folder: success, stderr and the
/// spikes (node id, time) sorted.
fn run_ndl(tag: &str, text: &str) -> (bool, String, Vec<(u64, f64)>) {
    let dir = std::env::temp_dir().join(format!("nmc_patternstim_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let file = dir.join("net.ndl");
    std::fs::write(&file, text).expect("NDL file");
    let run = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["run", "--quiet", "--color", "never"])
        .arg(&file)
        .arg("-o")
        .arg(dir.join("out"))
        .output()
        .expect("nmc runs");
    let mut spikes = Vec::new();
    if run.status.success() {
        spikes = common::spike_file(&dir.join("out/spikes.h5"))
            .into_iter()
            .map(|(_, id, t)| (id, t))
            .collect();
        spikes.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    }
    let _ = std::fs::remove_dir_all(&dir);
    (
        run.status.success(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
        spikes,
    )
}

#[test]
fn a_patternstim_input_gives_the_spikes_of_neurons_patternstim() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (want, pairs) = golden("pattern_stim.json");
    assert_eq!(pairs, 260, "the replayed pattern");
    assert!(want.len() > 100, "the fixture spikes");
    // All five cells (three IntFire1, two IntFire2) spike.
    for gid in 0..5 {
        assert!(want.iter().any(|s| s.0 == gid), "cell {gid} spikes");
    }
    let text =
        std::fs::read_to_string(root.join("tests/patternstim/pattern_stim.ndl")).expect("NDL file");
    let (ok, err, ours) = run_ndl("golden", &text);
    assert!(ok, "{err}");
    assert_eq!(ours.len(), want.len(), "spike count");
    for (a, b) in ours.iter().zip(&want) {
        assert!(
            a.0 == b.0 && a.1.to_bits() == b.1.to_bits(),
            "nmc {a:?}, NEURON {b:?}"
        );
    }
}

#[test]
fn patternstim_settings_are_checked() {
    let net = |settings: &str| {
        format!(
            "network p\npopulation c = 1 of IntFire1 {{ refrac = 1 ms }}\ninput ps = PatternStim {{ {settings} }}\n\
             connect ps[2] -> c {{ weight = 2; delay = 1 ms }}\nrun {{ tstop = 10 ms; dt = 0.025 ms }}\n"
        )
    };
    // A gid fired by the pattern reaches the cell; another gid does not.
    let (ok, err, spikes) = run_ndl("ok", &net("times = [1, 2, 4.5] ms; gids = [2, 0, 2]"));
    assert!(ok, "{err}");
    assert_eq!(spikes, vec![(0, 2.0), (0, 5.5)]);
    for (tag, settings, message) in [
        (
            "fake",
            "times = [1] ms; gids = [2]; fake_output = 1",
            "fires only gids outside the network",
        ),
        (
            "unsorted",
            "times = [3, 1] ms; gids = [2, 2]",
            "must be finite, at least 0 ms and sorted",
        ),
        (
            "negative",
            "times = [-1] ms; gids = [2]",
            "must be finite, at least 0 ms and sorted",
        ),
        (
            "lengths",
            "times = [1, 2] ms; gids = [2]",
            "has 2 times and 1 gids",
        ),
        (
            "gid",
            "times = [1] ms; gids = [2.5]",
            "a gid must be a whole number",
        ),
        ("missing", "times = [1] ms", "has no `times` or no `gids`"),
        ("unit", "times = [1] mV; gids = [2]", "error[E1301]"),
        (
            "setting",
            "times = [1] ms; gid = [2]",
            "unknown setting `gid`",
        ),
    ] {
        let (ok, err, _) = run_ndl(tag, &net(settings));
        assert!(!ok, "{tag}: accepted");
        assert!(err.contains(message), "{tag}: {err}");
    }
}

#[test]
fn patternstim_through_synapses_of_hh_cells_gives_neurons_voltages() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("tests/golden/patternstim/pattern_trace.json"))
        .expect("golden trace");
    let g: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let floats = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .expect("list")
            .iter()
            .map(|x| x.as_f64().expect("number"))
            .collect()
    };
    let want_v: Vec<Vec<f64>> = g["v"].as_array().expect("v").iter().map(floats).collect();
    let want_spikes: Vec<(u64, f64)> = g["gids"]
        .as_array()
        .expect("gids")
        .iter()
        .map(|x| x.as_u64().expect("gid"))
        .zip(floats(&g["times"]))
        .collect();
    assert_eq!(want_v.len(), 2);
    assert_eq!(want_v[0].len(), 6001, "0 to 150 ms in steps of 0.025 ms");
    assert!(want_spikes.iter().any(|s| s.0 == 0) && want_spikes.iter().any(|s| s.0 == 1));
    let out = std::env::temp_dir().join(format!("nmc_patternstim_trace_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args([
            "run",
            "--quiet",
            "--synapses",
            "one-by-one",
            "--exp",
            "libm",
        ])
        .arg(root.join("tests/patternstim/pattern_trace.ndl"))
        .arg("-o")
        .arg(&out)
        .output()
        .expect("nmc runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut ours: Vec<(u64, f64)> = common::spike_file(&out.join("spikes.h5"))
        .into_iter()
        .map(|(_, id, t)| (id, t))
        .collect();
    ours.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    assert_eq!(ours.len(), want_spikes.len(), "spike count");
    for (a, b) in ours.iter().zip(&want_spikes) {
        assert!(
            a.0 == b.0 && a.1.to_bits() == b.1.to_bits(),
            "nmc {a:?}, NEURON {b:?}"
        );
    }
    let f = hdf5_metno::File::open(out.join("soma_v.h5")).expect("report");
    let data = f.dataset("report/pattern_trace/data").expect("data");
    assert_eq!(data.shape(), vec![6001, 2]);
    let v: Vec<f64> = data.read_raw().expect("voltages");
    for (step, row) in v.chunks(2).enumerate() {
        for (cell, x) in row.iter().enumerate() {
            let y = want_v[cell][step];
            assert!(
                x.to_bits() == y.to_bits(),
                "cell {cell} step {step}: nmc {x}, NEURON {y}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&out);
}
