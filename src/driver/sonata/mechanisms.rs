//! Which `.mod` files a SONATA circuit's `mechanisms_dir` stands for: the
//! set NEURON would load. BMTK loads the library `nrnivmodl` built in the
//! folder (`x86_64/`, `aarch64/`, ...), so when one exists its translated
//! files (`<name>.c` / `<name>.cpp`) say which sources it holds, found in
//! the folder or one of its subfolders (`modfiles/`, `modfiles_core/`...);
//! else the `modfiles/` subfolder, else the folder itself.

use crate::diag::Diagnostic;
use crate::driver::library::mod_files;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Folders `nrnivmodl` writes its build into, one per architecture.
const BUILD_DIRS: &[&str] = &["x86_64", "aarch64", "arm64", "i686", "powerpc64le"];

/// The mechanism sources of `dir`: the files, the folder they come from,
/// and a note saying how they were chosen (when a build folder decided).
pub(super) fn sources(
    dir: &Path,
) -> Result<(Vec<PathBuf>, PathBuf, Option<Diagnostic>), Diagnostic> {
    if let Some((build, stems)) = built(dir) {
        let mut candidates = vec![dir.to_path_buf()];
        if let Ok(read) = std::fs::read_dir(dir) {
            let mut subs: Vec<PathBuf> = read
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir() && !BUILD_DIRS.iter().any(|b| p.ends_with(b)))
                .collect();
            subs.sort();
            candidates.extend(subs);
        }
        for folder in candidates {
            let Ok(files) = mod_files(&folder) else {
                continue;
            };
            let have: BTreeSet<String> = files.iter().filter_map(|f| stem(f)).collect();
            if !files.is_empty() && stems.iter().all(|s| have.contains(s)) {
                let chosen: Vec<PathBuf> = files
                    .into_iter()
                    .filter(|f| stem(f).is_some_and(|s| stems.contains(&s)))
                    .collect();
                let note = Diagnostic::new(
                    crate::diag::Severity::Note,
                    "N1501",
                    format!(
                        "mechanisms: the {} files of `{}` that `{}` was compiled from (as NEURON loads them)",
                        chosen.len(),
                        folder.display(),
                        build.display()
                    ),
                );
                return Ok((chosen, folder, Some(note)));
            }
        }
    }
    let modfiles = dir.join("modfiles");
    let folder = if modfiles.is_dir() {
        modfiles
    } else {
        dir.to_path_buf()
    };
    let files = mod_files(&folder)?;
    Ok((files, folder, None))
}

/// The build folder of `dir` and the stems of the sources it translated.
fn built(dir: &Path) -> Option<(PathBuf, BTreeSet<String>)> {
    for b in BUILD_DIRS {
        let build = dir.join(b);
        let Ok(read) = std::fs::read_dir(&build) else {
            continue;
        };
        let stems: BTreeSet<String> = read
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "c" || x == "cpp"))
            .filter_map(|p| stem(&p))
            .filter(|s| s != "mod_func")
            .collect();
        if !stems.is_empty() {
            return Some((build, stems));
        }
    }
    None
}

fn stem(p: &Path) -> Option<String> {
    p.file_stem().and_then(|s| s.to_str()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::sources;

    fn scratch(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("nmc_mechdir_{}_{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn touch(p: &std::path::Path) {
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("folder");
        }
        std::fs::write(p, "NEURON { SUFFIX x }\n").expect("write");
    }

    #[test]
    fn the_build_folder_decides_which_sources() {
        let d = scratch("build");
        for f in [
            "modfiles/a.mod",
            "modfiles/b.mod",
            "core/a.mod",
            "core/b.mod",
            "core/c.mod",
            "core/d.mod",
        ] {
            touch(&d.join(f));
        }
        for f in ["x86_64/a.c", "x86_64/c.c", "x86_64/mod_func.cpp"] {
            touch(&d.join(f));
        }
        let (files, folder, note) = sources(&d).expect("sources");
        assert!(folder.ends_with("core"));
        let names: Vec<_> = files
            .iter()
            .filter_map(|f| f.file_name()?.to_str())
            .collect();
        assert_eq!(names, ["a.mod", "c.mod"]);
        assert!(note.is_some());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn without_a_build_modfiles_then_the_folder() {
        let d = scratch("plain");
        touch(&d.join("modfiles/a.mod"));
        touch(&d.join("z.mod"));
        let (files, folder, note) = sources(&d).expect("sources");
        assert!(folder.ends_with("modfiles") && files.len() == 1 && note.is_none());
        std::fs::remove_dir_all(d.join("modfiles")).expect("rm");
        let (files, _, _) = sources(&d).expect("sources");
        assert_eq!(files.len(), 1);
        let _ = std::fs::remove_dir_all(&d);
    }
}
