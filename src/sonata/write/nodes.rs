//! Node populations: `/nodes/<pop>/{node_id, node_type_id, node_group_id,
//! node_group_index}` and the per-group columns (`positions` as an n x 3
//! float64 table, user attributes as float64 or UTF-8 strings), with the
//! dtypes BMTK 1.2.0 uses (uint64 ids, uint32 group ids); and the node types
//! CSV.

use super::csv::TypeCsv;
use super::h5::{dataset, dataset_2d, text, text_dataset, write_file};
use super::invalid;
use crate::diag::Diagnostic;
use crate::net::circuit::{Attribute, Node, NodePopulation};
use std::collections::BTreeMap;
use std::path::Path;

/// The columns a node has: whether it has a position, and each attribute
/// with its kind (true = text). Nodes with the same columns share a group.
type GroupKey = (bool, Vec<(String, bool)>);

fn group_key(n: &Node) -> GroupKey {
    (
        n.position.is_some(),
        n.attributes
            .iter()
            .map(|(k, v)| (k.clone(), matches!(v, Attribute::Text(_))))
            .collect(),
    )
}

/// Checks that the population's nodes are numbered 0.. in order and use
/// declared node types.
fn check(pop: &NodePopulation) -> Result<(), Diagnostic> {
    for (k, n) in pop.nodes.iter().enumerate() {
        if n.node_id != k as u64 {
            return Err(invalid(format!(
                "node population `{}` row {k}: node id {} (SONATA node ids count 0, 1, 2... in row order)",
                pop.name, n.node_id
            )));
        }
        if !pop
            .node_types
            .iter()
            .any(|t| t.node_type_id == n.node_type_id)
        {
            return Err(invalid(format!(
                "node population `{}` row {k}: node type {} is not one of the population's node types",
                pop.name, n.node_type_id
            )));
        }
    }
    Ok(())
}

/// Writes `/nodes/<pop>` into `path`.
pub fn write_nodes(path: &Path, pop: &NodePopulation) -> Result<(), Diagnostic> {
    check(pop)?;
    // Group ids in order of first appearance of each column set.
    let mut keys: Vec<GroupKey> = Vec::new();
    let mut group_id: Vec<u32> = Vec::with_capacity(pop.nodes.len());
    let mut group_index: Vec<u64> = Vec::with_capacity(pop.nodes.len());
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (k, n) in pop.nodes.iter().enumerate() {
        let key = group_key(n);
        let g = match keys.iter().position(|x| *x == key) {
            Some(g) => g,
            None => {
                keys.push(key);
                members.push(Vec::new());
                keys.len() - 1
            }
        };
        group_id.push(g as u32);
        group_index.push(members[g].len() as u64);
        members[g].push(k);
    }
    if keys.is_empty() {
        // BMTK writes group 0 even for a population without columns.
        keys.push((false, Vec::new()));
        members.push(Vec::new());
    }
    write_file(path, |f| {
        let root = f.create_group("nodes")?;
        let g = root.create_group(&pop.name)?;
        let ids: Vec<u64> = pop.nodes.iter().map(|n| n.node_id).collect();
        let types: Vec<u64> = pop.nodes.iter().map(|n| n.node_type_id).collect();
        dataset(&g, "node_id", &ids)?;
        dataset(&g, "node_type_id", &types)?;
        dataset(&g, "node_group_id", &group_id)?;
        dataset(&g, "node_group_index", &group_index)?;
        for (gi, ((has_pos, cols), rows)) in keys.iter().zip(&members).enumerate() {
            let grp = g.create_group(&gi.to_string())?;
            if *has_pos {
                let pos: Vec<[f64; 3]> = rows
                    .iter()
                    .map(|&k| pop.nodes[k].position.unwrap_or([f64::NAN; 3]))
                    .collect();
                dataset_2d(&grp, "positions", &pos)?;
            }
            for (name, is_text) in cols {
                let get = |k: usize| pop.nodes[k].attributes.get(name);
                if *is_text {
                    let mut v = Vec::with_capacity(rows.len());
                    for &k in rows {
                        let s = match get(k) {
                            Some(Attribute::Text(s)) => s.as_str(),
                            _ => "",
                        };
                        v.push(text(s)?);
                    }
                    text_dataset(&grp, name, &v)?;
                } else {
                    let v: Vec<f64> = rows
                        .iter()
                        .map(|&k| match get(k) {
                            Some(Attribute::Number(x)) => *x,
                            _ => f64::NAN,
                        })
                        .collect();
                    dataset(&grp, name, &v)?;
                }
            }
        }
        Ok(())
    })
}

/// The node types CSV of `pop`: `node_type_id`, `pop_name`,
/// `model_template` (real populations), `model_type`, then the extra
/// columns in name order; missing values are `NULL`.
pub fn node_types_csv(pop: &NodePopulation) -> Result<String, Diagnostic> {
    let mut header = vec!["node_type_id".to_string(), "pop_name".to_string()];
    let has_template = pop.node_types.iter().any(|t| t.model_template.is_some());
    if has_template {
        header.push("model_template".into());
    }
    header.push("model_type".into());
    let mut extra: Vec<&String> = pop.node_types.iter().flat_map(|t| t.extra.keys()).collect();
    extra.sort();
    extra.dedup();
    for e in &extra {
        if header.iter().any(|h| h == *e) {
            return Err(invalid(format!(
                "node population `{}`: extra column `{e}` repeats a standard column",
                pop.name
            )));
        }
    }
    header.extend(extra.iter().map(|s| s.to_string()));
    let mut csv = TypeCsv::new(&format!("node types of `{}`", pop.name), header);
    for t in &pop.node_types {
        let mut row: BTreeMap<&str, String> = BTreeMap::new();
        row.insert("node_type_id", t.node_type_id.to_string());
        row.insert("pop_name", t.pop_name.clone());
        if let Some(m) = &t.model_template {
            row.insert("model_template", m.clone());
        }
        row.insert("model_type", t.model_type.clone());
        for (k, v) in &t.extra {
            row.insert(k.as_str(), v.clone());
        }
        csv.row(&row)?;
    }
    Ok(csv.finish())
}
