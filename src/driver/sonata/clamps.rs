//! `current_clamp` inputs of module `IClamp` (BMTK's `IClampMod`): for
//! every cell of the input's node set, one `IClamp` per
//! `(amp, delay, duration)` (scalars or equal-length lists) at
//! `<section_name>[section_index](section_dist)`, by default soma(0.5).
//! BMTK creates them when the run starts, after every synapse, so they
//! come last among a cell's point processes.

use super::e1502;
use crate::diag::Diagnostic;
use crate::net::{Location, Network, PointProcess};
use crate::sonata::config::{InputConfig, SimulationConfig};
use crate::sonata::node_sets::select;
use crate::sonata::nodes::NodePopulation;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// A number or a list of numbers, as a list.
fn numbers(v: &Value) -> Option<Vec<f64>> {
    match v {
        Value::Array(a) => a.iter().map(Value::as_f64).collect(),
        x => x.as_f64().map(|n| vec![n]),
    }
}

/// Adds the clamps of `inputs` to the cells of `net`.
pub(super) fn add_clamps(
    config: &SimulationConfig,
    inputs: &[&InputConfig],
    pops: &[NodePopulation],
    cell_of: &HashMap<(String, u64), usize>,
    net: &mut Network,
) -> Result<(), Diagnostic> {
    for input in inputs {
        let bad = |what: String| {
            e1502(format!(
                "`{}` input `{}`: {what}",
                config.path.display(),
                input.name
            ))
        };
        let p = &input.params;
        let list = |key: &str| {
            p.get(key)
                .ok_or_else(|| bad(format!("no `{key}`")))
                .and_then(|v| {
                    numbers(v).ok_or_else(|| bad(format!("`{key}` is `{v}`, not numbers")))
                })
        };
        let (amps, delays, durs) = (list("amp")?, list("delay")?, list("duration")?);
        if amps.len() != delays.len() || amps.len() != durs.len() {
            return Err(bad(
                "amp, delay and duration must be lists of the same length".into(),
            ));
        }
        let section = p
            .get("section_name")
            .and_then(Value::as_str)
            .unwrap_or("soma");
        let index = p.get("section_index").map_or(Some(0.0), Value::as_f64);
        let Some(index) = index.filter(|i| *i >= 0.0 && i.fract() == 0.0) else {
            return Err(bad(
                "section_index must be a section number (distance ranges are not supported)".into(),
            ));
        };
        let x = p.get("section_dist").map_or(Some(0.5), Value::as_f64);
        let Some(x) = x.filter(|x| (0.0..=1.0).contains(x)) else {
            return Err(bad("section_dist must be a number in [0, 1]".into()));
        };
        let set = match &input.node_set {
            None => Value::Object(Default::default()),
            Some(ns) => match config.node_sets.get(ns) {
                Some(v) => v.clone(),
                None if pops.iter().any(|p| &p.name == ns) => {
                    serde_json::json!({ "population": ns })
                }
                None => return Err(bad(format!("node set `{ns}` is not defined"))),
            },
        };
        let Some(nodes) = select(pops, &config.node_sets, &set, 0) else {
            return Err(bad(format!("node set `{set}` is not one nmc can evaluate")));
        };
        let mut targets: Vec<usize> = nodes
            .iter()
            .filter_map(|n| cell_of.get(n).copied())
            .collect();
        targets.sort_unstable();
        targets.dedup();
        for c in targets {
            let cell = &mut net.cells[c];
            // `soma[0]` names the first section called `soma` or `soma[0]`.
            let want = format!("{section}[{index}]");
            let sec = cell
                .sections
                .iter()
                .position(|s| s.name == want)
                .or_else(|| {
                    (index == 0.0)
                        .then(|| cell.sections.iter().position(|s| s.name == section))
                        .flatten()
                })
                .ok_or_else(|| bad(format!("cell {c} has no section `{want}`")))?;
            for ((&amp, &del), &dur) in amps.iter().zip(&delays).zip(&durs) {
                cell.point_processes.push(PointProcess {
                    mechanism: "IClamp".into(),
                    location: Location { section: sec, x },
                    params: BTreeMap::from([
                        ("amp".to_string(), amp),
                        ("del".to_string(), del),
                        ("dur".to_string(), dur),
                    ])
                    .into(),
                });
            }
        }
    }
    Ok(())
}
