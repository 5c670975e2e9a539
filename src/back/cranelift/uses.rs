//! What a body touches, so a translated function can load every base
//! pointer it needs once, in its entry block.

use std::collections::BTreeSet;

use crate::ir::{Expr, FieldId, FuncId, GlobalId, IonId, NodeArray, Place, Stmt};

/// Base pointers a body needs (including the bodies of the functions it
/// calls that will be inlined).
#[derive(Default)]
pub(super) struct Uses {
    /// Bodies of inlinable functions by index (`None`: called, not inlined).
    inline: Vec<Option<Vec<Stmt>>>,
    /// Inlined functions already scanned.
    seen: BTreeSet<FuncId>,
    /// Field ids accessed without an index.
    pub fields: BTreeSet<FieldId>,
    /// Node arrays accessed.
    pub nodes: BTreeSet<usize>,
    /// Ion variables accessed, as `(ion, name)`.
    pub ions: BTreeSet<(IonId, String)>,
    /// Global arrays accessed.
    pub arrays: BTreeSet<usize>,
    /// True when any node or ion array is accessed.
    pub node_index: bool,
    /// Field ids accessed with an index somewhere.
    pub indexed: BTreeSet<FieldId>,
    /// Field ids assigned (or accumulated into) without an index.
    pub written: BTreeSet<FieldId>,
    /// Node arrays assigned or accumulated into.
    pub written_nodes: BTreeSet<usize>,
    /// Ion variables assigned or accumulated into.
    pub written_ions: BTreeSet<(IonId, String)>,
    /// Scalar globals accessed.
    pub globals: BTreeSet<GlobalId>,
    /// Scalar globals assigned or accumulated into.
    pub written_globals: BTreeSet<GlobalId>,
    /// True when the body calls something that may read or write fields
    /// in memory: a function that is not inlined or an engine service.
    pub barrier: bool,
}

/// Position of a node array in the ABI's `nodes` field.
pub(super) fn node_slot(which: NodeArray) -> usize {
    match which {
        NodeArray::V => 0,
        NodeArray::Rhs => 1,
        NodeArray::Diag => 2,
        NodeArray::Area => 3,
        NodeArray::Diam => 4,
    }
}

impl Uses {
    /// The uses of `body` (and of `extra` expressions), following calls of
    /// the functions whose bodies `inline` gives.
    pub fn of(body: &[Stmt], extra: &[&Expr], inline: &[Option<&[Stmt]>]) -> Uses {
        let mut uses = Uses {
            inline: inline.iter().map(|b| b.map(<[Stmt]>::to_vec)).collect(),
            ..Uses::default()
        };
        for stmt in body {
            uses.stmt(stmt);
        }
        for e in extra {
            uses.expr(e);
        }
        uses
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Assign(p, e) | Stmt::Accumulate(p, e) => {
                self.place(p);
                self.written_place(p);
                self.expr(e);
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond);
                then.iter().chain(otherwise).for_each(|s| self.stmt(s));
            }
            Stmt::While { cond, body } => {
                self.expr(cond);
                body.iter().for_each(|s| self.stmt(s));
            }
            Stmt::Eval(e) => self.expr(e),
            Stmt::NetEvent(e) | Stmt::NetMove(e) => {
                self.barrier = true;
                self.expr(e);
            }
            Stmt::NetSend { delay, flag } => {
                self.barrier = true;
                self.expr(delay);
                self.expr(flag);
            }
            Stmt::WatchOn { flag, .. } => {
                self.barrier = true;
                self.expr(flag);
            }
            Stmt::Print { args, .. } => {
                self.barrier = true;
                args.iter().for_each(|a| self.expr(a));
            }
            _ => {}
        }
    }

    fn place(&mut self, place: &Place) {
        match place {
            Place::Field(id, None) => {
                self.fields.insert(*id);
            }
            Place::Field(id, Some(e)) => {
                self.indexed.insert(*id);
                self.expr(e);
            }
            Place::GlobalArray(id, e) => {
                self.arrays.insert(*id);
                self.expr(e);
            }
            Place::Node(which) => {
                self.nodes.insert(node_slot(*which));
                self.node_index = true;
            }
            Place::Ion(ion, name) => {
                self.ions.insert((*ion, name.clone()));
                self.node_index = true;
            }
            Place::Global(g) => {
                self.globals.insert(*g);
            }
            Place::Local(_) | Place::Shared(_) | Place::NetArg(_) => {}
        }
    }

    fn written_place(&mut self, place: &Place) {
        match place {
            Place::Field(id, None) => {
                self.written.insert(*id);
            }
            Place::Node(which) => {
                self.written_nodes.insert(node_slot(*which));
            }
            Place::Ion(ion, name) => {
                self.written_ions.insert((*ion, name.clone()));
            }
            Place::Global(g) => {
                self.written_globals.insert(*g);
            }
            _ => {}
        }
    }

    fn expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Const(_) => {}
            Expr::Load(p) => self.place(p),
            Expr::Unary(_, a) => self.expr(a),
            Expr::Binary(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            Expr::Call(id, args) => {
                args.iter().for_each(|a| self.expr(a));
                match self.inline.get(id.index()) {
                    Some(Some(_)) => {
                        if self.seen.insert(*id)
                            && let Some(Some(body)) = self.inline.get(id.index()).cloned()
                        {
                            body.iter().for_each(|s| self.stmt(s));
                        }
                    }
                    _ => self.barrier = true,
                }
            }
            Expr::Math(_, args) => args.iter().for_each(|a| self.expr(a)),
            Expr::Builtin(_, args) | Expr::FunctionTable(_, args) => {
                self.barrier = true;
                args.iter().for_each(|a| self.expr(a))
            }
        }
    }
}

/// True when evaluating `expr` has no effect and no branches: no calls,
/// no engine services, no short-circuit operators. Equal subexpressions of
/// such an expression have equal values, so they can be computed once.
pub(super) fn is_pure(expr: &Expr) -> bool {
    match expr {
        Expr::Const(_) => true,
        Expr::Load(Place::Field(_, Some(e)) | Place::GlobalArray(_, e)) => is_pure(e),
        Expr::Load(_) => true,
        Expr::Unary(_, a) => is_pure(a),
        Expr::Binary(crate::ir::BinOp::And | crate::ir::BinOp::Or, ..) => false,
        Expr::Binary(_, a, b) => is_pure(a) && is_pure(b),
        Expr::Math(_, args) => args.iter().all(is_pure),
        Expr::Call(..) | Expr::Builtin(..) | Expr::FunctionTable(..) => false,
    }
}

/// Which functions can be inlined: those that cannot reach themselves
/// through calls.
pub(super) fn inlinable(mech: &crate::ir::Mechanism) -> Vec<bool> {
    let n = mech.functions.len();
    let callees: Vec<BTreeSet<FuncId>> = mech
        .functions
        .iter()
        .map(|f| {
            let mut calls = BTreeSet::new();
            f.body.iter().for_each(|s| calls_in_stmt(s, &mut calls));
            calls
        })
        .collect();
    (0..n)
        .map(|start| {
            let mut stack: Vec<FuncId> = callees[start].iter().copied().collect();
            let mut seen = BTreeSet::new();
            while let Some(f) = stack.pop() {
                if f.index() == start {
                    return false;
                }
                if seen.insert(f)
                    && let Some(next) = callees.get(f.index())
                {
                    stack.extend(next.iter().copied());
                }
            }
            true
        })
        .collect()
}

fn calls_in_stmt(stmt: &Stmt, out: &mut BTreeSet<FuncId>) {
    let mut exprs: Vec<&Expr> = Vec::new();
    match stmt {
        Stmt::Assign(p, e) | Stmt::Accumulate(p, e) => {
            place_exprs(p, &mut exprs);
            exprs.push(e);
        }
        Stmt::If {
            cond,
            then,
            otherwise,
        } => {
            exprs.push(cond);
            then.iter()
                .chain(otherwise)
                .for_each(|s| calls_in_stmt(s, out));
        }
        Stmt::While { cond, body } => {
            exprs.push(cond);
            body.iter().for_each(|s| calls_in_stmt(s, out));
        }
        Stmt::Eval(e) | Stmt::NetEvent(e) | Stmt::NetMove(e) => exprs.push(e),
        Stmt::NetSend { delay, flag } => exprs.extend([delay, flag]),
        Stmt::WatchOn { flag, .. } => exprs.push(flag),
        Stmt::Print { args, .. } => exprs.extend(args),
        _ => {}
    }
    for e in exprs {
        calls_in_expr(e, out);
    }
}

fn place_exprs<'a>(p: &'a Place, out: &mut Vec<&'a Expr>) {
    if let Place::Field(_, Some(e)) | Place::GlobalArray(_, e) = p {
        out.push(e);
    }
}

fn calls_in_expr(e: &Expr, out: &mut BTreeSet<FuncId>) {
    match e {
        Expr::Const(_) => {}
        Expr::Load(p) => {
            let mut inner = Vec::new();
            place_exprs(p, &mut inner);
            inner.into_iter().for_each(|e| calls_in_expr(e, out));
        }
        Expr::Unary(_, a) => calls_in_expr(a, out),
        Expr::Binary(_, a, b) => {
            calls_in_expr(a, out);
            calls_in_expr(b, out);
        }
        Expr::Call(id, args) => {
            out.insert(*id);
            args.iter().for_each(|a| calls_in_expr(a, out));
        }
        Expr::Math(_, args) | Expr::Builtin(_, args) | Expr::FunctionTable(_, args) => {
            args.iter().for_each(|a| calls_in_expr(a, out))
        }
    }
}
