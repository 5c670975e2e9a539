//! Values of the hoc interpreter and NEURON's arithmetic on them:
//! comparisons within `hoc_epsilon`, `%` as a cyclic remainder, `int()`.

/// NEURON's tolerance for comparisons and integer conversions.
pub const EPSILON: f64 = 1e-11;

/// An object a variable refers to.
#[derive(Clone, Debug, PartialEq)]
pub enum Obj {
    /// `objref` not yet assigned.
    Null,
    /// A `SectionList` (index into the instance's lists).
    List(usize),
    /// An object nmc does not model (`Vector`, `Random`, ...).
    Other(String),
}

/// A hoc value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A number.
    Num(f64),
    /// A string (`strdef`).
    Str(String),
    /// An object reference.
    Obj(Obj),
    /// A `double` array: sizes and elements.
    Arr(Vec<usize>, Vec<f64>),
}

/// `a % b` as hoc computes it (`b` must be positive).
pub fn cyclic(d1: f64, d2: f64) -> f64 {
    let mut r = d1;
    if r >= d2 {
        r = d1 - (d1 / d2).floor() * d2;
    } else if r <= -d2 {
        r = d1 + (-d1 / d2).floor() * d2;
    }
    if r > d2 {
        r -= d2;
    }
    if r < 0.0 {
        r += d2;
    }
    r
}

/// hoc's `int()`: toward zero after nudging by epsilon.
pub fn integer(x: f64) -> f64 {
    if x < 0.0 {
        ((x - EPSILON) as i64) as f64
    } else {
        ((x + EPSILON) as i64) as f64
    }
}

/// An array index as hoc converts it.
pub fn index(x: f64) -> i64 {
    (x + EPSILON) as i64
}

/// hoc's `exp`: 0 below -700, capped at `exp(700)`.
pub fn exp(x: f64) -> f64 {
    if x < -700.0 {
        0.0
    } else if x > 700.0 {
        700f64.exp()
    } else {
        x.exp()
    }
}

/// A pattern of `forsec`, `ifsec` or `issection` as NEURON rewrites it
/// before matching: `[` and `]` are literal, `<` and `>` delimit a class.
pub fn pattern(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '<' => out.push('['),
            '>' => out.push(']'),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            _ => out.push(c),
        }
    }
    out
}
