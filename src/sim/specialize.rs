//! Kernels compiled for one run: after the parts of a [`super::Simulation`]
//! are built, each mechanism the run uses is compiled again with a
//! [`Specialization`] saying what this run promises about it (see
//! [`crate::ir::opt`]), and every part switches to those kernels. The
//! results stay bit for bit those of the library's plain kernels in exact
//! math mode; in fast mode the specialised kernels also get the rewrites
//! of [`crate::ir::opt::relax`] that need the run's promises, which move
//! last bits.
//!
//! What the run promises, per mechanism:
//! - observed fields: the columns read outside the kernels — recorded
//!   variables (`record`), and for a mechanism the run may aggregate
//!   (`linear`, `aggregate`) the grouping keys and the states moved
//!   between rows, and the event state a mechanism keeps in its
//!   connections (`lift`), copied from the rows at initialisation.
//!   Nothing else in the engine or the command line reads a
//!   mechanism's columns (NET_RECEIVE is a kernel; connection weights are
//!   not columns; WATCH conditions are not evaluated by the engine).
//! - constants: scalar PARAMETERs holding the same bits in every instance
//!   of the run (no part of the engine writes a column after building,
//!   and the pass itself leaves alone any field a kernel writes).
//! - unread ion variables: current arrays (`ina`, `dinadv`, ...) that no
//!   mechanism of the run READs. Nothing outside the kernels reads ion
//!   arrays (records read node voltages and mechanism columns), so the
//!   engine stops zeroing these arrays every step too.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::record::Probe;
use super::{Part, SimError, SimErrorKind};
use crate::back::math::MathMode;
use crate::back::{CompiledMechanism, compile_specialized};
use crate::diag::Diagnostic;
use crate::ir::opt::Specialization;
use crate::ir::{Expr, FieldId, FieldKind, Mechanism, Place, Stmt};

/// Environment variable that turns specialisation off when set to `0`,
/// `off`, `no` or `false` (for debugging: the library's plain kernels).
pub const ENV: &str = "NMC_SPECIALIZE";

/// True unless [`ENV`] turns specialisation off.
pub(crate) fn enabled_by_env() -> bool {
    match std::env::var(ENV) {
        Ok(v) => !matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "0" | "off" | "no" | "false"
        ),
        Err(_) => true,
    }
}

/// What specialising a run did.
#[derive(Clone, Debug, Default)]
pub(crate) struct Report {
    /// Per mechanism used (library order): name and what was assumed.
    pub specs: Vec<(String, Specialization)>,
    /// Time spent compiling the specialised kernels.
    pub compile: Duration,
}

/// Compiles every mechanism used by `parts` for this run and makes the
/// parts use those kernels. The parts must be freshly built (not run).
/// With `plain`, compiles plain kernels instead (for mechanisms that came
/// without machine code when specialisation is off). Compiles on up to
/// `threads` threads (the run's bound: a run whose cells all go to one
/// part may still compile its mechanisms side by side).
pub(crate) fn specialize(
    parts: &mut [Part],
    plain: bool,
    threads: usize,
) -> Result<Report, SimError> {
    // Mechanisms by name, in the order the first part that has each
    // lists them (library order within a part).
    let mut names: Vec<String> = Vec::new();
    let mut originals: Vec<Arc<CompiledMechanism>> = Vec::new();
    for part in parts.iter() {
        for m in &part.mechs {
            let name = &m.mech().name;
            if !names.contains(name) {
                names.push(name.clone());
                originals.push(m.compiled.clone());
            }
        }
    }
    let unread = unread_ion_vars(parts);
    let mut report = Report::default();
    let start = Instant::now();
    // What to compile: (index, mechanism, mode, promises); the rest keep
    // their kernels.
    let mut jobs = Vec::new();
    for (k, (name, orig)) in names.iter().zip(&originals).enumerate() {
        let mech = orig.mechanism();
        if plain && !orig.is_deferred() {
            continue;
        }
        let spec = if plain {
            Specialization::none()
        } else {
            Specialization {
                observed: Some(observed(parts, name, mech)),
                constants: constants(parts, name, mech),
                unread_ion_vars: ion_vars_of(mech)
                    .into_iter()
                    .filter(|v| unread.contains(v))
                    .collect(),
                hoist: true,
            }
        };
        jobs.push((k, mech, orig.math_mode(), spec));
    }
    let results = compile_all(&jobs, threads.max(1));
    let mut compiled: Vec<Arc<CompiledMechanism>> = originals.clone();
    for ((k, _, _, spec), result) in jobs.into_iter().zip(results) {
        let name = &names[k];
        let c = result.map_err(|d| {
            SimError::new(
                SimErrorKind::Kernel,
                format!("mechanism `{name}`: specialised kernels failed to compile: {d:?}"),
            )
        })?;
        compiled[k] = Arc::new(c);
        if !plain {
            report.specs.push((name.clone(), spec));
        }
    }
    report.compile = start.elapsed();
    for part in parts.iter_mut() {
        for m in &mut part.mechs {
            let Some(k) = names.iter().position(|n| *n == m.mech().name) else {
                continue;
            };
            m.switch(compiled[k].clone(), &mut part.data)?;
        }
        if plain {
            continue;
        }
        let keys: Vec<String> = part.data.ions.keys().cloned().collect();
        for (key, zero) in keys.iter().zip(part.ion_currents.iter_mut()) {
            if unread.contains(key) {
                *zero = false;
            }
        }
    }
    Ok(report)
}

/// A compile job: index of the mechanism, the mechanism, its math mode
/// and what the run promises about it.
type Job<'a> = (usize, &'a Mechanism, MathMode, Specialization);

/// Compiles every job, on up to `threads` threads (each mechanism is an
/// independent module), the largest first so that a large one does not
/// start last while the other threads have nothing left; results in job
/// order.
fn compile_all(jobs: &[Job<'_>], threads: usize) -> Vec<Result<CompiledMechanism, Diagnostic>> {
    let compile = |(_, mech, mode, spec): &Job<'_>| compile_specialized(mech, *mode, spec);
    let threads = threads.min(jobs.len());
    if threads <= 1 {
        return jobs.iter().map(compile).collect();
    }
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(crate::ir::opt::code_size(jobs[i].1)));
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Result<CompiledMechanism, Diagnostic>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        out.push((i, compile(&jobs[i])));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(out) => out,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Fields of mechanism `name` read outside its kernels in any part.
fn observed(parts: &[Part], name: &str, mech: &Mechanism) -> BTreeSet<FieldId> {
    let mut out = BTreeSet::new();
    for part in parts {
        for probe in &part.probes {
            let Probe::Column {
                mech: slot,
                slot: col,
                ..
            } = *probe
            else {
                continue;
            };
            let Some(m) = part.mechs.get(slot as usize) else {
                continue;
            };
            if m.mech().name != name {
                continue;
            }
            let layout = m.data.layout();
            let col = col as usize;
            if let Some(f) = mech.field_ids().find(|&f| {
                let first = layout.field_slot.get(f).copied().unwrap_or(usize::MAX);
                let len = mech.fields[f].len.max(1);
                first <= col && col < first.saturating_add(len)
            }) {
                out.insert(f);
            }
        }
        for m in &part.mechs {
            if m.mech().name != name {
                continue;
            }
            if let Some(lin) = &m.linearity {
                out.extend(lin.keys.iter().copied());
                out.extend(lin.states.iter().copied());
            }
            // The engine copies moved event state from the rows into the
            // connections (see `lift`).
            if let Some(l) = &m.lifted {
                out.extend(l.fields.iter().map(|&(f, _)| f));
            }
        }
    }
    out
}

/// Scalar PARAMETERs of mechanism `name` with the same bits in every
/// instance of every part (none when no part has an instance).
fn constants(parts: &[Part], name: &str, mech: &Mechanism) -> BTreeMap<FieldId, f64> {
    let mut out = BTreeMap::new();
    'fields: for (f, field) in mech.fields_with_ids() {
        if field.kind != FieldKind::Parameter || field.len != 1 {
            continue;
        }
        let mut value: Option<f64> = None;
        for part in parts {
            for m in part.mechs.iter().filter(|m| m.mech().name == name) {
                let Some(col) = m
                    .data
                    .layout()
                    .field_slot
                    .get(f)
                    .and_then(|&s| m.data.column(s))
                else {
                    continue 'fields;
                };
                for &x in col {
                    match value {
                        None => value = Some(x),
                        Some(v) if v.to_bits() == x.to_bits() => {}
                        Some(_) => continue 'fields,
                    }
                }
            }
        }
        if let Some(v) = value {
            out.insert(f, v);
        }
    }
    out
}

/// Ion current arrays (`ina`, `dinadv`, ...) of the parts that no
/// mechanism of the run reads.
fn unread_ion_vars(parts: &[Part]) -> BTreeSet<String> {
    let mut candidates = BTreeSet::new();
    let mut read = BTreeSet::new();
    for part in parts {
        for (name, &zeroed) in part.data.ions.keys().zip(&part.ion_currents) {
            if zeroed {
                candidates.insert(name.clone());
            }
        }
        for m in &part.mechs {
            reads_of(m.mech(), &mut read);
        }
        // Recorded ion variables are read after every step.
        for probe in &part.probes {
            if let Probe::Ion { ion, .. } = *probe
                && let Some(name) = part.data.ions.keys().nth(ion as usize)
            {
                read.insert(name.clone());
            }
        }
    }
    candidates.retain(|c| !read.contains(c));
    candidates
}

/// Every ion variable `mech` mentions (its layout's and its WRITE lists').
fn ion_vars_of(mech: &Mechanism) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = crate::back::layout::Layout::of(mech)
        .ion_vars
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    for usage in &mech.ions {
        out.extend(usage.write.iter().cloned());
        if usage.write.iter().any(|w| *w == format!("i{}", usage.name)) {
            out.insert(format!("di{}dv", usage.name));
        }
    }
    out
}

/// Adds the ion variables `mech` reads: its READ lists and every ion
/// array a body loads. A statement this walk does not know (one that
/// solving removes) counts as reading every ion variable of the mechanism.
fn reads_of(mech: &Mechanism, out: &mut BTreeSet<String>) {
    for usage in &mech.ions {
        out.extend(usage.read.iter().cloned());
    }
    let mut unknown = false;
    let mut walk = Walk {
        out: &mut *out,
        unknown: &mut unknown,
    };
    for k in &mech.kernels {
        walk.stmts(&k.body);
    }
    for f in &mech.functions {
        walk.stmts(&f.body);
    }
    for w in &mech.watches {
        walk.expr(w);
    }
    if unknown {
        out.extend(ion_vars_of(mech));
    }
}

/// Collects the ion arrays loaded by statements and expressions.
struct Walk<'a> {
    out: &'a mut BTreeSet<String>,
    unknown: &'a mut bool,
}

impl Walk<'_> {
    fn stmts(&mut self, body: &[Stmt]) {
        for s in body {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Assign(p, e) => {
                self.place_indices(p);
                self.expr(e);
            }
            Stmt::Accumulate(p, e) => {
                // `x += e` reads x only as the kernel's own accumulation
                // target; an ion array accumulated into is not read.
                self.place_indices(p);
                self.expr(e);
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond);
                self.stmts(then);
                self.stmts(otherwise);
            }
            Stmt::While { cond, body } => {
                self.expr(cond);
                self.stmts(body);
            }
            Stmt::Eval(e) | Stmt::NetEvent(e) | Stmt::NetMove(e) => self.expr(e),
            Stmt::Return => {}
            Stmt::NetSend { delay, flag } => {
                self.expr(delay);
                self.expr(flag);
            }
            Stmt::Print { args, .. } => args.iter().for_each(|a| self.expr(a)),
            Stmt::WatchOn { flag, .. } => self.expr(flag),
            _ => *self.unknown = true,
        }
    }

    fn place_indices(&mut self, p: &Place) {
        match p {
            Place::Field(_, Some(i)) | Place::GlobalArray(_, i) => self.expr(i),
            _ => {}
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Const(_) => {}
            Expr::Load(p) => {
                if let Place::Ion(_, name) = p {
                    self.out.insert(name.clone());
                }
                self.place_indices(p);
            }
            Expr::Unary(_, a) => self.expr(a),
            Expr::Binary(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            Expr::Math(_, args)
            | Expr::Call(_, args)
            | Expr::Builtin(_, args)
            | Expr::FunctionTable(_, args) => args.iter().for_each(|a| self.expr(a)),
        }
    }
}
