//! Reading the NEURON reference data in `tests/golden/neuron/`: manifest
//! values and the sections of an experiment's cell, and datasets of its
//! HDF5 file (schema in `reference/README.md`).

use nmc::net::{Insert, Section};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// A manifest number.
pub fn num(v: &Value) -> f64 {
    v.as_f64().expect("a number")
}

/// A manifest object of numbers (parameters, ion values).
pub fn params(v: &Value) -> BTreeMap<String, f64> {
    v.as_object()
        .map(|o| o.iter().map(|(k, x)| (k.clone(), num(x))).collect())
        .unwrap_or_default()
}

/// Index of the section called `name` in a manifest's section list.
pub fn section_index(secs: &[Value], name: &str) -> usize {
    secs.iter()
        .position(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no section {name}"))
}

/// The sections of a manifest's cell, as `net::Section`s.
pub fn sections(secs: &[Value]) -> Vec<Section> {
    secs.iter()
        .map(|s| Section {
            name: s["name"].as_str().unwrap_or("").to_string(),
            length: num(&s["L"]),
            diam: num(&s["diam"]),
            nseg: s["nseg"].as_u64().expect("nseg") as usize,
            cm: num(&s["cm"]),
            ra: num(&s["Ra"]),
            parent: s["parent"].as_object().map(|p| {
                (
                    section_index(secs, p["section"].as_str().expect("parent")),
                    num(&p["x"]),
                )
            }),
            mechanisms: s["mechanisms"]
                .as_object()
                .expect("mechanisms")
                .iter()
                .map(|(m, p)| Insert {
                    mechanism: m.clone(),
                    params: params(p),
                })
                .collect(),
            ion_values: params(&s["ions"]),
            pt3d: Vec::new(),
        })
        .collect()
}

/// Dataset `name` of the HDF5 file `file`.
pub fn read(file: &Path, name: &str) -> Vec<f64> {
    let f = hdf5_metno::File::open(file).expect("open h5");
    f.dataset(name)
        .and_then(|d| d.read_raw::<f64>())
        .unwrap_or_else(|e| panic!("{}: {name}: {e}", file.display()))
}

/// NEURON's built-in mechanisms (in `BUILTINS` order) compiled in exact
/// math, once per test thread.
pub fn builtins_library() -> &'static nmc::sim::Mechanisms {
    std::thread_local! {
        static LIB: &'static nmc::sim::Mechanisms = Box::leak(Box::new({
            let files: Vec<std::path::PathBuf> = nmc::driver::builtins::BUILTINS
                .iter()
                .map(|b| super::repo("builtins").join(b.file))
                .collect();
            nmc::driver::library::from_files_with(&files, nmc::back::math::MathMode::Exact)
                .expect("builtins compile")
        }));
    }
    LIB.with(|l| *l)
}

/// Asserts that the bits of two arrays are equal, naming the first
/// difference otherwise.
pub fn same_bits(what: &str, ours: &[f64], neuron: &[f64]) {
    assert_eq!(
        ours.len(),
        neuron.len(),
        "{what}: {} values, NEURON has {}",
        ours.len(),
        neuron.len()
    );
    for (k, (a, b)) in ours.iter().zip(neuron).enumerate() {
        assert!(
            a.to_bits() == b.to_bits(),
            "{what}[{k}]: nmc {a:e} NEURON {b:e} (difference {:e})",
            a - b
        );
    }
}
