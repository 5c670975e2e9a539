//! The reference interpreter: evaluates IR kernels statement by statement,
//! instance by instance, over [`MechanismData`]. Simple and obviously
//! correct, not fast; the oracle the JIT is tested against.
//!
//! Semantics shared with the JIT (any change must be made in both):
//! - locals start at 0 for every instance and every function call;
//! - `Assign`/`Accumulate` evaluate the value, then the place's index;
//!   `Accumulate` stores `old + value`;
//! - array indices truncate toward zero and clamp into the array
//!   (NaN and negatives give 0);
//! - `&&`, `||` short-circuit; comparisons and logic give 1.0 or 0.0; a
//!   condition is true when it is not 0.0 (NaN is true);
//! - `Return` ends the current instance's body (or function call);
//! - a PROCEDURE call yields 0.0, a FUNCTION call its `result` local;
//! - math goes through [`crate::back::math`];
//! - a `Table` statement left by the IR passes is skipped (the function is
//!   computed directly, as NEURON does with `usetable = 0`); other unsolved
//!   statements are errors.

mod eval;

use super::data::{Env, MechanismData, RunError};
use super::math::MathMode;
use crate::ir::opt::{Specialization, relax};
use crate::ir::{KernelKind, Mechanism};

/// Runs the kernel `kind` of `mech` over `data`: every instance in order,
/// or for NET_RECEIVE kernels the event's target only. A mechanism without
/// that kernel does nothing.
pub fn run_kernel(
    mech: &Mechanism,
    kind: KernelKind,
    data: &mut MechanismData,
    env: &mut Env<'_>,
) -> Result<(), RunError> {
    run_kernel_in(MathMode::Exact, mech, kind, data, env)
}

/// [`run_kernel`] with the math functions of `mode` (the JIT's results for
/// kernels compiled in that mode). In [`MathMode::Fast`] the kernels run
/// are those the JIT compiles for `mode` without specialisation:
/// [`crate::ir::opt::relax::specialize_fast`] of `mech`, whose rewrites
/// change last bits.
pub fn run_kernel_in(
    mode: MathMode,
    mech: &Mechanism,
    kind: KernelKind,
    data: &mut MechanismData,
    env: &mut Env<'_>,
) -> Result<(), RunError> {
    if mode == MathMode::Fast {
        let fast =
            relax::specialize_fast(mech, &Specialization::none()).map_err(RunError::InvalidIr)?;
        return run_ir(mode, &fast.mech, kind, data, env);
    }
    run_ir(mode, mech, kind, data, env)
}

/// [`run_kernel_in`] on `mech` exactly as given.
fn run_ir(
    mode: MathMode,
    mech: &Mechanism,
    kind: KernelKind,
    data: &mut MechanismData,
    env: &mut Env<'_>,
) -> Result<(), RunError> {
    let Some(kernel) = mech.kernels.iter().find(|k| k.kind == kind) else {
        return Ok(());
    };
    data.check(mech, kind, env)?;
    let instances = match (&env.event, kind) {
        (Some(event), KernelKind::NetReceive | KernelKind::NetReceiveInit) => {
            event.target..event.target + 1
        }
        _ => 0..data.count(),
    };
    let mut machine = eval::Machine {
        mech,
        data,
        env,
        depth: 0,
        mode,
    };
    for instance in instances {
        let mut frame = eval::Frame {
            instance,
            locals: vec![0.0; kernel.locals.len()],
        };
        machine.exec(&kernel.body, &mut frame)?;
    }
    Ok(())
}

/// Evaluates WATCH condition `watch` of `mech` for `instance`: its value
/// (the condition holds when it is above 0).
pub fn eval_watch(
    mech: &Mechanism,
    watch: usize,
    instance: usize,
    data: &mut MechanismData,
    env: &mut Env<'_>,
) -> Result<f64, RunError> {
    eval_watch_in(MathMode::Exact, mech, watch, instance, data, env)
}

/// [`eval_watch`] with the math functions of `mode`.
pub fn eval_watch_in(
    mode: MathMode,
    mech: &Mechanism,
    watch: usize,
    instance: usize,
    data: &mut MechanismData,
    env: &mut Env<'_>,
) -> Result<f64, RunError> {
    let cond = mech
        .watches
        .get(watch)
        .ok_or_else(|| RunError::InvalidIr(format!("no watch {watch}")))?;
    data.check(mech, KernelKind::Current, env)?;
    if instance >= data.count() {
        return Err(RunError::TargetOutOfRange(instance));
    }
    let mut machine = eval::Machine {
        mech,
        data,
        env,
        depth: 0,
        mode,
    };
    let mut frame = eval::Frame {
        instance,
        locals: Vec::new(),
    };
    machine.eval(cond, &mut frame)
}

#[cfg(test)]
mod tests;
