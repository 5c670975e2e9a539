//! Values with units: converting what the user wrote into the unit a
//! setting expects, with a diagnostic (caret on the unit, help line) when
//! the unit is missing, unknown, or measures something else.

use super::ast::{Quantity, UnitText};
use crate::diag::{Diagnostic, Span};
use crate::units::{Unit, conversion_factor};

/// Names of kinds of quantity, for messages ("a voltage").
const KINDS: &[(&str, &str)] = &[
    ("mV", "a voltage"),
    ("ms", "a time"),
    ("nA", "a current"),
    ("uS", "a conductance"),
    ("S/cm2", "a conductance density"),
    ("mA/cm2", "a current density"),
    ("um", "a length"),
    ("um2", "an area"),
    ("uF/cm2", "a specific capacitance"),
    ("uF", "a capacitance"),
    ("ohm-cm", "a resistivity"),
    ("ohm", "a resistance"),
    ("degC", "a temperature"),
    ("/ms", "a rate"),
    ("mM", "a concentration"),
];

/// "a voltage", or the unit in SI terms when it has no familiar name.
pub fn kind_of(u: &Unit) -> String {
    for (text, kind) in KINDS {
        if let Ok(k) = Unit::parse(text)
            && (k.dim == u.dim || k.without_amount().dim == u.dim)
        {
            return (*kind).to_string();
        }
    }
    if u.is_dimensionless() {
        "a plain number".into()
    } else {
        format!("a quantity in {u}")
    }
}

/// What a setting expects: its name, unit text (`None` when the mechanism
/// declares none) and where it is declared, for messages.
pub struct Expect<'a> {
    /// The setting's name.
    pub name: &'a str,
    /// Unit text (`mV`, `S/cm2`, `1`), `None` when undeclared.
    pub unit: Option<&'a str>,
    /// "declared in models/leak.mod" and similar.
    pub origin: Option<String>,
}

/// Parses unit text the user wrote, reporting an unknown unit (E1303).
pub fn parse_user_unit(u: &UnitText) -> Result<Unit, Diagnostic> {
    Unit::parse(&u.text).map_err(|e| {
        let start = u.span.start as usize + e.offset.min(u.text.len());
        let len = e
            .len
            .max(1)
            .min(u.text.len().saturating_sub(e.offset).max(1));
        let span = Span::new(u.span.file, start, start + len);
        let mut d = Diagnostic::error("E1303", format!("unknown unit `{}`", u.text))
            .with_primary(span, e.message.clone());
        if let Some(s) = &e.suggestion {
            d = d.with_help(format!("did you mean `{s}`?"));
        } else if let Some(h) = &e.hint {
            d = d.with_help(h.clone());
        }
        d
    })
}

/// Converts `q` to the expected unit. Returns the value and any warning;
/// a missing, unknown or mismatched unit is an error.
pub fn convert(q: &Quantity, expect: &Expect) -> Result<(f64, Option<Diagnostic>), Diagnostic> {
    convert_value(q.value, q.value_span, q.unit.as_ref(), expect)
}

/// [`convert`] for a bare number with an optional unit (list items).
pub fn convert_value(
    value: f64,
    value_span: Span,
    unit: Option<&UnitText>,
    expect: &Expect,
) -> Result<(f64, Option<Diagnostic>), Diagnostic> {
    let name = expect.name;
    let declared = expect.unit.and_then(|t| Unit::parse(t).ok());
    let user = match unit {
        Some(u) => Some(parse_user_unit(u)?),
        None => None,
    };
    let Some(want) = declared else {
        // The mechanism declares no unit (or one nmc cannot read).
        return Ok(match (user, unit) {
            (Some(u), Some(text)) if !(u.is_dimensionless() && u.scale == 1.0) => {
                let mut d = Diagnostic::warning(
                    "W1302",
                    format!(
                        "`{name}` has no declared unit, so `{}` cannot be checked",
                        text.text
                    ),
                )
                .with_primary(text.span, "this unit is ignored")
                .with_help("the number is used as written");
                if let Some(o) = &expect.origin {
                    d = d.with_note(o.clone());
                }
                (value, Some(d))
            }
            (Some(u), _) => (value * u.scale, None),
            _ => (value, None),
        });
    };
    let want_text = expect.unit.unwrap_or("1");
    match (user, unit) {
        (None, _) => {
            if want.is_dimensionless() {
                Ok((value / want.scale, None))
            } else {
                let mut d = Diagnostic::error(
                    "E1302",
                    format!(
                        "`{name}` needs a unit: it is {} ({want_text})",
                        kind_of(&want)
                    ),
                )
                .with_primary(value_span, "no unit after this number")
                .with_help(format!(
                    "write the unit after the number, e.g. `{name} = {} {want_text}`",
                    crate::units::format_number(value)
                ));
                if let Some(o) = &expect.origin {
                    d = d.with_note(o.clone());
                }
                Err(d)
            }
        }
        (Some(u), Some(text)) => match conversion_factor(&u, &want) {
            Some(f) => Ok((value * f, None)),
            None if want.is_dimensionless() && want_text == "1" => {
                let mut d = Diagnostic::error(
                    "E1301",
                    format!(
                        "unit mismatch: `{name}` is a plain number, but `{}` is {}",
                        text.text,
                        kind_of(&u)
                    ),
                )
                .with_primary(text.span, "expected no unit")
                .with_help(format!("write `{name}` without a unit"));
                if let Some(o) = &expect.origin {
                    d = d.with_note(o.clone());
                }
                Err(d)
            }
            None => {
                let mut d = Diagnostic::error(
                    "E1301",
                    format!(
                        "unit mismatch: `{name}` is {} ({want_text}), but `{}` is {}",
                        kind_of(&want),
                        text.text,
                        kind_of(&u)
                    ),
                )
                .with_primary(
                    text.span,
                    format!("expected {want_text} or another unit of {}", kind_of(&want)),
                )
                .with_help(format!(
                    "give `{name}` in {want_text} (or a scaled unit of the same kind)"
                ));
                if let Some(o) = &expect.origin {
                    d = d.with_note(o.clone());
                }
                Err(d)
            }
        },
        (Some(_), None) => Ok((value, None)),
    }
}
