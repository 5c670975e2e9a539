//! Allen Cell Types perisomatic models as BMTK's bionet builds them:
//! `model_template` `ctdb:Biophys1.hoc` (the morphology read by NEURON's
//! Import3d into `soma`, `axon`, `dend`, `apic` sections) followed by
//! `model_processing` `aibs_perisomatic` with the cell's fit file:
//!
//! - the reconstructed axon is deleted and replaced by a stub of two
//!   sections of L = 30 um and diam = 1 um, `axon[0]` on soma(0.5) and
//!   `axon[1]` on axon[0](1), which NEURON's `define_shape` then gives
//!   3-d points (so their geometry comes from points, as NEURON's does);
//! - `passive`: `ra` and `e_pas` everywhere, `cm` per section type, `pas`
//!   inserted everywhere;
//! - `genome`: per entry, the mechanism inserted in every section of the
//!   type (unless empty) and the range variable `name` set;
//! - `conditions.erev`: `ena` and `ek` per section type (the other
//!   conditions are the run's, not the cell's).
//!
//! `model_processing` `aibs_allactive` (Allen all-active models) differs:
//!
//! - the stub's `axon[0]` hangs from soma(1), and the two sections take
//!   the diameters of the reconstructed axon (its first section's, then
//!   its last section's, each the segment diameter NEURON reports with
//!   one segment) instead of 1 um;
//! - `passive`: `pas` everywhere, `e_pas` and `ra` only when given (else
//!   NEURON's -70 mV and 35.4 ohm cm), `cm` only for the section types
//!   listed (else 1 uF/cm2);
//! - `genome`: entries of section `glob` are skipped (with BMTK's
//!   warning), entries of section types the cell lacks do nothing, `cm`
//!   and `Ra` set the section's own values;
//! - `conditions.erev`: `ena`/`ek` only where a mechanism uses the ion
//!   (nmc sets them on every section of the type: where no mechanism uses
//!   an ion, nothing reads it); a section type the cell lacks is warned
//!   about, as BMTK does.
//!
//! The cell's sections are in NEURON's section order (the cable matrix's
//! node order); [`AllenCell::all`] gives the order of the template's `all`
//! list, which BMTK's segment tables follow.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::morph::Morphology;
use crate::net::{Cell, Insert, Location, Section};

/// An Allen cell and the order of BMTK's `all` list.
#[derive(Clone, Debug)]
pub struct AllenCell {
    /// The cell, sections in NEURON's section order.
    pub cell: Cell,
    /// `all[k]`: the index in `cell.sections` of the k-th section of the
    /// template's `all` list (soma, dendrites, apical dendrites in
    /// creation order, then the two axon stub sections).
    pub all: Vec<usize>,
    /// What BMTK warns about while building it.
    pub notes: Vec<String>,
}

/// How the axon stub is made.
struct Stub {
    /// Where on the soma `axon[0]` hangs.
    at: f64,
    /// Diameters of `axon[0]` and `axon[1]` (um).
    diams: [f64; 2],
}

/// One section while the cell is assembled: creation order, its parent
/// (index in this list) and when it was connected.
struct Part {
    sec: Section,
    parent: Option<(usize, f64)>,
    /// Connection order (NEURON keeps siblings at one position latest first).
    rank: usize,
}

/// Builds the cell of `morph` with the perisomatic fit file `fit` (its JSON).
pub fn perisomatic(morph: &Morphology, fit: &Value) -> Result<AllenCell, String> {
    let stub = Stub {
        at: 0.5,
        diams: [1.0, 1.0],
    };
    let (mut parts, all) = with_axon_stub(morph, &stub)?;
    set_params(&mut parts, fit)?;
    Ok(assemble(&parts, all, Vec::new()))
}

/// Builds the cell of `morph` with the all-active fit file `fit`.
pub fn allactive(morph: &Morphology, fit: &Value) -> Result<AllenCell, String> {
    let (secs, position) = morph.to_sections();
    let axons: Vec<usize> = (0..morph.sections.len())
        .filter(|&k| morph.sections[k].kind == 2)
        .collect();
    let (Some(&first), Some(&last)) = (axons.first(), axons.last()) else {
        return Err(
            "the morphology has no axon, whose diameters aibs_allactive gives the axon stub".into(),
        );
    };
    // `sec.diam` while every section has one segment.
    let diam = |k: usize| {
        let mut s = secs[position[k]].clone();
        s.nseg = 1;
        crate::net::geometry::segment_geometry(&s)
            .diam
            .first()
            .copied()
            .unwrap_or(s.diam)
    };
    let stub = Stub {
        at: 1.0,
        diams: [diam(first), diam(last)],
    };
    let (mut parts, all) = with_axon_stub(morph, &stub)?;
    let notes = set_params_allactive(&mut parts, fit)?;
    Ok(assemble(&parts, all, notes))
}

/// The cell in NEURON's section order.
fn assemble(parts: &[Part], all: Vec<usize>, notes: Vec<String>) -> AllenCell {
    let order = section_order(parts);
    let mut position = vec![0; parts.len()];
    for (k, &p) in order.iter().enumerate() {
        position[p] = k;
    }
    let mut cell = Cell::default();
    for &p in &order {
        let mut s = parts[p].sec.clone();
        s.parent = parts[p].parent.map(|(q, x)| (position[q], x));
        cell.sections.push(s);
    }
    cell.spike_site = Location {
        section: position[0],
        x: 0.5,
    };
    AllenCell {
        cell,
        all: all.into_iter().map(|p| position[p]).collect(),
        notes,
    }
}

/// The Import3d sections without the axon, plus the two-section stub
/// with the 3-d points `define_shape` gives it; and the `all` list.
fn with_axon_stub(morph: &Morphology, stub: &Stub) -> Result<(Vec<Part>, Vec<usize>), String> {
    let (secs, position) = morph.to_sections();
    // Keep creation order (the `all` list) with connection ranks.
    let mut keep: Vec<usize> = Vec::new();
    for (k, m) in morph.sections.iter().enumerate() {
        if m.kind != 2 {
            keep.push(k);
        }
    }
    if morph.sections.first().is_none_or(|s| s.name != "soma[0]") {
        return Err("the morphology has no soma: its first section is not `soma[0]`".into());
    }
    let mut index = vec![usize::MAX; morph.sections.len()];
    for (i, &k) in keep.iter().enumerate() {
        index[k] = i;
    }
    let mut parts: Vec<Part> = Vec::new();
    for &k in &keep {
        let m = &morph.sections[k];
        let parent = match m.parent {
            None => None,
            Some((p, x)) if index[p] != usize::MAX => Some((index[p], x)),
            Some(_) => {
                return Err(format!(
                    "section `{}` hangs from the axon, which BMTK's Allen processing deletes",
                    m.name
                ));
            }
        };
        parts.push(Part {
            sec: secs[position[k]].clone(),
            parent,
            rank: morph.connect_rank(k),
        });
    }
    let all: Vec<usize> = (0..parts.len())
        .chain([parts.len(), parts.len() + 1])
        .collect();
    let next = morph.sections.len();
    for (i, parent) in [(0usize, (0usize, stub.at)), (1, (parts.len(), 1.0))] {
        parts.push(Part {
            sec: Section {
                name: format!("axon[{i}]"),
                length: 30.0,
                diam: stub.diams[i],
                ..Section::default()
            },
            parent: Some(parent),
            rank: next + i,
        });
    }
    define_shape_stub(&mut parts, all.len() - 2);
    define_shape_stub(&mut parts, all.len() - 1);
    Ok((parts, all))
}

/// The children of each part in NEURON's child-list order: by connection
/// position, a later connection before earlier ones at the same position.
fn child_lists(parts: &[Part]) -> Vec<Vec<usize>> {
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); parts.len()];
    let mut by_rank: Vec<usize> = (0..parts.len()).collect();
    by_rank.sort_by_key(|&p| parts[p].rank);
    for &s in &by_rank {
        if let Some((p, x)) = parts[s].parent {
            let list = &mut children[p];
            let at = list
                .iter()
                .position(|&c| parts[c].parent.is_some_and(|(_, cx)| x <= cx))
                .unwrap_or(list.len());
            list.insert(at, s);
        }
    }
    children
}

/// NEURON's section order: the root, then breadth first along the child lists.
fn section_order(parts: &[Part]) -> Vec<usize> {
    let children = child_lists(parts);
    let mut order: Vec<usize> = (0..parts.len())
        .filter(|&p| parts[p].parent.is_none())
        .collect();
    let mut k = 0;
    while k < order.len() {
        order.extend(children[order[k]].iter().copied());
        k += 1;
    }
    order
}

/// NEURON's `define_shape` for a section without 3-d points (one
/// segment, as the stub has when BMTK calls it): a straight line of its
/// length from its connection point on the parent, in the parent's plane,
/// turned a quarter turn for a connection inside the parent and fanned
/// out among the parent's children at the same position; three points
/// (the ends and the segment centre), single-precision arithmetic where
/// NEURON uses it.
fn define_shape_stub(parts: &mut [Part], s: usize) {
    let Some((p, arc)) = parts[s].parent else {
        return;
    };
    let children = child_lists(parts);
    let pp = &parts[p].sec.pt3d;
    let (Some(first), Some(last)) = (pp.first().copied(), pp.last().copied()) else {
        return;
    };
    let mut x1: f32 = last[0] - first[0];
    let mut y1: f32 = last[1] - first[1];
    if arc < 0.5 {
        x1 = -x1;
        y1 = -y1;
    }
    let x = (f64::from(last[0]) * arc + f64::from(first[0]) * (1.0 - arc)) as f32;
    let y = (f64::from(last[1]) * arc + f64::from(first[1]) * (1.0 - arc)) as f32;
    let z = (f64::from(last[2]) * arc + f64::from(first[2]) * (1.0 - arc)) as f32;
    let mut angle: f32 = if y1.abs() < 1e-6 && x1.abs() < 1e-6 {
        0.0
    } else {
        y1.atan2(x1)
    };
    if arc > 0.0 && arc < 1.0 {
        angle = (f64::from(angle) + std::f64::consts::PI / 2.0) as f32;
    }
    let (mut nch, mut ich) = (0.0f32, 0.0f32);
    for &c in &children[p] {
        if c == s {
            ich = nch;
        }
        if parts[c].parent.is_some_and(|(_, cx)| cx == arc) {
            nch += 1.0;
        }
    }
    if nch > 1.0 {
        angle = (f64::from(angle) + (f64::from(ich) / (f64::from(nch) - 1.0) * 0.8 - 0.4)) as f32;
    }
    let len = parts[s].sec.length;
    let ex = (f64::from(x) + len * f64::from(angle.cos())) as f32;
    let ey = (f64::from(y) + len * f64::from(angle.sin())) as f32;
    let d = parts[s].sec.diam as f32;
    let frac = 0.5;
    let mx = (f64::from(x) * (1.0 - frac) + f64::from(ex) * frac) as f32;
    let my = (f64::from(y) * (1.0 - frac) + f64::from(ey) * frac) as f32;
    parts[s].sec.pt3d = vec![[x, y, z, d], [mx, my, z, d], [ex, ey, z, d]];
}

/// The section type of a section name (`dend[3]` -> `dend`), as BMTK
/// reads it (the first four letters).
fn kind(name: &str) -> &str {
    name.get(..4).unwrap_or(name)
}

/// `set_params_peri`: passive properties, the genome, reversal potentials.
fn set_params(parts: &mut [Part], fit: &Value) -> Result<(), String> {
    let num = |v: &Value, what: &str| -> Result<f64, String> {
        v.as_f64()
            .ok_or_else(|| format!("`{what}` must be a number, not {v}"))
    };
    let passive = fit["passive"]
        .get(0)
        .ok_or("the fit has no `passive` entry")?;
    let conditions = fit["conditions"]
        .get(0)
        .ok_or("the fit has no `conditions` entry")?;
    let genome = fit["genome"]
        .as_array()
        .ok_or("the fit has no `genome` list")?;
    let ra = num(&passive["ra"], "passive.ra")?;
    let e_pas = num(&passive["e_pas"], "passive.e_pas")?;
    let mut cm: BTreeMap<String, f64> = BTreeMap::new();
    for c in passive["cm"]
        .as_array()
        .ok_or("`passive.cm` must be a list")?
    {
        let sec = c["section"]
            .as_str()
            .ok_or("`passive.cm[].section` must be a string")?;
        cm.insert(sec.to_string(), num(&c["cm"], "passive.cm[].cm")?);
    }
    for part in parts.iter_mut() {
        let s = &mut part.sec;
        s.ra = ra;
        s.cm = *cm
            .get(kind(&s.name))
            .ok_or_else(|| format!("`passive.cm` gives no cm for `{}` sections", kind(&s.name)))?;
        s.mechanisms.push(Insert {
            mechanism: "pas".into(),
            params: [("e".to_string(), e_pas)].into_iter().collect(),
        });
    }
    for g in genome {
        let section = g["section"]
            .as_str()
            .ok_or("`genome[].section` must be a string")?;
        let name = g["name"]
            .as_str()
            .ok_or("`genome[].name` must be a string")?;
        let value = match &g["value"] {
            Value::String(t) => t
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("genome `{name}`: value `{t}` is not a number"))?,
            v => num(v, "genome[].value")?,
        };
        let mechanism = g["mechanism"].as_str().unwrap_or("");
        for part in parts.iter_mut().filter(|p| kind(&p.sec.name) == section) {
            let s = &mut part.sec;
            if !mechanism.is_empty() && !s.mechanisms.iter().any(|m| m.mechanism == mechanism) {
                s.mechanisms.push(Insert {
                    mechanism: mechanism.to_string(),
                    params: BTreeMap::new(),
                });
            }
            set_range_variable(s, name, section, value)?;
        }
    }
    if let Some(erevs) = conditions["erev"].as_array() {
        for e in erevs {
            let section = e["section"]
                .as_str()
                .ok_or("`erev[].section` must be a string")?;
            let ena = num(&e["ena"], "erev[].ena")?;
            let ek = num(&e["ek"], "erev[].ek")?;
            for part in parts.iter_mut().filter(|p| kind(&p.sec.name) == section) {
                part.sec.ion_values.insert("ena".into(), ena);
                part.sec.ion_values.insert("ek".into(), ek);
            }
        }
    }
    Ok(())
}

/// `set_params_allactive`: passive properties (each optional), the
/// genome, reversal potentials; BMTK's warnings.
fn set_params_allactive(parts: &mut [Part], fit: &Value) -> Result<Vec<String>, String> {
    let mut notes = Vec::new();
    let num = |v: &Value, what: &str| -> Result<f64, String> {
        match v {
            Value::String(t) => t
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("`{what}` is `{t}`, not a number")),
            v => v
                .as_f64()
                .ok_or_else(|| format!("`{what}` must be a number, not {v}")),
        }
    };
    let passive = fit["passive"]
        .get(0)
        .ok_or("the fit has no `passive` entry")?;
    let conditions = fit["conditions"]
        .get(0)
        .ok_or("the fit has no `conditions` entry")?;
    let genome = fit["genome"]
        .as_array()
        .ok_or("the fit has no `genome` list")?;
    for part in parts.iter_mut() {
        part.sec.mechanisms.push(Insert {
            mechanism: "pas".into(),
            params: BTreeMap::new(),
        });
    }
    if let Some(v) = passive.get("e_pas") {
        let e = num(v, "passive.e_pas")?;
        for part in parts.iter_mut() {
            part.sec.mechanisms[0].params.insert("e".into(), e);
        }
    }
    if let Some(v) = passive.get("ra") {
        let ra = num(v, "passive.ra")?;
        for part in parts.iter_mut() {
            part.sec.ra = ra;
        }
    }
    if let Some(cms) = passive.get("cm") {
        for c in cms.as_array().ok_or("`passive.cm` must be a list")? {
            let sec = c["section"]
                .as_str()
                .ok_or("`passive.cm[].section` must be a string")?;
            let cm = num(&c["cm"], "passive.cm[].cm")?;
            for part in parts.iter_mut().filter(|p| kind(&p.sec.name) == sec) {
                part.sec.cm = cm;
            }
        }
    }
    for g in genome {
        let section = g["section"]
            .as_str()
            .ok_or("`genome[].section` must be a string")?;
        if section == "glob" {
            notes.push("There is a section called glob, probably old json file".into());
            continue;
        }
        let value = num(&g["value"], "genome[].value")?;
        let name = g["name"]
            .as_str()
            .ok_or("`genome[].name` must be a string")?;
        let mechanism = match g.get("mechanism") {
            None => "",
            Some(m) => m.as_str().ok_or("`genome[].mechanism` must be a string")?,
        };
        for part in parts.iter_mut().filter(|p| kind(&p.sec.name) == section) {
            let s = &mut part.sec;
            if !mechanism.is_empty() && !s.mechanisms.iter().any(|m| m.mechanism == mechanism) {
                s.mechanisms.push(Insert {
                    mechanism: mechanism.to_string(),
                    params: BTreeMap::new(),
                });
            }
            match name {
                "cm" => s.cm = value,
                "Ra" => s.ra = value,
                _ => set_range_variable(s, name, section, value)?,
            }
        }
    }
    if let Some(erevs) = conditions["erev"].as_array() {
        for e in erevs {
            let section = e["section"]
                .as_str()
                .ok_or("`erev[].section` must be a string")?;
            let ena = num(&e["ena"], "erev[].ena")?;
            let ek = num(&e["ek"], "erev[].ek")?;
            let mut any = false;
            for part in parts.iter_mut().filter(|p| kind(&p.sec.name) == section) {
                part.sec.ion_values.insert("ena".into(), ena);
                part.sec.ion_values.insert("ek".into(), ek);
                any = true;
            }
            if !any {
                notes.push(format!(
                    "Can't set erev for {section}, section array doesn't exist"
                ));
            }
        }
    }
    Ok(notes)
}

/// Sets genome entry `name` (`<parameter>_<mechanism>`, NEURON's range
/// variable name; the longest inserted mechanism name that ends it wins)
/// to `value` on section `s` of type `section`.
fn set_range_variable(
    s: &mut Section,
    name: &str,
    section: &str,
    value: f64,
) -> Result<(), String> {
    let (m, param) = s
        .mechanisms
        .iter()
        .filter_map(|m| {
            name.strip_suffix(&format!("_{}", m.mechanism))
                .map(|p| (m.mechanism.clone(), p.to_string()))
        })
        .max_by_key(|(m, _)| m.len())
        .ok_or_else(|| {
            format!(
                "genome `{name}` on `{section}`: no inserted mechanism has this range variable (NEURON names them <parameter>_<mechanism>)"
            )
        })?;
    if let Some(ins) = s.mechanisms.iter_mut().find(|i| i.mechanism == m) {
        ins.params.insert(param, value);
    }
    Ok(())
}
