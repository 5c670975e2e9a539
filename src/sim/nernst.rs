//! Reversal potentials NEURON computes from concentrations. An ion's
//! style at a node follows from what the mechanisms there do with it
//! (NEURON's `nrn_promote`): when some mechanism reads or writes a
//! concentration (`cai`, `cao`) and none writes the reversal potential,
//! `eca` is set by the Nernst equation at initialisation; when a mechanism
//! also writes a concentration, it is set again before every current
//! evaluation (the ion's own current function runs before every other
//! mechanism's). Elsewhere the reversal potential keeps its set value.

use super::discretize::Nodes;
use super::instances::MechInstances;
use crate::back::NodeData;
use crate::ir::Mechanism;
use crate::net::Cell;
use std::collections::HashMap;

/// NEURON 9's gas constant (J / (K mol)) and Faraday constant (C / mol).
const GAS_CONSTANT: f64 = 8.314_462_618_153_24;
const FARADAY: f64 = 96_485.332_123_310_01;

/// NEURON's `nernst(ci, co, z)` at `celsius` (mV), same operations in the
/// same order.
pub(crate) fn nernst(ci: f64, co: f64, z: f64, celsius: f64) -> f64 {
    if z == 0.0 {
        return 0.0;
    }
    if ci <= 0.0 {
        1e6
    } else if co <= 0.0 {
        -1e6
    } else {
        (1000.0 * GAS_CONSTANT * (celsius + 273.15) / FARADAY) / z * (co / ci).ln()
    }
}

/// One ion whose reversal potential is computed at some nodes.
#[derive(Clone, Debug)]
pub(crate) struct NernstIon {
    /// `e<ion>`, `<ion>i`, `<ion>o`.
    e: String,
    ci: String,
    co: String,
    /// Constant inside / outside concentration where no mechanism uses it.
    ci_default: f64,
    co_default: f64,
    /// Valence.
    z: f64,
    /// Nodes where it is computed at initialisation.
    init: Vec<u32>,
    /// Nodes where it is computed before every current evaluation.
    advance: Vec<u32>,
    /// The values of one update.
    scratch: Vec<f64>,
}

/// Styles per node: (concentration 0 unused / 1 read / 3 written,
/// reversal potential 0 unused / 1 read / 3 written).
type Styles = HashMap<String, (HashMap<u32, (u8, u8)>, f64)>;

fn promote(styles: &mut Styles, mech: &Mechanism, node: u32) {
    for u in &mech.ions {
        let (ci, co, e) = (
            format!("{}i", u.name),
            format!("{}o", u.name),
            format!("e{}", u.name),
        );
        let conc = if u.write.iter().any(|w| *w == ci || *w == co) {
            3
        } else if u.read.iter().any(|r| *r == ci || *r == co) {
            1
        } else {
            0
        };
        let rev = if u.write.contains(&e) {
            3
        } else if u.read.contains(&e) {
            1
        } else {
            0
        };
        let z = u.valence.unwrap_or(match u.name.as_str() {
            "ca" => 2.0,
            _ => 1.0,
        });
        let entry = styles
            .entry(u.name.clone())
            .or_insert_with(|| (HashMap::new(), z));
        let s = entry.0.entry(node).or_insert((0, 0));
        s.0 = s.0.max(conc);
        s.1 = s.1.max(rev);
    }
}

/// The ions of the run whose reversal potential is computed somewhere.
pub(crate) fn ions(
    cells: &[Cell],
    nodes: &Nodes,
    mechs: &[MechInstances],
    data: &NodeData,
    default: impl Fn(&str, &str) -> f64,
) -> Vec<NernstIon> {
    let by_name: HashMap<&str, &Mechanism> = mechs
        .iter()
        .map(|m| (m.mech().name.as_str(), m.mech()))
        .collect();
    let mut styles: Styles = HashMap::new();
    for (ci, cell) in cells.iter().enumerate() {
        for (si, sec) in cell.sections.iter().enumerate() {
            let Some(s) = nodes.sections.get(ci).and_then(|c| c.get(si)) else {
                continue;
            };
            for ins in &sec.mechanisms {
                let Some(m) = by_name.get(ins.mechanism.as_str()) else {
                    continue;
                };
                for k in 0..s.nseg {
                    promote(&mut styles, m, s.first + k);
                }
            }
        }
        for pp in &cell.point_processes {
            let (Some(m), Some(node)) = (by_name.get(&*pp.mechanism), nodes.node(ci, pp.location))
            else {
                continue;
            };
            if !cell.sections.is_empty() {
                promote(&mut styles, m, node);
            }
        }
    }
    let mut out = Vec::new();
    let mut names: Vec<&String> = styles.keys().collect();
    names.sort();
    for ion in names {
        let (per_node, z) = &styles[ion];
        let e = format!("e{ion}");
        if !data.ions.contains_key(&e) {
            // Nothing reads the reversal potential.
            continue;
        }
        let mut init = Vec::new();
        let mut advance = Vec::new();
        let mut keys: Vec<(&u32, &(u8, u8))> = per_node.iter().collect();
        keys.sort();
        for (&node, &(conc, rev)) in keys {
            let rev = if conc > 0 && rev < 2 { 2 } else { rev };
            if conc > 0 && rev == 2 {
                init.push(node);
                if conc == 3 {
                    advance.push(node);
                }
            }
        }
        if init.is_empty() {
            continue;
        }
        let (ci, co) = (format!("{ion}i"), format!("{ion}o"));
        out.push(NernstIon {
            ci_default: default(ion, &ci),
            co_default: default(ion, &co),
            e,
            ci,
            co,
            z: *z,
            scratch: Vec::with_capacity(init.len()),
            init,
            advance,
        });
    }
    out
}

/// Sets the reversal potentials of `ions` at their initialisation nodes
/// (`at_init`) or their every-step nodes.
pub(crate) fn update(ions: &mut [NernstIon], data: &mut NodeData, celsius: f64, at_init: bool) {
    for ion in ions {
        let list = if at_init { &ion.init } else { &ion.advance };
        if list.is_empty() {
            continue;
        }
        let ci = data.ions.get(&ion.ci);
        let co = data.ions.get(&ion.co);
        ion.scratch.clear();
        for &n in list {
            let n = n as usize;
            let c_in = ci.and_then(|a| a.get(n)).copied().unwrap_or(ion.ci_default);
            let c_out = co.and_then(|a| a.get(n)).copied().unwrap_or(ion.co_default);
            ion.scratch.push(nernst(c_in, c_out, ion.z, celsius));
        }
        if let Some(e) = data.ions.get_mut(&ion.e) {
            for (&n, &x) in list.iter().zip(&ion.scratch) {
                if let Some(slot) = e.get_mut(n as usize) {
                    *slot = x;
                }
            }
        }
    }
}
