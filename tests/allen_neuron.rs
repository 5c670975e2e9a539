//! Allen perisomatic cells against BMTK 1.2.0 + NEURON 9.0.2
//! (`tests/golden/allen/`, written by `reference/make_allen_traces.py`):
//! the project's synthetic SWC cells built as `ctdb:Biophys1.hoc` +
//! `aibs_perisomatic` with the project's fit file (hh and pas), nseg by
//! BMTK's dL rule. The sections (BMTK's `all` order, parents, connection
//! points, mechanisms, Ra, cm, ena/ek), the axon stub's 3-d points, every
//! section's arc lengths, L, and per segment area, diam and ri must be
//! NEURON's bit for bit, and so must a current clamp's voltage traces and
//! spike times in exact math.

mod common;
use common::golden::{check_clamped_cell, num, read, same_bits};

use std::path::PathBuf;
use std::sync::OnceLock;

use nmc::diag::SourceMap;
use nmc::morph::allen::{AllenCell, perisomatic};
use nmc::net::geometry::{pt3d_arcs, segment_geometry};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn manifest() -> &'static Value {
    static M: OnceLock<Value> = OnceLock::new();
    M.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("tests/golden/allen/manifest.json"))
            .expect("tests/golden/allen/manifest.json");
        serde_json::from_str(&text).expect("manifest parses")
    })
}

/// The cell as nmc builds it, nseg by BMTK's dL rule.
fn build(entry: &Value) -> AllenCell {
    let mut map = SourceMap::new();
    let morph = nmc::morph::read_swc(&mut map, &root().join(entry["swc"].as_str().expect("swc")))
        .unwrap_or_else(|d| panic!("{d:?}"));
    let fit_path = root().join(manifest()["fit"].as_str().expect("fit"));
    let fit: Value =
        serde_json::from_str(&std::fs::read_to_string(fit_path).expect("fit")).expect("fit json");
    let mut cell = perisomatic(&morph, &fit).unwrap_or_else(|e| panic!("{e}"));
    let dl = num(&manifest()["setup"]["dL"]);
    for s in &mut cell.cell.sections {
        s.nseg = 1 + 2 * (s.length / (2.0 * dl)).trunc() as usize;
    }
    cell
}

fn check(name: &str) {
    let entry = manifest()["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no cell {name}"));
    let file = root()
        .join("tests/golden/allen")
        .join(entry["file"].as_str().expect("file"));
    let built = build(entry);
    let secs = &built.cell.sections;
    let want = entry["sections"].as_array().expect("sections");
    let names: Vec<&str> = built.all.iter().map(|&k| secs[k].name.as_str()).collect();
    let want_names: Vec<&str> = want
        .iter()
        .map(|w| w["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, want_names, "{name}: the `all` list");
    for (&k, w) in built.all.iter().zip(want) {
        let s = &secs[k];
        let at = |d: &str| format!("sections/{}/{d}", s.name);
        let parent = s.parent.map(|(p, x)| (secs[p].name.as_str(), x));
        let want_parent = w["parent"].as_str().map(|p| (p, num(&w["parent_x"])));
        assert_eq!(parent, want_parent, "{name}: parent of {}", s.name);
        assert_eq!(
            s.nseg as u64,
            w["nseg"].as_u64().expect("nseg"),
            "{name}: nseg of {}",
            s.name
        );
        same_bits(
            &format!("{name}: Ra, cm of {}", s.name),
            &[s.ra, s.cm],
            &[num(&w["Ra"]), num(&w["cm"])],
        );
        let mut mechs: Vec<&str> = s.mechanisms.iter().map(|m| m.mechanism.as_str()).collect();
        mechs.sort();
        let want_mechs: Vec<&str> = w["mechanisms"]
            .as_array()
            .expect("mechanisms")
            .iter()
            .map(|m| m.as_str().expect("mech"))
            .collect();
        assert_eq!(mechs, want_mechs, "{name}: mechanisms of {}", s.name);
        // Where the fit sets no reversal potential, NEURON's defaults.
        for (ion, default) in [("ena", 50.0), ("ek", -77.0)] {
            if let Some(v) = w[ion].as_f64() {
                let ours = s.ion_values.get(ion).copied().unwrap_or(default);
                assert_eq!(ours, v, "{name}: {ion} of {}", s.name);
            }
        }
        let mut arcs = pt3d_arcs(&s.pt3d);
        if let Some(l) = arcs.last_mut() {
            *l = s.length;
        }
        same_bits(
            &format!("{name}: arc3d of {}", s.name),
            &arcs,
            &read(&file, &at("arc3d")),
        );
        if s.name.starts_with("axon") {
            let pts: Vec<f64> = s.pt3d.iter().flatten().map(|&v| f64::from(v)).collect();
            same_bits(
                &format!("{name}: 3-d points of {}", s.name),
                &pts,
                &read(&file, &at("pt3d")),
            );
        }
        same_bits(
            &format!("{name}: L of {}", s.name),
            &[s.length],
            &read(&file, &at("L")),
        );
        let g = segment_geometry(s);
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
    }

    // The current clamp.
    let records = entry["records"].as_array().expect("records");
    check_clamped_cell(
        name,
        built.cell.clone(),
        &manifest()["setup"],
        records,
        &file,
    );
}

#[test]
fn point_soma() {
    check("point_soma");
}

#[test]
fn three_point_soma() {
    check("three_point_soma");
}

#[test]
fn contour_soma() {
    check("contour_soma");
}
