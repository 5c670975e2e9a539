//! The mechanism library of a run, as a BMTK user meets it: their own
//! `.mod` folder holds the network's channels and synapses, files the
//! network never uses (one with VERBATIM C nmc cannot compile), and none of
//! NEURON's built-ins. The run warns once about the unusable file with its
//! name and line, compiles only what the network uses, each file once, and
//! gives the same spikes as the project's own `models/` folder.

use nmc::diag::{self, SourceMap};
use nmc::driver::sonata::{Loaded, Options, load};
use nmc::sim::Simulation;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nmc_library_{}_{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch folder");
    d
}

/// A mechanism nmc cannot compile: C code inside VERBATIM.
const VERBATIM_FILE: &str = "\
: A noise source written the old way, with C inside VERBATIM.
NEURON {
    POINT_PROCESS CNoise
    RANGE amp
    NONSPECIFIC_CURRENT i
}
PARAMETER { amp = 0.1 (nA) }
ASSIGNED { i (nA) }
BREAKPOINT {
VERBATIM
    i = -amp * (2.0 * drand48() - 1.0);
ENDVERBATIM
}
";

/// The seed network built as SONATA by `nmc build`.
fn seed_sonata() -> PathBuf {
    let dir = scratch("seed");
    let out = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["build", "--quiet", "-o"])
        .arg(&dir)
        .arg(repo("examples/bmtk_test_net/network.ndl"))
        .output()
        .expect("nmc build runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// A user's mechanism folder: the files of `models/` the seed needs that
/// NEURON does not have built in, a file it does not use, and the
/// VERBATIM file.
fn user_folder() -> PathBuf {
    let dir = scratch("modfiles");
    let builtin = [
        "Exp2Syn", "ExpSyn", "IClamp", "NetStim", "VecStim", "hh", "pas",
    ];
    let mut copied = 0;
    for entry in std::fs::read_dir(repo("models")).expect("models/") {
        let path = entry.expect("entry").path();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if path.extension().is_some_and(|e| e == "mod") && !builtin.contains(&stem) {
            std::fs::copy(&path, dir.join(path.file_name().expect("name"))).expect("copy");
            copied += 1;
        }
    }
    assert!(copied >= 6, "models/ has the seed's channels and synapses");
    std::fs::write(dir.join("cnoise.mod"), VERBATIM_FILE).expect("write");
    dir
}

fn load_with(config: &Path, mechanisms: &Path, map: &mut SourceMap) -> Loaded {
    let opts = Options {
        mechanisms: Some(mechanisms.to_path_buf()),
        tstop: Some(300.0),
        ..Options::default()
    };
    match load(map, config, &opts) {
        Ok(l) => l,
        Err(d) => panic!("{}", diag::render_human(map, &d, false)),
    }
}

fn spikes(loaded: &Loaded) -> Vec<(u64, f64)> {
    let mut sim = Simulation::new(&loaded.network, &loaded.mechanisms).expect("simulation");
    let res = sim.run(&mut |_| {});
    assert!(res.error.is_none(), "{:?}", res.error);
    res.spikes
}

#[test]
fn users_folder_without_builtins_runs_warns_once_and_gives_the_same_spikes() {
    let net = seed_sonata();
    let config = net.join("simulation_config.json");
    let folder = user_folder();

    let mut map = SourceMap::new();
    let user = load_with(&config, &folder, &mut map);
    let about_cnoise: Vec<_> = user
        .warnings
        .iter()
        .filter(|d| d.message.contains("cnoise.mod"))
        .collect();
    assert_eq!(about_cnoise.len(), 1, "{:#?}", user.warnings);
    let w = about_cnoise[0];
    assert_eq!(w.code, "W0801");
    let rendered = diag::render_human(&map, std::slice::from_ref(w), false);
    assert!(rendered.contains("cnoise.mod:10:"), "{rendered}");
    assert!(!rendered.contains("file missing"), "{rendered}");

    // Only what the network uses went through the compiler, each file once.
    let counts = user.library.stage_counts();
    for c in &counts {
        assert_eq!(c.front, 1, "{c:?}");
        assert_eq!(c.jit, 0, "the engine compiles the run's kernels: {c:?}");
    }
    let names: Vec<&str> = counts.iter().map(|c| c.name.as_str()).collect();
    assert!(
        names.contains(&"na_rtm") && names.contains(&"Exp2Syn"),
        "{names:?}"
    );
    assert!(!names.contains(&"hh"), "{names:?}");

    let mut map2 = SourceMap::new();
    let own = load_with(&config, &repo("models"), &mut map2);
    let (a, b) = (spikes(&user), spikes(&own));
    assert!(a.len() > 100, "{} spikes", a.len());
    assert_eq!(a, b);
}

#[test]
fn unknown_synapse_template_names_the_folder_and_suggests() {
    let lib = nmc::driver::library::Library::open(&[repo("models")]).expect("models/");
    let err = lib
        .mechanisms(["Exp2Syn_SPT"], Default::default())
        .expect_err("no such mechanism");
    assert_eq!(err[0].code, "E0803");
    assert!(err[0].message.contains("models"), "{}", err[0].message);
    assert_eq!(err[0].help.as_deref(), Some("did you mean `Exp2Syn_STP`?"));
}

#[test]
fn a_file_is_compiled_once_however_often_it_is_asked_for() {
    use nmc::ir::interface::Catalogue;
    let lib = nmc::driver::library::Library::open(&[repo("models")]).expect("models/");
    for _ in 0..3 {
        assert!(lib.find("na_rtm").is_some());
        assert!(lib.ir("na_rtm").is_some());
        lib.mechanisms(["na_rtm"], Default::default())
            .expect("compiles");
    }
    let counts = lib.stage_counts();
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert_eq!((counts[0].front, counts[0].jit), (1, 1));
}
