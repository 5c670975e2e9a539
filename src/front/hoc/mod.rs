//! hoc cell templates, the way BMTK users describe cells for NEURON:
//! tokens ([`lexer`]), spanned syntax tree ([`ast`]), parser ([`parse`]),
//! and an interpreter ([`eval`]) that instantiates one template with
//! NEURON's semantics into a [`crate::net::Cell`] ([`section`]); names of
//! mechanisms and range variables resolve through a
//! [`crate::ir::interface::Catalogue`] ([`names`]).
//!
//! ```text
//! begintemplate RTMExcCell
//!   public soma
//!   create soma[1]
//!   proc init() {
//!     soma[0] { nseg = 1  insert leak  gbar_leak = 1e-4  eleak = -67 }
//!   }
//! endtemplate RTMExcCell
//! ```
//!
//! NEURON's semantics kept: the template body runs once when the template
//! is read (it sizes `create soma[NumSoma]`); an instance's variables
//! start at 0, so `NumSoma` reads 0 inside `init()`; sections start with
//! L = 100, diam = 500, nseg = 1, cm = 1, Ra = 35.4; a range variable set
//! without a position sets every segment of the accessed section; a new
//! `nseg` keeps each value where it was; `forall` and `forsec` visit the
//! instance's own sections; comparisons use NEURON's epsilon 1e-11.
//! Section names are those NEURON prints without the `Template[0].`
//! prefix (`soma[0]`, `dend[2]`, or `soma` for a section that is no
//! array). What nmc cannot represent (a value varying along a section,
//! tapering 3-d shapes, point processes, global parameters) is an error.
//!
//! Diagnostic codes:
//! - `E1601` a character, number or string hoc cannot read; `E1602`
//!   syntax: expected/found; `E1603` unclosed `{` or template; `E1604`
//!   `endtemplate` names another template; `E1605` unknown mechanism
//!   (did you mean) or one that cannot be inserted; `E1606` unknown,
//!   GLOBAL or not settable parameter of a mechanism; `E1607` index,
//!   position, size or `nseg` out of range; `E1608` a parameter of a
//!   mechanism not inserted in the section; `E1609` an ion variable of an
//!   ion not in the section; `E1610` something nmc does not support in
//!   cell templates (says what to do instead); `E1611` undefined variable,
//!   function or section; `E1612` no section accessed; `E1613` step or
//!   call-depth limit (endless loop or recursion); `E1614` wrong kind or
//!   number of values or arguments; `E1615` a section pattern that is no
//!   regular expression; `E1616` sections that form a loop or are not
//!   connected to the root; `E1617` no template of that name; `E1618` a
//!   `.hoc` file that cannot be read; `E1619` arithmetic error (division
//!   by zero, out of domain); `E1620` a value that varies along a section
//! - warnings: `W1601` statements outside templates (not run); `W1602`
//!   `define_shape()` rounds a diameter to single precision; `W1603` a
//!   new variable that looks like a misspelt range variable; `W1604` an
//!   error in a template the network does not use

pub mod ast;
pub mod eval;
pub mod lexer;
pub mod names;
pub mod parse;
pub mod section;
pub mod value;

use crate::diag::{Diagnostic, SourceMap, Span};
use crate::ir::interface::Catalogue;
use crate::net::Cell;
use std::path::Path;

/// A parsed `.hoc` file.
#[derive(Clone, Debug)]
pub struct HocFile {
    /// The templates that parsed and the statements outside them.
    pub file: ast::File,
    /// Templates with syntax errors.
    pub failed: Vec<parse::Failed>,
}

/// Reads and parses the `.hoc` file at `path`. The file is `None` when it
/// cannot be read or tokenized; diagnostics hold every syntax error and a
/// `W1601` for statements outside templates (other than `load_file`).
pub fn parse_file(map: &mut SourceMap, path: &Path) -> (Option<HocFile>, Vec<Diagnostic>) {
    let shown = path.display().to_string();
    match std::fs::read(path) {
        Ok(b) => parse_source(map, &shown, &String::from_utf8_lossy(&b)),
        Err(e) => (
            None,
            vec![
                Diagnostic::error("E1618", format!("cannot read `{shown}`: {e}"))
                    .with_help("check the path"),
            ],
        ),
    }
}

/// [`parse_file`] for text not on disk.
pub fn parse_source(
    map: &mut SourceMap,
    name: &str,
    text: &str,
) -> (Option<HocFile>, Vec<Diagnostic>) {
    let id = map.add(name, text);
    let tokens = match lexer::lex(map.source(id), id) {
        Ok(t) => t,
        Err(d) => return (None, vec![d]),
    };
    let (file, failed, mut diags) = parse::parse(&tokens);
    for f in &failed {
        diags.extend(f.errors.iter().cloned());
    }
    for s in &file.top {
        if !ignorable_top(s) {
            diags.push(
                Diagnostic::warning("W1601", "statement outside a template is not run")
                    .with_primary(s.span, "outside any template")
                    .with_help("nmc reads cell templates only; move what the cell needs into its `proc init()`"),
            );
        }
    }
    crate::diag::sort(&mut diags);
    (Some(HocFile { file, failed }), diags)
}

/// `load_file(...)`, `{load_file(...)}`, comments and empty statements
/// need no warning.
fn ignorable_top(s: &ast::Stmt) -> bool {
    use ast::{ExprKind, StmtKind};
    match &s.kind {
        StmtKind::Empty => true,
        StmtKind::Block(b) => b.iter().all(ignorable_top),
        StmtKind::Expr(e) => matches!(&e.kind, ExprKind::Name { name, args: Some(_), .. }
            if matches!(name.name.as_str(), "load_file" | "xopen" | "nrn_load_dll")),
        _ => false,
    }
}

impl HocFile {
    /// Names of every template in the file (also those with errors).
    pub fn template_names(&self) -> Vec<String> {
        let mut v: Vec<(Span, String)> = self
            .file
            .templates
            .iter()
            .map(|t| (t.name.span, t.name.name.clone()))
            .chain(
                self.failed
                    .iter()
                    .map(|f| (f.name.span, f.name.name.clone())),
            )
            .collect();
        v.sort();
        v.into_iter().map(|(_, n)| n).collect()
    }

    /// Instantiates template `name` as NEURON would (`Name()` without
    /// arguments, as BMTK does): the cell and its warnings, or its errors.
    pub fn instantiate(
        &self,
        map: &SourceMap,
        name: &str,
        catalogue: &dyn Catalogue,
    ) -> Result<(Cell, Vec<Diagnostic>), Vec<Diagnostic>> {
        let _ = map;
        if let Some(f) = self.failed.iter().find(|f| f.name.name == name) {
            return Err(f.errors.clone());
        }
        let Some(t) = self.file.templates.iter().find(|t| t.name.name == name) else {
            let names = self.template_names();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let help = match crate::diag::suggest::closest(name, refs.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("the file defines {}", crate::diag::suggest::one_of(&refs)),
            };
            return Err(vec![
                Diagnostic::error("E1617", format!("no template `{name}` in this file"))
                    .with_help(help),
            ]);
        };
        let mut it = eval::Interp::new(t, catalogue);
        if let Err(d) = it.instantiate() {
            return Err(vec![d.with_note(format!(
                "while creating a cell of template `{name}` (its `init()` as NEURON runs it)"
            ))]);
        }
        let order = topology(&it.secs, t).map_err(|d| vec![d])?;
        let cell = section::to_cell(&it.secs, &order)?;
        Ok((cell, it.warnings))
    }
}

/// Sections with every parent before its children (creation order
/// otherwise); an error when they do not form one tree.
fn topology(secs: &[section::Sec], t: &ast::Template) -> Result<Vec<usize>, Diagnostic> {
    if secs.is_empty() {
        return Err(Diagnostic::error(
            "E1616",
            format!("template `{}` creates no section", t.name.name),
        )
        .with_primary(t.name.span, "no `create` in this template")
        .with_help("create at least one section: `create soma`"));
    }
    let roots: Vec<usize> = (0..secs.len())
        .filter(|&i| secs[i].parent.is_none())
        .collect();
    if roots.len() > 1 {
        let names: Vec<String> = roots[1..]
            .iter()
            .map(|&i| format!("`{}`", secs[i].name))
            .collect();
        return Err(Diagnostic::error(
            "E1616",
            format!(
                "{} not connected to `{}`: a cell must be one tree",
                names.join(", "),
                secs[roots[0]].name
            ),
        )
        .with_primary(secs[roots[1]].created, "created here, never connected")
        .with_help("connect it, e.g. `connect dend(0), soma(1)`"));
    }
    let mut done = vec![false; secs.len()];
    let mut order = Vec::with_capacity(secs.len());
    while order.len() < secs.len() {
        for (i, s) in secs.iter().enumerate() {
            if !done[i] && s.parent.is_none_or(|(p, _, _)| done[p]) {
                done[i] = true;
                order.push(i);
            }
        }
    }
    Ok(order)
}
