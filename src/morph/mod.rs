//! Morphology files: reconstructed cells (SWC) read into sections with
//! 3-d points exactly as NEURON's Import3d creates them, ready to become
//! the sections of a [`crate::net::Cell`] whose segment geometry the
//! engine computes from the points as NEURON does
//! ([`crate::net::geometry`]).

pub mod allen;
pub mod bmtk_rng;
pub mod import3d;
pub mod nseg;
pub mod placement;
pub mod swc;

use std::path::Path;

use crate::diag::{Diagnostic, SourceMap};
use crate::net;

pub use import3d::{MorphSection, Morphology};

/// Reads the SWC file at `path` into `map` and makes its sections; every
/// problem is a diagnostic with the file and line.
pub fn read_swc(map: &mut SourceMap, path: &Path) -> Result<Morphology, Vec<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|e| {
        vec![
            Diagnostic::error("E1709", format!("cannot read `{}`: {e}", path.display()))
                .with_help("check the morphology's path"),
        ]
    })?;
    let text = crate::io::lossy_text(&bytes);
    let file = map.add(path.display().to_string(), text);
    parse_swc(map, file)
}

/// Makes the sections of SWC file `file` already in `map`.
pub fn parse_swc(
    map: &SourceMap,
    file: crate::diag::FileId,
) -> Result<Morphology, Vec<Diagnostic>> {
    let swc = swc::parse(file, map.source(file))?;
    Ok(import3d::sections(&swc))
}

impl Morphology {
    /// The cell's sections in NEURON's section order (see
    /// [`Morphology::neuron_order`]), each with its 3-d points, length
    /// (the path through them), one segment and NEURON's defaults
    /// otherwise; and, per section of [`Morphology::sections`], its index
    /// in that list.
    pub fn to_sections(&self) -> (Vec<net::Section>, Vec<usize>) {
        let order = self.neuron_order();
        let mut position = vec![0; self.sections.len()];
        for (k, &s) in order.iter().enumerate() {
            position[s] = k;
        }
        let sections = order
            .iter()
            .map(|&s| {
                let m = &self.sections[s];
                let arc = net::pt3d_arcs(&m.pt3d);
                net::Section {
                    name: m.name.clone(),
                    length: arc.last().copied().unwrap_or(0.0),
                    diam: m.pt3d.first().map_or(0.0, |p| f64::from(p[3])),
                    parent: m.parent.map(|(p, x)| (position[p], x)),
                    pt3d: m.pt3d.clone(),
                    ..net::Section::default()
                }
            })
            .collect();
        (sections, position)
    }
}
