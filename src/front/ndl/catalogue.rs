//! What NDL needs to know about the mechanisms in a `mechanisms` folder:
//! names, kinds, settable parameters with their units, recordable
//! variables and the unit of a synapse's weight. Built by compiling every
//! `.mod` file of the folder with [`crate::driver::pipeline`].

use crate::diag::{Diagnostic, SourceMap};
use crate::front::nmodl::ast::{ItemKind, NeuronStmtKind};
use crate::ir::{FieldKind, MechKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use crate::ir::interface::{MechInfo, Var};

/// All mechanisms of a folder.
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    /// The folder.
    pub dir: PathBuf,
    /// Mechanisms that compiled, by name.
    pub mechs: BTreeMap<String, MechInfo>,
    /// Mechanisms (by name, or file stem when unknown) whose file has errors,
    /// with the file and its number of errors.
    pub broken: BTreeMap<String, (PathBuf, usize)>,
}

impl Catalogue {
    /// Compiles every `.mod` file in `dir`. Their own diagnostics are not
    /// kept (`nmc check` on the file shows them); a mechanism whose file has
    /// errors is listed in [`Catalogue::broken`].
    pub fn load(dir: &Path) -> std::io::Result<Catalogue> {
        Self::load_with(dir, &|_| None)
    }

    /// [`Catalogue::load`], reading a file's text from `overlay` when it
    /// gives one (an editor's unsaved buffer) instead of from disk.
    pub fn load_with(
        dir: &Path,
        overlay: &dyn Fn(&Path) -> Option<String>,
    ) -> std::io::Result<Catalogue> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "mod"))
            .collect();
        files.sort();
        let mut cat = Catalogue {
            dir: dir.to_path_buf(),
            ..Catalogue::default()
        };
        for path in files {
            let mut map = SourceMap::new();
            let out = match overlay(&path) {
                Some(text) => crate::driver::pipeline::compile_source(
                    &mut map,
                    &path.display().to_string(),
                    &text,
                ),
                None => crate::driver::pipeline::compile_file(&mut map, &path),
            };
            let errors = out.diagnostics.iter().filter(|d| d.is_error()).count();
            let name_in_ast = out.module.as_ref().and_then(declared_name);
            match (&out.mechanism, errors) {
                (Some(m), 0) => {
                    let info = describe(m, out.module.as_ref(), &path);
                    cat.mechs.insert(info.name.clone(), info);
                }
                _ => {
                    let key = name_in_ast.unwrap_or_else(|| {
                        path.file_stem()
                            .map(|s| s.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    });
                    cat.broken.insert(key, (path.clone(), errors.max(1)));
                }
            }
        }
        Ok(cat)
    }

    /// Finds a mechanism by exact name, else by a unique case-insensitive match.
    pub fn find(&self, name: &str) -> Option<&MechInfo> {
        if let Some(m) = self.mechs.get(name) {
            return Some(m);
        }
        let lower = name.to_lowercase();
        let mut hits = self
            .mechs
            .values()
            .filter(|m| m.name.to_lowercase() == lower);
        match (hits.next(), hits.next()) {
            (Some(m), None) => Some(m),
            _ => None,
        }
    }

    /// Names of all mechanisms of `kind`.
    pub fn names_of(&self, kind: MechKind) -> Vec<&str> {
        self.mechs
            .values()
            .filter(|m| m.kind == kind)
            .map(|m| m.name.as_str())
            .collect()
    }
}

/// The SUFFIX / POINT_PROCESS / ARTIFICIAL_CELL name in a module.
fn declared_name(m: &crate::front::nmodl::ast::Module) -> Option<String> {
    for item in &m.items {
        if let ItemKind::Neuron(stmts) = &item.kind {
            for s in stmts {
                match &s.kind {
                    NeuronStmtKind::Suffix(n)
                    | NeuronStmtKind::PointProcess(n)
                    | NeuronStmtKind::ArtificialCell(n) => return Some(n.name.clone()),
                    _ => {}
                }
            }
        }
    }
    None
}

fn describe(
    m: &crate::ir::Mechanism,
    module: Option<&crate::front::nmodl::ast::Module>,
    path: &Path,
) -> MechInfo {
    let mut vars: Vec<Var> = m
        .fields
        .iter()
        .map(|f| {
            let ion = match f.kind {
                FieldKind::Ion { ion } => m
                    .ions
                    .get(ion)
                    .is_some_and(|u| u.read.contains(&f.name) && !u.write.contains(&f.name)),
                _ => false,
            };
            Var {
                name: f.name.clone(),
                unit: f.unit.clone(),
                default: f.default,
                settable: (matches!(f.kind, FieldKind::Parameter) && f.range) || ion,
                global: false,
                ion,
            }
        })
        .collect();
    vars.extend(m.globals.iter().filter(|g| g.settable).map(|g| Var {
        name: g.name.clone(),
        unit: g.unit.clone(),
        default: g.default,
        settable: false,
        global: true,
        ion: false,
    }));
    let mut weight_unit = None;
    let mut receives_events = false;
    if let Some(module) = module {
        for item in &module.items {
            if let ItemKind::NetReceive { params, .. } = &item.kind {
                receives_events = true;
                weight_unit = params
                    .first()
                    .and_then(|p| p.unit.as_ref())
                    .map(|u| u.text.clone());
            }
        }
    }
    MechInfo {
        name: m.name.clone(),
        kind: m.kind,
        file: path.to_path_buf(),
        vars,
        ions: m.ions.iter().map(|i| i.name.clone()).collect(),
        weight_unit,
        receives_events,
    }
}

/// A diagnostic-friendly description of why `name` is not available.
pub fn broken_note(cat: &Catalogue, name: &str) -> Option<Diagnostic> {
    let (file, n) = cat.broken.get(name)?;
    Some(
        Diagnostic::error(
            "E1004",
            format!("mechanism `{name}` cannot be used: its file has {n} error(s)"),
        )
        .with_help(format!("run `nmc check {}` to see them", file.display())),
    )
}

impl crate::ir::interface::Catalogue for Catalogue {
    fn find(&self, name: &str) -> Option<&MechInfo> {
        Catalogue::find(self, name)
    }

    fn broken(&self, name: &str) -> Option<Diagnostic> {
        broken_note(self, name)
    }

    fn names_of(&self, kind: MechKind) -> Vec<String> {
        Catalogue::names_of(self, kind)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    fn origin(&self) -> String {
        format!("`{}`", self.dir.display())
    }
}
