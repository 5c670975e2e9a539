//! The open documents and what links them: NDL files read the `.mod` files
//! of their `mechanisms` folder, and an open (maybe unsaved) `.mod` buffer
//! stands in for its file on disk. Mechanism libraries are cached per
//! folder until a file in it changes on disk or in the editor.

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

/// All open documents.
#[derive(Default)]
pub struct Workspace {
    docs: HashMap<String, Document>,
    catalogues: RefCell<HashMap<Option<PathBuf>, Cached>>,
}

impl Workspace {
    /// An empty workspace.
    pub fn new() -> Self {
        Self::default()
    }

    /// The open document at `uri`.
    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.docs.get(uri.as_str())
    }

    /// Opens or replaces a document and analyses it.
    pub fn set(&mut self, uri: Uri, lang: Lang, text: String, version: i32) -> &Document {
        let doc = Document::analyse(uri.clone(), lang, text, version, &|dir| {
            self.catalogue(dir)
                .map(|l| l as Rc<dyn crate::ir::interface::Catalogue>)
        });
        let key = uri.as_str().to_string();
        self.docs.insert(key.clone(), doc);
        &self.docs[&key]
    }

    /// Analyses an open document again (its dependencies changed).
    pub fn refresh(&mut self, uri: &Uri) -> Option<&Document> {
        let doc = self.docs.get(uri.as_str())?;
        let (lang, text, version) = (doc.lang, doc.text.clone(), doc.version);
        Some(self.set(uri.clone(), lang, text, version))
    }

    /// Closes a document.
    pub fn close(&mut self, uri: &Uri) -> Option<Document> {
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

    /// The text of an open `.mod` document at `path`, if any.
    fn overlay(&self, path: &Path) -> Option<String> {
        let want = normalize(path);
        self.docs
            .values()
            .find(|d| {
                d.lang == Lang::Nmodl && d.path.as_deref().map(normalize) == Some(want.clone())
            })
            .map(|d| d.text.clone())
    }

    /// The mechanisms of `dir` (NEURON's built-ins alone for `None`),
    /// from the cache when nothing in the folder changed since they were
    /// read. A cached library keeps what it compiled between keystrokes.
    pub fn catalogue(&self, dir: Option<&Path>) -> std::io::Result<Rc<Library>> {
        let fp = match dir {
            Some(d) => self.fingerprint(d)?,
            None => 0,
        };
        let key = dir.map(Path::to_path_buf);
        if let Some(c) = self.catalogues.borrow().get(&key)
            && c.fingerprint == fp
        {
            return Ok(c.library.clone());
        }
        let folders: Vec<PathBuf> = key.iter().cloned().collect();
        let library = Rc::new(
            Library::open_with(&folders, &|p| self.overlay(p))
                .map_err(|d| std::io::Error::other(d.message))?,
        );
        self.catalogues.borrow_mut().insert(
            key,
            Cached {
                fingerprint: fp,
                library: library.clone(),
            },
        );
        Ok(library)
    }

    /// A hash of the folder's `.mod` files (name, size, modification time)
    /// and of the open buffers standing in for them.
    fn fingerprint(&self, dir: &Path) -> std::io::Result<u64> {
        let mut entries: Vec<(PathBuf, u64, Option<std::time::SystemTime>)> =
            std::fs::read_dir(dir)?
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
            self.overlay(path).hash(&mut h);
        }
        Ok(h.finish())
    }
}
