//! NDL cells read from SWC files against NEURON 9.0.2
//! (`tests/golden/ndl_morph/`, written by
//! `reference/make_ndl_morph_traces.py`): the experiments of
//! `tests/ndl_morph/*.ndl` (an Allen fit with NEURON's d_lambda rule,
//! biophysics per section type with BMTK's dL rule, synapses placed by
//! section type and path distance) give NEURON's segment counts, passive
//! properties, mechanisms, synapse sites and, in exact mode, its soma
//! voltage bit for bit. Then the diagnostics of such cells.

mod common;
use common::golden::{builtins_library, num, read, same_bits};

use std::path::{Path, PathBuf};

use nmc::diag::{Diagnostic, SourceMap};
use nmc::driver::ndl::{LibraryLoader, check_file, check_source};
use nmc::sim::Simulation;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(root().join("tests/golden/ndl_morph/manifest.json"))
        .expect("tests/golden/ndl_morph/manifest.json");
    serde_json::from_str(&text).expect("manifest parses")
}

fn check(name: &str) {
    let m = manifest();
    let case = m["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name}"))
        .clone();
    let mut map = SourceMap::new();
    let (checked, _) = check_file(&mut map, &root().join(case["ndl"].as_str().expect("ndl")));
    let errors: Vec<&Diagnostic> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}");
    let e = checked.experiment.expect("the experiment builds");
    let net = &e.network;
    let cell = &net.cells[0];
    let want = case["sections"].as_array().expect("sections");
    assert_eq!(cell.sections.len(), want.len(), "{name}: section count");
    for w in want {
        let n = w["name"].as_str().expect("name");
        let s = cell
            .sections
            .iter()
            .find(|s| s.name == n)
            .unwrap_or_else(|| panic!("{name}: no section {n}"));
        assert_eq!(
            s.nseg as u64,
            w["nseg"].as_u64().expect("nseg"),
            "{name}: nseg of {n}"
        );
        same_bits(
            &format!("{name}: L, cm, Ra of {n}"),
            &[s.length, s.cm, s.ra],
            &[num(&w["L"]), num(&w["cm"]), num(&w["Ra"])],
        );
        let mut mechs: Vec<&str> = s.mechanisms.iter().map(|m| m.mechanism.as_str()).collect();
        mechs.sort();
        let want_mechs: Vec<&str> = w["mechanisms"]
            .as_array()
            .expect("mechanisms")
            .iter()
            .map(|m| m.as_str().expect("mech"))
            .collect();
        assert_eq!(mechs, want_mechs, "{name}: mechanisms of {n}");
    }
    // The synapse sites, in statement order.
    let sites: Vec<(String, f64)> = cell
        .point_processes
        .iter()
        .filter(|p| &*p.mechanism == "Exp2Syn")
        .map(|p| (cell.sections[p.location.section].name.clone(), p.location.x))
        .collect();
    let want_sites: Vec<(String, f64)> = case["sites"]
        .as_array()
        .expect("sites")
        .iter()
        .map(|s| (s["section"].as_str().expect("section").into(), num(&s["x"])))
        .collect();
    assert_eq!(sites, want_sites, "{name}: synapse sites");

    let file = root()
        .join("tests/golden/ndl_morph")
        .join(case["file"].as_str().expect("file"));
    let mut sim = Simulation::new(net, builtins_library()).expect("the network builds");
    sim.set_exact(true);
    let res = sim.run(&mut |_| {});
    assert!(res.error.is_none(), "{:?}", res.error);
    same_bits(&format!("{name}: t"), &res.times, &read(&file, "t"));
    assert_eq!(res.traces.len(), 1, "{name}: one soma record");
    same_bits(
        &format!("{name}: v_soma"),
        &res.traces[0],
        &read(&file, "v_soma"),
    );
    let spikes: Vec<f64> = res.spikes.iter().map(|s| s.1).collect();
    let want = read(&file, "spikes");
    assert!(!want.is_empty(), "{name}: NEURON's run has spikes");
    same_bits(&format!("{name}: spikes"), &spikes, &want);
}

#[test]
fn allen_fit_with_d_lambda() {
    check("allen_dlambda");
}

#[test]
fn explicit_biophysics_with_dl() {
    check("explicit_dl");
}

#[test]
fn synapses_placed_by_type_and_distance() {
    check("synapses");
}

/// Checks NDL `text` as if it were a file of `tests/ndl_morph/`.
fn diagnose(text: &str) -> (SourceMap, Vec<Diagnostic>) {
    let mut map = SourceMap::new();
    let loader = LibraryLoader::new();
    let checked = check_source(
        &mut map,
        "tests/ndl_morph/case.ndl",
        text,
        &root().join("tests/ndl_morph"),
        &loader,
    );
    (map, checked.diagnostics)
}

/// The one diagnostic of `code`, and the file and text of its primary span.
fn find<'a>(
    map: &'a SourceMap,
    ds: &'a [Diagnostic],
    code: &str,
) -> (&'a Diagnostic, String, &'a str) {
    let d = ds
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no {code} in {ds:#?}"));
    let span = d.primary_span().expect("a primary span");
    let file = Path::new(map.name(span.file))
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    (d, file, map.text(span))
}

const RUN: &str = "population P = 1 of Pyr\nrun { tstop = 1 ms }\n";

#[test]
fn missing_morphology_file() {
    let (map, ds) = diagnose(&format!(
        "cell Pyr from swc \"../morph/nowhere.swc\" {{ nseg = dL(20 um) }}\n{RUN}"
    ));
    let (d, file, text) = find(&map, &ds, "E1709");
    assert!(d.is_error() && d.message.contains("nowhere.swc"), "{d:?}");
    assert_eq!(
        (file.as_str(), text),
        ("case.ndl", "\"../morph/nowhere.swc\"")
    );
}

#[test]
fn missing_biophysics_file() {
    let (map, ds) = diagnose(&format!(
        "cell Pyr from swc \"../morph/point_soma.swc\" {{ biophysics from \"none.json\" }}\n{RUN}"
    ));
    let (d, _, text) = find(&map, &ds, "E1009");
    assert!(d.message.contains("none.json"), "{d:?}");
    assert_eq!(text, "\"none.json\"");
}

#[test]
fn malformed_swc_points_at_its_line() {
    let (map, ds) = diagnose(&format!(
        "cell Pyr from swc \"../morph/bad/bad_line.swc\"\n{RUN}"
    ));
    let d = ds
        .iter()
        .find(|d| d.code == "E1701")
        .unwrap_or_else(|| panic!("no E1701 in {ds:#?}"));
    let span = d.primary_span().expect("span");
    assert!(map.name(span.file).ends_with("bad_line.swc"), "{d:?}");
    // The cell that reads the file is named too.
    assert!(
        d.labels
            .iter()
            .any(|l| !l.primary && map.text(l.span) == "\"../morph/bad/bad_line.swc\""),
        "{d:?}"
    );
}

#[test]
fn unknown_section_type() {
    let (map, ds) = diagnose(&format!(
        "cell Pyr from swc \"../morph/point_soma.swc\" {{\n  section dendrite {{ cm = 2 uF/cm2 }}\n}}\n{RUN}"
    ));
    let (d, _, text) = find(&map, &ds, "E1205");
    assert_eq!(text, "dendrite");
    assert_eq!(d.help.as_deref(), Some("did you mean `dend`?"));
}

#[test]
fn placement_that_finds_no_segment() {
    let (map, ds) = diagnose(
        "cell Pyr from swc \"../morph/point_soma.swc\" { nseg = dL(20 um) }\n\
         population P = 1 of Pyr\n\
         synapse exc = Exp2Syn { tau1 = 0.5 ms; tau2 = 3 ms; e = 0 mV }\n\
         input pre = spikes [1] ms\n\
         connect pre -> P { synapse = exc; weight = 1 nS; delay = 1 ms; on = random(dend, distance = [5000, 6000] um) }\n\
         run { tstop = 1 ms }\n",
    );
    let (d, _, text) = find(&map, &ds, "E1213");
    assert!(d.is_error(), "{d:?}");
    assert_eq!(text, "random(dend, distance = [5000, 6000] um)");
}

#[test]
fn settings_that_do_not_apply() {
    let (map, ds) = diagnose(&format!(
        "cell Pyr from swc \"../morph/point_soma.swc\" {{\n  section soma {{ L = 20 um }}\n  nseg = d_lambda(0.1, f = 100 Hz)\n}}\n{RUN}"
    ));
    let (_, _, text) = find(&map, &ds, "E1207");
    assert_eq!(text, "L");
    let (_, _, text) = find(&map, &ds, "E1212");
    assert_eq!(text, "d_lambda(0.1, f = 100 Hz)");
    // A section type the file lacks is a warning.
    let (map, ds) = diagnose(&format!(
        "cell Pyr from swc \"ball_stick.swc\" {{ section apic {{ cm = 2 uF/cm2 }} }}\n{RUN}"
    ));
    assert!(!ds.iter().any(Diagnostic::is_error), "{ds:#?}");
    let (d, _, text) = find(&map, &ds, "W1205");
    assert!(!d.is_error());
    assert_eq!(text, "apic");
}

#[test]
fn sites_on_indexed_sections() {
    let mut map = SourceMap::new();
    let loader = LibraryLoader::new();
    let checked = check_source(
        &mut map,
        "tests/ndl_morph/case.ndl",
        "cell Pyr from swc \"../morph/point_soma.swc\" { nseg = dL(20 um) }\n\
         population P = 2 of Pyr\n\
         stimulus iclamp at P[1].dend[3](0.25) { del = 1 ms; dur = 1 ms; amp = 0.1 nA }\n\
         synapse exc = Exp2Syn { tau1 = 0.5 ms; tau2 = 3 ms; e = 0 mV }\n\
         input pre = spikes [1] ms\n\
         connect pre -> P { synapse = exc; weight = 1 nS; delay = 1 ms; on = apic[2](0.75) }\n\
         run { tstop = 1 ms }\n",
        &root().join("tests/ndl_morph"),
        &loader,
    );
    let errors: Vec<&Diagnostic> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let net = checked.experiment.expect("builds").network;
    let at = |c: usize, k: usize| {
        let p = &net.cells[c].point_processes[k];
        (
            net.cells[c].sections[p.location.section].name.as_str(),
            p.location.x,
            &*p.mechanism,
        )
    };
    assert_eq!(at(1, 0), ("dend[3]", 0.25, "IClamp"));
    assert_eq!(at(0, 0), ("apic[2]", 0.75, "Exp2Syn"));
    assert_eq!(at(1, 1), ("apic[2]", 0.75, "Exp2Syn"));
}

#[test]
fn build_refuses_cells_from_morphologies() {
    let out = std::env::temp_dir().join(format!("nmc_ndl_morph_build_{}", std::process::id()));
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["build", "--quiet", "tests/ndl_morph/explicit_dl.ndl", "-o"])
        .arg(&out)
        .output()
        .expect("run nmc");
    let _ = std::fs::remove_dir_all(&out);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(err.contains("E1506") && err.contains("morphology"), "{err}");
}
