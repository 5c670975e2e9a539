//! Dimension vectors: integer exponents over the seven SI base dimensions.

use std::fmt;

/// The SI base dimensions, in the order used by [`Dimension`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BaseDim {
    /// Length (metre, `m`).
    Length,
    /// Mass (kilogram, `kg`).
    Mass,
    /// Time (second, `s`).
    Time,
    /// Electric current (ampere, `A`).
    Current,
    /// Temperature (kelvin, `K`); `degC` is treated as a kelvin difference.
    Temperature,
    /// Amount of substance (mole, `mol`).
    Amount,
    /// Luminous intensity (candela, `cd`).
    Luminosity,
}

impl BaseDim {
    /// All base dimensions in vector order.
    pub const ALL: [BaseDim; 7] = [
        BaseDim::Length,
        BaseDim::Mass,
        BaseDim::Time,
        BaseDim::Current,
        BaseDim::Temperature,
        BaseDim::Amount,
        BaseDim::Luminosity,
    ];

    /// Position of this dimension in a [`Dimension`] vector.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The SI symbol of the base unit (`m`, `kg`, `s`, `A`, `K`, `mol`, `cd`).
    pub fn symbol(self) -> &'static str {
        match self {
            BaseDim::Length => "m",
            BaseDim::Mass => "kg",
            BaseDim::Time => "s",
            BaseDim::Current => "A",
            BaseDim::Temperature => "K",
            BaseDim::Amount => "mol",
            BaseDim::Luminosity => "cd",
        }
    }
}

/// Integer exponents of the SI base dimensions: `[m, kg, s, A, K, mol, cd]`.
/// Arithmetic saturates, so pathological inputs can never overflow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Dimension(pub [i32; 7]);

impl Dimension {
    /// No dimension (a pure number).
    pub const NONE: Dimension = Dimension([0; 7]);

    /// The dimension of one base unit.
    pub fn base(d: BaseDim) -> Dimension {
        let mut v = [0; 7];
        v[d.index()] = 1;
        Dimension(v)
    }

    /// Builds a dimension from `[m, kg, s, A, K, mol, cd]` exponents.
    pub const fn from_exponents(e: [i32; 7]) -> Dimension {
        Dimension(e)
    }

    /// The exponent of one base dimension.
    pub fn exponent(&self, d: BaseDim) -> i32 {
        self.0[d.index()]
    }

    /// True when every exponent is zero.
    pub fn is_none(&self) -> bool {
        self.0.iter().all(|&e| e == 0)
    }

    /// Exponent-wise sum (the dimension of a product).
    pub fn add(&self, other: &Dimension) -> Dimension {
        let mut v = self.0;
        for (a, b) in v.iter_mut().zip(other.0.iter()) {
            *a = a.saturating_add(*b);
        }
        Dimension(v)
    }

    /// Exponent-wise difference (the dimension of a quotient).
    pub fn sub(&self, other: &Dimension) -> Dimension {
        let mut v = self.0;
        for (a, b) in v.iter_mut().zip(other.0.iter()) {
            *a = a.saturating_sub(*b);
        }
        Dimension(v)
    }

    /// Every exponent multiplied by `n` (the dimension of a power).
    pub fn scale(&self, n: i32) -> Dimension {
        let mut v = self.0;
        for a in v.iter_mut() {
            *a = a.saturating_mul(n);
        }
        Dimension(v)
    }

    /// The same dimension with one base dimension removed (exponent zero).
    pub fn without(&self, d: BaseDim) -> Dimension {
        let mut v = self.0;
        v[d.index()] = 0;
        Dimension(v)
    }
}

/// Writes `m2 kg/s3 A` style text (numerator, then `/` and denominator).
impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_none() {
            return f.write_str("1");
        }
        let part = |positive: bool| -> String {
            let mut out = Vec::new();
            for d in BaseDim::ALL {
                let e = self.exponent(d);
                let e = if positive { e } else { e.saturating_neg() };
                if e == 1 {
                    out.push(d.symbol().to_string());
                } else if e > 1 {
                    out.push(format!("{}{}", d.symbol(), e));
                }
            }
            out.join(" ")
        };
        let num = part(true);
        let den = part(false);
        match (num.is_empty(), den.is_empty()) {
            (false, true) => f.write_str(&num),
            (true, false) => write!(f, "/{den}"),
            _ => write!(f, "{num}/{den}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_forms() {
        let v = Dimension::from_exponents([2, 1, -3, -1, 0, 0, 0]);
        assert_eq!(v.to_string(), "m2 kg/s3 A");
        assert_eq!(Dimension::NONE.to_string(), "1");
        assert_eq!(Dimension::base(BaseDim::Time).scale(-1).to_string(), "/s");
    }

    #[test]
    fn saturates() {
        let v = Dimension::base(BaseDim::Length).scale(i32::MAX);
        let w = v.add(&v);
        assert_eq!(w.exponent(BaseDim::Length), i32::MAX);
    }
}
