//! Parsing unit expressions as NMODL (and GNU units) write them.
//!
//! Syntax, informally:
//! - factors are separated by spaces, `-`, `*`, `.` or `·` and multiply;
//! - `/` puts every following factor in the denominator (`/mM-ms` is 1/(mM·ms));
//! - digits directly after a name are a power (`cm2`, `um3`), as are `^n`,
//!   `^-n` and `-n` directly attached (`ms-1` is 1/ms);
//! - a number is a scale factor (`1e-3`, `100`, `.001 coul/cm3`, `1|60`),
//!   including the GNU form `1-10` for 1e-10 and `1+8` for 1e8;
//! - names resolve through the [`UnitTable`] with metric prefixes and plurals.

use super::table::UnitTable;
use super::{Unit, UnitError};

/// Largest accepted power written in a unit (`cm99` is refused).
const MAX_POWER: u32 = 99;

/// Parses `text` with the names of `table`.
pub(crate) fn parse_with(table: &UnitTable, text: &str) -> Result<Unit, UnitError> {
    Parser {
        table,
        text,
        chars: text.char_indices().collect(),
        pos: 0,
    }
    .run()
}

struct Parser<'a> {
    table: &'a UnitTable,
    text: &'a str,
    chars: Vec<(usize, char)>,
    pos: usize,
}

fn is_name_char(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '%' || c == '$' || c == '\u{b0}'
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).map(|&(_, c)| c)
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.pos + k).map(|&(_, c)| c)
    }

    /// Byte offset of the current char (or the end of the text).
    fn offset(&self) -> usize {
        self.chars
            .get(self.pos)
            .map(|&(o, _)| o)
            .unwrap_or(self.text.len())
    }

    fn run(mut self) -> Result<Unit, UnitError> {
        let mut unit = Unit::dimensionless();
        let mut denominator = false;
        let mut pending_slash: Option<usize> = None;
        while let Some(c) = self.peek() {
            let start = self.offset();
            let separator = c.is_whitespace() || c == '-' || c == '*' || c == '\u{b7}';
            let dot = c == '.' && !self.peek_at(1).is_some_and(|d| d.is_ascii_digit());
            if separator || dot {
                self.pos += 1;
            } else if c == '/' {
                if let Some(at) = pending_slash {
                    return Err(UnitError::new(at, 1, "expected a unit after `/`"));
                }
                denominator = true;
                pending_slash = Some(start);
                self.pos += 1;
            } else if c.is_ascii_digit() || c == '.' {
                let factor = self.number()?;
                let f = Unit::scalar(factor);
                unit = if denominator {
                    unit.div(&f)
                } else {
                    unit.mul(&f)
                };
                pending_slash = None;
            } else if is_name_char(c) {
                let u = self.factor()?;
                unit = if denominator {
                    unit.div(&u)
                } else {
                    unit.mul(&u)
                };
                pending_slash = None;
            } else {
                let len = c.len_utf8();
                return Err(UnitError::new(
                    start,
                    len,
                    format!("unexpected character `{c}` in a unit"),
                )
                .with_suggestion_text("write units as names, powers and `/`, e.g. `mA/cm2`"));
            }
        }
        if let Some(at) = pending_slash {
            return Err(UnitError::new(at, 1, "expected a unit after `/`"));
        }
        if !unit.scale.is_finite() || unit.scale == 0.0 {
            return Err(UnitError::new(
                0,
                self.text.len(),
                "unit scale factor is zero or out of range",
            ));
        }
        Ok(unit)
    }

    /// A name with an optional power.
    fn factor(&mut self) -> Result<Unit, UnitError> {
        let start = self.offset();
        while self.peek().is_some_and(is_name_char) {
            self.pos += 1;
        }
        let end = self.offset();
        let name = self.text.get(start..end).unwrap_or("");
        let Some(base) = self.table.lookup(name) else {
            let mut err = UnitError::new(start, end - start, format!("unknown unit `{name}`"));
            if let Some(s) = self.table.suggest(name) {
                err = err.with_suggestion(s);
            }
            return Err(err);
        };
        // Power: `cm2`, `cm^2`, `cm^-2`, `ms-1`.
        let power_start = self.offset();
        let mut negative = false;
        let has_power = match self.peek() {
            Some(d) if d.is_ascii_digit() => true,
            Some('^') => {
                self.pos += 1;
                if self.peek() == Some('-') {
                    negative = true;
                    self.pos += 1;
                } else if self.peek() == Some('+') {
                    self.pos += 1;
                }
                if !self.peek().is_some_and(|d| d.is_ascii_digit()) {
                    return Err(UnitError::new(
                        power_start,
                        self.offset() - power_start,
                        "expected an integer power after `^`",
                    ));
                }
                true
            }
            Some('-') if self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) => {
                negative = true;
                self.pos += 1;
                true
            }
            _ => false,
        };
        if !has_power {
            return Ok(base);
        }
        let digits_start = self.offset();
        let mut p: u32 = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            p = p.saturating_mul(10).saturating_add(d);
            self.pos += 1;
        }
        if p > MAX_POWER {
            return Err(UnitError::new(
                digits_start,
                self.offset() - digits_start,
                format!("power {p} is too large"),
            ));
        }
        let n = if negative { -(p as i32) } else { p as i32 };
        Ok(base.powi(n))
    }

    /// A number: `100`, `1e-3`, `.5`, GNU `1-10` / `1+8`, fraction `1|60`.
    fn number(&mut self) -> Result<f64, UnitError> {
        let start = self.offset();
        let value = self.mantissa_with_exponent()?;
        if self.peek() == Some('|') {
            self.pos += 1;
            if !self.peek().is_some_and(|d| d.is_ascii_digit() || d == '.') {
                return Err(UnitError::new(
                    start,
                    self.offset() - start,
                    "expected a number after `|`",
                ));
            }
            let den = self.mantissa_with_exponent()?;
            if den == 0.0 {
                return Err(UnitError::new(
                    start,
                    self.offset() - start,
                    "division by zero in a unit factor",
                ));
            }
            return Ok(value / den);
        }
        Ok(value)
    }

    fn mantissa_with_exponent(&mut self) -> Result<f64, UnitError> {
        let start = self.offset();
        let mut s = String::new();
        while let Some(c) = self.peek().filter(|c| c.is_ascii_digit() || *c == '.') {
            s.push(c);
            self.pos += 1;
        }
        let mut exp = String::new();
        match self.peek() {
            Some('e' | 'E')
                if self.peek_at(1).is_some_and(|d| d.is_ascii_digit())
                    || (matches!(self.peek_at(1), Some('+' | '-'))
                        && self.peek_at(2).is_some_and(|d| d.is_ascii_digit())) =>
            {
                self.pos += 1;
                if let Some(sign) = self.peek().filter(|c| *c == '+' || *c == '-') {
                    exp.push(sign);
                    self.pos += 1;
                }
            }
            Some('+' | '-') if self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) => {
                if let Some(sign) = self.peek() {
                    exp.push(sign);
                }
                self.pos += 1;
            }
            _ => {}
        }
        if !exp.is_empty() || self.peek().is_some_and(|d| d.is_ascii_digit()) {
            while let Some(d) = self.peek().filter(|c| c.is_ascii_digit()) {
                exp.push(d);
                self.pos += 1;
            }
        }
        let end = self.offset();
        let mantissa: f64 = s.parse().map_err(|_| {
            UnitError::new(
                start,
                end - start,
                format!("malformed number `{s}` in a unit"),
            )
        })?;
        let e: i32 = if exp.is_empty() {
            0
        } else {
            exp.parse().unwrap_or(i32::MAX).clamp(-400, 400)
        };
        let v = mantissa * 10f64.powi(e);
        if !v.is_finite() {
            return Err(UnitError::new(
                start,
                end - start,
                "number out of range in a unit",
            ));
        }
        Ok(v)
    }
}
