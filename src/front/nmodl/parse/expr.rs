//! Expressions: precedence levels of the grammar folded into [`Expr`] trees.
//! The depth of the built tree is tracked so later (recursive) passes never
//! see a tree deep enough to overflow the stack.

use super::Rule;
use super::tree::{Builder, P, R, string_text};
use crate::diag::{Diagnostic, Span};
use crate::front::nmodl::ast::*;

/// Deepest expression tree accepted (real files stay under 30).
const MAX_EXPR_DEPTH: u32 = 400;

impl Builder<'_> {
    /// Builds an `expr` pair (or any expression-level pair).
    pub(super) fn expr(&mut self, p: P<'_>) -> R<Expr> {
        self.expr_any(p)
    }

    /// Builds any expression-level pair.
    pub(super) fn expr_any(&mut self, p: P<'_>) -> R<Expr> {
        self.node(p).map(|(e, _)| e)
    }

    /// Builds an expression pair, returning the tree and its depth.
    fn node(&mut self, p: P<'_>) -> R<(Expr, u32)> {
        let (e, d) = match p.as_rule() {
            Rule::expr
            | Rule::and_expr
            | Rule::cmp_expr
            | Rule::add_expr
            | Rule::mul_expr
            | Rule::power => self.binary(p)?,
            Rule::unary => self.unary(p)?,
            Rule::primary => {
                let inner = self.kids(p).any()?;
                self.node(inner)?
            }
            Rule::number_lit => {
                let span = self.span(&p);
                let mut k = self.kids(p);
                let n = self.number(&k.want(Rule::number)?)?;
                let e = Expr {
                    span: n.span,
                    kind: ExprKind::Number(n),
                };
                match k.opt(Rule::eunit) {
                    Some(u) => (self.with_unit(e, &u, span), 2),
                    None => (e, 1),
                }
            }
            Rule::string => (
                Expr {
                    kind: ExprKind::Str(string_text(&p)),
                    span: self.span(&p),
                },
                1,
            ),
            Rule::ident => (
                Expr {
                    kind: ExprKind::Name(self.ident(&p)),
                    span: self.span(&p),
                },
                1,
            ),
            Rule::prime_ref => {
                let span = self.span(&p);
                let mut k = self.kids(p);
                let name = self.ident(&k.want(Rule::ident)?);
                let order = k.want(Rule::prime)?.as_str().len().min(255) as u8;
                (
                    Expr {
                        kind: ExprKind::Prime { name, order },
                        span,
                    },
                    1,
                )
            }
            Rule::indexed => {
                let span = self.span(&p);
                let mut k = self.kids(p);
                let name = self.ident(&k.want(Rule::ident)?);
                let (index, d) = self.node(k.want(Rule::expr)?)?;
                (
                    Expr {
                        kind: ExprKind::Index {
                            name,
                            index: Box::new(index),
                        },
                        span,
                    },
                    d + 1,
                )
            }
            Rule::call => {
                let span = self.span(&p);
                let mut k = self.kids(p);
                let name = self.ident(&k.want(Rule::ident)?);
                let mut args = Vec::new();
                let mut depth = 0;
                let mut unit = None;
                while let Some(a) = k.next() {
                    if a.as_rule() == Rule::eunit {
                        unit = Some(a);
                        break;
                    }
                    let (e, d) = self.node(a)?;
                    depth = depth.max(d);
                    args.push(e);
                }
                let call_span = match &unit {
                    Some(u) => Span::new(self.file, span.start as usize, {
                        let us = self.span(u);
                        // The call ends at the `)` before the unit.
                        let text = self.src.get(span.start as usize..us.start as usize);
                        let trimmed = text.map(|t| t.trim_end().len()).unwrap_or(0);
                        span.start as usize + trimmed
                    }),
                    None => span,
                };
                let e = Expr {
                    kind: ExprKind::Call { name, args },
                    span: call_span,
                };
                match unit {
                    Some(u) => (self.with_unit(e, &u, span), depth + 2),
                    None => (e, depth + 1),
                }
            }
            Rule::paren => {
                let span = self.span(&p);
                let mut k = self.kids(p);
                let (mut e, d) = self.node(k.want(Rule::expr)?)?;
                match k.opt(Rule::eunit) {
                    Some(u) => {
                        let us = self.span(&u);
                        let text = self.src.get(span.start as usize..us.start as usize);
                        let end =
                            span.start as usize + text.map(|t| t.trim_end().len()).unwrap_or(0);
                        e.span = Span::new(self.file, span.start as usize, end);
                        (self.with_unit(e, &u, span), d + 1)
                    }
                    None => {
                        e.span = span;
                        (e, d)
                    }
                }
            }
            _ => return Err(self.bug(&p, "unexpected expression pair")),
        };
        if d > MAX_EXPR_DEPTH {
            self.diags.push(
                Diagnostic::error("E0105", "expression is nested too deeply")
                    .with_primary(e.span, format!("more than {MAX_EXPR_DEPTH} levels"))
                    .with_help("split it using LOCAL variables"),
            );
            return Err(self.bug_at(e.span, "expression too deep"));
        }
        Ok((e, d))
    }

    fn with_unit(&self, e: Expr, u: &P<'_>, span: Span) -> Expr {
        Expr {
            kind: ExprKind::WithUnit {
                expr: Box::new(e),
                unit: self.unit(u),
            },
            span,
        }
    }

    /// A left-associative level (`a + b - c`), or `power` (`a ^ unary`).
    fn binary(&mut self, p: P<'_>) -> R<(Expr, u32)> {
        let mut k = self.kids(p);
        let first = k.any()?;
        let start = first.as_span().start();
        let (mut acc, mut depth) = self.node(first)?;
        while let Some(op) = k.next() {
            let bop = binary_op(op.as_str()).ok_or_else(|| self.bug(&op, "unknown operator"))?;
            let rhs_pair = k.any()?;
            let end = self.span(&rhs_pair).end as usize;
            let (rhs, d) = self.node(rhs_pair)?;
            depth = depth.max(d) + 1;
            acc = Expr {
                kind: ExprKind::Binary {
                    op: bop,
                    lhs: Box::new(acc),
                    rhs: Box::new(rhs),
                },
                span: Span::new(self.file, start, end),
            };
            if depth > MAX_EXPR_DEPTH {
                self.diags.push(
                    Diagnostic::error("E0105", "expression is too long or nested too deeply")
                        .with_primary(acc.span, format!("more than {MAX_EXPR_DEPTH} levels"))
                        .with_help("split it using LOCAL variables"),
                );
                return Err(self.bug_at(acc.span, "expression too deep"));
            }
        }
        Ok((acc, depth))
    }

    /// `-x`, `!x`, `+x` (prefix operators bind looser than `^`).
    fn unary(&mut self, p: P<'_>) -> R<(Expr, u32)> {
        let mut ops = Vec::new();
        let mut operand = None;
        let mut k = self.kids(p);
        while let Some(x) = k.next() {
            if x.as_rule() == Rule::op_unary {
                ops.push(x);
            } else {
                operand = Some(x);
                break;
            }
        }
        let operand =
            operand.ok_or_else(|| self.bug_at(Span::default(), "unary without operand"))?;
        let end = self.span(&operand).end as usize;
        let (mut e, mut depth) = self.node(operand)?;
        for op in ops.iter().rev() {
            let uop = match op.as_str() {
                "-" => UnaryOp::Neg,
                "!" => UnaryOp::Not,
                _ => continue,
            };
            depth += 1;
            e = Expr {
                kind: ExprKind::Unary {
                    op: uop,
                    operand: Box::new(e),
                },
                span: Span::new(self.file, op.as_span().start(), end),
            };
            if depth > MAX_EXPR_DEPTH {
                self.diags.push(
                    Diagnostic::error("E0105", "too many prefix operators in a row")
                        .with_primary(e.span, format!("more than {MAX_EXPR_DEPTH} levels"))
                        .with_help("remove the redundant `-` or `!` operators"),
                );
                return Err(self.bug_at(e.span, "expression too deep"));
            }
        }
        Ok((e, depth))
    }
}

/// The binary operator written `s`.
fn binary_op(s: &str) -> Option<BinaryOp> {
    Some(match s {
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "*" => BinaryOp::Mul,
        "/" => BinaryOp::Div,
        "^" => BinaryOp::Pow,
        "<" => BinaryOp::Lt,
        "<=" => BinaryOp::Le,
        ">" => BinaryOp::Gt,
        ">=" => BinaryOp::Ge,
        "==" => BinaryOp::Eq,
        "!=" => BinaryOp::Ne,
        "&&" => BinaryOp::And,
        "||" => BinaryOp::Or,
        _ => return None,
    })
}
