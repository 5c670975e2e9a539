//! One section of a template instance as NEURON holds it while `init()`
//! runs: geometry, per-segment values of `diam`, `cm`, mechanism
//! parameters and ion variables, 3-d points, and its parent; and the
//! conversion of all sections into a [`crate::net::Cell`], which keeps one
//! value per section (a value that varies along a section is an error).

use crate::diag::{Diagnostic, Span};
use crate::net::{self, Cell, Location};
use std::collections::BTreeMap;

/// A value per segment and the statement that last set it.
#[derive(Clone, Debug)]
pub struct PerSeg {
    /// One value per segment.
    pub values: Vec<f64>,
    /// Where it was last set (`None`: never set, the default).
    pub set_at: Option<Span>,
}

impl PerSeg {
    fn new(v: f64, nseg: usize) -> Self {
        PerSeg {
            values: vec![v; nseg],
            set_at: None,
        }
    }

    /// NEURON's rule when `nseg` changes: each new segment takes the value
    /// of the old segment that contains its center.
    fn resize(&mut self, nseg: usize) {
        let old = self.values.len();
        self.values = (0..nseg)
            .map(|i| {
                let x = (i as f64 + 0.5) / nseg as f64;
                self.values[seg_index(old, x)]
            })
            .collect();
    }
}

/// Index of the segment holding `x` (NEURON's `node_index`): `x = 1` is
/// the last segment.
pub fn seg_index(nseg: usize, x: f64) -> usize {
    let n = nseg as f64;
    let i = (n * x) as usize;
    i.min(nseg - 1)
}

/// A density mechanism in a section.
#[derive(Clone, Debug)]
pub struct Mech {
    /// Its name.
    pub name: String,
    /// Parameters set by the template, per segment.
    pub params: BTreeMap<String, PerSeg>,
}

/// A section being built.
#[derive(Clone, Debug)]
pub struct Sec {
    /// Name as NEURON prints it inside the instance (`soma`, `dend[2]`).
    pub name: String,
    /// Where it was created.
    pub created: Span,
    /// Length (um).
    pub length: f64,
    /// Number of segments.
    pub nseg: usize,
    /// Axial resistivity.
    pub ra: f64,
    /// Diameter per segment.
    pub diam: PerSeg,
    /// Capacitance per segment.
    pub cm: PerSeg,
    /// Inserted mechanisms, in insertion order.
    pub mechs: Vec<Mech>,
    /// Ions inserted explicitly (`insert na_ion`).
    pub ions: Vec<String>,
    /// Ion variables set by the template (`ena`), per segment.
    pub ion_values: BTreeMap<String, PerSeg>,
    /// `(parent, x)` and the end of this section that connects.
    pub parent: Option<(usize, f64, f64)>,
    /// 3-d points (x, y, z, diam) in single precision as NEURON keeps them.
    pub pt3d: Vec<[f32; 4]>,
    /// Where 3-d points were first given.
    pub pt3d_at: Option<Span>,
}

impl Sec {
    /// A section with NEURON's defaults.
    pub fn new(name: String, created: Span) -> Self {
        Sec {
            name,
            created,
            length: 100.0,
            nseg: 1,
            ra: 35.4,
            diam: PerSeg::new(500.0, 1),
            cm: PerSeg::new(1.0, 1),
            mechs: Vec::new(),
            ions: Vec::new(),
            ion_values: BTreeMap::new(),
            parent: None,
            pt3d: Vec::new(),
            pt3d_at: None,
        }
    }

    /// Changes `nseg`, keeping values the way NEURON does.
    pub fn set_nseg(&mut self, n: usize) {
        if n == self.nseg {
            return;
        }
        self.diam.resize(n);
        self.cm.resize(n);
        for m in &mut self.mechs {
            for p in m.params.values_mut() {
                p.resize(n);
            }
        }
        for p in self.ion_values.values_mut() {
            p.resize(n);
        }
        self.nseg = n;
    }

    /// The mechanism called `name`, if inserted.
    pub fn mech_mut(&mut self, name: &str) -> Option<&mut Mech> {
        self.mechs.iter_mut().find(|m| m.name == name)
    }

    /// Whether `name` is inserted.
    pub fn has_mech(&self, name: &str) -> bool {
        self.mechs.iter().any(|m| m.name == name)
    }

    /// Length of the path through the 3-d points (NEURON sums the
    /// distances between consecutive single-precision points in double).
    pub fn pt3d_length(&self) -> f64 {
        self.pt3d
            .windows(2)
            .map(|w| {
                let d: Vec<f64> = (0..3).map(|k| w[1][k] as f64 - w[0][k] as f64).collect();
                (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
            })
            .sum()
    }

    /// Per-segment values that must be one value for the whole section:
    /// the value, or an error naming where it was made to vary.
    fn uniform(&self, what: &str, p: &PerSeg) -> Result<f64, Diagnostic> {
        let first = p.values[0];
        match p.values.iter().position(|v| v.to_bits() != first.to_bits()) {
            None => Ok(first),
            Some(k) => {
                let mut d = Diagnostic::error(
                    "E1620",
                    format!(
                        "`{what}` varies along `{}`: {first} in segment 1, {} in segment {}",
                        self.name,
                        p.values[k],
                        k + 1
                    ),
                )
                .with_help("nmc sections hold one value per section; give the whole section one value, or split it into sections");
                if let Some(at) = p.set_at {
                    d = d.with_primary(at, "set here for part of the section");
                } else {
                    d = d.with_primary(self.created, "section created here");
                }
                Err(d)
            }
        }
    }
}

/// Turns the sections of an instance into a cell: parents before
/// children, one value per section. `order` lists the sections with every
/// parent before its children.
pub fn to_cell(secs: &[Sec], order: &[usize]) -> Result<Cell, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut position = vec![0; secs.len()];
    for (k, &i) in order.iter().enumerate() {
        position[i] = k;
    }
    let mut cell = Cell::default();
    for &i in order {
        let s = &secs[i];
        let mut out = net::Section {
            name: s.name.clone(),
            length: s.length,
            nseg: s.nseg,
            ra: s.ra,
            parent: s.parent.map(|(p, x, _)| (position[p], x)),
            ..net::Section::default()
        };
        match s.uniform("diam", &s.diam) {
            Ok(v) => out.diam = v,
            Err(d) => errors.push(d),
        }
        match s.uniform("cm", &s.cm) {
            Ok(v) => out.cm = v,
            Err(d) => errors.push(d),
        }
        for m in &s.mechs {
            let mut params = BTreeMap::new();
            for (name, p) in &m.params {
                match s.uniform(&format!("{name}_{}", m.name), p) {
                    Ok(v) => {
                        params.insert(name.clone(), v);
                    }
                    Err(d) => errors.push(d),
                }
            }
            out.mechanisms.push(net::Insert {
                mechanism: m.name.clone(),
                params,
            });
        }
        for (name, p) in &s.ion_values {
            match s.uniform(name, p) {
                Ok(v) => {
                    out.ion_values.insert(name.clone(), v);
                }
                Err(d) => errors.push(d),
            }
        }
        cell.sections.push(out);
    }
    let soma = cell
        .sections
        .iter()
        .position(|s| s.name == "soma[0]" || s.name == "soma")
        .unwrap_or(0);
    cell.spike_site = Location {
        section: soma,
        x: 0.5,
    };
    if errors.is_empty() {
        Ok(cell)
    } else {
        Err(errors)
    }
}
