//! Segments per section by rule, shared by SONATA runs and NDL cells:
//!
//! - BMTK's bionet sets every section of every biophysical cell to
//!   `nseg = 1 + 2 * int(L / (2 * dL))` (an odd count, segments at most
//!   about `dL` long), `dL` being the simulation config's `run.dL` (20 um
//!   when absent; `null` keeps the template's `nseg`);
//! - NEURON's d_lambda rule, as its CellBuilder writes it:
//!   `nseg = int((L / (d_lambda * lambda_f(freq)) + 0.999) / 2) * 2 + 1`,
//!   `lambda_f` (stdlib.hoc) being the length constant at `freq` computed
//!   over the section's 3-d points.

use crate::net::{Cell, Section, pt3d_arcs};

/// `1 + 2 * int(length / (2 * dl))`, evaluated as Python does.
pub fn nseg_for(length: f64, dl: f64) -> usize {
    let half = (length / (2.0 * dl)).trunc();
    if half.is_finite() && half >= 0.0 {
        1 + 2 * half as usize
    } else {
        1
    }
}

/// Sets `nseg` of every section of `cell` from `dl`.
pub fn apply_dl(cell: &mut Cell, dl: f64) {
    for s in &mut cell.sections {
        s.nseg = nseg_for(s.length, dl);
    }
}

/// NEURON's `lambda_f(freq)` (stdlib.hoc) of section `s`: the AC length
/// constant (um) at `freq` (Hz), from its 3-d points (`lam += (arc_i -
/// arc_{i-1}) / sqrt(d_{i-1} + d_i)`) when it has two or more, else from
/// `diam`; in hoc's order of operations.
pub fn lambda_f(s: &Section, freq: f64) -> f64 {
    use std::f64::consts::PI;
    if s.cm == 0.0 {
        return 1e10;
    }
    if s.pt3d.len() < 2 {
        return 1e5 * (s.diam / (4.0 * PI * freq * s.ra * s.cm)).sqrt();
    }
    // NEURON's arc3d: running sums, the last one being L.
    let mut arcs = pt3d_arcs(&s.pt3d);
    if let Some(l) = arcs.last_mut() {
        *l = s.length;
    }
    let mut x1 = arcs[0];
    let mut d1 = f64::from(s.pt3d[0][3]);
    let mut lam = 0.0;
    for (i, p) in s.pt3d.iter().enumerate().skip(1) {
        let x2 = arcs[i];
        let d2 = f64::from(p[3]);
        lam += (x2 - x1) / (d1 + d2).sqrt();
        x1 = x2;
        d1 = d2;
    }
    lam *= 2f64.sqrt() * 1e-5 * (4.0 * PI * freq * s.ra * s.cm).sqrt();
    s.length / lam
}

/// The d_lambda rule's segment count of `s`: `d_lambda` the largest
/// segment as a fraction of the length constant at `freq` (Hz).
pub fn nseg_d_lambda(s: &Section, d_lambda: f64, freq: f64) -> usize {
    let n = ((s.length / (d_lambda * lambda_f(s, freq)) + 0.999) / 2.0).trunc();
    if (0.0..1e9).contains(&n) {
        2 * n as usize + 1
    } else {
        1
    }
}

/// A zero diameter where the d_lambda rule divides by it (NEURON stops
/// with `lambda_f error: 0 diameter for 3d point`): the point's index.
pub fn zero_diameter(s: &Section) -> Option<usize> {
    if s.pt3d.len() < 2 {
        return (s.diam == 0.0).then_some(0);
    }
    s.pt3d[..s.pt3d.len() - 1].iter().position(|p| p[3] == 0.0)
}

#[cfg(test)]
mod tests {
    use super::nseg_for;

    /// A cylinder: lambda_f is 1e5 * sqrt(d / (4 pi f Ra cm)) with or
    /// without 3-d points, and the rule gives the odd count NEURON's
    /// CellBuilder formula does.
    #[test]
    fn d_lambda_of_a_cylinder() {
        use super::{lambda_f, nseg_d_lambda};
        use crate::net::Section;
        let plain = Section {
            length: 1000.0,
            diam: 2.0,
            ra: 100.0,
            cm: 1.0,
            pt3d: Vec::new(),
            ..Section::default()
        };
        let want = 1e5 * (2.0 / (4.0 * std::f64::consts::PI * 100.0 * 100.0)).sqrt();
        assert_eq!(lambda_f(&plain, 100.0), want);
        let pts = Section {
            pt3d: vec![
                [0.0, 0.0, 0.0, 2.0],
                [500.0, 0.0, 0.0, 2.0],
                [1000.0, 0.0, 0.0, 2.0],
            ],
            ..plain.clone()
        };
        assert!((lambda_f(&pts, 100.0) - want).abs() < 1e-9 * want);
        // L / (0.1 lambda) = 1000 / 39.89 = 25.07: int((25.07 + 0.999)/2)*2 + 1 = 27.
        assert_eq!(nseg_d_lambda(&plain, 0.1, 100.0), 27);
        assert_eq!(nseg_d_lambda(&plain, 10.0, 100.0), 1);
    }

    #[test]
    fn odd_counts_as_bmtk() {
        assert_eq!(nseg_for(100.0, 20.0), 5);
        assert_eq!(nseg_for(100.0, 1000.0), 1);
        assert_eq!(nseg_for(39.9, 20.0), 1);
        assert_eq!(nseg_for(40.0, 20.0), 3);
        assert_eq!(nseg_for(237.3, 20.0), 11);
    }
}
