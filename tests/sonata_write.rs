//! `nmc build`'s SONATA writer: a circuit written with
//! `sonata::write::write_circuit` and read back with nmc's own SONATA
//! reader gives the same circuit, field by field; the written folder loads
//! as a runnable network; write errors name the path.

mod common;
use common::repo;

use nmc::diag::SourceMap;
use nmc::driver::sonata::{Options, load};
use nmc::net::circuit::{
    Attribute, Circuit, Edge, EdgePopulation, EdgeType, Edges, InputSpikes, Node, NodePopulation,
    NodeType,
};
use nmc::net::{RunSettings, Source};
use nmc::sonata::write::{ReportConfig, SimulationSettings, write_circuit};
use nmc::sonata::{config, edges, inputs, nodes};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nmc_sonata_write_{}_{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn node_type(id: u64, pop: &str, tmpl: Option<&str>) -> NodeType {
    NodeType {
        node_type_id: id,
        pop_name: pop.into(),
        model_type: if tmpl.is_some() {
            "biophysical"
        } else {
            "virtual"
        }
        .into(),
        model_template: tmpl.map(str::to_string),
        extra: BTreeMap::new(),
    }
}

/// A small circuit with every kind of value the writer handles: two node
/// types with positions, numeric and text attributes, a virtual
/// population, constant and per-edge weights, an edge population not in
/// target order, synapses off the soma centre, an input and node sets.
fn circuit() -> Circuit {
    let mut net = NodePopulation {
        name: "network".into(),
        is_virtual: false,
        node_types: vec![
            node_type(100, "PV", Some("hoc:WBInhCell")),
            node_type(101, "Exc", Some("hoc:RTMExcCell")),
        ],
        nodes: Vec::new(),
    };
    net.node_types[1]
        .extra
        .insert("morphology".into(), "blank.swc".into());
    for k in 0..6u64 {
        let mut attributes = BTreeMap::new();
        attributes.insert("tuning".into(), Attribute::Number(k as f64 * 0.25 - 0.1));
        attributes.insert("label".into(), Attribute::Text(format!("cell {k}")));
        net.nodes.push(Node {
            node_id: k,
            node_type_id: if k < 2 { 100 } else { 101 },
            position: Some([k as f64, 2.0 * k as f64 + 0.5, -(k as f64)]),
            attributes,
        });
    }
    let ext = NodePopulation {
        name: "extnet".into(),
        is_virtual: true,
        node_types: vec![node_type(100, "bgnoise", None)],
        nodes: (0..3)
            .map(|k| Node {
                node_id: k,
                node_type_id: 100,
                ..Node::default()
            })
            .collect(),
    };
    let edge = |source, target, edge_type_id, syn_weight| Edge {
        source,
        target,
        edge_type_id,
        syn_weight,
        delay: None,
        sec_id: 0,
        sec_x: 0.5,
        nsyns: 1,
    };
    let recurrent = EdgePopulation {
        name: "network_to_network".into(),
        source_population: "network".into(),
        target_population: "network".into(),
        edge_types: vec![
            EdgeType {
                edge_type_id: 100,
                source_query: "pop_name=='Exc'".into(),
                target_query: "pop_name=='PV'".into(),
                model_template: "exp2syn".into(),
                dynamics_params: "Exc2PV.json".into(),
                syn_weight: Some(0.0020833333333333333),
                delay: Some(0.5),
                target_sections: vec!["soma".into()],
                distance_range: Some([0.0, 999.9]),
            },
            EdgeType {
                edge_type_id: 101,
                source_query: "pop_name=='PV'".into(),
                target_query: "pop_name=='Exc'".into(),
                model_template: "Exp2Syn_STP".into(),
                dynamics_params: "PV2Exc.json".into(),
                syn_weight: None,
                delay: Some(0.75),
                target_sections: vec!["soma".into()],
                distance_range: None,
            },
        ],
        edges: vec![
            edge(2, 0, 100, None),
            edge(3, 0, 100, None),
            edge(4, 1, 100, None),
            edge(0, 2, 101, Some(0.025)),
            edge(1, 2, 101, Some(0.0125)),
            edge(0, 5, 101, Some(1.0 / 3.0)),
        ]
        .into(),
    };
    let mut background = EdgePopulation {
        name: "extnet_to_network".into(),
        source_population: "extnet".into(),
        target_population: "network".into(),
        edge_types: vec![EdgeType {
            edge_type_id: 100,
            source_query: "pop_name=='bgnoise'".into(),
            target_query: "pop_name=='Exc'".into(),
            model_template: "exp2syn".into(),
            dynamics_params: "background_syn.json".into(),
            syn_weight: Some(0.03),
            delay: None,
            target_sections: vec!["soma".into()],
            distance_range: Some([0.0, 999.9]),
        }],
        edges: Edges::new(),
    };
    for (s, t) in [(0u64, 3u64), (1, 4), (2, 5)] {
        let mut e = edge(s, t, 100, None);
        e.delay = Some(0.5 + s as f64 * 0.1);
        e.sec_x = 0.25;
        background.edges.push(e);
    }
    let mut cell_templates = BTreeMap::new();
    for name in ["WBInhCell", "RTMExcCell"] {
        let text = std::fs::read_to_string(repo(&format!("components/templates/{name}.ndl")))
            .expect("template");
        cell_templates.insert(name.to_string(), text);
    }
    let params = |v: serde_json::Value| v.as_object().cloned().expect("object");
    let mut synapse_params = BTreeMap::new();
    synapse_params.insert(
        "Exc2PV.json".into(),
        params(json!({"tau1": 0.5, "tau2": 3.0, "erev": 0.0})),
    );
    synapse_params.insert(
        "PV2Exc.json".into(),
        params(
            json!({"level_of_detail": "Exp2Syn_STP", "initW": 1.0, "e": -90.0, "tau1": 0.5,
                      "tau2": 9.0, "Use": 0.42, "Dep": 125.0, "Fac": 800.0}),
        ),
    );
    synapse_params.insert(
        "background_syn.json".into(),
        params(json!({"tau1": 0.5, "tau2": 3.0, "erev": 0.0})),
    );
    let mut node_sets = BTreeMap::new();
    node_sets.insert("pv".to_string(), json!({"pop_name": "PV"}));
    Circuit {
        node_populations: vec![net, ext],
        edge_populations: vec![recurrent, background],
        cell_templates,
        synapse_params,
        mechanisms_dir: Some(repo("models")),
        node_sets,
        inputs: vec![InputSpikes {
            name: "noise".into(),
            population: "extnet".into(),
            spikes: vec![(1, 2.5), (0, 3.0), (2, 3.0), (0, 17.125)],
        }],
        ..Circuit::default()
    }
}

fn settings() -> SimulationSettings {
    SimulationSettings {
        run: RunSettings {
            tstart: 0.0,
            tstop: 50.0,
            dt: 0.1,
            celsius: 34.0,
            v_init: -75.0,
            spike_threshold: -15.0,
        },
        reports: vec![ReportConfig {
            name: "soma_v".into(),
            cells: json!({"population": "network", "node_id": [0, 3]}),
            variable: "v".into(),
            sections: "soma".into(),
        }],
        ..SimulationSettings::default()
    }
}

#[test]
fn written_circuit_reads_back_field_by_field() {
    let dir = scratch("roundtrip");
    let c = circuit();
    let sim = settings();
    let written = write_circuit(&dir, &c, &sim).expect("write");
    for f in [
        "network/network_nodes.h5",
        "network/network_node_types.csv",
        "network/extnet_nodes.h5",
        "network/network_network_edges.h5",
        "network/extnet_network_edge_types.csv",
        "input/noise.h5",
        "components/templates/WBInhCell.ndl",
        "components/synaptic_models/PV2Exc.json",
        "node_sets.json",
        "circuit_config.json",
        "simulation_config.json",
    ] {
        assert!(written.files.contains(&PathBuf::from(f)), "{f} not listed");
        assert!(dir.join(f).is_file(), "{f} not written");
    }

    // Configs.
    let cfg = config::load(&dir.join("simulation_config.json")).expect("config");
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    assert_eq!(
        (
            cfg.tstart,
            cfg.tstop,
            cfg.dt,
            cfg.celsius,
            cfg.v_init,
            cfg.spike_threshold
        ),
        (0.0, 50.0, 0.1, 34.0, -75.0, -15.0)
    );
    assert_eq!(cfg.spikes_file, "spikes.h5");
    assert_eq!(
        cfg.output_dir,
        std::path::absolute(&dir).unwrap().join("output")
    );
    let abs = |p: &Option<PathBuf>| {
        p.as_ref()
            .map(|p| std::fs::canonicalize(p).expect("exists"))
    };
    assert_eq!(
        abs(&cfg.circuit.mechanisms_dir),
        Some(std::fs::canonicalize(repo("models")).unwrap())
    );
    assert!(
        cfg.circuit
            .templates_dir
            .as_ref()
            .is_some_and(|d| d.join("RTMExcCell.ndl").is_file())
    );
    assert_eq!(cfg.node_sets.get("pv"), Some(&json!({"pop_name": "PV"})));
    assert_eq!(
        cfg.node_sets.get("extnet"),
        Some(&json!({"population": "extnet"}))
    );
    assert_eq!(
        cfg.node_sets.get("soma_v_cells"),
        Some(&json!({"population": "network", "node_id": [0, 3]}))
    );
    assert_eq!(cfg.inputs.len(), 1);
    assert_eq!(cfg.inputs[0].name, "noise");
    assert_eq!(cfg.inputs[0].node_set.as_deref(), Some("extnet"));
    assert_eq!((cfg.circuit.nodes.len(), cfg.circuit.edges.len()), (2, 2));

    // Nodes.
    for (pop, (f, t)) in c.node_populations.iter().zip(&cfg.circuit.nodes) {
        let read = nodes::read_nodes(f, t).expect("nodes");
        assert_eq!(read.len(), 1);
        let r = &read[0];
        assert_eq!(r.name, pop.name);
        assert_eq!(r.is_virtual(), pop.is_virtual);
        let ids: Vec<u64> = pop.nodes.iter().map(|n| n.node_id).collect();
        let types: Vec<i64> = pop.nodes.iter().map(|n| n.node_type_id as i64).collect();
        assert_eq!(r.node_ids, ids);
        assert_eq!(r.type_ids, types);
        for nt in &pop.node_types {
            let id = nt.node_type_id as i64;
            assert_eq!(r.types.get(id, "pop_name"), Some(nt.pop_name.as_str()));
            assert_eq!(r.types.get(id, "model_type"), Some(nt.model_type.as_str()));
            assert_eq!(
                r.types.get(id, "model_template"),
                nt.model_template.as_deref()
            );
            for (k, v) in &nt.extra {
                assert_eq!(r.types.get(id, k), Some(v.as_str()));
            }
        }
        for (k, n) in pop.nodes.iter().enumerate() {
            assert_eq!(
                r.positions.get(k).copied().flatten(),
                n.position,
                "position {k}"
            );
            for (name, a) in &n.attributes {
                match a {
                    Attribute::Number(x) => assert_eq!(r.columns[name][k], *x),
                    Attribute::Text(s) => assert_eq!(r.texts[name][k].as_deref(), Some(s.as_str())),
                }
            }
        }
    }
    // Node type 101 has a morphology, type 100 none (NULL in the CSV).
    let (f, t) = &cfg.circuit.nodes[0];
    let r = &nodes::read_nodes(f, t).unwrap()[0];
    assert_eq!(r.types.get(100, "morphology"), None);

    // Edges.
    for (pop, (f, t)) in c.edge_populations.iter().zip(&cfg.circuit.edges) {
        let read = edges::read_edges(f, t).expect("edges");
        assert_eq!(read.len(), 1);
        let r = &read[0];
        assert_eq!(r.name, pop.name);
        assert_eq!(r.source_population, pop.source_population);
        assert_eq!(r.target_population, pop.target_population);
        assert_eq!(r.len(), pop.edges.len());
        for (k, e) in pop.edges.iter().enumerate() {
            let ty = pop
                .edge_types
                .iter()
                .find(|t| t.edge_type_id == e.edge_type_id)
                .unwrap();
            assert_eq!((r.source[k], r.target[k]), (e.source, e.target));
            assert_eq!(r.type_ids[k], e.edge_type_id as i64);
            assert_eq!(
                r.number(k, "syn_weight"),
                Ok(e.syn_weight.or(ty.syn_weight))
            );
            assert_eq!(r.number(k, "delay"), Ok(e.delay.or(ty.delay)));
            assert_eq!(r.number(k, "nsyns"), Ok(Some(e.nsyns as f64)));
            assert_eq!(
                r.text(k, "model_template"),
                Some(ty.model_template.as_str())
            );
            assert_eq!(
                r.text(k, "dynamics_params"),
                Some(ty.dynamics_params.as_str())
            );
            assert_eq!(r.text(k, "source_query"), Some(ty.source_query.as_str()));
            assert_eq!(r.text(k, "target_query"), Some(ty.target_query.as_str()));
            assert_eq!(r.text(k, "target_sections"), Some("['soma']"));
            assert_eq!(
                r.text(k, "distance_range"),
                // Without a range of its own, the whole cell (BMTK places
                // synapses only within one).
                Some(format!("{:?}", ty.distance_range.unwrap_or([0.0, 1e20])).as_str())
            );
        }
    }
    // Synapses at soma(0.5) need no site columns; the background ones sit at 0.25.
    let (f, t) = &cfg.circuit.edges[0];
    assert!(
        !edges::read_edges(f, t).unwrap()[0]
            .columns
            .contains_key("sec_x")
    );
    let (f, t) = &cfg.circuit.edges[1];
    let bg = &edges::read_edges(f, t).unwrap()[0];
    assert_eq!(bg.columns["sec_x"], vec![0.25; 3]);
    assert_eq!(bg.columns["sec_id"], vec![0.0; 3]);

    // Inputs.
    let spikes = inputs::read_spike_input(&dir.join("input/noise.h5")).expect("input");
    let ext = &spikes["extnet"];
    assert_eq!(ext[&0], vec![3.0, 17.125]);
    assert_eq!(ext[&1], vec![2.5]);
    assert_eq!(ext[&2], vec![3.0]);

    // Components.
    for (name, text) in &c.cell_templates {
        let got = std::fs::read_to_string(dir.join(format!("components/templates/{name}.ndl")));
        assert_eq!(got.as_deref().ok(), Some(text.as_str()));
    }
    for (name, params) in &c.synapse_params {
        let got: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("components/synaptic_models").join(name)).unwrap(),
        )
        .unwrap();
        assert_eq!(got.as_object(), Some(params));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn written_circuit_loads_as_the_network_it_describes() {
    let dir = scratch("load");
    let c = circuit();
    write_circuit(&dir, &c, &settings()).expect("write");
    let mut map = SourceMap::new();
    let loaded = load(
        &mut map,
        &dir.join("simulation_config.json"),
        &Options::default(),
    )
    .unwrap_or_else(|d| panic!("{d:?}"));
    let net = &loaded.network;
    assert_eq!(net.cells.len(), 6);
    assert_eq!(net.connections.len(), 9);
    assert_eq!(net.run.tstop, 50.0);
    // Recurrent edges first, target by target in edge order.
    let w: Vec<f64> = net.connections.iter().map(|k| k.weight).collect();
    assert_eq!(
        w,
        vec![
            0.0020833333333333333,
            0.0020833333333333333,
            0.0020833333333333333,
            0.025,
            0.0125,
            1.0 / 3.0,
            0.03,
            0.03,
            0.03
        ]
    );
    let d: Vec<f64> = net.connections.iter().map(|k| k.delay).collect();
    assert_eq!(d, vec![0.5, 0.5, 0.5, 0.75, 0.75, 0.75, 0.5, 0.6, 0.7]);
    // The STP synapse keeps its JSON parameters; exp2syn's erev becomes e.
    let stp = &net.cells[2].point_processes[0];
    assert_eq!(&*stp.mechanism, "Exp2Syn_STP");
    assert_eq!(stp.params.get("Use"), Some(&0.42));
    assert_eq!(&*net.cells[0].point_processes[0].mechanism, "Exp2Syn");
    assert_eq!(net.cells[0].point_processes[0].params.get("e"), Some(&0.0));
    assert_eq!(net.cells[3].point_processes[0].location.x, 0.25);
    // Background: extnet node k feeds its train.
    let last = net.connections.get(8).expect("9 connections");
    let Source::Train(t) = last.source else {
        panic!("background source is not a train")
    };
    assert_eq!(net.trains[t].times, vec![3.0]);
    assert_eq!(net.trains[t].gid, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The HDF5 linked into nmc (built from source, statically) has its gzip
/// filter: the writer's datasets of numbers are chunked, shuffled and
/// deflated at level 1, and read back with the values written.
#[test]
fn written_datasets_are_gzip_chunked_and_read_back() {
    use hdf5_metno as hdf5;
    assert!(
        hdf5::filters::deflate_available(),
        "HDF5 built without zlib"
    );
    let dir = scratch("gzip");
    write_circuit(&dir, &circuit(), &settings()).expect("write");
    let file = hdf5::File::open(dir.join("network/network_network_edges.h5")).expect("open");
    let pop = file
        .group("edges/network_to_network")
        .expect("edge population");
    let targets = pop.dataset("target_node_id").expect("target_node_id");
    assert_eq!(
        targets.filters(),
        vec![
            hdf5::filters::Filter::Shuffle,
            hdf5::filters::Filter::Deflate(1)
        ]
    );
    assert!(targets.is_chunked());
    let mut read: Vec<u64> = targets.read_raw().expect("read");
    read.sort_unstable();
    assert_eq!(read, vec![0, 0, 1, 2, 2, 5]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unwritable_folder_and_bad_rows_are_diagnosed() {
    let blocker = scratch("blocked");
    std::fs::write(&blocker, "a file, not a folder").unwrap();
    let err = write_circuit(&blocker.join("out"), &circuit(), &settings()).unwrap_err();
    assert_eq!(err.code, "E1505");
    assert!(err.message.contains("blocked"), "{}", err.message);
    let _ = std::fs::remove_file(&blocker);

    let dir = scratch("badrow");
    let mut c = circuit();
    let edges = &mut c.edge_populations[0].edges;
    *edges = edges
        .iter()
        .enumerate()
        .map(|(k, mut e)| {
            if k == 4 {
                e.target = 6;
            }
            e
        })
        .collect();
    let err = write_circuit(&dir, &c, &settings()).unwrap_err();
    assert_eq!(err.code, "E1506");
    assert!(
        err.message.contains("network_to_network")
            && err.message.contains("row 4")
            && err.message.contains("target node 6"),
        "{}",
        err.message
    );
    let mut c = circuit();
    c.edge_populations[1].edge_types[0].syn_weight = None;
    let err = write_circuit(&dir, &c, &settings()).unwrap_err();
    assert!(
        err.message.contains("row 0") && err.message.contains("syn_weight"),
        "{}",
        err.message
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_of_a_written_circuit_writes_spikes_reports_and_a_log() {
    let dir = scratch("run");
    write_circuit(&dir, &circuit(), &settings()).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nmc"))
        .arg("run")
        .arg(dir.join("simulation_config.json"))
        .output()
        .expect("nmc runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("population") && stdout.contains("Exc"),
        "{stdout}"
    );
    let spikes = nmc::sonata::spikes::read(&dir.join("output/spikes.h5")).expect("spikes");
    assert!(
        spikes
            .iter()
            .all(|(pop, id, t)| pop == "network" && *id < 6 && *t <= 50.0)
    );
    // The report: cells 0 and 3 of `network`, one soma element each, one
    // sample after each of the 500 steps (as BMTK records).
    let h5 = hdf5_metno::File::open(dir.join("output/soma_v.h5")).expect("report");
    let data = h5.dataset("report/network/data").expect("data");
    assert_eq!(data.shape(), vec![500, 2]);
    let ids: Vec<u64> = h5
        .dataset("report/network/mapping/node_ids")
        .and_then(|d| d.read_raw())
        .expect("node ids");
    assert_eq!(ids, vec![0, 3]);
    // float64; the first row is one step after v_init = -75 mV.
    let v: Vec<f64> = data.read_raw().expect("values");
    assert!(v[0] != -75.0 && (v[0] + 75.0).abs() < 1.0, "{}", v[0]);
    let log = std::fs::read_to_string(dir.join("output/log.txt")).expect("log");
    for want in [
        "network: 6 cells",
        "9 connections",
        "3 input trains with 4 spikes",
        "simulate",
        "Exc",
        "soma_v.h5",
    ] {
        assert!(log.contains(want), "log lacks `{want}`:\n{log}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
