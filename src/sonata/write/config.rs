//! The JSON files of a SONATA build: `circuit_config.json` (manifest,
//! component folders, node and edge files), `simulation_config.json` (run,
//! conditions, inputs, output, reports, node sets file, network), in the
//! form BMTK 1.2.0's `build_env_bionet` writes them, with every path under
//! `${configdir}` so the folder can be moved.

use super::{ClampConfig, ReportConfig, SimulationSettings};
use serde_json::{Map, Value, json};
use std::path::{Component, Path, PathBuf};

/// One node or edge file pair, as names inside `network/`.
pub struct FilePair {
    /// `network_nodes.h5` / `network_network_edges.h5`.
    pub file: String,
    /// `network_node_types.csv` / `network_network_edge_types.csv`.
    pub types: String,
}

/// `path` without `.` and with `a/..` folded away.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// `to` relative to the folder `from` (both made absolute first), e.g.
/// `../../models`.
pub fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let abs = |p: &Path| lexical(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()));
    let (from, to) = (abs(from), abs(to));
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The circuit config. `mechanisms` is the `.mod` folder relative to the
/// output folder; `point_models`: the circuit has artificial cells, whose
/// parameter files are in [`POINT_MODELS_DIR`].
pub fn circuit_config(
    nodes: &[FilePair],
    edges: &[FilePair],
    mechanisms: Option<&Path>,
    point_models: bool,
) -> Value {
    let mut components = Map::new();
    if let Some(m) = mechanisms {
        components.insert(
            "mechanisms_dir".into(),
            json!(format!("$BASE_DIR/{}", m.display())),
        );
    }
    if point_models {
        components.insert(
            "point_neuron_models_dir".into(),
            json!("$COMPONENTS_DIR/point_neuron_models"),
        );
    }
    components.insert(
        "synaptic_models_dir".into(),
        json!("$COMPONENTS_DIR/synaptic_models"),
    );
    components.insert("templates_dir".into(), json!("$COMPONENTS_DIR/templates"));
    let pairs = |list: &[FilePair], f: &str, t: &str| -> Vec<Value> {
        list.iter()
            .map(|p| {
                json!({
                    f: format!("$NETWORK_DIR/{}", p.file),
                    t: format!("$NETWORK_DIR/{}", p.types),
                })
            })
            .collect()
    };
    json!({
        "manifest": {
            "$BASE_DIR": "${configdir}",
            "$NETWORK_DIR": "$BASE_DIR/network",
            "$COMPONENTS_DIR": "$BASE_DIR/components",
        },
        "components": components,
        "networks": {
            "nodes": pairs(nodes, "nodes_file", "node_types_file"),
            "edges": pairs(edges, "edges_file", "edge_types_file"),
            "gap_juncs": [],
        }
    })
}

/// The folder of the artificial cells' `dynamics_params` files.
pub const POINT_MODELS_DIR: &str = "components/point_neuron_models";

/// `run.nsteps_block`: how many steps BMTK's bionet runs between writes
/// of its reports (its `build_env_bionet` default; bionet divides by it).
pub const NSTEPS_BLOCK: u64 = 5000;

/// One spike input of the simulation config.
pub struct InputEntry {
    /// Key in `inputs`.
    pub name: String,
    /// File name inside `input/`.
    pub file: String,
    /// Node set selecting the input's virtual population.
    pub node_set: String,
}

/// The simulation config.
pub fn simulation_config(
    sim: &SimulationSettings,
    inputs: &[InputEntry],
    clamps: &[(ClampConfig, String)],
    reports: &[(ReportConfig, String)],
) -> Value {
    let r = &sim.run;
    let mut input_map = Map::new();
    for i in inputs {
        input_map.insert(
            i.name.clone(),
            json!({
                "input_type": "spikes",
                "module": "sonata",
                "input_file": format!("$INPUT_DIR/{}", i.file),
                "node_set": i.node_set,
            }),
        );
    }
    for (c, node_set) in clamps {
        input_map.insert(
            c.name.clone(),
            json!({
                "input_type": "current_clamp",
                "module": "IClamp",
                "node_set": node_set,
                "amp": c.amp,
                "delay": c.delay,
                "duration": c.duration,
                "section_name": "soma",
                "section_index": 0,
                "section_dist": c.section_dist,
            }),
        );
    }
    let mut report_map = Map::new();
    for (rep, node_set) in reports {
        report_map.insert(
            rep.name.clone(),
            json!({
                "module": "membrane_report",
                "cells": node_set,
                "variable_name": rep.variable,
                "sections": rep.sections,
                "file_name": format!("{}.h5", rep.name),
            }),
        );
    }
    let mut output = Map::new();
    output.insert("output_dir".into(), json!("$OUTPUT_DIR"));
    output.insert("spikes_file".into(), json!(sim.spikes_file));
    if let Some(l) = &sim.log_file {
        output.insert("log_file".into(), json!(l));
    }
    json!({
        "manifest": {
            "$BASE_DIR": "${configdir}",
            "$OUTPUT_DIR": "$BASE_DIR/output",
            "$INPUT_DIR": "$BASE_DIR/input",
        },
        "target_simulator": "NEURON",
        "run": {
            "tstart": r.tstart,
            "tstop": r.tstop,
            "dt": r.dt,
            "spike_threshold": r.spike_threshold,
            "dL": sim.dl.unwrap_or(20.0),
            "nsteps_block": NSTEPS_BLOCK,
        },
        "conditions": {
            "celsius": r.celsius,
            "v_init": r.v_init,
        },
        "inputs": input_map,
        "output": output,
        "reports": report_map,
        "node_sets_file": "$BASE_DIR/node_sets.json",
        "network": "$BASE_DIR/circuit_config.json",
    })
}

/// A `dL` for which BMTK's `1 + 2 * int(L / (2 * dL))` gives every
/// section (`(L, nseg)`) the segment count it has, so a BMTK run keeps
/// the network's discretisation; `None` when no single value does (an even
/// count, or counts that need different segment lengths).
pub fn dl_keeping(sections: &[(f64, usize)]) -> Option<f64> {
    let (mut lo, mut hi) = (0.0f64, f64::INFINITY);
    for &(l, n) in sections {
        if n % 2 == 0 || l.is_nan() || l <= 0.0 {
            return None;
        }
        // int(L / 2dL) = (n - 1) / 2  <=>  L / (n + 1) < dL <= L / (n - 1).
        lo = lo.max(l / (n as f64 + 1.0));
        if n > 1 {
            hi = hi.min(l / (n as f64 - 1.0));
        }
    }
    let dl = if hi.is_finite() {
        (lo + hi) / 2.0
    } else {
        2.0 * lo
    };
    let keeps = |&(l, n): &(f64, usize)| 1 + 2 * (l / (2.0 * dl)).trunc() as usize == n;
    (dl > 0.0 && sections.iter().all(keeps)).then_some(dl)
}

#[cfg(test)]
mod tests {
    use super::{dl_keeping, relative_path};

    #[test]
    fn dl_keeps_segment_counts() {
        assert_eq!(dl_keeping(&[(100.0, 1)]), Some(100.0));
        let dl = dl_keeping(&[(100.0, 5), (237.3, 11)]).unwrap();
        assert!(dl > 0.0);
        assert_eq!(dl_keeping(&[(100.0, 4)]), None);
        assert_eq!(dl_keeping(&[(100.0, 3), (1000.0, 1)]), None);
    }
    use std::path::{Path, PathBuf};

    #[test]
    fn relative_paths_climb_to_the_common_folder() {
        assert_eq!(
            relative_path(Path::new("/a/b/out"), Path::new("/a/models")),
            PathBuf::from("../../models")
        );
        assert_eq!(
            relative_path(Path::new("/a/b/./c/.."), Path::new("/a/b/m")),
            PathBuf::from("m")
        );
        assert_eq!(
            relative_path(Path::new("/a"), Path::new("/a")),
            PathBuf::from(".")
        );
    }
}
