//! Segment geometry of one section as NEURON computes it (`nrn_area_ri`
//! and `diam_from_list` in `treeset.cpp`), operation for operation, so
//! areas and axial resistances are NEURON's to the bit.
//!
//! A section without 3-d points is a cylinder of `length` and `diam`. A
//! section with 3-d points is the piecewise-linear diameter profile along
//! the path through them: each segment's area is the sum of the lateral
//! areas of the frustums between the points inside it (the diameter
//! interpolated linearly at the segment's ends and centre), its diameter
//! the mean over its length, and the axial resistance of each half
//! segment the sum of `4 Ra dx / (pi d1 d2)` over the frustums in it.

use std::f64::consts::PI;

use crate::net::Section;
pub use crate::net::pt3d_arcs;

/// The geometry of a section's segments.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SegmentGeometry {
    /// Membrane area of each segment (um2).
    pub area: Vec<f64>,
    /// Diameter of each segment (um); for 3-d points the mean over it.
    pub diam: Vec<f64>,
    /// Axial conductance (uS) from each segment's node to the node before
    /// it (for the first segment, the node the section hangs from), then
    /// from the node at x = 1 to the last segment's: `nseg + 1` values.
    /// NEURON's `ri(x)` (MOhm) is one over these.
    pub rinv: Vec<f64>,
}

/// The segments of `sec`: from its 3-d points when it has two or more,
/// otherwise as a cylinder. The caller checks that `nseg >= 1`, the
/// length is positive and diameters are finite and not negative.
pub fn segment_geometry(sec: &Section) -> SegmentGeometry {
    if sec.pt3d.len() >= 2 {
        from_points(&sec.pt3d, sec.length, sec.nseg, sec.ra)
    } else {
        cylinder(sec.length, sec.diam, sec.nseg, sec.ra)
    }
}

/// NEURON's right circular cylinders: each half segment's resistance is
/// that of a cylinder of length dx/2.
fn cylinder(length: f64, diam: f64, nseg: usize, ra: f64) -> SegmentGeometry {
    let dx = length / nseg as f64;
    let mut g = SegmentGeometry::default();
    let mut rright = 0.0;
    for _ in 0..nseg {
        g.area.push(PI * diam * dx);
        g.diam.push(diam);
        let rleft = 1e-2 * ra * (dx / 2.0) / (PI * diam * diam / 4.0);
        g.rinv.push(1.0 / (rleft + rright));
        rright = rleft;
    }
    g.rinv.push(1.0 / rright);
    g
}

/// NEURON's trapezoidal integration over the 3-d points (`diam_from_list`),
/// segment by segment and half segment by half segment, carrying the
/// current point and the last (arc, diameter) sample across segments as
/// NEURON does. The last point's arc is the section's `length`: NEURON
/// keeps the two equal, and `define_shape` sets it to `L` exactly for the
/// points it makes.
fn from_points(pts: &[[f32; 4]], length: f64, nseg: usize, ra: f64) -> SegmentGeometry {
    let mut arc = pt3d_arcs(pts);
    if let Some(last) = arc.last_mut() {
        *last = length;
    }
    let npt = pts.len();
    let d = |k: usize| f64::from(pts[k][3]).abs();
    let ds = arc[npt - 1] / nseg as f64;
    let mut g = SegmentGeometry::default();
    let mut j = 0usize;
    let mut x1 = arc[0];
    let mut y1 = d(0);
    let mut rparent = 0.0;
    for inode in 0..nseg {
        let mut si = inode as f64 * ds;
        let (mut diam, mut area, mut rleft, mut ri) = (0.0, 0.0, 0.0, 0.0);
        for ihalf in 0..2 {
            ri = 0.0;
            let sip = si + ds / 2.0;
            loop {
                let jp = j + 1;
                let (xj, xjp) = (arc[j], arc[jp]);
                let (x2, y2, jnext) = if xjp > sip || jp == npt - 1 {
                    let frac = if (xjp - xj).abs() < 1e-10 {
                        1.0
                    } else {
                        (sip - xj) / (xjp - xj)
                    };
                    (sip, (1.0 - frac) * d(j) + frac * d(jp), j)
                } else {
                    (xjp, d(jp), jp)
                };
                let mut delta = x2 - x1;
                diam += (y2 + y1) * delta;
                if delta < 1e-15 {
                    delta = 1e-15;
                }
                let mut temp = y2 * y1 / delta;
                if temp == 0.0 {
                    temp = 1e-15;
                }
                ri += 1.0 / temp;
                let taper = 0.5 * (y2 - y1);
                let slant = (delta * delta + taper * taper).sqrt();
                area += (y2 + y1) * slant;
                x1 = x2;
                y1 = y2;
                if j == jnext {
                    break;
                }
                j = jnext;
            }
            if ihalf == 0 {
                rleft = ri * ra / PI * (4.0 * 0.01);
            } else {
                ri = ri * ra / PI * (4.0 * 0.01);
            }
            si = sip;
        }
        g.rinv.push(1.0 / (rparent + rleft));
        g.diam.push(diam * (0.5 / ds));
        g.area.push(area * 0.5 * PI);
        rparent = ri;
    }
    g.rinv.push(1.0 / rparent);
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_points_give_the_cylinder() {
        // A straight section of constant diameter traced by points: the
        // same area (to rounding) as the cylinder of its length.
        let sec = Section {
            pt3d: vec![
                [0.0, 0.0, 0.0, 2.0],
                [30.0, 0.0, 0.0, 2.0],
                [30.0, 40.0, 0.0, 2.0],
            ],
            nseg: 5,
            length: 70.0,
            ..Section::default()
        };
        let g = segment_geometry(&sec);
        let c = cylinder(70.0, 2.0, 5, sec.ra);
        for k in 0..5 {
            assert!((g.area[k] - c.area[k]).abs() < 1e-9 * c.area[k]);
            assert!((g.diam[k] - 2.0).abs() < 1e-12);
        }
        for k in 0..6 {
            assert!((g.rinv[k] - c.rinv[k]).abs() < 1e-9 * c.rinv[k]);
        }
    }

    #[test]
    fn a_cone_has_the_frustum_area() {
        // One segment of a cone from diameter 4 to 2 over length 10: the
        // lateral area pi (r1 + r2) slant.
        let sec = Section {
            pt3d: vec![[0.0, 0.0, 0.0, 4.0], [10.0, 0.0, 0.0, 2.0]],
            nseg: 1,
            length: 10.0,
            ..Section::default()
        };
        let g = segment_geometry(&sec);
        let slant = (100.0f64 + 1.0).sqrt();
        let want = PI * 3.0 * slant;
        assert!(
            (g.area[0] - want).abs() < 1e-9 * want,
            "{} {want}",
            g.area[0]
        );
        assert!((g.diam[0] - 3.0).abs() < 1e-12);
    }
}
