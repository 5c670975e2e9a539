//! The mechanisms folder of a build, `components/mechanisms/`, as BMTK +
//! NEURON need it after `nrnivmodl` there: the `.mod` files the network
//! uses, copied from its `mechanisms` folder, without NEURON's built-ins
//! (NEURON refuses a second `Exp2Syn`, `hh`, ...; nmc embeds its own
//! versions of the same mechanisms), and, when the network has spike
//! inputs, a `VecStim.mod` for NEURON with BMTK's `play(Vector)`, which
//! BMTK's virtual cells call and NEURON 9.0.2 does not have built in.
//!
//! nmc reads the same folder (the circuit's `mechanisms_dir`); it plays
//! spike inputs itself and keeps its built-in VecStim when the folder's
//! copy is C code it does not compile.

use super::{Out, write_error};
use crate::diag::Diagnostic;
use crate::driver::builtins;
use crate::driver::library::BUILTIN_DIR;
use std::path::{Path, PathBuf};

/// The folder, relative to the build's root.
pub const DIR: &str = "components/mechanisms";

/// NEURON's VecStim with `play(Vector)`: our own NMODL and C++, for NEURON
/// only.
pub const NEURON_VECSTIM: &str = include_str!("neuron/VecStim.mod");

/// True for the names NEURON 9.0.2 has built in (every nmc built-in but
/// VecStim, which BMTK projects compile themselves).
pub fn neuron_builtin(name: &str) -> bool {
    name != "VecStim" && builtins::find(name).is_some()
}

/// Copies the used `.mod` files (`files`; nmc's built-ins are skipped)
/// and, when `vecstim`, NEURON's VecStim into [`DIR`]. Returns whether
/// anything was written, and a warning for each user file that declares a
/// NEURON built-in (NEURON would use its own mechanism of that name, so
/// the file is not copied).
pub(super) fn write_mechanisms(
    out: &mut Out<'_>,
    files: &[PathBuf],
    vecstim: bool,
) -> Result<(bool, Vec<Diagnostic>), Diagnostic> {
    let mut warnings = Vec::new();
    let mut copies: Vec<(String, String)> = Vec::new();
    for f in files {
        if f.starts_with(BUILTIN_DIR) {
            continue;
        }
        let bytes = std::fs::read(f).map_err(|e| {
            Diagnostic::error("E1505", format!("cannot read `{}`: {e}", f.display()))
                .with_help("the mechanism files are copied into the built folder")
        })?;
        let text = crate::io::lossy_text(&bytes);
        let name = crate::front::nmodl::declared::declared_name(&text).map(|d| d.name);
        if let Some(n) = name.as_deref().filter(|n| neuron_builtin(n)) {
            warnings.push(Diagnostic::warning(
                "W1507",
                format!(
                    "`{}` declares `{n}`, which NEURON has built in: it is not copied into {DIR}, so BMTK + NEURON run NEURON's own `{n}` where nmc runs this file",
                    f.display()
                ),
            ).with_help("rename the mechanism (its SUFFIX or POINT_PROCESS) so both simulators run the same code"));
            continue;
        }
        let Some(file_name) = f.file_name().and_then(|s| s.to_str()) else {
            continue;
        };
        copies.push((file_name.to_string(), text));
    }
    let own_vecstim = copies.iter().any(|(_, t)| {
        crate::front::nmodl::declared::declared_name(t).is_some_and(|d| d.name == "VecStim")
    });
    if vecstim && !own_vecstim {
        copies.push(("VecStim.mod".into(), NEURON_VECSTIM.into()));
    }
    if copies.is_empty() {
        return Ok((false, warnings));
    }
    out.mkdir(DIR)?;
    for (name, text) in copies {
        let rel = Path::new(DIR).join(&name);
        if out.written.files.contains(&rel) {
            return Err(write_error(
                &out.dir.join(&rel),
                "two mechanism files have this name",
            ));
        }
        out.text(rel, &text)?;
    }
    Ok((true, warnings))
}
