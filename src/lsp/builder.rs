//! Checking documents off the request path: a worker thread, with its own
//! mechanism libraries, analyses one document at a time and hands each
//! analysis back to the server loop, which keeps answering requests
//! meanwhile. With `NMC_LSP_TRACE` set, the worker writes one line per
//! check to stderr (document, version, time taken).

use super::document::Document;
use super::workspace::{Libraries, Source};
use lsp_types::Uri;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::mpsc::{Sender, channel};

/// One document to check: its text and the open `.mod` buffers standing
/// in for files on disk at the time it was asked for.
pub struct Job {
    /// The document.
    pub source: Source,
    /// Open `.mod` buffers by normalised path.
    pub overlays: HashMap<PathBuf, String>,
}

/// What a check gives back: the analysis, or the document's URI when the
/// check failed (a bug in nmc; nothing is stored).
pub type Outcome = Result<Box<Document>, Uri>;

/// Starts the worker; `done` receives every outcome, in order. `None`
/// when no thread can be started (the server then checks on its own
/// thread).
pub fn spawn(done: impl Fn(Outcome) + Send + 'static) -> Option<Sender<Job>> {
    let (tx, rx) = channel::<Job>();
    let trace = std::env::var_os("NMC_LSP_TRACE").is_some();
    std::thread::Builder::new()
        .name("nmc-lsp-check".into())
        .spawn(move || {
            let libraries = Libraries::default();
            while let Ok(job) = rx.recv() {
                let uri = job.source.uri.clone();
                let version = job.source.version;
                let start = std::time::Instant::now();
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    check(&libraries, job)
                }))
                .map_err(|_| uri.clone());
                if trace {
                    eprintln!(
                        "nmc lsp: checked {} version {version} in {:.1} ms",
                        uri.as_str(),
                        start.elapsed().as_secs_f64() * 1e3
                    );
                }
                done(outcome);
            }
        })
        .ok()?;
    Some(tx)
}

/// Analyses one document with the worker's libraries.
fn check(libraries: &Libraries, job: Job) -> Box<Document> {
    let overlay = |p: &Path| {
        job.overlays
            .get(&crate::front::ndl::lower::normalize(p))
            .cloned()
    };
    let s = job.source;
    Box::new(Document::analyse(
        s.uri,
        s.lang,
        s.text,
        s.version,
        &|dir| {
            libraries
                .get(dir, &overlay)
                .map(|l| l as Rc<dyn crate::ir::interface::Catalogue>)
        },
    ))
}
