//! Run-time specialisation of a mechanism's kernels: what the code
//! generator may assume about one simulation's use of a mechanism, and the
//! IR passes that exploit it. Every pass keeps the observable results bit
//! for bit: fields someone reads, node arrays, ion variables someone reads.
//!
//! The JIT compiles in milliseconds, so a simulation can afford kernels
//! made for its own data: parameters every instance shares become
//! constants, values nobody reads are neither computed nor stored.

pub mod consts;
pub mod cse;
pub mod dce;
pub mod fold;
pub mod hoist;
pub mod inline;
pub mod persist;
pub mod relax;
mod walk;

use std::collections::{BTreeMap, BTreeSet};

use super::{FieldId, Mechanism, valid};

/// What one simulation promises about a mechanism's data.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Specialization {
    /// Fields read from outside the kernels during the run (recorders,
    /// reports, the simulator's own analyses). `None`: every field may be
    /// read (what plain compilation assumes).
    pub observed: Option<BTreeSet<FieldId>>,
    /// Fields compiled in as constants: each holds this one value in every
    /// instance and no kernel writes it.
    pub constants: BTreeMap<FieldId, f64>,
    /// Ion variables (by name, e.g. `dinadv`, `ina`) that nothing reads in
    /// this run: accumulations into them may be dropped.
    pub unread_ion_vars: BTreeSet<String>,
    /// Math computed from values fixed for the run moves into INITIAL,
    /// into new fields after the mechanism's own ([`hoist`]); the run's
    /// data must grow to them (`MechanismData::grow_fields`). Off for
    /// kernels that must run on data laid out for the plain mechanism.
    pub hoist: bool,
}

impl Specialization {
    /// No assumption at all: the kernels of plain compilation.
    pub fn none() -> Self {
        Specialization::default()
    }

    /// A run that records nothing, with every instance of `mech` at its
    /// defaults (every scalar PARAMETER a constant) and the ion variables
    /// `unread` read by nobody: what benchmarks and tests use to see the
    /// kernels `nmc::sim` makes for such a run.
    pub fn defaults_unobserved(mech: &Mechanism, unread: &[&str]) -> Self {
        let constants = mech
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.kind == super::FieldKind::Parameter && f.len == 1)
            .map(|(k, f)| (FieldId::new(k), f.default))
            .collect();
        Specialization {
            observed: Some(BTreeSet::new()),
            constants,
            unread_ion_vars: unread.iter().map(|v| v.to_string()).collect(),
            hoist: false,
        }
    }
}

/// A mechanism whose kernels were specialised.
#[derive(Clone, Debug, PartialEq)]
pub struct Specialized {
    /// The same globals as the input and the same fields, followed by
    /// any [`hoist`] adds (INITIAL computes them; the data of a run grows
    /// to them, see `MechanismData::grow_fields`); kernel (and function)
    /// bodies rewritten.
    pub mech: Mechanism,
    /// Fields a kernel must leave in memory when it writes them: read by
    /// some kernel before being written there, or observed.
    pub persistent: BTreeSet<FieldId>,
}

/// Specialises `mech` for `spec`: inlines calls into kernels
/// ([`inline`]), folds the usable constant fields ([`consts`]) and
/// constant arithmetic ([`fold`]), finds the persistent fields
/// ([`persist`]), drops assignments nobody can observe ([`dce`]; with
/// [`Specialization::none`] only stores that are overwritten before any
/// read) and computes repeated pure subexpressions once ([`cse`]). The
/// result passes the IR validator or this returns the validator's
/// findings as an error (a bug in a pass).
pub fn specialize(mech: &Mechanism, spec: &Specialization) -> Result<Specialized, String> {
    specialize_with(mech, spec, |_, _| {})
}

/// [`specialize`] with `rewrite` applied to the mechanism (given the
/// persistent fields) after dead assignments are dropped and before
/// common subexpressions are shared: the fast-math rewrites of
/// [`relax`] see whole expressions, and what they leave repeated is
/// still shared.
fn specialize_with(
    mech: &Mechanism,
    spec: &Specialization,
    rewrite: impl FnOnce(&mut Mechanism, &BTreeSet<FieldId>),
) -> Result<Specialized, String> {
    let mut out = mech.clone();
    inline::inline_kernels(&mut out);
    let constants = consts::usable(&out, &spec.constants);
    consts::fold(&mut out, &constants);
    fold::fold_constants(&mut out);
    let mut persistent = persist::persistent(&out, spec.observed.as_ref());
    dce::eliminate(&mut out, &persistent, &spec.unread_ion_vars);
    rewrite(&mut out, &persistent);
    if spec.hoist {
        persistent.extend(hoist::hoist_invariant(&mut out));
    }
    cse::eliminate_common(&mut out);
    check(mech, &out)?;
    Ok(Specialized {
        mech: out,
        persistent,
    })
}

/// `original` with the fields `specialized` (made from it) added after
/// its own: what a run's data and the specialised kernels' layout hold.
pub fn with_added_fields(original: &Mechanism, specialized: &Mechanism) -> Mechanism {
    let mut out = original.clone();
    out.fields.extend(
        specialized
            .fields
            .iter()
            .skip(original.fields.len())
            .cloned(),
    );
    out
}

/// A rough measure of the machine code `mech` becomes: the expressions
/// of its kernels and WATCH conditions, each call counting its callee's
/// size again (callees that cannot reach themselves are inlined where
/// called). Used to start the largest compile first when several
/// mechanisms compile side by side.
pub fn code_size(mech: &Mechanism) -> usize {
    // Sizes of the functions, innermost first: a function's size is its
    // own expressions plus its callees' sizes per call; a recursive
    // function counts its own expressions only (it is called, not
    // inlined).
    let reach = walk::reachable(mech);
    let mut sizes: Vec<Option<usize>> = vec![None; mech.functions.len()];
    fn size_of(
        mech: &Mechanism,
        reach: &[BTreeSet<super::FuncId>],
        sizes: &mut Vec<Option<usize>>,
        body: &[super::Stmt],
        depth: usize,
    ) -> usize {
        let mut calls = Vec::new();
        let mut n = 0;
        walk::each_expr(body, &mut |e| {
            n += 1;
            match e {
                super::Expr::Call(id, _) => calls.push(*id),
                // Library math is the longest code per expression (`exp`
                // inline in pair loops, a call elsewhere).
                super::Expr::Math(..) => n += 8,
                _ => {}
            }
        });
        for id in calls {
            let k = id.index();
            let recursive = reach.get(k).is_some_and(|r| r.contains(&id));
            if recursive || depth > 16 {
                continue;
            }
            let known = sizes.get(k).copied().flatten();
            n += match known {
                Some(m) => m,
                None => {
                    let Some(f) = mech.functions.get(k) else {
                        continue;
                    };
                    let m = size_of(mech, reach, sizes, &f.body, depth + 1);
                    if let Some(slot) = sizes.get_mut(k) {
                        *slot = Some(m);
                    }
                    m
                }
            };
        }
        n
    }
    let mut total = 0;
    for kernel in &mech.kernels {
        total += size_of(mech, &reach, &mut sizes, &kernel.body, 0);
    }
    total + mech.watches.len()
}

/// Validates `out` as strictly as `input` validates (solved or not).
fn check(input: &Mechanism, out: &Mechanism) -> Result<(), String> {
    let solved = valid::validate(input, valid::Options { solved: true }).is_empty();
    let found = valid::validate(out, valid::Options { solved });
    if found.is_empty() {
        return Ok(());
    }
    let messages: Vec<String> = found.into_iter().map(|d| d.message).collect();
    Err(format!(
        "specialising `{}` broke the IR: {}",
        out.name,
        messages.join("; ")
    ))
}
