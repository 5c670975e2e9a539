//! Persistent fields: those whose value must be in memory when a kernel
//! ends. A field is persistent when
//! - some kernel may read it before writing it (on some path, through
//!   branches and loops), so its value carries over from an earlier kernel
//!   run or from outside;
//! - a function still called (not inlined) or a WATCH condition reads it
//!   anywhere (those read memory at times the analysis does not follow);
//! - it is observed from outside ([`super::Specialization::observed`]);
//! - it is an array, accessed with an index, or a POINTER.
//!
//! Every other field is scratch: each kernel that reads it wrote it first,
//! so a kernel may keep it in a register and never store it.

use std::collections::BTreeSet;

use super::walk;
use crate::ir::{Expr, FieldId, FieldKind, Mechanism, Place, Stmt};

/// The persistent fields of `mech` (kernels already inlined) given the
/// observed fields (`None`: all).
pub fn persistent(mech: &Mechanism, observed: Option<&BTreeSet<FieldId>>) -> BTreeSet<FieldId> {
    let all: BTreeSet<FieldId> = mech.field_ids().collect();
    let Some(observed) = observed else {
        return all;
    };
    let mut out: BTreeSet<FieldId> = observed.intersection(&all).copied().collect();
    out.extend(walk::indexed_fields(mech));
    out.extend(
        mech.fields_with_ids()
            .filter(|(_, f)| f.kind == FieldKind::Pointer)
            .map(|(id, _)| id),
    );
    let fn_reads = walk::function_field_reads(mech);
    // Functions reachable from kernels or WATCH conditions: anything they
    // read counts.
    let mut called = BTreeSet::new();
    for k in &mech.kernels {
        called.extend(walk::calls(&k.body));
    }
    let watch_body: Vec<Stmt> = mech.watches.iter().cloned().map(Stmt::Eval).collect();
    called.extend(walk::calls(&watch_body));
    for id in called {
        if let Some(r) = fn_reads.get(id.index()) {
            out.extend(r.iter().copied());
        }
    }
    for w in &mech.watches {
        walk::expr_field_reads(w, &fn_reads, &mut out);
    }
    for k in &mech.kernels {
        let mut written = BTreeSet::new();
        exposed(&k.body, &mut written, &fn_reads, &mut out);
    }
    out
}

/// Adds to `out` the fields `body` may read before writing them, given
/// the fields `written` on every path to it; updates `written` with the
/// fields written on every path through `body`.
fn exposed(
    body: &[Stmt],
    written: &mut BTreeSet<FieldId>,
    fn_reads: &[BTreeSet<FieldId>],
    out: &mut BTreeSet<FieldId>,
) {
    let read = |e: &Expr, written: &BTreeSet<FieldId>, out: &mut BTreeSet<FieldId>| {
        let mut r = BTreeSet::new();
        walk::expr_field_reads(e, fn_reads, &mut r);
        out.extend(r.difference(written).copied());
    };
    for s in body {
        // The statement's own expressions are evaluated before its store.
        for e in walk::stmt_exprs(s) {
            read(e, written, out);
        }
        match s {
            Stmt::Assign(Place::Field(id, None), _) => {
                written.insert(*id);
            }
            Stmt::Accumulate(Place::Field(id, None), _) => {
                if !written.contains(id) {
                    out.insert(*id);
                }
                written.insert(*id);
            }
            Stmt::Accumulate(Place::Field(id, Some(_)), _) => {
                out.insert(*id);
            }
            Stmt::If {
                then, otherwise, ..
            } => {
                let mut a = written.clone();
                exposed(then, &mut a, fn_reads, out);
                let mut b = written.clone();
                exposed(otherwise, &mut b, fn_reads, out);
                *written = a.intersection(&b).copied().collect();
            }
            _ => {
                // Loops may not run; other nested bodies are analysed
                // without crediting their writes.
                for list in walk::nested(s) {
                    let mut w = written.clone();
                    exposed(list, &mut w, fn_reads, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{BinOp, Field, Kernel, KernelKind, MechKind};

    fn field(name: &str) -> Field {
        Field {
            name: name.into(),
            kind: FieldKind::Assigned,
            unit: None,
            default: 0.0,
            len: 1,
            range: true,
        }
    }

    fn mech(body: Vec<Stmt>) -> Mechanism {
        Mechanism {
            name: "t".into(),
            kind: MechKind::Density,
            ions: vec![],
            fields: vec![field("a"), field("b"), field("c")],
            globals: vec![],
            net_receive_args: vec![],
            kernels: vec![Kernel {
                kind: KernelKind::State,
                locals: vec![],
                body,
            }],
            functions: vec![],
            global_arrays: vec![],
            watches: vec![],
            function_tables: vec![],
            randoms: vec![],
        }
    }

    fn ids(k: &[usize]) -> BTreeSet<FieldId> {
        k.iter().map(|&k| FieldId::new(k)).collect()
    }

    fn load(id: FieldId) -> Expr {
        Expr::Load(Place::Field(id, None))
    }

    #[test]
    fn reads_before_writes_on_some_path_persist() {
        // a = 1; if a { b = 2 } ; c = b + a
        let m = mech(vec![
            Stmt::Assign(Place::Field(FieldId::new(0), None), Expr::Const(1.0)),
            Stmt::If {
                cond: load(FieldId::new(0)),
                then: vec![Stmt::Assign(
                    Place::Field(FieldId::new(1), None),
                    Expr::Const(2.0),
                )],
                otherwise: vec![],
            },
            Stmt::Assign(
                Place::Field(FieldId::new(2), None),
                Expr::Binary(
                    BinOp::Add,
                    Box::new(load(FieldId::new(1))),
                    Box::new(load(FieldId::new(0))),
                ),
            ),
        ]);
        assert_eq!(persistent(&m, Some(&BTreeSet::new())), ids(&[1]));
        assert_eq!(persistent(&m, Some(&ids(&[2]))), ids(&[1, 2]));
        assert_eq!(persistent(&m, None), ids(&[0, 1, 2]));
    }

    #[test]
    fn writes_in_both_branches_count_and_loops_do_not() {
        let both = |then_id: FieldId| Stmt::If {
            cond: Expr::Const(1.0),
            then: vec![Stmt::Assign(Place::Field(then_id, None), Expr::Const(2.0))],
            otherwise: vec![Stmt::Assign(
                Place::Field(FieldId::new(0), None),
                Expr::Const(3.0),
            )],
        };
        let m = mech(vec![
            both(FieldId::new(0)),
            Stmt::Eval(load(FieldId::new(0))),
            both(FieldId::new(1)),
            Stmt::Eval(load(FieldId::new(1))),
        ]);
        assert_eq!(persistent(&m, Some(&BTreeSet::new())), ids(&[1]));
        let m = mech(vec![
            Stmt::While {
                cond: Expr::Const(0.0),
                body: vec![Stmt::Assign(
                    Place::Field(FieldId::new(2), None),
                    Expr::Const(2.0),
                )],
            },
            Stmt::Accumulate(Place::Field(FieldId::new(2), None), Expr::Const(1.0)),
        ]);
        assert_eq!(persistent(&m, Some(&BTreeSet::new())), ids(&[2]));
    }
}
