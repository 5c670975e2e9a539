//! `nmc compile`: compile files through the pipeline (front end, lowering,
//! IR passes), list the mechanisms, and optionally emit intermediate forms.

use super::{EXIT_ERRORS, EXIT_OK, Emit, inputs};
use crate::diag::{self, SourceMap};
use crate::driver::builtins::BUILTINS;
use crate::driver::pipeline;
use crate::front::nmodl;
use crate::ir::{self, MechKind};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One row of the summary table.
struct Row {
    file: String,
    mechanism: String,
    kind: &'static str,
    kernels: String,
    millis: f64,
}

/// Compiles every file, prints a table (file, mechanism, kind, kernels,
/// time) on stdout, diagnostics on stderr, and returns the exit status.
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
    let outcomes: Vec<_> = files
        .iter()
        .map(|path| pipeline::compile_file(&mut map, path))
        .collect();
    // Through to machine code: the JIT is part of every compile, one
    // mechanism per core at a time (each has its own JIT module).
    let jits = jit_all(&outcomes);
    for ((path, mut outcome), jit) in files.iter().zip(outcomes).zip(jits) {
        let mut elapsed = outcome.front_time + outcome.ir_time;
        if let Some((time, result)) = jit {
            elapsed += time;
            if let Err(d) = result {
                outcome.diagnostics.push(d);
            }
        }
        let failed = outcome.failed();
        if failed {
            status = EXIT_ERRORS;
        }
        let emitted = match (emit, &outcome.module, &outcome.mechanism) {
            (Some(Emit::Ast), Some(module), _) if !failed => {
                Some(("ast", nmodl::dump::dump(module, &map)))
            }
            (Some(Emit::Ir), _, Some(mech)) if !failed => Some(("ir", ir::print::print(mech))),
            (Some(Emit::Clif), _, Some(mech)) if !failed => {
                match crate::back::cranelift::clif_text(mech) {
                    Ok(text) => Some(("clif", text)),
                    Err(d) => {
                        all.push(d);
                        status = EXIT_ERRORS;
                        None
                    }
                }
            }
            _ => None,
        };
        if let Some((ext, text)) = emitted
            && let Err(e) = write_emitted(out_dir, path, ext, &text)
        {
            eprintln!("error: {e}");
            status = EXIT_ERRORS;
        }
        if let (false, Some(mech)) = (failed, &outcome.mechanism) {
            rows.push(Row {
                file: path.display().to_string(),
                mechanism: mech.name.clone(),
                kind: kind_name(mech.kind),
                kernels: kernel_list(mech),
                millis: elapsed.as_secs_f64() * 1e3,
            });
        }
        all.extend(outcome.diagnostics);
    }
    let text = diag::render_human(&map, &all, color);
    let _ = std::io::stderr().write_all(text.as_bytes());
    if emit.is_none() || out_dir.is_some() {
        print_table(&rows);
    }
    eprintln!("{}", diag::summary_line("compiled", files.len(), &all));
    status
}

/// How long a mechanism's JIT compile took, and its outcome.
type Jit = (Duration, Result<(), diag::Diagnostic>);

/// The JIT compile of every mechanism that came through the front end
/// and the IR passes (`None` for the others): its time and outcome, in
/// the order of `outcomes`, compiled on as many threads as there are
/// cores.
fn jit_all(outcomes: &[pipeline::CompileOutcome]) -> Vec<Option<Jit>> {
    let todo: Vec<(usize, &ir::Mechanism)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(k, o)| match (o.failed(), &o.mechanism) {
            (false, Some(m)) => Some((k, m)),
            _ => None,
        })
        .collect();
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(todo.len())
        .max(1);
    let done: Vec<Vec<(usize, Jit)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    while let Some(&(k, mech)) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let start = Instant::now();
                        let result = crate::back::cranelift::compile(mech).map(|_| ());
                        mine.push((k, (start.elapsed(), result)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    let mut out: Vec<Option<Jit>> = (0..outcomes.len()).map(|_| None).collect();
    for (k, jit) in done.into_iter().flatten() {
        out[k] = Some(jit);
    }
    // A worker that panicked left its mechanisms without a result: say so
    // rather than report them compiled.
    for (k, mech) in todo {
        if out[k].is_none() {
            let d = diag::Diagnostic::error(
                "E0802",
                format!(
                    "cannot compile mechanism `{}`: the code generator crashed",
                    mech.name
                ),
            )
            .with_note("this is a bug in nmc's code generator; please report it");
            out[k] = Some((Duration::ZERO, Err(d)));
        }
    }
    out
}

/// `nmc compile --list-builtins`: one row per built-in mechanism (name,
/// kind, file) in NEURON's registration order. A built-in that does not
/// compile (a bug in nmc) is reported and makes the exit status 1.
pub fn list_builtins() -> i32 {
    let mut map = SourceMap::new();
    let mut status = EXIT_OK;
    let mut rows = Vec::new();
    for b in BUILTINS {
        let out = pipeline::compile_source(&mut map, b.file, b.text);
        let kind = match &out.mechanism {
            Some(m) if !out.failed() => kind_name(m.kind),
            _ => {
                eprintln!("error[E0801]: built-in `{}` does not compile", b.file);
                status = EXIT_ERRORS;
                "(error)"
            }
        };
        rows.push((b.name(), kind, format!("builtins/{}", b.file)));
    }
    let wn = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(4);
    let wk = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(4);
    let mut text = format!("{:wn$}  {:wk$}  file\n", "name", "kind");
    for (name, kind, file) in &rows {
        text += &format!("{name:wn$}  {kind:wk$}  {file}\n");
    }
    text += &format!("{} built-in mechanisms\n", rows.len());
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(text.as_bytes()).is_err() {
        return EXIT_ERRORS;
    }
    status
}

fn kind_name(kind: MechKind) -> &'static str {
    match kind {
        MechKind::Density => "density",
        MechKind::PointProcess => "point process",
        MechKind::ArtificialCell => "artificial cell",
    }
}

/// The kernels' names, comma-separated.
fn kernel_list(m: &ir::Mechanism) -> String {
    let names: Vec<String> = m
        .kernels
        .iter()
        .map(|k| ir::print::kernel_name(k.kind))
        .collect();
    names.join(",")
}

fn print_table(rows: &[Row]) {
    let w0 = rows.iter().map(|r| r.file.len()).max().unwrap_or(4).max(4);
    let w1 = rows
        .iter()
        .map(|r| r.mechanism.len())
        .max()
        .unwrap_or(9)
        .max(9);
    let w3 = rows
        .iter()
        .map(|r| r.kernels.len())
        .max()
        .unwrap_or(7)
        .max(7);
    outln!(
        "{:<w0$}  {:<w1$}  {:<15}  {:<w3$}  {:>9}",
        "file",
        "mechanism",
        "kind",
        "kernels",
        "time"
    );
    for r in rows {
        outln!(
            "{:<w0$}  {:<w1$}  {:<15}  {:<w3$}  {:>7.2}ms",
            r.file,
            r.mechanism,
            r.kind,
            r.kernels,
            r.millis
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
