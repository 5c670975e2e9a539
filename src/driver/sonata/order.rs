//! BMTK's numbering and ordering: the gid of each node (node populations
//! take consecutive blocks of `max(node_id) + 1` in load order, virtual
//! ones included) and the order in which edge populations are connected
//! (recurrent ones in file order, then for each `spikes` input the edges
//! leaving the virtual populations its node set covers). The order
//! matters: each cell's random stream is consumed connection by
//! connection.

use crate::diag::Diagnostic;
use crate::sonata::config::SimulationConfig;
use crate::sonata::edges::EdgePopulation;
use crate::sonata::nodes::NodePopulation;
use serde_json::Value;
use std::collections::HashMap;

/// First gid of every node population.
pub(super) fn gid_offsets(pops: &[NodePopulation]) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    let mut next = 0u64;
    for p in pops {
        out.insert(p.name.clone(), next);
        next += p.node_ids.iter().max().map_or(0, |m| m + 1);
    }
    out
}

/// A text attribute of node `k`: its group's column, else its type's.
pub(super) fn node_text(p: &NodePopulation, k: usize, column: &str) -> Option<String> {
    p.texts
        .get(column)
        .and_then(|c| c.get(k).cloned().flatten())
        .or_else(|| p.attr(k, column).map(str::to_string))
}

/// The population names a node set names (its `population(s)` key), or
/// `None` for every population.
fn set_populations(v: &Value) -> Option<Vec<String>> {
    let p = v.get("population").or_else(|| v.get("populations"))?;
    Some(match p {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    })
}

/// The edge populations in BMTK's connection order. Populations from
/// virtual nodes that no `spikes` input reaches are left out, as BMTK
/// leaves them unconnected (with a warning).
pub(super) fn edge_order<'a>(
    config: &SimulationConfig,
    pops: &[NodePopulation],
    edge_pops: &'a [EdgePopulation],
    is_virtual: &dyn Fn(&str) -> bool,
    warnings: &mut Vec<Diagnostic>,
) -> Vec<&'a EdgePopulation> {
    let mut out: Vec<&EdgePopulation> = edge_pops
        .iter()
        .filter(|e| !is_virtual(&e.source_population))
        .collect();
    let mut taken = vec![false; edge_pops.len()];
    for input in config.inputs.iter().filter(|i| i.input_type == "spikes") {
        // A node set by name (node populations are node sets too), or none.
        let names = match &input.node_set {
            None => None,
            Some(ns) => match config.node_sets.get(ns) {
                Some(v) => set_populations(v),
                None if pops.iter().any(|p| &p.name == ns) => Some(vec![ns.clone()]),
                None => None,
            },
        };
        for p in pops {
            if names.as_ref().is_some_and(|n| !n.contains(&p.name)) {
                continue;
            }
            for (i, e) in edge_pops.iter().enumerate() {
                if e.source_population == p.name && is_virtual(&p.name) && !taken[i] {
                    taken[i] = true;
                    out.push(e);
                }
            }
        }
    }
    for (i, e) in edge_pops.iter().enumerate() {
        if is_virtual(&e.source_population) && !taken[i] {
            warnings.push(Diagnostic::warning(
                "W1501",
                format!(
                    "`{}` /edges/{}: no `spikes` input reaches its source population `{}`, so (as in BMTK) its {} edges are not connected",
                    e.file.display(),
                    e.name,
                    e.source_population,
                    e.len()
                ),
            ));
        }
    }
    out
}
