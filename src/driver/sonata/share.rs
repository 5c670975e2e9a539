//! One rank's share of a circuit's edges in a run over ranks: the cells
//! are cut over the ranks from what every rank knows (the cells, and the
//! edges onto each node counted from `indices/target_to_source` without
//! reading an edge), then each rank reads only the edges onto its own
//! cells through the same indices.

use super::CellOrigin;
use crate::diag::Diagnostic;
use crate::net::Network;
use crate::sonata::config::CircuitConfig;
use crate::sonata::edges::{EdgePopulation, read_edges, read_edges_onto, target_counts};
use std::collections::HashMap;
use std::ops::Range;

/// Every edge of the circuit, as one process reads them.
pub(super) fn read_all_edges(
    circuit: &CircuitConfig,
) -> Result<Vec<EdgePopulation>, Vec<Diagnostic>> {
    let mut edge_pops = Vec::new();
    for (f, t) in &circuit.edges {
        edge_pops.extend(read_edges(f, t).map_err(|d| vec![d])?);
    }
    let n: usize = edge_pops.iter().map(EdgePopulation::len).sum();
    crate::io::trace(&format!("sonata: {n} edges read"));
    Ok(edge_pops)
}

/// The cells of one node population: consecutive cells from `first`,
/// their node ids ascending (the loader's cell order).
struct Run {
    first: usize,
    ids: Vec<u64>,
}

fn runs(cells: &[CellOrigin]) -> HashMap<&str, Run> {
    let mut out: HashMap<&str, Run> = HashMap::new();
    for (c, o) in cells.iter().enumerate() {
        out.entry(o.population.as_str())
            .or_insert_with(|| Run {
                first: c,
                ids: Vec::new(),
            })
            .ids
            .push(o.node_id);
    }
    out
}

/// Where each of `ranks` runs of consecutive cells starts, from each
/// cell's work and its incoming edges; None when the edges cannot be
/// read per rank: an artificial cell (its spikes come from event
/// delivery, so such a network runs on one rank), an edge population onto
/// real cells without `indices/target_to_source`, fewer cells than ranks.
pub(super) fn rank_cut(
    circuit: &CircuitConfig,
    net: &Network,
    cells: &[CellOrigin],
    ranks: usize,
) -> Result<Option<Vec<usize>>, Vec<Diagnostic>> {
    if net.cells.iter().any(|c| c.sections.is_empty()) {
        return Ok(None);
    }
    let runs = runs(cells);
    let mut edges = vec![0usize; net.cells.len()];
    for (f, _) in &circuit.edges {
        for (_, target, counts) in target_counts(f).map_err(|d| vec![d])? {
            let Some(run) = runs.get(target.as_str()) else {
                // Onto no real cell: read whole by every rank (an error).
                continue;
            };
            let Some(counts) = counts else {
                return Ok(None);
            };
            for (k, &id) in run.ids.iter().enumerate() {
                if let Some(&n) = usize::try_from(id).ok().and_then(|i| counts.get(i)) {
                    edges[run.first + k] += n as usize;
                }
            }
        }
    }
    let starts = crate::net::partition::rank_starts(net, &edges, ranks);
    crate::io::trace("sonata: cells cut over the ranks");
    Ok((starts.len() == ranks).then_some(starts))
}

/// The node ids of `run`'s population that rank `r` reads the edges
/// onto: from the node id of its first cell there to the next rank's.
/// The ranks' ranges cover every node id, so an edge onto a node that is
/// not a real cell is still read (and refused) by one rank.
fn node_range(run: &Run, starts: &[usize], r: usize) -> Range<u64> {
    let first_id = |r: usize| -> u64 {
        if r == 0 {
            return 0;
        }
        match starts.get(r) {
            Some(&s) => run
                .ids
                .get(s.saturating_sub(run.first))
                .copied()
                .unwrap_or(u64::MAX),
            None => u64::MAX,
        }
    };
    first_id(r)..first_id(r + 1)
}

/// The edges onto rank `rank`'s cells of the cut `starts`, population by
/// population in the order of a whole read; edges onto populations that
/// are not real cells are read whole.
pub(super) fn read_rank_edges(
    circuit: &CircuitConfig,
    cells: &[CellOrigin],
    starts: &[usize],
    rank: usize,
) -> Result<Vec<EdgePopulation>, Vec<Diagnostic>> {
    let runs = runs(cells);
    let ranges: HashMap<&str, Range<u64>> = runs
        .iter()
        .map(|(&p, run)| (p, node_range(run, starts, rank)))
        .collect();
    let mut edge_pops = Vec::new();
    for (f, t) in &circuit.edges {
        let (pops, _) = read_edges_onto(f, t, &|p| ranges.get(p).cloned()).map_err(|d| vec![d])?;
        edge_pops.extend(pops);
    }
    let n: usize = edge_pops.iter().map(EdgePopulation::len).sum();
    crate::io::trace(&format!("sonata: {n} edges read onto this rank's cells"));
    Ok(edge_pops)
}
