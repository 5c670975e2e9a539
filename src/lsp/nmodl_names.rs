//! What a name at a position in a `.mod` file refers to: a LOCAL or an
//! argument of the enclosing block, else a module-level symbol (with its
//! declaration line, for units, default and limits). Shared by hover,
//! go to definition and completion.

use crate::diag::Span;
use crate::front::nmodl::ast::{
    Block, DeclKind, Item, ItemKind, Module, NeuronStmtKind, Param, StmtKind, VarDecl,
};
use crate::front::nmodl::sema::{Analysis, Symbol};

/// The identifier around byte `offset`: its range and text.
pub fn word_at(text: &str, offset: usize) -> Option<(usize, usize, &str)> {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = text.as_bytes();
    let offset = offset.min(bytes.len());
    let mut start = offset;
    while start > 0 && is_word(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = offset;
    while end < bytes.len() && is_word(bytes[end]) {
        end += 1;
    }
    if start == end || bytes[start].is_ascii_digit() {
        return None;
    }
    Some((start, end, &text[start..end]))
}

/// A name visible only inside one block.
#[derive(Clone, Debug, PartialEq)]
pub struct Local {
    /// The name.
    pub name: String,
    /// Where it is declared.
    pub span: Span,
    /// "LOCAL", "argument" or "loop variable".
    pub what: &'static str,
    /// Declared unit (arguments only).
    pub unit: Option<String>,
    /// The enclosing block, e.g. `PROCEDURE rates`.
    pub owner: String,
}

/// What a name refers to.
pub enum Target<'a> {
    /// A name local to a block.
    Local(Local),
    /// A module-level symbol, with its declaration when it has one.
    Symbol(&'a Symbol, Option<(&'a VarDecl, DeclKind)>),
}

/// Resolves `name` as seen at byte `offset`.
pub fn resolve<'a>(
    module: &'a Module,
    analysis: Option<&'a Analysis>,
    name: &str,
    offset: usize,
) -> Option<Target<'a>> {
    if let Some(l) = locals_at(module, offset)
        .into_iter()
        .rev()
        .find(|l| l.name == name)
    {
        return Some(Target::Local(l));
    }
    let sym = analysis?.symbols.get(name)?;
    Some(Target::Symbol(sym, declaration(module, sym)))
}

/// The declaration line of a symbol (PARAMETER, STATE, ASSIGNED, ...).
pub fn declaration<'a>(module: &'a Module, sym: &Symbol) -> Option<(&'a VarDecl, DeclKind)> {
    let span = sym.span?;
    module.items.iter().find_map(|i| match &i.kind {
        ItemKind::Declare { kind, decls } => decls
            .iter()
            .find(|d| d.name.span == span)
            .map(|d| (d, *kind)),
        _ => None,
    })
}

/// Every local name in scope at `offset`, outermost first.
pub fn locals_at(module: &Module, offset: usize) -> Vec<Local> {
    let mut out = Vec::new();
    let Some(item) = item_at(module, offset) else {
        return out;
    };
    let owner = item_title(item);
    let (params, body): (&[Param], Option<&Block>) = match &item.kind {
        ItemKind::Procedure(f) | ItemKind::Function(f) => (&f.params, Some(&f.body)),
        ItemKind::NetReceive { params, body } => (params, Some(body)),
        ItemKind::Initial(b)
        | ItemKind::Breakpoint(b)
        | ItemKind::Constructor(b)
        | ItemKind::Destructor(b) => (&[], Some(b)),
        ItemKind::Solvable { body, .. }
        | ItemKind::Before { body, .. }
        | ItemKind::After { body, .. } => (&[], Some(body)),
        _ => (&[], None),
    };
    for p in params {
        out.push(Local {
            name: p.name.name.clone(),
            span: p.name.span,
            what: "argument",
            unit: p.unit.as_ref().map(|u| u.text.clone()),
            owner: owner.clone(),
        });
    }
    if let Some(b) = body {
        block_locals(b, offset, &owner, &mut out);
    }
    out
}

fn block_locals(b: &Block, offset: usize, owner: &str, out: &mut Vec<Local>) {
    if !contains(b.span, offset) {
        return;
    }
    for s in &b.stmts {
        match &s.kind {
            StmtKind::Local(decls) => {
                for d in decls {
                    out.push(Local {
                        name: d.name.name.clone(),
                        span: d.name.span,
                        what: "LOCAL",
                        unit: None,
                        owner: owner.to_string(),
                    });
                }
            }
            StmtKind::If {
                then,
                else_ifs,
                otherwise,
                ..
            } => {
                block_locals(then, offset, owner, out);
                for (_, b) in else_ifs {
                    block_locals(b, offset, owner, out);
                }
                if let Some(b) = otherwise {
                    block_locals(b, offset, owner, out);
                }
            }
            StmtKind::While { body, .. } | StmtKind::Initial(body) | StmtKind::Block(body) => {
                block_locals(body, offset, owner, out)
            }
            StmtKind::FromTo { var, body, .. } => {
                if contains(s.span, offset) {
                    out.push(Local {
                        name: var.name.clone(),
                        span: var.span,
                        what: "loop variable",
                        unit: None,
                        owner: owner.to_string(),
                    });
                }
                block_locals(body, offset, owner, out);
            }
            StmtKind::Solve {
                if_error: Some(b), ..
            } => block_locals(b, offset, owner, out),
            _ => {}
        }
    }
}

/// The top-level item of the module's own file (not one it INCLUDEs)
/// containing `offset`.
pub fn item_at(module: &Module, offset: usize) -> Option<&Item> {
    module
        .items
        .iter()
        .find(|i| i.span.file == module.span.file && contains(i.span, offset))
}

/// A block's keyword and name, e.g. `PROCEDURE rates` or `BREAKPOINT`.
pub fn item_title(item: &Item) -> String {
    match &item.kind {
        ItemKind::Title(_) => "TITLE".into(),
        ItemKind::Define { name, .. } => format!("DEFINE {}", name.name),
        ItemKind::Include { path, .. } => format!("INCLUDE \"{path}\""),
        ItemKind::Neuron(stmts) => {
            let name = stmts.iter().find_map(|s| match &s.kind {
                NeuronStmtKind::Suffix(n)
                | NeuronStmtKind::PointProcess(n)
                | NeuronStmtKind::ArtificialCell(n) => Some(n.name.as_str()),
                _ => None,
            });
            match name {
                Some(n) => format!("NEURON {n}"),
                None => "NEURON".into(),
            }
        }
        ItemKind::Units(_) => "UNITS".into(),
        ItemKind::Declare { kind, .. } => decl_keyword(*kind).into(),
        ItemKind::Initial(_) => "INITIAL".into(),
        ItemKind::Breakpoint(_) => "BREAKPOINT".into(),
        ItemKind::Solvable { kind, name, .. } => format!(
            "{} {}",
            crate::front::nmodl::sema::builtins::solvable_keyword(*kind),
            name.name
        ),
        ItemKind::Procedure(f) => format!("PROCEDURE {}", f.name.name),
        ItemKind::Function(f) => format!("FUNCTION {}", f.name.name),
        ItemKind::FunctionTable { name, .. } => format!("FUNCTION_TABLE {}", name.name),
        ItemKind::NetReceive { .. } => "NET_RECEIVE".into(),
        ItemKind::Before { when, .. } => format!("BEFORE {}", when.name),
        ItemKind::After { when, .. } => format!("AFTER {}", when.name),
        ItemKind::Constructor(_) => "CONSTRUCTOR".into(),
        ItemKind::Destructor(_) => "DESTRUCTOR".into(),
        ItemKind::Verbatim(_) => "VERBATIM".into(),
        ItemKind::UnitsOff => "UNITSOFF".into(),
        ItemKind::UnitsOn => "UNITSON".into(),
    }
}

/// The keyword of a declaration block.
pub fn decl_keyword(kind: DeclKind) -> &'static str {
    match kind {
        DeclKind::Parameter => "PARAMETER",
        DeclKind::Constant => "CONSTANT",
        DeclKind::Assigned => "ASSIGNED",
        DeclKind::State => "STATE",
        DeclKind::Independent => "INDEPENDENT",
        DeclKind::Depend => "DEPEND",
    }
}

/// True when `offset` is inside `span` (its end included, so a cursor
/// just after a name still finds it).
pub fn contains(span: Span, offset: usize) -> bool {
    span.start as usize <= offset && offset <= span.end as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_at_finds_identifiers_only() {
        let t = "x = gna_bar*2";
        assert_eq!(word_at(t, 6).map(|w| w.2), Some("gna_bar"));
        assert_eq!(word_at(t, 11).map(|w| w.2), Some("gna_bar"));
        assert_eq!(word_at(t, 12), None);
        assert_eq!(word_at(t, 1), Some((0, 1, "x")));
        assert_eq!(word_at("", 0), None);
        assert_eq!(word_at("é", 1), None);
    }
}
