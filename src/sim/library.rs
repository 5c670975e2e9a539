//! A folder of `.mod` files compiled once: every mechanism's IR plus its
//! JIT-compiled kernels, looked up by name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::back::cranelift::{self, CompiledMechanism};
use crate::back::math::MathMode;
use crate::diag::{Diagnostic, SourceMap};
use crate::ir;
use crate::pipeline;

/// Compiled mechanisms by name, in a fixed order (sorted file names, which
/// is also the order `nrnivmodl` registers them and so the order the engine
/// sums currents in).
pub struct MechanismLibrary {
    entries: Vec<Rc<CompiledMechanism>>,
    by_name: HashMap<String, usize>,
    mode: MathMode,
}

impl std::fmt::Debug for MechanismLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MechanismLibrary")
            .field("mechanisms", &self.names().collect::<Vec<_>>())
            .finish()
    }
}

impl MechanismLibrary {
    /// Compiles every `.mod` file directly inside `dir` (sorted by file
    /// name). Any error in any file fails the whole load; every diagnostic
    /// is returned.
    pub fn load_dir(dir: &Path) -> Result<Self, Vec<Diagnostic>> {
        Self::load_dir_with(dir, MathMode::default())
    }

    /// [`MechanismLibrary::load_dir`] with kernels compiled in `mode`.
    pub fn load_dir_with(dir: &Path, mode: MathMode) -> Result<Self, Vec<Diagnostic>> {
        let read = std::fs::read_dir(dir).map_err(|e| {
            vec![Diagnostic::error(
                "E0001",
                format!("cannot read mechanism folder `{}`: {e}", dir.display()),
            )]
        })?;
        let mut files: Vec<PathBuf> = read
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|p| p.extension().is_some_and(|e| e == "mod") && p.is_file())
            .collect();
        files.sort();
        Self::from_files_with(&files, mode)
    }

    /// Compiles the given `.mod` files, in the given order.
    pub fn from_files(files: &[PathBuf]) -> Result<Self, Vec<Diagnostic>> {
        Self::from_files_with(files, MathMode::default())
    }

    /// [`MechanismLibrary::from_files`] with kernels compiled in `mode`.
    pub fn from_files_with(files: &[PathBuf], mode: MathMode) -> Result<Self, Vec<Diagnostic>> {
        let mut map = SourceMap::new();
        let mut errors = Vec::new();
        let mut mechs = Vec::new();
        for file in files {
            let outcome = pipeline::compile_file(&mut map, file);
            if outcome.failed() {
                errors.extend(outcome.diagnostics.into_iter().filter(Diagnostic::is_error));
                if errors.is_empty() {
                    errors.push(Diagnostic::error(
                        "E0801",
                        format!("`{}` did not compile", file.display()),
                    ));
                }
                continue;
            }
            if let Some(m) = outcome.mechanism {
                mechs.push(m);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Self::from_mechanisms_with(mechs, mode)
    }

    /// JIT-compiles already lowered and solved mechanisms.
    pub fn from_mechanisms(mechs: Vec<ir::Mechanism>) -> Result<Self, Vec<Diagnostic>> {
        Self::from_mechanisms_with(mechs, MathMode::default())
    }

    /// [`MechanismLibrary::from_mechanisms`] with kernels compiled in `mode`.
    pub fn from_mechanisms_with(
        mechs: Vec<ir::Mechanism>,
        mode: MathMode,
    ) -> Result<Self, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let mut entries = Vec::new();
        let mut by_name = HashMap::new();
        for mech in &mechs {
            match cranelift::compile_with(mech, mode) {
                Ok(c) => {
                    if by_name.insert(mech.name.clone(), entries.len()).is_some() {
                        errors.push(Diagnostic::error(
                            "E0202",
                            format!("mechanism `{}` is defined twice", mech.name),
                        ));
                    }
                    entries.push(Rc::new(c));
                }
                Err(d) => errors.push(d),
            }
        }
        if errors.is_empty() {
            Ok(MechanismLibrary {
                entries,
                by_name,
                mode,
            })
        } else {
            Err(errors)
        }
    }

    /// The math mode every kernel of the library was compiled in; the
    /// simulator's own arithmetic (the matrix solve) follows it.
    pub fn math_mode(&self) -> MathMode {
        self.mode
    }

    /// The IR of mechanism `name`.
    pub fn get(&self, name: &str) -> Option<&ir::Mechanism> {
        self.compiled(name).map(CompiledMechanism::mechanism)
    }

    /// The compiled kernels of mechanism `name`.
    pub fn compiled(&self, name: &str) -> Option<&CompiledMechanism> {
        self.by_name
            .get(name)
            .and_then(|&i| self.entries.get(i))
            .map(|c| &**c)
    }

    /// Position of `name` in the library order.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// Mechanism names in library order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|c| c.mechanism().name.as_str())
    }

    /// Number of mechanisms.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the library holds no mechanism.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn shared(&self, index: usize) -> Option<Rc<CompiledMechanism>> {
        self.entries.get(index).cloned()
    }
}
