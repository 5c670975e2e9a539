//! The mechanisms folder of a build, `components/mechanisms/`, as BMTK +
//! NEURON need it after `nrnivmodl` there: the `.mod` files the network
//! uses without NEURON's built-ins (NEURON refuses a second `Exp2Syn`,
//! `hh`, ...; nmc embeds its own versions of the same mechanisms; the
//! driver picks the files, see `driver::build`), and, when the network has
//! spike inputs, a `VecStim.mod` for NEURON with BMTK's `play(Vector)`,
//! which BMTK's virtual cells call and NEURON 9.0.2 does not have built in.
//!
//! nmc reads the same folder (the circuit's `mechanisms_dir`); it plays
//! spike inputs itself and keeps its built-in VecStim when the folder's
//! copy is C code it does not compile.

use super::{Out, write_error};
use crate::diag::Diagnostic;
use std::path::Path;

/// The folder, relative to the build's root.
pub const DIR: &str = "components/mechanisms";

/// NEURON's VecStim with `play(Vector)`: our own NMODL and C++, for NEURON
/// only.
pub const NEURON_VECSTIM: &str = include_str!("neuron/VecStim.mod");

/// One `.mod` file to write into [`DIR`].
#[derive(Clone, Debug, PartialEq)]
pub struct ModSource {
    /// File name (`leak.mod`).
    pub file_name: String,
    /// The mechanism it declares.
    pub mechanism: String,
    /// Its text.
    pub text: String,
}

/// Writes `sources` and, when `vecstim` and none of them is a VecStim,
/// NEURON's VecStim into [`DIR`]. Returns whether anything was written.
pub(super) fn write_mechanisms(
    out: &mut Out<'_>,
    sources: &[ModSource],
    vecstim: bool,
) -> Result<bool, Diagnostic> {
    let mut files: Vec<(&str, &str)> = sources
        .iter()
        .map(|m| (m.file_name.as_str(), m.text.as_str()))
        .collect();
    if vecstim && !sources.iter().any(|m| m.mechanism == "VecStim") {
        files.push(("VecStim.mod", NEURON_VECSTIM));
    }
    if files.is_empty() {
        return Ok(false);
    }
    out.mkdir(DIR)?;
    for (name, text) in files {
        super::file_name("mechanism file", name)?;
        let rel = Path::new(DIR).join(name);
        if out.written.files.contains(&rel) {
            return Err(write_error(
                &out.dir.join(&rel),
                "two mechanism files have this name",
            ));
        }
        out.text(rel, text)?;
    }
    Ok(true)
}
