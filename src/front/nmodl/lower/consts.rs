//! Compile-time constants: `DEFINE` names and UNITS-block constants
//! (`FARADAY = (faraday) (coulomb)` takes its value from the unit database,
//! converted to the stated unit, as modlunit/nocmodl do).

use crate::front::nmodl::ast::{ItemKind, Module, UnitDefKind};
use crate::units::UnitTable;

/// Every DEFINE and UNITS constant of the module with its value, in source
/// order. Constants whose units cannot be evaluated are left out (the unit
/// checker already reported them).
pub fn fold(module: &Module) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let mut table = UnitTable::new();
    for item in &module.items {
        match &item.kind {
            ItemKind::Define { name, value } => out.push((name.name.clone(), value.value)),
            ItemKind::Units(defs) => {
                for def in defs {
                    match &def.kind {
                        UnitDefKind::Alias { name, unit } => {
                            if let Ok(u) = table.parse(&unit.text)
                                && u.is_finite()
                            {
                                table.define(name.text.trim(), u);
                            }
                        }
                        UnitDefKind::Constant {
                            name,
                            factor,
                            value,
                            unit,
                        } => {
                            if let Some(v) = constant_value(&table, factor, value, unit) {
                                out.push((name.name.clone(), v));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// `NAME = (factor) (unit)` is factor expressed in unit; `NAME = number
/// (unit)` is the number itself.
fn constant_value(
    table: &UnitTable,
    factor: &Option<crate::front::nmodl::ast::UnitText>,
    value: &Option<crate::front::nmodl::ast::Number>,
    unit: &Option<crate::front::nmodl::ast::UnitText>,
) -> Option<f64> {
    if let Some(n) = value {
        return Some(n.value);
    }
    let f = table.parse(&factor.as_ref()?.text).ok()?;
    let scale = match unit {
        Some(u) => table.parse(&u.text).ok()?.scale,
        None => 1.0,
    };
    let v = f.scale / scale;
    v.is_finite().then_some(v)
}
