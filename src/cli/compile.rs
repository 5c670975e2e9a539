//! `nmc compile`: run the front end over files, list the mechanisms found,
//! and optionally emit intermediate forms.

use super::{EXIT_ERRORS, EXIT_OK, Emit, inputs};
use crate::diag::{self, SourceMap};
use crate::front::nmodl::{self, ast};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Compiles every file, prints a table (file, mechanism, kind, time) on
/// stdout, diagnostics on stderr, and returns the exit status.
pub fn run(paths: &[PathBuf], emit: Option<Emit>, out_dir: Option<&Path>, color: bool) -> i32 {
    let files = inputs::expand(paths, "mod");
    let mut map = SourceMap::new();
    let mut all = Vec::new();
    let mut rows = Vec::new();
    let mut status = EXIT_OK;
    if let Some(dir) = out_dir
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!(
            "error: cannot create output directory `{}`: {e}",
            dir.display()
        );
        return EXIT_ERRORS;
    }
    for path in &files {
        let start = Instant::now();
        let checked = nmodl::check_file(&mut map, path);
        let elapsed = start.elapsed();
        let failed = checked.diagnostics.iter().any(|d| d.is_error());
        all.extend(checked.diagnostics);
        if failed {
            status = EXIT_ERRORS;
            continue;
        }
        let Some(module) = checked.module else {
            status = EXIT_ERRORS;
            continue;
        };
        let (name, kind) = mechanism_name_kind(&module);
        rows.push((path.display().to_string(), name, kind, elapsed));
        if let Some(Emit::Ast) = emit {
            let text = nmodl::dump::dump(&module, &map);
            if let Err(e) = write_emitted(out_dir, path, "ast", &text) {
                eprintln!("error: {e}");
                status = EXIT_ERRORS;
            }
        }
    }
    let text = diag::render_human(&map, &all, color);
    let _ = std::io::stderr().write_all(text.as_bytes());
    if emit.is_none() || out_dir.is_some() {
        print_table(&rows);
    }
    eprintln!("{}", diag::summary_line("compiled", files.len(), &all));
    status
}

/// The mechanism's name and kind from its NEURON block.
fn mechanism_name_kind(module: &ast::Module) -> (String, &'static str) {
    for item in &module.items {
        if let ast::ItemKind::Neuron(stmts) = &item.kind {
            for s in stmts {
                match &s.kind {
                    ast::NeuronStmtKind::Suffix(n) => return (n.name.clone(), "density"),
                    ast::NeuronStmtKind::PointProcess(n) => {
                        return (n.name.clone(), "point process");
                    }
                    ast::NeuronStmtKind::ArtificialCell(n) => {
                        return (n.name.clone(), "artificial cell");
                    }
                    _ => {}
                }
            }
        }
    }
    ("-".to_string(), "no NEURON block")
}

fn print_table(rows: &[(String, String, &'static str, std::time::Duration)]) {
    let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(4).max(4);
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(9).max(9);
    println!(
        "{:<w0$}  {:<w1$}  {:<15}  {:>9}",
        "file", "mechanism", "kind", "front end"
    );
    for (file, name, kind, t) in rows {
        println!(
            "{file:<w0$}  {name:<w1$}  {kind:<15}  {:>7.2}ms",
            t.as_secs_f64() * 1e3
        );
    }
}

/// Writes emitted text to `DIR/<stem>.<ext>` (atomically) or to stdout.
fn write_emitted(out_dir: Option<&Path>, src: &Path, ext: &str, text: &str) -> Result<(), String> {
    match out_dir {
        None => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            Ok(())
        }
        Some(dir) => {
            let stem = src
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "out".into());
            let dest = dir.join(format!("{stem}.{ext}"));
            crate::io::write_atomic(&dest, text.as_bytes())
                .map_err(|e| format!("cannot write `{}`: {e}", dest.display()))
        }
    }
}
