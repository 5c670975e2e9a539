//! Recursive-descent parser from tokens to the [`super::ast`] tree. hoc
//! ends a statement at a newline or wherever the next statement starts
//! (`diam = 10 nseg = 1`), and a section name followed by a statement
//! runs that statement on the section; the parser knows the section names
//! of a template from its `create` statements. A syntax error skips the
//! rest of its template, so the other templates of the file still parse.

use super::ast::*;
use super::lexer::{Tok, Token};
use crate::diag::{Diagnostic, Span};
use std::collections::HashSet;

/// A template that did not parse: its name and why.
#[derive(Clone, Debug)]
pub struct Failed {
    /// The template's name.
    pub name: Ident,
    /// Its syntax errors.
    pub errors: Vec<Diagnostic>,
}

/// Parses a whole file: the templates that parsed, those that did not,
/// and the syntax errors outside templates.
pub fn parse(tokens: &[Token]) -> (File, Vec<Failed>, Vec<Diagnostic>) {
    let mut p = Parser {
        t: tokens,
        pos: 0,
        nest: 0,
        sections: HashSet::new(),
    };
    let mut file = File {
        templates: Vec::new(),
        top: Vec::new(),
    };
    let mut failed = Vec::new();
    let mut errors = Vec::new();
    loop {
        p.skip_separators();
        match p.peek().clone() {
            Tok::Eof => break,
            Tok::Ident(k) if k == "begintemplate" => match p.template() {
                Ok(t) => file.templates.push(t),
                Err(failure) => {
                    let (name, e) = *failure;
                    p.recover_to_endtemplate();
                    match name {
                        Some(name) => failed.push(Failed {
                            name,
                            errors: vec![e],
                        }),
                        None => errors.push(e),
                    }
                }
            },
            _ => {
                p.sections.clear();
                match p.stmt() {
                    Ok(s) => file.top.push(s),
                    Err(e) => {
                        errors.push(e);
                        p.recover_line();
                    }
                }
            }
        }
    }
    (file, failed, errors)
}

struct Parser<'t> {
    t: &'t [Token],
    pos: usize,
    /// Depth of open `(`/`[`: newlines inside them do not end anything.
    nest: usize,
    /// Section names of the template being parsed.
    sections: HashSet<String>,
}

type PResult<T> = Result<T, Diagnostic>;

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(_) => "a number".into(),
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Str(_) => "a string".into(),
        Tok::Arg(..) => "an argument `$`".into(),
        Tok::Punct(p) => format!("`{p}`"),
        Tok::Newline => "the end of the line".into(),
        Tok::Eof => "the end of the file".into(),
    }
}

impl<'t> Parser<'t> {
    fn raw(&self) -> &'t Token {
        &self.t[self.pos.min(self.t.len() - 1)]
    }

    /// The next token (newlines skipped inside brackets).
    fn peek(&mut self) -> &'t Tok {
        if self.nest > 0 {
            while self.raw().tok == Tok::Newline {
                self.pos += 1;
            }
        }
        &self.raw().tok
    }

    fn span(&mut self) -> Span {
        self.peek();
        self.raw().span
    }

    fn prev_end(&self) -> Span {
        self.t[self.pos.saturating_sub(1)].span
    }

    fn bump(&mut self) -> &'t Token {
        self.peek();
        let t = self.raw();
        if self.pos < self.t.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn is_punct(&mut self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(q) if *q == p)
    }

    fn is_kw(&mut self, k: &str) -> bool {
        matches!(self.peek(), Tok::Ident(q) if q == k)
    }

    fn eat(&mut self, p: &str) -> bool {
        if self.is_punct(p) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn err_expected(&mut self, what: &str) -> Diagnostic {
        let found = describe(self.peek());
        let span = self.span();
        Diagnostic::error("E1602", format!("expected {what}, found {found}"))
            .with_primary(span, format!("expected {what} here"))
            .with_help(format!("write {what} here (hoc syntax as NEURON reads it)"))
    }

    fn expect(&mut self, p: &str) -> PResult<Span> {
        if self.is_punct(p) {
            Ok(self.bump().span)
        } else {
            Err(self.err_expected(&format!("`{p}`")))
        }
    }

    fn ident(&mut self, what: &str) -> PResult<Ident> {
        match self.peek().clone() {
            Tok::Ident(name) => {
                let span = self.bump().span;
                Ok(Ident { name, span })
            }
            _ => Err(self.err_expected(what)),
        }
    }

    fn skip_newlines(&mut self) {
        while self.raw().tok == Tok::Newline {
            self.pos += 1;
        }
    }

    fn skip_separators(&mut self) {
        while matches!(self.raw().tok, Tok::Newline | Tok::Punct(";")) {
            self.pos += 1;
        }
    }

    fn recover_line(&mut self) {
        self.nest = 0;
        while !matches!(self.raw().tok, Tok::Newline | Tok::Eof) {
            self.pos += 1;
        }
    }

    fn recover_to_endtemplate(&mut self) {
        self.nest = 0;
        loop {
            match &self.raw().tok {
                Tok::Eof => return,
                Tok::Ident(k) if k == "endtemplate" => {
                    self.pos += 1;
                    if matches!(self.raw().tok, Tok::Ident(_)) {
                        self.pos += 1;
                    }
                    return;
                }
                _ => self.pos += 1,
            }
        }
    }

    /// Names created by `create` anywhere in the template starting here.
    fn scan_sections(&self) -> HashSet<String> {
        let mut out = HashSet::new();
        let mut i = self.pos;
        while i < self.t.len() {
            match &self.t[i].tok {
                Tok::Ident(k) if k == "endtemplate" => break,
                Tok::Ident(k) if k == "create" => {
                    i += 1;
                    let mut depth = 0;
                    while i < self.t.len() {
                        match &self.t[i].tok {
                            Tok::Newline | Tok::Punct(";") | Tok::Eof if depth == 0 => break,
                            Tok::Punct("[") => depth += 1,
                            Tok::Punct("]") => depth -= 1,
                            Tok::Ident(n) if depth == 0 => {
                                out.insert(n.clone());
                            }
                            _ => {}
                        }
                        i += 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        out
    }

    fn template(&mut self) -> Result<Template, Box<(Option<Ident>, Diagnostic)>> {
        let start = self.bump().span;
        let name = self
            .ident("a template name")
            .map_err(|e| Box::new((None, e)))?;
        self.sections = self.scan_sections();
        let mut body = Vec::new();
        loop {
            self.skip_separators();
            match self.peek().clone() {
                Tok::Eof => {
                    return Err(Box::new((
                        Some(name.clone()),
                        Diagnostic::error(
                            "E1603",
                            format!("template `{}` has no `endtemplate`", name.name),
                        )
                        .with_primary(name.span, "this template never ends")
                        .with_help(format!("end it with `endtemplate {}`", name.name)),
                    )));
                }
                Tok::Ident(k) if k == "endtemplate" => {
                    self.bump();
                    let end = self
                        .ident("the template's name")
                        .map_err(|e| Box::new((Some(name.clone()), e)))?;
                    if end.name != name.name {
                        return Err(Box::new((
                            Some(name.clone()),
                            Diagnostic::error(
                                "E1604",
                                format!(
                                    "`endtemplate {}` closes template `{}`",
                                    end.name, name.name
                                ),
                            )
                            .with_primary(end.span, "a different name")
                            .with_secondary(name.span, "template opened here")
                            .with_help(format!("write `endtemplate {}`", name.name)),
                        )));
                    }
                    return Ok(Template {
                        name,
                        body,
                        span: start.to(end.span),
                    });
                }
                Tok::Ident(k) if k == "begintemplate" => {
                    let span = self.span();
                    return Err(Box::new((
                        Some(name.clone()),
                        Diagnostic::error("E1603", "`begintemplate` inside a template")
                            .with_primary(span, "a new template starts here")
                            .with_secondary(name.span, "before this one ended")
                            .with_help(format!(
                                "end `{}` with `endtemplate {}` first",
                                name.name, name.name
                            )),
                    )));
                }
                _ => match self.stmt() {
                    Ok(s) => body.push(s),
                    Err(e) => return Err(Box::new((Some(name.clone()), e))),
                },
            }
        }
    }

    fn block(&mut self) -> PResult<(Vec<Stmt>, Span)> {
        let open = self.expect("{")?;
        let saved = self.nest;
        self.nest = 0;
        let mut body = Vec::new();
        loop {
            self.skip_separators();
            match self.peek() {
                Tok::Punct("}") => {
                    let close = self.bump().span;
                    self.nest = saved;
                    return Ok((body, open.to(close)));
                }
                Tok::Eof => {
                    return Err(Diagnostic::error("E1603", "unclosed `{`")
                        .with_primary(open, "this block is never closed")
                        .with_help("add `}` to close the block"));
                }
                Tok::Ident(k) if k == "endtemplate" || k == "begintemplate" => {
                    let at = self.span();
                    return Err(Diagnostic::error("E1603", "unclosed `{`")
                        .with_primary(at, "expected `}` before this")
                        .with_secondary(open, "this block is never closed")
                        .with_help("add `}` to close the block"));
                }
                _ => body.push(self.stmt()?),
            }
        }
    }

    /// A statement on the same line, or a `{` block on a following line.
    fn body(&mut self) -> PResult<Stmt> {
        let save = self.pos;
        self.skip_newlines();
        if self.is_punct("{") {
            return self.stmt();
        }
        self.pos = save;
        if matches!(self.raw().tok, Tok::Newline) {
            // hoc allows the body on the next line after `if (...)`, `for ...`.
            self.skip_newlines();
        }
        self.stmt()
    }

    fn stmt(&mut self) -> PResult<Stmt> {
        let start = self.span();
        let kind = match self.peek().clone() {
            Tok::Punct("{") => {
                let (b, span) = self.block()?;
                return Ok(Stmt {
                    kind: StmtKind::Block(b),
                    span,
                });
            }
            Tok::Punct(";") => {
                self.bump();
                StmtKind::Empty
            }
            Tok::Ident(k) => match k.as_str() {
                "if" => self.if_stmt()?,
                "while" => {
                    self.bump();
                    let cond = self.paren_expr()?;
                    StmtKind::While {
                        cond,
                        body: Box::new(self.body()?),
                    }
                }
                "for" => self.for_stmt()?,
                "return" => {
                    self.bump();
                    if self.starts_expr() {
                        StmtKind::Return(Some(self.expr()?))
                    } else {
                        StmtKind::Return(None)
                    }
                }
                "break" => {
                    self.bump();
                    StmtKind::Break
                }
                "continue" => {
                    self.bump();
                    StmtKind::Continue
                }
                "create" => {
                    self.bump();
                    StmtKind::Create(self.decls()?)
                }
                "double" => {
                    self.bump();
                    StmtKind::Double(self.decls()?)
                }
                "objref" | "objectvar" => {
                    self.bump();
                    StmtKind::Objref(self.decls()?)
                }
                "strdef" => {
                    self.bump();
                    StmtKind::Strdef(self.names()?)
                }
                "public" => {
                    self.bump();
                    StmtKind::Public(self.names()?)
                }
                "external" => {
                    self.bump();
                    StmtKind::External(self.names()?)
                }
                "local" => {
                    self.bump();
                    StmtKind::Local(self.names()?)
                }
                "localobj" => {
                    self.bump();
                    StmtKind::LocalObj(self.names()?)
                }
                "proc" | "func" | "obfunc" => {
                    self.bump();
                    let name = self.ident("a name")?;
                    self.expect("(")?;
                    self.expect(")")?;
                    self.skip_newlines();
                    let (body, _) = self.block()?;
                    StmtKind::Proc {
                        name,
                        is_func: k != "proc",
                        body,
                    }
                }
                "insert" => {
                    self.bump();
                    StmtKind::Insert(self.ident("a mechanism name")?)
                }
                "uninsert" => {
                    self.bump();
                    StmtKind::Uninsert(self.ident("a mechanism name")?)
                }
                "connect" => self.connect()?,
                "access" => {
                    self.bump();
                    StmtKind::Access(self.secref()?)
                }
                "forall" => {
                    self.bump();
                    StmtKind::Forall(Box::new(self.body()?))
                }
                "forsec" => {
                    self.bump();
                    let e = self.expr()?;
                    let what = match e.kind {
                        ExprKind::Str(_) => ForsecWhat::Pattern(e),
                        _ => ForsecWhat::List(e),
                    };
                    StmtKind::Forsec {
                        what,
                        body: Box::new(self.body()?),
                    }
                }
                "ifsec" => {
                    self.bump();
                    let pattern = self.expr()?;
                    StmtKind::Ifsec {
                        pattern,
                        body: Box::new(self.body()?),
                    }
                }
                "print" => {
                    self.bump();
                    let mut items = Vec::new();
                    if self.starts_expr() {
                        items.push(self.expr()?);
                        while self.eat(",") {
                            items.push(self.expr()?);
                        }
                    }
                    StmtKind::Print(items)
                }
                "iterator" | "iterator_statement" | "stop" | "parallel" | "help" => {
                    self.bump();
                    self.recover_line();
                    StmtKind::Unsupported(k.clone())
                }
                "else" => {
                    return Err(Diagnostic::error("E1602", "`else` without `if`")
                        .with_primary(start, "no `if` before this")
                        .with_help("put `else` right after the `if` statement's body"));
                }
                _ if self.sections.contains(k.as_str()) => self.on_section()?,
                _ => self.simple()?,
            },
            _ => self.simple()?,
        };
        Ok(Stmt {
            kind,
            span: start.to(self.prev_end()),
        })
    }

    fn starts_expr(&mut self) -> bool {
        match self.peek() {
            Tok::Num(_) | Tok::Str(_) | Tok::Arg(..) | Tok::Ident(_) => true,
            Tok::Punct(p) => matches!(*p, "(" | "-" | "!" | "+"),
            _ => false,
        }
    }

    /// An expression statement or an assignment.
    fn simple(&mut self) -> PResult<StmtKind> {
        if !self.starts_expr() {
            return Err(self.err_expected("a statement"));
        }
        let target = self.expr()?;
        let op = match self.peek() {
            Tok::Punct("=") => AssignOp::Set,
            Tok::Punct("+=") => AssignOp::Add,
            Tok::Punct("-=") => AssignOp::Sub,
            Tok::Punct("*=") => AssignOp::Mul,
            Tok::Punct("/=") => AssignOp::Div,
            _ => return Ok(StmtKind::Expr(target)),
        };
        let op_span = self.bump().span;
        if !matches!(
            target.kind,
            ExprKind::Name { .. } | ExprKind::Member { .. } | ExprKind::Arg(..)
        ) {
            return Err(
                Diagnostic::error("E1602", "cannot assign to this expression")
                    .with_primary(target.span, "not a variable")
                    .with_secondary(op_span, "assignment here")
                    .with_help("assign to a variable, an array element or a range variable"),
            );
        }
        let value = self.expr()?;
        Ok(StmtKind::Assign { target, op, value })
    }

    fn if_stmt(&mut self) -> PResult<StmtKind> {
        self.bump();
        let cond = self.paren_expr()?;
        let then = Box::new(self.body()?);
        let save = self.pos;
        self.skip_separators();
        let otherwise = if self.is_kw("else") {
            self.bump();
            Some(Box::new(self.body()?))
        } else {
            self.pos = save;
            None
        };
        Ok(StmtKind::If {
            cond,
            then,
            otherwise,
        })
    }

    fn for_stmt(&mut self) -> PResult<StmtKind> {
        self.bump();
        if self.is_punct("(") {
            // `for (x)` / `for (x, 0)` or `for (init; cond; step)`.
            let save = self.pos;
            self.bump();
            self.nest += 1;
            if let Tok::Ident(v) = self.peek().clone() {
                let vspan = self.bump().span;
                if self.is_punct(")") || self.is_punct(",") {
                    let interior = if self.eat(",") {
                        let e = self.expr()?;
                        !matches!(e.kind, ExprKind::Num(n) if n != 0.0)
                    } else {
                        false
                    };
                    self.nest -= 1;
                    self.expect(")")?;
                    return Ok(StmtKind::ForX {
                        var: Ident {
                            name: v,
                            span: vspan,
                        },
                        interior,
                        body: Box::new(self.body()?),
                    });
                }
            }
            self.pos = save;
            self.bump();
            let init = if self.is_punct(";") {
                None
            } else {
                Some(Box::new(self.simple_stmt()?))
            };
            self.expect(";")?;
            let cond = if self.is_punct(";") {
                None
            } else {
                Some(self.expr()?)
            };
            self.expect(";")?;
            let step = if self.is_punct(")") {
                None
            } else {
                Some(Box::new(self.simple_stmt()?))
            };
            self.nest -= 1;
            self.expect(")")?;
            return Ok(StmtKind::ForC {
                init,
                cond,
                step,
                body: Box::new(self.body()?),
            });
        }
        let var = self.ident("a loop variable")?;
        self.expect("=")?;
        let from = self.expr()?;
        self.expect(",")?;
        let to = self.expr()?;
        Ok(StmtKind::ForRange {
            var,
            from,
            to,
            body: Box::new(self.body()?),
        })
    }

    fn simple_stmt(&mut self) -> PResult<Stmt> {
        let start = self.span();
        let kind = self.simple()?;
        Ok(Stmt {
            kind,
            span: start.to(self.prev_end()),
        })
    }

    fn paren_expr(&mut self) -> PResult<Expr> {
        self.expect("(")?;
        self.nest += 1;
        let e = self.expr()?;
        self.nest -= 1;
        self.expect(")")?;
        Ok(e)
    }

    fn names(&mut self) -> PResult<Vec<Ident>> {
        let mut v = vec![self.ident("a name")?];
        while self.eat(",") {
            v.push(self.ident("a name")?);
        }
        Ok(v)
    }

    fn decls(&mut self) -> PResult<Vec<Decl>> {
        let mut v = Vec::new();
        loop {
            let name = self.ident("a name")?;
            let mut dims = Vec::new();
            while self.is_punct("[") {
                self.bump();
                self.nest += 1;
                dims.push(self.expr()?);
                self.nest -= 1;
                self.expect("]")?;
            }
            v.push(Decl { name, dims });
            if !self.eat(",") {
                return Ok(v);
            }
        }
    }

    fn secref(&mut self) -> PResult<SecRef> {
        let name = self.ident("a section name")?;
        let index = if self.is_punct("[") {
            self.bump();
            self.nest += 1;
            let e = self.expr()?;
            self.nest -= 1;
            self.expect("]")?;
            Some(e)
        } else {
            None
        };
        let span = name.span.to(self.prev_end());
        Ok(SecRef { name, index, span })
    }

    fn is_section_name(&mut self) -> bool {
        matches!(self.peek(), Tok::Ident(n) if self.sections.contains(n.as_str()))
    }

    fn connect(&mut self) -> PResult<StmtKind> {
        self.bump();
        let child = if self.is_section_name() {
            Some(self.secref()?)
        } else {
            None
        };
        let child_x = if self.is_punct("(") {
            Some(self.paren_expr()?)
        } else {
            None
        };
        if child.is_none() && child_x.is_none() {
            return Err(self.err_expected("a section, as in `connect dend(0), soma(1)`"));
        }
        self.expect(",")?;
        let to = if self.is_section_name() {
            let save = self.pos;
            let s = self.secref()?;
            if self.is_punct("(") {
                ConnectTo::Section(s, self.paren_expr()?)
            } else if self.is_punct(".") {
                self.pos = save;
                ConnectTo::Here(self.expr()?)
            } else {
                let one = Expr {
                    kind: ExprKind::Num(1.0),
                    span: s.span,
                };
                ConnectTo::Section(s, one)
            }
        } else {
            ConnectTo::Here(self.expr()?)
        };
        Ok(StmtKind::Connect(Box::new(Connect { child, child_x, to })))
    }

    /// `sec stmt`, or an expression statement starting with `sec.`.
    fn on_section(&mut self) -> PResult<StmtKind> {
        let save = self.pos;
        let sec = self.secref()?;
        if self.is_punct(".") || self.is_punct("=") || self.is_punct("(") {
            self.pos = save;
            return self.simple();
        }
        if matches!(self.raw().tok, Tok::Newline | Tok::Eof) || self.is_punct("}") {
            let save2 = self.pos;
            self.skip_newlines();
            if !self.is_punct("{") {
                self.pos = save2;
                return Err(Diagnostic::error(
                    "E1602",
                    format!("section `{}` is not followed by a statement", sec.name.name),
                )
                .with_primary(sec.span, "a section name alone does nothing")
                .with_help(format!(
                    "write what to do with it, e.g. `{} {{ nseg = 1 }}`, or `access {}`",
                    sec.name.name, sec.name.name
                )));
            }
        }
        Ok(StmtKind::OnSection {
            sec,
            body: Box::new(self.stmt()?),
        })
    }

    // Expressions, lowest precedence first.

    fn expr(&mut self) -> PResult<Expr> {
        self.binary(0)
    }

    fn binary(&mut self, level: usize) -> PResult<Expr> {
        const LEVELS: [&[(&str, BinOp)]; 5] = [
            &[("||", BinOp::Or)],
            &[("&&", BinOp::And)],
            &[
                ("==", BinOp::Eq),
                ("!=", BinOp::Ne),
                ("<", BinOp::Lt),
                ("<=", BinOp::Le),
                (">", BinOp::Gt),
                (">=", BinOp::Ge),
            ],
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
            &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        loop {
            let op = match self.peek() {
                Tok::Punct(p) => LEVELS[level].iter().find(|(s, _)| s == p).map(|(_, o)| *o),
                _ => None,
            };
            let Some(op) = op else { return Ok(lhs) };
            self.bump();
            let rhs = self.binary(level + 1)?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
    }

    fn unary(&mut self) -> PResult<Expr> {
        let start = self.span();
        if self.eat("-") {
            let e = self.unary()?;
            let span = start.to(e.span);
            return Ok(Expr {
                kind: ExprKind::Neg(Box::new(e)),
                span,
            });
        }
        if self.eat("+") {
            return self.unary();
        }
        if self.eat("!") {
            let e = self.unary()?;
            let span = start.to(e.span);
            return Ok(Expr {
                kind: ExprKind::Not(Box::new(e)),
                span,
            });
        }
        self.power()
    }

    fn power(&mut self) -> PResult<Expr> {
        let base = self.postfix()?;
        if self.eat("^") {
            let exp = self.unary()?;
            let span = base.span.to(exp.span);
            return Ok(Expr {
                kind: ExprKind::Binary(BinOp::Pow, Box::new(base), Box::new(exp)),
                span,
            });
        }
        Ok(base)
    }

    fn indexes(&mut self) -> PResult<Vec<Expr>> {
        let mut v = Vec::new();
        while self.is_punct("[") {
            self.bump();
            self.nest += 1;
            v.push(self.expr()?);
            self.nest -= 1;
            self.expect("]")?;
        }
        Ok(v)
    }

    fn call_args(&mut self) -> PResult<Option<Vec<Expr>>> {
        if !self.is_punct("(") {
            return Ok(None);
        }
        self.bump();
        self.nest += 1;
        let mut args = Vec::new();
        if !self.is_punct(")") {
            args.push(self.expr()?);
            while self.eat(",") {
                args.push(self.expr()?);
            }
        }
        self.nest -= 1;
        self.expect(")")?;
        Ok(Some(args))
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let mut e = self.primary()?;
        while self.is_punct(".") {
            self.bump();
            let member = self.ident("a member name")?;
            let index = self.indexes()?;
            let args = self.call_args()?;
            let span = e.span.to(self.prev_end());
            e = Expr {
                kind: ExprKind::Member {
                    base: Box::new(e),
                    member,
                    index,
                    args,
                },
                span,
            };
        }
        Ok(e)
    }

    fn primary(&mut self) -> PResult<Expr> {
        let start = self.span();
        let kind = match self.peek().clone() {
            Tok::Num(n) => {
                self.bump();
                ExprKind::Num(n)
            }
            Tok::Str(s) => {
                self.bump();
                ExprKind::Str(s)
            }
            Tok::Arg(k, n) => {
                self.bump();
                ExprKind::Arg(k, n)
            }
            Tok::Punct("(") => {
                let e = self.paren_expr()?;
                return Ok(Expr {
                    kind: e.kind,
                    span: start.to(self.prev_end()),
                });
            }
            Tok::Ident(k) if k == "new" => {
                self.bump();
                let class = self.ident("a class name")?;
                let args = self.call_args()?.unwrap_or_default();
                ExprKind::New { class, args }
            }
            Tok::Ident(name) => {
                let span = self.bump().span;
                let index = self.indexes()?;
                let args = self.call_args()?;
                ExprKind::Name {
                    name: Ident { name, span },
                    index,
                    args,
                }
            }
            _ => return Err(self.err_expected("an expression")),
        };
        Ok(Expr {
            kind,
            span: start.to(self.prev_end()),
        })
    }
}
