//! Sections to nodes, as NEURON's `treeset.cpp` does: a section of `nseg`
//! segments has `nseg` interior nodes (at the segment centres) plus a node
//! at x = 1; the root section's x = 0 end is the cell's root node. The end
//! and root nodes carry no membrane (no capacitance, no mechanisms) and a
//! nominal area of 100 um2; their voltages follow from current balance.
//! Segment areas and axial resistances come from [`geometry`].

use crate::net::geometry;
use crate::net::{Cell, Location};

/// No parent: a cell's root node.
pub(crate) const ROOT: u32 = u32::MAX;

/// The nodes of one section.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SectionNodes {
    /// The node the section's x = 0 end attaches to.
    pub zero: u32,
    /// The first interior node (the others follow contiguously).
    pub first: u32,
    /// Number of interior nodes.
    pub nseg: u32,
    /// The node at x = 1.
    pub end: u32,
}

impl SectionNodes {
    /// The node that represents position `x` (NEURON's node_index): the
    /// ends for x = 0 and x = 1, otherwise the segment containing x.
    pub fn node_at(&self, x: f64) -> u32 {
        if x <= 0.0 {
            self.zero
        } else if x >= 1.0 {
            self.end
        } else {
            let k = ((x * f64::from(self.nseg)) as u32).min(self.nseg - 1);
            self.first + k
        }
    }

    /// True when `node` is one of this section's interior nodes.
    pub fn is_interior(&self, node: u32) -> bool {
        node >= self.first && node < self.first + self.nseg
    }
}

/// Every node of the network: tree structure, geometry and the constant
/// axial coefficients of the cable matrix.
#[derive(Debug, Default)]
pub(crate) struct Nodes {
    /// Parent node, [`ROOT`] for roots; a parent always precedes its child.
    pub parent: Vec<u32>,
    /// Membrane area (um2); 100 for the zero-area end and root nodes.
    pub area: Vec<f64>,
    /// Diameter (um).
    pub diam: Vec<f64>,
    /// Specific capacitance (uF/cm2); 0 where there is no membrane.
    pub cm: Vec<f64>,
    /// Effect of the node on its parent's equation (NEURON's A).
    pub a: Vec<f64>,
    /// Effect of the parent on the node's equation (NEURON's B).
    pub b: Vec<f64>,
    /// Per cell, per section: its nodes.
    pub sections: Vec<Vec<SectionNodes>>,
    /// Per node: true when it has membrane (capacitance, mechanisms).
    pub membrane: Vec<bool>,
    /// The cells' node ranges, consecutive cells of one tree shape
    /// together (see [`CellRun`]); they cover every node in order.
    pub runs: Vec<CellRun>,
}

impl Nodes {
    /// The node at `loc` of cell `cell`, if the location exists.
    pub fn node(&self, cell: usize, loc: Location) -> Option<u32> {
        Some(self.sections.get(cell)?.get(loc.section)?.node_at(loc.x))
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    fn push(&mut self, parent: u32, area: f64, diam: f64, cm: f64) -> u32 {
        let id = self.parent.len() as u32;
        self.parent.push(parent);
        self.area.push(area);
        self.diam.push(diam);
        self.cm.push(cm);
        self.membrane.push(false);
        self.a.push(0.0);
        self.b.push(0.0);
        id
    }
}

/// Consecutive cells whose trees have the same shape (node count, parent
/// of every node relative to the cell's first node, which nodes have
/// membrane): the matrix solver treats them side by side.
#[derive(Clone, Debug)]
pub(crate) struct CellRun {
    /// The first node of the first cell.
    pub first: u32,
    /// Number of cells.
    pub cells: u32,
    /// Per node of a cell: its parent's index within the cell, or
    /// [`ROOT`]. Its length is the cell's node count.
    pub parent: Vec<u32>,
    /// Per node of a cell: it has membrane (see [`Nodes::membrane`]).
    pub membrane: Vec<bool>,
    /// [`Nodes::a`], [`Nodes::b`] and [`Nodes::cm`] of each group of
    /// [`LANES`] cells, node by node, the cells side by side: element
    /// `g * len + j` holds node `j` of group `g`'s cells. The last group
    /// may be partial (at least [`PARTIAL_MIN`] cells; its unused lanes
    /// hold zeros); cells left over, and cells of more than
    /// [`LOCKSTEP_MAX`] nodes, are solved one by one.
    pub coef: Vec<[[f64; LANES]; 3]>,
}

/// Cells of one shape that the matrix solver treats side by side.
pub(crate) const LANES: usize = 16;

/// The largest cell (in nodes) solved side by side with others.
pub(crate) const LOCKSTEP_MAX: usize = 32;

/// The fewest cells a partial group of lanes takes: below it, solving the
/// cells one by one (chains of dependent divisions) costs less than a
/// whole group's vector operations.
pub(crate) const PARTIAL_MIN: usize = 4;

/// The runs of cells of `nodes` (every cell's nodes contiguous, its root
/// first, parents before children), with their coefficients.
fn cell_runs(nodes: &Nodes) -> Vec<CellRun> {
    let parent = &nodes.parent;
    let mut runs: Vec<CellRun> = Vec::new();
    let mut start = 0;
    while start < parent.len() {
        let end = (start + 1..parent.len())
            .find(|&i| parent[i] == ROOT)
            .unwrap_or(parent.len());
        let shape: Vec<u32> = parent[start..end]
            .iter()
            .map(|&p| {
                if p == ROOT {
                    ROOT
                } else {
                    p.wrapping_sub(start as u32)
                }
            })
            .collect();
        let membrane = &nodes.membrane[start..end];
        match runs.last_mut() {
            Some(r) if r.parent == shape && r.membrane == membrane => r.cells += 1,
            _ => runs.push(CellRun {
                first: start as u32,
                cells: 1,
                parent: shape,
                membrane: membrane.to_vec(),
                coef: Vec::new(),
            }),
        }
        start = end;
    }
    for run in &mut runs {
        let len = run.parent.len();
        if len > LOCKSTEP_MAX {
            continue;
        }
        let first = run.first as usize;
        let cells = run.cells as usize;
        let groups = cells / LANES + usize::from(cells % LANES >= PARTIAL_MIN);
        for g in 0..groups {
            let active = (cells - g * LANES).min(LANES);
            for j in 0..len {
                let at = |k: usize| first + (g * LANES + k) * len + j;
                let lanes =
                    |x: &[f64]| std::array::from_fn(|k| if k < active { x[at(k)] } else { 0.0 });
                run.coef
                    .push([lanes(&nodes.a), lanes(&nodes.b), lanes(&nodes.cm)]);
            }
        }
    }
    runs
}

/// The nodes of `cells`, or why a cell cannot be discretized. A cell with
/// no sections (an artificial cell) has no nodes.
pub(crate) fn discretize(cells: &[Cell]) -> Result<Nodes, String> {
    let mut nodes = Nodes::default();
    for (ci, cell) in cells.iter().enumerate() {
        if cell.sections.is_empty() {
            // An artificial cell: no nodes.
            nodes.sections.push(Vec::new());
            continue;
        }
        let root = nodes.push(ROOT, 100.0, cell.sections[0].diam, 0.0);
        let mut secs: Vec<SectionNodes> = Vec::with_capacity(cell.sections.len());
        // Reciprocal axial resistance (uS) of each node to its parent.
        let mut rinv: Vec<(u32, f64)> = Vec::new();
        for (si, sec) in cell.sections.iter().enumerate() {
            let what = format!("section `{}` of cell {ci} (gid {})", sec.name, cell.gid);
            if sec.nseg == 0 || sec.nseg > 32767 {
                return Err(format!("{what}: nseg must be 1 to 32767, not {}", sec.nseg));
            }
            let positive = |x: f64| x.is_finite() && x > 0.0;
            if sec.pt3d.len() >= 2 {
                if sec.pt3d.iter().flatten().any(|v| !v.is_finite())
                    || sec.pt3d.iter().any(|p| p[3] < 0.0)
                {
                    return Err(format!(
                        "{what}: 3-d points must be finite, with diameters not negative"
                    ));
                }
                if !positive(sec.length) || !positive(sec.ra) {
                    return Err(format!(
                        "{what}: L (the path through its 3-d points) and Ra must be positive"
                    ));
                }
            } else if !positive(sec.length) || !positive(sec.diam) || !positive(sec.ra) {
                return Err(format!(
                    "{what}: L, diam and Ra must be positive and finite"
                ));
            }
            if !sec.cm.is_finite() || sec.cm < 0.0 {
                return Err(format!("{what}: cm must be finite and not negative"));
            }
            let zero = match sec.parent {
                None if si == 0 => root,
                None => return Err(format!("{what}: only the first section may lack a parent")),
                Some((p, x)) => {
                    if p >= si {
                        return Err(format!(
                            "{what}: its parent section {p} must come before it"
                        ));
                    }
                    if !(0.0..=1.0).contains(&x) {
                        return Err(format!("{what}: parent position {x} is outside 0..1"));
                    }
                    secs[p].node_at(x)
                }
            };
            let geo = geometry::segment_geometry(sec);
            let mut prev = zero;
            let mut first = 0;
            for j in 0..sec.nseg {
                let id = nodes.push(prev, geo.area[j], geo.diam[j], sec.cm);
                if let Some(m) = nodes.membrane.get_mut(id as usize) {
                    *m = true;
                }
                if j == 0 {
                    first = id;
                }
                rinv.push((id, geo.rinv[j]));
                prev = id;
            }
            let end_diam = geo.diam.last().copied().unwrap_or(sec.diam);
            let end = nodes.push(prev, 100.0, end_diam, 0.0);
            rinv.push((end, geo.rinv[sec.nseg]));
            secs.push(SectionNodes {
                zero,
                first,
                nseg: sec.nseg as u32,
                end,
            });
        }
        for (id, r) in rinv {
            let i = id as usize;
            let p = nodes.parent[i] as usize;
            // Rall branch factor 1.
            nodes.a[i] = -1.0e2 * 1.0 * r / nodes.area[p];
            nodes.b[i] = -1.0e2 * r / nodes.area[i];
        }
        nodes.sections.push(secs);
    }
    nodes.runs = cell_runs(&nodes);
    Ok(nodes)
}
