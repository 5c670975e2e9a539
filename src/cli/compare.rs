//! `nmc compare A.h5 B.h5`: how two spike files of the same network differ,
//! group by group.

use super::{EXIT_ERRORS, EXIT_OK};
use crate::analyze::{Dataset, Grouping, compare};
use crate::diag::{self, Diagnostic, SourceMap};
use std::path::Path;

/// Compares spike file `a` with `b` (grouped the same way) and prints the
/// report; spikes are matched within `tolerance` ms.
pub fn run(a: &Path, b: &Path, grouping: Grouping<'_>, tolerance: f64, color: bool) -> i32 {
    let mut map = SourceMap::new();
    let result = (|| -> Result<String, Vec<Diagnostic>> {
        if !(tolerance >= 0.0 && tolerance.is_finite()) {
            return Err(vec![
                Diagnostic::error(
                    "E1904",
                    format!("`--tolerance {tolerance}` must be zero or a positive number of ms"),
                )
                .with_help("try `--tolerance 0.1`"),
            ]);
        }
        let da = Dataset::load(&mut map, a, grouping)?;
        let db = Dataset::load(&mut map, b, grouping)?;
        let diffs = compare::compare(&da, &db, tolerance);
        Ok(format!(
            "compared A = {} with B = {} ({} to {} ms)\n{}",
            a.display(),
            b.display(),
            crate::units::format_number(da.tstart),
            crate::units::format_number(da.tstop),
            compare::report(&diffs, tolerance)
        ))
    })();
    match result {
        Ok(text) => {
            out!("{text}");
            EXIT_OK
        }
        Err(diags) => {
            eprint!("{}", diag::render_human(&map, &diags, color));
            EXIT_ERRORS
        }
    }
}
