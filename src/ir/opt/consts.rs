//! Constant fields: loads of a field the simulation promises holds one
//! value in every instance become that value, so the code generator folds
//! and hoists what depends only on it. Loading the field and using the
//! constant give the same bits.

use std::collections::{BTreeMap, BTreeSet};

use super::walk;
use crate::ir::{Expr, FieldId, FieldKind, Mechanism, Place, Stmt};

/// The entries of `constants` that may be folded into `mech`: unindexed
/// scalar fields (not POINTERs, whose value lives elsewhere) that no
/// kernel or function writes. Other entries are ignored.
pub fn usable(mech: &Mechanism, constants: &BTreeMap<FieldId, f64>) -> BTreeMap<FieldId, f64> {
    let indexed = walk::indexed_fields(mech);
    let mut written = BTreeSet::new();
    for body in mech
        .kernels
        .iter()
        .map(|k| &k.body)
        .chain(mech.functions.iter().map(|f| &f.body))
    {
        written.extend(walk::body_field_writes(body));
    }
    constants
        .iter()
        .filter(|(id, _)| {
            mech.fields
                .get(id.index())
                .is_some_and(|f| f.len == 1 && f.kind != FieldKind::Pointer)
                && !indexed.contains(id)
                && !written.contains(id)
        })
        .map(|(&id, &v)| (id, v))
        .collect()
}

/// Replaces every load of a field in `constants` (as [`usable`] returns)
/// by its value, in kernels, functions and WATCH conditions.
pub fn fold(mech: &mut Mechanism, constants: &BTreeMap<FieldId, f64>) {
    if constants.is_empty() {
        return;
    }
    let mut replace = |e: &mut Expr| {
        if let Expr::Load(Place::Field(id, None)) = e
            && let Some(&v) = constants.get(id)
        {
            *e = Expr::Const(v);
        }
    };
    for k in &mut mech.kernels {
        walk::map_exprs(&mut k.body, &mut replace);
    }
    for f in &mut mech.functions {
        walk::map_exprs(&mut f.body, &mut replace);
    }
    let mut watches: Vec<Stmt> = std::mem::take(&mut mech.watches)
        .into_iter()
        .map(Stmt::Eval)
        .collect();
    walk::map_exprs(&mut watches, &mut replace);
    mech.watches = watches
        .into_iter()
        .filter_map(|s| match s {
            Stmt::Eval(e) => Some(e),
            _ => None,
        })
        .collect();
}
