//! The compile pipeline for one `.mod` file: parse → sema → units →
//! lower → solve → (JIT, later), validating the IR after lowering and after
//! every pass. Never panics on any input; every problem is a diagnostic.

use crate::diag::{Diagnostic, SourceMap};
use crate::front::nmodl::lower;
use crate::front::nmodl::{self, ast};
use crate::ir::{Mechanism, valid};
use std::path::Path;
use std::time::{Duration, Instant};

/// Whether the validator rejects `Solve`/`Ode`/`Reaction`/`Conserve`/
/// `Equation`/`Table` statements left after the solve pass (always, now
/// that the pass implements every method nmc accepts).
pub const REQUIRE_SOLVED: bool = true;

/// What compiling one file produced.
pub struct CompileOutcome {
    /// The syntax tree, when the file parsed.
    pub module: Option<ast::Module>,
    /// The mechanism, when every stage succeeded (solved once the solve
    /// pass exists).
    pub mechanism: Option<Mechanism>,
    /// Every diagnostic of every stage, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
    /// Time spent in the front end (parse, sema, units).
    pub front_time: Duration,
    /// Time spent lowering, solving and validating.
    pub ir_time: Duration,
}

impl CompileOutcome {
    /// True when any diagnostic is an error.
    pub fn failed(&self) -> bool {
        self.mechanism.is_none() || self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Compiles the file at `path` (read into `map`).
pub fn compile_file(map: &mut SourceMap, path: &Path) -> CompileOutcome {
    let start = Instant::now();
    let checked = nmodl::check_file(map, path);
    finish(checked, start)
}

/// Compiles source text that is not on disk (tests, editors).
pub fn compile_source(map: &mut SourceMap, name: &str, text: &str) -> CompileOutcome {
    let start = Instant::now();
    let checked = nmodl::check_source(map, name, text);
    finish(checked, start)
}

fn finish(checked: nmodl::Checked, start: Instant) -> CompileOutcome {
    let front_time = start.elapsed();
    let mut diagnostics = checked.diagnostics;
    let mut mechanism = None;
    let ir_start = Instant::now();
    let front_ok = !diagnostics.iter().any(Diagnostic::is_error);
    if front_ok && let (Some(module), Some(analysis)) = (&checked.module, &checked.analysis) {
        let (m, mut d) = to_ir(module, analysis);
        mechanism = m;
        diagnostics.append(&mut d);
    }
    crate::diag::sort(&mut diagnostics);
    CompileOutcome {
        module: checked.module,
        mechanism,
        diagnostics,
        front_time,
        ir_time: ir_start.elapsed(),
    }
}

/// Lowers, validates, runs the IR passes and validates after each.
fn to_ir(
    module: &ast::Module,
    analysis: &nmodl::sema::Analysis,
) -> (Option<Mechanism>, Vec<Diagnostic>) {
    let lowered = lower::lower(module, analysis);
    let mut diags = lowered.diagnostics;
    let Some(mech) = lowered.mechanism else {
        return (None, diags);
    };
    let mut mech = mech;
    if let Err(mut d) = check(&mech, valid::Options { solved: false }) {
        diags.append(&mut d);
        return (None, diags);
    }
    match crate::ir::solve::solve(&mut mech) {
        Ok(mut warnings) => diags.append(&mut warnings),
        Err(mut errors) => {
            diags.append(&mut errors);
            return (None, diags);
        }
    }
    if let Err(mut d) = check(
        &mech,
        valid::Options {
            solved: REQUIRE_SOLVED,
        },
    ) {
        diags.append(&mut d);
        return (None, diags);
    }
    (Some(mech), diags)
}

fn check(mech: &Mechanism, opts: valid::Options) -> Result<(), Vec<Diagnostic>> {
    let found = valid::validate(mech, opts);
    if found.is_empty() { Ok(()) } else { Err(found) }
}
