//! SONATA type tables as BMTK writes them: space-separated, a header line,
//! `NULL` where a type has no value, double quotes around values that
//! contain spaces (`"[0.0, 999.9]"`).

use super::invalid;
use crate::diag::Diagnostic;
use std::collections::BTreeMap;

/// A types CSV being written.
pub struct TypeCsv {
    what: String,
    header: Vec<String>,
    out: String,
}

impl TypeCsv {
    /// Starts a table (`what` names it in error messages).
    pub fn new(what: &str, header: Vec<String>) -> TypeCsv {
        let out = header.join(" ") + "\n";
        TypeCsv {
            what: what.to_string(),
            header,
            out,
        }
    }

    /// Appends a row; columns absent from `row` are `NULL`.
    pub fn row(&mut self, row: &BTreeMap<&str, String>) -> Result<(), Diagnostic> {
        let mut cells = Vec::with_capacity(self.header.len());
        for h in &self.header {
            let cell = match row.get(h.as_str()) {
                None => "NULL".to_string(),
                Some(v) => self.cell(h, v)?,
            };
            cells.push(cell);
        }
        self.out.push_str(&cells.join(" "));
        self.out.push('\n');
        Ok(())
    }

    fn cell(&self, column: &str, v: &str) -> Result<String, Diagnostic> {
        if v.contains(['"', '\n', '\r']) {
            return Err(invalid(format!(
                "{}: column `{column}` value `{v}` contains a double quote or a line break, which a SONATA types CSV cannot hold",
                self.what
            )));
        }
        Ok(if v.is_empty() || v.contains([' ', '\t']) {
            format!("\"{v}\"")
        } else {
            v.to_string()
        })
    }

    /// The finished text.
    pub fn finish(self) -> String {
        self.out
    }
}

/// A number as Python prints it (`0.5`, `20.0`, `0.0020833333333333333`):
/// the shortest text that reads back to the same f64.
pub fn number(x: f64) -> String {
    format!("{x:?}")
}
