//! Which point processes may share their continuous state by
//! superposition ("linear synapse aggregation").
//!
//! Many instances of one synapse mechanism on one node with the same
//! parameters can be integrated as one: if every state update is a linear
//! map of the states (no constant term) whose coefficients are the same
//! for all of them, and every current is a linear combination of the
//! states with such coefficients, then the sum of their states obeys the
//! same update and gives the sum of their currents. The engine then runs
//! the state and current kernels once per group (on a "leader" row holding
//! the summed states) and moves each event's state increment into the
//! leader (see `aggregate`).
//!
//! [`analyse`] proves that from the IR. A value is classified as
//! - `Zero`: exactly zero in real arithmetic (`-0/(-1/tau)`, cnexp's
//!   steady state of a decay);
//! - `Uniform`: the same for every instance of a group at every moment:
//!   constants, `t`, `dt`, `celsius`, globals, node values (`v`, area, ion
//!   variables), and fields nothing writes after INITIAL (these become the
//!   group key, [`Linearity::keys`]);
//! - `Linear`: a homogeneous linear combination of states with `Uniform`
//!   coefficients;
//! - `Bad`: anything else (products of states, a state plus a constant,
//!   per-instance values that events change, random numbers).
//!
//! The conditions: (a) the state kernel assigns each state a `Linear`
//! value; (b) the current kernel accumulates only `Linear` values into the
//! matrix and ion currents, and every branch condition in both kernels is
//! `Uniform`; (c) NET_RECEIVE touches a state only as `s = s + e` or
//! `s = s - e` where `e` reads no state and no field the state and current
//! kernels write (unless NET_RECEIVE assigned it first), activates no WATCH
//! and writes no global; (d) no BEFORE/AFTER blocks, WATCH conditions,
//! array fields or POINTERs. Initial states need not be zero: their sum is
//! the leader's start value.

use std::collections::BTreeSet;

use crate::ir::{
    BinOp, Expr, FieldId, FieldKind, FuncId, Kernel, KernelKind, MechKind, Mechanism, NodeArray,
    Place, Stmt, UnOp,
};

/// What the analysis found for a mechanism whose instances may share state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Linearity {
    /// Non-state fields the state and current kernels read that nothing
    /// writes after INITIAL: instances share state only when these are
    /// equal (and they sit on the same node).
    pub keys: Vec<FieldId>,
    /// The STATE fields (summed in the leader).
    pub states: Vec<FieldId>,
    /// Fields the state and current kernels write (their values live in
    /// the leader's row; states included).
    pub kernel_written: Vec<FieldId>,
    /// When NET_RECEIVE may run on the leader's row instead of the
    /// instance's (see [`on_leader`]): the other fields it reads, which
    /// must be equal within a group for that.
    pub event_reads: Option<Vec<FieldId>>,
}

/// Why a mechanism's instances may not share state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotLinear(pub String);

impl std::fmt::Display for NotLinear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn no<T>(why: impl Into<String>) -> Result<T, NotLinear> {
    Err(NotLinear(why.into()))
}

/// Classes of values (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Zero,
    Uniform,
    Linear,
    Bad,
}

use Class::{Bad, Linear, Uniform, Zero};

impl Class {
    /// The class of a value that is `self` on one path and `other` on
    /// another.
    fn join(self, other: Class) -> Class {
        match (self, other) {
            (a, b) if a == b => a,
            (Zero, x) | (x, Zero) => x,
            _ => Bad,
        }
    }

    fn uniform(self) -> bool {
        matches!(self, Zero | Uniform)
    }

    fn homogeneous(self) -> bool {
        matches!(self, Zero | Linear)
    }
}

/// Proves (or refutes) that instances of `mech` may share state.
pub fn analyse(mech: &Mechanism) -> Result<Linearity, NotLinear> {
    if mech.kind != MechKind::PointProcess {
        return no("not a POINT_PROCESS");
    }
    if !mech.watches.is_empty() {
        return no("has WATCH conditions");
    }
    if let Some(f) = mech.fields.iter().find(|f| f.len > 1) {
        return no(format!("array field `{}`", f.name));
    }
    if let Some(f) = mech.fields.iter().find(|f| f.kind == FieldKind::Pointer) {
        return no(format!("POINTER `{}`", f.name));
    }
    let states: Vec<FieldId> = mech
        .fields_with_ids()
        .filter(|(_, f)| f.kind == FieldKind::State)
        .map(|(id, _)| id)
        .collect();
    if states.is_empty() {
        return no("has no STATE");
    }
    let kernel = |kind: KernelKind| mech.kernels.iter().find(|k| k.kind == kind);
    for k in &mech.kernels {
        if matches!(k.kind, KernelKind::Before(_) | KernelKind::After(_)) {
            return no("has BEFORE/AFTER blocks");
        }
    }
    let Some(net_receive) = kernel(KernelKind::NetReceive) else {
        return no("has no NET_RECEIVE block");
    };
    let mut sc_written = BTreeSet::new();
    let mut event_written = BTreeSet::new();
    for k in &mech.kernels {
        let set = match k.kind {
            KernelKind::State | KernelKind::Current => &mut sc_written,
            KernelKind::NetReceive | KernelKind::NetReceiveInit => &mut event_written,
            _ => continue,
        };
        written_fields(mech, &k.body, set, 0);
    }
    let mut a = Analysis {
        mech,
        sc_written: &sc_written,
        event_written: &event_written,
        keys: BTreeSet::new(),
        fields: Vec::new(),
        locals: Vec::new(),
        depth: 0,
    };
    for kind in [KernelKind::State, KernelKind::Current] {
        if let Some(k) = kernel(kind) {
            a.kernel(k)
                .map_err(|NotLinear(why)| NotLinear(format!("{kind:?} kernel: {why}")))?;
        }
    }
    let keys: Vec<FieldId> = a.keys.iter().copied().collect();
    let mut ev = EventCheck {
        mech,
        sc_written: &sc_written,
        assigned: BTreeSet::new(),
        depth: 0,
    };
    ev.stmts(&net_receive.body)
        .map_err(|NotLinear(why)| NotLinear(format!("NET_RECEIVE: {why}")))?;
    let event_reads = on_leader(mech, &net_receive.body, &sc_written, &event_written);
    Ok(Linearity {
        keys,
        states,
        kernel_written: sc_written.into_iter().collect(),
        event_reads,
    })
}

/// Whether NET_RECEIVE (`body`, already checked by `EventCheck`) gives the
/// same leader states run on the leader's row as run on the instance's
/// row (whose states are zero) with the increment then added to the
/// leader: each state is incremented by at most one statement
/// (`s = s + e`: `l + (0 + e)` is `l + e`, `l + (0 - e)` is `l - e`), no
/// other field is written, no function is called, no event is sent, and
/// the fields read are states or fields no kernel writes after INITIAL.
/// Returns those other fields read (None when it does not qualify).
pub fn on_leader(
    mech: &Mechanism,
    body: &[Stmt],
    sc_written: &BTreeSet<FieldId>,
    event_written: &BTreeSet<FieldId>,
) -> Option<Vec<FieldId>> {
    struct Check<'a> {
        mech: &'a Mechanism,
        fixed: &'a dyn Fn(FieldId) -> bool,
        incremented: BTreeSet<FieldId>,
        reads: BTreeSet<FieldId>,
    }
    impl Check<'_> {
        fn is_state(&self, f: FieldId) -> bool {
            self.mech.field(f).map(|x| &x.kind) == Some(&FieldKind::State)
        }
        fn expr(&mut self, e: &Expr) -> bool {
            match e {
                Expr::Const(_) => true,
                Expr::Load(Place::Field(f, None)) => {
                    if self.is_state(*f) {
                        return true;
                    }
                    if (self.fixed)(*f) {
                        self.reads.insert(*f);
                        return true;
                    }
                    false
                }
                Expr::Load(Place::Field(_, Some(_)) | Place::GlobalArray(..)) => false,
                Expr::Load(_) => true,
                Expr::Unary(_, a) => self.expr(a),
                Expr::Binary(_, a, b) => self.expr(a) && self.expr(b),
                Expr::Math(_, args) => args.iter().all(|a| self.expr(a)),
                Expr::Call(..) | Expr::Builtin(..) | Expr::FunctionTable(..) => false,
            }
        }
        fn stmts(&mut self, body: &[Stmt]) -> bool {
            body.iter().all(|s| self.stmt(s))
        }
        fn stmt(&mut self, s: &Stmt) -> bool {
            match s {
                Stmt::Assign(Place::Field(f, None), e) if self.is_state(*f) => {
                    self.incremented.insert(*f) && self.expr(e)
                }
                Stmt::Assign(Place::Field(f, None), e) => {
                    // The instance's copy of v: nothing reads it back here.
                    self.mech.field(*f).map(|x| &x.kind) == Some(&FieldKind::Voltage)
                        && self.expr(e)
                }
                Stmt::Assign(Place::Local(_) | Place::NetArg(_), e)
                | Stmt::Accumulate(Place::Local(_) | Place::NetArg(_), e) => self.expr(e),
                Stmt::If {
                    cond,
                    then,
                    otherwise,
                } => self.expr(cond) && self.stmts(then) && self.stmts(otherwise),
                _ => false,
            }
        }
    }
    let fixed = |f: FieldId| {
        mech.field(f).is_some_and(|x| {
            matches!(x.kind, FieldKind::Parameter | FieldKind::Assigned) && x.len == 1
        }) && !sc_written.contains(&f)
            && !event_written.contains(&f)
    };
    let mut check = Check {
        mech,
        fixed: &fixed,
        incremented: BTreeSet::new(),
        reads: BTreeSet::new(),
    };
    check.stmts(body).then(|| check.reads.into_iter().collect())
}

/// Adds every field `body` (and the functions it calls) assigns to `out`.
fn written_fields(mech: &Mechanism, body: &[Stmt], out: &mut BTreeSet<FieldId>, depth: usize) {
    fn expr(mech: &Mechanism, e: &Expr, out: &mut BTreeSet<FieldId>, depth: usize) {
        match e {
            Expr::Call(f, args) => {
                if depth < 16
                    && let Some(func) = mech.functions.get(f.index())
                {
                    written_fields(mech, &func.body, out, depth + 1);
                }
                for a in args {
                    expr(mech, a, out, depth);
                }
            }
            Expr::Unary(_, a) => expr(mech, a, out, depth),
            Expr::Binary(_, a, b) => {
                expr(mech, a, out, depth);
                expr(mech, b, out, depth);
            }
            Expr::Math(_, args) | Expr::Builtin(_, args) | Expr::FunctionTable(_, args) => {
                for a in args {
                    expr(mech, a, out, depth);
                }
            }
            Expr::Const(_) | Expr::Load(_) => {}
        }
    }
    for s in body {
        match s {
            Stmt::Assign(p, e) | Stmt::Accumulate(p, e) => {
                if let Place::Field(f, _) = p {
                    out.insert(*f);
                }
                expr(mech, e, out, depth);
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                expr(mech, cond, out, depth);
                written_fields(mech, then, out, depth);
                written_fields(mech, otherwise, out, depth);
            }
            Stmt::While { cond, body } => {
                expr(mech, cond, out, depth);
                written_fields(mech, body, out, depth);
            }
            Stmt::Eval(e) | Stmt::NetEvent(e) | Stmt::NetMove(e) => expr(mech, e, out, depth),
            Stmt::NetSend { delay, flag } => {
                expr(mech, delay, out, depth);
                expr(mech, flag, out, depth);
            }
            Stmt::Print { args, .. } => {
                for a in args {
                    expr(mech, a, out, depth);
                }
            }
            Stmt::WatchOn { flag, .. } => expr(mech, flag, out, depth),
            _ => {}
        }
    }
}

/// The class analysis of the state and current kernels.
struct Analysis<'a> {
    mech: &'a Mechanism,
    sc_written: &'a BTreeSet<FieldId>,
    event_written: &'a BTreeSet<FieldId>,
    keys: BTreeSet<FieldId>,
    /// Class of each field after an assignment in this kernel (None: not
    /// assigned yet, the value from before the kernel).
    fields: Vec<Option<Class>>,
    /// Class of each local (None: not assigned yet).
    locals: Vec<Option<Class>>,
    depth: usize,
}

impl Analysis<'_> {
    fn kernel(&mut self, k: &Kernel) -> Result<(), NotLinear> {
        self.fields = vec![None; self.mech.fields.len()];
        self.locals = vec![None; k.locals.len()];
        self.stmts(&k.body)
    }

    /// The class of field `f`'s value from before the kernel.
    fn initial(&mut self, f: FieldId) -> Class {
        let Some(field) = self.mech.field(f) else {
            return Bad;
        };
        if field.kind == FieldKind::State {
            Linear
        } else if self.event_written.contains(&f) || self.sc_written.contains(&f) {
            // Per-instance values events change, or values carried over
            // from the previous step.
            Bad
        } else {
            self.keys.insert(f);
            Uniform
        }
    }

    fn field(&mut self, f: FieldId) -> Class {
        match self.fields.get(f.index()).copied().flatten() {
            Some(c) => c,
            None => self.initial(f),
        }
    }

    fn expr(&mut self, e: &Expr) -> Class {
        match e {
            Expr::Const(x) => {
                if *x == 0.0 {
                    Zero
                } else {
                    Uniform
                }
            }
            Expr::Load(p) => self.load(p),
            Expr::Unary(UnOp::Neg, a) => self.expr(a),
            Expr::Unary(UnOp::Not, a) => {
                if self.expr(a).uniform() {
                    Uniform
                } else {
                    Bad
                }
            }
            Expr::Binary(op, a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                binary(*op, a, b)
            }
            Expr::Math(_, args) => {
                let all = args.iter().all(|a| self.expr(a).uniform());
                if all { Uniform } else { Bad }
            }
            Expr::Call(f, args) => self.call(*f, args),
            Expr::Builtin(..) | Expr::FunctionTable(..) => Bad,
        }
    }

    fn load(&mut self, p: &Place) -> Class {
        match p {
            Place::Field(f, None) => self.field(*f),
            Place::Field(_, Some(_)) => Bad,
            Place::Global(_) | Place::Shared(_) | Place::Ion(..) => Uniform,
            Place::Local(l) => self.locals.get(l.index()).copied().flatten().unwrap_or(Bad),
            Place::Node(NodeArray::V | NodeArray::Area | NodeArray::Diam) => Uniform,
            Place::Node(NodeArray::Rhs | NodeArray::Diag) => Bad,
            Place::GlobalArray(_, index) => {
                if self.expr(index).uniform() {
                    Uniform
                } else {
                    Bad
                }
            }
            Place::NetArg(_) => Bad,
        }
    }

    /// A FUNCTION/PROCEDURE call, analysed as if inlined.
    fn call(&mut self, f: FuncId, args: &[Expr]) -> Class {
        let classes: Vec<Class> = args.iter().map(|a| self.expr(a)).collect();
        let Some(func) = self.mech.functions.get(f.index()) else {
            return Bad;
        };
        if self.depth >= 16 {
            return Bad;
        }
        let mut locals = vec![None; func.locals.len().max(func.params)];
        for (slot, c) in locals.iter_mut().zip(&classes) {
            *slot = Some(*c);
        }
        let saved = std::mem::replace(&mut self.locals, locals);
        self.depth += 1;
        let ok = self.stmts(&func.body);
        self.depth -= 1;
        let result = self
            .locals
            .get(func.result.index())
            .copied()
            .flatten()
            .unwrap_or(if func.returns_value { Bad } else { Zero });
        self.locals = saved;
        match ok {
            Ok(()) => result,
            Err(_) => Bad,
        }
    }

    fn stmts(&mut self, body: &[Stmt]) -> Result<(), NotLinear> {
        for s in body {
            self.stmt(s)?;
        }
        Ok(())
    }

    fn name(&self, f: FieldId) -> &str {
        self.mech.field(f).map_or("?", |x| x.name.as_str())
    }

    fn stmt(&mut self, s: &Stmt) -> Result<(), NotLinear> {
        match s {
            Stmt::Assign(p, e) => {
                let c = self.expr(e);
                match p {
                    Place::Field(f, None) => {
                        let is_state =
                            self.mech.field(*f).map(|x| &x.kind) == Some(&FieldKind::State);
                        if is_state && !c.homogeneous() {
                            return no(format!(
                                "state `{}` is not updated by a linear map of the states",
                                self.name(*f)
                            ));
                        }
                        if let Some(slot) = self.fields.get_mut(f.index()) {
                            *slot = Some(c);
                        }
                    }
                    Place::Local(l) => {
                        if let Some(slot) = self.locals.get_mut(l.index()) {
                            *slot = Some(c);
                        }
                    }
                    _ => return no("writes a value shared beyond the instance"),
                }
            }
            Stmt::Accumulate(p, e) => {
                let c = self.expr(e);
                match p {
                    Place::Node(NodeArray::Rhs | NodeArray::Diag) | Place::Ion(..) => {
                        if !c.homogeneous() {
                            return no("a current is not linear in the states");
                        }
                    }
                    Place::Local(l) => {
                        let old = self.locals.get(l.index()).copied().flatten().unwrap_or(Bad);
                        if let Some(slot) = self.locals.get_mut(l.index()) {
                            *slot = Some(binary(BinOp::Add, old, c));
                        }
                    }
                    _ => return no("accumulates into a value shared beyond the instance"),
                }
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                if !self.expr(cond).uniform() {
                    return no("a condition depends on the states or on per-instance values");
                }
                let (f0, l0) = (self.fields.clone(), self.locals.clone());
                self.stmts(then)?;
                let (f1, l1) = (
                    std::mem::replace(&mut self.fields, f0),
                    std::mem::replace(&mut self.locals, l0),
                );
                self.stmts(otherwise)?;
                for (f, other) in f1.into_iter().enumerate() {
                    let here = self.fields[f];
                    if here != other {
                        let a = match here {
                            Some(c) => c,
                            None => self.initial(FieldId::new(f)),
                        };
                        let b = match other {
                            Some(c) => c,
                            None => self.initial(FieldId::new(f)),
                        };
                        self.fields[f] = Some(a.join(b));
                    }
                }
                for (l, other) in l1.into_iter().enumerate() {
                    let here = self.locals[l];
                    if here != other {
                        let join = match (here, other) {
                            (Some(a), Some(b)) => a.join(b),
                            _ => Bad,
                        };
                        self.locals[l] = Some(join);
                    }
                }
            }
            Stmt::Eval(e) => {
                if self.expr(e) == Bad {
                    return no("calls a procedure that is not linear");
                }
            }
            Stmt::While { .. } => return no("has a loop"),
            Stmt::Return => return no("returns early"),
            Stmt::NetSend { .. } | Stmt::NetEvent(_) | Stmt::NetMove(_) | Stmt::WatchOn { .. } => {
                return no("sends events");
            }
            Stmt::Print { .. } => return no("prints"),
            _ => return no("has an unsolved statement"),
        }
        Ok(())
    }
}

fn binary(op: BinOp, a: Class, b: Class) -> Class {
    match op {
        BinOp::Add | BinOp::Sub => match (a, b) {
            (Zero, x) | (x, Zero) => x,
            (Uniform, Uniform) => Uniform,
            (Linear, Linear) => Linear,
            _ => Bad,
        },
        BinOp::Mul => match (a, b) {
            (Zero, _) | (_, Zero) => Zero,
            (Uniform, Uniform) => Uniform,
            (Uniform, Linear) | (Linear, Uniform) => Linear,
            _ => Bad,
        },
        BinOp::Div => match (a, b) {
            (Zero, _) => Zero,
            (x, y) if y.uniform() && x != Bad => x,
            _ => Bad,
        },
        _ => {
            if a.uniform() && b.uniform() {
                Uniform
            } else {
                Bad
            }
        }
    }
}

/// The NET_RECEIVE check (condition (c)).
struct EventCheck<'a> {
    mech: &'a Mechanism,
    sc_written: &'a BTreeSet<FieldId>,
    /// Fields definitely assigned so far in this body.
    assigned: BTreeSet<FieldId>,
    depth: usize,
}

impl EventCheck<'_> {
    fn is_state(&self, f: FieldId) -> bool {
        self.mech.field(f).map(|x| &x.kind) == Some(&FieldKind::State)
    }

    fn name(&self, f: FieldId) -> &str {
        self.mech.field(f).map_or("?", |x| x.name.as_str())
    }

    /// `e` reads no state, and no field the state/current kernels write
    /// unless this body assigned it first.
    fn reads_ok(&mut self, e: &Expr) -> Result<(), NotLinear> {
        match e {
            Expr::Const(_) => Ok(()),
            Expr::Load(p) => self.place_ok(p),
            Expr::Unary(_, a) => self.reads_ok(a),
            Expr::Binary(_, a, b) => {
                self.reads_ok(a)?;
                self.reads_ok(b)
            }
            Expr::Math(_, args) | Expr::Builtin(_, args) | Expr::FunctionTable(_, args) => {
                args.iter().try_for_each(|a| self.reads_ok(a))
            }
            Expr::Call(f, args) => {
                args.iter().try_for_each(|a| self.reads_ok(a))?;
                let Some(func) = self.mech.functions.get(f.index()) else {
                    return no("calls an unknown function");
                };
                if self.depth >= 16 {
                    return no("calls functions too deeply");
                }
                self.depth += 1;
                let r = self.stmts(&func.body);
                self.depth -= 1;
                r
            }
        }
    }

    fn place_ok(&mut self, p: &Place) -> Result<(), NotLinear> {
        match p {
            Place::Field(f, index) => {
                if let Some(i) = index {
                    self.reads_ok(i)?;
                }
                if self.is_state(*f) {
                    return no(format!("reads state `{}`", self.name(*f)));
                }
                if self.sc_written.contains(f) && !self.assigned.contains(f) {
                    return no(format!(
                        "reads `{}`, which the state or current kernel computes",
                        self.name(*f)
                    ));
                }
                Ok(())
            }
            Place::GlobalArray(_, i) => self.reads_ok(i),
            Place::Node(NodeArray::Rhs | NodeArray::Diag) => no("reads the matrix"),
            _ => Ok(()),
        }
    }

    fn stmts(&mut self, body: &[Stmt]) -> Result<(), NotLinear> {
        for s in body {
            self.stmt(s)?;
        }
        Ok(())
    }

    fn stmt(&mut self, s: &Stmt) -> Result<(), NotLinear> {
        match s {
            Stmt::Assign(Place::Field(f, None), e) if self.is_state(*f) => {
                let inc = match e {
                    Expr::Binary(BinOp::Add, a, b) => match (&**a, &**b) {
                        (Expr::Load(Place::Field(g, None)), inc) if g == f => inc,
                        (inc, Expr::Load(Place::Field(g, None))) if g == f => inc,
                        _ => return self.not_increment(*f),
                    },
                    Expr::Binary(BinOp::Sub, a, inc) => match &**a {
                        Expr::Load(Place::Field(g, None)) if g == f => inc,
                        _ => return self.not_increment(*f),
                    },
                    _ => return self.not_increment(*f),
                };
                self.reads_ok(inc)
            }
            Stmt::Assign(p, e) => {
                self.reads_ok(e)?;
                match p {
                    Place::Field(f, index) => {
                        if let Some(i) = index {
                            self.reads_ok(i)?;
                        } else {
                            self.assigned.insert(*f);
                        }
                        Ok(())
                    }
                    Place::Local(_) | Place::NetArg(_) => Ok(()),
                    _ => no("writes a value shared beyond the instance"),
                }
            }
            Stmt::Accumulate(p, e) => {
                self.reads_ok(e)?;
                match p {
                    Place::Local(_) | Place::NetArg(_) => Ok(()),
                    _ => no("accumulates into a value shared beyond the instance"),
                }
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                self.reads_ok(cond)?;
                let before = self.assigned.clone();
                self.stmts(then)?;
                let after_then = std::mem::replace(&mut self.assigned, before);
                self.stmts(otherwise)?;
                self.assigned = self.assigned.intersection(&after_then).copied().collect();
                Ok(())
            }
            Stmt::While { cond, body } => {
                self.reads_ok(cond)?;
                let before = self.assigned.clone();
                self.stmts(body)?;
                self.assigned = before;
                Ok(())
            }
            Stmt::Eval(e) | Stmt::NetEvent(e) | Stmt::NetMove(e) => self.reads_ok(e),
            Stmt::NetSend { delay, flag } => {
                self.reads_ok(delay)?;
                self.reads_ok(flag)
            }
            Stmt::Print { args, .. } => args.iter().try_for_each(|a| self.reads_ok(a)),
            Stmt::Return => Ok(()),
            Stmt::WatchOn { .. } => no("activates a WATCH"),
            _ => no("has an unsolved statement"),
        }
    }

    fn not_increment(&self, f: FieldId) -> Result<(), NotLinear> {
        no(format!(
            "changes state `{}` other than by adding an amount",
            self.name(f)
        ))
    }
}

/// True when `mech` draws random numbers anywhere (kernels, functions,
/// WATCH conditions).
pub(crate) fn draws_random(mech: &Mechanism) -> bool {
    fn expr(e: &Expr) -> bool {
        match e {
            Expr::Builtin(..) => true,
            Expr::Const(_) | Expr::Load(_) => false,
            Expr::Unary(_, a) => expr(a),
            Expr::Binary(_, a, b) => expr(a) || expr(b),
            Expr::Math(_, args) | Expr::Call(_, args) | Expr::FunctionTable(_, args) => {
                args.iter().any(expr)
            }
        }
    }
    fn stmts(body: &[Stmt]) -> bool {
        body.iter().any(|s| match s {
            Stmt::Assign(_, e)
            | Stmt::Accumulate(_, e)
            | Stmt::Eval(e)
            | Stmt::NetEvent(e)
            | Stmt::NetMove(e) => expr(e),
            Stmt::If {
                cond,
                then,
                otherwise,
            } => expr(cond) || stmts(then) || stmts(otherwise),
            Stmt::While { cond, body } => expr(cond) || stmts(body),
            Stmt::NetSend { delay, flag } => expr(delay) || expr(flag),
            Stmt::Print { args, .. } => args.iter().any(expr),
            Stmt::WatchOn { flag, .. } => expr(flag),
            _ => false,
        })
    }
    mech.kernels.iter().any(|k| stmts(&k.body))
        || mech.functions.iter().any(|f| stmts(&f.body))
        || mech.watches.iter().any(expr)
}
