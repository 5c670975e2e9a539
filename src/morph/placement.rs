//! Where BMTK's bionet puts the synapses of edges without a preselected
//! site: the segments of the target cell whose section type is among the
//! edge type's `target_sections` and whose extent overlaps its
//! `distance_range` (path distance from soma(0), as NEURON's `distance`
//! sums it) are drawn with probability proportional to the overlapping
//! length, `nsyns` draws per edge, by the cell's own numpy stream
//! `RandomState(gid)`. SONATA runs place edges with it
//! (`driver::sonata::sites`), NDL connections `on = random(...)` too
//! (`front::ndl::morphology`, one draw per connection, node id as gid).

use super::bmtk_rng::{Cdf, RandomState, np_sum};
use crate::net::{Cell, Location};
use std::collections::HashMap;

/// Per-segment properties of a cell, in BMTK's order (sections in order,
/// segments along each).
#[derive(Clone, Debug)]
pub struct SegProps {
    /// Section index of each segment.
    sec: Vec<usize>,
    /// Segment centre (`seg.x`).
    x: Vec<f64>,
    /// SWC type code of the section (1 soma, 2 axon, 3 dend, 4 apic).
    kind: Vec<u8>,
    /// `L / nseg`.
    length: Vec<f64>,
    /// Path distance of the segment centre from soma(0).
    dist: Vec<f64>,
}

/// SWC code of a section or target name, as BMTK's `sec_type_swc` maps it.
pub fn swc_code(name: &str) -> Option<u8> {
    match name {
        "soma" | "somatic" => Some(1),
        "axon" | "axonal" => Some(2),
        "dend" | "basal" => Some(3),
        "apic" | "apical" => Some(4),
        _ => None,
    }
}

/// The section of the soma: the first named `soma` or `soma[...]`.
pub fn soma_index(cell: &Cell) -> Option<usize> {
    cell.sections
        .iter()
        .position(|s| s.name == "soma" || s.name.starts_with("soma["))
}

/// `(i + 0.5) / nseg` for the node at `x` of a section (0 at the 0 end,
/// 1 at the 1 end), as NEURON's `node_dist` uses it.
fn node_ratio(nseg: usize, x: f64) -> f64 {
    if x <= 0.0 {
        0.0
    } else if x >= 1.0 {
        1.0
    } else {
        let i = ((x * nseg as f64) as usize).min(nseg - 1);
        (i as f64 + 0.5) / nseg as f64
    }
}

impl SegProps {
    /// The segments of `cell` (its `nseg` already set), its sections in
    /// `order` (BMTK's `all` list; `None`: the cell's own order).
    pub fn of(cell: &Cell, order: Option<&[usize]>) -> Result<SegProps, String> {
        let soma = soma_index(cell).ok_or("the cell has no section named `soma`")?;
        if cell.sections[soma].parent.is_some() {
            return Err("the soma is not the root of the cell".into());
        }
        let mut p = SegProps {
            sec: Vec::new(),
            x: Vec::new(),
            kind: Vec::new(),
            length: Vec::new(),
            dist: Vec::new(),
        };
        let natural: Vec<usize> = (0..cell.sections.len()).collect();
        for &si in order.unwrap_or(&natural) {
            let s = &cell.sections[si];
            // BMTK: the name after the cell's prefix, first four letters.
            let short: String = s.name.chars().take(4).collect();
            let kind = swc_code(&short).ok_or_else(|| {
                format!(
                    "section `{}` is none of soma, axon, dend, apic (BMTK types sections by their first four letters)",
                    s.name
                )
            })?;
            let n = s.nseg.max(1);
            for i in 0..n {
                let x = (i as f64 + 0.5) / n as f64;
                p.sec.push(si);
                p.x.push(x);
                p.kind.push(kind);
                p.length.push(s.length / n as f64);
                p.dist.push(distance(cell, soma, si, x)?);
            }
        }
        Ok(p)
    }

    /// Number of segments.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// True when the cell has no segment.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// BMTK's `find_sections`: the eligible segments (ascending) and their
    /// probabilities.
    pub fn find(
        &self,
        names: &[String],
        range: (f64, f64),
    ) -> Result<(Vec<usize>, Vec<f64>), String> {
        let mut codes = Vec::new();
        for n in names {
            codes.push(
                swc_code(n)
                    .ok_or_else(|| format!("target section `{n}` is not a BMTK section type"))?,
            );
        }
        let (dmin, dmax) = range;
        let mut ix = Vec::new();
        let mut weight = Vec::new();
        for k in 0..self.len() {
            let len = self.length[k];
            let d0 = self.dist[k] - len / 2.0;
            let d1 = self.dist[k] + len / 2.0;
            let over = d1.min(dmax) - d0.max(dmin);
            let frac = (if over > 0.0 { over } else { 0.0 }) / len;
            if frac > 0.0 && codes.contains(&self.kind[k]) {
                ix.push(k);
                weight.push(len * frac);
            }
        }
        let total = np_sum(&weight);
        let prob = weight.iter().map(|w| w / total).collect();
        Ok((ix, prob))
    }

    /// Where segment `k` is.
    pub fn location(&self, k: usize) -> Location {
        Location {
            section: self.sec[k],
            x: self.x[k],
        }
    }
}

/// NEURON's `distance` from soma(0) to the node of section `si` at `x`:
/// the sums of `node_dist` walking from the section up to the soma.
fn distance(cell: &Cell, soma: usize, si: usize, x: f64) -> Result<f64, String> {
    let mut d = 0.0;
    let mut cur = si;
    let mut r = node_ratio(cell.sections[si].nseg.max(1), x);
    let mut steps = 0;
    while let Some((p, px)) = cell.sections[cur].parent {
        d += cell.sections[cur].length * r;
        r = node_ratio(cell.sections[p].nseg.max(1), px);
        cur = p;
        steps += 1;
        if steps > cell.sections.len() {
            return Err("the sections form a cycle".into());
        }
    }
    if cur != soma {
        return Err(format!(
            "section `{}` is not connected to the soma",
            cell.sections[si].name
        ));
    }
    Ok(d + cell.sections[cur].length * r)
}

/// BMTK's draw for one edge: `nsyns` segment indexes.
pub fn draw(
    rng: &mut RandomState,
    ix: &[usize],
    prob: &[f64],
    nsyns: usize,
) -> Result<Vec<usize>, String> {
    Ok(rng
        .choice(prob, nsyns)?
        .into_iter()
        .map(|i| ix[i])
        .collect())
}

/// Eligible segments (ascending) and the distribution of their
/// probabilities (or numpy's complaint about it).
type Eligible = (Vec<usize>, Result<Cdf, String>);

/// The synapse sites of edges on the cells of a network, drawn in the
/// order the loader asks for them (BMTK's connection order).
pub struct Placer {
    /// BMTK's gid of each cell (its stream's seed).
    gids: Vec<u64>,
    /// The cell whose segment table BMTK uses for each cell (see
    /// [`shared_props`]).
    props_from: Vec<usize>,
    rngs: Vec<Option<RandomState>>,
    /// Per cell: BMTK's order of its sections (`None`: the cell's own).
    orders: Vec<Option<Vec<usize>>>,
    /// Per cell: its segment table, once a draw needs it.
    props: Vec<Option<SegProps>>,
    /// (cell whose table, rule) → index into `eligible`.
    found: HashMap<(usize, usize), usize>,
    eligible: Vec<Eligible>,
    /// The key asked for last and its index (a cell's edges of one type
    /// come in runs).
    last: Option<((usize, usize), usize)>,
}

/// For each cell, the cell whose segment table BMTK's `Morphology` cache
/// hands it: an earlier cell with the same `morphology` value whose
/// segment count before `dL` equals this one's and whose count after
/// `dL` also equals this one's count before (the cache compares the
/// stored cell's current count); else the cell itself. `cells[k]` is
/// `(morphology, nseg before dL, nseg after dL)`.
pub fn shared_props(cells: &[(Option<String>, usize, usize)]) -> Vec<usize> {
    let mut stored: Vec<usize> = Vec::new();
    let mut out = Vec::with_capacity(cells.len());
    for (k, (m, pre, _)) in cells.iter().enumerate() {
        let Some(m) = m else {
            out.push(k);
            continue;
        };
        let hit = stored.iter().copied().find(|&e| {
            let (me, pre_e, post_e) = &cells[e];
            me.as_deref() == Some(m.as_str()) && pre_e == pre && post_e == pre
        });
        match hit {
            Some(e) => out.push(out[e]),
            None => {
                stored.push(k);
                out.push(k);
            }
        }
    }
    out
}

impl Placer {
    /// `gids[k]` seeds cell `k`'s stream; `props_from` from
    /// [`shared_props`]; `orders[k]` is BMTK's order of cell `k`'s
    /// sections when it differs from the cell's.
    pub fn new(gids: Vec<u64>, props_from: Vec<usize>, orders: Vec<Option<Vec<usize>>>) -> Placer {
        let n = gids.len();
        Placer {
            gids,
            props_from,
            rngs: vec![None; n],
            orders,
            props: std::iter::repeat_with(|| None).take(n).collect(),
            found: HashMap::new(),
            eligible: Vec::new(),
            last: None,
        }
    }

    /// BMTK's draw of `nsyns` sites on cell `c` for an edge type targeting
    /// `names` within `range`; `key` identifies (edge type, names, range)
    /// for the cache.
    /// An empty list when no segment qualifies (BMTK then makes no synapse
    /// and draws nothing).
    pub fn random_sites(
        &mut self,
        cells: &[Cell],
        c: usize,
        key: usize,
        (names, range): (&[String], (f64, f64)),
        nsyns: usize,
        out: &mut Vec<Location>,
    ) -> Result<(), String> {
        out.clear();
        let src = self.props_from[c];
        let slot = self
            .props
            .get_mut(src)
            .ok_or_else(|| format!("cell {src} is not in the network"))?;
        let props = match slot {
            Some(p) => &*p,
            None => {
                let order = self.orders.get(src).and_then(|o| o.as_deref());
                &*slot.insert(SegProps::of(&cells[src], order)?)
            }
        };
        let index = match self.last {
            Some((last, index)) if last == (src, key) => index,
            _ => {
                let index = match self.found.get(&(src, key)) {
                    Some(&index) => index,
                    None => {
                        let (ix, prob) = props.find(names, range)?;
                        let cdf = Cdf::new(&prob, 1);
                        self.eligible.push((ix, cdf));
                        self.found.insert((src, key), self.eligible.len() - 1);
                        self.eligible.len() - 1
                    }
                };
                self.last = Some(((src, key), index));
                index
            }
        };
        let Some((ix, cdf)) = self.eligible.get(index) else {
            return Err(format!("cell {src} has no segment list {key}"));
        };
        if ix.is_empty() {
            return Ok(());
        }
        let cdf = cdf.as_ref().map_err(String::clone)?;
        let gid = self.gids[c];
        let seed = u32::try_from(gid)
            .map_err(|_| format!("gid {gid} exceeds numpy's seed range (2**32 - 1)"))?;
        let rng = self.rngs[c].get_or_insert_with(|| RandomState::new(seed));
        // The segment index picks this cell's own section, the x comes
        // from the table.
        let order = self.orders.get(c).and_then(|o| o.as_deref());
        let mut missing = None;
        rng.choice_cdf(cdf, nsyns, |i| {
            let s = ix[i];
            match nth_segment_section(&cells[c], order, s) {
                Some(section) => out.push(Location {
                    section,
                    x: props.location(s).x,
                }),
                None => missing = missing.or(Some(s)),
            }
        });
        if let Some(s) = missing {
            return Err(format!(
                "segment {s} does not exist on the cell (its segment table is another cell's)"
            ));
        }
        Ok(())
    }
}

/// The section holding the `n`-th segment of `cell`, sections in `order`
/// (`None`: the cell's own order).
fn nth_segment_section(cell: &Cell, order: Option<&[usize]>, mut n: usize) -> Option<usize> {
    let count = order.map_or(cell.sections.len(), <[usize]>::len);
    for k in 0..count {
        let i = order.map_or(Some(k), |o| o.get(k).copied())?;
        let s = cell.sections.get(i)?;
        if n < s.nseg {
            return Some(i);
        }
        n -= s.nseg;
    }
    None
}

impl Placer {
    /// BMTK's order of cell `c`'s sections, if it differs from the cell's.
    pub fn order(&self, c: usize) -> Option<&[usize]> {
        self.orders.get(c).and_then(|o| o.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::Section;

    fn cell() -> Cell {
        let sec = |name: &str, length: f64, nseg: usize, parent: Option<(usize, f64)>| Section {
            name: name.into(),
            length,
            nseg,
            parent,
            ..Section::default()
        };
        Cell {
            sections: vec![
                sec("soma", 100.0, 5, None),
                sec("dend", 237.3, 7, Some((0, 1.0))),
                sec("apic", 151.1, 3, Some((0, 0.0))),
                sec("dend2", 77.7, 3, Some((1, 0.5))),
            ],
            ..Cell::default()
        }
    }

    /// `h.distance(seg)` from soma(0) in NEURON 9.0.2 for this tree.
    #[test]
    fn distances_equal_neuron() {
        let p = SegProps::of(&cell(), None).unwrap();
        let want = [
            10.0,
            30.0,
            50.0,
            70.0,
            90.0,
            116.95,
            150.85,
            184.75,
            218.65,
            252.55,
            286.45000000000005,
            320.35,
            25.18333333333333,
            75.55,
            125.91666666666667,
            231.6,
            257.5,
            283.4,
        ];
        assert_eq!(p.dist, want);
    }

    #[test]
    fn eligible_segments_by_type_and_distance() {
        let p = SegProps::of(&cell(), None).unwrap();
        let (ix, prob) = p.find(&["dend".into()], (150.0, 260.0)).unwrap();
        assert_eq!(ix, [6, 7, 8, 9, 15, 16]);
        assert!((prob.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let (ix, _) = p
            .find(&["soma".into(), "apic".into()], (0.0, 20.0))
            .unwrap();
        assert_eq!(ix, [0, 12]);
        assert!(p.find(&["basl".into()], (0.0, 1.0)).is_err());
    }

    #[test]
    fn cache_shares_tables_as_bmtk() {
        let m = Some("blank.swc".to_string());
        // dL changed the counts: no sharing.
        let a = shared_props(&[(m.clone(), 1, 5), (m.clone(), 1, 5)]);
        assert_eq!(a, [0, 1]);
        // Unchanged counts: the second uses the first's table.
        let b = shared_props(&[(m.clone(), 1, 1), (m.clone(), 1, 1), (None, 1, 1)]);
        assert_eq!(b, [0, 0, 2]);
    }
}
