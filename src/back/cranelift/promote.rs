//! Field promotion: which values of a kernel live in Cranelift variables
//! (registers) for the length of one instance instead of in memory.
//!
//! Cranelift cannot forward a stored field to a later load across the
//! other stores of a kernel, so every `m` in `gbar*m*m*m*h` would be a
//! load. A promoted field is loaded once at the start of the instance
//! (only when the kernel may read it before assigning it), assignments
//! redefine its variable, and it is stored back once when the instance
//! ends, only when written and someone may read it later
//! ([`crate::ir::opt::Specialized::persistent`]). Calls that may touch
//! fields in memory (functions that are not inlined, engine services) are
//! barriers: written fields are stored before and every promoted value is
//! reloaded after. The arithmetic is untouched, so results keep every bit.

use std::collections::BTreeSet;

use super::uses::Uses;
use crate::ir::{BinOp, Expr, FieldId, FieldKind, GlobalId, IonId, Mechanism, Place, Stmt};

/// What one kernel keeps in variables.
#[derive(Debug, Default)]
pub(super) struct Promotion {
    /// Promoted fields: accessed without an index only, not POINTERs.
    pub fields: BTreeSet<FieldId>,
    /// Promoted fields loaded when an instance starts: those some path
    /// may read (or store back) before assigning them.
    pub load: BTreeSet<FieldId>,
    /// Promoted fields the kernel assigns: stored before a barrier.
    pub written: BTreeSet<FieldId>,
    /// Promoted fields stored back when an instance ends: written and
    /// persistent.
    pub store: BTreeSet<FieldId>,
    /// Node arrays (by slot) the kernel reads and never writes: loaded once
    /// per instance.
    pub nodes: BTreeSet<usize>,
    /// Ion variables the kernel reads and never writes: loaded once per
    /// instance.
    pub ions: BTreeSet<(IonId, String)>,
    /// Scalar globals the kernel accesses: loaded once before the instance
    /// loop and carried through it (instance after instance, as in memory).
    pub globals: BTreeSet<GlobalId>,
    /// Scalar globals the kernel assigns: stored after the loop and before
    /// a barrier.
    pub written_globals: BTreeSet<GlobalId>,
}

impl Promotion {
    /// The promotion plan of a kernel `body` whose uses (inlined functions
    /// included) are `uses`; `inline` gives the inlined bodies and
    /// `persistent` the fields that must reach memory when written.
    pub fn plan(
        mech: &Mechanism,
        body: &[Stmt],
        uses: &Uses,
        inline: &[Option<&[Stmt]>],
        persistent: &BTreeSet<FieldId>,
    ) -> Promotion {
        let fields: BTreeSet<FieldId> = uses
            .fields
            .iter()
            .copied()
            .filter(|id| {
                !uses.indexed.contains(id)
                    && mech
                        .fields
                        .get(id.index())
                        .is_some_and(|f| f.kind != FieldKind::Pointer)
            })
            .collect();
        let written: BTreeSet<FieldId> = uses.written.intersection(&fields).copied().collect();
        let store: BTreeSet<FieldId> = written.intersection(persistent).copied().collect();
        let mut walk = Definite {
            inline,
            promoted: &fields,
            written: &written,
            store: &store,
            need: BTreeSet::new(),
            returns: Vec::new(),
        };
        let mut state = Some(BTreeSet::new());
        walk.body(&mut state, body);
        walk.end_instance(&state);
        let load = walk.need;
        Promotion {
            nodes: uses
                .nodes
                .difference(&uses.written_nodes)
                .copied()
                .collect(),
            ions: uses.ions.difference(&uses.written_ions).cloned().collect(),
            globals: uses
                .globals
                .iter()
                .copied()
                .filter(|&g| g.index() < mech.globals.len())
                .collect(),
            written_globals: uses
                .written_globals
                .iter()
                .copied()
                .filter(|&g| g.index() < mech.globals.len())
                .collect(),
            fields,
            load,
            written,
            store,
        }
    }
}

/// Promoted fields certainly assigned on every path to a point of the
/// kernel; `None` where no path reaches (after a `Return`).
type State = Option<BTreeSet<FieldId>>;

/// Definite-assignment walk in the translator's evaluation order: records
/// every promoted field some path may need before assigning it.
struct Definite<'a> {
    inline: &'a [Option<&'a [Stmt]>],
    promoted: &'a BTreeSet<FieldId>,
    written: &'a BTreeSet<FieldId>,
    store: &'a BTreeSet<FieldId>,
    /// Fields to load when the instance starts.
    need: BTreeSet<FieldId>,
    /// States at the `Return`s of the inlined bodies being walked
    /// (innermost last); empty at kernel level.
    returns: Vec<Vec<State>>,
}

fn meet(a: State, b: State) -> State {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(a.intersection(&b).copied().collect()),
    }
}

impl Definite<'_> {
    fn read(&mut self, state: &State, id: FieldId) {
        if let Some(defined) = state
            && self.promoted.contains(&id)
            && !defined.contains(&id)
        {
            self.need.insert(id);
        }
    }

    fn define(&mut self, state: &mut State, id: FieldId) {
        if let Some(defined) = state
            && self.promoted.contains(&id)
        {
            defined.insert(id);
        }
    }

    /// The instance ends here: stored fields are read.
    fn end_instance(&mut self, state: &State) {
        for &id in self.store {
            self.read(state, id);
        }
    }

    /// A call that may touch memory: written fields are stored before it,
    /// every promoted field is reloaded after it.
    fn barrier(&mut self, state: &mut State) {
        for &id in self.written {
            self.read(state, id);
        }
        if let Some(defined) = state {
            defined.extend(self.promoted.iter().copied());
        }
    }

    fn body(&mut self, state: &mut State, body: &[Stmt]) {
        for stmt in body {
            self.stmt(state, stmt);
        }
    }

    fn index(&mut self, state: &mut State, place: &Place) {
        if let Place::Field(_, Some(e)) | Place::GlobalArray(_, e) = place {
            self.expr(state, e);
        }
    }

    fn stmt(&mut self, state: &mut State, stmt: &Stmt) {
        match stmt {
            Stmt::Assign(place, value) => {
                self.expr(state, value);
                self.index(state, place);
                if let Place::Field(id, None) = place {
                    self.define(state, *id);
                }
            }
            Stmt::Accumulate(place, value) => {
                self.expr(state, value);
                self.index(state, place);
                if let Place::Field(id, None) = place {
                    self.read(state, *id);
                    self.define(state, *id);
                }
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(state, cond);
                let mut a = state.clone();
                self.body(&mut a, then);
                let mut b = state.clone();
                self.body(&mut b, otherwise);
                *state = meet(a, b);
            }
            Stmt::While { cond, body } => {
                // The body may not run; later iterations only know more.
                self.expr(state, cond);
                let mut inner = state.clone();
                self.body(&mut inner, body);
            }
            Stmt::Eval(e) => self.expr(state, e),
            Stmt::NetEvent(e) | Stmt::NetMove(e) => {
                self.expr(state, e);
                self.barrier(state);
            }
            Stmt::NetSend { delay, flag } => {
                self.expr(state, delay);
                self.expr(state, flag);
                self.barrier(state);
            }
            Stmt::WatchOn { flag, .. } => {
                self.expr(state, flag);
                self.barrier(state);
            }
            Stmt::Print { args, .. } => {
                args.iter().for_each(|a| self.expr(state, a));
                self.barrier(state);
            }
            Stmt::Return => {
                match self.returns.last_mut() {
                    Some(exits) => exits.push(state.clone()),
                    None => self.end_instance(state),
                }
                *state = None;
            }
            _ => {}
        }
    }

    fn expr(&mut self, state: &mut State, e: &Expr) {
        match e {
            Expr::Const(_) => {}
            Expr::Load(place) => {
                self.index(state, place);
                if let Place::Field(id, None) = place {
                    self.read(state, *id);
                }
            }
            Expr::Unary(_, a) => self.expr(state, a),
            Expr::Binary(BinOp::And | BinOp::Or, a, b) => {
                // The right operand may not run: its assignments count for
                // nothing after the operator.
                self.expr(state, a);
                let mut maybe = state.clone();
                self.expr(&mut maybe, b);
            }
            Expr::Binary(_, a, b) => {
                self.expr(state, a);
                self.expr(state, b);
            }
            Expr::Call(id, args) => {
                args.iter().for_each(|a| self.expr(state, a));
                match self.inline.get(id.index()).copied().flatten() {
                    Some(body) => {
                        self.returns.push(Vec::new());
                        self.body(state, body);
                        let exits = self.returns.pop().unwrap_or_default();
                        for exit in exits {
                            *state = meet(state.take(), exit);
                        }
                    }
                    None => self.barrier(state),
                }
            }
            Expr::Math(_, args) => args.iter().for_each(|a| self.expr(state, a)),
            Expr::Builtin(_, args) | Expr::FunctionTable(_, args) => {
                args.iter().for_each(|a| self.expr(state, a));
                self.barrier(state);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceMap;
    use crate::ir::KernelKind;

    const SOURCE: &str = "
NEURON {
    SUFFIX promo
    NONSPECIFIC_CURRENT i
    RANGE a, b, c, g, w
    GLOBAL q
}
PARAMETER { g = 1 }
ASSIGNED { v (mV) i a b c w q }
BREAKPOINT {
    if (v > 0) {
        a = 1
        b = 2
    } else {
        b = 3
    }
    c = b + g
    w = 5
    q = q + 1
    i = c*v
}
";

    fn plan(persistent: impl Fn(&str) -> bool) -> (Mechanism, Promotion) {
        let mut map = SourceMap::new();
        let outcome = crate::driver::pipeline::compile_source(&mut map, "promo.mod", SOURCE);
        let mech = outcome.mechanism.expect("test source compiles");
        let kernel = mech
            .kernels
            .iter()
            .find(|k| k.kind == KernelKind::Current)
            .expect("a current kernel");
        let uses = Uses::of(&kernel.body, &[], &[]);
        let persistent = FieldId::all(mech.fields.len())
            .filter(|&id| persistent(&mech.fields[id].name))
            .collect();
        let plan = Promotion::plan(&mech, &kernel.body, &uses, &[], &persistent);
        (mech, plan)
    }

    fn names(mech: &Mechanism, ids: &BTreeSet<FieldId>) -> Vec<String> {
        let mut names: Vec<String> = ids.iter().map(|&id| mech.fields[id].name.clone()).collect();
        names.sort();
        names
    }

    #[test]
    fn loads_what_some_path_reads_or_stores_before_assigning() {
        let (mech, plan) = plan(|_| true);
        // `a` is assigned on one branch only but stored at the end: load
        // it; `g` is read; `b`, `c`, `w`, `i`, `v` are assigned first.
        assert_eq!(names(&mech, &plan.load), ["a", "g"]);
        assert_eq!(names(&mech, &plan.store), ["a", "b", "c", "i", "v", "w"]);
        assert_eq!(
            plan.nodes,
            BTreeSet::from([super::super::uses::node_slot(crate::ir::NodeArray::V)])
        );
        let q = mech.globals.iter().position(|g| g.name == "q");
        assert!(q.is_some(), "q is a global");
        assert_eq!(plan.globals, q.into_iter().map(GlobalId::new).collect());
        assert_eq!(plan.written_globals, plan.globals);
    }

    #[test]
    fn fields_nobody_reads_later_are_neither_loaded_nor_stored() {
        let (mech, plan) = plan(|name| name == "i");
        assert_eq!(names(&mech, &plan.load), ["g"]);
        assert_eq!(names(&mech, &plan.store), ["i"]);
        assert_eq!(names(&mech, &plan.written), ["a", "b", "c", "i", "v", "w"]);
    }
}
