//! Evaluating NDL formulas: arithmetic with variables (`distance`) and the
//! functions `exp`, `log`, `sqrt`, `abs`, `min`, `max` and `pow`. A
//! formula's unit is the one written after it; variables enter as plain
//! numbers in fixed units (`distance` in um), so
//! `weight = 0.05 * exp(-distance / 50) uS` is checked as a conductance.

use super::ast::Expr;
use crate::diag::Diagnostic;
use crate::diag::suggest::{closest, one_of};

/// The functions a formula may call, with their argument counts (the
/// grammar's `math_fn` lists the same names).
pub const FUNCTIONS: &[(&str, usize)] = &[
    ("exp", 1),
    ("log", 1),
    ("sqrt", 1),
    ("abs", 1),
    ("min", 2),
    ("max", 2),
    ("pow", 2),
];

/// The variables of connection formulas, with their meaning.
pub const CONNECTION_VARIABLES: &[(&str, &str)] = &[(
    "distance",
    "distance between the source and target positions, in um",
)];

/// Evaluates `e`; `var` gives the value of a variable or `None` when it
/// is unknown (E1211, listing [`CONNECTION_VARIABLES`]).
pub fn eval(e: &Expr, var: &dyn Fn(&str) -> Option<f64>) -> Result<f64, Diagnostic> {
    Ok(match e {
        Expr::Num(x) => *x,
        Expr::Var(v) => match var(&v.name) {
            Some(x) => x,
            None => {
                let names: Vec<&str> = CONNECTION_VARIABLES.iter().map(|v| v.0).collect();
                let mut d = Diagnostic::error("E1211", format!("unknown variable `{}`", v.name))
                    .with_primary(v.span, "not a variable here");
                d = match closest(&v.name, names.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!(
                        "formulas in connections may use {} ({}); elsewhere only numbers",
                        one_of(&names),
                        CONNECTION_VARIABLES[0].1
                    )),
                };
                return Err(d);
            }
        },
        Expr::Neg(a) => -eval(a, var)?,
        Expr::Bin(op, a, b) => {
            let (x, y) = (eval(a, var)?, eval(b, var)?);
            match op {
                '+' => x + y,
                '-' => x - y,
                '*' => x * y,
                _ => x / y,
            }
        }
        Expr::Call(f, args) => {
            let Some(&(_, n)) = FUNCTIONS.iter().find(|(name, _)| *name == f.name) else {
                let names: Vec<&str> = FUNCTIONS.iter().map(|f| f.0).collect();
                let mut d = Diagnostic::error("E1211", format!("unknown function `{}`", f.name))
                    .with_primary(f.span, "not a function");
                d = match closest(&f.name, names.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("the functions are {}", one_of(&names))),
                };
                return Err(d);
            };
            if args.len() != n {
                return Err(Diagnostic::error(
                    "E1211",
                    format!(
                        "`{}` takes {n} argument{}, not {}",
                        f.name,
                        if n == 1 { "" } else { "s" },
                        args.len()
                    ),
                )
                .with_primary(f.span, "wrong number of arguments"));
            }
            let mut v = [0.0; 2];
            for (k, a) in args.iter().enumerate() {
                v[k] = eval(a, var)?;
            }
            match f.name.as_str() {
                "exp" => v[0].exp(),
                "log" => v[0].ln(),
                "sqrt" => v[0].sqrt(),
                "abs" => v[0].abs(),
                "min" => v[0].min(v[1]),
                "max" => v[0].max(v[1]),
                _ => v[0].powf(v[1]),
            }
        }
    })
}
