//! A SONATA circuit and simulation config → a [`Network`] ready to run,
//! the way BMTK's bionet builds it for NEURON:
//!
//! - `model_template` `hoc:<Name>` → the NDL cell definition `<Name>` in
//!   `<templates_dir>/<Name>.ndl` (or `--templates DIR`);
//! - edges: BMTK's built-in `exp2syn` → `Exp2Syn` with the JSON's `tau1`,
//!   `tau2` and `erev` (as `e`); any other `model_template` → the mechanism
//!   of that name from `mechanisms_dir` (its `modfiles/` folder or the
//!   folder itself; or `--mechanisms DIR`), parameters from the
//!   `dynamics_params` JSON (incl. `initW`); one synapse per edge (per
//!   `nsyns` when given) at `sec_id(sec_x)` or soma(0.5); NetCon weight
//!   `syn_weight`, delay `delay`, threshold the run's `spike_threshold`;
//! - virtual populations → spike trains from the `spikes` inputs.
//!
//! Synapses are created in BMTK's order: recurrent edge populations first,
//! then those from virtual populations; within one, target by target (node
//! order), each target's edges in edge id order.
//!
//! Diagnostic codes: `E1501` unreadable file, `E1502` a value the reader
//! cannot map (names the file, row and value), `E1503` a component folder
//! that does not exist (a circuit without `mechanisms_dir` has NEURON's
//! built-ins only, as in BMTK), `E1504` a cell template with errors, `W1501`
//! something BMTK ignores or a likely slip.

pub use crate::morph::allen;
use crate::sonata::config::{self, SimulationConfig};
use crate::sonata::edges::EdgePopulation;
use crate::sonata::inputs::{read_spike_csv, read_spike_input};
use crate::sonata::nodes::{NodePopulation, read_nodes};
mod clamps;
mod mechanisms;
mod order;
mod reports;
mod share;
mod sites;
mod spont;
mod synapses;
mod templates;

use crate::morph::{nseg, placement};

use crate::diag::{Diagnostic, SourceMap};
use crate::driver::library::{Library, used_names};
use crate::driver::ndl::LibraryLoader;
use crate::net::{Cell, Connection, Network, PointProcess, RunSettings, Source, SpikeTrain};
use crate::sim::{Mechanisms, Results};
use serde_json::Value;
use share::{rank_cut, read_all_edges, read_rank_edges};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use synapses::{SynSpec, syn_spec};
use templates::load_template;

/// Overrides from the command line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    /// Folder of NDL cell templates (`--templates`), instead of the
    /// circuit's `templates_dir`.
    pub templates: Option<PathBuf>,
    /// Folder of `.mod` files (`--mechanisms`), instead of the circuit's
    /// `mechanisms_dir`.
    pub mechanisms: Option<PathBuf>,
    /// Stop time (ms) instead of the config's `run.tstop`.
    pub tstop: Option<f64>,
    /// How the kernels compute `exp` (`nmc run --math`).
    pub math: crate::back::math::MathMode,
}

/// A real cell of the network: where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct CellOrigin {
    /// Node population.
    pub population: String,
    /// Node id within it.
    pub node_id: u64,
    /// `pop_name` of its node type (or the population name).
    pub pop_name: String,
    /// Its `model_processing` inserts NEURON's `extracellular` in every
    /// section (so `i_membrane` can be recorded).
    pub extracellular: bool,
}

/// A loaded SONATA run.
pub struct Loaded {
    /// The simulation config.
    pub config: SimulationConfig,
    /// The network (cell `k` has gid `k`; see [`Loaded::cells`]).
    pub network: Network,
    /// The mechanisms the circuit may use (NEURON's built-ins and its folder).
    pub library: Rc<Library>,
    /// The mechanisms the network uses, compiled for the run.
    pub mechanisms: Mechanisms,
    /// Origin of every cell, by index.
    pub cells: Vec<CellOrigin>,
    /// Real node populations in order.
    pub populations: Vec<String>,
    /// Compartment reports of the config (their records are in the network).
    pub reports: Vec<crate::sonata::report::Report>,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
    /// Over ranks, when this rank read only the edges onto its own cells:
    /// the first cell of each rank (see [`load_share`]); the network then
    /// holds only this rank's connections and synapses.
    pub rank_starts: Option<Vec<usize>>,
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded")
            .field("cells", &self.cells.len())
            .field("connections", &self.network.connections.len())
            .finish()
    }
}

impl Loaded {
    /// Spikes grouped by node population: `(node_id, time)` lists.
    pub fn spikes_by_population(&self, res: &Results) -> BTreeMap<String, Vec<(u64, f64)>> {
        let mut out: BTreeMap<String, Vec<(u64, f64)>> = self
            .populations
            .iter()
            .map(|p| (p.clone(), Vec::new()))
            .collect();
        for &(gid, t) in &res.spikes {
            if let Some(c) = usize::try_from(gid).ok().and_then(|g| self.cells.get(g))
                && let Some(list) = out.get_mut(&c.population)
            {
                list.push((c.node_id, t));
            }
        }
        out
    }

    /// Rows `(pop_name, cells, spikes, mean rate in Hz)` in order of first appearance.
    pub fn rates(&self, res: &Results) -> Vec<(String, usize, usize, f64)> {
        let mut rows: Vec<(String, usize, usize, f64)> = Vec::new();
        let mut spikes_of = vec![0usize; self.cells.len()];
        for &(gid, _) in &res.spikes {
            if let Some(n) = usize::try_from(gid).ok().and_then(|g| spikes_of.get_mut(g)) {
                *n += 1;
            }
        }
        for (c, n) in self.cells.iter().zip(&spikes_of) {
            match rows.iter_mut().find(|r| r.0 == c.pop_name) {
                Some(r) => {
                    r.1 += 1;
                    r.2 += n;
                }
                None => rows.push((c.pop_name.clone(), 1, *n, 0.0)),
            }
        }
        let secs = (self.network.run.tstop - self.network.run.tstart) / 1000.0;
        for r in &mut rows {
            if secs > 0.0 && r.1 > 0 {
                r.3 = r.2 as f64 / r.1 as f64 / secs;
            }
        }
        rows
    }
}

/// The times at which BMTK's VecStim (`vecevent.mod`) delivers a virtual
/// node's spikes `times` (ascending), in place: from its INITIAL block at
/// `t0` each next spike is scheduled from the time of the one before by
/// `net_send(etime - t)`, which NEURON's translator turns into the event
/// time `t + etime - t`, evaluated left to right: the k-th event comes at
/// `(t[k-1] + s[k]) - t[k-1]`, which can differ from `s[k]` in the last
/// bit (an IntFire1 target fires at exactly that time).
pub fn vecstim_times(t0: f64, times: &mut [f64]) {
    let mut t = t0;
    for s in times {
        let e = (t + *s) - t;
        *s = e;
        t = e;
    }
}

pub(super) fn e1502(msg: String) -> Diagnostic {
    Diagnostic::error("E1502", msg)
}

/// The artificial cell of node `k` of `p` with model_template
/// `nrn:<art>`, as BMTK makes it: `IntFire1`, whose `tau` and `refrac`
/// its `dynamics_params` (in `point_neuron_models_dir`) give in seconds
/// (BMTK's built-in setter); any other ARTIFICIAL_CELL (`nrn:NetStim`,
/// `nrn:IntFire2`, ..., which BMTK runs through a cell model the user
/// registers with `add_cell_model`) takes every number of its
/// `dynamics_params` as the parameter of that name, in NEURON's units.
fn point_cell(
    circuit: &config::CircuitConfig,
    p: &NodePopulation,
    k: usize,
    art: &str,
) -> Result<Cell, Diagnostic> {
    let row = p.type_ids[k];
    let what = format!(
        "`{}` node {} of `{}` (node type {row})",
        p.file.display(),
        p.node_ids[k],
        p.name
    );
    let dir = match &circuit.point_neuron_models_dir {
        Some(d) if d.is_dir() => d.clone(),
        d => {
            return Err(missing_dir(
                "point cell parameters",
                "point_neuron_models_dir",
                d.as_deref(),
                &circuit.path,
            ));
        }
    };
    let name = p
        .attr(k, "dynamics_params")
        .ok_or_else(|| e1502(format!("{what}: no dynamics_params")))?;
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Diagnostic::error("E1501", format!("cannot read `{}`: {e}", path.display()))
    })?;
    let json: Value = serde_json::from_str(&text)
        .map_err(|e| e1502(format!("`{}` is not JSON: {e}", path.display())))?;
    let mut params = BTreeMap::new();
    if art != "IntFire1" {
        let Some(obj) = json.as_object() else {
            return Err(e1502(format!(
                "`{}` must be a JSON object of `{art}` parameters",
                path.display()
            )));
        };
        for (key, v) in obj {
            let Some(x) = v.as_f64() else {
                return Err(e1502(format!(
                    "`{}`: `{key}` must be a number (a parameter of `{art}`, in NEURON's units)",
                    path.display()
                )));
            };
            params.insert(key.clone(), x);
        }
        return Ok(Cell {
            point_processes: vec![PointProcess {
                mechanism: art.into(),
                location: Default::default(),
                params: params.into(),
            }],
            ..Cell::default()
        });
    }
    for key in ["tau", "refrac"] {
        let v = json[key].as_f64().ok_or_else(|| {
            e1502(format!(
                "`{}`: `{key}` (seconds) must be a number for IntFire1",
                path.display()
            ))
        })?;
        // BMTK: seconds to ms.
        params.insert(key.to_string(), v * 1000.0);
    }
    Ok(Cell {
        point_processes: vec![PointProcess {
            mechanism: "IntFire1".into(),
            location: Default::default(),
            params: params.into(),
        }],
        ..Cell::default()
    })
}

/// `E1502` when edge `k`'s `col` (`syn_weight` or `delay`) is not finite
/// or is a negative delay, naming where the value came from: the edge's
/// group column (`column`) or its type's row in the types CSV.
fn check_edge_number(
    ep: &EdgePopulation,
    k: usize,
    col: &str,
    v: f64,
    column: Option<&Vec<f64>>,
) -> Result<(), Diagnostic> {
    if v.is_finite() && !(col == "delay" && v < 0.0) {
        return Ok(());
    }
    let what = if v.is_finite() {
        "a delay cannot be negative"
    } else {
        "not a finite number"
    };
    let tid = ep.type_ids[k];
    let from_column = column.and_then(|c| c.get(k)).is_some_and(|x| !x.is_nan());
    let place = if from_column {
        format!(
            "`{}` /edges/{} edge {k} (type {tid}): `{col}` is {v}",
            ep.file.display(),
            ep.name
        )
    } else {
        format!(
            "`{}` edge type {tid}: `{col}` is {v} (for edge {k} of `{}` in `{}`)",
            ep.types_file.display(),
            ep.name,
            ep.file.display()
        )
    };
    Err(e1502(format!("{place}: {what}")))
}

/// Weight, delay and source of edge `k` onto an artificial cell, as
/// BMTK's `PointProcessCell` connects it: a NetCon onto the cell itself,
/// weight `syn_weight * sign * nsyns` (`sign` from the edge type's
/// `dynamics_params`) unless the edges give sites (`sec_id`).
fn point_target_edge(
    ep: &EdgePopulation,
    k: usize,
    (virt, trains, cells): (bool, &HashMap<u64, usize>, &IdMap),
    syn_dir: &Path,
    cache: &mut HashMap<String, Value>,
    (pops, tuning): (&[NodePopulation], &mut synapses::Tuning),
) -> Result<(f64, f64, Source), Diagnostic> {
    let tid = ep.type_ids[k];
    let what = || {
        format!(
            "`{}` edge {k} of `{}` (type {tid})",
            ep.file.display(),
            ep.name
        )
    };
    let number = |col: &str| -> Result<Option<f64>, Diagnostic> {
        ep.number(k, col)
            .map_err(|v| e1502(format!("{}: `{col}` is `{v}`, not a number", what())))
    };
    let w0 = number("syn_weight")?.ok_or_else(|| e1502(format!("{}: no syn_weight", what())))?;
    let mut weight = synapses::edge_weight(ep, k, w0, pops, tuning)?;
    let delay = number("delay")?.ok_or_else(|| e1502(format!("{}: no delay", what())))?;
    check_edge_number(ep, k, "syn_weight", weight, ep.columns.get("syn_weight"))?;
    check_edge_number(ep, k, "delay", delay, ep.columns.get("delay"))?;
    let preselected =
        ep.columns.contains_key("sec_id") || ep.columns.contains_key("afferent_section_id");
    if !preselected {
        let file = ep.text(k, "dynamics_params").ok_or_else(|| {
            e1502(format!(
                "{}: no dynamics_params (BMTK reads `sign` from it)",
                what()
            ))
        })?;
        let path = syn_dir.join(file);
        let key = path.display().to_string();
        if !cache.contains_key(&key) {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                Diagnostic::error("E1501", format!("cannot read `{}`: {e}", path.display()))
            })?;
            let v: Value = serde_json::from_str(&text)
                .map_err(|e| e1502(format!("`{}` is not JSON: {e}", path.display())))?;
            cache.insert(key.clone(), v);
        }
        let sign = cache[&key]["sign"].as_f64().ok_or_else(|| {
            e1502(format!(
                "`{}` has no number `sign`, which BMTK multiplies the weight onto a point cell by",
                path.display()
            ))
        })?;
        let nsyns = number("nsyns")?.unwrap_or(1.0).trunc();
        weight = weight * sign * nsyns;
    }
    let source = if virt {
        trains
            .get(&ep.source[k])
            .map(|&t| Source::Train(t))
            .ok_or_else(|| {
                e1502(format!(
                    "{}: virtual source node {} has no spike train",
                    what(),
                    ep.source[k]
                ))
            })?
    } else {
        cells.get(ep.source[k]).map(Source::Cell).ok_or_else(|| {
            e1502(format!(
                "{}: source node {} does not exist",
                what(),
                ep.source[k]
            ))
        })?
    };
    Ok((weight, delay, source))
}

/// The cell of node `k` of `p` with model_template `ctdb:Biophys1.hoc`:
/// its `morphology` (in `morphologies_dir`) read as NEURON's Import3d
/// does, processed by `model_processing` `aibs_perisomatic` with its
/// `dynamics_params` (in `biophysical_neuron_models_dir`).
fn allen_cell(
    map: &mut SourceMap,
    circuit: &config::CircuitConfig,
    p: &NodePopulation,
    k: usize,
) -> Result<allen::AllenCell, Vec<Diagnostic>> {
    let row = p.type_ids[k];
    let what = || {
        format!(
            "`{}` node {} of `{}` (node type {row})",
            p.file.display(),
            p.node_ids[k],
            p.name
        )
    };
    // A comma-separated list, applied in order, as in BMTK.
    let processing = p.attr(k, "model_processing");
    let steps: Vec<&str> = processing.map_or(Vec::new(), |m| m.split(',').collect());
    let allactive = steps.first() == Some(&"aibs_allactive");
    if !matches!(steps.first(), Some(&"aibs_perisomatic" | &"aibs_allactive"))
        || steps[1..].iter().any(|s| *s != "extracellular")
    {
        return Err(vec![e1502(format!(
            "{}: model_processing is {}; nmc builds `ctdb:Biophys1.hoc` cells with `aibs_perisomatic` or `aibs_allactive` (then optionally `extracellular`)",
            what(),
            processing.map_or("missing".to_string(), |o| format!("`{o}`"))
        ))]);
    }
    let dir = |d: &Option<PathBuf>, key: &str| -> Result<PathBuf, Vec<Diagnostic>> {
        match d {
            Some(d) if d.is_dir() => Ok(d.clone()),
            d => Err(vec![missing_dir(
                "Allen cells",
                key,
                d.as_deref(),
                &circuit.path,
            )]),
        }
    };
    let morph_dir = dir(&circuit.morphologies_dir, "morphologies_dir")?;
    let fit_dir = dir(
        &circuit.biophysical_neuron_models_dir,
        "biophysical_neuron_models_dir",
    )?;
    let morph_name = order::node_text(p, k, "morphology")
        .ok_or_else(|| vec![e1502(format!("{}: no morphology", what()))])?;
    // SONATA lets the `.swc` extension be left out; BMTK adds it when the
    // name as given is not a file.
    let mut morph_path = morph_dir.join(&morph_name);
    if !morph_path.is_file() && !morph_name.ends_with(".swc") {
        morph_path = morph_dir.join(format!("{morph_name}.swc"));
    }
    let morph = crate::morph::read_swc(map, &morph_path)?;
    let fit_name = p
        .attr(k, "dynamics_params")
        .ok_or_else(|| vec![e1502(format!("{}: no dynamics_params", what()))])?;
    let fit_path = fit_dir.join(fit_name);
    let text = std::fs::read_to_string(&fit_path).map_err(|e| {
        vec![Diagnostic::error(
            "E1501",
            format!("cannot read `{}`: {e}", fit_path.display()),
        )]
    })?;
    let fit: Value = serde_json::from_str(&text)
        .map_err(|e| vec![e1502(format!("`{}` is not JSON: {e}", fit_path.display()))])?;
    let build = if allactive {
        allen::allactive
    } else {
        allen::perisomatic
    };
    build(&morph, &fit).map_err(|e| {
        vec![e1502(format!(
            "`{}` with `{}`: {e}",
            morph_path.display(),
            fit_path.display()
        ))]
    })
}

fn missing_dir(what: &str, key: &str, dir: Option<&Path>, circuit: &Path) -> Diagnostic {
    let where_ = match dir {
        Some(d) => format!("the circuit's {key} `{}` does not exist", d.display()),
        None => format!("the circuit `{}` names no {key}", circuit.display()),
    };
    Diagnostic::error("E1503", format!("{where_}, so nmc has no {what}"))
        .with_help("point nmc at the project's own with `--templates components/templates --mechanisms models`")
}

/// Loads the simulation config at `path` and everything it refers to.
/// Diagnostics from cell templates are added to `map`.
pub fn load(map: &mut SourceMap, path: &Path, opts: &Options) -> Result<Loaded, Vec<Diagnostic>> {
    load_share(map, path, opts, (0, 1))
}

/// [`load`] for rank `ranks.0` of a run over `ranks.1` ranks. When the
/// circuit allows it (cells with sections only, no `syn_activity` input,
/// every edge population onto real cells with `indices/target_to_source`)
/// the cells are cut over the ranks by their work (compartments and
/// incoming edges, counted from the indices alone) and this rank reads
/// and builds only the edges onto its own cells: [`Loaded::rank_starts`]
/// is then the cut, and a problem in an edge is found by the rank that
/// reads it alone. Otherwise every edge is read, as by one process.
pub fn load_share(
    map: &mut SourceMap,
    path: &Path,
    opts: &Options,
    ranks: (usize, usize),
) -> Result<Loaded, Vec<Diagnostic>> {
    let config = config::load(path).map_err(|d| vec![d])?;
    let mut warnings = config.warnings.clone();
    let circuit = &config.circuit;
    // Component folders.
    // No mechanisms_dir at all: NEURON's built-ins only, as in BMTK.
    let mech_dir = match (&opts.mechanisms, &circuit.mechanisms_dir) {
        (Some(d), _) => Some(d.clone()),
        (None, Some(d)) if d.is_dir() => Some(d.clone()),
        (None, Some(d)) => {
            return Err(vec![missing_dir(
                "mechanisms (.mod files)",
                "mechanisms_dir",
                Some(d),
                &circuit.path,
            )]);
        }
        (None, None) => None,
    };
    if let Some(d) = mech_dir.as_ref().filter(|d| !d.is_dir()) {
        return Err(vec![Diagnostic::error(
            "E1503",
            format!("the mechanisms folder `{}` does not exist", d.display()),
        )]);
    }
    // The templates folder is needed only by `hoc:` templates.
    let templates_dir: Result<PathBuf, Diagnostic> = match &opts.templates {
        Some(d) => Ok(d.clone()),
        None => match &circuit.templates_dir {
            Some(d) if d.is_dir() => Ok(d.clone()),
            d => Err(missing_dir(
                "cell templates",
                "templates_dir",
                d.as_deref(),
                &circuit.path,
            )),
        },
    }
    .and_then(|d| {
        if d.is_dir() {
            Ok(d)
        } else {
            Err(Diagnostic::error(
                "E1503",
                format!("the templates folder `{}` does not exist", d.display()),
            ))
        }
    });
    let library = match &mech_dir {
        Some(dir) => {
            let (mod_files, mod_dir, how) = mechanisms::sources(dir).map_err(|d| vec![d])?;
            warnings.extend(how);
            Library::open_files(std::slice::from_ref(&mod_dir), &mod_files)
        }
        None => Library::builtins(),
    };
    let library = Rc::new(library);
    warnings.extend(library.notes().iter().cloned());
    let loader = LibraryLoader::with_library(library.clone());

    // Nodes.
    let mut pops: Vec<NodePopulation> = Vec::new();
    for (f, t) in &circuit.nodes {
        pops.extend(read_nodes(f, t).map_err(|d| vec![d])?);
    }
    crate::io::trace("sonata: nodes read");
    // Spontaneous activity numbers its trains in the order of every
    // edge: such a circuit is read whole on every rank.
    let per_rank = ranks.1 > 1 && !config.inputs.iter().any(|i| i.input_type == "syn_activity");
    let mut edge_pops: Vec<EdgePopulation> = Vec::new();
    if !per_rank {
        edge_pops = read_all_edges(circuit)?;
    }

    let mut net = Network {
        run: RunSettings {
            tstart: config.tstart,
            tstop: opts.tstop.unwrap_or(config.tstop),
            dt: config.dt,
            celsius: config.celsius,
            v_init: config.v_init,
            spike_threshold: config.spike_threshold,
        },
        ..Network::default()
    };
    if let Some(dl) = config.dl
        && !(dl.is_finite() && dl > 0.0)
    {
        return Err(vec![e1502(format!(
            "`{}`: run.dL is {dl}; BMTK's segment length must be a positive number of um",
            config.path.display()
        ))]);
    }
    let gid_offsets = order::gid_offsets(&pops);
    let mut gids: Vec<u64> = Vec::new();
    let mut morph_info: Vec<(Option<String>, usize, usize)> = Vec::new();
    let mut templates: HashMap<String, Cell> = HashMap::new();
    let mut allen_cells: HashMap<String, Option<allen::AllenCell>> = HashMap::new();
    let mut all_orders: Vec<Option<Vec<usize>>> = Vec::new();
    let mut hoc = templates::HocTemplates::default();
    let mut cells: Vec<CellOrigin> = Vec::new();
    let mut cell_of: HashMap<(String, u64), usize> = HashMap::new();
    let mut populations = Vec::new();
    let mut errors = Vec::new();
    for p in pops.iter().filter(|p| !p.is_virtual()) {
        populations.push(p.name.clone());
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by_key(|&k| p.node_ids[k]);
        for k in order {
            let row = p.type_ids[k];
            let Some(tmpl) = p.attr(k, "model_template") else {
                errors.push(e1502(format!(
                    "`{}` node type {row} (node {} of `{}`) has no model_template",
                    p.types_file.display(),
                    p.node_ids[k],
                    p.name
                )));
                continue;
            };
            let mut all_order = None;
            if let Some(art) = tmpl.strip_prefix("nrn:") {
                match point_cell(circuit, p, k, art) {
                    Ok(mut cell) => {
                        let id = net.cells.len();
                        cell.gid = id as u64;
                        cell.population = p.name.clone();
                        morph_info.push((None, 0, 0));
                        all_orders.push(None);
                        gids.push(gid_offsets.get(&p.name).copied().unwrap_or(0) + p.node_ids[k]);
                        net.cells.push(cell);
                        cell_of.insert((p.name.clone(), p.node_ids[k]), id);
                        cells.push(CellOrigin {
                            population: p.name.clone(),
                            node_id: p.node_ids[k],
                            pop_name: p
                                .attr(k, "pop_name")
                                .map(str::to_string)
                                .unwrap_or_else(|| p.name.clone()),
                            extracellular: false,
                        });
                    }
                    Err(d) => errors.push(d),
                }
                continue;
            }
            let t = if tmpl == "ctdb:Biophys1.hoc" || tmpl == "ctdb:Biophys1" {
                let key = format!(
                    "{tmpl}\u{0}{}\u{0}{}\u{0}{}",
                    order::node_text(p, k, "morphology").unwrap_or_default(),
                    p.attr(k, "dynamics_params").unwrap_or_default(),
                    p.attr(k, "model_processing").unwrap_or_default()
                );
                if !allen_cells.contains_key(&key) {
                    match allen_cell(map, circuit, p, k) {
                        Ok(c) => {
                            warnings.extend(c.notes.iter().map(|n| {
                                Diagnostic::warning(
                                    "W1501",
                                    format!(
                                        "`{}` node {} of `{}`: BMTK warns: {n}",
                                        p.file.display(),
                                        p.node_ids[k],
                                        p.name
                                    ),
                                )
                            }));
                            allen_cells.insert(key.clone(), Some(c));
                        }
                        Err(mut d) => {
                            errors.append(&mut d);
                            allen_cells.insert(key, None);
                            continue;
                        }
                    }
                }
                let Some(Some(a)) = allen_cells.get(&key) else {
                    continue;
                };
                all_order = Some(a.all.clone());
                &a.cell
            } else {
                let Some(name) = tmpl.strip_prefix("hoc:") else {
                    errors.push(e1502(format!(
                        "`{}` node type {row}: model_template `{tmpl}` cannot be mapped (nmc reads `hoc:<Name>` templates as NDL cell definitions and `ctdb:Biophys1.hoc` as BMTK's Allen template)",
                        p.types_file.display()
                    )));
                    continue;
                };
                if !templates.contains_key(name) {
                    let loaded = match &templates_dir {
                        Ok(dir) => load_template(map, &mut hoc, dir, &loader, name),
                        Err(d) => Err(vec![d.clone()]),
                    };
                    match loaded {
                        Ok(c) => {
                            templates.insert(name.to_string(), c);
                        }
                        Err(mut d) => {
                            errors.append(&mut d);
                            // Do not try again for the next node of this type.
                            templates.insert(name.to_string(), Cell::default());
                            continue;
                        }
                    }
                }
                let Some(t) = templates.get(name) else {
                    continue;
                };
                t
            };
            if t.sections.is_empty() {
                continue;
            }
            let id = net.cells.len();
            let mut cell = t.clone();
            cell.gid = id as u64;
            cell.population = p.name.clone();
            let before: usize = cell.sections.iter().map(|s| s.nseg).sum();
            if let Some(dl) = config.dl {
                nseg::apply_dl(&mut cell, dl);
            }
            let after: usize = cell.sections.iter().map(|s| s.nseg).sum();
            morph_info.push((order::node_text(p, k, "morphology"), before, after));
            all_orders.push(all_order);
            gids.push(gid_offsets.get(&p.name).copied().unwrap_or(0) + p.node_ids[k]);
            net.cells.push(cell);
            cell_of.insert((p.name.clone(), p.node_ids[k]), id);
            cells.push(CellOrigin {
                population: p.name.clone(),
                node_id: p.node_ids[k],
                pop_name: p
                    .attr(k, "pop_name")
                    .map(str::to_string)
                    .unwrap_or_else(|| p.name.clone()),
                extracellular: p
                    .attr(k, "model_processing")
                    .is_some_and(|m| m.split(',').any(|s| s == "extracellular")),
            });
        }
    }
    warnings.append(&mut hoc.warnings);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rank_starts = None;
    if per_rank {
        rank_starts = rank_cut(circuit, &net, &cells, ranks.1)?;
        edge_pops = match &rank_starts {
            Some(starts) => read_rank_edges(circuit, &cells, starts, ranks.0)?,
            None => read_all_edges(circuit)?,
        };
    }

    // Virtual populations → spike trains.
    let mut train_of: HashMap<(String, u64), usize> = HashMap::new();
    let virtual_pops: Vec<&NodePopulation> = pops.iter().filter(|p| p.is_virtual()).collect();
    let mut clamp_inputs = Vec::new();
    let mut spont: Option<spont::Spont> = None;
    for input in &config.inputs {
        if input.module == "IClamp" {
            clamp_inputs.push(input);
            continue;
        }
        if input.input_type == "syn_activity" {
            match spont::Spont::new(&config, input, config.tstart) {
                Ok(s) => {
                    if spont.is_some() {
                        warnings.push(Diagnostic::warning(
                            "W1501",
                            format!(
                                "input `{}`: a second `syn_activity` input replaces the first, as in BMTK",
                                input.name
                            ),
                        ));
                    }
                    spont = Some(s);
                }
                Err(d) => errors.push(d),
            }
            continue;
        }
        if input.module == "xstim" {
            errors.push(e1502(format!(
                "`{}` input `{}`: module `xstim` (extracellular stimulation) is not supported: nmc does not add NEURON's extracellular layers it drives, and BMTK 1.2.0 on NEURON 9.0.2 stops on it too (`PtrVector` has no `ptr_update_callback` in NEURON 9), so there is no reference to follow",
                config.path.display(),
                input.name
            )));
            continue;
        }
        if input.input_type != "spikes" {
            errors.push(e1502(format!(
                "`{}` input `{}`: input_type `{}` (module `{}`) is not supported (nmc reads `spikes`, `syn_activity` and module `IClamp` inputs)",
                config.path.display(),
                input.name,
                input.input_type,
                input.module
            )));
            continue;
        }
        let Some(file) = &input.input_file else {
            errors.push(e1502(format!(
                "`{}` input `{}` has no input_file",
                config.path.display(),
                input.name
            )));
            continue;
        };
        let mut restrict: Option<Vec<String>> = None;
        if let Some(ns) = &input.node_set {
            match named_node_set(&config, &pops, ns) {
                None => errors.push(e1502(format!(
                    "`{}` input `{}`: node set `{ns}` is not defined",
                    config.path.display(),
                    input.name
                ))),
                Some(v) => {
                    let v = &v;
                    if let Some(p) = v.get("population") {
                        restrict = Some(match p {
                            Value::String(s) => vec![s.clone()],
                            Value::Array(a) => a
                                .iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect(),
                            _ => Vec::new(),
                        });
                    }
                    let selected = count_node_set(&pops, &config.node_sets, v);
                    if selected == 0 {
                        warnings.push(Diagnostic::warning(
                            "W1501",
                            format!(
                                "input `{}`: node set `{ns}` ({v}) selects no node; like BMTK, nmc feeds the spike file to every virtual population{}",
                                input.name,
                                config
                                    .node_sets_file
                                    .as_ref()
                                    .map(|f| format!(" (node set defined in `{}`)", f.display()))
                                    .unwrap_or_default()
                            ),
                        ));
                    }
                }
            }
        }
        let spikes = if input.module == "csv" {
            read_spike_csv(file)
        } else {
            read_spike_input(file)
        }
        .map_err(|d| vec![d])?;
        for vp in &virtual_pops {
            if let Some(r) = &restrict
                && !r.contains(&vp.name)
            {
                continue;
            }
            let Some(trains) = spikes.get(&vp.name) else {
                continue;
            };
            // Spikes of a node the population does not have would be
            // dropped without a word.
            let known: std::collections::HashSet<u64> = vp.node_ids.iter().copied().collect();
            if let Some(id) = trains.keys().find(|id| !known.contains(id)) {
                errors.push(Diagnostic::error(
                    "E1502",
                    format!(
                        "`{}` has spikes of node {id} of virtual population `{}`, which does not exist (`{}` has {} nodes)",
                        file.display(),
                        vp.name,
                        vp.file.display(),
                        vp.node_ids.len()
                    ),
                ));
                continue;
            }
            for &id in &vp.node_ids {
                let times = trains.get(&id).cloned().unwrap_or_default();
                let key = (vp.name.clone(), id);
                match train_of.get(&key) {
                    Some(&t) => {
                        let tr = &mut net.trains[t].times;
                        tr.extend(times);
                        tr.sort_by(f64::total_cmp);
                    }
                    None => {
                        train_of.insert(key, net.trains.len());
                        net.trains.push(SpikeTrain {
                            gid: id,
                            population: vp.name.clone(),
                            times,
                        });
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for tr in &mut net.trains {
        vecstim_times(config.tstart, &mut tr.times);
    }
    for vp in &virtual_pops {
        let fed = vp
            .node_ids
            .iter()
            .any(|&id| train_of.contains_key(&(vp.name.clone(), id)));
        if !fed {
            warnings.push(Diagnostic::warning(
                "W1501",
                format!(
                    "virtual population `{}` (`{}`) gets no spikes: no `spikes` input of `{}` has a population of that name",
                    vp.name,
                    vp.file.display(),
                    config.path.display()
                ),
            ));
        }
    }

    // Edges in BMTK's order: recurrent populations first, then those from
    // virtual nodes as the `spikes` inputs reach them.
    let is_virtual = |name: &str| virtual_pops.iter().any(|p| p.name == name);
    let ordered = order::edge_order(&config, &pops, &edge_pops, &is_virtual, &mut warnings);
    let mut placer = placement::Placer::new(
        gids,
        placement::shared_props(&morph_info),
        all_orders.clone(),
    );
    let syn_dir = circuit
        .synaptic_models_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    let mut json_cache: HashMap<String, Value> = HashMap::new();
    let mut rules = sites::Rules::default();
    let mut tuning = synapses::Tuning::default();
    // Each population is freed once its synapses exist, before the next
    // one's are made.
    let ordered: Vec<usize> = ordered
        .into_iter()
        .filter_map(|e| edge_pops.iter().position(|x| std::ptr::eq(x, e)))
        .collect();
    for (pop_index, i) in ordered.into_iter().enumerate() {
        let owned = std::mem::take(&mut edge_pops[i]);
        let ep = &owned;
        let virt = is_virtual(&ep.source_population);
        if virt {
            check_one_to_one(ep, &mut warnings);
        }
        if let Some(c) = ep.text_columns.iter().find(|c| {
            matches!(
                c.as_str(),
                "model_template" | "dynamics_params" | "weight_function"
            )
        }) {
            errors.push(e1502(format!(
                "`{}` /edges/{}: per-edge column `{c}` is not supported (nmc reads it from the edge types)",
                ep.file.display(),
                ep.name
            )));
            continue;
        }
        // Node id → cell of the source and target populations, and node id
        // → train of a virtual source population.
        let cells_of = |pop: &str| {
            IdMap::new(
                cell_of
                    .iter()
                    .filter(|((p, _), _)| p == pop)
                    .map(|((_, id), &c)| (*id, c)),
            )
        };
        let target_cells = cells_of(&ep.target_population);
        let source_cells = cells_of(&ep.source_population);
        // The node ids of a virtual source population: an edge from any
        // other id has no source.
        let virtual_ids: std::collections::HashSet<u64> = virtual_pops
            .iter()
            .filter(|p| p.name == ep.source_population)
            .flat_map(|p| p.node_ids.iter().copied())
            .collect();
        let mut source_trains: HashMap<u64, usize> = train_of
            .iter()
            .filter(|((p, _), _)| *p == ep.source_population)
            .map(|((_, id), &t)| (*id, t))
            .collect();
        // Edge ids grouped by target cell, target cells in cell order, in
        // file order within a cell (a counting sort: two passes, one list).
        let mut target_of: Vec<u32> = Vec::with_capacity(ep.len());
        for k in 0..ep.len() {
            let Some(tc) = target_cells.get(ep.target[k]) else {
                errors.push(e1502(format!(
                    "`{}` /edges/{}/target_node_id row {k}: node {} of population `{}` is not a real cell of the circuit",
                    ep.file.display(),
                    ep.name,
                    ep.target[k],
                    ep.target_population
                )));
                break;
            };
            target_of.push(tc as u32);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut first = vec![0usize; net.cells.len() + 1];
        for &tc in &target_of {
            first[tc as usize + 1] += 1;
        }
        for c in 0..net.cells.len() {
            first[c + 1] += first[c];
        }
        // Edges sorted by target cell (as BMTK writes them) are their own
        // order: no list of edge ids.
        let sorted = target_of.windows(2).all(|w| w[0] <= w[1]);
        let mut order = Vec::new();
        if !sorted {
            order = vec![0u32; ep.len()];
            let mut next = first.clone();
            for (k, &tc) in target_of.iter().enumerate() {
                order[next[tc as usize]] = k as u32;
                next[tc as usize] += 1;
            }
        }
        drop(target_of);
        net.connections.reserve(ep.len());
        let (weight_column, delay_column) = (ep.columns.get("syn_weight"), ep.columns.get("delay"));
        let site_columns = sites::SiteColumns::new(ep);
        let mut types = TypeCache::default();
        let mut locations = Vec::new();
        for tc in 0..net.cells.len() {
            let list = first[tc]..first[tc + 1];
            if list.is_empty() {
                continue;
            }
            net.cells[tc].point_processes.reserve(list.len());
            for i in list {
                let k = if sorted { i } else { order[i] as usize };
                let tid = ep.type_ids[k];
                if net.cells[tc].sections.is_empty() {
                    // An artificial cell: the NetCon targets the cell itself.
                    if virt
                        && !source_trains.contains_key(&ep.source[k])
                        && virtual_ids.contains(&ep.source[k])
                    {
                        // A virtual node without input: BMTK gives it no spikes.
                        let t = net.trains.len();
                        train_of.insert((ep.source_population.clone(), ep.source[k]), t);
                        source_trains.insert(ep.source[k], t);
                        net.trains.push(SpikeTrain {
                            gid: ep.source[k],
                            population: ep.source_population.clone(),
                            times: Vec::new(),
                        });
                    }
                    let (weight, delay, source) = point_target_edge(
                        ep,
                        k,
                        (virt, &source_trains, &source_cells),
                        &syn_dir,
                        &mut json_cache,
                        (&pops, &mut tuning),
                    )
                    .map_err(|d| vec![d])?;
                    let (source, weight) = match spont.as_mut() {
                        Some(s) if !virt => s
                            .rewire(
                                &pops,
                                (
                                    (&ep.source_population, ep.source[k]),
                                    (&ep.target_population, ep.target[k]),
                                ),
                                (tc, true),
                                (source, weight),
                                &mut net,
                            )
                            .map_err(|d| vec![d])?,
                        _ => (source, weight),
                    };
                    net.connections.push(Connection {
                        source,
                        target_cell: tc,
                        target: 0,
                        weight,
                        delay,
                        threshold: f64::NAN,
                    });
                    continue;
                }
                let ty = types.of(ep, k);
                if ty.spec.is_none() {
                    match syn_spec(ep, k, &syn_dir, &library, &mut json_cache, &mut warnings) {
                        Ok(s) => ty.spec = Some(s),
                        Err(d) => {
                            errors.push(d);
                            return Err(errors);
                        }
                    }
                }
                // A per-edge value, else the edge type's (parsed once per type).
                let num =
                    |col: &str, column: Option<&Vec<f64>>, typed: &Result<Option<f64>, String>| {
                        if let Some(&v) = column.and_then(|c| c.get(k))
                            && !v.is_nan()
                        {
                            return Ok(Some(v));
                        }
                        typed.clone().map_err(|v| {
                            e1502(format!(
                                "`{}` edge type {tid}: `{col}` is `{v}`, not a number",
                                ep.types_file.display()
                            ))
                        })
                    };
                let weight = match num("syn_weight", weight_column, &ty.weight) {
                    Ok(Some(w)) => w,
                    Ok(None) => {
                        errors.push(e1502(format!(
                            "`{}` edge {k} of `{}` (type {tid}) has no syn_weight",
                            ep.file.display(),
                            ep.name
                        )));
                        return Err(errors);
                    }
                    Err(d) => return Err(vec![d]),
                };
                let delay = match num("delay", delay_column, &ty.delay) {
                    Ok(Some(d)) => d,
                    Ok(None) => {
                        errors.push(e1502(format!(
                            "`{}` edge {k} of `{}` (type {tid}) has no delay",
                            ep.file.display(),
                            ep.name
                        )));
                        return Err(errors);
                    }
                    Err(d) => return Err(vec![d]),
                };
                let plain = ty.plain_weight;
                let Some(spec) = ty.spec.as_ref() else {
                    continue;
                };
                let weight = if plain {
                    weight
                } else {
                    synapses::edge_weight(ep, k, weight, &pops, &mut tuning).map_err(|d| vec![d])?
                };
                check_edge_number(ep, k, "syn_weight", weight, weight_column)
                    .and_then(|()| check_edge_number(ep, k, "delay", delay, delay_column))
                    .map_err(|d| vec![d])?;
                sites::edge_sites(
                    &mut placer,
                    &mut rules,
                    (pop_index, ep, &site_columns),
                    k,
                    (&net.cells, tc),
                    &mut locations,
                    &mut warnings,
                )
                .map_err(|d| vec![d])?;
                let source = if virt {
                    match source_trains.get(&ep.source[k]) {
                        Some(&t) => Source::Train(t),
                        None if !virtual_ids.contains(&ep.source[k]) => {
                            return Err(vec![e1502(format!(
                                "`{}` /edges/{}/source_node_id row {k}: node {} of virtual population `{}` does not exist",
                                ep.file.display(),
                                ep.name,
                                ep.source[k],
                                ep.source_population
                            ))]);
                        }
                        None => {
                            // A virtual node without input: BMTK gives it no spikes.
                            let t = net.trains.len();
                            train_of.insert((ep.source_population.clone(), ep.source[k]), t);
                            source_trains.insert(ep.source[k], t);
                            net.trains.push(SpikeTrain {
                                gid: ep.source[k],
                                population: ep.source_population.clone(),
                                times: Vec::new(),
                            });
                            Source::Train(t)
                        }
                    }
                } else {
                    match source_cells.get(ep.source[k]) {
                        Some(c) => Source::Cell(c),
                        None => {
                            return Err(vec![e1502(format!(
                                "`{}` /edges/{}/source_node_id row {k}: node {} of population `{}` does not exist",
                                ep.file.display(),
                                ep.name,
                                ep.source[k],
                                ep.source_population
                            ))]);
                        }
                    }
                };
                let (source, weight) = match spont.as_mut() {
                    Some(s) if !virt => s
                        .rewire(
                            &pops,
                            (
                                (&ep.source_population, ep.source[k]),
                                (&ep.target_population, ep.target[k]),
                            ),
                            (tc, false),
                            (source, weight),
                            &mut net,
                        )
                        .map_err(|d| vec![d])?,
                    _ => (source, weight),
                };
                for &location in &locations {
                    let cell = &mut net.cells[tc];
                    let target = cell.point_processes.len();
                    cell.point_processes.push(PointProcess {
                        mechanism: spec.mechanism.clone(),
                        location,
                        params: spec.params.clone(),
                    });
                    net.connections.push(Connection {
                        source,
                        target_cell: tc,
                        target,
                        weight,
                        delay,
                        threshold: f64::NAN,
                    });
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    crate::io::trace("sonata: synapses made");
    clamps::add_clamps(
        &config,
        &clamp_inputs,
        &pops,
        &cell_of,
        &mut net,
        &mut warnings,
    )
    .map_err(|d| vec![d])?;
    let reports = reports::add_reports(
        &config,
        &pops,
        (&cell_of, &cells, &all_orders),
        &mut net,
        &library,
        &mut warnings,
    )?;
    let used = used_names(&net);
    let unused = library.unused_problems(&used);
    warnings.extend(map.import(&library.source_map(), &unused));
    let mechanisms = library
        .for_network(&net, opts.math)
        .map_err(|d| map.import(&library.source_map(), &d))?;
    crate::io::trace("sonata: mechanisms ready");
    Ok(Loaded {
        config,
        rank_starts,
        network: net,
        library,
        mechanisms,
        cells,
        populations,
        reports,
        warnings,
    })
}

/// What the edges of one edge type share, worked out once per type.
struct TypeInfo {
    tid: i64,
    /// The synapse it makes (asked for the first edge onto a cell with
    /// sections).
    spec: Option<SynSpec>,
    /// The type's `syn_weight` and `delay` (or the text that is not a
    /// number).
    weight: Result<Option<f64>, String>,
    delay: Result<Option<f64>, String>,
    /// Its weight function leaves `syn_weight` as it is.
    plain_weight: bool,
}

/// [`TypeInfo`] by edge type of one edge population; edges of one type
/// come in runs, so the last type asked for is tried first.
#[derive(Default)]
struct TypeCache {
    types: Vec<TypeInfo>,
    index: HashMap<i64, usize>,
    last: usize,
}

impl TypeCache {
    fn of(&mut self, ep: &EdgePopulation, k: usize) -> &mut TypeInfo {
        let tid = ep.type_ids[k];
        if self.types.get(self.last).is_none_or(|t| t.tid != tid) {
            self.last = match self.index.get(&tid) {
                Some(&i) => i,
                None => {
                    let number = |col: &str| match ep.types.get(tid, col) {
                        None => Ok(None),
                        Some(s) => s.trim().parse::<f64>().map(Some).map_err(|_| s.to_string()),
                    };
                    self.types.push(TypeInfo {
                        tid,
                        spec: None,
                        weight: number("syn_weight"),
                        delay: number("delay"),
                        plain_weight: synapses::plain_weight(ep, k),
                    });
                    self.index.insert(tid, self.types.len() - 1);
                    self.types.len() - 1
                }
            };
        }
        &mut self.types[self.last]
    }
}

/// Node id → index (of a cell), as a table indexed by node id when the
/// ids are dense enough (SONATA numbers nodes from 0), else hashed.
enum IdMap {
    Dense(Vec<u32>),
    Sparse(HashMap<u64, usize>),
}

impl IdMap {
    fn new(pairs: impl Iterator<Item = (u64, usize)>) -> IdMap {
        let pairs: Vec<(u64, usize)> = pairs.collect();
        let max = pairs.iter().map(|p| p.0).max().unwrap_or(0);
        let dense =
            max < 4 * pairs.len() as u64 + 1024 && pairs.iter().all(|p| p.1 < u32::MAX as usize);
        if !dense {
            return IdMap::Sparse(pairs.into_iter().collect());
        }
        let mut table = vec![u32::MAX; max as usize + 1];
        for (id, c) in pairs {
            table[id as usize] = c as u32;
        }
        IdMap::Dense(table)
    }

    fn get(&self, id: u64) -> Option<usize> {
        match self {
            IdMap::Dense(t) => usize::try_from(id)
                .ok()
                .and_then(|i| t.get(i))
                .filter(|&&c| c != u32::MAX)
                .map(|&c| c as usize),
            IdMap::Sparse(m) => m.get(&id).copied(),
        }
    }
}

/// How many nodes a node set selects (1 for forms nmc does not evaluate,
/// so they are not reported as empty).
fn count_node_set(pops: &[NodePopulation], sets: &BTreeMap<String, Value>, v: &Value) -> usize {
    crate::sonata::node_sets::select(pops, sets, v, 0).map_or(1, |s| s.len())
}

/// Warns when a population of edges from virtual nodes is one-to-one but
/// not in index order (an offset slip in the builder script).
fn check_one_to_one(ep: &EdgePopulation, warnings: &mut Vec<Diagnostic>) {
    let n = ep.len();
    if n == 0 {
        return;
    }
    let mut srcs: Vec<u64> = ep.source.clone();
    let mut trgs: Vec<u64> = ep.target.clone();
    srcs.sort_unstable();
    trgs.sort_unstable();
    srcs.dedup();
    trgs.dedup();
    if srcs.len() != n || trgs.len() != n {
        return;
    }
    // Rank of each source and target: identity map means rank(s) == rank(t).
    let permuted: Vec<usize> = (0..n)
        .filter(|&k| {
            srcs.binary_search(&ep.source[k]).ok() != trgs.binary_search(&ep.target[k]).ok()
        })
        .collect();
    if let Some(&k) = permuted.first() {
        warnings.push(Diagnostic::warning(
            "W1501",
            format!(
                "`{}` /edges/{}: a one-to-one map that is permuted ({} of {n} sources reach a target of another rank; e.g. source {} → target {}): an offset slip in the builder? (the simulation uses the edges as given)",
                ep.file.display(),
                ep.name,
                permuted.len(),
                ep.source[k],
                ep.target[k]
            ),
        ));
    }
}

/// The node set `name` stands for: the config's own set of that name, else
/// (as in BMTK) the whole population of that name.
pub(super) fn named_node_set(
    config: &SimulationConfig,
    pops: &[NodePopulation],
    name: &str,
) -> Option<Value> {
    match config.node_sets.get(name) {
        Some(v) => Some(v.clone()),
        None if pops.iter().any(|p| p.name == name) => {
            Some(serde_json::json!({ "population": name }))
        }
        None => None,
    }
}
