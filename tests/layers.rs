//! The module tree is layered as the pipeline runs: front ends above the
//! IR, the IR above the back ends, the back ends above the engine; file
//! formats (`sonata`, `morph`), `net`, `units` and `diag` below everything that
//! runs; `driver` the only module that runs several stages. An import
//! that runs back up the layers fails this test, naming file and line.
//! Test modules (from `#[cfg(test)]` on) may use anything.

use std::path::Path;

/// Modules (top-level folders or files of `src/`) and what each must not import.
const RULES: &[(&str, &[&str])] = &[
    (
        "diag",
        &[
            "units", "net", "sonata", "ir", "back", "sim", "front", "driver", "analyze", "lsp",
            "cli",
        ],
    ),
    (
        "units",
        &[
            "net", "sonata", "ir", "back", "sim", "front", "driver", "analyze", "lsp", "cli",
        ],
    ),
    (
        "net",
        &[
            "sonata", "ir", "back", "sim", "front", "driver", "analyze", "lsp", "cli",
        ],
    ),
    (
        "sonata",
        &[
            "ir", "back", "sim", "front", "driver", "analyze", "lsp", "cli",
        ],
    ),
    (
        "morph",
        &[
            "ir", "back", "sim", "front", "driver", "sonata", "analyze", "lsp", "cli",
        ],
    ),
    (
        "ir",
        &[
            "back", "sim", "front", "driver", "sonata", "analyze", "lsp", "cli",
        ],
    ),
    (
        "back",
        &["sim", "front", "driver", "sonata", "analyze", "lsp", "cli"],
    ),
    (
        "sim",
        &[
            "front",
            "driver",
            "sonata",
            "analyze",
            "lsp",
            "cli",
            "back::cranelift",
            "driver::pipeline",
        ],
    ),
    ("front", &["back", "sim", "driver", "analyze", "lsp", "cli"]),
    ("driver", &["analyze", "lsp", "cli"]),
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `crate::<path>` references outside comments, before any test module.
fn imports(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("#[cfg(test)]") {
            break;
        }
        if code.starts_with("//") {
            continue;
        }
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let tail = &rest[i + "crate::".len()..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            out.push((n + 1, tail[..end].to_string()));
            rest = &tail[end..];
        }
    }
    out
}

#[test]
fn no_import_runs_back_up_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    for (module, forbidden) in RULES {
        let mut files = Vec::new();
        let dir = src.join(module);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        } else {
            files.push(src.join(format!("{module}.rs")));
        }
        assert!(!files.is_empty(), "module {module} has no files");
        for f in files {
            let text =
                std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            for (line, path) in imports(&text) {
                // `use crate::{a, b}` lists are checked by what follows the brace.
                let path = path.trim_end_matches("::");
                if let Some(bad) = forbidden
                    .iter()
                    .find(|b| path == **b || path.starts_with(&format!("{b}::")))
                {
                    broken.push(format!(
                        "{}:{line}: `crate::{path}` ({module} must not use {bad})",
                        f.display()
                    ));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports against the layers:\n{}",
        broken.join("\n")
    );
}
