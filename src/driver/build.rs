//! What `nmc build` ships of a network's mechanisms for BMTK + NEURON:
//! the `.mod` files the network uses, except nmc's built-ins (NEURON has
//! its own `Exp2Syn`, `hh`, `pas`, ... and refuses a second one) and
//! except a user file declaring one of NEURON's built-in names, which
//! NEURON would shadow with its own mechanism (`W1507`: the two simulators
//! would run different code). `sonata::write` writes them into
//! `components/mechanisms/`.

use crate::diag::Diagnostic;
use crate::driver::builtins::neuron_builtin;
use crate::driver::library::BUILTIN_DIR;
use crate::front::nmodl::declared::declared_name;
use crate::sonata::write::mechanisms::{DIR, ModSource};
use std::path::PathBuf;

/// The sources to copy of the used mechanism files `files` (as
/// [`crate::front::ndl::Experiment::mechanism_files`] lists them), and a
/// warning for each file left out because NEURON has its name built in.
pub fn mechanism_sources(
    files: &[PathBuf],
) -> Result<(Vec<ModSource>, Vec<Diagnostic>), Diagnostic> {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for f in files {
        if f.starts_with(BUILTIN_DIR) {
            continue;
        }
        let bytes = std::fs::read(f).map_err(|e| {
            Diagnostic::error("E1505", format!("cannot read `{}`: {e}", f.display()))
                .with_help(format!("the mechanism files are copied into {DIR}"))
        })?;
        let text = crate::io::lossy_text(&bytes);
        let Some(name) = declared_name(&text).map(|d| d.name) else {
            continue;
        };
        if neuron_builtin(&name) {
            warnings.push(
                Diagnostic::warning(
                    "W1507",
                    format!(
                        "`{}` declares `{name}`, which NEURON has built in: it is not copied into {DIR}, so BMTK + NEURON run NEURON's own `{name}` where nmc runs this file",
                        f.display()
                    ),
                )
                .with_help("rename the mechanism (its SUFFIX or POINT_PROCESS) so both simulators run the same code"),
            );
            continue;
        }
        let Some(file_name) = f.file_name().and_then(|s| s.to_str()) else {
            continue;
        };
        out.push(ModSource {
            file_name: file_name.to_string(),
            mechanism: name,
            text,
        });
    }
    Ok((out, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_skipped_and_neuron_names_left_out_with_a_warning() {
        let dir = std::env::temp_dir().join(format!("nmc_build_mechs_{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let own = dir.join("myleak.mod");
        let shadow = dir.join("myhh.mod");
        let vecstim = dir.join("vecevent.mod");
        std::fs::write(&own, "NEURON { SUFFIX myleak }\n").expect("write");
        std::fs::write(&shadow, "NEURON { SUFFIX hh }\n").expect("write");
        std::fs::write(&vecstim, "NEURON { ARTIFICIAL_CELL VecStim }\n").expect("write");
        let files = vec![
            PathBuf::from(BUILTIN_DIR).join("Exp2Syn.mod"),
            own.clone(),
            shadow,
            vecstim,
        ];
        let (sources, warnings) = mechanism_sources(&files).expect("sources");
        let names: Vec<(&str, &str)> = sources
            .iter()
            .map(|s| (s.file_name.as_str(), s.mechanism.as_str()))
            .collect();
        assert_eq!(
            names,
            [("myleak.mod", "myleak"), ("vecevent.mod", "VecStim")]
        );
        assert_eq!(sources[0].text, "NEURON { SUFFIX myleak }\n");
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].code, "W1507");
        assert!(warnings[0].message.contains("myhh.mod"));
        assert!(mechanism_sources(&[dir.join("missing.mod")]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
