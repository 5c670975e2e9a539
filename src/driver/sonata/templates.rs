//! Cell templates of SONATA nodes (`model_template` `hoc:<Name>`): the
//! cell a template describes, built once per template. The `.hoc` files
//! of the templates folder are read first (each parsed once per run);
//! a template none of them defines is read from `<Name>.ndl`.

use crate::diag::{Diagnostic, SourceMap};
use crate::driver::ndl::{LibraryLoader, check_source};
use crate::front::hoc::HocFile;
use crate::net::Cell;
use std::path::{Path, PathBuf};

/// The `.hoc` files of a templates folder, parsed on first use.
#[derive(Default)]
pub(super) struct HocTemplates {
    files: Option<Vec<(HocFile, Vec<Diagnostic>)>>,
    /// Problems of templates the network does not use (as warnings).
    pub(super) warnings: Vec<Diagnostic>,
}

impl HocTemplates {
    fn files(&mut self, map: &mut SourceMap, dir: &Path) -> &[(HocFile, Vec<Diagnostic>)] {
        self.files.get_or_insert_with(|| {
            let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
                .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            paths.retain(|p| p.is_file() && p.extension().is_some_and(|x| x == "hoc"));
            paths.sort();
            let mut out = Vec::new();
            for p in paths {
                let (file, diags) = crate::front::hoc::parse_file(map, &p);
                match file {
                    Some(f) => out.push((f, diags)),
                    None => self.warnings.extend(diags.into_iter().map(demote)),
                }
            }
            out
        })
    }
}

/// An error in a template the network does not use becomes a warning.
fn demote(mut d: Diagnostic) -> Diagnostic {
    if d.is_error() {
        d.severity = crate::diag::Severity::Warning;
        d.notes
            .push("W1604: the network does not use this template, so this is no error here".into());
    }
    d
}

/// The cell of template `name`: from the `.hoc` file of `dir` that defines
/// it, else from `<dir>/<name>.ndl` (a `cell <name> { ... }` definition).
pub(super) fn load_template(
    map: &mut SourceMap,
    hoc: &mut HocTemplates,
    dir: &Path,
    loader: &LibraryLoader,
    name: &str,
) -> Result<Cell, Vec<Diagnostic>> {
    let found = hoc
        .files(map, dir)
        .iter()
        .position(|(f, _)| f.template_names().iter().any(|t| t == name));
    let Some(k) = found else {
        return load_ndl(map, dir, loader, name);
    };
    let library = loader.load(None).map_err(|e| {
        vec![Diagnostic::error(
            "E1501",
            format!("cannot read the mechanisms: {e}"),
        )]
    })?;
    let (file, parse_diags) = &hoc.files.as_deref().unwrap_or_default()[k];
    // Syntax problems of the other templates of the file are warnings.
    let own: Vec<Diagnostic> = file
        .failed
        .iter()
        .filter(|f| f.name.name == name)
        .flat_map(|f| f.errors.iter().cloned())
        .collect();
    let others: Vec<Diagnostic> = parse_diags
        .iter()
        .filter(|d| !own.contains(d))
        .cloned()
        .map(demote)
        .collect();
    let result = file.instantiate(map, name, library.as_ref());
    hoc.warnings.extend(others);
    match result {
        Ok((cell, warnings)) => {
            hoc.warnings.extend(warnings);
            Ok(cell)
        }
        Err(mut d) => {
            d.push(Diagnostic::error(
                "E1504",
                format!("the cell template `{name}` cannot be used"),
            ));
            Err(d)
        }
    }
}

/// Loads `<dir>/<name>.ndl` (a `cell <name> { ... }` definition) as a cell.
fn load_ndl(
    map: &mut SourceMap,
    dir: &Path,
    loader: &LibraryLoader,
    name: &str,
) -> Result<Cell, Vec<Diagnostic>> {
    let path = dir.join(format!("{name}.ndl"));
    let text = std::fs::read_to_string(&path).map_err(|e| {
        vec![
            Diagnostic::error(
                "E1501",
                format!("cannot read the cell template `{}`: {e}", path.display()),
            )
            .with_help(format!(
                "templates `hoc:{name}` are read from the `.hoc` files of the templates folder, else as NDL cell definitions `{name}.ndl`"
            )),
        ]
    })?;
    // The run's mechanisms, whatever `mechanisms` folder the text names.
    let full = format!("{text}\npopulation __template = 1 of {name}\n");
    let checked = check_source(map, &path.display().to_string(), &full, dir, loader);
    let mut diags: Vec<Diagnostic> = checked
        .diagnostics
        .into_iter()
        .filter(|d| d.code != "W1001")
        .collect();
    let cell = checked
        .experiment
        .and_then(|e| e.network.cells.into_iter().next());
    match cell {
        Some(c) if !diags.iter().any(Diagnostic::is_error) => Ok(c),
        _ => {
            diags.push(Diagnostic::error(
                "E1504",
                format!("the cell template `{}` cannot be used", path.display()),
            ));
            Err(diags)
        }
    }
}
