//! Physical units, independent of any input language.
//!
//! A [`Unit`] is a scale factor relative to SI times a [`Dimension`] (integer
//! exponents of m, kg, s, A, K, mol, cd). Unit text as NMODL and NDL write it
//! (`mA/cm2`, `/mV`, `1e-3`, `uS`, `milli/liter`, `degC`) is parsed against a
//! [`UnitTable`], which holds the built-in database and per-file definitions
//! (`(mM) = (milli/liter)`).
//!
//! ```
//! use nmc::units::{Unit, conversion_factor};
//! let g = Unit::parse("uS").unwrap();
//! let v = Unit::parse("mV").unwrap();
//! let i = Unit::parse("nA").unwrap();
//! assert_eq!(conversion_factor(&g.mul(&v), &i), Some(1.0));
//! ```

mod dimension;
mod parse;
mod table;

pub use dimension::{BaseDim, Dimension};
pub use table::{AVOGADRO, BOLTZMANN, ELEMENTARY_CHARGE, FARADAY, GAS_CONSTANT, PLANCK, UnitTable};

use std::fmt;
use std::sync::OnceLock;

/// Relative tolerance under which two scale factors count as equal.
pub const SCALE_TOLERANCE: f64 = 1e-6;

/// A physical unit: `scale` SI units of dimension `dim` (`mV` is 1e-3 × m2 kg/s3 A).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unit {
    /// Size of the unit in SI base units.
    pub scale: f64,
    /// Its dimension.
    pub dim: Dimension,
}

/// A unit that could not be parsed: where (byte offset and length inside the
/// unit text), why, and what was probably meant.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitError {
    /// Byte offset of the offending part inside the parsed text.
    pub offset: usize,
    /// Byte length of the offending part (at least 1 unless the text is empty).
    pub len: usize,
    /// What is wrong.
    pub message: String,
    /// A known unit name close to the one written, if any.
    pub suggestion: Option<String>,
    /// Free-form advice when there is no name to suggest.
    pub hint: Option<String>,
}

impl UnitError {
    /// An error at `offset..offset+len` of the unit text.
    pub fn new(offset: usize, len: usize, message: impl Into<String>) -> Self {
        UnitError {
            offset,
            len,
            message: message.into(),
            suggestion: None,
            hint: None,
        }
    }

    /// Adds the name the user probably meant.
    pub fn with_suggestion(mut self, name: impl Into<String>) -> Self {
        self.suggestion = Some(name.into());
        self
    }

    /// Adds free-form advice.
    pub fn with_suggestion_text(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)?;
        if let Some(s) = &self.suggestion {
            write!(f, "; did you mean `{s}`?")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnitError {}

/// The built-in table, built once.
fn builtin_table() -> &'static UnitTable {
    static TABLE: OnceLock<UnitTable> = OnceLock::new();
    TABLE.get_or_init(UnitTable::new)
}

impl Unit {
    /// `scale` SI units of dimension `dim`.
    pub fn new(scale: f64, dim: Dimension) -> Self {
        Unit { scale, dim }
    }

    /// The pure number 1.
    pub fn dimensionless() -> Self {
        Unit::new(1.0, Dimension::NONE)
    }

    /// A pure number (`1e-3`, `pi`).
    pub fn scalar(scale: f64) -> Self {
        Unit::new(scale, Dimension::NONE)
    }

    /// Parses unit text with the built-in database only.
    pub fn parse(text: &str) -> Result<Unit, UnitError> {
        builtin_table().parse(text)
    }

    /// The product of two units.
    pub fn mul(&self, other: &Unit) -> Unit {
        Unit::new(self.scale * other.scale, self.dim.add(&other.dim))
    }

    /// The quotient of two units.
    pub fn div(&self, other: &Unit) -> Unit {
        Unit::new(self.scale / other.scale, self.dim.sub(&other.dim))
    }

    /// `1 / self`.
    pub fn recip(&self) -> Unit {
        Unit::dimensionless().div(self)
    }

    /// `self` to an integer power.
    pub fn powi(&self, n: i32) -> Unit {
        Unit::new(self.scale.powi(n), self.dim.scale(n))
    }

    /// True when the unit has no dimension (its scale may differ from 1).
    pub fn is_dimensionless(&self) -> bool {
        self.dim.is_none()
    }

    /// True when the scale is a usable finite non-zero number.
    pub fn is_finite(&self) -> bool {
        self.scale.is_finite() && self.scale != 0.0
    }

    /// The same unit with the amount-of-substance dimension dropped (one
    /// `mol` counted as the number 1). NEURON's unit database has no mole
    /// dimension, so NMODL models mix `mol`-based and count-based units;
    /// comparing units after this makes both agree.
    pub fn without_amount(&self) -> Unit {
        Unit::new(self.scale, self.dim.without(BaseDim::Amount))
    }

    /// True when the two scales agree within [`SCALE_TOLERANCE`].
    pub fn same_scale(&self, other: &Unit) -> bool {
        scales_equal(self.scale, other.scale)
    }

    /// True when both units have the same dimension and scale.
    pub fn equivalent(&self, other: &Unit) -> bool {
        self.dim == other.dim && self.same_scale(other)
    }
}

/// True when two scale factors agree within [`SCALE_TOLERANCE`] (relative).
pub fn scales_equal(a: f64, b: f64) -> bool {
    if a == b {
        return true;
    }
    let m = a.abs().max(b.abs());
    (a - b).abs() <= SCALE_TOLERANCE * m
}

/// True when `a` and `b` measure the same kind of quantity.
pub fn same_dimension(a: &Unit, b: &Unit) -> bool {
    a.dim == b.dim
}

/// The number a value in `from` must be multiplied by to be expressed in
/// `to` (`conversion_factor(mA, nA) == Some(1e6)`), or `None` when the
/// dimensions differ.
pub fn conversion_factor(from: &Unit, to: &Unit) -> Option<f64> {
    if !same_dimension(from, to) {
        return None;
    }
    let f = from.scale / to.scale;
    if f.is_finite() && f != 0.0 {
        // Snap to a nearby power of ten so `1e-3 / 1e-9` prints as 1e6.
        let l = f.abs().log10().round();
        let p = 10f64.powf(l);
        if scales_equal(f.abs(), p) {
            return Some(p.copysign(f));
        }
        Some(f)
    } else {
        None
    }
}

/// Formats a number compactly: `0.01`, `1e-9`, `96485.3`, `1e6`.
pub fn format_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    let l = a.log10().round();
    if scales_equal(a, 10f64.powf(l)) && !(-3.0..=4.0).contains(&l) {
        let sign = if x < 0.0 { "-" } else { "" };
        return format!("{sign}1e{}", l as i32);
    }
    if (1e-3..1e5).contains(&a) {
        let s = format!("{:.6}", x);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        let s = format!("{:.6e}", x);
        match s.split_once('e') {
            Some((m, e)) => {
                let m = m.trim_end_matches('0').trim_end_matches('.');
                format!("{m}e{e}")
            }
            None => s,
        }
    }
}

/// Units tried, in order, when printing a unit readably.
const DISPLAY_CANDIDATES: &[&str] = &[
    "mV",
    "V",
    "ms",
    "s",
    "nA",
    "pA",
    "uA",
    "mA",
    "A",
    "uS",
    "nS",
    "pS",
    "mS",
    "S",
    "mA/cm2",
    "uA/cm2",
    "nA/um2",
    "S/cm2",
    "mS/cm2",
    "uF/cm2",
    "uF",
    "nF",
    "pF",
    "F",
    "um",
    "nm",
    "mm",
    "cm",
    "m",
    "um2",
    "cm2",
    "m2",
    "um3",
    "liter",
    "m3",
    "mM",
    "uM",
    "nM",
    "M",
    "mol",
    "/ms",
    "/s",
    "/mV",
    "/mV-ms",
    "/ms2",
    "um2/ms",
    "/mM",
    "/mM-ms",
    "mM/ms",
    "mV/ms",
    "degC",
    "coulomb",
    "joule",
    "joule/degC",
    "ohm",
    "kohm",
    "megohm",
    "ohm-cm",
    "kg",
    "g",
    "Hz",
];

impl fmt::Display for Unit {
    /// Prints a readable form: a familiar unit with the same dimension
    /// (`mA/cm2`, `nA`, `/ms`), with a numeric factor if needed
    /// (`1e-3 mA/cm2`), else SI base units (`10 m2 kg/s3 A`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dim.is_none() {
            return f.write_str(&format_number(self.scale));
        }
        let table = builtin_table();
        let mut first_match: Option<(f64, &str)> = None;
        for text in DISPLAY_CANDIDATES {
            let Ok(mut c) = table.parse(text) else {
                continue;
            };
            if c.dim != self.dim {
                // NEURON-style concentrations have no mole dimension (`mM` = `milli/liter`).
                let erased = c.without_amount();
                if self.dim.exponent(BaseDim::Amount) != 0 || erased.dim != self.dim {
                    continue;
                }
                c = erased;
            }
            if scales_equal(c.scale, self.scale) {
                return f.write_str(text);
            }
            let k = self.scale / c.scale;
            let nice = (1.0..1000.0).contains(&k.abs());
            match first_match {
                None => first_match = Some((k, text)),
                Some((fk, _)) if nice && !(1.0..1000.0).contains(&fk.abs()) => {
                    first_match = Some((k, text));
                }
                _ => {}
            }
        }
        if let Some((k, text)) = first_match {
            return write!(f, "{} {}", format_number(k), text);
        }
        if scales_equal(self.scale, 1.0) {
            write!(f, "{}", self.dim)
        } else {
            write!(f, "{} {}", format_number(self.scale), self.dim)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Unit {
        Unit::parse(s).unwrap()
    }

    #[test]
    fn basic_parse() {
        assert_eq!(u("mV").dim, u("volt").dim);
        assert!(scales_equal(u("mV").scale, 1e-3));
        assert!(scales_equal(u("S/cm2").scale, 1e4));
        assert!(scales_equal(u("/ms").scale, 1e3));
        assert!(scales_equal(u("1/ms").scale, 1e3));
        assert!(u("1").equivalent(&Unit::dimensionless()));
        assert!(u("").equivalent(&Unit::dimensionless()));
    }

    #[test]
    fn display() {
        assert_eq!(u("millivolt").to_string(), "mV");
        assert_eq!(u("S/cm2").mul(&u("mV")).to_string(), "mA/cm2");
        assert_eq!(u("uS").mul(&u("mV")).to_string(), "nA");
        assert_eq!(u("1e-3").to_string(), "0.001");
        assert_eq!(u("1e-9").to_string(), "1e-9");
    }

    #[test]
    fn factors() {
        assert_eq!(conversion_factor(&u("mA"), &u("nA")), Some(1e6));
        assert_eq!(conversion_factor(&u("mA"), &u("mV")), None);
    }
}
