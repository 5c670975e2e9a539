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
    // Each file through the whole compiler, machine code included, one
    // file per core at a time (each has its own source map and JIT
    // module); diagnostics are gathered into `map` in file order.
    for (path, (own, mut outcome, jit)) in files.iter().zip(compile_all(&files)) {
        outcome.diagnostics = map.import(&own, &outcome.diagnostics);
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
                Some(("ast", nmodl::dump::dump(module, &own)))
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

/// One file compiled: the source map its diagnostics point into, what the
/// front end and the IR passes gave, and the JIT compile of its mechanism
/// when they gave one.
type Compiled = (SourceMap, pipeline::CompileOutcome, Option<Jit>);

/// Every file through the front end, the IR passes and the JIT, on as
/// many threads as there are cores, each taking the next file; results
/// in the order of `files`.
fn compile_all(files: &[PathBuf]) -> Vec<Compiled> {
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(files.len())
        .max(1);
    let one = |path: &PathBuf| {
        let mut map = SourceMap::new();
        let outcome = pipeline::compile_file(&mut map, path);
        let jit = match (outcome.failed(), &outcome.mechanism) {
            (false, Some(mech)) => Some(jit(mech)),
            _ => None,
        };
        (map, outcome, jit)
    };
    let mut done: Vec<(usize, Compiled)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(k) else { break };
                        mine.push((k, one(path)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(mine) => mine,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    done.sort_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, c)| c).collect()
}

/// The JIT compile of `mech`: its time and outcome. A code generator
/// that panics is reported as an error on the mechanism rather than
/// taking the other files' results with it.
fn jit(mech: &ir::Mechanism) -> Jit {
    let start = Instant::now();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::back::cranelift::compile(mech).map(|_| ())
    }))
    .unwrap_or_else(|_| {
        Err(diag::Diagnostic::error(
            "E0802",
            format!(
                "cannot compile mechanism `{}`: the code generator crashed",
                mech.name
            ),
        )
        .with_note("this is a bug in nmc's code generator; please report it"))
    });
    (start.elapsed(), result)
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
