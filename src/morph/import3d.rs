//! SWC points to sections the way NEURON's Import3d makes them
//! (`Import3d_SWC_read` then `Import3d_GUI.instantiate`), so section
//! names, order, connection points and 3-d points are NEURON's:
//!
//! - a section is an unbranched run of points of one type; a change of
//!   type or a branch point ends it;
//! - a child section starts with a copy of its parent point (a dendrite
//!   leaving the soma takes its second point's diameter for that copy);
//!   children join the parent at x = 1, or x = 0 when they leave the root
//!   section's first point;
//! - a one-point soma is a sphere, drawn as a three-point cylinder of
//!   length and diameter its diameter along x; the NeuroMorpho.org
//!   three-point soma (centre plus two points one radius away, same
//!   diameter) is read as that sphere; sections leaving a one-point soma
//!   attach at its middle (x = 0.5), joined to it by a wire (their first
//!   point is their own, not the soma's);
//! - sections leaving the interior of a soma of several points attach at
//!   x = 0.5;
//! - a branch from the first point of a dendrite that leaves the soma by a
//!   wire joins that dendrite at x = 0;
//! - sections of one point, and two-point sections of zero length, are
//!   dropped and their children moved to the dropped section's parent;
//! - names are `soma[i]`, `axon[i]`, `dend[i]`, `apic[i]`, numbered in
//!   file order within each type, created type by type;
//! - 3-d points go through NEURON's `pt3dadd` as Import3d prints them
//!   (`%.8g`) and NEURON stores them (single precision).

use super::swc::{KINDS, Swc};
use crate::diag::Span;

/// A section as Import3d creates it.
#[derive(Clone, Debug, PartialEq)]
pub struct MorphSection {
    /// NEURON's name: `soma[0]`, `dend[3]`.
    pub name: String,
    /// SWC type of its points (1 soma, 2 axon, 3 basal, 4 apical).
    pub kind: i64,
    /// Parent section (index in [`Morphology::sections`]) and the position
    /// on it where this section's x = 0 end attaches.
    pub parent: Option<(usize, f64)>,
    /// 3-d points `[x, y, z, diam]` as NEURON stores them.
    pub pt3d: Vec<[f32; 4]>,
    /// The SWC line of its last point.
    pub span: Span,
    /// Its position among Import3d's sections (the order NEURON connects
    /// them in).
    connect_rank: usize,
}

/// A cell's sections, in NEURON's creation order (every soma section,
/// then axon, basal and apical sections).
#[derive(Clone, Debug, PartialEq)]
pub struct Morphology {
    /// The sections.
    pub sections: Vec<MorphSection>,
}

/// One of Import3d's sections while it is built (`Import3d_Section`).
struct Raw {
    /// Index of the section's first own point (`id`).
    id: usize,
    /// Point indices making up `raw`: the parent point copy first for
    /// non-root sections.
    pts: Vec<usize>,
    /// Diameters, one per entry of `pts` (the first may be replaced).
    d: Vec<f64>,
    kind: i64,
    parent: Option<usize>,
    parentx: f64,
    /// 1 when the first raw point is not part of the section (a wire).
    first: usize,
}

/// Import3d's sections of `swc`.
pub fn sections(swc: &Swc) -> Morphology {
    let n = swc.points.len();
    let kind: Vec<i64> = swc.points.iter().map(|p| p.kind).collect();
    let mut pix: Vec<isize> = swc
        .parent
        .iter()
        .map(|p| p.map_or(-1, |i| i as isize))
        .collect();

    // mark_branch: children per point, + 0.01 for a non-contiguous child
    // or a type change (so that the point ends a section).
    let mut nchild = vec![0.0f64; n];
    let mut connect2prox = vec![false; n];
    for i in 0..n {
        let p = pix[i];
        if p < 0 {
            continue;
        }
        let p = p as usize;
        nchild[p] += 1.0;
        if p + 1 != i {
            nchild[p] += 0.01;
            if p > 1 {
                let pp = pix[p];
                if kind[p] != 1 && pp >= 0 && kind[pp as usize] == 1 {
                    connect2prox[i] = true;
                    nchild[p] = 1.0;
                }
            } else if p == 0 && kind[p] != 1 {
                connect2prox[i] = true;
                nchild[p] = 1.0;
            }
        }
        if kind[p] != kind[i] {
            nchild[p] += 0.01;
        }
    }

    // sectionify
    let mut nchild_soma = vec![0.0f64; n];
    let mut nsoma = usize::from(kind[0] == 1);
    for i in 1..n {
        if kind[i] == 1 {
            nsoma += 1;
            let p = pix[i];
            if p >= 0 && kind[p as usize] == 1 {
                nchild_soma[p as usize] += 1.0;
            }
        }
    }
    let soma3geom = nsoma == 3 && three_point_soma(swc, &pix, &nchild);
    if soma3geom {
        // Keeps the two outer points one section with the centre.
        pix[2] = 1;
    }
    for i in 0..n.saturating_sub(1) {
        if kind[i] == 1 && kind[i + 1] == 1 && pix[i + 1] == i as isize {
            if i != 0 && nchild_soma[i] > 1.0 {
                // A branched soma: the point ends a section.
            } else {
                nchild[i] = 1.0;
            }
        }
    }
    let sec2point: Vec<usize> = (0..n).filter(|&i| nchild[i] != 1.0).collect();
    let mut point2sec = vec![0usize; n];
    let mut si = 0;
    for (i, s) in point2sec.iter_mut().enumerate().skip(1) {
        if sec2point.get(si).is_some_and(|&last| i > last) {
            si += 1;
        }
        *s = si;
    }

    // mksections
    let mut raws: Vec<Raw> = Vec::new();
    let mut isec = 0;
    let mut first = 0;
    for i in 0..n {
        if point2sec[i] > isec {
            raws.push(mksection(
                swc,
                &pix,
                &nchild_soma,
                &connect2prox,
                &point2sec,
                &raws,
                isec,
                first,
                i,
                soma3geom,
            ));
            isec += 1;
            first = i;
        }
    }
    raws.push(mksection(
        swc,
        &pix,
        &nchild_soma,
        &connect2prox,
        &point2sec,
        &raws,
        isec,
        first,
        n,
        soma3geom,
    ));

    instantiate(swc, raws)
}

/// NeuroMorpho.org's three-point soma: points 1 and 2 children of point 0
/// with no children of their own, all three of one diameter, the two
/// outer points together one diameter away from the centre.
fn three_point_soma(swc: &Swc, pix: &[isize], nchild: &[f64]) -> bool {
    let p = &swc.points;
    if p.len() < 3 || pix[1] != 0 || pix[2] != 0 {
        return false;
    }
    if nchild[1] != 0.0 || nchild[2] != 0.0 {
        return false;
    }
    if p[1].diam != p[0].diam || p[2].diam != p[0].diam {
        return false;
    }
    let mut len = 0.0;
    for q in &p[1..3] {
        let (dx, dy, dz) = (q.x - p[0].x, q.y - p[0].y, q.z - p[0].z);
        len += (dx * dx + dy * dy + dz * dz).sqrt();
    }
    (len / p[0].diam - 1.0).abs() < 0.01
}

/// One section of points `first..i` (Import3d's `mksection`): its points,
/// parent, connection position and wire flag.
#[allow(clippy::too_many_arguments)]
fn mksection(
    swc: &Swc,
    pix: &[isize],
    nchild_soma: &[f64],
    connect2prox: &[bool],
    point2sec: &[usize],
    raws: &[Raw],
    isec: usize,
    first: usize,
    i: usize,
    soma3geom: bool,
) -> Raw {
    let kind = |k: usize| swc.points[k].kind;
    let mut sec;
    if isec == 0 {
        let i = if soma3geom { 1 } else { i };
        sec = Raw {
            id: first,
            pts: (first..i).collect(),
            d: (first..i).map(|k| swc.points[k].diam).collect(),
            kind: kind(first),
            parent: None,
            parentx: 1.0,
            first: 0,
        };
    } else {
        let pfirst = pix[first].max(0) as usize;
        let ps = point2sec[pfirst];
        let psec = &raws[ps];
        let den_con_soma = psec.kind == 1 && kind(first) != 1;
        let con_soma = psec.kind == 1;
        let mut parentx = 1.0;
        let mut wire = 0;
        let mut handled = false;
        if ps == 0 {
            handled = true;
            if den_con_soma && psec.d.len() == 1 {
                parentx = 0.5;
                if i - first > 1 {
                    wire = 1;
                }
            } else if pfirst == psec.id {
                parentx = 0.0;
                if kind(first) != 1 && nchild_soma[pfirst] > 1.0 {
                    wire = 1;
                }
            } else {
                handled = false;
            }
        }
        if !handled && con_soma {
            let offset: isize = if psec.id == 0 { -1 } else { -2 };
            if (pfirst as isize) < psec.id as isize + psec.d.len() as isize + offset {
                parentx = 0.5;
                if den_con_soma && i - first > 1 {
                    wire = 1;
                }
            } else if i - first > 1 && nchild_soma[pfirst] > 1.0 && kind(first) != 1 {
                wire = 1;
            }
        }
        let pts: Vec<usize> = std::iter::once(pfirst).chain(first..i).collect();
        let d = pts.iter().map(|&k| swc.points[k].diam).collect();
        sec = Raw {
            id: first,
            pts,
            d,
            kind: kind(first),
            parent: Some(ps),
            parentx,
            first: wire,
        };
    }
    if let Some(p) = sec.parent {
        if raws[p].kind == 1 && sec.kind != 1 && sec.d.len() > 1 {
            sec.d[0] = sec.d[1];
        }
        if connect2prox[first] {
            sec.parentx = 0.0;
        }
    }
    sec
}

/// Import3d_GUI's `instantiate`: drops degenerate sections, names the
/// rest, and gives each its 3-d points.
fn instantiate(swc: &Swc, mut raws: Vec<Raw>) -> Morphology {
    // chk_valid: from the last section back, drop one-point sections and
    // two-point sections of zero length; their later children move to
    // the dropped section's parent.
    let mut alive: Vec<usize> = (0..raws.len()).collect();
    let mut k = raws.len();
    while k > 0 {
        k -= 1;
        let r = &raws[alive[k]];
        if r.parent.is_none() {
            continue;
        }
        let own = r.pts.len() - r.first;
        let degenerate = own <= 1 || {
            own <= 2 && {
                let a = &swc.points[r.pts[r.first]];
                let b = &swc.points[r.pts[r.first + 1]];
                a.x == b.x && a.y == b.y && a.z == b.z
            }
        };
        if degenerate {
            let gone = alive.remove(k);
            let (gp, gx) = (raws[gone].parent, raws[gone].parentx);
            for &later in &alive[k..] {
                if raws[later].parent == Some(gone) {
                    raws[later].parent = gp;
                    raws[later].parentx = gx;
                }
            }
        }
    }
    // set_nameindex and creation order: types from the smallest in the
    // file up, each numbered in list order.
    let mut counts = [0usize; 4];
    let mut name_index = vec![0usize; raws.len()];
    for &r in &alive {
        let t = type_slot(raws[r].kind);
        name_index[r] = counts[t];
        counts[t] += 1;
    }
    let mut created: Vec<usize> = alive.clone();
    created.sort_by_key(|&r| (type_slot(raws[r].kind), name_index[r]));
    let mut position = vec![usize::MAX; raws.len()];
    for (k, &r) in created.iter().enumerate() {
        position[r] = k;
    }
    let rank: Vec<usize> = {
        let mut v = vec![0; raws.len()];
        for (k, &r) in alive.iter().enumerate() {
            v[r] = k;
        }
        v
    };
    let sections = created
        .iter()
        .map(|&r| {
            let raw = &raws[r];
            let t = type_slot(raw.kind);
            let pt = |k: usize| {
                let p = &swc.points[raw.pts[k]];
                (p.x, p.y, p.z, raw.d[k])
            };
            let mut pts: Vec<(f64, f64, f64, f64)> = (raw.first..raw.pts.len()).map(pt).collect();
            if pts.len() == 1 {
                // sphere_rep: a cylinder along x of length and diameter d.
                let (x, y, z, d) = pts[0];
                pts = vec![(x - d / 2.0, y, z, d), (x, y, z, d), (x + d / 2.0, y, z, d)];
            }
            let last = raw.pts[raw.pts.len() - 1];
            MorphSection {
                name: format!("{}[{}]", KINDS[t].1, name_index[r]),
                kind: raw.kind,
                parent: raw.parent.map(|p| (position[p], raw.parentx)),
                pt3d: pts
                    .into_iter()
                    .map(|(x, y, z, d)| [g8(x), g8(y), g8(z), g8(d)])
                    .collect(),
                span: swc.points[last].span,
                connect_rank: rank[r],
            }
        })
        .collect();
    Morphology { sections }
}

/// Index of SWC type `kind` in [`KINDS`] (the parser admits no other).
fn type_slot(kind: i64) -> usize {
    KINDS.iter().position(|(k, _)| *k == kind).unwrap_or(0)
}

/// A value as Import3d hands it to `pt3dadd` (printed `%.8g`, read back
/// in double) and NEURON stores it (single precision).
fn g8(v: f64) -> f32 {
    let printed = format!("{v:.7e}");
    printed.parse::<f64>().unwrap_or(v) as f32
}

impl Morphology {
    /// The position of section `k` among Import3d's sections: the order
    /// in which NEURON connects them.
    pub fn connect_rank(&self, k: usize) -> usize {
        self.sections[k].connect_rank
    }

    /// NEURON's section order (`section_order` in `solve.cpp`): the root,
    /// then breadth first, the children of each section in its child
    /// list, which NEURON keeps sorted by connection position, a section
    /// connected later going before earlier ones at the same position.
    /// The order of the cable matrix's nodes, which NEURON's elimination
    /// follows.
    pub fn neuron_order(&self) -> Vec<usize> {
        let n = self.sections.len();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut by_rank: Vec<usize> = (0..n).collect();
        by_rank.sort_by_key(|&s| self.sections[s].connect_rank);
        for &s in &by_rank {
            if let Some((p, x)) = self.sections[s].parent {
                let list = &mut children[p];
                let at = list
                    .iter()
                    .position(|&c| self.sections[c].parent.is_some_and(|(_, cx)| x <= cx))
                    .unwrap_or(list.len());
                list.insert(at, s);
            }
        }
        let mut order: Vec<usize> = (0..n)
            .filter(|&s| self.sections[s].parent.is_none())
            .collect();
        let mut k = 0;
        while k < order.len() {
            let s = order[k];
            order.extend(children[s].iter().copied());
            k += 1;
        }
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_significant_digits_then_single_precision() {
        assert_eq!(g8(1.5), 1.5);
        // 8 digits of the double nearest 0.1, then single precision.
        assert_eq!(g8(0.1), 0.1f32);
        // 123.456789 prints as 123.45679.
        assert_eq!(g8(123.456789), "123.45679".parse::<f32>().unwrap_or(0.0));
    }
}
