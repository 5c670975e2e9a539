//! Small constructors for IR expressions and statements, and fresh locals,
//! so the solvers read like the C they mirror.

use crate::ir::{BinOp, Expr, LocalId, MathFn, Place, SharedVar, Stmt, UnOp};

/// Allocates new locals in a kernel's or function's local list.
pub struct Locals<'a> {
    names: &'a mut Vec<String>,
}

impl<'a> Locals<'a> {
    /// Wraps the local-name list of one body.
    pub fn new(names: &'a mut Vec<String>) -> Self {
        Locals { names }
    }

    /// A new local named `name` (made unique by a numeric suffix).
    pub fn fresh(&mut self, name: &str) -> LocalId {
        let id = self.names.len();
        self.names.push(format!("{name}_{id}"));
        LocalId::new(id)
    }

    /// `n` new locals named `name0`, `name1`, ...
    pub fn fresh_n(&mut self, name: &str, n: usize) -> Vec<LocalId> {
        (0..n).map(|i| self.fresh(&format!("{name}{i}"))).collect()
    }
}

/// A constant.
pub fn c(v: f64) -> Expr {
    Expr::Const(v)
}

/// The value of a local.
pub fn l(id: LocalId) -> Expr {
    Expr::Load(Place::Local(id))
}

/// The value at a place.
pub fn ld(p: &Place) -> Expr {
    Expr::Load(p.clone())
}

/// The time step `dt`.
pub fn dt() -> Expr {
    Expr::Load(Place::Shared(SharedVar::Dt))
}

fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Binary(op, Box::new(a), Box::new(b))
}

/// `a + b`
pub fn add(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Add, a, b)
}
/// `a - b`
pub fn sub(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Sub, a, b)
}
/// `a * b`
pub fn mul(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Mul, a, b)
}
/// `a / b`
pub fn div(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Div, a, b)
}
/// `a < b`
pub fn lt(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Lt, a, b)
}
/// `a <= b`
pub fn le(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Le, a, b)
}
/// `a > b`
pub fn gt(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Gt, a, b)
}
/// `a >= b`
pub fn ge(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Ge, a, b)
}
/// `a == b`
pub fn eq(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Eq, a, b)
}
/// `a != b`
pub fn ne(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Ne, a, b)
}
/// `a && b`
pub fn and(a: Expr, b: Expr) -> Expr {
    bin(BinOp::And, a, b)
}
/// `-a`
pub fn neg(a: Expr) -> Expr {
    Expr::Unary(UnOp::Neg, Box::new(a))
}
/// `exp(a)`
pub fn exp(a: Expr) -> Expr {
    Expr::Math(MathFn::Exp, vec![a])
}
/// `fabs(a)`
pub fn fabs(a: Expr) -> Expr {
    Expr::Math(MathFn::Fabs, vec![a])
}
/// `fmax(a, b)`
pub fn fmax(a: Expr, b: Expr) -> Expr {
    Expr::Math(MathFn::Fmax, vec![a, b])
}

/// `place = value`
pub fn set(p: &Place, v: Expr) -> Stmt {
    Stmt::Assign(p.clone(), v)
}
/// `local = value`
pub fn setl(id: LocalId, v: Expr) -> Stmt {
    Stmt::Assign(Place::Local(id), v)
}
/// `if (cond) { then }`
pub fn when(cond: Expr, then: Vec<Stmt>) -> Stmt {
    Stmt::If {
        cond,
        then,
        otherwise: Vec::new(),
    }
}
/// `if (cond) { then } else { otherwise }`
pub fn branch(cond: Expr, then: Vec<Stmt>, otherwise: Vec<Stmt>) -> Stmt {
    Stmt::If {
        cond,
        then,
        otherwise,
    }
}
