//! Edge populations: `/edges/<pop>/{source_node_id, target_node_id}`
//! (uint64, attribute `node_population`), `edge_type_id` (uint32),
//! `edge_group_id` (uint16), `edge_group_index` (uint32), group `0` with
//! `nsyns` (uint32) and the per-edge columns a population needs
//! (`syn_weight`, `delay` as float64; `sec_id` int32 and `sec_x` float64
//! unless every synapse sits at soma(0.5)), and the `indices` groups BMTK
//! writes; and the edge types CSV.

use super::csv::{TypeCsv, number};
use super::h5::{dataset, dataset_2d, generated_dataset, string_attr, write_file};
use super::invalid;
use crate::diag::Diagnostic;
use crate::net::circuit::{Edge, EdgePopulation, EdgeType};
use hdf5_metno as hdf5;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

/// One direction of a SONATA edge index: `node_id_to_range[n]` is the
/// half-open range of rows of `range_to_edge_id` that hold node `n`'s edges,
/// each row a half-open range of edge ids; nodes without edges get `[0, 0]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EdgeIndex {
    /// One row per node of the indexed node population.
    pub node_id_to_range: Vec<[u64; 2]>,
    /// Runs of consecutive edge ids.
    pub range_to_edge_id: Vec<[u64; 2]>,
}

/// Builds the index of edges by `keys[e]` (the source or target node id of
/// edge `e`) over a node population of `n_nodes` nodes. Each node's edge
/// ids are listed in increasing order, consecutive ids merged into one range.
pub fn edge_index(keys: &[u64], n_nodes: usize) -> EdgeIndex {
    let n = n_nodes.max(keys.iter().map(|&k| k as usize + 1).max().unwrap_or(0));
    // Edge ids by node, nodes in order, ids ascending within a node (a
    // counting sort: one list of edge ids, no list per node).
    let mut first = vec![0usize; n + 1];
    for &k in keys {
        first[k as usize + 1] += 1;
    }
    for i in 0..n {
        first[i + 1] += first[i];
    }
    let mut next = first.clone();
    let mut by_node = vec![0u64; keys.len()];
    for (e, &k) in keys.iter().enumerate() {
        by_node[next[k as usize]] = e as u64;
        next[k as usize] += 1;
    }
    drop(next);
    let mut idx = EdgeIndex {
        node_id_to_range: Vec::with_capacity(n),
        range_to_edge_id: Vec::new(),
    };
    for node in 0..n {
        let edges = &by_node[first[node]..first[node + 1]];
        let Some((&start, rest)) = edges.split_first() else {
            idx.node_id_to_range.push([0, 0]);
            continue;
        };
        let begin = idx.range_to_edge_id.len() as u64;
        let (mut start, mut end) = (start, start + 1);
        for &e in rest {
            if e == end {
                end += 1;
            } else {
                idx.range_to_edge_id.push([start, end]);
                start = e;
                end = e + 1;
            }
        }
        idx.range_to_edge_id.push([start, end]);
        idx.node_id_to_range
            .push([begin, idx.range_to_edge_id.len() as u64]);
    }
    idx
}

fn is_soma_only(t: &EdgeType) -> bool {
    t.target_sections.len() == 1 && t.target_sections[0] == "soma"
}

/// What the writer needs beyond the edges themselves, found by one pass
/// that checks every edge: each used type's row (by the edges' type
/// index) and id as written, and whether the files need per-edge weights,
/// delays and sites.
struct Checked<'a> {
    types: Vec<&'a EdgeType>,
    type_ids: Vec<u32>,
    any_weight: bool,
    any_delay: bool,
    at_soma_center: bool,
}

fn check(
    pop: &EdgePopulation,
    n_source: usize,
    n_target: usize,
) -> Result<Checked<'_>, Diagnostic> {
    let edges = &pop.edges;
    let row_err =
        |k: usize, what: String| invalid(format!("edge population `{}` row {k}: {what}", pop.name));
    let first_of = |i: usize| {
        (0..edges.len())
            .find(|&k| edges.type_index(k) == i)
            .unwrap_or(0)
    };
    let mut types = Vec::with_capacity(edges.type_ids().len());
    let mut type_ids = Vec::with_capacity(edges.type_ids().len());
    for (i, &id) in edges.type_ids().iter().enumerate() {
        let Some(t) = pop.edge_types.iter().find(|t| t.edge_type_id == id) else {
            return Err(row_err(
                first_of(i),
                format!("edge type {id} is not one of the population's edge types"),
            ));
        };
        types.push(t);
        type_ids.push(
            u32::try_from(id)
                .map_err(|_| row_err(first_of(i), format!("edge type id {id} exceeds uint32")))?,
        );
    }
    // Per-edge weights and delays are columns only when some edge has its
    // own (else the types CSV holds them).
    let mut c = Checked {
        types,
        type_ids,
        any_weight: edges.any_weight(),
        any_delay: edges.any_delay(),
        at_soma_center: true,
    };
    for (k, e) in edges.iter().enumerate() {
        let t = c.types[edges.type_index(k)];
        if e.source as usize >= n_source {
            return Err(row_err(
                k,
                format!(
                    "source node {} is not in `{}` ({n_source} nodes)",
                    e.source, pop.source_population
                ),
            ));
        }
        if e.target as usize >= n_target {
            return Err(row_err(
                k,
                format!(
                    "target node {} is not in `{}` ({n_target} nodes)",
                    e.target, pop.target_population
                ),
            ));
        }
        if u32::try_from(e.nsyns).is_err() {
            return Err(row_err(k, format!("nsyns {} exceeds uint32", e.nsyns)));
        }
        let w = e.syn_weight.or(t.syn_weight).ok_or_else(|| {
            row_err(
                k,
                format!(
                    "no syn_weight (neither the edge nor edge type {} has one)",
                    t.edge_type_id
                ),
            )
        })?;
        let d = e.delay.or(t.delay).ok_or_else(|| {
            row_err(
                k,
                format!(
                    "no delay (neither the edge nor edge type {} has one)",
                    t.edge_type_id
                ),
            )
        })?;
        if !w.is_finite() || !d.is_finite() || !e.sec_x.is_finite() {
            return Err(row_err(
                k,
                format!(
                    "syn_weight {w}, delay {d}, sec_x {} must be finite numbers",
                    e.sec_x
                ),
            ));
        }
        c.at_soma_center &= e.sec_id == 0 && e.sec_x == 0.5 && is_soma_only(t);
    }
    if !c.at_soma_center
        && let Some((k, e)) = edges
            .iter()
            .enumerate()
            .find(|(_, e)| i32::try_from(e.sec_id).is_err())
    {
        return Err(row_err(k, format!("sec_id {} exceeds int32", e.sec_id)));
    }
    Ok(c)
}

/// Fills `out` with `f` of each edge of `rows`.
fn each<T>(pop: &EdgePopulation, rows: Range<usize>, out: &mut [T], f: impl Fn(Edge) -> T) {
    for (o, k) in out.iter_mut().zip(rows) {
        if let Some(e) = pop.edges.get(k) {
            *o = f(e);
        }
    }
}

/// Writes `/edges/<pop>` into `path`; `n_source` and `n_target` are the
/// sizes of the source and target node populations (the index tables have
/// one row per node). The per-edge columns other than the node ids are
/// made chunk by chunk as they are compressed.
pub fn write_edges(
    path: &Path,
    pop: &EdgePopulation,
    n_source: usize,
    n_target: usize,
) -> Result<(), Diagnostic> {
    let c = check(pop, n_source, n_target)?;
    let edges = &pop.edges;
    let n = edges.len();
    if u32::try_from(n).is_err() {
        return Err(invalid(format!(
            "edge population `{}` has {n} edges; BMTK's uint32 edge_group_index holds at most {}",
            pop.name,
            u32::MAX
        )));
    }
    // The two indexes on two threads.
    let (s2t, t2s) = std::thread::scope(|s| {
        let t2s = s.spawn(|| edge_index(edges.targets(), n_target));
        let s2t = edge_index(edges.sources(), n_source);
        (s2t, t2s.join())
    });
    // A panic building the index is a bug: it goes on as one.
    let t2s = t2s.unwrap_or_else(|e| std::panic::resume_unwind(e));
    let c = &c;
    write_file(path, |f| {
        let root = f.create_group("edges")?;
        let g = root.create_group(&pop.name)?;
        let s = dataset(&g, "source_node_id", edges.sources())?;
        string_attr(&s, "node_population", &pop.source_population)?;
        let t = dataset(&g, "target_node_id", edges.targets())?;
        string_attr(&t, "node_population", &pop.target_population)?;
        generated_dataset::<u32>(&g, "edge_type_id", n, &|rows, out| {
            for (o, k) in out.iter_mut().zip(rows) {
                *o = c.type_ids[edges.type_index(k)];
            }
        })?;
        generated_dataset::<u16>(&g, "edge_group_id", n, &|_, out| out.fill(0))?;
        generated_dataset::<u32>(&g, "edge_group_index", n, &|rows, out| {
            for (o, k) in out.iter_mut().zip(rows) {
                *o = k as u32;
            }
        })?;
        let g0 = g.create_group("0")?;
        generated_dataset::<u32>(&g0, "nsyns", n, &|rows, out| {
            each(pop, rows, out, |e| e.nsyns as u32);
        })?;
        let typed = |k: usize| c.types[edges.type_index(k)];
        if c.any_weight {
            generated_dataset::<f64>(&g0, "syn_weight", n, &|rows, out| {
                for (o, k) in out.iter_mut().zip(rows) {
                    let w = edges.get(k).and_then(|e| e.syn_weight);
                    *o = w.or(typed(k).syn_weight).unwrap_or(f64::NAN);
                }
            })?;
        }
        if c.any_delay {
            generated_dataset::<f64>(&g0, "delay", n, &|rows, out| {
                for (o, k) in out.iter_mut().zip(rows) {
                    let d = edges.get(k).and_then(|e| e.delay);
                    *o = d.or(typed(k).delay).unwrap_or(f64::NAN);
                }
            })?;
        }
        if !c.at_soma_center {
            generated_dataset::<i32>(&g0, "sec_id", n, &|rows, out| {
                each(pop, rows, out, |e| e.sec_id as i32);
            })?;
            generated_dataset::<f64>(&g0, "sec_x", n, &|rows, out| {
                each(pop, rows, out, |e| e.sec_x);
            })?;
        }
        let ix = g.create_group("indices")?;
        for (name, index) in [("source_to_target", &s2t), ("target_to_source", &t2s)] {
            let d = ix.create_group(name)?;
            write_index(&d, index)?;
        }
        Ok(())
    })
}

fn write_index(g: &hdf5::Group, index: &EdgeIndex) -> hdf5::Result<()> {
    dataset_2d(g, "node_id_to_range", &index.node_id_to_range)?;
    dataset_2d(g, "range_to_edge_id", &index.range_to_edge_id)?;
    Ok(())
}

/// Python's text for a list of strings: `['soma', 'dend']`.
fn py_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The edge types CSV of `pop`, with BMTK's columns: `edge_type_id
/// target_query source_query distance_range target_sections
/// dynamics_params model_template syn_weight delay`.
pub fn edge_types_csv(pop: &EdgePopulation) -> Result<String, Diagnostic> {
    let header = [
        "edge_type_id",
        "target_query",
        "source_query",
        "distance_range",
        "target_sections",
        "dynamics_params",
        "model_template",
        "syn_weight",
        "delay",
    ];
    let mut csv = TypeCsv::new(
        &format!("edge types of `{}`", pop.name),
        header.iter().map(|s| s.to_string()).collect(),
    );
    for t in &pop.edge_types {
        let mut row: BTreeMap<&str, String> = BTreeMap::new();
        row.insert("edge_type_id", t.edge_type_id.to_string());
        row.insert("target_query", t.target_query.clone());
        row.insert("source_query", t.source_query.clone());
        // BMTK places synapses only within a distance range: without one,
        // the whole cell.
        let [a, b] = t.distance_range.unwrap_or([0.0, 1e20]);
        row.insert("distance_range", format!("[{}, {}]", number(a), number(b)));
        if !t.target_sections.is_empty() {
            row.insert("target_sections", py_list(&t.target_sections));
        }
        row.insert("dynamics_params", t.dynamics_params.clone());
        row.insert("model_template", t.model_template.clone());
        if let Some(w) = t.syn_weight {
            row.insert("syn_weight", number(w));
        }
        if let Some(d) = t.delay {
            row.insert("delay", number(d));
        }
        csv.row(&row)?;
    }
    Ok(csv.finish())
}

#[cfg(test)]
mod tests {
    use super::edge_index;

    #[test]
    fn index_merges_runs_and_leaves_empty_nodes_at_zero() {
        // Targets sorted (as BMTK writes): node 1 has edges 0..2, node 3 edge 2.
        let t = edge_index(&[1, 1, 3], 5);
        assert_eq!(
            t.node_id_to_range,
            vec![[0, 0], [0, 1], [0, 0], [1, 2], [0, 0]]
        );
        assert_eq!(t.range_to_edge_id, vec![[0, 2], [2, 3]]);
        // Sources interleaved: node 0 owns edges 0 and 2 (two ranges).
        let s = edge_index(&[0, 1, 0], 2);
        assert_eq!(s.node_id_to_range, vec![[0, 2], [2, 3]]);
        assert_eq!(s.range_to_edge_id, vec![[0, 1], [2, 3], [1, 2]]);
    }
}
