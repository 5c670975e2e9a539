//! Helpers the integration tests share: paths in the repository, the
//! `.mod` files of a folder, IR expression builders.
//!
//! Each test file that needs them says `mod common;`; not every file uses
//! every helper.
#![allow(dead_code)]

pub mod golden;

use nmc::ir::{BinOp, Expr};
use std::path::{Path, PathBuf};

/// `p` inside the repository.
pub fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// `path` relative to the repository (as snapshots name their inputs).
pub fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Every `.mod` file directly in `dir` (relative to the repository),
/// sorted. A missing or empty folder fails the test: data a test needs is
/// never skipped silently.
pub fn mod_files(dir: &str) -> Vec<PathBuf> {
    let root = repo(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mod"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .mod files in {}", root.display());
    files
}

/// The seed network's `simulation_config.json` at the repository root
/// (BMTK's SONATA files in `network/` and `input/`, the project's templates,
/// synapse parameters and mechanisms). Missing files fail the test: the
/// repository carries them, so a test never skips for want of them.
pub fn seed_config() -> PathBuf {
    for f in SEED_FILES {
        let p = repo(f);
        assert!(p.is_file(), "the seed network's {} is missing", p.display());
    }
    repo("simulation_config.json")
}

/// NEURON 9.0.2's spikes of the seed network (BMTK 1.2.0, dt 0.1 ms,
/// 1000 ms), kept as golden data.
pub fn seed_neuron_spikes() -> PathBuf {
    let p = repo("tests/golden/seed/spikes_neuron.h5");
    assert!(
        p.is_file(),
        "NEURON's seed spikes {} are missing",
        p.display()
    );
    p
}

/// The files of the seed network's SONATA circuit, relative to the
/// repository: configs, nodes, edges, type tables, input spikes.
const SEED_FILES: &[&str] = &[
    "simulation_config.json",
    "circuit_config.json",
    "node_sets.json",
    "network/network_nodes.h5",
    "network/network_node_types.csv",
    "network/extnet_nodes.h5",
    "network/extnet_node_types.csv",
    "network/network_network_edges.h5",
    "network/network_network_edge_types.csv",
    "network/extnet_network_edges.h5",
    "network/extnet_network_edge_types.csv",
    "input/ext_inp_poisson.h5",
];

/// Copies the seed circuit (configs, `network/`, `input/`,
/// `components/synaptic_models/`) into a fresh folder `dir`, so a test can
/// edit it; with `components` also the cell templates and `models/`, else
/// the circuit's `templates_dir` and `mechanisms_dir` do not exist there.
pub fn copy_seed(dir: &Path, components: bool) {
    let _ = std::fs::remove_dir_all(dir);
    seed_config();
    let mut files: Vec<String> = SEED_FILES.iter().map(|f| f.to_string()).collect();
    let mut folders = vec!["components/synaptic_models"];
    if components {
        folders.extend(["components/templates", "models"]);
    }
    for folder in folders {
        for e in std::fs::read_dir(repo(folder)).expect("read_dir").flatten() {
            if e.path().is_file() {
                files.push(format!("{folder}/{}", e.file_name().to_string_lossy()));
            }
        }
    }
    for f in files {
        let to = dir.join(&f);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(repo(&f), &to).unwrap_or_else(|e| panic!("copy {f}: {e}"));
    }
}

/// `a op b`.
pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Binary(op, Box::new(a), Box::new(b))
}

/// The project's `models/` with NEURON's built-ins, every mechanism
/// compiled in `mode` (as a run sees them, in NEURON's order).
pub fn models_library(mode: nmc::back::math::MathMode) -> nmc::sim::Mechanisms {
    nmc::driver::library::Library::open(&[repo("models")])
        .unwrap_or_else(|d| panic!("{}", d.message))
        .all(mode)
        .unwrap_or_else(|d| panic!("models/ and the built-ins compile: {d:?}"))
}

/// The solved IR of `name` (a file name such as `Exp2Syn.mod`), from
/// `models/` or else `builtins/`.
pub fn model(name: &str) -> nmc::ir::Mechanism {
    let path = ["models", "builtins"]
        .iter()
        .map(|d| repo(d).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("no models/ or builtins/ file {name}"));
    let mut map = nmc::diag::SourceMap::new();
    let outcome = nmc::driver::pipeline::compile_file(&mut map, &path);
    assert!(!outcome.failed(), "{name} compiles");
    outcome.mechanism.expect("a mechanism")
}

/// Every spike of a SONATA spike file as (population, node id, time),
/// sorted by population, node id and time.
pub fn spike_file(path: &Path) -> Vec<(String, u64, f64)> {
    let f = hdf5_metno::File::open(path).expect("spike file");
    let mut out = Vec::new();
    for pop in f
        .group("spikes")
        .expect("/spikes")
        .member_names()
        .expect("names")
    {
        let g = f.group(&format!("spikes/{pop}")).expect("population");
        let ids: Vec<u64> = g.dataset("node_ids").expect("ids").read_raw().expect("ids");
        let ts: Vec<f64> = g.dataset("timestamps").expect("t").read_raw().expect("t");
        out.extend(ids.into_iter().zip(ts).map(|(i, t)| (pop.clone(), i, t)));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.total_cmp(&b.2)));
    out
}

/// The spikes of a SONATA spike file as (node id, time) pairs over all
/// populations, sorted.
pub fn spike_pairs(path: &Path) -> Vec<(u64, f64)> {
    let mut out: Vec<(u64, f64)> = spike_file(path)
        .into_iter()
        .map(|(_, i, t)| (i, t))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    out
}
