//! Cells read from morphology files, and synapses placed on them by
//! section type and path distance.
//!
//! ```text
//! cell Pyr from swc "pyr.swc" {
//!   biophysics from "pyr_fit.json"        // an Allen perisomatic fit (optional)
//!   nseg = d_lambda(0.1, freq = 100 Hz)   // or dL(20 um), or a count
//!   insert hh { gnabar = 0.12 S/cm2 }     // every section
//!   section apic { cm = 2 uF/cm2; insert pas { g = 5e-5 S/cm2; e = -70 mV } }
//! }
//! connect drive -> P { synapse = exc; weight = 1 nS; delay = 1 ms
//!                      on = random(dend, apic, distance = [50, 300] um) }
//! ```
//!
//! The SWC file becomes sections exactly as NEURON's Import3d makes them
//! (`soma[0]`, `dend[3]`, ...: [`crate::morph`]). A fit is applied as
//! BMTK's `aibs_perisomatic` does ([`crate::morph::allen`], the axon
//! replaced by a 30 um stub); then the cell's own settings, then those of
//! each `section <type>` block (soma, axon, dend, apic), so the more
//! specific wins. Segment counts come last, as they depend on `Ra` and
//! `cm` ([`crate::morph::nseg`]). A synapse `on = random(...)` sits on a
//! segment drawn, with probability proportional to its length inside the
//! distance range, by the target cell's own numpy `RandomState(node id)`
//! stream, as BMTK's bionet draws ([`crate::morph::placement`]).

use super::ast::*;
use super::lower::{CellType, Ctx, unknown_setting};
use super::quantity::{Expect, convert, convert_value};
use crate::diag::suggest::closest;
use crate::diag::{Diagnostic, FileId, SourceMap, Span};
use crate::ir::MechKind;
use crate::morph::Morphology;
use crate::morph::allen;
use crate::morph::nseg::{nseg_d_lambda, nseg_for, zero_diameter};
use crate::morph::placement::{Placer, swc_code};
use crate::net::{self, Location};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The section types of a reconstructed cell.
pub const SECTION_TYPES: &[&str] = &["soma", "axon", "dend", "apic"];

/// The morphology and fit files of a file's cells, read before lowering
/// (the SWC text joins the source map, so its problems point at its
/// lines). Keyed by the span of the file name in the `.ndl` text.
#[derive(Default)]
pub struct Files {
    morphologies: HashMap<(FileId, u32), Morphology>,
    fits: HashMap<(FileId, u32), serde_json::Value>,
}

fn key(s: Span) -> (FileId, u32) {
    (s.file, s.start)
}

/// The folder the paths of NDL file `file` start from: `base` for the
/// file being checked, a `use`d file's own folder otherwise.
fn folder(map: &SourceMap, file: FileId, main: FileId, base: &Path) -> PathBuf {
    if file == main {
        return base.to_path_buf();
    }
    Path::new(map.name(file))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Reads every morphology and fit the cells of `file` name (`main` is the
/// file being checked, whose paths start at `base`). Problems go to `out`:
/// a file that cannot be read (E1709 for a morphology, E1009 for a fit)
/// with the caret on its name, an SWC file's own problems (E17xx, at its
/// line) with the cell that reads it, a fit that is not JSON (E1009).
pub fn load(
    map: &mut SourceMap,
    file: &File,
    main: FileId,
    base: &Path,
    out: &mut Vec<Diagnostic>,
) -> Files {
    let mut files = Files::default();
    for item in &file.items {
        let Item::Cell(c) = item else { continue };
        if let Some(m) = &c.morphology {
            if m.format.name != "swc" {
                continue; // reported by the lowering
            }
            let span = m.file.span;
            let path =
                super::lower::normalize(&folder(map, span.file, main, base).join(&m.file.path));
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    out.push(
                        Diagnostic::error(
                            "E1709",
                            format!("cannot read the morphology `{}`: {e}", path.display()),
                        )
                        .with_primary(span, "cannot read this file")
                        .with_help("the path is relative to this .ndl file"),
                    );
                    continue;
                }
            };
            let id = map.add(path.display().to_string(), crate::io::lossy_text(&bytes));
            match crate::morph::parse_swc(map, id) {
                Ok(morph) => {
                    files.morphologies.insert(key(span), morph);
                }
                Err(ds) => {
                    for d in ds {
                        out.push(d.with_secondary(
                            span,
                            format!("cell `{}` is read from this file", c.name.name),
                        ));
                    }
                }
            }
        }
        for b in &c.biophysics {
            let path = super::lower::normalize(&folder(map, b.span.file, main, base).join(&b.path));
            let fail = |why: String| {
                Diagnostic::error("E1009", why)
                    .with_primary(b.span, "this biophysics file")
                    .with_help("the path is relative to this .ndl file; the file is an Allen perisomatic fit (`passive`, `genome`, `conditions`)")
            };
            match std::fs::read_to_string(&path) {
                Ok(text) => match serde_json::from_str(&text) {
                    Ok(v) => {
                        files.fits.insert(key(b.span), v);
                    }
                    Err(e) => {
                        out.push(fail(format!("`{}` is not JSON: {e}", path.display())));
                    }
                },
                Err(e) => out.push(fail(format!("cannot read `{}`: {e}", path.display()))),
            }
        }
    }
    files
}

/// The type of a section of a reconstructed cell (`dend[3]` -> `dend`).
pub fn section_type(name: &str) -> &str {
    name.split('[').next().unwrap_or(name)
}

/// A segment-count setting: a count, BMTK's `dL(20 um)` or NEURON's
/// `d_lambda(0.1, freq = 100 Hz)`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum NsegRule {
    Count(usize),
    MaxLength(f64),
    DLambda { d: f64, freq: f64 },
}

/// Where on a target cell a connection's synapse goes: `random(types...,
/// distance = [min, max] um)`.
#[derive(Clone, Debug)]
pub(super) struct RandomSites {
    /// Section types (`dend`, `apic`).
    names: Vec<String>,
    /// Path distance range from soma(0), um.
    range: (f64, f64),
    /// The call, for messages.
    span: Span,
}

impl RandomSites {
    /// The first section type, which the SONATA record names.
    pub(super) fn first_type(&self) -> &str {
        self.names.first().map_or("soma", String::as_str)
    }
}

impl Ctx<'_> {
    /// Lowers `cell Name from swc "file" { ... }` into a cell type.
    pub(super) fn morph_cell_type(&mut self, c: &CellDef) {
        let Some(src) = &c.morphology else { return };
        if src.format.name != "swc" {
            self.out.push(
                Diagnostic::error(
                    "E1305",
                    format!("unknown morphology format `{}`", src.format.name),
                )
                .with_primary(src.format.span, "not a format nmc reads")
                .with_help("nmc reads SWC files: `cell Name from swc \"cell.swc\" { ... }`"),
            );
            return;
        }
        for t in &c.topology {
            self.out.push(
                Diagnostic::error(
                    "E1207",
                    "a cell read from a morphology takes its topology from the file",
                )
                .with_primary(t.span, "not allowed here")
                .with_help("remove the `connect` statement"),
            );
        }
        if let [_, extra, ..] = c.biophysics.as_slice() {
            self.out.push(
                Diagnostic::error("E1201", "a cell has one `biophysics` file")
                    .with_primary(extra.span, "second biophysics file")
                    .with_secondary(c.biophysics[0].span, "first given here"),
            );
            return;
        }
        let Some(morph) = self.files.morphologies.get(&key(src.file.span)) else {
            // Its problems are reported already.
            self.failed_types.push(c.name.name.clone());
            return;
        };
        let (mut cell, all) = match c.biophysics.first() {
            Some(b) => {
                let Some(fit) = self.files.fits.get(&key(b.span)) else {
                    self.failed_types.push(c.name.name.clone());
                    return;
                };
                match allen::perisomatic(morph, fit) {
                    Ok(a) => (a.cell, a.all),
                    Err(e) => {
                        self.out.push(
                            Diagnostic::error(
                                "E1009",
                                format!("the biophysics cannot be applied: {e}"),
                            )
                            .with_primary(b.span, "this fit")
                            .with_secondary(src.file.span, "to this morphology"),
                        );
                        return;
                    }
                }
            }
            None => {
                let (sections, position) = morph.to_sections();
                let soma = sections
                    .iter()
                    .position(|s| s.parent.is_none())
                    .unwrap_or(0);
                let cell = net::Cell {
                    sections,
                    spike_site: Location {
                        section: soma,
                        x: 0.5,
                    },
                    ..net::Cell::default()
                };
                (cell, position)
            }
        };
        // The cell's own settings, then each section type's.
        let mut nseg: Vec<Option<NsegRule>> = vec![None; cell.sections.len()];
        let everywhere: Vec<usize> = (0..cell.sections.len()).collect();
        self.morph_settings(
            &mut cell,
            &mut nseg,
            &everywhere,
            &c.properties,
            &c.inserts,
            &c.ions,
        );
        for def in &c.sections {
            let t = &def.name.name;
            if !SECTION_TYPES.contains(&t.as_str()) {
                let mut d = Diagnostic::error("E1205", format!("unknown section type `{t}`"))
                    .with_primary(def.name.span, "not a section type")
                    .with_note(
                        "the sections of a cell read from a morphology are set by type: soma, axon, dend, apic",
                    );
                if let Some(s) = closest(t, SECTION_TYPES.iter().copied())
                    .or_else(|| SECTION_TYPES.iter().copied().find(|k| t.starts_with(k)))
                {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.out.push(d);
                continue;
            }
            let which: Vec<usize> = (0..cell.sections.len())
                .filter(|&k| section_type(&cell.sections[k].name) == t)
                .collect();
            if which.is_empty() {
                self.out.push(
                    Diagnostic::warning(
                        "W1205",
                        format!("the morphology has no `{t}` section: this block sets nothing"),
                    )
                    .with_primary(def.name.span, "no section of this type")
                    .with_secondary(src.file.span, "the morphology"),
                );
            }
            self.morph_settings(
                &mut cell,
                &mut nseg,
                &which,
                &def.properties,
                &def.inserts,
                &def.ions,
            );
        }
        for (k, rule) in nseg.iter().enumerate() {
            let s = &cell.sections[k];
            let n = match *rule {
                None => s.nseg,
                Some(NsegRule::Count(n)) => n,
                Some(NsegRule::MaxLength(dl)) => nseg_for(s.length, dl),
                Some(NsegRule::DLambda { d, freq }) => {
                    if let Some(p) = zero_diameter(s) {
                        self.out.push(
                            Diagnostic::error(
                                "E1304",
                                format!(
                                    "the d_lambda rule needs diameters: 3-d point {p} of `{}` has diameter 0",
                                    s.name
                                ),
                            )
                            .with_primary(src.file.span, "in this morphology"),
                        );
                        return;
                    }
                    nseg_d_lambda(s, d, freq)
                }
            };
            cell.sections[k].nseg = n;
        }
        let names = cell.sections.iter().map(|s| s.name.clone()).collect();
        self.types.insert(
            c.name.name.clone(),
            CellType {
                cell,
                sections: names,
                text: self.text_of(c.span),
                all: Some(all),
            },
        );
    }

    /// Applies settings (`cm`, `Ra`, `nseg`), inserts and ion values to
    /// the sections `which` of `cell`.
    fn morph_settings(
        &mut self,
        cell: &mut net::Cell,
        nseg: &mut [Option<NsegRule>],
        which: &[usize],
        properties: &[Assign],
        inserts: &[InsertDef],
        ions: &[IonDef],
    ) {
        for a in properties {
            match a.name.name.as_str() {
                "cm" | "Ra" => {
                    let unit = if a.name.name == "cm" {
                        "uF/cm2"
                    } else {
                        "ohm*cm"
                    };
                    if let Some(v) = self.positive(a, unit) {
                        for &k in which {
                            let s = &mut cell.sections[k];
                            if a.name.name == "cm" {
                                s.cm = v;
                            } else {
                                s.ra = v;
                            }
                        }
                    }
                }
                "nseg" => {
                    if let Some(r) = self.nseg_rule(a) {
                        for &k in which {
                            nseg[k] = Some(r);
                        }
                    }
                }
                "L" | "diam" => self.out.push(
                    Diagnostic::error(
                        "E1207",
                        format!(
                            "`{}` of a cell read from a morphology comes from the file",
                            a.name.name
                        ),
                    )
                    .with_primary(a.name.span, "not settable here")
                    .with_help("the geometry is the file's 3-d points; remove this setting"),
                ),
                _ => self.out.push(unknown_setting(
                    a,
                    "a cell read from a morphology",
                    &["nseg", "cm", "Ra"],
                )),
            }
        }
        let mut own_ions = BTreeMap::new();
        for ins in inserts {
            let Some(m) = self.mechanism(&ins.mechanism, MechKind::Density) else {
                continue;
            };
            let (params, ions) = self.params_ions(&m, &ins.params);
            own_ions.extend(ions);
            for &k in which {
                let s = &mut cell.sections[k];
                match s.mechanisms.iter_mut().find(|i| i.mechanism == m.name) {
                    Some(prev) => prev.params.extend(params.clone()),
                    None => s.mechanisms.push(net::Insert {
                        mechanism: m.name.clone(),
                        params: params.clone(),
                    }),
                }
            }
        }
        for ion in ions {
            self.ion_values(ion, &mut own_ions);
        }
        for &k in which {
            cell.sections[k].ion_values.extend(own_ions.clone());
        }
    }

    /// `nseg = 5`, `nseg = dL(20 um)`, `nseg = d_lambda(0.1)` or
    /// `nseg = d_lambda(0.1, freq = 100 Hz)`.
    fn nseg_rule(&mut self, a: &Assign) -> Option<NsegRule> {
        let Value::Call(call) = &a.value else {
            return self.nseg(a).map(NsegRule::Count);
        };
        let positional: Vec<&Value> = call
            .args
            .iter()
            .filter(|x| x.name.is_none())
            .map(|x| &x.value)
            .collect();
        let named: Vec<(&Ident, &Value)> = call
            .args
            .iter()
            .filter_map(|x| x.name.as_ref().map(|n| (n, &x.value)))
            .collect();
        let bad_args = |msg: String| {
            Diagnostic::error("E1212", msg)
                .with_primary(call.span, "here")
                .with_help("write `nseg = dL(20 um)` or `nseg = d_lambda(0.1, freq = 100 Hz)`")
        };
        match call.name.name.as_str() {
            "dL" => {
                if positional.len() != 1 || !named.is_empty() {
                    self.out
                        .push(bad_args("`dL` takes one length: `dL(20 um)`".into()));
                    return None;
                }
                let v = self.call_quantity(positional[0], "dL", "um")?;
                self.positive_value(v, positional[0].span(), "dL")
                    .map(NsegRule::MaxLength)
            }
            "d_lambda" => {
                if positional.len() != 1 || named.iter().any(|(n, _)| n.name != "freq") {
                    self.out.push(bad_args(
                        "`d_lambda` takes a fraction and optionally `freq`: `d_lambda(0.1, freq = 100 Hz)`"
                            .into(),
                    ));
                    return None;
                }
                let d = self.call_quantity(positional[0], "d_lambda", "1")?;
                let d = self.positive_value(d, positional[0].span(), "d_lambda")?;
                let freq = match named.first() {
                    Some((_, v)) => {
                        let f = self.call_quantity(v, "freq", "Hz")?;
                        self.positive_value(f, v.span(), "freq")?
                    }
                    None => 100.0,
                };
                Some(NsegRule::DLambda { d, freq })
            }
            other => {
                let mut d = Diagnostic::error("E1212", format!("unknown segment rule `{other}`"))
                    .with_primary(call.name.span, "not a segment rule")
                    .with_help("`nseg` takes a count, `dL(20 um)` (BMTK's rule) or `d_lambda(0.1, freq = 100 Hz)` (NEURON's)");
                if let Some(s) = closest(other, ["dL", "d_lambda"]) {
                    d = d.with_note(format!("did you mean `{s}`?"));
                }
                self.out.push(d);
                None
            }
        }
    }

    /// A plain quantity argument converted to `unit`.
    fn call_quantity(&mut self, v: &Value, name: &str, unit: &str) -> Option<f64> {
        let Value::Quantity(q) = v else {
            self.out.push(
                Diagnostic::error("E1305", format!("`{name}` takes a number"))
                    .with_primary(v.span(), "not a number"),
            );
            return None;
        };
        if q.formula.is_some() {
            self.out.push(
                Diagnostic::error("E1305", format!("`{name}` takes a number, not a formula"))
                    .with_primary(q.value_span, "names a variable"),
            );
            return None;
        }
        let e = Expect {
            name,
            unit: Some(unit),
            origin: None,
        };
        match convert(q, &e) {
            Ok((v, w)) => {
                self.out.extend(w);
                Some(v)
            }
            Err(d) => {
                self.out.push(d);
                None
            }
        }
    }

    fn positive_value(&mut self, v: f64, span: Span, name: &str) -> Option<f64> {
        if v > 0.0 {
            Some(v)
        } else {
            self.out.push(
                Diagnostic::error("E1304", format!("`{name}` must be positive"))
                    .with_primary(span, "zero or negative"),
            );
            None
        }
    }

    /// `on = dend[3](0.5)`: a site on one section of a type.
    pub(super) fn indexed_site(&mut self, r: &Reference) -> Option<Site> {
        let (x, x_span) = r.position?;
        let section = match (&r.selector, &r.member) {
            (Some(sel), None) => match super::parse::indexed_section(&r.name, sel) {
                Ok(id) => id,
                Err(d) => {
                    self.out.push(d);
                    return None;
                }
            },
            (None, None) => r.name.clone(),
            (_, Some(m)) => {
                self.out.push(
                    Diagnostic::error("E1305", "`on` takes a site such as `dend[3](0.5)`")
                        .with_primary(m.span, "not part of a site"),
                );
                return None;
            }
        };
        Some(Site {
            section,
            x,
            x_span,
            span: r.span,
        })
    }

    /// Reads `on = random(dend, apic, distance = [50, 300] um)`.
    pub(super) fn random_sites_rule(&mut self, call: &Call) -> Option<RandomSites> {
        let mut names = Vec::new();
        let mut range = (0.0, f64::INFINITY);
        let mut ok = true;
        for arg in &call.args {
            // A bare name may read as a formula naming a variable.
            let as_refs;
            let value = match &arg.value {
                Value::Quantity(Quantity {
                    formula: Some(Expr::Var(id)),
                    unit: None,
                    span,
                    ..
                }) => {
                    as_refs = Value::Refs(vec![Reference {
                        name: id.clone(),
                        selector: None,
                        member: None,
                        position: None,
                        span: *span,
                    }]);
                    &as_refs
                }
                v => v,
            };
            match (&arg.name, value) {
                (None, Value::Refs(refs)) => {
                    for r in refs {
                        let n = &r.name.name;
                        if swc_code(n).is_none()
                            || r.selector.is_some()
                            || r.position.is_some()
                            || r.member.is_some()
                        {
                            let mut d = Diagnostic::error(
                                "E1205",
                                format!("unknown section type `{}`", self.text_of(r.span)),
                            )
                            .with_primary(r.span, "not a section type")
                            .with_note(
                                "synapses are placed by section type: soma, axon, dend, apic",
                            );
                            if let Some(s) =
                                closest(n, SECTION_TYPES.iter().copied()).or_else(|| {
                                    SECTION_TYPES.iter().copied().find(|k| n.starts_with(k))
                                })
                            {
                                d = d.with_help(format!("did you mean `{s}`?"));
                            }
                            self.out.push(d);
                            ok = false;
                        } else if !names.contains(n) {
                            names.push(n.clone());
                        }
                    }
                }
                (Some(n), v) if n.name == "distance" => match v {
                    Value::List(l) if l.items.len() == 2 => {
                        let e = Expect {
                            name: "distance",
                            unit: Some("um"),
                            origin: None,
                        };
                        let mut ends = [0.0; 2];
                        for (k, &(x, s)) in l.items.iter().enumerate() {
                            match convert_value(x, s, l.unit.as_ref(), &e) {
                                Ok((v, w)) => {
                                    self.out.extend(w);
                                    ends[k] = v;
                                }
                                Err(d) => {
                                    self.out.push(d);
                                    ok = false;
                                }
                            }
                        }
                        if ends[0] < 0.0 || ends[1] <= ends[0] {
                            self.out.push(
                                Diagnostic::error(
                                    "E1304",
                                    "a distance range is `[min, max] um` with 0 <= min < max",
                                )
                                .with_primary(l.span, "not a usable range"),
                            );
                            ok = false;
                        }
                        range = (ends[0], ends[1]);
                    }
                    other => {
                        self.out.push(
                            Diagnostic::error(
                                "E1305",
                                "`distance` takes a range of path distances from the soma, e.g. `[50, 300] um`",
                            )
                            .with_primary(other.span(), "not a range"),
                        );
                        ok = false;
                    }
                },
                (Some(n), _) => {
                    self.out.push(
                        Diagnostic::error("E1212", format!("`random` has no argument `{}`", n.name))
                            .with_primary(n.span, "unknown argument")
                            .with_help("`random(dend, apic, distance = [50, 300] um)`: section types, then the path distance range"),
                    );
                    ok = false;
                }
                (None, other) => {
                    self.out.push(
                        Diagnostic::error("E1305", "`random` takes section types first")
                            .with_primary(other.span(), "not a section type")
                            .with_help("`random(dend, apic, distance = [50, 300] um)`"),
                    );
                    ok = false;
                }
            }
        }
        if names.is_empty() && ok {
            self.out.push(
                Diagnostic::error(
                    "E1212",
                    "`random` needs the section types to place synapses on",
                )
                .with_primary(call.span, "no section type")
                .with_help("`random(dend, apic, distance = [50, 300] um)`"),
            );
            ok = false;
        }
        ok.then_some(RandomSites {
            names,
            range,
            span: call.span,
        })
    }

    /// The site of one synapse on target cell `tc` drawn by `rule` (the
    /// `key`-th placing statement); E1213 when no segment qualifies.
    pub(super) fn random_site(
        &mut self,
        tc: usize,
        rule: &RandomSites,
        key: usize,
    ) -> Option<Location> {
        if self.placer.is_none() {
            self.placer = Some(self.new_placer());
        }
        let placer = self.placer.as_mut()?;
        let mut sites = Vec::with_capacity(1);
        let drawn = placer
            .random_sites(
                &self.net.cells,
                tc,
                key,
                (&rule.names, rule.range),
                1,
                &mut sites,
            )
            .map(|()| sites);
        let fail = |why: String| {
            Diagnostic::error("E1213", why).with_primary(rule.span, "no segment to place on")
        };
        match drawn {
            Ok(v) if !v.is_empty() => v.first().copied(),
            Ok(_) => {
                let (lo, hi) = rule.range;
                let range = if hi.is_finite() {
                    format!(
                        " within {} .. {} um of soma(0)",
                        crate::units::format_number(lo),
                        crate::units::format_number(hi)
                    )
                } else {
                    String::new()
                };
                let d = fail(format!(
                    "no segment of `{}` cells is in {}{range}",
                    self.net.cells[tc].population,
                    rule.names.join(", ")
                ))
                .with_help("widen the distance range or name other section types");
                self.out.push(d);
                None
            }
            Err(e) => {
                self.out.push(fail(format!(
                    "synapses cannot be placed on `{}` cells: {e}",
                    self.net.cells[tc].population
                )));
                None
            }
        }
    }

    /// The placer of the network's cells: cell k draws with
    /// `RandomState(k)`; the cells of one population share its first
    /// cell's segment table; cells read from a morphology order their
    /// segments as the template's `all` list (BMTK's order).
    fn new_placer(&self) -> Placer {
        let n = self.net.cells.len();
        let mut props_from: Vec<usize> = (0..n).collect();
        let mut orders: Vec<Option<Vec<usize>>> = vec![None; n];
        for p in &self.pops {
            let all = self.types.get(&p.cell_type).and_then(|t| t.all.clone());
            for k in p.first_cell..p.first_cell + p.count {
                if k < n {
                    props_from[k] = p.first_cell;
                    orders[k].clone_from(&all);
                }
            }
        }
        Placer::new((0..n as u64).collect(), props_from, orders)
    }
}
