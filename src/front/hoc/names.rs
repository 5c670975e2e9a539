//! What a name means in a template besides its own variables: section
//! properties (`L`, `diam`, `nseg`, `cm`, `Ra`, `v`), mechanism range
//! variables `<param>_<suffix>` and ion variables (`ena`, `cai`) found
//! through the catalogue, NEURON's constants and globals.

use super::eval::R;
use crate::diag::Diagnostic;
use crate::diag::suggest::{closest, one_of};
use crate::ir::MechKind;
use crate::ir::interface::{Catalogue, split_suffixed};

use super::ast::Ident;

/// A range variable of the accessed section.
#[derive(Clone, Debug, PartialEq)]
pub enum RVar {
    /// Length.
    L,
    /// Number of segments.
    Nseg,
    /// Axial resistivity.
    Ra,
    /// Diameter.
    Diam,
    /// Membrane capacitance.
    Cm,
    /// Membrane potential (set by the run's `v_init` anyway).
    V,
    /// A mechanism parameter.
    Param {
        /// Mechanism.
        mech: String,
        /// Parameter.
        var: String,
        /// Its default.
        default: f64,
    },
    /// An ion variable: reversal potential or concentration.
    Ion {
        /// Ion name (`na`).
        ion: String,
        /// Variable (`ena`).
        var: String,
    },
}

/// Functions nmc knows (for "did you mean").
pub const BUILTINS: [&str; 25] = [
    "strcmp",
    "sin",
    "cos",
    "tan",
    "atan",
    "atan2",
    "tanh",
    "sqrt",
    "exp",
    "log",
    "log10",
    "abs",
    "fabs",
    "int",
    "numarg",
    "secname",
    "issection",
    "ismembrane",
    "distance",
    "define_shape",
    "pt3dadd",
    "pt3dclear",
    "n3d",
    "load_file",
    "printf",
];

/// NEURON's named constants.
pub fn constant(name: &str) -> Option<f64> {
    match name {
        "PI" => Some(std::f64::consts::PI),
        "E" => Some(std::f64::consts::E),
        "DEG" => Some(180.0 / std::f64::consts::PI),
        "GAMMA" => Some(0.577_215_664_901_532_9),
        "FARADAY" => Some(96_485.332_123_310_02),
        "R" => Some(8.314_462_618_153_24),
        _ => None,
    }
}

/// NEURON globals a cell template must not set (they belong to the run).
pub fn is_global(name: &str) -> bool {
    matches!(
        name,
        "celsius" | "dt" | "t" | "tstop" | "v_init" | "secondorder" | "steps_per_ms" | "global_ra"
    )
}

/// The value NEURON gives an ion variable when the ion is first inserted,
/// where it is a constant (`eca` is computed from concentrations).
pub fn ion_default(ion: &str, var: &str) -> Option<f64> {
    let which = if var == format!("e{ion}") {
        0
    } else if var == format!("{ion}i") {
        1
    } else {
        2
    };
    match (ion, which) {
        ("na", 0) => Some(50.0),
        ("na", 1) => Some(10.0),
        ("na", 2) => Some(140.0),
        ("k", 0) => Some(-77.0),
        ("k", 1) => Some(54.4),
        ("k", 2) => Some(2.5),
        ("ca", 1) => Some(5e-5),
        ("ca", 2) => Some(2.0),
        _ => None,
    }
}

/// `n` as an ion variable (`e<ion>`, `<ion>i`, `<ion>o`) of an ion.
fn ion_var(n: &str, is_ion: &dyn Fn(&str) -> bool) -> Option<RVar> {
    let candidates = [
        n.strip_prefix('e'),
        n.strip_suffix('i'),
        n.strip_suffix('o'),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|ion| !ion.is_empty() && is_ion(ion))
        .map(|ion| RVar::Ion {
            ion: ion.to_string(),
            var: n.to_string(),
        })
}

/// Resolves `name` as a range variable: `Ok(None)` when it is not one,
/// an error when it names a mechanism's variable that cannot be used.
pub fn resolve(
    cat: &dyn Catalogue,
    is_ion: &dyn Fn(&str) -> bool,
    name: &Ident,
    write: bool,
) -> R<Option<RVar>> {
    let n = name.name.as_str();
    let simple = match n {
        "L" => Some(RVar::L),
        "nseg" => Some(RVar::Nseg),
        "Ra" => Some(RVar::Ra),
        "diam" => Some(RVar::Diam),
        "cm" => Some(RVar::Cm),
        "v" => Some(RVar::V),
        _ => None,
    };
    if simple.is_some() {
        return Ok(simple);
    }
    let density = |m: &str| {
        cat.find(m)
            .is_some_and(|i| i.name == m && i.kind == MechKind::Density)
    };
    // A mechanism's variable (`gbar_leak`) needs only that mechanism;
    // an ion variable (`ena`, `cai`, `ko`) is looked up after it, since
    // deciding that a name is no ion may need every mechanism.
    let Some((var, mech)) = split_suffixed(n, density) else {
        return Ok(ion_var(n, is_ion));
    };
    let Some(info) = cat.find(mech) else {
        return Ok(None);
    };
    match info.var(var) {
        Some(v) if v.global => Err(Diagnostic::error(
            "E1606",
            format!("`{n}` is a GLOBAL of `{mech}`: one value shared by every cell"),
        )
        .with_primary(name.span, "GLOBAL parameter")
        .with_help(format!(
            "nmc cell templates set per-section values only; change the default of `{var}` in `{}`",
            info.file.display()
        ))),
        Some(v) if v.settable || !write => Ok(Some(RVar::Param {
            mech: mech.to_string(),
            var: var.to_string(),
            default: v.default,
        })),
        _ => {
            let names = info.settable_names();
            let help = match closest(var, names.iter().copied()) {
                Some(c) => format!("did you mean `{c}_{mech}`?"),
                None => format!("`{mech}` has the parameters {}", one_of(&names)),
            };
            Err(Diagnostic::error(
                "E1606",
                format!("`{mech}` has no parameter `{var}` that can be set"),
            )
            .with_primary(name.span, "unknown or not settable")
            .with_help(help))
        }
    }
}
