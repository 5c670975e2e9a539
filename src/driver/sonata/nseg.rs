//! Segments per section as BMTK's bionet sets them: every section of every
//! biophysical cell gets `nseg = 1 + 2 * int(L / (2 * dL))` (an odd count,
//! segments at most about `dL` long), `dL` being the simulation config's
//! `run.dL` (20 um when absent; `null` keeps the template's `nseg`).

use crate::net::Cell;

/// `1 + 2 * int(length / (2 * dl))`, evaluated as Python does.
pub(super) fn nseg_for(length: f64, dl: f64) -> usize {
    let half = (length / (2.0 * dl)).trunc();
    if half.is_finite() && half >= 0.0 {
        1 + 2 * half as usize
    } else {
        1
    }
}

/// Sets `nseg` of every section of `cell` from `dl`.
pub(super) fn apply_dl(cell: &mut Cell, dl: f64) {
    for s in &mut cell.sections {
        s.nseg = nseg_for(s.length, dl);
    }
}

#[cfg(test)]
mod tests {
    use super::nseg_for;

    #[test]
    fn odd_counts_as_bmtk() {
        assert_eq!(nseg_for(100.0, 20.0), 5);
        assert_eq!(nseg_for(100.0, 1000.0), 1);
        assert_eq!(nseg_for(39.9, 20.0), 1);
        assert_eq!(nseg_for(40.0, 20.0), 3);
        assert_eq!(nseg_for(237.3, 20.0), 11);
    }
}
