//! Common subexpression elimination: a pure subexpression (arithmetic,
//! comparisons, math functions such as `exp`) computed a second time with
//! nothing it reads written in between is computed once, into a new
//! kernel local (`_cse<k>`), and the later occurrences load that local.
//!
//! Results keep every bit: an occurrence is only replaced by the value of
//! an identical expression over identical inputs, and the value's own
//! operations stay as written (nothing is reassociated). The first
//! occurrence moves into an assignment just before its statement; that is
//! safe because it is pure and nothing of the statement that runs before
//! it can write what it reads (statements that call a FUNCTION or
//! PROCEDURE able to write anything are left alone).
//!
//! Availability follows the control flow: a value computed before an
//! `if` or `while` can be reused inside it (for a loop: when the loop
//! writes nothing it reads); a value first computed inside a branch or a
//! loop body is reused only further down that same body; after an `if`
//! or `while`, whatever it may write is forgotten. Occurrences evaluated
//! only sometimes (the right operand of `&&`/`||`, a `while` condition)
//! may reuse a value but never define one. Expressions reading a POINTER
//! (which may alias other memory) are never shared.
//!
//! Only kernel bodies are rewritten, and not those that still hold
//! unsolved statements.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use super::walk;
use crate::ir::{
    BinOp, Expr, FieldId, FieldKind, GlobalId, Kernel, LocalId, Mechanism, Place, Stmt,
};

/// Computes repeated pure subexpressions of every kernel of `mech` once
/// (see the module docs for the rules that keep results bit-identical).
/// Safe to run again after other rewrites.
pub fn eliminate_common(mech: &mut Mechanism) {
    let pointers: BTreeSet<FieldId> = mech
        .fields_with_ids()
        .filter(|(_, f)| f.kind == FieldKind::Pointer)
        .map(|(id, _)| id)
        .collect();
    let write_free = walk::write_free(mech);
    for kernel in &mut mech.kernels {
        if unsolved(&kernel.body) {
            continue;
        }
        let ctx = Ctx {
            pointers: &pointers,
            write_free: &write_free,
        };
        kernel_body(&ctx, kernel);
    }
}

fn unsolved(body: &[Stmt]) -> bool {
    let mut found = false;
    walk::each_stmt(body, &mut |s| {
        found |= matches!(
            s,
            Stmt::Solve { .. }
                | Stmt::Ode { .. }
                | Stmt::Reaction(_)
                | Stmt::Conserve { .. }
                | Stmt::Equation { .. }
        )
    });
    found
}

/// Two passes over the same traversal: the first counts, per defining
/// occurrence, how many later occurrences could reuse it; the second
/// gives each reused one a local and rewrites.
fn kernel_body(ctx: &Ctx<'_>, kernel: &mut Kernel) {
    let mut count = Pass {
        ctx,
        rewrite: false,
        uses: Vec::new(),
        next_def: 0,
        def_local: Vec::new(),
        names: Names::default(),
        locals: &mut kernel.locals,
    };
    count.block(&mut kernel.body, &mut Avail::default());
    if count.uses.iter().all(|&u| u == 0) {
        return;
    }
    let uses = std::mem::take(&mut count.uses);
    let defs = uses.len();
    let mut rewrite = Pass {
        ctx,
        rewrite: true,
        uses,
        next_def: 0,
        def_local: vec![None; defs],
        names: Names::of(&kernel.locals),
        locals: &mut kernel.locals,
    };
    rewrite.block(&mut kernel.body, &mut Avail::default());
}

/// Something an expression reads and a statement may write.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Loc {
    Local(LocalId),
    /// Every element of a field.
    Field(FieldId),
    Global(GlobalId),
    Node(u8),
    /// Every element of a mechanism-wide array.
    GlobalArray(usize),
    /// An ion variable, by name.
    Ion(String),
    Shared(u8),
    NetArg(usize),
}

fn loc(p: &Place) -> Loc {
    match p {
        Place::Local(l) => Loc::Local(*l),
        Place::Field(id, _) => Loc::Field(*id),
        Place::Global(g) => Loc::Global(*g),
        Place::Node(a) => Loc::Node(*a as u8),
        Place::GlobalArray(id, _) => Loc::GlobalArray(*id),
        Place::Ion(_, name) => Loc::Ion(name.clone()),
        Place::Shared(s) => Loc::Shared(*s as u8),
        Place::NetArg(k) => Loc::NetArg(*k),
    }
}

/// An available value: its defining occurrence and what it reads.
#[derive(Clone)]
struct Entry {
    def: usize,
    reads: BTreeSet<Loc>,
}

/// Available values by structural key, with an index from what they read
/// to them (so a write forgets only the values that read what it writes)
/// and an undo log (a branch or loop body adds and forgets values that
/// the code after it must not see: [`Avail::rollback`] to a
/// [`Avail::mark`] undoes them).
#[derive(Default)]
struct Avail {
    entries: HashMap<String, Entry>,
    /// Per location: (defining occurrence, key) of the values that read
    /// it. Lists may hold values since forgotten or replaced: a pair
    /// counts only while its key still maps to that occurrence.
    readers: HashMap<Loc, Vec<(usize, String)>>,
    /// Values that read anything but a local (what a call that may write
    /// anything shared forgets), with the same rule.
    shared: Vec<(usize, String)>,
    /// Per change: the key and the entry it held before.
    undo: Vec<(String, Option<Entry>)>,
}

impl Avail {
    fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    fn index(&mut self, key: &str, e: &Entry) {
        for r in &e.reads {
            self.readers
                .entry(r.clone())
                .or_default()
                .push((e.def, key.to_string()));
        }
        if e.reads.iter().any(|r| !matches!(r, Loc::Local(_))) {
            self.shared.push((e.def, key.to_string()));
        }
    }

    fn insert(&mut self, key: String, e: Entry) {
        self.index(&key, &e);
        let old = self.entries.insert(key.clone(), e);
        self.undo.push((key, old));
    }

    /// Forgets the value `key` if it is still occurrence `def`.
    fn remove(&mut self, def: usize, key: String) {
        if self.entries.get(&key).is_some_and(|e| e.def == def)
            && let Some(old) = self.entries.remove(&key)
        {
            self.undo.push((key, Some(old)));
        }
    }

    /// Forgets every value reading something `w` may write.
    fn forget(&mut self, w: &Writes) {
        for p in &w.places {
            if let Some(list) = self.readers.remove(p) {
                for (def, key) in list {
                    self.remove(def, key);
                }
            }
        }
        if w.anything_shared {
            for (def, key) in std::mem::take(&mut self.shared) {
                self.remove(def, key);
            }
        }
    }

    fn mark(&self) -> usize {
        self.undo.len()
    }

    /// Undoes every change since `mark`.
    fn rollback(&mut self, mark: usize) {
        while self.undo.len() > mark {
            let Some((key, old)) = self.undo.pop() else {
                break;
            };
            match old {
                Some(e) => {
                    self.index(&key, &e);
                    self.entries.insert(key, e);
                }
                None => {
                    self.entries.remove(&key);
                }
            }
        }
    }
}

/// What statements may write: places, and (through calls of functions
/// that may write) anything but the body's own locals.
#[derive(Default)]
struct Writes {
    places: BTreeSet<Loc>,
    anything_shared: bool,
}

struct Ctx<'a> {
    pointers: &'a BTreeSet<FieldId>,
    write_free: &'a [bool],
}

impl Ctx<'_> {
    /// True when evaluating `e` may call a function that writes.
    fn writing_call(&self, e: &Expr) -> bool {
        if let Expr::Call(id, _) = e
            && !self.write_free.get(id.index()).copied().unwrap_or(false)
        {
            return true;
        }
        walk::children(e).into_iter().any(|c| self.writing_call(c))
    }

    /// Everything `body` may write, at any depth.
    fn writes(&self, body: &[Stmt], out: &mut Writes) {
        walk::each_stmt(body, &mut |s| {
            match s {
                Stmt::Assign(p, _) | Stmt::Accumulate(p, _) => {
                    out.places.insert(loc(p));
                }
                Stmt::Ode { state, .. } => {
                    out.places.insert(loc(state));
                }
                _ => {}
            }
            if walk::stmt_exprs(s).iter().any(|e| self.writing_call(e)) {
                out.anything_shared = true;
            }
        });
    }

    /// The key and reads of `e` when it may be shared: an operation (not a
    /// constant or plain load) with no call, engine service or POINTER
    /// load anywhere in it.
    fn shareable(&self, e: &Expr) -> Option<(String, BTreeSet<Loc>)> {
        if !matches!(e, Expr::Unary(..) | Expr::Binary(..) | Expr::Math(..)) {
            return None;
        }
        let mut key = String::new();
        let mut reads = BTreeSet::new();
        self.describe(e, &mut key, &mut reads)
            .then_some((key, reads))
    }

    /// Writes `e`'s structural key into `key` (constants by their bits)
    /// and adds what it reads to `reads`; false when `e` is not pure.
    fn describe(&self, e: &Expr, key: &mut String, reads: &mut BTreeSet<Loc>) -> bool {
        match e {
            Expr::Const(c) => {
                let _ = write!(key, "#{:x}", c.to_bits());
                true
            }
            Expr::Load(p) => {
                if let Place::Field(id, _) = p
                    && self.pointers.contains(id)
                {
                    return false;
                }
                reads.insert(loc(p));
                let _ = write!(key, "{:?}", loc(p));
                match p {
                    Place::Field(_, Some(ix)) | Place::GlobalArray(_, ix) => {
                        key.push('[');
                        let ok = self.describe(ix, key, reads);
                        key.push(']');
                        ok
                    }
                    _ => true,
                }
            }
            Expr::Unary(op, a) => {
                let _ = write!(key, "u{op:?}(");
                let ok = self.describe(a, key, reads);
                key.push(')');
                ok
            }
            Expr::Binary(op, a, b) => {
                let _ = write!(key, "b{op:?}(");
                let ok = self.describe(a, key, reads);
                key.push(',');
                let ok = ok && self.describe(b, key, reads);
                key.push(')');
                ok
            }
            Expr::Math(f, args) => {
                let _ = write!(key, "m{f:?}(");
                for a in args {
                    if !self.describe(a, key, reads) {
                        return false;
                    }
                    key.push(',');
                }
                key.push(')');
                true
            }
            Expr::Call(..) | Expr::Builtin(..) | Expr::FunctionTable(..) => false,
        }
    }
}

struct Pass<'a, 'b> {
    ctx: &'a Ctx<'a>,
    /// False: count reuses; true: rewrite.
    rewrite: bool,
    /// Per defining occurrence (in traversal order): later reuses.
    uses: Vec<usize>,
    next_def: usize,
    /// Per defining occurrence: its local, once assigned (rewrite pass).
    def_local: Vec<Option<LocalId>>,
    /// The names of the new locals.
    names: Names,
    locals: &'b mut Vec<String>,
}

/// Names `_cse<k>` for new locals, each with the lowest `k` whose name no
/// local has yet (found without rescanning the locals for every name: a
/// large KINETIC scheme has tens of thousands of them).
#[derive(Default)]
struct Names {
    taken: std::collections::HashSet<String>,
    next: usize,
}

impl Names {
    fn of(locals: &[String]) -> Names {
        Names {
            taken: locals
                .iter()
                .filter(|n| n.starts_with("_cse"))
                .cloned()
                .collect(),
            next: 0,
        }
    }

    fn fresh(&mut self) -> String {
        loop {
            let name = format!("_cse{}", self.next);
            self.next += 1;
            if self.taken.insert(name.clone()) {
                return name;
            }
        }
    }
}

impl Pass<'_, '_> {
    fn block(&mut self, body: &mut Vec<Stmt>, avail: &mut Avail) {
        let old = std::mem::take(body);
        for mut s in old {
            let mut before = Vec::new();
            self.stmt(&mut s, avail, &mut before);
            body.extend(before);
            body.push(s);
        }
    }

    fn stmt(&mut self, s: &mut Stmt, avail: &mut Avail, before: &mut Vec<Stmt>) {
        match s {
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                self.exprs(vec![cond], avail, before, true);
                let mark = avail.mark();
                self.block(then, avail);
                avail.rollback(mark);
                self.block(otherwise, avail);
                avail.rollback(mark);
                let mut w = Writes::default();
                self.ctx.writes(then, &mut w);
                self.ctx.writes(otherwise, &mut w);
                avail.forget(&w);
            }
            Stmt::While { cond, body } => {
                // Whatever the loop writes differs from one iteration to
                // the next: forget it before looking at the loop.
                let mut w = Writes::default();
                self.ctx.writes(body, &mut w);
                avail.forget(&w);
                self.exprs(vec![cond], avail, before, false);
                let mark = avail.mark();
                self.block(body, avail);
                avail.rollback(mark);
            }
            _ => {
                self.exprs(walk::stmt_exprs_mut(s), avail, before, true);
                let mut w = Writes::default();
                self.ctx.writes(std::slice::from_ref(s), &mut w);
                avail.forget(&w);
                for list in walk::nested_mut(s) {
                    // (Only unsolved statements nest otherwise; those
                    // kernels are skipped.)
                    let mark = avail.mark();
                    self.block(list, avail);
                    avail.rollback(mark);
                }
            }
        }
    }

    /// Visits the expressions one statement evaluates, unless one of them
    /// may call a function that writes (then the statement is left alone;
    /// the caller forgets what the call may change).
    fn exprs(
        &mut self,
        exprs: Vec<&mut Expr>,
        avail: &mut Avail,
        before: &mut Vec<Stmt>,
        define: bool,
    ) {
        if exprs.iter().any(|e| self.ctx.writing_call(e)) {
            let w = Writes {
                places: BTreeSet::new(),
                anything_shared: true,
            };
            avail.forget(&w);
            return;
        }
        for e in exprs {
            self.expr(e, avail, before, define);
        }
    }

    /// Visits `e` outermost first: an available value replaces it whole;
    /// otherwise (when `define`) it becomes available itself, and its
    /// operands are visited.
    fn expr(&mut self, e: &mut Expr, avail: &mut Avail, before: &mut Vec<Stmt>, define: bool) {
        if let Some((key, reads)) = self.ctx.shareable(e) {
            if let Some(entry) = avail.get(&key) {
                let def = entry.def;
                if !self.rewrite {
                    self.uses[def] += 1;
                } else if let Some(Some(l)) = self.def_local.get(def) {
                    *e = Expr::Load(Place::Local(*l));
                }
                return;
            }
            if define {
                let def = self.next_def;
                self.next_def += 1;
                if !self.rewrite {
                    self.uses.push(0);
                }
                avail.insert(key, Entry { def, reads });
                self.operands(e, avail, before, define);
                if self.rewrite && self.uses.get(def).is_some_and(|&u| u > 0) {
                    let l = LocalId::new(self.locals.len());
                    let name = self.names.fresh();
                    self.locals.push(name);
                    if let Some(slot) = self.def_local.get_mut(def) {
                        *slot = Some(l);
                    }
                    let value = std::mem::replace(e, Expr::Load(Place::Local(l)));
                    before.push(Stmt::Assign(Place::Local(l), value));
                }
                return;
            }
        }
        self.operands(e, avail, before, define);
    }

    fn operands(&mut self, e: &mut Expr, avail: &mut Avail, before: &mut Vec<Stmt>, define: bool) {
        if let Expr::Binary(BinOp::And | BinOp::Or, a, b) = e {
            // The right operand runs only sometimes.
            self.expr(a, avail, before, define);
            self.expr(b, avail, before, false);
            return;
        }
        for c in walk::children_mut(e) {
            self.expr(c, avail, before, define);
        }
    }
}
