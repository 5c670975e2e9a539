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

/// Runs `cell` alone under the manifest `setup`'s somatic current clamp
/// (IClamp `iclamp` at `soma[0]`(0.5), the spike site there), recording
/// the voltage at each of `records` (`key`, `section`, `x`), and asserts
/// that the times, every trace and the spike times equal NEURON's in
/// `file` bit for bit.
pub fn check_clamped_cell(
    name: &str,
    mut cell: nmc::net::Cell,
    setup: &Value,
    records: &[Value],
    file: &Path,
) {
    use nmc::net::{Location, Network, PointProcess, Record, RunSettings, Variable};
    let index = |n: &str| {
        cell.sections
            .iter()
            .position(|s| s.name == n)
            .unwrap_or_else(|| panic!("{name}: no section {n}"))
    };
    let soma = Location {
        section: index("soma[0]"),
        x: 0.5,
    };
    let locations: Vec<Location> = records
        .iter()
        .map(|r| Location {
            section: index(r["section"].as_str().expect("section")),
            x: num(&r["x"]),
        })
        .collect();
    let clamp = &setup["iclamp"];
    let params: BTreeMap<String, f64> = [
        ("del", num(&clamp["delay"])),
        ("dur", num(&clamp["dur"])),
        ("amp", num(&clamp["amp"])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    cell.point_processes.push(PointProcess {
        mechanism: "IClamp".into(),
        location: soma,
        params: params.into(),
    });
    cell.spike_site = soma;
    let mut net = Network {
        cells: vec![cell],
        run: RunSettings {
            tstart: 0.0,
            tstop: num(&setup["tstop"]),
            dt: num(&setup["dt"]),
            celsius: num(&setup["celsius"]),
            v_init: num(&setup["v_init"]),
            spike_threshold: num(&setup["threshold"]),
        },
        ..Network::default()
    };
    for (r, &location) in records.iter().zip(&locations) {
        net.records.push(Record {
            report: r["key"].as_str().expect("key").into(),
            cell: 0,
            location,
            variable: Variable::Voltage,
        });
    }
    let mut sim = nmc::sim::Simulation::new(&net, builtins_library()).expect("the cell builds");
    let res = sim.run(&mut |_| {});
    assert!(res.error.is_none(), "{:?}", res.error);
    same_bits(&format!("{name}: t"), &res.times, &read(file, "t"));
    for (trace, r) in res.traces.iter().zip(records) {
        let key = r["key"].as_str().expect("key");
        same_bits(&format!("{name}: {key}"), trace, &read(file, key));
    }
    let spikes: Vec<f64> = res.spikes.iter().map(|s| s.1).collect();
    let want = read(file, "spikes");
    assert!(!want.is_empty(), "{name}: NEURON's run has spikes");
    same_bits(&format!("{name}: spikes"), &spikes, &want);
}

/// A network of one cylinder `cyl` (length `L`, `diam`, `nseg` of
/// `settings`; cm 1, Ra 35.4) with `mechanism` inserted, run as
/// `settings` says (`tstop`, `dt`, `celsius`, `v_init`), recording
/// `records` (at its middle, `here`).
pub fn one_cylinder(
    mechanism: &str,
    settings: &Value,
    records: Vec<nmc::net::Record>,
) -> nmc::net::Network {
    use nmc::net::{Cell, Network, RunSettings};
    let s = settings;
    Network {
        cells: vec![Cell {
            gid: 0,
            population: "cell".into(),
            sections: vec![Section {
                name: "cyl".into(),
                length: num(&s["L"]),
                diam: num(&s["diam"]),
                nseg: s["nseg"].as_u64().expect("nseg") as usize,
                cm: 1.0,
                ra: 35.4,
                parent: None,
                mechanisms: vec![Insert {
                    mechanism: mechanism.into(),
                    params: BTreeMap::new(),
                }],
                ion_values: BTreeMap::new(),
                pt3d: Vec::new(),
            }],
            point_processes: Vec::new(),
            spike_site: HERE,
        }],
        run: RunSettings {
            tstart: 0.0,
            tstop: num(&s["tstop"]),
            dt: num(&s["dt"]),
            celsius: num(&s["celsius"]),
            v_init: num(&s["v_init"]),
            spike_threshold: 10.0,
        },
        records,
        ..Network::default()
    }
}

/// The middle of [`one_cylinder`]'s cell.
pub const HERE: nmc::net::Location = nmc::net::Location { section: 0, x: 0.5 };
