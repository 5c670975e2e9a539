//! `INCLUDE "file"`: finding, parsing and splicing included files.
//!
//! Paths are relative to the directory of the including file. The included
//! items follow the `Include` item directly. Codes: E0003 (file not found or
//! unreadable), E0110 (include cycle or chain too deep).

use super::{MAX_INCLUDE_DEPTH, parse_nested};
use crate::diag::{Diagnostic, FileId, SourceMap};
use crate::front::nmodl::ast::{ItemKind, Module};
use std::path::{Path, PathBuf};

/// Resolves every INCLUDE of `module` (parsed from `file`). Returns false
/// when an included file failed to parse (its diagnostics are in `diags`).
pub(super) fn resolve(
    map: &mut SourceMap,
    file: FileId,
    module: &mut Module,
    stack: &mut Vec<PathBuf>,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let has_include = module
        .items
        .iter()
        .any(|i| matches!(i.kind, ItemKind::Include { .. }));
    if !has_include {
        return true;
    }
    let here = PathBuf::from(map.name(file));
    let dir = here.parent().map(Path::to_path_buf).unwrap_or_default();
    let me = std::fs::canonicalize(&here).unwrap_or_else(|_| here.clone());
    stack.push(me);
    let mut ok = true;
    let items = std::mem::take(&mut module.items);
    for mut item in items {
        let ItemKind::Include { path, resolved } = &mut item.kind else {
            module.items.push(item);
            continue;
        };
        let span = item.span;
        let target = dir.join(&*path);
        let shown = target.display().to_string();
        let canon = std::fs::canonicalize(&target).unwrap_or_else(|_| target.clone());
        if stack.contains(&canon) {
            diags.push(
                Diagnostic::error("E0110", format!("`{path}` includes itself"))
                    .with_primary(span, "this INCLUDE forms a cycle")
                    .with_help("remove the INCLUDE; each file can be included once per chain"),
            );
            ok = false;
            module.items.push(item);
            continue;
        }
        if stack.len() >= MAX_INCLUDE_DEPTH {
            diags.push(
                Diagnostic::error("E0110", "INCLUDE files are nested too deeply")
                    .with_primary(span, format!("more than {MAX_INCLUDE_DEPTH} levels"))
                    .with_help("flatten the INCLUDE chain"),
            );
            ok = false;
            module.items.push(item);
            continue;
        }
        let text = match std::fs::read(&target) {
            Ok(bytes) => crate::io::lossy_text(&bytes),
            Err(e) => {
                let why = if e.kind() == std::io::ErrorKind::NotFound {
                    "not found".to_string()
                } else {
                    e.to_string()
                };
                diags.push(
                    Diagnostic::error("E0003", format!("cannot include `{path}`: {why}"))
                        .with_primary(span, format!("looked for `{shown}`"))
                        .with_help(format!(
                            "INCLUDE paths are relative to the directory of `{}`; check the file name",
                            here.display()
                        )),
                );
                module.items.push(item);
                continue;
            }
        };
        *resolved = true;
        let inc = map.add(shown, text);
        let (sub, sub_diags) = parse_nested(map, inc, stack);
        diags.extend(sub_diags);
        module.items.push(item);
        match sub {
            Some(m) => module.items.extend(m.items),
            None => ok = false,
        }
    }
    stack.pop();
    ok
}
