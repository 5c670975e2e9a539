//! The open documents and what links them: NDL files read the `.mod` files
//! of their `mechanisms` folder, and an open (maybe unsaved) `.mod` buffer
//! stands in for its file on disk. Mechanism libraries are cached per
//! folder until a file in it changes on disk or in the editor. A
//! document's latest text and its latest analysis are kept apart: the
//! analysis is made off the request path ([`super::server`]) and may lag
//! behind the text while a check is pending.

use super::document::{Document, Lang};
use crate::driver::library::Library;
use crate::front::ndl::lower::normalize;
use lsp_types::Uri;
use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// A cached library and the state of its folder when it was opened.
struct Cached {
    fingerprint: u64,
    library: Rc<Library>,
}

/// Mechanism libraries by folder, reopened when a `.mod` file in the
/// folder (or the open buffer standing in for it) changes. Each thread
/// that checks documents keeps its own (a library is not shared between
/// threads).
#[derive(Default)]
pub struct Libraries {
    cache: RefCell<HashMap<Option<PathBuf>, Cached>>,
}

/// The text of an open `.mod` buffer standing in for a file on disk.
pub type Overlay<'a> = &'a dyn Fn(&Path) -> Option<String>;

impl Libraries {
    /// The mechanisms of `dir` (NEURON's built-ins alone for `None`),
    /// from the cache when nothing in the folder changed since they were
    /// read. A cached library keeps what it compiled between keystrokes.
    pub fn get(&self, dir: Option<&Path>, overlay: Overlay) -> std::io::Result<Rc<Library>> {
        let fp = match dir {
            Some(d) => fingerprint(d, overlay)?,
            None => 0,
        };
        let key = dir.map(Path::to_path_buf);
        if let Some(c) = self.cache.borrow().get(&key)
            && c.fingerprint == fp
        {
            return Ok(c.library.clone());
        }
        let folders: Vec<PathBuf> = key.iter().cloned().collect();
        let library = Rc::new(
            Library::open_with(&folders, overlay).map_err(|d| std::io::Error::other(d.message))?,
        );
        self.cache.borrow_mut().insert(
            key,
            Cached {
                fingerprint: fp,
                library: library.clone(),
            },
        );
        Ok(library)
    }
}

/// A hash of the folder's `.mod` files (name, size, modification time)
/// and of the open buffers standing in for them.
fn fingerprint(dir: &Path, overlay: Overlay) -> std::io::Result<u64> {
    let mut entries: Vec<(PathBuf, u64, Option<std::time::SystemTime>)> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "mod"))
        .map(|e| {
            let meta = e.metadata().ok();
            (
                e.path(),
                meta.as_ref().map(|m| m.len()).unwrap_or(0),
                meta.and_then(|m| m.modified().ok()),
            )
        })
        .collect();
    entries.sort();
    let mut h = DefaultHasher::new();
    for (path, len, modified) in &entries {
        path.hash(&mut h);
        len.hash(&mut h);
        modified.hash(&mut h);
        overlay(path).hash(&mut h);
    }
    Ok(h.finish())
}

/// The latest text of an open document, as the client sent it (its
/// analysis may lag behind while a check is pending).
#[derive(Clone)]
pub struct Source {
    /// Its URI.
    pub uri: Uri,
    /// Language.
    pub lang: Lang,
    /// Current text.
    pub text: String,
    /// The client's version number.
    pub version: i32,
}

/// All open documents: their latest text and their latest analysis.
#[derive(Default)]
pub struct Workspace {
    sources: HashMap<String, Source>,
    docs: HashMap<String, Document>,
    libraries: Libraries,
}

impl Workspace {
    /// An empty workspace.
    pub fn new() -> Self {
        Self::default()
    }

    /// The latest analysis of the open document at `uri`.
    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.docs.get(uri.as_str())
    }

    /// The latest text of the open document whose URI is `key`.
    pub fn source_by_key(&self, key: &str) -> Option<&Source> {
        self.sources.get(key)
    }

    /// The latest text of the open document at `uri`.
    pub fn source(&self, uri: &Uri) -> Option<&Source> {
        self.sources.get(uri.as_str())
    }

    /// Opens a document or replaces its text (its analysis is stored
    /// separately, by [`Workspace::store`]).
    pub fn set_text(&mut self, uri: Uri, lang: Lang, text: String, version: i32) {
        let key = uri.as_str().to_string();
        self.sources.insert(
            key,
            Source {
                uri,
                lang,
                text,
                version,
            },
        );
    }

    /// Keeps an analysis of an open document; false (and nothing kept)
    /// when the document was closed meanwhile.
    pub fn store(&mut self, doc: Document) -> bool {
        let key = doc.uri.as_str().to_string();
        if !self.sources.contains_key(&key) {
            return false;
        }
        self.docs.insert(key, doc);
        true
    }

    /// Analyses `uri`'s latest text now, on this thread, and keeps it.
    pub fn analyse_now(&mut self, uri: &Uri) -> Option<&Document> {
        let src = self.sources.get(uri.as_str())?.clone();
        let doc = Document::analyse(src.uri, src.lang, src.text, src.version, &|dir| {
            self.catalogue(dir)
                .map(|l| l as Rc<dyn crate::ir::interface::Catalogue>)
        });
        self.store(doc);
        self.get(uri)
    }

    /// Closes a document; its last analysis, if any.
    pub fn close(&mut self, uri: &Uri) -> Option<Document> {
        self.sources.remove(uri.as_str());
        self.docs.remove(uri.as_str())
    }

    /// Open NDL documents whose `mechanisms` folder holds `path`.
    pub fn dependents(&self, path: &Path) -> Vec<Uri> {
        let dir = path.parent().map(normalize);
        let mut out: Vec<Uri> = self
            .docs
            .values()
            .filter(|d| d.lang == Lang::Ndl && d.mech_dir().map(Path::to_path_buf) == dir)
            .map(|d| d.uri.clone())
            .collect();
        out.sort();
        out
    }

    /// The open `.mod` buffers by path (normalised), to stand in for the
    /// files on disk.
    pub fn overlays(&self) -> HashMap<PathBuf, String> {
        self.sources
            .values()
            .filter(|s| s.lang == Lang::Nmodl)
            .filter_map(|s| Some((normalize(&super::uri::to_path(&s.uri)?), s.text.clone())))
            .collect()
    }

    /// The text of an open `.mod` document at `path`, if any.
    fn overlay(&self, path: &Path) -> Option<String> {
        let want = normalize(path);
        self.sources
            .values()
            .find(|s| {
                s.lang == Lang::Nmodl
                    && super::uri::to_path(&s.uri).map(|p| normalize(&p)) == Some(want.clone())
            })
            .map(|s| s.text.clone())
    }

    /// The mechanisms of `dir` (NEURON's built-ins alone for `None`), with
    /// open `.mod` buffers standing in for their files.
    pub fn catalogue(&self, dir: Option<&Path>) -> std::io::Result<Rc<Library>> {
        self.libraries.get(dir, &|p| self.overlay(p))
    }
}
