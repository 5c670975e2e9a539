//! The mechanisms of a run: NEURON's built-ins and the user's `.mod`
//! folders, resolved once.
//!
//! Opening a [`Library`] reads every file and finds the name it declares
//! with a lexical scan ([`crate::front::nmodl::declared`]); nothing is
//! compiled yet. A mechanism goes through the front end, lowering and the
//! solve pass the first time anything asks for its interface
//! ([`Catalogue::find`]: NDL, hoc, the SONATA loader, the language server)
//! and through the JIT the first time a run needs its kernels
//! ([`Library::mechanisms`]), once per math mode. A file nobody uses is
//! never compiled for the run; [`Library::unused_problems`] checks such
//! files so that one nmc cannot compile is a warning with its file and
//! line, not a failure.
//!
//! Order: built-ins first, in NEURON's registration order, then each
//! folder's files sorted by name (the order `nrnivmodl` registers them).
//! The engine sums currents in this order, as NEURON does. A user file
//! declaring a built-in's name replaces the built-in (with a note), except
//! a `VecStim` written in C for NEURON (BMTK's `vecevent.mod`, the one
//! `nmc build` writes): nmc keeps its own VecStim then.
//!
//! Diagnostic codes: `E0801` a mechanism that does not compile (its own
//! errors follow), `W0801` a file the run does not use that nmc cannot
//! compile, `W0802` a file that declares no mechanism, `N0801` a user
//! file replacing a built-in, `N0802` a NEURON-only VecStim left aside,
//! `E0804` a mechanism diffusing along the cell (LONGITUDINAL_DIFFUSION)
//! in neighbouring segments ([`diffusion`]).

pub mod describe;
pub mod diffusion;
mod load;

pub use load::{
    from_files, from_files_with, from_mechanisms, from_mechanisms_with, load_dir, load_dir_with,
    mod_files,
};

use std::cell::{Cell, OnceCell, Ref, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::back::CompiledMechanism;
use crate::back::cranelift;
use crate::back::math::MathMode;
use crate::diag::{Diagnostic, Severity, SourceMap};
use crate::driver::builtins::{BUILTINS, Builtin};
use crate::driver::pipeline;
use crate::front::nmodl::declared::{Declared, declared_name};
use crate::ir::interface::{Catalogue, MechInfo};
use crate::ir::{self, MechKind};
use crate::net::Network;
use crate::sim::Mechanisms;

/// True for a file declaring `VecStim` with VERBATIM C code: the VecStim
/// BMTK projects compile for NEURON (`play(Vector)` needs C), which nmc
/// does not compile and does not need (its built-in VecStim and its
/// SONATA spike inputs play spike trains), so the built-in stays.
fn neuron_only_vecstim(name: &str, text: &str) -> bool {
    name == "VecStim" && text.contains("ENDVERBATIM")
}

/// Where the built-ins appear to come from in messages.
pub const BUILTIN_DIR: &str = "<built-in>";

/// One `.mod` source of the library.
struct Entry {
    /// Path as shown in messages (`<built-in>/hh.mod` for built-ins).
    path: PathBuf,
    builtin: bool,
    text: String,
    declared: Option<Declared>,
    /// Front end + IR, run at most once.
    front: OnceCell<Result<Front, Vec<Diagnostic>>>,
    /// Machine code, at most once per math mode (exact, fast).
    jit: [OnceCell<Result<Arc<CompiledMechanism>, Diagnostic>>; 2],
    /// How often each stage ran (tests check it is at most once).
    front_runs: Cell<u32>,
    jit_runs: Cell<u32>,
}

/// What the front end and the IR passes made of one file.
struct Front {
    mech: ir::Mechanism,
    info: MechInfo,
    /// The STATEs it diffuses along the cell (LONGITUDINAL_DIFFUSION).
    diffusing: Vec<String>,
}

/// How often one mechanism went through each stage during a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageCounts {
    /// Mechanism name.
    pub name: String,
    /// Front end, lowering and solve (parse included).
    pub front: u32,
    /// JIT compilations (all math modes).
    pub jit: u32,
}

/// NEURON's built-ins and the user's folders, each file compiled at most
/// once (see the module documentation).
pub struct Library {
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    folders: Vec<PathBuf>,
    notes: Vec<Diagnostic>,
    map: RefCell<SourceMap>,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("folders", &self.folders)
            .field("mechanisms", &self.by_name.len())
            .finish()
    }
}

impl Library {
    /// NEURON's built-ins only.
    pub fn builtins() -> Library {
        Self::assemble(BUILTINS, Vec::new(), Vec::new(), Vec::new())
    }

    /// NEURON's built-ins and every `.mod` file directly inside each of
    /// `folders`. An unreadable folder is an error.
    pub fn open(folders: &[PathBuf]) -> Result<Library, Diagnostic> {
        Self::open_with(folders, &|_| None)
    }

    /// NEURON's built-ins and the given `.mod` files (in that order);
    /// `folders` are named in messages. An unreadable file is a warning.
    pub fn open_files(folders: &[PathBuf], files: &[PathBuf]) -> Library {
        let mut notes = Vec::new();
        let mut read = Vec::new();
        for path in files {
            match std::fs::read(path) {
                Ok(b) => read.push((path.clone(), crate::io::lossy_text(&b))),
                Err(e) => notes.push(Diagnostic::warning(
                    "W0801",
                    format!("cannot read `{}`: {e}; it is ignored", path.display()),
                )),
            }
        }
        Self::assemble(BUILTINS, read, folders.to_vec(), notes)
    }

    /// [`Library::open`], taking a file's text from `overlay` when it gives
    /// one (an editor's unsaved buffer) instead of from disk.
    pub fn open_with(
        folders: &[PathBuf],
        overlay: &dyn Fn(&Path) -> Option<String>,
    ) -> Result<Library, Diagnostic> {
        let mut files = Vec::new();
        let mut notes = Vec::new();
        for dir in folders {
            for path in mod_files(dir)? {
                let text = match overlay(&path) {
                    Some(t) => t,
                    None => match std::fs::read(&path) {
                        Ok(b) => crate::io::lossy_text(&b),
                        Err(e) => {
                            notes.push(Diagnostic::warning(
                                "W0801",
                                format!("cannot read `{}`: {e}; it is ignored", path.display()),
                            ));
                            continue;
                        }
                    },
                };
                files.push((path, text));
            }
        }
        Ok(Self::assemble(BUILTINS, files, folders.to_vec(), notes))
    }

    fn assemble(
        builtins: &[Builtin],
        files: Vec<(PathBuf, String)>,
        folders: Vec<PathBuf>,
        mut notes: Vec<Diagnostic>,
    ) -> Library {
        let mut entries: Vec<Entry> = builtins
            .iter()
            .map(|b| Entry::new(Path::new(BUILTIN_DIR).join(b.file), true, b.text.into()))
            .collect();
        entries.extend(files.into_iter().map(|(p, t)| Entry::new(p, false, t)));
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            let Some(d) = &e.declared else {
                notes.push(Diagnostic::warning(
                    "W0802",
                    format!(
                        "`{}` declares no mechanism (no SUFFIX, POINT_PROCESS or ARTIFICIAL_CELL in a NEURON block); it is ignored",
                        e.path.display()
                    ),
                ));
                continue;
            };
            if let Some(&prev) = by_name.get(&d.name)
                && entries[prev].builtin
                && neuron_only_vecstim(&d.name, &e.text)
            {
                notes.push(Diagnostic::new(
                    Severity::Note,
                    "N0802",
                    format!(
                        "`{}` is a VecStim for NEURON (C code nmc does not compile); nmc plays spike trains with its built-in `VecStim`",
                        e.path.display()
                    ),
                ));
                continue;
            }
            if let Some(prev) = by_name.insert(d.name.clone(), i) {
                let old = &entries[prev];
                let note = if old.builtin {
                    Diagnostic::new(
                        Severity::Note,
                        "N0801",
                        format!(
                            "`{}` (line {}) replaces NEURON's built-in `{}`",
                            e.path.display(),
                            d.line,
                            d.name
                        ),
                    )
                } else {
                    Diagnostic::warning(
                        "W0802",
                        format!(
                            "`{}` and `{}` both declare `{}`; the later file is used",
                            old.path.display(),
                            e.path.display(),
                            d.name
                        ),
                    )
                };
                notes.push(note);
            }
        }
        Library {
            entries,
            by_name,
            folders,
            notes,
            map: RefCell::new(SourceMap::new()),
        }
    }

    /// The user folders, in order.
    pub fn folders(&self) -> &[PathBuf] {
        &self.folders
    }

    /// Notes and warnings found when the library was opened (replaced
    /// built-ins, files declaring nothing or the same name).
    pub fn notes(&self) -> &[Diagnostic] {
        &self.notes
    }

    /// The sources of every diagnostic the library produced (for rendering).
    pub fn source_map(&self) -> Ref<'_, SourceMap> {
        self.map.borrow()
    }

    /// Every mechanism name, in library order.
    pub fn names(&self) -> Vec<&str> {
        self.ordered().map(|(_, e)| e.name()).collect()
    }

    /// Entries that are in use under their name (not replaced), in order.
    fn ordered(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries.iter().enumerate().filter(|(i, e)| {
            e.declared
                .as_ref()
                .is_some_and(|d| self.by_name.get(&d.name) == Some(i))
        })
    }

    /// True when `name` is one of NEURON's built-ins not replaced by a user file.
    pub fn is_builtin(&self, name: &str) -> bool {
        self.by_name
            .get(name)
            .is_some_and(|&i| self.entries[i].builtin)
    }

    /// The file `name` comes from.
    pub fn file_of(&self, name: &str) -> Option<&Path> {
        self.by_name
            .get(name)
            .map(|&i| self.entries[i].path.as_path())
    }

    fn front(&self, i: usize) -> &Result<Front, Vec<Diagnostic>> {
        let e = &self.entries[i];
        e.front.get_or_init(|| {
            e.front_runs.set(e.front_runs.get() + 1);
            let shown = e.path.display().to_string();
            let outcome = {
                let mut map = self.map.borrow_mut();
                pipeline::compile_source(&mut map, &shown, &e.text)
            };
            match outcome.mechanism {
                Some(mech) if !outcome.diagnostics.iter().any(Diagnostic::is_error) => {
                    let info = describe::describe(&mech, outcome.module.as_ref(), &e.path);
                    let diffusing = outcome
                        .module
                        .as_ref()
                        .map(diffusion::diffusing_states)
                        .unwrap_or_default();
                    Ok(Front {
                        mech,
                        info,
                        diffusing,
                    })
                }
                _ => {
                    let mut errors: Vec<Diagnostic> = outcome
                        .diagnostics
                        .into_iter()
                        .filter(Diagnostic::is_error)
                        .collect();
                    if errors.is_empty() {
                        errors.push(Diagnostic::error(
                            "E0801",
                            format!("`{shown}` did not compile"),
                        ));
                    }
                    Err(errors)
                }
            }
        })
    }

    /// The solved IR of mechanism `name`, compiling its file if needed.
    pub fn ir(&self, name: &str) -> Option<&ir::Mechanism> {
        let &i = self.by_name.get(name)?;
        self.front(i).as_ref().ok().map(|f| &f.mech)
    }

    /// The errors of mechanism `name`'s file (empty when it compiles or is unknown).
    pub fn errors(&self, name: &str) -> &[Diagnostic] {
        match self.by_name.get(name).map(|&i| self.front(i)) {
            Some(Err(d)) => d,
            _ => &[],
        }
    }

    fn jit(&self, i: usize, mode: MathMode) -> Result<Arc<CompiledMechanism>, Vec<Diagnostic>> {
        let mech = match self.front(i) {
            Ok(f) => &f.mech,
            Err(d) => return Err(d.clone()),
        };
        let e = &self.entries[i];
        let slot = match mode {
            MathMode::Exact => &e.jit[0],
            MathMode::Fast => &e.jit[1],
        };
        slot.get_or_init(|| {
            e.jit_runs.set(e.jit_runs.get() + 1);
            cranelift::compile_with(mech, mode).map(Arc::new)
        })
        .clone()
        .map_err(|d| vec![d])
    }

    /// The mechanisms called `names`, compiled in `mode`, in library order
    /// (the engine sums currents in that order). An unknown name or a file
    /// that does not compile is an error naming the mechanism.
    pub fn mechanisms<'n>(
        &self,
        names: impl IntoIterator<Item = &'n str>,
        mode: MathMode,
    ) -> Result<Mechanisms, Vec<Diagnostic>> {
        let mut wanted = BTreeSet::new();
        let mut errors = Vec::new();
        for name in names {
            match self.by_name.get(name) {
                Some(&i) => {
                    wanted.insert(i);
                }
                None => errors.push(self.unknown(name)),
            }
        }
        let mut compiled = Vec::new();
        for i in wanted {
            match self.jit(i, mode) {
                Ok(c) => compiled.push(c),
                Err(d) => errors.extend(self.does_not_compile(i, &d)),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Mechanisms::new(compiled, mode).map_err(|d| vec![d])
    }

    /// The mechanisms `net` uses (inserted and point processes), through
    /// the front end and the IR passes but not yet in machine code: the
    /// engine compiles each once for its run (specialised to the run's
    /// data, or plain when specialisation is off), so a run never compiles
    /// a mechanism twice.
    pub fn for_network(
        &self,
        net: &Network,
        mode: MathMode,
    ) -> Result<Mechanisms, Vec<Diagnostic>> {
        let mut wanted = BTreeSet::new();
        let mut errors = Vec::new();
        for name in used_names(net) {
            match self.by_name.get(&name) {
                Some(&i) => {
                    wanted.insert(i);
                }
                None => errors.push(self.unknown(&name)),
            }
        }
        let mut deferred = Vec::new();
        for i in wanted {
            match self.front(i) {
                Ok(f) => {
                    let e = &self.entries[i];
                    errors.extend(diffusion::check(net, e.name(), &e.path, &f.diffusing));
                    deferred.push(Arc::new(CompiledMechanism::deferred(&f.mech, mode)));
                }
                Err(d) => errors.extend(self.does_not_compile(i, d)),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Mechanisms::new(deferred, mode).map_err(|d| vec![d])
    }

    fn does_not_compile(&self, i: usize, errors: &[Diagnostic]) -> Vec<Diagnostic> {
        let e = &self.entries[i];
        let mut out = vec![Diagnostic::error(
            "E0801",
            format!(
                "mechanism `{}` (`{}`) does not compile",
                e.name(),
                e.path.display()
            ),
        )];
        out.extend(errors.iter().cloned());
        out
    }

    /// Every user mechanism compiled in `mode` (built-ins only where no
    /// user file replaces them): the whole library, for tests and tools.
    pub fn all(&self, mode: MathMode) -> Result<Mechanisms, Vec<Diagnostic>> {
        let names: Vec<String> = self.names().into_iter().map(str::to_string).collect();
        self.mechanisms(names.iter().map(String::as_str), mode)
    }

    /// Warnings for the user's files that `used` does not name and that
    /// nmc cannot compile, each with the file and line of its first error.
    /// Built-ins are not checked.
    pub fn unused_problems(&self, used: &BTreeSet<String>) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (i, e) in self.ordered() {
            if e.builtin || used.contains(e.name()) {
                continue;
            }
            let Err(errors) = self.front(i) else {
                continue;
            };
            let first = errors.first();
            let mut d = Diagnostic::warning(
                "W0801",
                format!(
                    "`{}` cannot be compiled by nmc ({}); the network does not use `{}`, so it is ignored",
                    e.path.display(),
                    first.map_or("errors", |d| d.message.as_str()),
                    e.name()
                ),
            );
            if let Some(span) = first.and_then(Diagnostic::primary_span) {
                d = d.with_primary(span, "nmc stops here");
            }
            out.push(d.with_help(format!(
                "`nmc check {}` shows every problem",
                e.path.display()
            )));
        }
        out
    }

    /// How often each mechanism that was looked up went through each stage.
    pub fn stage_counts(&self) -> Vec<StageCounts> {
        self.entries
            .iter()
            .filter(|e| e.front_runs.get() > 0 || e.jit_runs.get() > 0)
            .map(|e| StageCounts {
                name: e.name().to_string(),
                front: e.front_runs.get(),
                jit: e.jit_runs.get(),
            })
            .collect()
    }

    fn unknown(&self, name: &str) -> Diagnostic {
        let names = self.names();
        let mut d = Diagnostic::error(
            "E0803",
            format!(
                "unknown mechanism `{name}`: neither NEURON's built-ins nor {} declare it",
                self.folders_text()
            ),
        );
        if let Some(s) = crate::diag::suggest::closest(name, names.iter().copied()) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        d
    }

    fn folders_text(&self) -> String {
        match self.folders.as_slice() {
            [] => "any mechanisms folder (none is given)".into(),
            dirs => dirs
                .iter()
                .map(|d| format!("`{}`", d.display()))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

impl Entry {
    fn new(path: PathBuf, builtin: bool, text: String) -> Entry {
        Entry {
            declared: declared_name(&text),
            path,
            builtin,
            text,
            front: OnceCell::new(),
            jit: [OnceCell::new(), OnceCell::new()],
            front_runs: Cell::new(0),
            jit_runs: Cell::new(0),
        }
    }

    fn name(&self) -> &str {
        self.declared.as_ref().map_or("", |d| d.name.as_str())
    }
}

/// Names of the mechanisms `net` uses.
pub fn used_names(net: &Network) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    // Synapses of one kind come in runs: the name added last is skipped
    // without a look into the set.
    let mut last = String::new();
    let mut add = |name: &str| {
        if name != last && !used.contains(name) {
            used.insert(name.to_string());
        }
        if name != last {
            last.clear();
            last.push_str(name);
        }
    };
    // Point processes of one kind share one name: the same shared name as
    // the one before is skipped without comparing texts.
    let mut last_pp: Option<&crate::net::SharedName> = None;
    for cell in &net.cells {
        for sec in &cell.sections {
            sec.mechanisms.iter().for_each(|m| add(&m.mechanism));
        }
        for p in &cell.point_processes {
            if last_pp.is_some_and(|l| l.same(&p.mechanism)) {
                continue;
            }
            last_pp = Some(&p.mechanism);
            add(&p.mechanism);
        }
    }
    used
}

impl Catalogue for Library {
    fn find(&self, name: &str) -> Option<&MechInfo> {
        let i = match self.by_name.get(name) {
            Some(&i) => i,
            None => {
                let lower = name.to_lowercase();
                let mut hits = self
                    .ordered()
                    .filter(|(_, e)| e.name().to_lowercase() == lower);
                match (hits.next(), hits.next()) {
                    (Some((i, _)), None) => i,
                    _ => return None,
                }
            }
        };
        self.front(i).as_ref().ok().map(|f| &f.info)
    }

    fn broken(&self, name: &str) -> Option<Diagnostic> {
        let &i = self.by_name.get(name)?;
        let Err(errors) = self.front(i) else {
            return None;
        };
        let e = &self.entries[i];
        let first = errors.first().map_or(String::new(), |d| {
            let line = d
                .primary_span()
                .map(|s| self.map.borrow().line_col(s.file, s.start as usize).line);
            match line {
                Some(l) => format!(": line {l}: {}", d.message),
                None => format!(": {}", d.message),
            }
        });
        Some(
            Diagnostic::error(
                "E1004",
                format!(
                    "mechanism `{name}` cannot be used: `{}` has {} error(s){first}",
                    e.path.display(),
                    errors.len()
                ),
            )
            .with_help(format!("run `nmc check {}` to see them", e.path.display())),
        )
    }

    fn names_of(&self, kind: MechKind) -> Vec<String> {
        let want = match kind {
            MechKind::Density => "SUFFIX",
            MechKind::PointProcess => "POINT_PROCESS",
            MechKind::ArtificialCell => "ARTIFICIAL_CELL",
        };
        self.ordered()
            .filter(|(_, e)| e.declared.as_ref().is_some_and(|d| d.keyword == want))
            .map(|(_, e)| e.name().to_string())
            .collect()
    }

    fn origin(&self) -> String {
        match self.folders.as_slice() {
            [] => "NEURON's built-ins".into(),
            _ => format!("NEURON's built-ins and {}", self.folders_text()),
        }
    }
}
