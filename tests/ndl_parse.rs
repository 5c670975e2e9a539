//! The NDL front end: the experiment files in `tests/cells/` check clean and
//! build the network they describe; every malformed file in
//! `tests/cells/bad/` gets diagnostics with codes and carets, pinned by
//! snapshots in `tests/golden/ndl/`; the binary exits 1 on them.

mod common;
use common::relative;

use nmc::diag::{self, SourceMap};
use nmc::front::ndl;
use nmc::net::{Source, Variable};
use std::path::Path;
use std::process::Command;

fn build(path: &str) -> ndl::Experiment {
    let mut map = SourceMap::new();
    let checked = nmc::driver::ndl::check_file(&mut map, Path::new(path)).0;
    let text = diag::render_human(&map, &checked.diagnostics, false);
    assert!(checked.diagnostics.is_empty(), "{path}:\n{text}");
    checked.experiment.expect("an experiment")
}

#[test]
fn rtm_iclamp_builds_the_seed_cell() {
    let e = build("tests/cells/rtm_iclamp.ndl");
    let net = &e.network;
    assert_eq!(net.cells.len(), 1);
    let soma = &net.cells[0].sections[0];
    assert_eq!((soma.length, soma.diam, soma.nseg), (100.0, 500.0, 1));
    let names: Vec<&str> = soma
        .mechanisms
        .iter()
        .map(|m| m.mechanism.as_str())
        .collect();
    assert_eq!(names, ["leak", "na_rtm", "k_rtm"]);
    assert_eq!(soma.mechanisms[0].params["gbar"], 1e-4);
    assert_eq!(soma.ion_values["eleak"], -67.0);
    assert_eq!(soma.ion_values["ena"], 50.0);
    assert_eq!(soma.ion_values["ek"], -100.0);
    let clamp = &net.cells[0].point_processes[0];
    assert_eq!(&*clamp.mechanism, "IClamp");
    assert_eq!(clamp.params["amp"], 0.5);
    assert_eq!(net.run.dt, 0.025);
    assert_eq!(net.run.tstop, 500.0);
    assert_eq!(net.run.celsius, 34.0);
    assert_eq!(net.run.v_init, -75.0);
    assert_eq!(net.run.spike_threshold, -15.0);
    assert_eq!(net.records.len(), 1);
    assert_eq!(net.records[0].variable, Variable::Voltage);
    assert_eq!(e.output.reports[0].groups[0].population, "rtm_iclamp");
}

#[test]
fn weights_are_converted_to_the_synapse_unit() {
    let e = build("tests/cells/syn_exp2syn_rtm.ndl");
    let net = &e.network;
    assert_eq!(net.trains.len(), 1);
    assert_eq!(net.trains[0].times.len(), 60);
    assert_eq!(net.connections.len(), 1);
    let c = net.connections.get(0).expect("one connection");
    assert_eq!(c.source, Source::Train(0));
    assert!(
        (c.weight - 0.06).abs() < 1e-15,
        "60 nS is 0.06 uS, got {}",
        c.weight
    );
    assert_eq!(c.delay, 0.5);
    let syn = &net.cells[0].point_processes[c.target];
    assert_eq!(&*syn.mechanism, "Exp2Syn");
    assert_eq!(syn.params["tau2"], 3.0);
    assert!(matches!(
        &net.records[1].variable,
        Variable::PointProcess { name, .. } if name == "g"
    ));
}

#[test]
fn ball_tree_topology_is_parent_first() {
    let e = build("tests/cells/mc_ball_tree.ndl");
    let secs = &e.network.cells[0].sections;
    let names: Vec<&str> = secs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["soma", "dend0", "dend1", "dend2"]);
    assert_eq!(secs[1].parent, Some((0, 1.0)));
    assert_eq!(secs[2].parent, Some((1, 1.0)));
    assert_eq!(secs[3].parent, Some((1, 1.0)));
    assert_eq!(secs[1].nseg, 5);
    // tree_v: one element per segment (1 + 3 * 5).
    assert_eq!(e.output.reports[1].groups[0].element_ids.len(), 16);
}

#[test]
fn wb_iclamp_checks_clean() {
    let e = build("tests/cells/wb_iclamp.ndl");
    assert_eq!(e.network.cells[0].sections[0].ion_values["ena"], 55.0);
}

#[test]
fn malformed_ndl_is_diagnosed() {
    insta::glob!("cells/bad", "*.ndl", |path| {
        let mut map = SourceMap::new();
        let name = relative(path);
        let checked = nmc::driver::ndl::check_file(&mut map, Path::new(&name)).0;
        assert!(
            checked.diagnostics.iter().any(|d| d.is_error()),
            "{name}: expected an error"
        );
        for d in &checked.diagnostics {
            assert!(
                d.code.len() == 5 && (d.code.starts_with("E1") || d.code.starts_with("W1")),
                "{name}: bad code {:?}",
                d.code
            );
        }
        let text = diag::render_human(&map, &checked.diagnostics, false);
        insta::with_settings!({snapshot_path => "golden/ndl", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(text);
        });
    });
}

#[test]
fn unit_error_and_unknown_mechanism_have_caret_and_help() {
    for (file, code) in [
        ("tests/cells/bad/unit_mismatch.ndl", "E1301"),
        ("tests/cells/bad/unknown_mechanism.ndl", "E1202"),
    ] {
        let mut map = SourceMap::new();
        let checked = nmc::driver::ndl::check_file(&mut map, Path::new(file)).0;
        let d = checked
            .diagnostics
            .iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("{file}: no {code}"));
        assert!(d.primary_span().is_some() && d.help.is_some(), "{file}");
        let text = diag::render_human(&map, &checked.diagnostics, false);
        assert!(text.contains('^') && text.contains("help:"), "{text}");
    }
}

#[test]
fn binary_exits_1_on_errors_and_0_when_clean() {
    let nmc = env!("CARGO_BIN_EXE_nmc");
    let bad = Command::new(nmc)
        .args([
            "check",
            "--color",
            "never",
            "tests/cells/bad/unit_mismatch.ndl",
        ])
        .output()
        .expect("run nmc");
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("error[E1301]") && err.contains("^^"), "{err}");
    let json = Command::new(nmc)
        .args([
            "check",
            "--format",
            "json",
            "tests/cells/bad/unknown_mechanism.ndl",
        ])
        .output()
        .expect("run nmc");
    assert_eq!(json.status.code(), Some(1));
    let out = String::from_utf8_lossy(&json.stdout);
    let v: serde_json::Value =
        serde_json::from_str(out.lines().next().unwrap_or("")).expect("JSON");
    assert_eq!(v["code"], "E1202");
    let good = Command::new(nmc)
        .args([
            "check",
            "tests/cells/rtm_iclamp.ndl",
            "tests/cells/wb_iclamp.ndl",
            "models/leak.mod",
        ])
        .output()
        .expect("run nmc");
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
}

/// The network statements of `tests/cells/net_small.ndl` (use, seed,
/// positions, columns, Poisson and list inputs, every rule, lognormal and
/// formula weights, node sets) build the circuit pinned in
/// `tests/golden/ndl/net_small_circuit.snap`.
#[test]
fn net_small_builds_the_pinned_circuit() {
    use std::fmt::Write as _;
    let e = build("tests/cells/net_small.ndl");
    let c = &e.circuit();
    let mut s = String::new();
    for p in &c.node_populations {
        let _ = writeln!(
            s,
            "nodes {} virtual={} nodes={}",
            p.name,
            p.is_virtual,
            p.nodes.len()
        );
        for t in &p.node_types {
            let _ = writeln!(
                s,
                "  type {} {} {} {:?} {:?}",
                t.node_type_id, t.pop_name, t.model_type, t.model_template, t.extra
            );
        }
        for n in p.nodes.iter().take(3) {
            let _ = writeln!(
                s,
                "  node {} type {} at {:?} {:?}",
                n.node_id, n.node_type_id, n.position, n.attributes
            );
        }
    }
    for p in &c.edge_populations {
        let _ = writeln!(
            s,
            "edges {} ({} -> {}) edges={}",
            p.name,
            p.source_population,
            p.target_population,
            p.edges.len()
        );
        for t in &p.edge_types {
            let n = p
                .edges
                .iter()
                .filter(|x| x.edge_type_id == t.edge_type_id)
                .count();
            let _ = writeln!(
                s,
                "  type {} {} -> {} {} {} weight {:?} delay {:?} {:?}: {n} edges",
                t.edge_type_id,
                t.source_query,
                t.target_query,
                t.model_template,
                t.dynamics_params,
                t.syn_weight,
                t.delay,
                t.target_sections
            );
        }
        for x in p.edges.iter().take(4) {
            let _ = writeln!(s, "  edge {x:?}");
        }
    }
    for (k, v) in &c.synapse_params {
        let _ = writeln!(s, "synapse {k} {}", serde_json::Value::Object(v.clone()));
    }
    for (k, v) in &c.node_sets {
        let _ = writeln!(s, "node_set {k} {v}");
    }
    for i in &c.inputs {
        let _ = writeln!(
            s,
            "input {} ({}) spikes={} first={:?}",
            i.name,
            i.population,
            i.spikes.len(),
            i.spikes.first()
        );
    }
    let _ = writeln!(
        s,
        "templates {:?}",
        c.cell_templates.keys().collect::<Vec<_>>()
    );
    insta::with_settings!({snapshot_path => "golden/ndl", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("net_small_circuit", s);
    });
}
