//! One open document and what checking it found. A document is analysed
//! in full (full sync), once per burst of changes and off the request path
//! (see [`super::server`]).

use super::position::LineIndex;
use crate::diag::{Diagnostic, FileId, SourceMap};
use crate::front::ndl::lower::LoadCatalogue;
use crate::front::{ndl, nmodl};
use lsp_types::Uri;
use std::path::{Path, PathBuf};

/// The two languages nmc reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// NMODL mechanism files (`.mod`, `.inc`).
    Nmodl,
    /// NDL network descriptions (`.ndl`).
    Ndl,
}

impl Lang {
    /// The language of a document from the client's language id, else
    /// from its file extension (anything but `.ndl` is NMODL).
    pub fn detect(language_id: &str, uri: &Uri) -> Lang {
        match language_id.to_ascii_lowercase().as_str() {
            "ndl" => Lang::Ndl,
            "nmodl" | "mod" => Lang::Nmodl,
            _ if uri.as_str().to_ascii_lowercase().ends_with(".ndl") => Lang::Ndl,
            _ => Lang::Nmodl,
        }
    }
}

/// What checking an NMODL document found.
pub struct ModFacts {
    /// The syntax tree (possibly partial after a syntax error).
    pub module: Option<nmodl::ast::Module>,
    /// Names and their declarations, when the file parsed.
    pub analysis: Option<nmodl::sema::Analysis>,
}

/// What checking an NDL document found.
pub struct NdlFacts {
    /// The syntax tree, when the file parsed.
    pub file: Option<ndl::ast::File>,
    /// The `mechanisms` folder it names (absolute, normalised).
    pub mech_dir: Option<PathBuf>,
}

/// Facts per language.
pub enum Facts {
    /// An NMODL document.
    Nmodl(ModFacts),
    /// An NDL document.
    Ndl(NdlFacts),
}

/// An open document with its latest analysis.
pub struct Document {
    /// Its URI as the client sent it.
    pub uri: Uri,
    /// Its local path, for `file://` URIs.
    pub path: Option<PathBuf>,
    /// Language.
    pub lang: Lang,
    /// Current text.
    pub text: String,
    /// The client's version number.
    pub version: i32,
    /// Line starts of `text`.
    pub lines: LineIndex,
    /// Source map the diagnostics' spans point into (the document is
    /// [`Document::file`]; INCLUDEd files follow it).
    pub map: SourceMap,
    /// The document's id in `map`.
    pub file: FileId,
    /// Diagnostics from the last analysis.
    pub diagnostics: Vec<Diagnostic>,
    /// Per-language facts from the last analysis.
    pub facts: Facts,
}

impl Document {
    /// Checks `text` and returns the analysed document. `load` reads the
    /// mechanism catalogue of a folder (NDL only).
    pub fn analyse(
        uri: Uri,
        lang: Lang,
        text: String,
        version: i32,
        load: LoadCatalogue,
    ) -> Document {
        let path = super::uri::to_path(&uri);
        let name = path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| uri.as_str().to_string());
        let mut map = SourceMap::new();
        let (file, diagnostics, facts) = match lang {
            Lang::Nmodl => {
                // The file's own tree (its spans), even when nmc compiles
                // a recognised file as its own version; then its C is no
                // error.
                let mut checked = nmodl::check_source_as_written(&mut map, &name, &text);
                if nmodl::known::recognise(&text).is_some() {
                    checked.diagnostics.retain(|d| d.code != "E0401");
                }
                let facts = Facts::Nmodl(ModFacts {
                    module: checked.module,
                    analysis: checked.analysis,
                });
                (0, checked.diagnostics, facts)
            }
            Lang::Ndl => {
                let base = path
                    .as_deref()
                    .and_then(Path::parent)
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                let checked = ndl::check_source(&mut map, &name, &text, &base, load);
                let mech_dir = checked.file.as_ref().and_then(|f| mechanisms_dir(f, &base));
                let facts = Facts::Ndl(NdlFacts {
                    file: checked.file,
                    mech_dir,
                });
                (0, checked.diagnostics, facts)
            }
        };
        Document {
            uri,
            path,
            lang,
            lines: LineIndex::new(&text),
            text,
            version,
            map,
            file,
            diagnostics,
            facts,
        }
    }

    /// The `mechanisms` folder of an NDL document.
    pub fn mech_dir(&self) -> Option<&Path> {
        match &self.facts {
            Facts::Ndl(n) => n.mech_dir.as_deref(),
            Facts::Nmodl(_) => None,
        }
    }
}

/// The folder named by a file's `mechanisms "..."` statement, resolved
/// against `base` the way the NDL builder resolves it.
pub fn mechanisms_dir(file: &ndl::ast::File, base: &Path) -> Option<PathBuf> {
    file.items.iter().find_map(|i| match i {
        ndl::ast::Item::Mechanisms { path, .. } => Some(ndl::lower::normalize(&base.join(path))),
        _ => None,
    })
}
