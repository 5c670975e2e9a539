//! Cell templates of SONATA nodes (`model_template` `hoc:<Name>`): the
//! cell a template describes, built once per template.

use crate::diag::{Diagnostic, SourceMap};
use crate::driver::ndl::{LibraryLoader, check_source};
use crate::net::Cell;
use std::path::Path;

/// Loads `<dir>/<name>.ndl` (a `cell <name> { ... }` definition) as a cell.
pub(super) fn load_template(
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
                "templates `hoc:{name}` are read as NDL cell definitions `{name}.ndl`"
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
