//! WATCH against NEURON 9.0.2: the experiment of
//! `tests/golden/neuron/watch/manifest.json` (written by
//! `reference/make_watch_traces.py`), an hh soma with a `WatchIF`
//! (`tests/watch/WatchIF.mod`) whose WATCH conditions (an event-fed
//! integrator crossing 1, the voltage crossing a threshold up and down),
//! is rebuilt from the manifest and run in exact math; every trace must be
//! bit-identical to NEURON's.

mod common;
use common::golden::{num, read, same_bits, sections};

use std::collections::BTreeMap;

use nmc::net::{
    Cell, Connection, Location, Network, PointProcess, Record, RunSettings, Source, SpikeTrain,
    Variable,
};
use nmc::sim::Simulation;
use serde_json::{Value, json};

#[test]
fn watch_if_matches_neuron_bit_for_bit() {
    let dir = common::repo("tests/golden/neuron/watch");
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json");
    let e: Value = serde_json::from_str(&text).expect("manifest parses");
    let mut files: Vec<std::path::PathBuf> = nmc::driver::builtins::BUILTINS
        .iter()
        .map(|b| common::repo("builtins").join(b.file))
        .collect();
    files.push(common::repo("tests/watch/WatchIF.mod"));
    let lib = nmc::driver::library::from_files_with(&files, nmc::back::math::MathMode::Exact)
        .expect("mechanisms compile");

    let mut soma = e["soma"].clone();
    soma["name"] = json!("soma");
    soma["parent"] = Value::Null;
    soma["mechanisms"] = json!({"hh": {}});
    soma["ions"] = json!({});
    let at = Location { section: 0, x: 0.5 };
    let mut pps: Vec<PointProcess> = e["iclamps"]
        .as_array()
        .expect("iclamps")
        .iter()
        .map(|c| PointProcess {
            mechanism: "IClamp".into(),
            location: at,
            params: common::golden::params(c).into(),
        })
        .collect();
    let watch_index = pps.len();
    pps.push(PointProcess {
        mechanism: "WatchIF".into(),
        location: at,
        params: common::golden::params(&e["watch_if"]).into(),
    });
    let mut net = Network {
        run: RunSettings {
            tstart: 0.0,
            tstop: num(&e["tstop"]),
            dt: num(&e["dt"]),
            celsius: num(&e["celsius"]),
            v_init: num(&e["v_init"]),
            spike_threshold: -20.0,
        },
        ..Network::default()
    };
    net.cells.push(Cell {
        gid: 0,
        population: "cell".into(),
        sections: sections(&[soma]),
        point_processes: pps,
        spike_site: at,
    });
    net.trains.push(SpikeTrain {
        gid: 1,
        population: "input".into(),
        times: e["events"]["times"]
            .as_array()
            .expect("times")
            .iter()
            .map(num)
            .collect(),
    });
    net.connections.push(Connection {
        source: Source::Train(0),
        target_cell: 0,
        target: watch_index,
        weight: num(&e["events"]["weight"]),
        delay: 0.0,
        threshold: f64::NAN,
    });
    let names: Vec<String> = e["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r.as_str().expect("name").to_string())
        .collect();
    for name in &names {
        let variable = if name == "v" {
            Variable::Voltage
        } else {
            Variable::PointProcess {
                index: watch_index,
                name: name.clone(),
            }
        };
        net.records.push(Record {
            report: name.clone(),
            cell: 0,
            location: at,
            variable,
        });
    }
    let mut sim = Simulation::new(&net, &lib).expect("network builds");
    sim.set_exact(true);
    let res = sim.run(&mut |_| {});
    assert!(res.error.is_none(), "{:?}", res.error);
    let h5 = dir.join(format!("{}.h5", e["name"].as_str().expect("name")));
    same_bits("t", &res.times, &read(&h5, "t"));
    let mut last: BTreeMap<&str, f64> = BTreeMap::new();
    for (name, trace) in names.iter().zip(&res.traces) {
        same_bits(name, trace, &read(&h5, name));
        last.insert(name, *trace.last().expect("samples"));
    }
    // The experiment exercises every WATCH: NEURON's final counts.
    for key in ["nm", "nup", "ndown"] {
        assert_eq!(last[key], num(&e["results"][key]), "{key}");
        assert!(last[key] >= 3.0, "{key}: too few crossings to test");
    }
}
