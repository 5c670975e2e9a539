//! An NDL file checked against the mechanisms it may use: NEURON's
//! built-ins plus its `mechanisms` folder, opened once as a [`Library`]
//! that the run then compiles from.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::library::Library;
use crate::diag::SourceMap;
use crate::front::ndl::{self, Checked};
use crate::ir::interface::Catalogue;

/// Opens the library the first time NDL asks for mechanisms and hands out
/// the same one afterwards (a `use`d file or a cell template asking again
/// gets the run's library).
#[derive(Default)]
pub struct LibraryLoader {
    library: RefCell<Option<Rc<Library>>>,
}

impl LibraryLoader {
    /// A loader that reads `.mod` files from disk.
    pub fn new() -> Self {
        Self::default()
    }

    /// A loader that always gives `library`.
    pub fn with_library(library: Rc<Library>) -> Self {
        LibraryLoader {
            library: RefCell::new(Some(library)),
        }
    }

    /// The library for `dir` (`None`: built-ins only), opened on first use.
    pub fn load(&self, dir: Option<&Path>) -> std::io::Result<Rc<Library>> {
        if let Some(lib) = self.library.borrow().as_ref() {
            return Ok(lib.clone());
        }
        let folders: Vec<PathBuf> = dir.map(Path::to_path_buf).into_iter().collect();
        if let Some(d) = dir {
            std::fs::read_dir(d)?;
        }
        let lib = Library::open(&folders).map_err(|d| std::io::Error::other(d.message))?;
        let lib = Rc::new(lib);
        *self.library.borrow_mut() = Some(lib.clone());
        Ok(lib)
    }

    /// The library opened so far, if any.
    pub fn library(&self) -> Option<Rc<Library>> {
        self.library.borrow().clone()
    }

    fn catalogue(&self, dir: Option<&Path>) -> std::io::Result<Rc<dyn Catalogue>> {
        self.load(dir).map(|l| l as Rc<dyn Catalogue>)
    }
}

/// Reads, parses, checks and builds the `.ndl` file at `path`; also gives
/// the library its mechanisms came from.
pub fn check_file(map: &mut SourceMap, path: &Path) -> (Checked, Rc<Library>) {
    check_file_share(map, path, ndl::lower::Share::whole(1))
}

/// [`check_file`] building one share of a run
/// (`front::ndl::lower::build_share`).
pub fn check_file_share(
    map: &mut SourceMap,
    path: &Path,
    share: ndl::lower::Share,
) -> (Checked, Rc<Library>) {
    let loader = LibraryLoader::new();
    let checked = ndl::check_file_share(map, path, &|d| loader.catalogue(d), share);
    (checked, library_of(&loader))
}

/// [`check_file`] for text not on disk (`base`: where relative paths start).
pub fn check_source(
    map: &mut SourceMap,
    name: &str,
    text: &str,
    base: &Path,
    loader: &LibraryLoader,
) -> Checked {
    ndl::check_source(map, name, text, base, &|d| loader.catalogue(d))
}

/// The loader's library, or the built-ins alone when the file never asked
/// (it failed before naming mechanisms).
fn library_of(loader: &LibraryLoader) -> Rc<Library> {
    loader
        .library()
        .unwrap_or_else(|| Rc::new(Library::builtins()))
}
