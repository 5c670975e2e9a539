//! NDL, nmc's network description language: grammar `grammar/ndl.pest`,
//! spanned AST ([`ast`]), parser ([`parse`]), structural checks
//! ([`check`]), unit conversion ([`quantity`]) and the lowering to a
//! [`crate::net::Network`] ([`lower`]). Mechanisms are looked up through
//! [`crate::ir::interface::Catalogue`], which the driver's library provides.
//!
//! ```text
//! network rtm_iclamp
//! mechanisms "../../models"
//!
//! cell RTMExcCell {
//!   section soma { L = 100 um; diam = 500 um; nseg = 1; cm = 1 uF/cm2 }
//!   insert leak   { gbar = 1e-4 S/cm2; eleak = -67 mV }
//!   insert na_rtm { gbar = 0.1 S/cm2 }
//!   ion na { e = 50 mV }
//! }
//! population cell = 1 of RTMExcCell
//! stimulus iclamp at soma(0.5) { del = 50 ms; dur = 400 ms; amp = 0.5 nA }
//! run { tstop = 500 ms; dt = 0.025 ms; celsius = 34 degC; v_init = -75 mV }
//! output { dir = "output"; report soma_v { cells = cell; variable = v } }
//! ```
//!
//! Diagnostic codes:
//! - `E10xx` files: `E1001` cannot read the `.ndl` file; `E1002` the
//!   `mechanisms` folder cannot be read; `E1003` a spike-time file cannot be
//!   read or holds something other than numbers; `E1004` a mechanism whose
//!   `.mod` file has errors; `E1005` a `use`d file cannot be read or
//!   defines more than cell types; `E1006` a positions file cannot be read
//!   or is malformed; `E1007` a SONATA spike file cannot be read;
//!   `E1008` `use`d files that form a cycle (names each file and line);
//!   `E1009` a cell's `biophysics` file cannot be read, is not JSON or is
//!   not an Allen perisomatic fit nmc can apply (a morphology file that
//!   cannot be read is `E1709`, its problems `E17xx` at its lines)
//! - `E11xx` syntax: `E1101` expected/found (with what was expected);
//!   `E1102` unclosed `{`; `E1103` unknown statement keyword (did you mean);
//!   `E1104` nesting or expression beyond the limits (`MAX_NESTING`,
//!   `MAX_EXPR_DEPTH`);
//!   `E1199` internal parser error
//! - `E12xx` names: `E1201` defined twice; `E1202` unknown mechanism (did
//!   you mean); `E1203` unknown parameter of a mechanism (lists the real
//!   ones); `E1204` unknown cell type, population, input or synapse;
//!   `E1205` unknown section; `E1206` wrong kind of mechanism (a point
//!   process inserted, a density mechanism as a synapse, a synapse without
//!   NET_RECEIVE); `E1207` unknown setting of a block; `E1208` something
//!   required is missing (mechanisms folder, a connection's synapse, weight
//!   or delay, a cell's sections); `E1209` unknown report variable;
//!   `E1210` a mechanism variable that cannot be set (GLOBAL, ASSIGNED, STATE);
//!   `E1211` unknown variable or function in a formula (or a wrong
//!   argument count); `E1212` a call's arguments: unknown, repeated,
//!   surplus or missing (rules, `lognormal`, `cuboid`, `dL`, `d_lambda`,
//!   `random`); `E1213` a placement `on = random(...)` that finds no
//!   segment of its section types in its distance range
//! - `E13xx` values: `E1301` unit of the wrong kind (caret on the unit);
//!   `E1302` a number without the unit its setting needs; `E1303` unknown
//!   unit; `E1304` value out of range (x outside [0, 1], nseg, dt, indexes);
//!   `E1305` wrong kind of value (a name where a number is needed, ...)
//!   `E1306` more than the machine's memory (cells, connections, spikes,
//!   steps, reports: an estimate checked before allocating, summed over the
//!   network and counting what the simulation will need, so `nmc check`
//!   refuses what `nmc run` could not hold)
//! - `E14xx` topology: `E1401` section attached twice; `E1402` loop;
//!   `E1403` sections not connected to the root; `E1404` a child attached
//!   by an end other than 0
//! - warnings: `W1001` no `run` block (defaults used); `W1002` no
//!   population; `W1101` a rule or node set that selects nobody (names the
//!   selector); `W1205` a `section <type>` block of a cell read from a
//!   morphology whose file has no section of that type; `W1102` a `one_to_one` map that leaves targets without a
//!   source or gives one more than one; `W1302` a unit given where the
//!   mechanism declares none (cannot be checked, the number is used as
//!   written)
//!
//! Networks (populations, rules, inputs, node sets) are described in
//! [`nodes`] and [`connect`]; cells read from morphology files and
//! synapses placed on them by type and distance in [`morphology`]; the
//! SONATA record in [`Experiment::circuit`].

pub mod ast;
pub mod check;
pub mod circuit;
pub mod connect;
pub mod formula;
pub mod lower;
pub mod morphology;
pub mod nodes;
pub mod parse;
pub mod quantity;
pub mod random;
pub mod runs;

use crate::diag::{Diagnostic, FileId, SourceMap, Span};
use crate::net::Network;
use crate::net::circuit::{Attribute, Circuit};
use crate::sonata::report::Report;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A population of identical cells: `cells[first_cell..first_cell + count]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Population {
    /// Its name (the SONATA population name in the output).
    pub name: String,
    /// The cell type.
    pub cell_type: String,
    /// Index of its first cell in [`Network::cells`].
    pub first_cell: usize,
    /// Number of cells.
    pub count: usize,
    /// Section names of its cells, in the network's order.
    pub sections: Vec<String>,
    /// Soma positions (um), one per cell, or empty when none are given.
    pub positions: Vec<[f64; 3]>,
    /// User columns (`layer = "L4"`, `ei = [1, 0, ...]`).
    pub properties: BTreeMap<String, Column>,
}

/// A user column of a population: one value for all, or one per cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// The same value for every cell (a node type column in SONATA).
    Same(Attribute),
    /// One value per cell (a node column in SONATA).
    PerNode(Vec<Attribute>),
}

/// Where and what to write after a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// Output folder (relative paths are relative to the `.ndl` file).
    pub dir: PathBuf,
    /// Spike file name inside `dir`, if spikes are written.
    pub spikes: Option<String>,
    /// Reports, each written to `dir/<name>.h5`.
    pub reports: Vec<Report>,
}

/// A whole experiment described by one `.ndl` file.
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    /// The `network` name, if given.
    pub name: Option<String>,
    /// The concrete network.
    pub network: Network,
    /// Built for one rank of a run over ranks: the first cell of each
    /// rank; `network` then holds only the connections and synapses onto
    /// this rank's cells (and `record` only their edges), for
    /// `Simulation::for_ranks_from`.
    pub rank_starts: Option<Vec<usize>>,
    /// Populations in order.
    pub populations: Vec<Population>,
    /// Input names, one per [`Network::trains`] entry.
    pub inputs: Vec<String>,
    /// The mechanisms folder, if given.
    pub mechanisms_dir: Option<PathBuf>,
    /// The `.mod` files of the mechanisms the network uses.
    pub mechanism_files: Vec<PathBuf>,
    /// Output settings.
    pub output: Output,
    /// What the SONATA record of the network needs beyond the network
    /// (see [`Experiment::circuit`]).
    pub record: circuit::Record,
}

impl Experiment {
    /// The same network as SONATA would store it (what `nmc build` writes),
    /// made on demand. Its correspondence with [`Experiment::network`]:
    /// - real cells: node population `circuit.node_populations[0]` (named
    ///   by `network`), node id k = `network.cells[k]` (populations in
    ///   declaration order, each a node type with its `pop_name`);
    /// - inputs: one virtual node population each, in declaration order,
    ///   node id k = the input's k-th train (`network.trains` holds the
    ///   inputs' trains one input after the other);
    /// - edges: `network.connections` lists the edges of the edge
    ///   populations in circuit order (recurrent first, then one per input
    ///   in declaration order), each population's edges in file order
    ///   (sorted by target node, then by `connect` statement and rule
    ///   order); edge k's synapse is the next point process of its target
    ///   cell (after the cell's stimuli), exactly as the SONATA reader
    ///   creates them.
    pub fn circuit(&self) -> Circuit {
        self.record.circuit(&self.network, &self.populations)
    }
}

/// What checking one `.ndl` file produced.
pub struct Checked {
    /// The syntax tree, when the file parsed.
    pub file: Option<ast::File>,
    /// The experiment, when there were no errors.
    pub experiment: Option<Experiment>,
    /// All diagnostics, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads, parses, checks and builds the `.ndl` file at `path`, with the
/// mechanisms `load` gives.
pub fn check_file(map: &mut SourceMap, path: &Path, load: lower::LoadCatalogue) -> Checked {
    check_file_share(map, path, load, lower::Share::whole(1))
}

/// [`check_file`] building one share of a run (see [`lower::build_share`]).
pub fn check_file_share(
    map: &mut SourceMap,
    path: &Path,
    load: lower::LoadCatalogue,
    share: lower::Share,
) -> Checked {
    let shown = path.display().to_string();
    let text = match std::fs::read(path) {
        Ok(b) => crate::io::lossy_text(&b),
        Err(e) => {
            return Checked {
                file: None,
                experiment: None,
                diagnostics: vec![
                    Diagnostic::error("E1001", format!("cannot read `{shown}`: {e}"))
                        .with_help("check the path"),
                ],
            };
        }
    };
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let id = map.add(shown, text);
    check_loaded(map, id, Some(path), &base, load, share)
}

/// Deepest chain of `use`d files (each level reads and parses a file).
const MAX_USE_DEPTH: usize = 32;

/// The files being resolved (outermost first) and the `use` statement of
/// each file that led to the next, for cycle messages.
struct UseChain {
    /// Key ([`use_key`]) of each file on the chain.
    files: Vec<PathBuf>,
    /// The `use` statements on the chain: `uses[i]` is in `files[i]`.
    uses: Vec<Span>,
    /// Files already resolved: a file used twice (a diamond) is read once.
    done: std::collections::BTreeSet<PathBuf>,
}

/// The absolute, normalised path naming a file for cycle detection.
fn use_key(p: &Path) -> PathBuf {
    lower::normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

/// `file` with every `use "other.ndl"` replaced by the cell types the other
/// file defines (E1005 when it cannot be read or defines anything else,
/// E1008 when the uses form a cycle). A file used twice is read once.
fn resolve_uses(
    map: &mut SourceMap,
    file: &ast::File,
    base: &Path,
    out: &mut Vec<Diagnostic>,
    chain: &mut UseChain,
) -> ast::File {
    let mut items = Vec::new();
    for item in &file.items {
        let ast::Item::Use { path, span } = item else {
            items.push(item.clone());
            continue;
        };
        let full = lower::normalize(&base.join(path));
        let key = use_key(&full);
        if let Some(at) = chain.files.iter().position(|f| *f == key) {
            out.push(use_cycle(map, chain, at, *span));
            continue;
        }
        if chain.done.contains(&key) {
            continue;
        }
        if chain.files.len() > MAX_USE_DEPTH {
            out.push(
                Diagnostic::error(
                    "E1005",
                    format!("`use` nested more than {MAX_USE_DEPTH} files deep"),
                )
                .with_primary(*span, "used here")
                .with_help("put the cell types in fewer files"),
            );
            continue;
        }
        let text = match std::fs::read(&full) {
            Ok(b) => crate::io::lossy_text(&b),
            Err(e) => {
                out.push(
                    Diagnostic::error("E1005", format!("cannot read `{}`: {e}", full.display()))
                        .with_primary(*span, "cannot read this file")
                        .with_help("the path is relative to this .ndl file"),
                );
                continue;
            }
        };
        let id = map.add(full.display().to_string(), text);
        let used = match parse::parse(map.source(id), id) {
            Ok(f) => f,
            Err(d) => {
                out.push(d);
                continue;
            }
        };
        let dir = full.parent().map(Path::to_path_buf).unwrap_or_default();
        chain.files.push(key.clone());
        chain.uses.push(*span);
        let used = resolve_uses(map, &used, &dir, out, chain);
        chain.files.pop();
        chain.uses.pop();
        chain.done.insert(key);
        for u in used.items {
            match u {
                ast::Item::Cell(_) => items.push(u),
                ast::Item::Mechanisms { .. } => {}
                _ => out.push(
                    Diagnostic::error(
                        "E1005",
                        format!("`{}` may only define cell types", full.display()),
                    )
                    .with_primary(*span, "used here")
                    .with_help("a used file holds `cell` definitions (and may name its `mechanisms` folder, which is ignored)"),
                ),
            }
        }
    }
    ast::File { items }
}

/// E1008: the `use` at `closing` names `chain.files[at]`, a file that is
/// itself being resolved; the message lists each file and line of the
/// cycle.
fn use_cycle(map: &SourceMap, chain: &UseChain, at: usize, closing: Span) -> Diagnostic {
    let step = |s: Span| {
        let lc = map.line_col(s.file, s.start as usize);
        format!("{}:{}", map.name(s.file), lc.line)
    };
    let mut steps: Vec<String> = chain.uses[at..]
        .iter()
        .map(|&s| format!("{} uses `{}`", step(s), map.text(s)))
        .collect();
    steps.push(format!("{} uses `{}`", step(closing), map.text(closing)));
    let mut d = Diagnostic::error("E1008", format!("`use` cycle: {}", steps.join(", ")))
        .with_primary(closing, "this `use` closes the cycle");
    for &s in &chain.uses[at..] {
        d = d.with_secondary(s, "part of the cycle");
    }
    d.with_help("a file may not use itself, directly or through other files; move the shared cell types into a file that uses none of these")
}

/// Checks NDL text not on disk (`base` is the folder relative paths start
/// from), with the mechanisms `load` gives.
pub fn check_source(
    map: &mut SourceMap,
    name: &str,
    text: &str,
    base: &Path,
    load: lower::LoadCatalogue,
) -> Checked {
    let id = map.add(name, text);
    check_loaded(
        map,
        id,
        Some(Path::new(name)),
        base,
        load,
        lower::Share::whole(1),
    )
}

/// Checks file `id` of `map`; `root` is its path on disk, if any (a file
/// that `use`s it back is a cycle).
fn check_loaded(
    map: &mut SourceMap,
    id: FileId,
    root: Option<&Path>,
    base: &Path,
    load: lower::LoadCatalogue,
    share: lower::Share,
) -> Checked {
    let mut diagnostics = Vec::new();
    let file = match parse::parse(map.source(id), id) {
        Ok(f) => f,
        Err(d) => {
            return Checked {
                file: None,
                experiment: None,
                diagnostics: vec![d],
            };
        }
    };
    let mut chain = UseChain {
        files: root.map(use_key).into_iter().collect(),
        uses: Vec::new(),
        done: Default::default(),
    };
    let full = resolve_uses(map, &file, base, &mut diagnostics, &mut chain);
    check::duplicates(&full, &mut diagnostics);
    let experiment = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        // Morphology and fit files join the source map first, so that
        // their problems point at their lines.
        let errors = diagnostics.len();
        let files = morphology::load(map, &full, id, base, &mut diagnostics);
        let failed = diagnostics[errors..].iter().any(Diagnostic::is_error);
        let net = lower::build_share(&full, base, map, &mut diagnostics, load, &files, share)
            .filter(|_| !failed);
        crate::io::trace("ndl: network built");
        net
    };
    crate::diag::sort(&mut diagnostics);
    Checked {
        file: Some(file),
        experiment,
        diagnostics,
    }
}
