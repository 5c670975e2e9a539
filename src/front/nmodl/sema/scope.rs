//! Nested scopes of names that live inside blocks: LOCALs, FUNCTION and
//! PROCEDURE parameters, NET_RECEIVE arguments, FROM loop variables and
//! COMPARTMENT index variables.

use crate::diag::Span;

/// What introduced a scoped name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalKind {
    /// `LOCAL x`.
    Local,
    /// A FUNCTION/PROCEDURE/FUNCTION_TABLE parameter or NET_RECEIVE argument.
    Param,
    /// A FROM loop variable or COMPARTMENT index not otherwise declared.
    Index,
}

/// One scoped name.
#[derive(Clone, Debug)]
pub struct Local {
    /// The name.
    pub name: String,
    /// Where it was introduced.
    pub span: Span,
    /// What introduced it.
    pub kind: LocalKind,
    /// Whether anything read or wrote it.
    pub used: bool,
}

/// A stack of scopes, innermost last.
#[derive(Default)]
pub struct Scopes {
    frames: Vec<Vec<Local>>,
}

impl Scopes {
    /// Opens a scope.
    pub fn push(&mut self) {
        self.frames.push(Vec::new());
    }

    /// Closes the innermost scope and returns its names.
    pub fn pop(&mut self) -> Vec<Local> {
        self.frames.pop().unwrap_or_default()
    }

    /// Adds a name to the innermost scope. When the same scope already has
    /// it, returns the earlier span and adds nothing.
    pub fn declare(&mut self, name: &str, span: Span, kind: LocalKind) -> Result<(), Span> {
        if self.frames.is_empty() {
            self.push();
        }
        let Some(frame) = self.frames.last_mut() else {
            return Ok(());
        };
        if let Some(prev) = frame.iter().find(|l| l.name == name) {
            return Err(prev.span);
        }
        frame.push(Local {
            name: name.to_string(),
            span,
            kind,
            used: false,
        });
        Ok(())
    }

    /// Finds the innermost name `name` and marks it used.
    pub fn use_name(&mut self, name: &str) -> Option<&Local> {
        for frame in self.frames.iter_mut().rev() {
            if let Some(l) = frame.iter_mut().find(|l| l.name == name) {
                l.used = true;
                return Some(l);
            }
        }
        None
    }

    /// Whether `name` is in scope (without marking it used).
    pub fn contains(&self, name: &str) -> bool {
        self.frames.iter().flatten().any(|l| l.name == name)
    }

    /// Every name in scope.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.frames.iter().flatten().map(|l| l.name.as_str())
    }
}
