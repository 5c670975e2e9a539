//! Nodes: populations (count, cell type, positions, user columns), inputs
//! (spike lists, spike-time files, SONATA spike files, Poisson generators)
//! as virtual populations, and node sets.
//!
//! ```text
//! population Exc = 200 of RTMExcCell {
//!   positions = cuboid(size = 10 um, min_distance = 2 um)   // or [(0, 0, 0), ...] um, or from "pos.txt" um
//!   layer = "L4"                                            // a column shared by all
//!   ei = [1, 1, 0, ...]                                     // one value per cell
//! }
//! input bg = poisson { count = 200; rate = 60 Hz; start = 0 ms; stop = 5000 ms; seed = 7 }
//! node_set pn { pop_name = Exc }
//! ```

use super::ast::*;
use super::lower::{Ctx, InputInfo, quantity, unknown_setting};
use super::quantity::{Expect, convert, convert_value};
use super::random::{self, Stream};
use super::{Column, Population};
use crate::diag::suggest::{closest, one_of};
use crate::diag::{Diagnostic, Span};
use crate::net::circuit::Attribute;
use crate::net::{Cell, Location, PointProcess, SpikeTrain};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// Column names SONATA (or nmc) fills itself.
const RESERVED: &[&str] = &[
    "node_id",
    "node_type_id",
    "pop_name",
    "population",
    "model_type",
    "model_template",
    "x",
    "y",
    "z",
];

/// Bytes one cell like `c` takes in the network being built (with the
/// growth slack of its vector), as an estimate for [`Ctx::memory_for`].
fn approx_cell_bytes(c: &crate::net::Cell) -> f64 {
    use std::mem::size_of;
    let map_entry = 64.0;
    let sections: f64 = c
        .sections
        .iter()
        .map(|s| {
            size_of::<crate::net::Section>() as f64
                + s.name.len() as f64
                + s.mechanisms
                    .iter()
                    .map(|m| {
                        size_of::<crate::net::Insert>() as f64
                            + m.mechanism.len() as f64
                            + m.params.len() as f64 * map_entry
                    })
                    .sum::<f64>()
        })
        .sum();
    2.0 * (size_of::<crate::net::Cell>() as f64 + c.population.len() as f64 + 24.0 + sections)
}

/// Bytes the simulation of one cell like `c` takes (nodes, mechanism and
/// ion instances, its spike source), an estimate that errs on the large
/// side; `vars` gives a mechanism's number of variables when known.
fn approx_sim_cell_bytes(c: &crate::net::Cell, vars: &dyn Fn(&str) -> Option<usize>) -> f64 {
    // Node arrays (voltage, matrix, area, parent, ...) per segment.
    let per_node = 256.0;
    // Fields of an instance beyond the variables (node index, ion slots).
    let extra_fields = 8.0;
    let segments: f64 = c
        .sections
        .iter()
        .map(|s| {
            let mechs: f64 = s
                .mechanisms
                .iter()
                .map(|m| (vars(&m.mechanism).unwrap_or(32) as f64 + extra_fields) * 16.0)
                .sum();
            // An ion's instance per segment for every two mechanisms at most.
            let ions = s.mechanisms.len() as f64 * 64.0;
            s.nseg.max(1) as f64 * (per_node + mechs + ions)
        })
        .sum();
    let point_processes = c.point_processes.len() as f64 * (32.0 + extra_fields) * 16.0;
    512.0 + segments + point_processes
}

impl Ctx<'_> {
    /// False, with E1306 at `span`, when about `bytes` more for `what`
    /// would not fit, with what the network took so far, in the memory
    /// available (checked before allocating it); true (and `bytes` counted)
    /// otherwise.
    pub(super) fn memory_for(&mut self, bytes: f64, what: &str, span: Span) -> bool {
        let bytes = if bytes.is_nan() { f64::INFINITY } else { bytes };
        match crate::io::check_memory(self.committed + bytes) {
            Ok(()) => {
                self.committed += bytes;
                true
            }
            Err(m) => {
                let before = if self.committed >= 1e6 {
                    format!(
                        "; {} of that is for what comes before this statement",
                        crate::io::format_bytes(self.committed)
                    )
                } else {
                    String::new()
                };
                self.out.push(
                    Diagnostic::error("E1306", format!("{what} {m}{before}"))
                        .with_primary(span, "too large for this machine")
                        .with_help("check the number for a typo, or make the network smaller"),
                );
                false
            }
        }
    }

    /// The number of variables of mechanism `name`, when the catalogue
    /// knows it.
    pub(super) fn mech_vars(&self, name: &str) -> Option<usize> {
        self.cat.as_ref()?.find(name).map(|m| m.vars.len())
    }

    pub(super) fn population(&mut self, p: &PopulationDef) {
        let artificial = !self.types.contains_key(&p.cell_type.name)
            && self
                .cat
                .as_ref()
                .and_then(|c| c.find(&p.cell_type.name))
                .is_some_and(|m| m.kind == crate::ir::MechKind::ArtificialCell);
        if artificial {
            self.artificial_population(p);
            return;
        }
        let Some(t) = self.types.get(&p.cell_type.name) else {
            if self.failed_types.contains(&p.cell_type.name) {
                return;
            }
            // A mechanism that is not an artificial cell cannot be one.
            let other = self.cat.as_ref().and_then(|c| c.find(&p.cell_type.name));
            if let Some(m) = other {
                let what = match m.kind {
                    crate::ir::MechKind::Density => "a density mechanism (SUFFIX)",
                    _ => "a point process",
                };
                self.out.push(
                    Diagnostic::error(
                        "E1206",
                        format!(
                            "`{}` is {what}, not a cell type or an artificial cell",
                            m.name
                        ),
                    )
                    .with_primary(p.cell_type.span, what)
                    .with_help(
                        "a population is made of a `cell` type or of an ARTIFICIAL_CELL (`population drive = 4 of NetStim { ... }`)",
                    ),
                );
                return;
            }
            let names: Vec<&str> = self.types.keys().map(|s| s.as_str()).collect();
            let mut d =
                Diagnostic::error("E1204", format!("unknown cell type `{}`", p.cell_type.name))
                    .with_primary(p.cell_type.span, "no `cell` of this name");
            d = match closest(&p.cell_type.name, names.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(
                    "define it with `cell Name { section soma { ... } }` or `use \"Name.ndl\"`",
                ),
            };
            self.out.push(d);
            return;
        };
        let template = t.cell.clone();
        let sections = t.sections.clone();
        let count = p.count as usize;
        let index = self.pops.len();
        // Positions and columns take 24 and ~40 bytes a cell more; the
        // simulation's share is counted now, so that `nmc check` refuses
        // what `nmc run` could not hold.
        let sim = approx_sim_cell_bytes(&template, &|m| self.mech_vars(m));
        let per_cell = approx_cell_bytes(&template) + 64.0 + sim;
        if !self.memory_for(
            count as f64 * per_cell,
            &format!(
                "{count} cells of `{}` (built and simulated)",
                p.cell_type.name
            ),
            p.count_span,
        ) {
            return;
        }
        let mut positions = Vec::new();
        let mut properties = BTreeMap::new();
        if let Some(s) = &p.settings {
            for a in &s.assigns {
                let key = a.name.name.as_str();
                if key == "positions" {
                    if let Some(v) = self.positions(a, count, index) {
                        positions = v;
                    }
                } else if RESERVED.contains(&key) {
                    self.out.push(
                        Diagnostic::error(
                            "E1207",
                            format!("`{key}` is a column nmc fills itself"),
                        )
                        .with_primary(a.name.span, "reserved column")
                        .with_help("`pop_name` is the population's name, `x`/`y`/`z` come from `positions`; pick another name"),
                    );
                } else if let Some(c) = self.column(a, count) {
                    properties.insert(key.to_string(), c);
                }
            }
        }
        let first = self.net.cells.len();
        for _ in 0..count {
            let mut c = template.clone();
            c.gid = self.net.cells.len() as u64;
            c.population = self.node_pop.clone();
            self.net.cells.push(c);
            self.pp_labels.push(Default::default());
        }
        self.pops.push(Population {
            name: p.name.name.clone(),
            cell_type: p.cell_type.name.clone(),
            first_cell: first,
            count,
            sections,
            positions,
            properties,
        });
    }

    /// `population S = N of NetStim { interval = 10 ms; ... }`: cells that
    /// are one ARTIFICIAL_CELL each (NEURON's NetStim, IntFire1, ...).
    /// Settings naming a parameter of the mechanism set it (with units);
    /// `positions` and other names are as for any population. The cells
    /// spike when their NET_RECEIVE calls `net_event`; connections onto
    /// them target the cell itself (no synapse).
    fn artificial_population(&mut self, p: &PopulationDef) {
        let Some(m) = self.mechanism(&p.cell_type, crate::ir::MechKind::ArtificialCell) else {
            return;
        };
        let count = p.count as usize;
        let index = self.pops.len();
        if !self.memory_for(
            count as f64 * (256.0 + 16.0 * m.vars.len() as f64),
            &format!("{count} cells of `{}`", p.cell_type.name),
            p.count_span,
        ) {
            return;
        }
        let mut positions = Vec::new();
        let mut properties = BTreeMap::new();
        let mut params = Settings::default();
        if let Some(s) = &p.settings {
            params.span = s.span;
            for a in &s.assigns {
                let key = a.name.name.as_str();
                if key == "positions" {
                    if let Some(v) = self.positions(a, count, index) {
                        positions = v;
                    }
                } else if m.var(key).is_some() {
                    params.assigns.push(a.clone());
                } else if RESERVED.contains(&key) {
                    self.out.push(
                        Diagnostic::error("E1207", format!("`{key}` is a column nmc fills itself"))
                            .with_primary(a.name.span, "reserved column"),
                    );
                } else if let Some(c) = self.column(a, count) {
                    properties.insert(key.to_string(), c);
                }
            }
        }
        let params: std::sync::Arc<BTreeMap<String, f64>> = self.params(&m, &params).into();
        let first = self.net.cells.len();
        for _ in 0..count {
            self.net.cells.push(Cell {
                gid: self.net.cells.len() as u64,
                population: self.node_pop.clone(),
                sections: Vec::new(),
                point_processes: vec![PointProcess {
                    mechanism: m.name.as_str().into(),
                    location: Location::default(),
                    params: params.clone(),
                }],
                spike_site: Location::default(),
            });
            self.pp_labels.push(Default::default());
        }
        self.pops.push(Population {
            name: p.name.name.clone(),
            cell_type: p.cell_type.name.clone(),
            first_cell: first,
            count,
            sections: Vec::new(),
            positions,
            properties,
        });
    }

    /// A user column: text or a number for all, or a list with one number per cell.
    fn column(&mut self, a: &Assign, count: usize) -> Option<Column> {
        Some(match &a.value {
            Value::Str { text, .. } => Column::Same(Attribute::Text(text.clone())),
            Value::Refs(r) if r.len() == 1 && r[0].selector.is_none() && r[0].member.is_none() => {
                Column::Same(Attribute::Text(r[0].name.name.clone()))
            }
            Value::Quantity(_) => Column::Same(Attribute::Number(quantity(a, self.out)?.value)),
            Value::List(l) => {
                if l.items.len() != count {
                    self.out.push(
                        Diagnostic::error(
                            "E1304",
                            format!(
                                "`{}` lists {} values for {count} cells",
                                a.name.name,
                                l.items.len()
                            ),
                        )
                        .with_primary(l.span, "one value per cell is needed"),
                    );
                    return None;
                }
                Column::PerNode(l.items.iter().map(|v| Attribute::Number(v.0)).collect())
            }
            other => {
                self.out.push(
                    Diagnostic::error(
                        "E1305",
                        format!("column `{}` takes a text, a number or a list", a.name.name),
                    )
                    .with_primary(other.span(), "not a column value"),
                );
                return None;
            }
        })
    }

    /// `positions = cuboid(...)`, a list of points, or `from "file" um`.
    fn positions(&mut self, a: &Assign, count: usize, index: usize) -> Option<Vec<[f64; 3]>> {
        let um = Expect {
            name: "position",
            unit: Some("um"),
            origin: None,
        };
        let pts = match &a.value {
            Value::Call(c) if c.name.name == "cuboid" => return self.cuboid(c, count, index),
            Value::Points(p) => {
                let mut v = Vec::new();
                let f = self.factor(
                    p.items.first().map_or(p.span, |i| i.1),
                    p.unit.as_ref(),
                    &um,
                )?;
                for (xyz, _) in &p.items {
                    v.push([xyz[0] * f, xyz[1] * f, xyz[2] * f]);
                }
                (v, p.span)
            }
            Value::File {
                path,
                path_span,
                unit,
                span,
            } => {
                let full = self.base.join(path);
                let f = self.factor(*path_span, unit.as_ref(), &um)?;
                let text = match std::fs::read_to_string(&full) {
                    Ok(t) => t,
                    Err(e) => {
                        self.out.push(
                            Diagnostic::error("E1006", format!("cannot read positions from `{}`: {e}", full.display()))
                                .with_primary(*path_span, "cannot read this file")
                                .with_help("the path is relative to the .ndl file; the file holds `x y z` on each line"),
                        );
                        return None;
                    }
                };
                let mut v = Vec::new();
                for (ln, line) in text.lines().enumerate() {
                    let line = line.split('#').next().unwrap_or("");
                    let nums: Vec<&str> = line
                        .split(|c: char| c.is_whitespace() || c == ',')
                        .filter(|t| !t.is_empty())
                        .collect();
                    if nums.is_empty() {
                        continue;
                    }
                    let parsed: Vec<f64> = nums
                        .iter()
                        .filter_map(|t| t.parse::<f64>().ok().filter(|x| x.is_finite()))
                        .collect();
                    if nums.len() != 3 || parsed.len() != 3 {
                        self.out.push(
                            Diagnostic::error(
                                "E1006",
                                format!(
                                    "`{}` line {}: expected three numbers `x y z`, found `{}`",
                                    full.display(),
                                    ln + 1,
                                    line.trim()
                                ),
                            )
                            .with_primary(*path_span, "in this file"),
                        );
                        return None;
                    }
                    v.push([parsed[0] * f, parsed[1] * f, parsed[2] * f]);
                }
                (v, *span)
            }
            other => {
                self.out.push(
                    Diagnostic::error("E1305", "`positions` takes `cuboid(...)`, a list of points or `from \"file\" um`")
                        .with_primary(other.span(), "not a placement")
                        .with_help("e.g. `positions = cuboid(size = 10 um, min_distance = 2 um)` or `positions = [(0, 0, 0), (5, 0, 0)] um`"),
                );
                return None;
            }
        };
        if pts.0.len() != count {
            self.out.push(
                Diagnostic::error(
                    "E1304",
                    format!("{} positions for {count} cells", pts.0.len()),
                )
                .with_primary(pts.1, "one position per cell is needed"),
            );
            return None;
        }
        Some(pts.0)
    }

    /// The factor converting numbers in `unit` to the expected unit.
    pub(super) fn factor(&mut self, at: Span, unit: Option<&UnitText>, e: &Expect) -> Option<f64> {
        match convert_value(1.0, at, unit, e) {
            Ok((f, w)) => {
                self.out.extend(w);
                Some(f)
            }
            Err(d) => {
                self.out.push(d);
                None
            }
        }
    }

    /// Maps a call's arguments to `names` (positional ones in order),
    /// reporting unknown, repeated or surplus arguments (E1212).
    pub(super) fn call_args<'v>(
        &mut self,
        c: &'v Call,
        names: &[&str],
    ) -> Option<Vec<Option<&'v Value>>> {
        let mut got: Vec<Option<&Value>> = vec![None; names.len()];
        let mut next = 0;
        let mut ok = true;
        for a in &c.args {
            let slot = match &a.name {
                Some(n) => match names.iter().position(|k| *k == n.name) {
                    Some(k) => Some((k, n.span)),
                    None => {
                        let mut d = Diagnostic::error(
                            "E1212",
                            format!("`{}` has no argument `{}`", c.name.name, n.name),
                        )
                        .with_primary(n.span, "unknown argument");
                        d = match closest(&n.name, names.iter().copied()) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => {
                                d.with_help(format!("`{}` takes {}", c.name.name, one_of(names)))
                            }
                        };
                        self.out.push(d);
                        ok = false;
                        None
                    }
                },
                None => {
                    if next < names.len() {
                        next += 1;
                        Some((next - 1, a.value.span()))
                    } else {
                        self.out.push(
                            Diagnostic::error(
                                "E1212",
                                format!(
                                    "`{}` takes at most {} argument{}",
                                    c.name.name,
                                    names.len(),
                                    if names.len() == 1 { "" } else { "s" }
                                ),
                            )
                            .with_primary(a.value.span(), "one argument too many")
                            .with_help(format!("its arguments are {}", one_of(names))),
                        );
                        ok = false;
                        None
                    }
                }
            };
            if let Some((k, span)) = slot {
                if got[k].is_some() {
                    self.out.push(
                        Diagnostic::error(
                            "E1212",
                            format!(
                                "argument `{}` of `{}` is given twice",
                                names[k], c.name.name
                            ),
                        )
                        .with_primary(span, "given again here"),
                    );
                    ok = false;
                }
                got[k] = Some(&a.value);
            }
        }
        ok.then_some(got)
    }

    /// A number argument in `unit` (`None`: unitless), no formula.
    pub(super) fn arg_number(&mut self, v: &Value, name: &str, unit: Option<&str>) -> Option<f64> {
        let q = match v {
            Value::Quantity(q) if q.formula.is_none() => q,
            other => {
                self.out.push(
                    Diagnostic::error("E1305", format!("`{name}` takes a number"))
                        .with_primary(other.span(), "not a number"),
                );
                return None;
            }
        };
        let e = Expect {
            name,
            unit: Some(unit.unwrap_or("1")),
            origin: None,
        };
        match convert(q, &e) {
            Ok((x, w)) => {
                self.out.extend(w);
                Some(x)
            }
            Err(d) => {
                self.out.push(d);
                None
            }
        }
    }

    /// `true` or `false`.
    pub(super) fn arg_bool(&mut self, v: &Value, name: &str) -> Option<bool> {
        match v {
            Value::Refs(r) if r.len() == 1 && r[0].name.name == "true" => Some(true),
            Value::Refs(r) if r.len() == 1 && r[0].name.name == "false" => Some(false),
            other => {
                self.out.push(
                    Diagnostic::error("E1305", format!("`{name}` takes `true` or `false`"))
                        .with_primary(other.span(), "not true or false"),
                );
                None
            }
        }
    }

    /// A whole number argument, at least `min`.
    pub(super) fn arg_int(&mut self, v: &Value, name: &str, min: i64) -> Option<i64> {
        let x = self.arg_number(v, name, None)?;
        if x.fract() == 0.0 && x >= min as f64 && x.abs() < 1e15 {
            Some(x as i64)
        } else {
            let what = if min > i64::MIN / 8 {
                format!("`{name}` must be a whole number, at least {min}")
            } else {
                format!("`{name}` must be a whole number")
            };
            self.out.push(
                Diagnostic::error("E1304", what).with_primary(v.span(), "not a whole number"),
            );
            None
        }
    }

    /// Three lengths in um: `[x, y, z] um`, or one length for all three.
    fn three_lengths(&mut self, v: &Value, name: &str) -> Option<[f64; 3]> {
        match v {
            Value::List(l) if l.items.len() == 3 => {
                let e = Expect {
                    name,
                    unit: Some("um"),
                    origin: None,
                };
                let f = self.factor(l.span, l.unit.as_ref(), &e)?;
                Some([l.items[0].0 * f, l.items[1].0 * f, l.items[2].0 * f])
            }
            Value::List(l) => {
                self.out.push(
                    Diagnostic::error(
                        "E1304",
                        format!("`{name}` takes three lengths `[x, y, z] um`"),
                    )
                    .with_primary(l.span, format!("{} values", l.items.len())),
                );
                None
            }
            other => {
                let x = self.arg_number(other, name, Some("um"))?;
                Some([x; 3])
            }
        }
    }

    /// Positions in a box: uniform, or with `min_distance`, distinct points
    /// of a grid of that spacing chosen at random (as BMTK's
    /// `positions_cuboid` does), seeded by the population's stream.
    fn cuboid(&mut self, c: &Call, count: usize, index: usize) -> Option<Vec<[f64; 3]>> {
        let args = self.call_args(c, &["size", "center", "min_distance", "seed"])?;
        let Some(size_v) = args[0] else {
            self.out.push(
                Diagnostic::error("E1212", "`cuboid` needs its `size`")
                    .with_primary(c.span, "no size")
                    .with_help("e.g. `cuboid(size = 10 um, min_distance = 2 um)` or `size = [100, 100, 20] um`"),
            );
            return None;
        };
        let size = self.three_lengths(size_v, "size")?;
        let center = match args[1] {
            Some(v) => self.three_lengths(v, "center")?,
            None => [0.0; 3],
        };
        let min = match args[2] {
            Some(v) => self.arg_number(v, "min_distance", Some("um"))?,
            None => 0.0,
        };
        if size.iter().any(|s| !(*s >= 0.0 && s.is_finite())) || !(min >= 0.0 && min.is_finite()) {
            self.out.push(
                Diagnostic::error(
                    "E1304",
                    "`cuboid` sizes and distances must be finite and not negative",
                )
                .with_primary(c.span, "negative or not finite"),
            );
            return None;
        }
        let mut rng = match args[3] {
            Some(v) => random::seeded(self.arg_int(v, "seed", 0)? as u64),
            None => random::generator(self.seed, Stream::Positions(index)),
        };
        if min <= 0.0 {
            return Some(
                (0..count)
                    .map(|_| {
                        [0, 1, 2].map(|k| center[k] + (random::uniform(&mut rng) - 0.5) * size[k])
                    })
                    .collect(),
            );
        }
        // As BMTK: distinct points of a grid of spacing `min_distance`.
        // Grid points per axis; `None` when the grid has more points than
        // can be numbered (the count then always fits).
        let steps = size.map(|s| {
            let n = (s / min + 1e-9).floor() + 1.0;
            (n < 1e15).then_some(n as usize)
        });
        let total = match steps {
            [Some(a), Some(b), Some(c)] => a.checked_mul(b).and_then(|ab| ab.checked_mul(c)),
            _ => None,
        };
        let (Some(total), [Some(s0), Some(s1), Some(s2)]) = (total, steps) else {
            self.out.push(
                Diagnostic::error(
                    "E1304",
                    format!(
                        "`cuboid` grid too fine: this box holds more than 2^64 points {} um apart",
                        crate::units::format_number(min)
                    ),
                )
                .with_primary(c.span, "box too large for this `min_distance`")
                .with_help("make `min_distance` larger or the box smaller"),
            );
            return None;
        };
        let steps = [s0, s1, s2];
        if count > total {
            self.out.push(
                Diagnostic::error(
                    "E1304",
                    format!(
                        "cannot place {count} cells at least {} um apart in this box (room for {total})",
                        crate::units::format_number(min)
                    ),
                )
                .with_primary(c.span, "too small for the count")
                .with_help("make the box larger or `min_distance` smaller"),
            );
            return None;
        }
        let pts = random::choose_unsorted(&mut rng, total, count)
            .into_iter()
            .map(|g| {
                let idx = [
                    g / (steps[1] * steps[2]),
                    (g / steps[2]) % steps[1],
                    g % steps[2],
                ];
                [0, 1, 2].map(|k| center[k] - size[k] / 2.0 + idx[k] as f64 * min)
            })
            .collect();
        Some(pts)
    }

    pub(super) fn input(&mut self, i: &InputDef) {
        let index = self.inputs.len();
        let trains: Vec<Vec<f64>> = match &i.train {
            Train::List(l) => {
                let e = Expect {
                    name: "spike time",
                    unit: Some("ms"),
                    origin: None,
                };
                let mut times = Vec::new();
                for (v, span) in &l.items {
                    match convert_value(*v, *span, l.unit.as_ref(), &e) {
                        Ok((t, w)) => {
                            self.out.extend(w);
                            times.push(t);
                        }
                        Err(d) => {
                            self.out.push(d.with_help(
                                "write the unit after the list: `spikes [10, 20, 30] ms`",
                            ));
                            return;
                        }
                    }
                }
                vec![times]
            }
            Train::File {
                path,
                path_span,
                unit,
            } if path.ends_with(".h5") => {
                match self.sonata_spikes(&i.name.name, path, *path_span, unit.as_ref()) {
                    Some(t) => t,
                    None => return,
                }
            }
            Train::File {
                path,
                path_span,
                unit,
            } => match self.time_file(path, *path_span, unit.as_ref()) {
                Some(t) => vec![t],
                None => return,
            },
            Train::Poisson(s) => match self.poisson(s, index) {
                Some(t) => t,
                None => return,
            },
            Train::Pattern(s) => match self.pattern(s) {
                Some(t) => t,
                None => return,
            },
        };
        let first_train = self.net.trains.len();
        let count = trains.len();
        for (k, mut times) in trains.into_iter().enumerate() {
            times.sort_by(f64::total_cmp);
            self.net.trains.push(SpikeTrain {
                gid: k as u64,
                population: i.name.name.clone(),
                times,
            });
        }
        self.inputs.push(InputInfo {
            name: i.name.name.clone(),
            first_train,
            count,
        });
    }

    /// One train from a text file of times.
    fn time_file(
        &mut self,
        path: &str,
        path_span: Span,
        unit: Option<&UnitText>,
    ) -> Option<Vec<f64>> {
        let e = Expect {
            name: "spike time",
            unit: Some("ms"),
            origin: None,
        };
        let full = self.base.join(path);
        let text = match std::fs::read_to_string(&full) {
            Ok(t) => t,
            Err(err) => {
                self.out.push(
                    Diagnostic::error("E1003", format!("cannot read spike times from `{}`: {err}", full.display()))
                        .with_primary(path_span, "cannot read this file")
                        .with_help("the path is relative to the .ndl file; the file holds one time per line (a `.h5` file is read as SONATA spikes)"),
                );
                return None;
            }
        };
        let factor = match convert_value(1.0, path_span, unit, &e) {
            Ok((f, w)) => {
                self.out.extend(w);
                f
            }
            Err(d) => {
                self.out.push(d.with_help(
                    "write the unit of the file's times after the name: `spikes from \"t.txt\" ms`",
                ));
                return None;
            }
        };
        let mut times = Vec::new();
        for (ln, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("");
            for tok in line.split(|c: char| c.is_whitespace() || c == ',') {
                if tok.is_empty() {
                    continue;
                }
                match tok.parse::<f64>() {
                    Ok(t) if t.is_finite() => times.push(t * factor),
                    _ => {
                        self.out.push(
                            Diagnostic::error(
                                "E1003",
                                format!(
                                    "`{}` line {}: `{tok}` is not a time",
                                    full.display(),
                                    ln + 1
                                ),
                            )
                            .with_primary(path_span, "in this file"),
                        );
                        return None;
                    }
                }
            }
        }
        Some(times)
    }

    /// The trains of a SONATA spike file (`/spikes/<pop>/{node_ids,
    /// timestamps}` in ms): the population named like the input, or the
    /// file's only one; node ids 0..=max.
    fn sonata_spikes(
        &mut self,
        name: &str,
        path: &str,
        path_span: Span,
        unit: Option<&UnitText>,
    ) -> Option<Vec<Vec<f64>>> {
        if let Some(u) = unit
            && u.text != "ms"
        {
            self.out.push(
                Diagnostic::error("E1301", "SONATA spike files hold times in ms")
                    .with_primary(u.span, "expected ms")
                    .with_help("drop the unit or write `ms`"),
            );
            return None;
        }
        let full = self.base.join(path);
        let input = match crate::sonata::inputs::read_spike_input(&full) {
            Ok(i) => i,
            Err(d) => {
                self.out.push(
                    Diagnostic::error("E1007", format!("cannot read SONATA spikes from `{}`", full.display()))
                        .with_primary(path_span, "cannot read this file")
                        .with_note(d.message)
                        .with_help("a `.h5` input is a SONATA spike file with `/spikes/<population>/node_ids` and `timestamps`"),
                );
                return None;
            }
        };
        let pops: Vec<&str> = input.keys().map(String::as_str).collect();
        let chosen = match input.get(name) {
            Some(p) => p,
            None if input.len() == 1 => input.values().next()?,
            None => {
                self.out.push(
                    Diagnostic::error(
                        "E1007",
                        format!("`{}` has no spike population `{name}`", full.display()),
                    )
                    .with_primary(path_span, "in this file")
                    .with_help(format!(
                        "name the input after one of its populations: {}",
                        one_of(&pops)
                    )),
                );
                return None;
            }
        };
        let n = chosen.keys().next_back().map_or(0, |m| *m as usize + 1);
        if !self.memory_for(
            n as f64 * 24.0,
            &format!("spike trains for node ids up to {}", n.saturating_sub(1)),
            path_span,
        ) {
            return None;
        }
        let mut trains = vec![Vec::new(); n];
        for (id, times) in chosen {
            trains[*id as usize] = times.clone();
        }
        Some(trains)
    }

    /// `poisson { count; rate; start; stop; seed }`: `count` independent
    /// Poisson trains.
    /// NEURON's PatternStim: `times` (ms, sorted) and `gids` (whole
    /// numbers) of equal length; train `g` holds the times of gid `g` in
    /// the pattern's order. NEURON fires each pair at its time through the
    /// connections of its gid and fires nothing for a gid without any;
    /// so do the trains. `fake_output` (NEURON: also fire the network's
    /// own cells) may only be 0: NDL cells have no gids to fire.
    fn pattern(&mut self, s: &Settings) -> Option<Vec<Vec<f64>>> {
        const KNOWN: &[&str] = &["times", "gids", "fake_output"];
        let mut times: Option<Vec<(f64, Span)>> = None;
        let mut gids: Option<Vec<(f64, Span)>> = None;
        let mut ok = true;
        for a in &s.assigns {
            match a.name.name.as_str() {
                "times" => match self.pattern_list(&a.value, "times", Some("ms")) {
                    Some(l) => times = Some(l),
                    None => ok = false,
                },
                "gids" => match self.pattern_list(&a.value, "gids", None) {
                    Some(l) => gids = Some(l),
                    None => ok = false,
                },
                "fake_output" => match self.arg_number(&a.value, "fake_output", None) {
                    Some(0.0) => {}
                    Some(_) => {
                        self.out.push(
                            Diagnostic::error(
                                "E1304",
                                "nmc's PatternStim fires only gids outside the network (`fake_output = 0`)",
                            )
                            .with_primary(a.value.span(), "not 0")
                            .with_help("NDL cells have no gids a pattern could fire; replay such spikes onto the cells' targets from gids of their own"),
                        );
                        ok = false;
                    }
                    None => ok = false,
                },
                _ => {
                    self.out.push(unknown_setting(a, "`PatternStim`", KNOWN));
                    ok = false;
                }
            }
        }
        if !ok {
            return None;
        }
        let (Some(times), Some(gids)) = (times, gids) else {
            self.out.push(
                Diagnostic::error("E1208", "the PatternStim has no `times` or no `gids`")
                    .with_primary(s.span, "`times` and `gids` both needed")
                    .with_help("write e.g. `PatternStim { times = [1, 2.5] ms; gids = [0, 3] }`"),
            );
            return None;
        };
        if times.len() != gids.len() {
            self.out.push(
                Diagnostic::error(
                    "E1304",
                    format!(
                        "the PatternStim has {} times and {} gids",
                        times.len(),
                        gids.len()
                    ),
                )
                .with_primary(s.span, "one gid for each time")
                .with_help("pair each spike time with the gid that fires it"),
            );
            return None;
        }
        let mut last = f64::NEG_INFINITY;
        for &(t, span) in &times {
            if !(t >= 0.0 && t.is_finite()) || t < last {
                self.out.push(
                    Diagnostic::error("E1304", "a PatternStim's times must be finite, at least 0 ms and sorted")
                        .with_primary(span, if t < last { "earlier than the time before" } else { "out of range" })
                        .with_help("NEURON's PatternStim replays a pattern sorted by time; sort the (time, gid) pairs"),
                );
                return None;
            }
            last = t;
        }
        let mut top = 0usize;
        for &(g, span) in &gids {
            if !(g.fract() == 0.0 && (0.0..=f64::from(i32::MAX)).contains(&g)) {
                self.out.push(
                    Diagnostic::error("E1304", "a gid must be a whole number from 0 to 2147483647")
                        .with_primary(span, "not a gid"),
                );
                return None;
            }
            top = top.max(g as usize + 1);
        }
        if !self.memory_for(
            top as f64 * 24.0 + times.len() as f64 * 8.0,
            &format!("spike trains for gids up to {}", top.saturating_sub(1)),
            s.span,
        ) {
            return None;
        }
        let mut trains = vec![Vec::new(); top];
        for (&(t, _), &(g, _)) in times.iter().zip(&gids) {
            trains[g as usize].push(t);
        }
        Some(trains)
    }

    /// A PatternStim's list of numbers in `unit` (`None`: no unit).
    fn pattern_list(
        &mut self,
        v: &Value,
        name: &str,
        unit: Option<&str>,
    ) -> Option<Vec<(f64, Span)>> {
        let Value::List(l) = v else {
            let example = if unit.is_some() {
                "[1, 2.5] ms"
            } else {
                "[0, 3]"
            };
            self.out.push(
                Diagnostic::error(
                    "E1305",
                    format!("`{name}` takes a list such as `{example}`"),
                )
                .with_primary(v.span(), "not a list"),
            );
            return None;
        };
        let e = Expect {
            name: if unit.is_some() { "spike time" } else { "gid" },
            unit: Some(unit.unwrap_or("1")),
            origin: None,
        };
        let mut out = Vec::with_capacity(l.items.len());
        for &(x, span) in &l.items {
            match convert_value(x, span, l.unit.as_ref(), &e) {
                Ok((y, w)) => {
                    self.out.extend(w);
                    out.push((y, span));
                }
                Err(d) => {
                    self.out.push(d);
                    return None;
                }
            }
        }
        Some(out)
    }

    fn poisson(&mut self, s: &Settings, index: usize) -> Option<Vec<Vec<f64>>> {
        const KNOWN: &[&str] = &["count", "rate", "start", "stop", "seed"];
        let mut count = 1usize;
        let mut rate = None;
        let mut start = 0.0;
        let mut stop = self.net.run.tstop;
        let mut seed = None;
        let mut ok = true;
        for a in &s.assigns {
            match a.name.name.as_str() {
                "count" => match self.arg_int(&a.value, "count", 1) {
                    Some(n) => count = n as usize,
                    None => ok = false,
                },
                "rate" => match self.arg_number(&a.value, "rate", Some("Hz")) {
                    Some(r) if r >= 0.0 => rate = Some(r),
                    Some(_) => {
                        self.out.push(
                            Diagnostic::error("E1304", "a rate cannot be negative")
                                .with_primary(a.value.span(), "negative"),
                        );
                        ok = false;
                    }
                    None => ok = false,
                },
                "start" => match self.arg_number(&a.value, "start", Some("ms")) {
                    Some(t) => start = t,
                    None => ok = false,
                },
                "stop" => match self.arg_number(&a.value, "stop", Some("ms")) {
                    Some(t) => stop = t,
                    None => ok = false,
                },
                "seed" => match self.arg_int(&a.value, "seed", 0) {
                    Some(n) => seed = Some(n as u64),
                    None => ok = false,
                },
                _ => {
                    self.out.push(unknown_setting(a, "`poisson`", KNOWN));
                    ok = false;
                }
            }
        }
        let Some(rate) = rate else {
            if ok {
                self.out.push(
                    Diagnostic::error("E1208", "the Poisson input has no `rate`")
                        .with_primary(s.span, "`rate` missing")
                        .with_help("add e.g. `rate = 60 Hz`"),
                );
            }
            return None;
        };
        if !ok {
            return None;
        }
        if !(start.is_finite() && stop.is_finite()) {
            self.out.push(
                Diagnostic::error(
                    "E1304",
                    "a Poisson input's `start` and `stop` must be finite",
                )
                .with_primary(s.span, "here"),
            );
            return None;
        }
        // Expected spikes, 8 bytes each, plus a vector per train.
        let spikes = count as f64 * rate * (stop - start).max(0.0) / 1000.0;
        if !self.memory_for(
            spikes * 8.0 * 1.5 + count as f64 * 24.0,
            &format!(
                "{count} Poisson trains at {} Hz ({} spikes expected)",
                crate::units::format_number(rate),
                crate::units::format_number(spikes.round())
            ),
            s.span,
        ) {
            return None;
        }
        let mut rng = match seed {
            Some(n) => random::seeded(n),
            None => random::generator(self.seed, Stream::Input(index)),
        };
        Some(
            (0..count)
                .map(|_| random::poisson_train(&mut rng, rate, start, stop))
                .collect(),
        )
    }

    /// `node_set name { key = value; ... }`: recorded for `node_sets.json`;
    /// a set that selects no node is a warning (W1101) naming the condition.
    pub(super) fn node_set(&mut self, n: &NodeSetDef) {
        let mut obj = serde_json::Map::new();
        for a in &n.settings.assigns {
            let v = match &a.value {
                Value::Str { text, .. } => Json::from(text.clone()),
                Value::Refs(r) if r.len() == 1 => Json::from(r[0].name.name.clone()),
                Value::Refs(r) => Json::from(
                    r.iter()
                        .map(|x| Json::from(x.name.name.clone()))
                        .collect::<Vec<_>>(),
                ),
                Value::Quantity(_) => match quantity(a, self.out) {
                    Some(q) => Json::from(q.value),
                    None => continue,
                },
                Value::List(l) => Json::from(l.items.iter().map(|x| x.0).collect::<Vec<_>>()),
                other => {
                    self.out.push(
                        Diagnostic::error(
                            "E1305",
                            "a node set condition takes a name, a text, a number or a list",
                        )
                        .with_primary(other.span(), "not a condition"),
                    );
                    continue;
                }
            };
            obj.insert(a.name.name.clone(), v);
        }
        let n_sel = self.count_selected(&obj);
        if n_sel == 0 {
            let cond: Vec<String> = obj.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            let pop_names: Vec<&str> = self
                .pops
                .iter()
                .map(|p| p.name.as_str())
                .chain(self.inputs.iter().map(|i| i.name.as_str()))
                .collect();
            let mut d = Diagnostic::warning(
                "W1101",
                format!(
                    "node set `{}` ({}) selects no node",
                    n.name.name,
                    cond.join(", ")
                ),
            )
            .with_primary(n.settings.span, "matches nobody");
            let wrong = obj.get("pop_name").and_then(Json::as_str);
            d = match wrong.and_then(|w| closest(w, pop_names.iter().copied())) {
                Some(s) => d.with_help(format!("did you mean pop_name `{s}`?")),
                None => d.with_help(format!("the pop_names are {}", one_of(&pop_names))),
            };
            self.out.push(d);
        }
        self.node_sets
            .insert(n.name.name.clone(), Json::Object(obj));
    }

    /// How many nodes (real and virtual) match every condition of `obj`.
    pub(super) fn count_selected(&self, obj: &serde_json::Map<String, Json>) -> usize {
        let matches = |want: &Json, have: &Attribute| -> bool {
            let one = |w: &Json| match (w, have) {
                (Json::String(s), Attribute::Text(h)) => s == h,
                (Json::Number(x), Attribute::Number(h)) => x.as_f64() == Some(*h),
                (Json::String(s), Attribute::Number(h)) => s.parse::<f64>().ok() == Some(*h),
                _ => false,
            };
            match want {
                Json::Array(a) => a.iter().any(one),
                w => one(w),
            }
        };
        let mut n = 0;
        for p in &self.pops {
            for k in 0..p.count {
                let all = obj.iter().all(|(key, want)| {
                    let have = match key.as_str() {
                        "population" => Attribute::Text(self.node_pop.clone()),
                        "pop_name" => Attribute::Text(p.name.clone()),
                        "node_id" => Attribute::Number((p.first_cell + k) as f64),
                        "model_type" => Attribute::Text("biophysical".into()),
                        "model_template" => Attribute::Text(format!("hoc:{}", p.cell_type)),
                        other => match p.properties.get(other) {
                            Some(Column::Same(a)) => a.clone(),
                            Some(Column::PerNode(v)) => v[k].clone(),
                            None => return false,
                        },
                    };
                    matches(want, &have)
                });
                n += usize::from(all);
            }
        }
        for i in &self.inputs {
            for k in 0..i.count {
                let all = obj.iter().all(|(key, want)| {
                    let have = match key.as_str() {
                        "population" | "pop_name" => Attribute::Text(i.name.clone()),
                        "node_id" => Attribute::Number(k as f64),
                        "model_type" => Attribute::Text("virtual".into()),
                        _ => return false,
                    };
                    matches(want, &have)
                });
                n += usize::from(all);
            }
        }
        n
    }
}
