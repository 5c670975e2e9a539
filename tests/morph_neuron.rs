//! SWC morphologies against NEURON 9.0.2 (`tests/golden/morph/`, written
//! by `reference/make_morph_traces.py` from the project's synthetic cells
//! in `tests/morph/`): the sections Import3d makes (names, creation order,
//! parents and connection points), their 3-d points, lengths, and per
//! segment area, diameter and axial resistance, all bit for bit; then a
//! current clamp on each cell with hh and pas, whose voltage traces at
//! five places and spike times must be NEURON's bit for bit in exact math.

mod common;
use common::golden::{check_clamped_cell, num, read, same_bits};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use nmc::diag::SourceMap;
use nmc::net::{Cell, Insert, Location, Section};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn manifest() -> &'static Value {
    static M: OnceLock<Value> = OnceLock::new();
    M.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("tests/golden/morph/manifest.json"))
            .expect("tests/golden/morph/manifest.json");
        serde_json::from_str(&text).expect("manifest parses")
    })
}

fn cell_entry(name: &str) -> &'static Value {
    manifest()["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no cell {name} in the manifest"))
}

fn h5(entry: &Value) -> PathBuf {
    root()
        .join("tests/golden/morph")
        .join(entry["file"].as_str().expect("file"))
}

/// The kind of a section name (`dend[3]` -> `dend`).
fn kind(name: &str) -> &str {
    name.split('[').next().unwrap_or(name)
}

/// The cell's sections as nmc reads the SWC file, with the manifest's
/// biophysics: nseg by the length rule, Ra, cm, pas and hh.
fn sections(entry: &Value) -> Vec<Section> {
    let setup = &manifest()["setup"];
    let mut map = SourceMap::new();
    let path = root().join(entry["swc"].as_str().expect("swc"));
    let morph = nmc::morph::read_swc(&mut map, &path).unwrap_or_else(|d| panic!("{d:?}"));
    let (mut secs, _) = morph.to_sections();
    let seg_length = num(&setup["seg_length"]);
    let hh_in: Vec<&str> = setup["hh_in"]
        .as_array()
        .expect("hh_in")
        .iter()
        .map(|v| v.as_str().expect("kind"))
        .collect();
    for s in &mut secs {
        s.nseg = 1 + 2 * (s.length / seg_length) as usize;
        s.ra = num(&setup["Ra"]);
        s.cm = num(&setup["cm"][kind(&s.name)]);
        let pas: BTreeMap<String, f64> = setup["pas"]
            .as_object()
            .expect("pas")
            .iter()
            .map(|(k, v)| (k.trim_end_matches("_pas").to_string(), num(v)))
            .collect();
        s.mechanisms.push(Insert {
            mechanism: "pas".into(),
            params: pas,
        });
        if hh_in.contains(&kind(&s.name)) {
            s.mechanisms.push(Insert {
                mechanism: "hh".into(),
                params: BTreeMap::new(),
            });
        }
    }
    secs
}

/// Sections, parents, connection points and 3-d points as NEURON's
/// Import3d makes them.
fn check_sections(name: &str) {
    let entry = cell_entry(name);
    let mut map = SourceMap::new();
    let path = root().join(entry["swc"].as_str().expect("swc"));
    let morph = nmc::morph::read_swc(&mut map, &path).unwrap_or_else(|d| panic!("{d:?}"));
    let want = entry["sections"].as_array().expect("sections");
    let names: Vec<&str> = morph.sections.iter().map(|s| s.name.as_str()).collect();
    let want_names: Vec<&str> = want
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, want_names, "{name}: sections in creation order");
    let file = h5(entry);
    for (s, w) in morph.sections.iter().zip(want) {
        let parent = s.parent.map(|(p, x)| (morph.sections[p].name.as_str(), x));
        let want_parent = w["parent"].as_str().map(|p| (p, num(&w["parent_x"])));
        assert_eq!(parent, want_parent, "{name}: parent of {}", s.name);
        let pts: Vec<f64> = s.pt3d.iter().flatten().map(|&v| f64::from(v)).collect();
        let want_pts = read(&file, &format!("sections/{}/pt3d", s.name));
        same_bits(
            &format!("{name}: 3-d points of {}", s.name),
            &pts,
            &want_pts,
        );
    }
}

/// Length, and per segment area, diameter and ri, bit for bit.
fn check_geometry(name: &str) {
    let entry = cell_entry(name);
    let file = h5(entry);
    let secs = sections(entry);
    let mut segments = 0;
    for s in &secs {
        let at = |d: &str| format!("sections/{}/{d}", s.name);
        same_bits(
            &format!("{name}: L of {}", s.name),
            &[s.length],
            &read(&file, &at("L")),
        );
        let g = nmc::net::geometry::segment_geometry(s);
        same_bits(
            &format!("{name}: area of {}", s.name),
            &g.area,
            &read(&file, &at("area")),
        );
        same_bits(
            &format!("{name}: diam of {}", s.name),
            &g.diam,
            &read(&file, &at("diam")),
        );
        let ri: Vec<f64> = g.rinv.iter().map(|r| 1.0 / r).collect();
        same_bits(
            &format!("{name}: ri of {}", s.name),
            &ri,
            &read(&file, &at("ri")),
        );
        segments += s.nseg;
    }
    assert_eq!(
        segments as u64,
        entry["segments"].as_u64().expect("segments")
    );
}

/// The current-clamp run: traces and spikes bit for bit.
fn check_run(name: &str) {
    let entry = cell_entry(name);
    let cell = Cell {
        gid: 0,
        population: "cell".into(),
        sections: sections(entry),
        point_processes: Vec::new(),
        spike_site: Location::default(),
    };
    let records = entry["records"].as_array().expect("records");
    check_clamped_cell(name, cell, &manifest()["setup"], records, &h5(entry));
}

fn all_cells() -> Vec<String> {
    let cells: Vec<String> = manifest()["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .map(|c| c["name"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(cells.len(), 3, "three golden cells");
    cells
}

#[test]
fn import3d_sections_are_neurons() {
    for c in all_cells() {
        check_sections(&c);
    }
}

#[test]
fn segment_geometry_is_neurons() {
    for c in all_cells() {
        check_geometry(&c);
    }
}

#[test]
fn current_clamp_is_neurons() {
    for c in all_cells() {
        check_run(&c);
    }
}

#[test]
fn golden_files_exist() {
    for c in all_cells() {
        let e = cell_entry(&c);
        assert!(Path::new(&h5(e)).exists());
    }
}
