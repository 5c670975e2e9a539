//! Lowering a checked NDL file to a [`Network`] plus what the run needs
//! around it (populations, output settings, reports) and the SONATA-shaped
//! [`crate::net::circuit::Circuit`] of the same network. Every value is
//! converted to NEURON's units here, with a diagnostic where it cannot be.
//! Populations, inputs and node sets are in [`super::nodes`], connection
//! rules in [`super::connect`], the circuit record in [`super::circuit`].

use super::ast::*;
use super::quantity::{Expect, convert};
use super::{Experiment, Output, Population};
use crate::diag::suggest::{closest, one_of};
use crate::diag::{Diagnostic, SourceMap, Span};
use crate::ir::MechKind;
use crate::ir::interface::{Catalogue, MechInfo};
use crate::net::{self, Cell, Location, Network, PointProcess, Record, RunSettings, Variable};
use crate::sonata::report::{Report, ReportGroup};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// A cell type ready to copy: the cell, its section names and the
/// mechanisms inserted in each section.
pub(super) struct CellType {
    pub(super) cell: Cell,
    pub(super) sections: Vec<String>,
    /// The NDL text of its definition (a SONATA cell template).
    pub(super) text: String,
    /// A cell read from a morphology: the order of its template's `all`
    /// list (`all[k]` indexes `cell.sections`), which synapse placement
    /// orders segments by.
    pub(super) all: Option<Vec<usize>>,
}

/// An input: a virtual population of spike trains.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct InputInfo {
    /// Its name (also its SONATA node population).
    pub(super) name: String,
    /// Index of its first train in [`Network::trains`].
    pub(super) first_train: usize,
    /// Number of nodes (trains).
    pub(super) count: usize,
}

/// A synapse type: mechanism, converted parameters, where defined.
pub(super) struct SynapseType {
    pub(super) mech: MechInfo,
    pub(super) params: BTreeMap<String, f64>,
}

/// State of the lowering.
pub(super) struct Ctx<'a> {
    pub(super) base: &'a Path,
    pub(super) map: &'a SourceMap,
    pub(super) out: &'a mut Vec<Diagnostic>,
    pub(super) cat: Option<Rc<dyn Catalogue>>,
    /// Span of the `mechanisms` string, when given.
    pub(super) mech_span: Option<Span>,
    /// Files of the mechanisms used.
    pub(super) used: std::collections::BTreeSet<PathBuf>,
    /// Reported "no mechanisms folder" once.
    pub(super) missing_reported: bool,
    pub(super) types: HashMap<String, CellType>,
    /// Cell types whose definition had errors (not reported again when used).
    pub(super) failed_types: Vec<String>,
    /// Populations, inputs and synapses whose definitions had errors
    /// (already reported): uses of these names report nothing more.
    pub(super) failed_names: std::collections::HashSet<String>,
    pub(super) pops: Vec<Population>,
    /// Per cell: the label of each point process (synapse or stimulus
    /// name), as an index into `labels`.
    pub(super) pp_labels: Vec<super::runs::Runs<u32>>,
    /// Point process labels, each once.
    pub(super) labels: Vec<String>,
    /// Edge type (index into `edge_types`) of each placed connection.
    pub(super) edge_type_of: super::runs::Runs<u32>,
    pub(super) synapses: BTreeMap<String, SynapseType>,
    /// Inputs in declaration order.
    pub(super) inputs: Vec<InputInfo>,
    /// The SONATA node population of every real cell (the `network` name).
    pub(super) node_pop: String,
    /// The file's `seed` (0 when none is given).
    pub(super) seed: u64,
    /// The `connect` statements checked, made into connections last.
    pub(super) plans: Vec<super::connect::Plan>,
    /// One per `connect` statement that made connections.
    pub(super) edge_types: Vec<super::connect::EdgeTypeDef>,
    /// Node sets by name: their JSON and how many nodes they select.
    pub(super) node_sets: BTreeMap<String, serde_json::Value>,
    pub(super) net: Network,
    /// Bytes the network and its simulation take by the estimates checked
    /// so far ([`Ctx::memory_for`]); each new estimate is checked on top.
    pub(super) committed: f64,
    /// The morphology and fit files the cells name, already read.
    pub(super) files: &'a super::morphology::Files,
    /// Draws synapse sites on cells (`on = random(...)`), made on first use.
    pub(super) placer: Option<crate::morph::placement::Placer>,
    /// Loading one rank's share of a run over ranks: the cells whose
    /// incoming connections (and synapses) are kept.
    pub(super) keep: Option<std::ops::Range<usize>>,
    /// While counting (not empty): per cell, the connections onto it,
    /// then per statement, its connections; no connection is made.
    pub(super) counts: Vec<u64>,
    /// As `counts`, for the rules that draw their choices: only the
    /// targets in `count_slice` are counted (summed over ranks after).
    pub(super) drawn: Vec<u64>,
    /// The cells whose drawn counts this rank computes (all when `None`).
    pub(super) count_slice: Option<std::ops::Range<usize>>,
    /// Per statement: its connections over all ranks (when loading a
    /// share, from the counting).
    pub(super) totals: Vec<u64>,
    /// Threads the connection rules run on.
    pub(super) threads: usize,
}

/// How a build is shared out: rank `rank` of a run over `ranks` builds the
/// connections onto its own cells on `threads` threads; `all_gather`
/// gives every rank's bytes, in rank order, on every rank (every rank
/// calls it at the same point). The network built does not depend on
/// `ranks` or `threads`.
pub struct Share<'g> {
    /// This process's rank.
    pub rank: usize,
    /// Number of ranks.
    pub ranks: usize,
    /// Threads to build on (at least 1).
    pub threads: usize,
    /// The ranks' all-gather (needed when `ranks` > 1).
    pub all_gather: Option<AllGather<'g>>,
}

/// Every rank's bytes, in rank order, on every rank.
pub type AllGather<'g> = &'g mut dyn FnMut(&[u8]) -> Vec<Vec<u8>>;

impl Share<'_> {
    /// The whole network, built by one process on `threads` threads.
    pub fn whole(threads: usize) -> Share<'static> {
        Share {
            rank: 0,
            ranks: 1,
            threads,
            all_gather: None,
        }
    }
}

/// Gives the mechanisms an NDL file may use: NEURON's built-ins plus the
/// `mechanisms` folder when the file names one (the driver's library; an
/// editor supplies unsaved `.mod` buffers and reuses it between keystrokes).
pub type LoadCatalogue<'l> = &'l dyn Fn(Option<&Path>) -> std::io::Result<Rc<dyn Catalogue>>;

/// Lowers `file` (whose folder is `base`; its text and that of the files it
/// `use`s are in `map`) into an experiment, with the mechanisms `load`
/// gives. Returns `None` when errors were found (they are in `out`).
pub fn build_with(
    file: &File,
    base: &Path,
    map: &SourceMap,
    out: &mut Vec<Diagnostic>,
    load: LoadCatalogue,
    files: &super::morphology::Files,
) -> Option<Experiment> {
    build_share(file, base, map, out, load, files, Share::whole(1))
}

/// [`build_with`] for one share of a run (see [`Share`]): over ranks, the
/// network holds every cell but only the connections and synapses onto
/// the rank's cells (see [`Experiment::rank_starts`]), so that no rank
/// holds the whole network. The rules run twice: first counting each
/// cell's incoming connections (the cut needs them; rules that draw
/// their choices count a slice of the targets per rank, all-gathered),
/// then making the connections onto the rank's cells only. The
/// connections onto a cell are drawn from the cell's own stream
/// ([`super::random::per_target`]), so the kept connections are exactly
/// the whole network's onto the rank's cells, at any rank and thread
/// count.
/// Networks the engine runs on one process (artificial cells, fewer
/// cells than ranks) are built whole.
pub fn build_share(
    file: &File,
    base: &Path,
    map: &SourceMap,
    out: &mut Vec<Diagnostic>,
    load: LoadCatalogue,
    files: &super::morphology::Files,
    mut share: Share,
) -> Option<Experiment> {
    let ranks = (share.rank, share.ranks);
    let errors_before = out.iter().filter(|d| d.is_error()).count();
    let mut cx = Ctx {
        base,
        map,
        out,
        cat: None,
        mech_span: None,
        missing_reported: false,
        used: Default::default(),
        types: HashMap::new(),
        failed_types: Vec::new(),
        failed_names: std::collections::HashSet::new(),
        pops: Vec::new(),
        pp_labels: Vec::new(),
        labels: Vec::new(),
        edge_type_of: Default::default(),
        synapses: BTreeMap::new(),
        inputs: Vec::new(),
        node_pop: "network".into(),
        seed: 0,
        plans: Vec::new(),
        edge_types: Vec::new(),
        node_sets: BTreeMap::new(),
        net: Network::default(),
        committed: 0.0,
        files,
        placer: None,
        keep: None,
        counts: Vec::new(),
        drawn: Vec::new(),
        count_slice: None,
        totals: Vec::new(),
        threads: share.threads.max(1),
    };
    let mut name = None;
    let mut mechanisms_dir = None;
    for item in &file.items {
        match item {
            Item::Network(n) => {
                name = Some(n.name.clone());
                cx.node_pop = n.name.clone();
            }
            Item::Seed { value, .. } => cx.seed = *value,
            Item::Mechanisms { path, span } => {
                let dir = normalize(&base.join(path));
                cx.mech_span = Some(*span);
                match load(Some(&dir)) {
                    Ok(c) => {
                        cx.cat = Some(c);
                        mechanisms_dir = Some(dir);
                    }
                    Err(e) => {
                        cx.missing_reported = true;
                        cx.out.push(
                            Diagnostic::error(
                                "E1002",
                                format!("cannot read the mechanisms folder `{}`: {e}", dir.display()),
                            )
                            .with_primary(*span, "no such folder")
                            .with_help("the path is relative to the .ndl file; point it at the folder holding the .mod files"),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    if cx.cat.is_none() && !cx.missing_reported {
        // No folder named: NEURON's built-ins only.
        if let Ok(c) = load(None) {
            cx.cat = Some(c);
        }
    }
    for item in &file.items {
        if let Item::Cell(c) = item {
            let before = cx.out.iter().filter(|d| d.is_error()).count();
            cx.cell_type(c);
            if cx.out.iter().filter(|d| d.is_error()).count() > before {
                cx.types.remove(&c.name.name);
                cx.failed_types.push(c.name.name.clone());
            }
        }
    }
    let mut run_seen = false;
    for item in &file.items {
        if let Item::Run(s) = item {
            run_seen = true;
            cx.net.run = cx.run(s);
        }
    }
    for item in &file.items {
        // A definition that failed has had its error reported: its name is
        // remembered so that its uses report nothing more.
        let (pops, inputs, synapses) = (cx.pops.len(), cx.inputs.len(), cx.synapses.len());
        let name = match item {
            Item::Population(p) => {
                cx.population(p);
                (cx.pops.len() == pops).then_some(&p.name.name)
            }
            Item::Synapse(s) => {
                cx.synapse(s);
                (cx.synapses.len() == synapses).then_some(&s.name.name)
            }
            Item::Input(i) => {
                cx.input(i);
                (cx.inputs.len() == inputs).then_some(&i.name.name)
            }
            _ => None,
        };
        if let Some(n) = name {
            cx.failed_names.insert(n.clone());
        }
    }
    for item in &file.items {
        if let Item::NodeSet(n) = item {
            cx.node_set(n);
        }
    }
    let mut output = Output {
        dir: base.join("output"),
        spikes: Some("spikes.h5".into()),
        reports: Vec::new(),
    };
    for item in &file.items {
        if let Item::Stimulus(s) = item {
            cx.stimulus(s);
        }
    }
    let connects: Vec<&ConnectDef> = file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Connect(c) => Some(c),
            _ => None,
        })
        .collect();
    let ncells = cx.net.cells.len();
    let mut rank_starts = None;
    if ranks.1 > 1
        && ncells >= ranks.1
        && cx.net.cells.iter().all(|c| !c.sections.is_empty())
        && cx.out.iter().filter(|d| d.is_error()).count() == errors_before
    {
        // Counting: no connection made, each counted onto its target.
        let (shown, committed) = (cx.out.len(), cx.committed);
        let n = ncells + connects.len();
        cx.counts = vec![0; n];
        cx.drawn = vec![0; n];
        // Without an all-gather, every rank counts every target.
        cx.count_slice = share
            .all_gather
            .is_some()
            .then(|| ncells * ranks.0 / ranks.1..ncells * (ranks.0 + 1) / ranks.1);
        for (index, c) in connects.iter().enumerate() {
            cx.connect(c, index);
        }
        cx.out.truncate(shown);
        cx.committed = committed;
        cx.edge_types.clear();
        cx.plans.clear();
        cx.placer = None;
        cx.count_slice = None;
        let mut counts = std::mem::take(&mut cx.counts);
        let drawn = std::mem::take(&mut cx.drawn);
        // The drawn counts of every rank's slice, summed.
        let bytes: Vec<u8> = drawn.iter().flat_map(|n| n.to_le_bytes()).collect();
        let gathered = match share.all_gather.as_mut() {
            Some(g) => g(&bytes),
            None => vec![bytes],
        };
        for part in &gathered {
            for (n, b) in counts.iter_mut().zip(part.chunks_exact(8)) {
                *n += b.try_into().map_or(0, u64::from_le_bytes);
            }
        }
        cx.totals = counts.split_off(ncells);
        let counts: Vec<usize> = counts.iter().map(|&n| n as usize).collect();
        crate::io::trace("ndl: connections counted");
        let starts = crate::net::partition::rank_starts(&cx.net, &counts, ranks.1);
        if starts.len() == ranks.1 {
            let end = starts.get(ranks.0 + 1).copied().unwrap_or(ncells);
            cx.keep = Some(starts[ranks.0]..end);
            rank_starts = Some(starts);
        }
    }
    for (index, c) in connects.iter().enumerate() {
        cx.connect(c, index);
    }
    crate::io::trace("ndl: connections drawn");
    cx.place_connections();
    crate::io::trace("ndl: connections placed");
    for item in &file.items {
        if let Item::Output(o) = item {
            output = cx.output(o);
        }
    }
    if !run_seen {
        cx.out.push(
            Diagnostic::warning("W1001", "no `run { ... }` block: NEURON's defaults are used")
                .with_help("add e.g. `run { tstop = 500 ms; dt = 0.025 ms; celsius = 34 degC; v_init = -65 mV }`"),
        );
    }
    if !file.items.iter().any(|i| matches!(i, Item::Population(_))) {
        cx.out.push(
            Diagnostic::warning("W1002", "no `population`: there is nothing to simulate")
                .with_help("add e.g. `population cell = 1 of MyCell`"),
        );
    }
    let errors = cx.out.iter().filter(|d| d.is_error()).count();
    if errors > errors_before {
        return None;
    }
    let mut inputs = Vec::new();
    for i in &cx.inputs {
        inputs.extend(std::iter::repeat_n(i.name.clone(), i.count));
    }
    let record = cx.record(mechanisms_dir.clone());
    Some(Experiment {
        name,
        rank_starts,
        network: cx.net,
        populations: cx.pops,
        inputs,
        mechanisms_dir,
        mechanism_files: cx.used.into_iter().collect(),
        output,
        record,
    })
}

/// The value of a setting as a plain quantity, or E1305.
pub(super) fn quantity<'q>(a: &'q Assign, out: &mut Vec<Diagnostic>) -> Option<&'q Quantity> {
    match &a.value {
        Value::Quantity(q) if q.formula.is_none() => Some(q),
        Value::Quantity(q) => {
            if let Some(Err(d)) = q
                .formula
                .as_ref()
                .map(|f| super::formula::eval(f, &|_| None))
                && !d.message.starts_with("unknown variable")
            {
                out.push(d);
                return None;
            }
            out.push(
                Diagnostic::error(
                    "E1305",
                    format!("`{}` takes a number, not a formula", a.name.name),
                )
                .with_primary(q.value_span, "names a variable")
                .with_help("variables such as `distance` are allowed in connection weights, delays and probabilities"),
            );
            None
        }
        other => {
            out.push(
                Diagnostic::error(
                    "E1305",
                    format!("`{}` takes a number with a unit", a.name.name),
                )
                .with_primary(other.span(), "not a number"),
            );
            None
        }
    }
}

/// A single plain name (`synapse = exc`), or E1305.
pub(super) fn single_ref<'q>(a: &'q Assign, out: &mut Vec<Diagnostic>) -> Option<&'q Reference> {
    match &a.value {
        Value::Refs(r) if r.len() == 1 => r.first(),
        other => {
            out.push(
                Diagnostic::error("E1305", format!("`{}` takes one name", a.name.name))
                    .with_primary(other.span(), "expected a name here"),
            );
            None
        }
    }
}

pub(super) fn unknown_setting(a: &Assign, what: &str, known: &[&str]) -> Diagnostic {
    let mut d = Diagnostic::error(
        "E1207",
        format!("unknown setting `{}` in {what}", a.name.name),
    )
    .with_primary(a.name.span, "not a setting here");
    d = match closest(&a.name.name, known.iter().copied()) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help(format!("{what} accepts {}", one_of(known))),
    };
    d
}

impl Ctx<'_> {
    /// The source text under `span` (a cell definition, for templates).
    /// The index of point process label `name` in `labels`.
    pub(super) fn label(&mut self, name: &str) -> u32 {
        match self.labels.iter().position(|l| l == name) {
            Some(k) => k as u32,
            None => {
                self.labels.push(name.to_string());
                (self.labels.len() - 1) as u32
            }
        }
    }

    pub(super) fn text_of(&self, span: Span) -> String {
        self.map
            .source(span.file)
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
            .to_string()
    }

    pub(super) fn fixed(&mut self, a: &Assign, unit: &str) -> Option<f64> {
        let q = quantity(a, self.out)?;
        let e = Expect {
            name: &a.name.name,
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

    /// Looks up a mechanism of `kind`, reporting an unknown name (E1202,
    /// with a suggestion), the wrong kind (E1206), a missing folder (E1208)
    /// or a file with errors (E1004).
    pub(super) fn mechanism(&mut self, name: &Ident, kind: MechKind) -> Option<MechInfo> {
        let Some(cat) = &self.cat else {
            if !self.missing_reported {
                self.missing_reported = true;
                self.out.push(
                    Diagnostic::error("E1208", format!("mechanism `{}` is used, but no `mechanisms` folder is named", name.name))
                        .with_primary(name.span, "needs a mechanism")
                        .with_help("add `mechanisms \"models\"` (the folder of .mod files, relative to this file) at the top"),
                );
            }
            return None;
        };
        if let Some(m) = cat.find(&name.name) {
            if m.kind != kind {
                let (want, have) = (kind_word(kind), kind_word(m.kind));
                // Where the mechanism found belongs.
                let hint = match m.kind {
                    MechKind::PointProcess => {
                        "point processes are used by `synapse` and `stimulus`"
                    }
                    MechKind::Density => "density mechanisms are put in sections with `insert`",
                    MechKind::ArtificialCell => {
                        "an artificial cell is a cell of its own: a population of it (`population drive = 4 of NetStim { ... }`), reached with `connect`"
                    }
                };
                self.out.push(
                    Diagnostic::error(
                        "E1206",
                        format!("`{}` is {have}, but {want} is needed here", m.name),
                    )
                    .with_primary(name.span, have)
                    .with_help(hint),
                );
                return None;
            }
            self.used.insert(m.file.clone());
            return Some(m.clone());
        }
        if let Some(mut d) = cat.broken(&name.name) {
            d = d.with_primary(name.span, "used here");
            self.out.push(d);
            return None;
        }
        let names = cat.names_of(kind);
        let mut d = Diagnostic::error("E1202", format!("unknown mechanism `{}`", name.name))
            .with_primary(
                name.span,
                format!("no {} of this name in {}", kind_noun(kind), cat.origin()),
            );
        if let Some(s) = self.mech_span {
            d = d.with_secondary(s, "mechanisms are read from here");
        }
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        d = match closest(&name.name, names.iter().copied()) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!("the choices are {}", one_of(&names))),
        };
        self.out.push(d);
        None
    }

    /// Converts a mechanism's parameter settings (E1203 unknown, E1210 not
    /// settable, E13xx units).
    pub(super) fn params(&mut self, m: &MechInfo, settings: &Settings) -> BTreeMap<String, f64> {
        self.params_ions(m, settings).0
    }

    /// [`Ctx::params`], with ion variables (`eleak`) returned apart as
    /// section ion values.
    pub(super) fn params_ions(
        &mut self,
        m: &MechInfo,
        settings: &Settings,
    ) -> (BTreeMap<String, f64>, BTreeMap<String, f64>) {
        let mut map = BTreeMap::new();
        let mut ions = BTreeMap::new();
        for a in &settings.assigns {
            let Some(var) = m.var(&a.name.name) else {
                let names = m.settable_names();
                let mut d = Diagnostic::error(
                    "E1203",
                    format!("`{}` has no parameter `{}`", m.name, a.name.name),
                )
                .with_primary(a.name.span, "unknown parameter");
                let list = format!("the parameters of `{}` are {}", m.name, one_of(&names));
                d = match closest(&a.name.name, names.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")).with_note(list),
                    None => d.with_help(list),
                };
                self.out.push(d);
                continue;
            };
            if !var.settable {
                let why = if var.global {
                    "it is GLOBAL (one value shared by every instance); NDL sets per-instance parameters only"
                } else {
                    "it is computed by the mechanism, not a PARAMETER"
                };
                self.out.push(
                    Diagnostic::error(
                        "E1210",
                        format!("`{}` of `{}` cannot be set", var.name, m.name),
                    )
                    .with_primary(a.name.span, "not settable")
                    .with_help(why.to_string()),
                );
                continue;
            }
            let Some(q) = quantity(a, self.out) else {
                continue;
            };
            let origin = Some(match &var.unit {
                Some(u) => format!("`{}` is declared ({u}) in {}", var.name, m.file.display()),
                None => format!(
                    "`{}` is declared without a unit in {}",
                    var.name,
                    m.file.display()
                ),
            });
            let e = Expect {
                name: &var.name,
                unit: var.unit.as_deref(),
                origin,
            };
            match convert(q, &e) {
                Ok((v, w)) => {
                    self.out.extend(w);
                    if let Some((lo, hi)) = var.limits
                        && !(lo..=hi).contains(&v)
                    {
                        let unit = var
                            .unit
                            .as_deref()
                            .map(|u| format!(" ({u})"))
                            .unwrap_or_default();
                        let (lo, hi) = (
                            crate::units::format_number(lo),
                            crate::units::format_number(hi),
                        );
                        self.out.push(
                            Diagnostic::error(
                                "E1304",
                                format!(
                                    "`{}` of `{}` is {}{unit}, outside its declared range <{lo}, {hi}>",
                                    var.name,
                                    m.name,
                                    crate::units::format_number(v)
                                ),
                            )
                            .with_primary(a.span, "out of range")
                            .with_note(format!(
                                "`{}` is declared with the limits <{lo}, {hi}> in {}",
                                var.name,
                                m.file.display()
                            )),
                        );
                        continue;
                    }
                    if var.ion {
                        ions.insert(var.name.clone(), v);
                    } else {
                        map.insert(var.name.clone(), v);
                    }
                }
                Err(d) => self.out.push(d),
            }
        }
        (map, ions)
    }

    pub(super) fn ion_values(&mut self, ion: &IonDef, into: &mut BTreeMap<String, f64>) {
        let n = &ion.ion.name;
        for a in &ion.values.assigns {
            let (key, unit) = match a.name.name.as_str() {
                "e" => (format!("e{n}"), "mV"),
                "i" => (format!("{n}i"), "mM"),
                "o" => (format!("{n}o"), "mM"),
                _ => {
                    self.out
                        .push(unknown_setting(a, "an `ion` block", &["e", "i", "o"]));
                    continue;
                }
            };
            if let Some(v) = self.fixed(a, unit) {
                into.insert(key, v);
            }
        }
    }

    fn cell_type(&mut self, c: &CellDef) {
        if c.morphology.is_some() {
            self.morph_cell_type(c);
            return;
        }
        for (what, span) in c
            .biophysics
            .iter()
            .map(|b| ("`biophysics`", b.span))
            .chain(c.properties.iter().map(|a| ("a setting", a.span)))
        {
            self.out.push(
                Diagnostic::error(
                    "E1207",
                    format!("{what} belongs to a cell read from a morphology"),
                )
                .with_primary(span, "not allowed in a cell made of `section` blocks")
                .with_help("write `cell Name from swc \"cell.swc\" { ... }`, or put the setting in a `section` block"),
            );
        }
        if c.sections.is_empty() {
            self.out.push(
                Diagnostic::error("E1208", format!("cell `{}` has no section", c.name.name))
                    .with_primary(c.name.span, "needs at least one section")
                    .with_help("add e.g. `section soma { L = 100 um; diam = 500 um }`"),
            );
            return;
        }
        let Some(order) = super::check::topology(c, self.out) else {
            return;
        };
        let mut cell = Cell::default();
        let mut names = Vec::new();
        let mut shared_ions = BTreeMap::new();
        for ion in &c.ions {
            self.ion_values(ion, &mut shared_ions);
        }
        let mut shared_inserts = Vec::new();
        for ins in &c.inserts {
            if let Some(m) = self.mechanism(&ins.mechanism, MechKind::Density) {
                let (params, ions) = self.params_ions(&m, &ins.params);
                shared_ions.extend(ions);
                shared_inserts.push(net::Insert {
                    mechanism: m.name.clone(),
                    params,
                });
            }
        }
        for (idx, parent) in &order {
            let def = &c.sections[*idx];
            let mut sec = net::Section {
                name: def.name.name.clone(),
                parent: *parent,
                ..net::Section::default()
            };
            for a in &def.properties {
                match a.name.name.as_str() {
                    "L" => self.positive(a, "um").map(|v| sec.length = v),
                    "diam" => self.positive(a, "um").map(|v| sec.diam = v),
                    "cm" => self.positive(a, "uF/cm2").map(|v| sec.cm = v),
                    "Ra" => self.positive(a, "ohm*cm").map(|v| sec.ra = v),
                    "nseg" => self.nseg(a).map(|v| sec.nseg = v),
                    _ => {
                        self.out.push(unknown_setting(
                            a,
                            "a section",
                            &["L", "diam", "nseg", "cm", "Ra"],
                        ));
                        None
                    }
                };
            }
            sec.mechanisms = shared_inserts.clone();
            let mut own_ions = BTreeMap::new();
            for ins in &def.inserts {
                if let Some(m) = self.mechanism(&ins.mechanism, MechKind::Density) {
                    let (params, ions) = self.params_ions(&m, &ins.params);
                    own_ions.extend(ions);
                    if let Some(prev) = sec.mechanisms.iter_mut().find(|i| i.mechanism == m.name) {
                        prev.params.extend(params);
                    } else {
                        sec.mechanisms.push(net::Insert {
                            mechanism: m.name.clone(),
                            params,
                        });
                    }
                }
            }
            sec.ion_values = shared_ions.clone();
            sec.ion_values.extend(own_ions);
            for ion in &def.ions {
                let mut v = BTreeMap::new();
                self.ion_values(ion, &mut v);
                sec.ion_values.extend(v);
            }
            names.push(sec.name.clone());
            cell.sections.push(sec);
        }
        cell.spike_site = Location { section: 0, x: 0.5 };
        self.types.insert(
            c.name.name.clone(),
            CellType {
                cell,
                sections: names,
                text: self.text_of(c.span),
                all: None,
            },
        );
    }

    pub(super) fn positive(&mut self, a: &Assign, unit: &str) -> Option<f64> {
        let v = self.fixed(a, unit)?;
        if v > 0.0 {
            Some(v)
        } else {
            self.out.push(
                Diagnostic::error("E1304", format!("`{}` must be positive", a.name.name))
                    .with_primary(a.value.span(), "zero or negative"),
            );
            None
        }
    }

    pub(super) fn nseg(&mut self, a: &Assign) -> Option<usize> {
        let q = quantity(a, self.out)?;
        if q.unit.is_none() && q.value >= 1.0 && q.value.fract() == 0.0 && q.value <= 1e6 {
            Some(q.value as usize)
        } else {
            self.out.push(
                Diagnostic::error(
                    "E1304",
                    "`nseg` must be a whole number of segments, at least 1",
                )
                .with_primary(q.span, "not a segment count"),
            );
            None
        }
    }

    fn synapse(&mut self, s: &SynapseDef) {
        let Some(m) = self.mechanism(&s.mechanism, MechKind::PointProcess) else {
            return;
        };
        if !m.receives_events {
            self.out.push(
                Diagnostic::error(
                    "E1206",
                    format!(
                        "`{}` has no NET_RECEIVE block, so it cannot be a synapse",
                        m.name
                    ),
                )
                .with_primary(s.mechanism.span, "receives no events")
                .with_help("use a point process with NET_RECEIVE, such as Exp2Syn"),
            );
            return;
        }
        let params = self.params(&m, &s.params);
        self.synapses
            .insert(s.name.name.clone(), SynapseType { mech: m, params });
    }

    pub(super) fn select(&mut self, r: &CellsRef) -> Option<Vec<usize>> {
        let Some(p) = self.pops.iter().find(|p| p.name == r.name.name) else {
            if self.failed_names.contains(&r.name.name) {
                return None;
            }
            let names: Vec<&str> = self.pops.iter().map(|p| p.name.as_str()).collect();
            let mut d = Diagnostic::error("E1204", format!("unknown population `{}`", r.name.name))
                .with_primary(r.name.span, "no `population` of this name");
            d = match closest(&r.name.name, names.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("the populations are {}", one_of(&names))),
            };
            self.out.push(d);
            return None;
        };
        let range = match r.selector {
            None => 0..p.count,
            Some(s) => {
                if s.end as usize > p.count || s.first >= s.end {
                    self.out.push(
                        Diagnostic::error(
                            "E1304",
                            format!(
                                "`{}` has {} cells (indexes 0..{})",
                                p.name, p.count, p.count
                            ),
                        )
                        .with_primary(s.span, "outside the population or empty"),
                    );
                    return None;
                }
                s.first as usize..s.end as usize
            }
        };
        Some(range.map(|i| p.first_cell + i).collect())
    }

    /// Section index of `site` on cell `cell`, with x checked.
    pub(super) fn locate(&mut self, cell: usize, site: &Site) -> Option<Location> {
        if !(0.0..=1.0).contains(&site.x) {
            self.out.push(
                Diagnostic::error(
                    "E1304",
                    "a position along a section must be between 0 and 1",
                )
                .with_primary(site.x_span, "outside [0, 1]"),
            );
            return None;
        }
        let c = &self.net.cells[cell];
        // A section type with one section (`soma` of a reconstructed cell)
        // may be named without its index.
        let named = |n: &str| c.sections.iter().position(|s| s.name == n);
        let found = named(&site.section.name).or_else(|| {
            let n = &site.section.name;
            (!n.contains('[') && named(&format!("{n}[1]")).is_none())
                .then(|| named(&format!("{n}[0]")))
                .flatten()
        });
        match found {
            Some(section) => Some(Location { section, x: site.x }),
            None => {
                let names: Vec<&str> = c.sections.iter().map(|s| s.name.as_str()).collect();
                let mut d = Diagnostic::error(
                    "E1205",
                    format!(
                        "cells of `{}` have no section `{}`",
                        c.population, site.section.name
                    ),
                )
                .with_primary(site.section.span, "unknown section");
                d = match closest(&site.section.name, names.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("the sections are {}", one_of(&names))),
                };
                self.out.push(d);
                None
            }
        }
    }

    fn stimulus(&mut self, s: &StimulusDef) {
        let Some(m) = self.mechanism(&s.mechanism, MechKind::PointProcess) else {
            return;
        };
        let params: std::sync::Arc<_> = self.params(&m, &s.params).into();
        let mechanism: crate::net::SharedName = m.name.as_str().into();
        let cells: Vec<usize> = match &s.cells {
            Some(r) => match self.select(r) {
                Some(c) => c,
                None => return,
            },
            None => (0..self.net.cells.len()).collect(),
        };
        for c in cells {
            let Some(loc) = self.locate(c, &s.site) else {
                return;
            };
            self.net.cells[c].point_processes.push(PointProcess {
                mechanism: mechanism.clone(),
                location: loc,
                params: params.clone(),
            });
            let label = self.label(&s.mechanism.name);
            self.pp_labels[c].push(label);
        }
    }

    fn run(&mut self, s: &Settings) -> RunSettings {
        const KNOWN: &[&str] = &[
            "tstart",
            "tstop",
            "dt",
            "celsius",
            "v_init",
            "spike_threshold",
        ];
        let mut r = RunSettings::default();
        for a in &s.assigns {
            let (slot, unit) = match a.name.name.as_str() {
                "tstart" => (&mut r.tstart, "ms"),
                "tstop" => (&mut r.tstop, "ms"),
                "dt" => (&mut r.dt, "ms"),
                "celsius" => (&mut r.celsius, "degC"),
                "v_init" => (&mut r.v_init, "mV"),
                "spike_threshold" => (&mut r.spike_threshold, "mV"),
                _ => {
                    self.out.push(unknown_setting(a, "`run`", KNOWN));
                    continue;
                }
            };
            if let Some(v) = self.fixed(a, unit) {
                *slot = v;
            }
        }
        let usable = r.dt > 0.0 && r.tstop > r.tstart;
        if !usable {
            let at = s
                .assigns
                .iter()
                .find(|a| a.name.name == "dt" || a.name.name == "tstop")
                .map(|a| a.value.span())
                .unwrap_or(s.span);
            self.out.push(
                Diagnostic::error("E1304", "the run needs dt > 0 and tstop > tstart")
                    .with_primary(at, "here"),
            );
        }
        r
    }

    fn output(&mut self, o: &OutputDef) -> Output {
        let mut out = Output {
            dir: self.base.join("output"),
            spikes: Some("spikes.h5".into()),
            reports: Vec::new(),
        };
        for a in &o.settings {
            let text = match &a.value {
                Value::Str { text, .. } => Some(text.clone()),
                _ => None,
            };
            match (a.name.name.as_str(), text) {
                ("dir", Some(t)) => out.dir = self.base.join(t),
                ("spikes", Some(t)) => out.spikes = Some(t),
                ("dir" | "spikes", None) => self.out.push(
                    Diagnostic::error(
                        "E1305",
                        format!("`{}` takes a quoted file name", a.name.name),
                    )
                    .with_primary(a.value.span(), "expected a string such as \"output\""),
                ),
                _ => self
                    .out
                    .push(unknown_setting(a, "`output`", &["dir", "spikes", "report"])),
            }
        }
        // Every output goes to its own file: a report named like the spike
        // file, or two reports of one name, would leave one of them.
        let spikes_at = o
            .settings
            .iter()
            .find(|a| a.name.name == "spikes")
            .map_or(o.span, |a| a.value.span());
        let mut files: Vec<(String, Span)> = Vec::new();
        if let Some(s) = &out.spikes {
            if s.trim().is_empty() {
                self.out.push(
                    Diagnostic::error("E1305", "`spikes` needs a file name")
                        .with_primary(spikes_at, "empty")
                        .with_help("e.g. `spikes = \"spikes.h5\"`"),
                );
            }
            files.push((s.clone(), spikes_at));
        }
        for r in &o.reports {
            let file = format!("{}.h5", r.name.name);
            if let Some((_, first)) = files.iter().find(|(f, _)| *f == file) {
                self.out.push(
                    Diagnostic::error(
                        "E1201",
                        format!(
                            "report `{}` would be written to `{file}`, which another output uses",
                            r.name.name
                        ),
                    )
                    .with_primary(r.name.span, "written to the same file")
                    .with_secondary(*first, "also written there")
                    .with_help("rename the report or the spike file"),
                );
                continue;
            }
            files.push((file, r.name.span));
            if let Some(rep) = self.report(r) {
                out.reports.push(rep);
            }
        }
        out
    }

    fn report(&mut self, r: &ReportDef) -> Option<Report> {
        const KNOWN: &[&str] = &["cells", "sections", "variable"];
        let mut cells: Option<Vec<usize>> = None;
        let mut sections: Option<Vec<&Ident>> = None;
        let mut variable: Option<&Reference> = None;
        for a in &r.settings.assigns {
            match a.name.name.as_str() {
                "cells" => {
                    let Value::Refs(refs) = &a.value else {
                        self.out.push(
                            Diagnostic::error(
                                "E1305",
                                "`cells` takes populations, e.g. `Exc[0..4]` or `all`",
                            )
                            .with_primary(a.value.span(), "not a population"),
                        );
                        continue;
                    };
                    let mut v = Vec::new();
                    for rf in refs {
                        if rf.name.name == "all" && rf.selector.is_none() {
                            v.extend(0..self.net.cells.len());
                            continue;
                        }
                        let cr = CellsRef {
                            name: rf.name.clone(),
                            selector: rf.selector,
                            span: rf.span,
                        };
                        v.extend(self.select(&cr)?);
                    }
                    cells = Some(v);
                }
                "sections" => match &a.value {
                    Value::Refs(refs) => sections = Some(refs.iter().map(|r| &r.name).collect()),
                    other => self.out.push(
                        Diagnostic::error(
                            "E1305",
                            "`sections` takes section names, e.g. `soma` or `all`",
                        )
                        .with_primary(other.span(), "not a section name"),
                    ),
                },
                "variable" => variable = single_ref(a, self.out),
                _ => self.out.push(unknown_setting(a, "a report", KNOWN)),
            }
        }
        let cells = cells.unwrap_or_else(|| (0..self.net.cells.len()).collect());
        let (var_text, var_span) = match variable {
            Some(v) => (
                match &v.member {
                    Some(m) => format!("{}.{}", v.name.name, m.name),
                    None => v.name.name.clone(),
                },
                v.span,
            ),
            None => ("v".to_string(), r.name.span),
        };
        let mut unit = String::from("mV");
        let mut groups: Vec<ReportGroup> = Vec::new();
        for &c in &cells {
            let cell = &self.net.cells[c];
            let pop_name = cell.population.clone();
            // Every real cell is in the one node population; node id = index.
            let first = 0;
            // Which sections.
            let secs: Vec<usize> = match &sections {
                None => vec![0],
                Some(names) if names.len() == 1 && names[0].name == "all" => {
                    (0..cell.sections.len()).collect()
                }
                Some(names) => {
                    let mut v = Vec::new();
                    for n in names {
                        let site = Site {
                            section: (*n).clone(),
                            x: 0.5,
                            x_span: n.span,
                            span: n.span,
                        };
                        v.push(self.locate(c, &site)?.section);
                    }
                    v
                }
            };
            let cell = &self.net.cells[c];
            let mut elems: Vec<(Location, Variable)> = Vec::new();
            match variable {
                Some(v) if v.member.is_some() => {
                    let label = &v.name.name;
                    let name = v
                        .member
                        .as_ref()
                        .map(|m| m.name.clone())
                        .unwrap_or_default();
                    for (i, pp) in cell.point_processes.iter().enumerate() {
                        if self.pp_labels[c]
                            .get(i)
                            .and_then(|l| self.labels.get(l as usize))
                            == Some(label)
                            && secs.contains(&pp.location.section)
                        {
                            let known = self.cat.as_ref().and_then(|k| k.find(&pp.mechanism));
                            match known.and_then(|m| m.var(&name)) {
                                Some(var) => unit = var.unit.clone().unwrap_or_default(),
                                None => {
                                    let names: Vec<&str> = known
                                        .map(|m| m.vars.iter().map(|v| v.name.as_str()).collect())
                                        .unwrap_or_default();
                                    let mut d = Diagnostic::error(
                                        "E1209",
                                        format!("`{}` has no variable `{name}`", pp.mechanism),
                                    )
                                    .with_primary(v.span, "unknown variable");
                                    if let Some(s) = closest(&name, names.iter().copied()) {
                                        d = d.with_help(format!("did you mean `{label}.{s}`?"));
                                    }
                                    self.out.push(d.with_note(format!(
                                        "its variables are {}",
                                        one_of(&names)
                                    )));
                                    return None;
                                }
                            }
                            elems.push((
                                pp.location,
                                Variable::PointProcess {
                                    index: i,
                                    name: name.clone(),
                                },
                            ));
                        }
                    }
                }
                _ => {
                    for &s in &secs {
                        let sec = &cell.sections[s];
                        let var = if var_text == "v" {
                            Variable::Voltage
                        } else {
                            let found = sec.mechanisms.iter().find_map(|ins| {
                                let name =
                                    crate::ir::interface::unsuffixed(&var_text, &ins.mechanism)?;
                                let m = self.cat.as_ref()?.find(&ins.mechanism)?;
                                let v = m.var(name)?;
                                Some((ins.mechanism.clone(), v.name.clone(), v.unit.clone()))
                            });
                            match found {
                                Some((mechanism, name, u)) => {
                                    unit = u.unwrap_or_default();
                                    Variable::Density { mechanism, name }
                                }
                                None => {
                                    let mut cands = vec!["v".to_string()];
                                    for ins in &sec.mechanisms {
                                        if let Some(m) =
                                            self.cat.as_ref().and_then(|k| k.find(&ins.mechanism))
                                        {
                                            cands.extend(
                                                m.vars
                                                    .iter()
                                                    .filter(|v| !v.global)
                                                    .map(|v| format!("{}_{}", v.name, m.name)),
                                            );
                                        }
                                    }
                                    let refs: Vec<&str> =
                                        cands.iter().map(|s| s.as_str()).collect();
                                    let mut d = Diagnostic::error(
                                        "E1209",
                                        format!(
                                            "section `{}` has no variable `{var_text}`",
                                            sec.name
                                        ),
                                    )
                                    .with_primary(var_span, "unknown variable");
                                    if let Some(s) = closest(&var_text, refs.iter().copied()) {
                                        d = d.with_help(format!("did you mean `{s}`?"));
                                    } else {
                                        d = d.with_help("record `v`, a mechanism variable as `name_mechanism` (`m_na_rtm`), or a synapse variable as `synapse.name` (`exc.g`)");
                                    }
                                    self.out.push(d);
                                    return None;
                                }
                            }
                        };
                        for k in 0..sec.nseg {
                            let x = (k as f64 + 0.5) / sec.nseg as f64;
                            elems.push((Location { section: s, x }, var.clone()));
                        }
                    }
                }
            }
            if groups.last().is_none_or(|g| g.population != pop_name) {
                let start = self.net.records.len();
                groups.push(ReportGroup {
                    population: pop_name.clone(),
                    node_ids: Vec::new(),
                    index_pointer: vec![0],
                    element_ids: Vec::new(),
                    element_pos: Vec::new(),
                    records: start..start,
                });
            }
            let g = groups.last_mut()?;
            g.node_ids.push((c - first) as u64);
            for (loc, var) in elems {
                g.element_ids.push(loc.section as u64);
                g.element_pos.push(loc.x);
                self.net.records.push(Record {
                    report: r.name.name.clone(),
                    cell: c,
                    location: loc,
                    variable: var,
                });
            }
            g.index_pointer.push(g.element_ids.len() as u64);
            g.records.end = self.net.records.len();
        }
        Some(Report {
            name: r.name.name.clone(),
            variable: var_text,
            unit,
            groups,
        })
    }
}

/// The kind without an article ("no point process of this name").
fn kind_noun(k: MechKind) -> &'static str {
    kind_word(k)
        .trim_start_matches("an ")
        .trim_start_matches("a ")
}

fn kind_word(k: MechKind) -> &'static str {
    match k {
        MechKind::Density => "a density mechanism (SUFFIX)",
        MechKind::PointProcess => "a point process",
        MechKind::ArtificialCell => "an artificial cell",
    }
}

/// `a/b/../c` as `a/c` (lexically, so messages show short paths).
pub fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        PathBuf::from(".")
    } else {
        out.iter().collect()
    }
}
