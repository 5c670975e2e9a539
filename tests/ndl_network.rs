//! NDL networks: the seed network `examples/bmtk_test_net/network.ndl`
//! builds the network of spec sections 1-4 and its SONATA-shaped circuit
//! record lines up with it edge for edge; builds are reproducible.

use nmc::diag::{self, SourceMap};
use nmc::front::ndl;
use nmc::net::Source;
use nmc::net::circuit::Attribute;
use std::path::Path;

fn build(path: &str) -> ndl::Experiment {
    let mut map = SourceMap::new();
    let checked = nmc::driver::ndl::check_file(&mut map, Path::new(path)).0;
    let text = diag::render_human(&map, &checked.diagnostics, false);
    assert!(checked.diagnostics.is_empty(), "{path}:\n{text}");
    checked.experiment.expect("an experiment")
}

const SEED: &str = "examples/bmtk_test_net/network.ndl";

#[test]
fn seed_network_has_the_seed_populations_and_edges() {
    let e = build(SEED);
    let net = &e.network;
    assert_eq!(net.cells.len(), 300);
    assert_eq!(net.trains.len(), 200);
    assert_eq!(net.connections.len(), 85_200);
    // One synapse instance per edge.
    let pps: usize = net.cells.iter().map(|c| c.point_processes.len()).sum();
    assert_eq!(pps, 85_200);
    let pops: Vec<(&str, usize, usize)> = e
        .populations
        .iter()
        .map(|p| (p.name.as_str(), p.first_cell, p.count))
        .collect();
    assert_eq!(pops, [("PV", 0, 50), ("SOM", 50, 50), ("Exc", 100, 200)]);
    assert!(net.cells.iter().all(|c| c.population == "network"));
    // Exc 100 receives 200 Exc + 50 PV + 50 SOM + 1 background synapse.
    assert_eq!(net.cells[100].point_processes.len(), 301);
    // PV 0 receives 200 Exc + 50 PV + 50 SOM.
    assert_eq!(net.cells[0].point_processes.len(), 300);
    // The background: source i reaches Exc i (cell 100 + i), weight 0.03 uS.
    let bg: Vec<_> = net
        .connections
        .iter()
        .filter(|c| matches!(c.source, Source::Train(_)))
        .collect();
    assert_eq!(bg.len(), 200);
    for (i, c) in bg.iter().enumerate() {
        assert_eq!(c.source, Source::Train(i));
        assert_eq!(c.target_cell, 100 + i);
        assert_eq!(c.weight, 0.03);
        assert_eq!(c.delay, 0.5);
    }
    // 60 Hz over 1 s, 200 trains: about 12,000 spikes.
    let n: usize = net.trains.iter().map(|t| t.times.len()).sum();
    assert!((11_000..13_000).contains(&n), "{n} background spikes");
    // SOM -> PV weight 20 uS, Exc -> SOM 1.25/200 (no unit: Exp2Syn_STP).
    let som_pv = net
        .connections
        .iter()
        .find(|c| c.source == Source::Cell(50) && c.target_cell == 0)
        .expect("SOM 0 -> PV 0");
    assert_eq!(som_pv.weight, 20.0);
    let syn = &net.cells[0].point_processes[som_pv.target];
    assert_eq!(&*syn.mechanism, "Exp2Syn");
    assert_eq!(syn.params["tau2"], 50.0);
    assert_eq!(syn.params["e"], -75.0);
    // Positions: distinct points of a 2 um grid in [0, 10] um.
    let pos = &e.populations[2].positions;
    assert_eq!(pos.len(), 200);
    for (k, p) in pos.iter().enumerate() {
        assert!(p.iter().all(|x| (0.0..=10.0).contains(x) && x % 2.0 == 0.0));
        assert!(!pos[..k].contains(p), "two cells at {p:?}");
    }
}

#[test]
fn circuit_record_matches_the_network_edge_for_edge() {
    let e = build(SEED);
    let c = &e.circuit();
    let names: Vec<&str> = c.node_populations.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["network", "bg"]);
    let real = &c.node_populations[0];
    assert!(!real.is_virtual);
    let types: Vec<(u64, &str, Option<&str>)> = real
        .node_types
        .iter()
        .map(|t| {
            (
                t.node_type_id,
                t.pop_name.as_str(),
                t.model_template.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        types,
        [
            (100, "PV", Some("hoc:WBInhCell")),
            (101, "SOM", Some("hoc:WBInhCell")),
            (102, "Exc", Some("hoc:RTMExcCell"))
        ]
    );
    assert_eq!(real.nodes.len(), 300);
    for (k, n) in real.nodes.iter().enumerate() {
        assert_eq!(n.node_id, k as u64);
        let want = if k < 50 {
            100
        } else if k < 100 {
            101
        } else {
            102
        };
        assert_eq!(n.node_type_id, want);
        assert!(n.position.is_some());
    }
    let bg = &c.node_populations[1];
    assert!(bg.is_virtual && bg.nodes.len() == 200);
    assert_eq!(bg.node_types[0].model_type, "virtual");

    let eps: Vec<(&str, usize, usize)> = c
        .edge_populations
        .iter()
        .map(|p| (p.name.as_str(), p.edge_types.len(), p.edges.len()))
        .collect();
    assert_eq!(
        eps,
        [("network_to_network", 7, 85_000), ("bg_to_network", 1, 200)]
    );
    let rec = &c.edge_populations[0];
    let t: Vec<(u64, &str, &str, Option<f64>)> = rec
        .edge_types
        .iter()
        .map(|t| {
            (
                t.edge_type_id,
                t.model_template.as_str(),
                t.dynamics_params.as_str(),
                t.syn_weight,
            )
        })
        .collect();
    assert_eq!(t[0], (100, "exp2syn", "Exc2Exc.json", Some(0.0)));
    assert_eq!(
        t[2],
        (102, "Exp2Syn_STP", "Exc2SOM.json", Some(1.25 / 200.0))
    );
    assert_eq!(t[6], (106, "exp2syn", "SOM2PV.json", Some(20.0)));
    assert_eq!(rec.edge_types[1].source_query, "pop_name=='Exc'");
    assert_eq!(rec.edge_types[1].target_query, "pop_name=='PV'");
    assert_eq!(rec.edge_types[1].target_sections, ["soma"]);
    // dynamics_params as BMTK's builders read them (`erev` for exp2syn).
    let pv2pv = &c.synapse_params["PV2PV.json"];
    assert_eq!(pv2pv["erev"], -75.0);
    assert_eq!(pv2pv["tau2"], 9.0);
    assert!(!pv2pv.contains_key("e"));
    let stp = &c.synapse_params["PV2Exc.json"];
    assert_eq!(stp["e"], -90.0);
    assert_eq!(stp["initW"], 1.0);
    assert_eq!(stp["Fac"], 800.0);

    // Edges in file order are the network's connections in order.
    let edges: Vec<_> = c.edge_populations.iter().flat_map(|p| &p.edges).collect();
    assert_eq!(edges.len(), e.network.connections.len());
    for (k, (edge, conn)) in edges.iter().zip(&e.network.connections).enumerate() {
        assert_eq!(edge.target, conn.target_cell as u64, "edge {k}");
        let src = match conn.source {
            Source::Cell(i) => i as u64,
            Source::Train(i) => e.network.trains[i].gid,
        };
        assert_eq!(edge.source, src, "edge {k}");
        assert_eq!((edge.sec_id, edge.sec_x, edge.nsyns), (0, 0.5, 1));
    }
    // Within an edge population edges are sorted by target.
    for p in &c.edge_populations {
        assert!(p.edges.targets().windows(2).all(|w| w[0] <= w[1]));
    }
    // Edge k's synapse is the next point process of its target.
    let mut next = vec![0usize; e.network.cells.len()];
    for conn in &e.network.connections {
        assert_eq!(conn.target, next[conn.target_cell]);
        next[conn.target_cell] += 1;
    }

    // Inputs: the background trains, time-sorted.
    assert_eq!(c.inputs.len(), 1);
    assert_eq!(c.inputs[0].population, "bg");
    let n: usize = e.network.trains.iter().map(|t| t.times.len()).sum();
    assert_eq!(c.inputs[0].spikes.len(), n);
    assert!(c.inputs[0].spikes.windows(2).all(|w| w[0].1 <= w[1].1));

    // Node sets, and the cell templates as stand-alone NDL.
    assert_eq!(c.node_sets["pn"], serde_json::json!({"pop_name": "Exc"}));
    assert_eq!(
        c.node_sets["interneurons"],
        serde_json::json!({"pop_name": ["PV", "SOM"]})
    );
    assert_eq!(
        c.cell_templates.keys().collect::<Vec<_>>(),
        ["RTMExcCell", "WBInhCell"]
    );
    for (name, text) in &c.cell_templates {
        assert!(text.starts_with(&format!("cell {name} {{")), "{text}");
        let mut map = SourceMap::new();
        let src = format!("mechanisms \"models\"\n{text}\npopulation p = 1 of {name}\n");
        let checked = nmc::driver::ndl::check_source(
            &mut map,
            "t.ndl",
            &src,
            Path::new("."),
            &nmc::driver::ndl::LibraryLoader::new(),
        );
        assert!(
            checked
                .diagnostics
                .iter()
                .all(|d| !d.is_error() && d.code == "W1001"),
            "{:?}",
            checked.diagnostics
        );
    }
    assert!(
        c.mechanisms_dir
            .as_ref()
            .is_some_and(|d| d.ends_with("models"))
    );
    let _ = Attribute::Number(0.0);
}

#[test]
fn the_same_file_builds_the_same_network_bit_for_bit() {
    let a = build(SEED);
    let b = build(SEED);
    // Debug text: floats print exactly, and NaN thresholds compare equal.
    assert!(format!("{:?}", a.network) == format!("{:?}", b.network));
    assert!(a.circuit() == b.circuit());
}

/// The circuit written as SONATA (`sonata::write`) and read back by the
/// SONATA reader gives the network the NDL builder made: same cells, same
/// synapses per cell in the same order, same connections, same trains.
#[test]
fn circuit_written_and_read_back_is_the_same_network() {
    use nmc::driver::sonata::{Options, load};
    use nmc::sonata::write::{SimulationSettings, write_circuit};
    for file in [SEED, "tests/cells/net_small.ndl"] {
        let e = build(file);
        let dir = std::env::temp_dir().join(format!(
            "nmc_ndl_roundtrip_{}_{}",
            std::process::id(),
            file.len()
        ));
        // As `nmc build` writes it: a run.dL under which BMTK's rule keeps
        // every section's nseg.
        let sections: Vec<(f64, usize)> = e
            .network
            .cells
            .iter()
            .flat_map(|c| c.sections.iter().map(|s| (s.length, s.nseg)))
            .collect();
        let sim = SimulationSettings {
            run: e.network.run.clone(),
            dl: nmc::sonata::write::config::dl_keeping(&sections),
            ..SimulationSettings::default()
        };
        write_circuit(&dir, &e.circuit(), &sim).expect("written");
        let mut map = SourceMap::new();
        let loaded = load(
            &mut map,
            &dir.join("simulation_config.json"),
            &Options::default(),
        )
        .unwrap_or_else(|d| panic!("{file}: {d:#?}"));
        let (a, b) = (&e.network, &loaded.network);
        assert_eq!(a.cells.len(), b.cells.len(), "{file}");
        for (k, (x, y)) in a.cells.iter().zip(&b.cells).enumerate() {
            // The cells come back from the hoc templates, whose soma is
            // BMTK's `soma[0]`.
            let mut sections = x.sections.clone();
            for s in &mut sections {
                s.name = nmc::sonata::write::hoc::section_name(&s.name);
            }
            assert_eq!(sections, y.sections, "{file}: cell {k}");
            assert_eq!(x.point_processes, y.point_processes, "{file}: cell {k}");
            assert_eq!(x.population, y.population, "{file}: cell {k}");
        }
        assert_eq!(
            format!("{:?}", a.connections),
            format!("{:?}", b.connections),
            "{file}"
        );
        // A SONATA run plays virtual spikes through BMTK's VecStim, whose
        // event times can differ from the listed ones in the last bit.
        let mut want = a.trains.clone();
        for t in &mut want {
            nmc::driver::sonata::vecstim_times(a.run.tstart, &mut t.times);
        }
        assert_eq!(want, b.trains, "{file}");
        assert_eq!(format!("{:?}", a.run), format!("{:?}", b.run), "{file}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
