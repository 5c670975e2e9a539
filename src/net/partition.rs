//! How a network is cut into runs of consecutive cells of about equal
//! work (threads, ranks): a pure function of the network, so that every
//! rank computes the same cut, and the NDL front end can compute it
//! before a rank's connections exist.

use super::{Cell, Network, PointProcess};

/// Each cell's work: compartments times (2 + inserted mechanisms), plus
/// its point processes / 8. `points` are the cells' point processes when
/// taken out of them.
pub fn cell_work(net: &Network, points: Option<&[Vec<PointProcess>]>) -> Vec<f64> {
    net.cells
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let comp: usize = c
                .sections
                .iter()
                .map(|s| s.nseg.max(1) * (2 + s.mechanisms.len()))
                .sum();
            comp as f64 + points_of(&net.cells, points, ci).len() as f64 / 8.0
        })
        .collect()
}

/// The point processes of cell `ci`: `taken[ci]` when they were taken out
/// of the cells, else the cell's own.
pub fn points_of<'a>(
    cells: &'a [Cell],
    taken: Option<&'a [Vec<PointProcess>]>,
    ci: usize,
) -> &'a [PointProcess] {
    match taken {
        Some(t) => t.get(ci).map_or(&[], Vec::as_slice),
        None => cells.get(ci).map_or(&[], |c| c.point_processes.as_slice()),
    }
}

/// Where each of up to `n` runs of consecutive cells with about equal
/// `work` starts (the first at 0).
pub fn cut(work: &[f64], n: usize) -> Vec<usize> {
    let total: f64 = work.iter().sum();
    let mut starts = vec![0usize];
    let mut acc = 0.0;
    for (c, w) in work.iter().enumerate() {
        let next = starts.len();
        if next < n && acc >= total * next as f64 / n as f64 && c > 0 {
            starts.push(c);
        }
        acc += w;
    }
    starts
}

/// Where each of `ranks` runs of consecutive cells starts (the first at 0)
/// when `synapses[c]` connections target cell `c` of `net` (whose cells
/// carry their other point processes): the cut a run over ranks makes of
/// the whole network, computed before its connections exist.
pub fn rank_starts(net: &Network, synapses: &[usize], ranks: usize) -> Vec<usize> {
    let mut work = cell_work(net, None);
    for (w, &n) in work.iter_mut().zip(synapses) {
        *w += n as f64 / 8.0;
    }
    cut(&work, ranks)
}
