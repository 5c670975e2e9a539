//! A compiled mechanism's interface ([`MechInfo`]): what front ends may set,
//! record and connect, read off its IR and its syntax tree.

use crate::front::nmodl::ast::{DeclKind, ItemKind, Module};
use crate::ir::interface::{MechInfo, Var};
use crate::ir::{FieldKind, Mechanism};
use std::path::Path;

/// The interface of `m`, compiled from `path` (`module` gives the unit of
/// the NET_RECEIVE weight).
pub fn describe(m: &Mechanism, module: Option<&Module>, path: &Path) -> MechInfo {
    // `<lo, hi>` of each PARAMETER that declares one.
    let limits = |name: &str| -> Option<(f64, f64)> {
        module?.items.iter().find_map(|i| match &i.kind {
            ItemKind::Declare {
                kind: DeclKind::Parameter,
                decls,
            } => decls
                .iter()
                .find(|d| d.name.name == name)
                .and_then(|d| d.limits.as_ref())
                .map(|(lo, hi)| (lo.value, hi.value)),
            _ => None,
        })
    };
    let mut vars: Vec<Var> = m
        .fields
        .iter()
        .map(|f| {
            let ion = match f.kind {
                FieldKind::Ion { ion } => m
                    .ions
                    .get(ion.index())
                    .is_some_and(|u| u.read.contains(&f.name) && !u.write.contains(&f.name)),
                _ => false,
            };
            Var {
                name: f.name.clone(),
                unit: f.unit.clone(),
                default: f.default,
                settable: (matches!(f.kind, FieldKind::Parameter) && f.range) || ion,
                global: false,
                ion,
                limits: if matches!(f.kind, FieldKind::Parameter) {
                    limits(&f.name)
                } else {
                    None
                },
            }
        })
        .collect();
    vars.extend(m.globals.iter().filter(|g| g.settable).map(|g| Var {
        name: g.name.clone(),
        unit: g.unit.clone(),
        default: g.default,
        settable: false,
        global: true,
        ion: false,
        limits: limits(&g.name),
    }));
    let mut weight_unit = None;
    let mut receives_events = false;
    if let Some(module) = module {
        for item in &module.items {
            if let ItemKind::NetReceive { params, .. } = &item.kind {
                receives_events = true;
                weight_unit = params
                    .first()
                    .and_then(|p| p.unit.as_ref())
                    .map(|u| u.text.clone());
            }
        }
    }
    MechInfo {
        name: m.name.clone(),
        kind: m.kind,
        file: path.to_path_buf(),
        vars,
        ions: m.ions.iter().map(|i| i.name.clone()).collect(),
        weight_unit,
        receives_events,
    }
}
