//! Constant folding that changes no bit of any result: an operation whose
//! operands are all constants is done once, here, with the same IEEE
//! operation the machine would do at run time, and a division by a power
//! of two becomes a multiplication by its reciprocal.
//!
//! Why this is exact:
//! - `+ - * /` and negation of f64 are correctly rounded (IEEE 754), so
//!   doing them now or at run time gives the same bits; comparisons, `!`,
//!   `&&` and `||` of constants give 1 or 0 exactly as the back ends
//!   compute them (non-zero is true, NaN compares unequal to everything).
//! - `x / c` and `x * (1/c)` round the same real number when `1/c` is
//!   exact, which holds when `c` is ±2^k with `c` and `1/c` both normal;
//!   then every x (zeros, infinities, NaN, subnormals, overflow) gives the
//!   same bits. `x / 5` stays: 1/5 is not a double.
//! - Math functions (`exp`, `log`, `pow`/`^`, ...) are never folded: their
//!   values are whatever the C library computes at run time, which is
//!   what NEURON gets.
//!
//! Only kernel bodies are rewritten; FUNCTION/PROCEDURE bodies stay as
//! they are for the calls that remain.

use super::walk;
use crate::ir::{BinOp, Expr, Mechanism, UnOp};

/// Folds constant arithmetic and turns divisions by powers of two into
/// multiplications in every kernel of `mech` (see the module docs for why
/// no result changes).
pub fn fold_constants(mech: &mut Mechanism) {
    for k in &mut mech.kernels {
        walk::map_exprs(&mut k.body, &mut fold_node);
    }
}

/// Folds `e` itself, assuming its operands are already folded (bottom-up).
pub(super) fn fold_node(e: &mut Expr) {
    let folded = match e {
        Expr::Unary(op, a) => match **a {
            Expr::Const(x) => Some(unary(*op, x)),
            _ => None,
        },
        Expr::Binary(op, a, b) => match (&**a, &mut **b) {
            (Expr::Const(x), Expr::Const(y)) => binary(*op, *x, *y),
            (_, Expr::Const(y)) if *op == BinOp::Div => {
                if let Some(r) = exact_reciprocal(*y) {
                    *op = BinOp::Mul;
                    *y = r;
                }
                None
            }
            _ => None,
        },
        _ => None,
    };
    if let Some(v) = folded {
        *e = Expr::Const(v);
    }
}

fn truth(x: bool) -> f64 {
    if x { 1.0 } else { 0.0 }
}

/// The value of `op x` as the back ends compute it.
fn unary(op: UnOp, x: f64) -> f64 {
    match op {
        UnOp::Neg => -x,
        UnOp::Not => truth(x == 0.0),
    }
}

/// The value of `x op y` as the back ends compute it; `None` for `^`,
/// which calls the C library's `pow`.
fn binary(op: BinOp, x: f64, y: f64) -> Option<f64> {
    Some(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        BinOp::Pow => return None,
        BinOp::Lt => truth(x < y),
        BinOp::Le => truth(x <= y),
        BinOp::Gt => truth(x > y),
        BinOp::Ge => truth(x >= y),
        BinOp::Eq => truth(x == y),
        BinOp::Ne => truth(x != y),
        BinOp::And => truth(x != 0.0 && y != 0.0),
        BinOp::Or => truth(x != 0.0 || y != 0.0),
    })
}

/// `1 / c` when `c` is ±2^k and both `c` and `1 / c` are normal numbers
/// (so `x / c == x * (1 / c)` for every x); `None` otherwise.
pub(super) fn exact_reciprocal(c: f64) -> Option<f64> {
    const MANTISSA: u64 = (1 << 52) - 1;
    if !c.is_normal() || c.to_bits() & MANTISSA != 0 {
        return None;
    }
    let r = 1.0 / c;
    (r.is_normal() && r.to_bits() & MANTISSA == 0).then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reciprocals_only_of_powers_of_two() {
        assert_eq!(exact_reciprocal(4.0), Some(0.25));
        assert_eq!(exact_reciprocal(0.5), Some(2.0));
        assert_eq!(exact_reciprocal(-8.0), Some(-0.125));
        for c in [3.0, 5.0, 0.001, 0.0, -0.0, f64::INFINITY, f64::NAN, 1e-310] {
            assert_eq!(exact_reciprocal(c), None, "{c}");
        }
        // 2^1023: its reciprocal 2^-1023 is subnormal.
        assert_eq!(exact_reciprocal(2f64.powi(1023)), None);
        assert_eq!(exact_reciprocal(2f64.powi(1022)), Some(2f64.powi(-1022)));
    }
}
