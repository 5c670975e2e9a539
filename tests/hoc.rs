//! hoc cell templates: every template of `tests/hoc/cells.hoc` must give
//! exactly the cell NEURON 9.0.2 builds (`tests/golden/hoc/cells.json`,
//! written by `reference/make_hoc_cells.py`), and the malformed files in
//! `tests/hoc/errors/` their pinned diagnostics.

use nmc::diag::{self, SourceMap};
use nmc::driver::library::Library;
use nmc::front::hoc;
use nmc::ir::interface::Catalogue;
use nmc::net::Cell;
use serde_json::Value;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn catalogue() -> Library {
    Library::open(&[root().join("models")]).expect("models/ can be read")
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn values(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("per-segment array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn all_equal(what: &str, want: f64, got: &[f64]) {
    for (k, g) in got.iter().enumerate() {
        assert_eq!(
            want.to_bits(),
            g.to_bits(),
            "{what} segment {k}: nmc {want}, NEURON {g}"
        );
    }
}

/// Compares one nmc cell with NEURON's dump of the same template.
fn compare(template: &str, cell: &Cell, neuron: &[Value], cat: &Library) {
    assert_eq!(
        cell.sections.len(),
        neuron.len(),
        "{template}: number of sections"
    );
    for s in &cell.sections {
        let at = format!("{template}.{}", s.name);
        let n = neuron
            .iter()
            .find(|n| n["name"] == s.name.as_str())
            .unwrap_or_else(|| panic!("{at}: NEURON has no such section"));
        assert_eq!(
            s.length.to_bits(),
            n["L"].as_f64().unwrap().to_bits(),
            "{at}: L {} vs {}",
            s.length,
            n["L"]
        );
        assert_eq!(s.nseg as u64, n["nseg"].as_u64().unwrap(), "{at}: nseg");
        assert_eq!(
            s.ra.to_bits(),
            n["Ra"].as_f64().unwrap().to_bits(),
            "{at}: Ra"
        );
        all_equal(&format!("{at}: diam"), s.diam, &values(&n["diam"]));
        all_equal(&format!("{at}: cm"), s.cm, &values(&n["cm"]));
        match s.parent {
            None => assert!(n["parent"].is_null(), "{at}: NEURON has a parent"),
            Some((p, x)) => {
                assert_eq!(n["parent"], cell.sections[p].name.as_str(), "{at}: parent");
                assert_eq!(n["parent_x"].as_f64(), Some(x), "{at}: parent x");
                assert_eq!(n["child_x"].as_f64(), Some(0.0), "{at}: child end");
            }
        }
        let mechs = n["mechanisms"].as_object().unwrap();
        let mut names: Vec<&str> = s.mechanisms.iter().map(|m| m.mechanism.as_str()).collect();
        names.sort();
        let mut theirs: Vec<&str> = mechs.keys().map(String::as_str).collect();
        theirs.sort();
        assert_eq!(names, theirs, "{at}: mechanisms");
        for m in &s.mechanisms {
            let info = cat.find(&m.mechanism).unwrap();
            for v in info
                .vars
                .iter()
                .filter(|v| v.settable && !v.ion && !v.global)
            {
                let want = m.params.get(&v.name).copied().unwrap_or(v.default);
                let got = values(&mechs[&m.mechanism][&v.name]);
                all_equal(&format!("{at}: {}_{}", v.name, m.mechanism), want, &got);
            }
        }
        for (var, want) in &s.ion_values {
            let got = values(&n["ions"][var]);
            all_equal(&format!("{at}: {var}"), *want, &got);
        }
    }
}

#[test]
fn fixture_cells_match_neuron() {
    check_against(
        &root().join("tests/hoc/cells.hoc"),
        &root().join("tests/golden/hoc/cells.json"),
    );
}

/// Any other file and its dump: `NMC_HOC_CHECK=file.hoc:dump.json` (both
/// written by `reference/make_hoc_cells.py --hoc file.hoc --out dump.json`).
#[test]
fn other_cells_match_neuron() {
    if let Ok(spec) = std::env::var("NMC_HOC_CHECK")
        && let Some((hoc, json)) = spec.split_once(':')
    {
        check_against(Path::new(hoc), Path::new(json));
    }
}

fn check_against(hoc_file: &Path, golden: &Path) {
    let cat = catalogue();
    let golden: Value = serde_json::from_str(&std::fs::read_to_string(golden).unwrap()).unwrap();
    let mut map = SourceMap::new();
    let (file, diags) = hoc::parse_file(&mut map, hoc_file);
    assert!(
        diags.iter().all(|d| !d.is_error()),
        "{}",
        diag::render_human(&map, &diags, false)
    );
    let file = file.unwrap();
    let golden = golden.as_object().unwrap();
    assert_eq!(file.template_names().len(), golden.len());
    for (name, neuron) in golden {
        match file.instantiate(&map, name, &cat) {
            Ok((cell, _warnings)) => compare(name, &cell, neuron.as_array().unwrap(), &cat),
            Err(e) => panic!("{name}: {}", diag::render_human(&map, &e, false)),
        }
    }
}

#[test]
fn malformed_templates_are_diagnosed() {
    let cat = catalogue();
    insta::glob!("hoc/errors", "*.hoc", |path| {
        let mut map = SourceMap::new();
        let name = relative(path);
        let (file, mut diags) = hoc::parse_file(&mut map, Path::new(&name));
        if let Some(file) = file {
            for t in file.template_names() {
                if file.failed.iter().any(|f| f.name.name == t) {
                    continue;
                }
                match file.instantiate(&map, &t, &cat) {
                    Ok((_, w)) => diags.extend(w),
                    Err(e) => diags.extend(e),
                }
            }
        }
        diag::sort(&mut diags);
        assert!(
            !diags.is_empty(),
            "{name}: expected at least one diagnostic"
        );
        for d in &diags {
            assert!(d.primary_span().is_some(), "{name}: {} has no span", d.code);
            assert!(d.help.is_some(), "{name}: {} has no help line", d.code);
        }
        let text = diag::render_human(&map, &diags, false);
        insta::with_settings!({snapshot_path => "golden/hoc", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(text);
        });
    });
}
