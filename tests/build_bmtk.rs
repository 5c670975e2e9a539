//! What BMTK 1.2 + NEURON 9.0.2 need from a folder `nmc build` writes,
//! checked without either of them (`reference/check_build_in_bmtk.py`
//! runs the folder in BMTK + NEURON itself):
//!
//! - `run.nsteps_block` (bionet divides by it) and every edge type with a
//!   `distance_range` of two numbers (bionet's `find_sections` reads it);
//! - the columns bionet reads from the type tables;
//! - `mechanisms_dir` is the folder's own `components/mechanisms`, holding
//!   the used `.mod` files but none NEURON has built in, and a VecStim
//!   with `play` when the network has spike inputs;
//! - each `hoc:<Name>` template as a `.hoc` file that nmc's hoc reader
//!   turns into exactly the NDL cell, and that nmc's SONATA loader uses
//!   (the folder runs with the NDL templates removed);
//! - `run_bionet.py`.

mod common;
use common::repo;

use nmc::diag::{self, Severity, SourceMap};
use nmc::driver::builtins::neuron_builtin;
use nmc::driver::sonata::{Options, load};
use nmc::net::Cell;
use nmc::sonata::config;
use nmc::sonata::nodes::read_type_table;
use nmc::sonata::write::hoc::section_name;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nmc_build_bmtk_{}_{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn build(ndl: &str, dir: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["build", "--quiet", "-o"])
        .arg(dir)
        .arg(repo(ndl))
        .output()
        .expect("nmc build runs");
    assert!(
        out.status.success(),
        "nmc build {ndl}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The mechanism names the `.mod` files of `dir` declare, by file name.
fn declared(dir: &Path) -> Vec<(String, String, String)> {
    let mut v = Vec::new();
    for f in nmc::driver::library::mod_files(dir).expect("mechanisms folder") {
        let text = std::fs::read_to_string(&f).expect("mod text");
        let d = nmc::front::nmodl::declared::declared_name(&text).expect("declares a mechanism");
        let file = f.file_name().unwrap().to_string_lossy().into_owned();
        v.push((file, d.name, text));
    }
    v
}

/// The cells of the NDL file's templates, by name.
fn ndl_cells(
    ndl: &str,
) -> (
    std::collections::BTreeMap<String, Cell>,
    std::rc::Rc<nmc::driver::library::Library>,
) {
    let mut map = SourceMap::new();
    let (checked, library) = nmc::driver::ndl::check_file(&mut map, &repo(ndl));
    let exp = checked
        .experiment
        .unwrap_or_else(|| panic!("{}", diag::render_human(&map, &checked.diagnostics, false)));
    (exp.circuit().cells, library)
}

/// Reads `file` with nmc's hoc reader and instantiates `name`.
fn hoc_cell(file: &Path, name: &str, library: &nmc::driver::library::Library) -> Cell {
    let mut map = SourceMap::new();
    let (parsed, diags) = nmc::front::hoc::parse_file(&mut map, file);
    assert!(
        diags.is_empty(),
        "{}",
        diag::render_human(&map, &diags, false)
    );
    let parsed = parsed.expect("parsed");
    let (cell, warnings) = parsed
        .instantiate(&map, name, library)
        .unwrap_or_else(|d| panic!("{}", diag::render_human(&map, &d, false)));
    assert!(warnings.is_empty(), "{warnings:?}");
    cell
}

/// `hoc` is `ndl` section for section, the soma named `soma[0]`.
fn assert_same_cell(name: &str, ndl: &Cell, hoc: &Cell) {
    assert_eq!(ndl.sections.len(), hoc.sections.len(), "{name}: sections");
    for (a, b) in ndl.sections.iter().zip(&hoc.sections) {
        let mut renamed = a.clone();
        renamed.name = section_name(&a.name);
        assert_eq!(&renamed, b, "{name}: section {}", a.name);
    }
    assert_eq!(
        ndl.spike_site.section, hoc.spike_site.section,
        "{name}: spike site"
    );
}

#[test]
fn the_seed_folder_has_what_bmtk_needs() {
    let dir = scratch("seed");
    let ndl = "examples/bmtk_test_net/network.ndl";
    build(ndl, &dir);

    // run.nsteps_block, a positive integer.
    let sim: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("simulation_config.json")).expect("config"),
    )
    .expect("json");
    let block = sim["run"]["nsteps_block"].as_u64();
    assert!(block.is_some_and(|b| b > 0), "nsteps_block {block:?}");

    let cfg = config::load(&dir.join("simulation_config.json")).expect("config");
    // Edge types: every column bionet reads, a distance_range of two numbers.
    assert_eq!(cfg.circuit.edges.len(), 2);
    let mut templates = BTreeSet::new();
    for (_, types) in &cfg.circuit.edges {
        let t = read_type_table(types, "edge_type_id").expect("edge types");
        for col in [
            "edge_type_id",
            "target_query",
            "source_query",
            "distance_range",
            "target_sections",
            "dynamics_params",
            "model_template",
            "delay",
        ] {
            assert!(t.header.iter().any(|h| h == col), "{col} in {types:?}");
        }
        for (id, row) in &t.rows {
            let range = row.get("distance_range").map(String::as_str).unwrap_or("");
            let nums: Vec<f64> = range
                .trim_matches(|c| c == '[' || c == ']' || c == '"')
                .split(',')
                .filter_map(|s| s.trim().parse().ok())
                .collect();
            assert!(
                nums.len() == 2 && nums[0] <= nums[1],
                "edge type {id}: distance_range `{range}`"
            );
            templates.insert(row["model_template"].clone());
        }
    }
    assert_eq!(
        templates,
        BTreeSet::from(["exp2syn".to_string(), "Exp2Syn_STP".to_string()])
    );
    // Node types: hoc templates for the cells, virtual inputs.
    let mut hoc_names = BTreeSet::new();
    for (_, types) in &cfg.circuit.nodes {
        let t = read_type_table(types, "node_type_id").expect("node types");
        for row in t.rows.values() {
            match row["model_type"].as_str() {
                "biophysical" => {
                    let tpl = row["model_template"].strip_prefix("hoc:").expect("hoc:");
                    hoc_names.insert(tpl.to_string());
                }
                "virtual" => {}
                other => panic!("model_type {other}"),
            }
            assert!(row.contains_key("pop_name"));
        }
    }
    assert_eq!(
        hoc_names,
        BTreeSet::from(["RTMExcCell".to_string(), "WBInhCell".to_string()])
    );

    // The mechanisms folder: inside the build, used files only, no NEURON
    // built-in, a VecStim with play for the spike input.
    let mech_dir = cfg.circuit.mechanisms_dir.clone().expect("mechanisms_dir");
    assert_eq!(
        std::fs::canonicalize(&mech_dir).unwrap(),
        std::fs::canonicalize(dir.join("components/mechanisms")).unwrap()
    );
    let mods = declared(&mech_dir);
    let names: BTreeSet<&str> = mods.iter().map(|(_, n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "Exp2Syn_STP",
            "VecStim",
            "k_rtm",
            "k_wb",
            "leak",
            "na_rtm",
            "na_wb"
        ])
    );
    for (file, name, text) in &mods {
        assert!(!neuron_builtin(name), "{file} declares NEURON's {name}");
        if name == "VecStim" {
            assert!(text.contains("ARTIFICIAL_CELL VecStim"));
            assert!(text.contains("PROCEDURE play()"));
        } else {
            let original = std::fs::read_to_string(repo("models").join(file)).expect("model");
            assert_eq!(text, &original, "{file} copied as it is");
        }
    }
    assert!(dir.join("run_bionet.py").is_file());

    // Hoc templates: nmc's hoc reader gives exactly the NDL cells.
    let templates_dir = cfg.circuit.templates_dir.clone().expect("templates_dir");
    let (cells, library) = ndl_cells(ndl);
    assert_eq!(cells.len(), 2);
    for (name, cell) in &cells {
        let got = hoc_cell(&templates_dir.join(format!("{name}.hoc")), name, &library);
        assert_same_cell(name, cell, &got);
    }

    // nmc runs the folder from the hoc templates alone, without a warning
    // about the NEURON-only VecStim.
    for name in cells.keys() {
        std::fs::remove_file(templates_dir.join(format!("{name}.ndl"))).expect("rm ndl");
    }
    let mut map = SourceMap::new();
    let loaded = load(
        &mut map,
        &dir.join("simulation_config.json"),
        &Options::default(),
    )
    .unwrap_or_else(|d| panic!("{}", diag::render_human(&map, &d, false)));
    assert_eq!(loaded.network.cells.len(), 300);
    let problems: Vec<_> = loaded
        .warnings
        .iter()
        .chain(loaded.library.notes())
        .filter(|d| d.severity != Severity::Note)
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(
        loaded.library.notes().iter().any(|d| d.code == "N0802"),
        "{:?}",
        loaded.library.notes()
    );
    assert!(loaded.library.is_builtin("VecStim"));
    let soma = &loaded.network.cells[0].sections[0];
    assert_eq!(
        soma.name, "soma[0]",
        "the cells come from the hoc templates"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn multi_section_cells_become_hoc_templates_nmc_reads_back() {
    // The ball-and-tree cell: four sections, children at the 1 end of
    // their parents, hh (NEURON's) on the soma, pas on the dendrites,
    // ion values on the soma only.
    let ndl = "tests/cells/mc_ball_tree.ndl";
    let (cells, library) = ndl_cells(ndl);
    let cell = &cells["BallTree"];
    assert_eq!(cell.sections.len(), 4);
    let text = nmc::sonata::write::hoc::hoc_template("BallTree", cell, "mc_ball_tree.ndl");
    let dir = scratch("balltree");
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("BallTree.hoc");
    std::fs::write(&file, &text).expect("write");
    let got = hoc_cell(&file, "BallTree", &library);
    assert_same_cell("BallTree", cell, &got);
    assert!(text.contains("connect dend1(0), dend0(1.0)"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn neuron_builtins_are_not_copied() {
    // syn_exp2syn_rtm: RTM cell (project mechanisms) driven by a spike
    // list through NEURON's Exp2Syn, which is not copied.
    let dir = scratch("syn");
    build("tests/cells/syn_exp2syn_rtm.ndl", &dir);
    let mods = declared(&dir.join("components/mechanisms"));
    let names: BTreeSet<&str> = mods.iter().map(|(_, n, _)| n.as_str()).collect();
    assert!(!names.contains("Exp2Syn"), "{names:?}");
    assert!(
        names.contains("VecStim") && names.contains("na_rtm"),
        "{names:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Builds `ndl`, runs the folder with nmc's SONATA loader, and checks its
/// spikes against BMTK 1.2 + NEURON 9.0.2's run of the same folder
/// (`tests/golden/build_bmtk/<name>_spikes_bmtk.h5`, written by
/// `reference/check_build_in_bmtk.py --golden tests/golden/build_bmtk`):
/// every cell fires at the same times, so each population matches 100%
/// (the acceptance asks for 99% within 0.1 ms). Returns spikes per
/// `pop_name`.
fn same_spikes_as_bmtk(ndl: &str, name: &str) -> std::collections::BTreeMap<String, usize> {
    let golden = repo(&format!("tests/golden/build_bmtk/{name}_spikes_bmtk.h5"));
    assert!(golden.is_file(), "{} is missing", golden.display());
    let dir = scratch(name);
    build(ndl, &dir);
    let mut map = SourceMap::new();
    let loaded = load(
        &mut map,
        &dir.join("simulation_config.json"),
        &Options::default(),
    )
    .unwrap_or_else(|d| panic!("{}", diag::render_human(&map, &d, false)));
    let res = nmc::sim::Simulation::new(&loaded.network, &loaded.mechanisms)
        .expect("simulation")
        .run(&mut |_| {});
    assert!(res.error.is_none(), "{:?}", res.error);
    let key = |gid: u64| {
        let o = &loaded.cells[gid as usize];
        (o.population.clone(), o.node_id)
    };
    let mut ours: Vec<((String, u64), f64)> =
        res.spikes.iter().map(|&(g, t)| (key(g), t)).collect();
    let real: BTreeSet<String> = loaded.cells.iter().map(|o| o.population.clone()).collect();
    let mut theirs: Vec<((String, u64), f64)> = nmc::sonata::spikes::read(&golden)
        .expect("BMTK spikes")
        .into_iter()
        .filter(|(p, _, _)| real.contains(p))
        .map(|(p, id, t)| ((p, id), t))
        .collect();
    let order = |a: &((String, u64), f64), b: &((String, u64), f64)| {
        a.0.cmp(&b.0).then(a.1.total_cmp(&b.1))
    };
    ours.sort_by(order);
    theirs.sort_by(order);
    assert!(!theirs.is_empty(), "BMTK's run has no spikes");
    assert_eq!(ours.len(), theirs.len(), "{name}: spike counts");
    assert_eq!(ours, theirs, "{name}: spikes differ from BMTK + NEURON's");
    let mut per_pop = std::collections::BTreeMap::new();
    for ((pop, id), _) in &ours {
        let o = loaded
            .cells
            .iter()
            .find(|o| &o.population == pop && o.node_id == *id)
            .expect("cell");
        *per_pop.entry(o.pop_name.clone()).or_insert(0) += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    per_pop
}

/// The spike counts per population `outcome.json` records for `name`.
fn golden_counts(name: &str) -> std::collections::BTreeMap<String, usize> {
    let text = std::fs::read_to_string(repo("tests/golden/build_bmtk/outcome.json"))
        .expect("outcome.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let pops = v["networks"][name]["populations"]
        .as_object()
        .expect("populations");
    pops.iter()
        .map(|(k, r)| {
            assert_eq!(r["fraction_matched"].as_f64(), Some(1.0), "{name} {k}");
            (
                k.clone(),
                r["spikes_bmtk"].as_u64().expect("count") as usize,
            )
        })
        .collect()
}

#[test]
fn the_seed_folder_runs_as_in_bmtk() {
    let counts = same_spikes_as_bmtk("examples/bmtk_test_net/network.ndl", "bmtk_test_net");
    assert_eq!(counts, golden_counts("bmtk_test_net"));
    assert_eq!(counts.len(), 3, "{counts:?}");
}

#[test]
fn the_ball_and_stick_folder_runs_as_in_bmtk() {
    let counts = same_spikes_as_bmtk("tests/cells/bmtk_ballstick.ndl", "bmtk_ballstick");
    assert_eq!(counts, golden_counts("bmtk_ballstick"));
    assert_eq!(counts.len(), 2, "{counts:?}");
}

#[test]
fn the_clamped_ball_and_tree_folder_runs_as_in_bmtk() {
    // One hh/pas cell of four sections under a soma IClamp: the stimulus
    // becomes a BMTK current_clamp input, the folder has no mechanisms_dir
    // (NEURON's built-ins only) and its all-sections report is left out.
    let dir = scratch("balltree_cfg");
    build("tests/cells/mc_ball_tree.ndl", &dir);
    let sim: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("simulation_config.json")).expect("config"),
    )
    .expect("json");
    let clamp = &sim["inputs"]["iclamp"];
    assert_eq!(clamp["input_type"], "current_clamp");
    assert_eq!(clamp["module"], "IClamp");
    assert_eq!(
        (
            clamp["amp"].as_f64(),
            clamp["delay"].as_f64(),
            clamp["duration"].as_f64()
        ),
        (Some(0.2), Some(50.0), Some(400.0))
    );
    assert_eq!(clamp["section_name"], "soma");
    assert!(sim["reports"].get("soma_v").is_some());
    assert!(sim["reports"].get("tree_v").is_none());
    let circuit: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("circuit_config.json")).expect("circuit"),
    )
    .expect("json");
    assert!(circuit["components"].get("mechanisms_dir").is_none());
    assert!(!dir.join("components/mechanisms").exists());
    let _ = std::fs::remove_dir_all(&dir);

    let counts = same_spikes_as_bmtk("tests/cells/mc_ball_tree.ndl", "mc_ball_tree");
    assert_eq!(counts, golden_counts("mc_ball_tree"));
}
