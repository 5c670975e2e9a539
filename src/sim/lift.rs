//! Event state moved from a synapse's row into its connection.
//!
//! A short-term plasticity synapse (Tsodyks-Markram style: `u`, `R`,
//! `tsyn`...) keeps, besides its conductance states, variables that only
//! its NET_RECEIVE block and INITIAL touch. They make every instance
//! different, so its rows cannot be merged (see `linear`), and a network
//! of millions of such synapses keeps millions of rows of every field.
//!
//! When every instance of the mechanism receives events from at most one
//! connection and no record reads one of them, those variables may as well live
//! with the connection, as extra NET_RECEIVE arguments (NEURON's per-NetCon
//! state): the rewritten mechanism computes exactly the same numbers, and
//! its NET_RECEIVE no longer writes fields, so its instances on one node
//! with equal parameters share one row. The row still holds the moved
//! variables for INITIAL to compute their starting values, which the
//! engine copies into each connection at initialisation.
//!
//! A field is moved when it is a scalar ASSIGNED that NET_RECEIVE (or its
//! INITIAL) writes, that no other kernel and no FUNCTION or PROCEDURE
//! reads or writes, and that INITIAL at most assigns (never reads).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::back::CompiledMechanism;
use crate::ir::solve::symbolic::{map_exprs_stmts, map_places_expr, map_places_stmts};
use crate::ir::{Expr, FieldId, FieldKind, KernelKind, MechKind, Mechanism, Place, Stmt};
use crate::net::{Cell, Connection, PointProcess, Record, Variable};

use super::{Mechanisms, linear};

/// The mechanisms a run moves event state out of: per library index, the
/// rewritten mechanism (compiled when the run is specialised) and what
/// was moved. Every part of a run uses the same ones.
/// The second field lists the library indices of mechanisms [`lift`]
/// accepts that this network cannot rewrite (see [`Lifts::agree`]).
#[derive(Default)]
pub(crate) struct Lifts(
    HashMap<usize, (Arc<CompiledMechanism>, Arc<Lifted>)>,
    Vec<usize>,
);

impl Lifts {
    /// No mechanism rewritten.
    pub fn none() -> Lifts {
        Lifts::default()
    }

    /// The rewritten form of library mechanism `index`, if the run uses one.
    pub fn get(&self, index: usize) -> Option<&(Arc<CompiledMechanism>, Arc<Lifted>)> {
        self.0.get(&index)
    }

    /// Which mechanisms of a network to rewrite: those [`lift`] accepts
    /// whose every instance is the target of at most one connection and
    /// none of whose moved fields a record reads. `points` are the cells'
    /// point processes when taken out of them.
    pub fn plan(
        cells: &[Cell],
        points: Option<&[Vec<PointProcess>]>,
        connections: impl Iterator<Item = Connection>,
        records: &[Record],
        lib: &Mechanisms,
    ) -> Lifts {
        let points_of = |ci: usize| super::points_of(cells, points, ci);
        let mut candidates: HashMap<&str, Option<(usize, Mechanism, Lifted)>> = HashMap::new();
        // Consecutive point processes mostly share their name's allocation.
        let mut last: *const u8 = std::ptr::null();
        for ci in 0..cells.len() {
            for pp in points_of(ci) {
                let ptr = pp.mechanism.as_ptr();
                if std::mem::replace(&mut last, ptr) == ptr {
                    continue;
                }
                candidates.entry(&pp.mechanism).or_insert_with(|| {
                    let index = lib.index(&pp.mechanism)?;
                    let (mech, lifted) = lift(lib.shared(index)?.mechanism())?;
                    Some((index, mech, lifted))
                });
            }
        }
        candidates.retain(|_, c| c.is_some());
        if candidates.is_empty() {
            return Lifts::none();
        }
        // Incoming connections per point process (counting stops at 2).
        let mut first = Vec::with_capacity(cells.len() + 1);
        let mut total = 0usize;
        for ci in 0..cells.len() {
            first.push(total);
            total += points_of(ci).len();
        }
        let mut incoming = vec![0u8; total];
        for c in connections {
            if let Some(n) = first
                .get(c.target_cell)
                .and_then(|&f| incoming.get_mut(f + c.target))
            {
                *n = n.saturating_add(1).min(2);
            }
        }
        let mut rejected = Vec::new();
        for (ci, &f) in first.iter().enumerate() {
            for (k, pp) in points_of(ci).iter().enumerate() {
                if incoming.get(f + k).is_some_and(|&n| n > 1)
                    && let Some(Some(c)) = candidates.remove(&*pp.mechanism)
                {
                    rejected.push(c.0);
                }
            }
        }
        // A record of a moved field keeps the mechanism as it is (the
        // row no longer holds the value); one of another field does not.
        for r in records {
            if let Variable::PointProcess { index, name } = &r.variable
                && let Some(pp) = points_of(r.cell).get(*index)
            {
                let moved = match candidates.get(&*pp.mechanism) {
                    Some(Some((_, mech, lifted))) => super::record::field_of(mech, name)
                        .is_none_or(|f| lifted.fields.iter().any(|&(m, _)| m == f)),
                    _ => false,
                };
                if moved && let Some(Some(c)) = candidates.remove(&*pp.mechanism) {
                    rejected.push(c.0);
                }
            }
        }
        Lifts(
            candidates
                .into_values()
                .flatten()
                .map(|(index, mech, lifted)| {
                    let compiled = CompiledMechanism::deferred(&mech, lib.math_mode());
                    (index, (Arc::new(compiled), Arc::new(lifted)))
                })
                .collect(),
            rejected,
        )
    }

    /// For a network loaded per rank (each rank planned from the
    /// connections onto its own cells): a mechanism is rewritten only
    /// when no rank found an instance that prevents it, as one process
    /// would decide.
    pub fn agree(&mut self, comm: &mut dyn super::ranks::Transport) {
        let mut bytes = Vec::new();
        for &k in &self.1 {
            bytes.extend_from_slice(&(k as u64).to_le_bytes());
        }
        for b in comm.all_gather(&bytes) {
            for k in b.chunks_exact(8) {
                let mut a = [0u8; 8];
                a.copy_from_slice(k);
                self.0.remove(&(u64::from_le_bytes(a) as usize));
            }
        }
    }
}

/// How a mechanism was rewritten.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Lifted {
    /// Index of the first moved argument (the original argument count).
    pub first_arg: usize,
    /// The moved fields, in argument order, each with whether INITIAL
    /// assigns it (then every initialisation copies the row's value into
    /// the connection; otherwise only building does, and the value is
    /// kept across initialisations as the field's would be).
    pub fields: Vec<(FieldId, bool)>,
}

/// Copies the moved fields of every connection's row into its
/// arguments: all of them when the part is built (`all`), those INITIAL
/// assigns at every initialisation.
pub(crate) fn fill_args(
    mechs: &[super::MechInstances],
    fanouts: &super::events::Fanouts,
    net_args: &mut [f64],
    all: bool,
) {
    if mechs.iter().all(|m| m.lifted.is_none()) {
        return;
    }
    for &c in &fanouts.items {
        let Some(m) = mechs.get(c.mech as usize) else {
            continue;
        };
        let Some(lifted) = &m.lifted else {
            continue;
        };
        let at = c.args as usize;
        let Some(args) = net_args.get_mut(at..at + fanouts.nargs_of(c) as usize) else {
            continue;
        };
        let layout = m.data.layout();
        for (j, &(f, init)) in lifted.fields.iter().enumerate() {
            if !(all || init) {
                continue;
            }
            let value = layout
                .field_slot
                .get(f)
                .and_then(|&slot| m.data.value(slot, c.instance as usize));
            if let (Some(v), Some(a)) = (value, args.get_mut(lifted.first_arg + j)) {
                *a = v;
            }
        }
    }
}

/// `mech` with its event state moved into its connections, when that
/// makes its instances mergeable (see the module documentation).
pub(crate) fn lift(mech: &Mechanism) -> Option<(Mechanism, Lifted)> {
    if mech.kind != MechKind::PointProcess
        || !mech.watches.is_empty()
        || !mech.randoms.is_empty()
        || linear::draws_random(mech)
    {
        return None;
    }
    let kernel = |kind: KernelKind| mech.kernels.iter().find(|k| k.kind == kind);
    kernel(KernelKind::NetReceive)?;
    // Fields NET_RECEIVE (and its INITIAL) assigns directly.
    let mut written = BTreeSet::new();
    for k in &mech.kernels {
        if matches!(k.kind, KernelKind::NetReceive | KernelKind::NetReceiveInit) {
            assigned(&k.body, &mut written);
        }
    }
    // Fields anything else touches.
    let mut elsewhere = BTreeSet::new();
    for k in &mech.kernels {
        match k.kind {
            KernelKind::NetReceive | KernelKind::NetReceiveInit => {}
            KernelKind::Init => loaded(&k.body, &mut elsewhere),
            _ => touched(&k.body, &mut elsewhere),
        }
    }
    for f in &mech.functions {
        touched(&f.body, &mut elsewhere);
    }
    let moved: Vec<FieldId> = written
        .into_iter()
        .filter(|&f| {
            mech.field(f)
                .is_some_and(|x| x.kind == FieldKind::Assigned && x.len == 1)
                && !elsewhere.contains(&f)
        })
        .collect();
    if moved.is_empty() {
        return None;
    }
    let first_arg = mech.net_receive_args.len().max(1);
    let mut out = mech.clone();
    // A mechanism without arguments still gets the weight slot.
    out.net_receive_args.resize(first_arg, "weight".to_string());
    for &f in &moved {
        let name = mech.field(f).map_or("state", |x| x.name.as_str());
        out.net_receive_args.push(name.to_string());
    }
    for k in &mut out.kernels {
        if !matches!(k.kind, KernelKind::NetReceive | KernelKind::NetReceiveInit) {
            continue;
        }
        map_places_stmts(&mut k.body, &mut |p: &mut Place| {
            if let Place::Field(f, None) = p
                && let Some(j) = moved.iter().position(|m| m == f)
            {
                *p = Place::NetArg(first_arg + j);
            }
        });
    }
    let lin = linear::analyse(&out).ok()?;
    lin.event_reads.as_ref()?;
    let mut init_written = BTreeSet::new();
    if let Some(init) = kernel(KernelKind::Init) {
        assigned(&init.body, &mut init_written);
    }
    let fields = moved
        .iter()
        .map(|f| (*f, init_written.contains(f)))
        .collect();
    Some((out, Lifted { first_arg, fields }))
}

/// Adds to `out` every field assigned (`=`) directly in `body`.
fn assigned(body: &[Stmt], out: &mut BTreeSet<FieldId>) {
    for s in body {
        match s {
            Stmt::Assign(Place::Field(f, _), _) => {
                out.insert(*f);
            }
            Stmt::If {
                then, otherwise, ..
            } => {
                assigned(then, out);
                assigned(otherwise, out);
            }
            Stmt::While { body, .. } | Stmt::Solve { body, .. } => assigned(body, out),
            _ => {}
        }
    }
}

/// Adds to `out` every field read in `body`, and every field written
/// other than by a plain assignment (`+=`, TABLE outputs, ODEs...).
fn loaded(body: &[Stmt], out: &mut BTreeSet<FieldId>) {
    let mut body = body.to_vec();
    map_exprs_stmts(&mut body, &mut |e: &mut Expr| {
        map_places_expr(e, &mut |p: &mut Place| {
            if let Place::Field(f, _) = p {
                out.insert(*f);
            }
        });
    });
    let mut plain = BTreeSet::new();
    assigned(&body, &mut plain);
    let mut all = BTreeSet::new();
    touched(&body, &mut all);
    // Anything touched that is neither loaded nor plainly assigned is
    // written some other way.
    for f in all {
        if !plain.contains(&f) {
            out.insert(f);
        }
    }
}

/// Adds to `out` every field `body` reads or writes.
fn touched(body: &[Stmt], out: &mut BTreeSet<FieldId>) {
    let mut body = body.to_vec();
    map_places_stmts(&mut body, &mut |p: &mut Place| {
        if let Place::Field(f, _) = p {
            out.insert(*f);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mech(src: &str) -> Mechanism {
        let mut map = crate::diag::SourceMap::new();
        crate::driver::pipeline::compile_source(&mut map, "s.mod", src)
            .mechanism
            .expect("test source compiles")
    }

    const STP: &str = r#"
NEURON { POINT_PROCESS S RANGE tau, U, u, tsyn, Pr NONSPECIFIC_CURRENT i }
PARAMETER { tau = 2 (ms) U = 0.5 F = 100 (ms) }
ASSIGNED { v (mV) i (nA) u tsyn (ms) Pr }
STATE { g }
INITIAL { g = 0 u = U tsyn = 0 }
BREAKPOINT { SOLVE s METHOD cnexp i = g*v }
DERIVATIVE s { g' = -g/tau }
NET_RECEIVE(w) {
    INITIAL { tsyn = t }
    u = u*exp(-(t - tsyn)/F) + U*(1 - u*exp(-(t - tsyn)/F))
    Pr = u
    tsyn = t
    g = g + w*Pr
}
"#;

    #[test]
    fn plasticity_state_moves_into_the_connection() {
        let m = mech(STP);
        assert!(
            linear::analyse(&m)
                .map(|l| l.event_reads.is_none())
                .unwrap_or(true)
        );
        let (out, lifted) = lift(&m).expect("liftable");
        let names: Vec<&str> = lifted
            .fields
            .iter()
            .map(|(f, _)| m.field(*f).map_or("", |x| x.name.as_str()))
            .collect();
        assert_eq!(names, ["u", "tsyn", "Pr"]);
        assert_eq!(lifted.first_arg, 1);
        assert_eq!(
            lifted.fields.iter().map(|f| f.1).collect::<Vec<_>>(),
            [true, true, false]
        );
        assert_eq!(out.net_receive_args, ["w", "u", "tsyn", "Pr"]);
        let lin = linear::analyse(&out).expect("linear after lifting");
        assert!(lin.event_reads.is_some());
    }

    #[test]
    fn state_read_by_the_current_stays() {
        // `u` scales the current: it cannot leave the row.
        let src = STP.replace("i = g*v", "i = g*v*u");
        assert!(lift(&mech(&src)).is_none());
    }

    #[test]
    fn state_initial_reads_stays() {
        let src = STP.replace("tsyn = 0 }", "tsyn = u }");
        let m = mech(&src);
        let lifted = lift(&m).map(|(_, l)| l.fields);
        // `u` is read by INITIAL: only tsyn and Pr could move, and u's
        // write in NET_RECEIVE then still stops merging.
        assert!(lifted.is_none());
    }
}
