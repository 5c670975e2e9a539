//! What a front end needs to know about a mechanism without running it:
//! its name and kind, the variables it exposes (with units, defaults and
//! whether they can be set), the ions it uses and the unit of a synapse's
//! weight. Computed once per mechanism by the driver's library; read by NDL,
//! hoc, the SONATA loader, the language server and the analysis.

use crate::diag::Diagnostic;
use crate::ir::MechKind;
use std::path::PathBuf;

/// One variable of a mechanism.
#[derive(Clone, Debug, PartialEq)]
pub struct Var {
    /// Name as in the `.mod` file.
    pub name: String,
    /// Declared unit text.
    pub unit: Option<String>,
    /// Default value.
    pub default: f64,
    /// Settable per instance (a RANGE PARAMETER, or a point process PARAMETER).
    pub settable: bool,
    /// A GLOBAL parameter (one value for every instance).
    pub global: bool,
    /// An ion variable the mechanism reads (`ena`, `eleak`, `cai`): setting
    /// it sets the section's ion value, shared by every mechanism there.
    pub ion: bool,
    /// The `<lo, hi>` range its PARAMETER declaration gives, in its unit:
    /// a value set from NDL or SONATA outside it is refused.
    pub limits: Option<(f64, f64)>,
}

/// One mechanism as front ends see it.
#[derive(Clone, Debug, PartialEq)]
pub struct MechInfo {
    /// SUFFIX / POINT_PROCESS / ARTIFICIAL_CELL name.
    pub name: String,
    /// Its kind.
    pub kind: MechKind,
    /// The file it came from (`<built-in>/name.mod` for NEURON's built-ins).
    pub file: PathBuf,
    /// Every variable (parameters first, in declaration order).
    pub vars: Vec<Var>,
    /// Ions it uses.
    pub ions: Vec<String>,
    /// Unit of the first NET_RECEIVE argument, if declared.
    pub weight_unit: Option<String>,
    /// Whether it has a NET_RECEIVE block.
    pub receives_events: bool,
}

impl MechInfo {
    /// The variable called `name`.
    pub fn var(&self, name: &str) -> Option<&Var> {
        self.vars.iter().find(|v| v.name == name)
    }

    /// Names of the parameters that can be set per instance.
    pub fn settable_names(&self) -> Vec<&str> {
        self.vars
            .iter()
            .filter(|v| v.settable)
            .map(|v| v.name.as_str())
            .collect()
    }
}

/// The mechanisms a front end may use, looked up by name. Implemented by
/// the driver's library, which compiles a mechanism only when it is looked
/// up.
pub trait Catalogue {
    /// The mechanism called `name`: an exact match, else the only
    /// case-insensitive one. `None` when no usable mechanism has that name.
    fn find(&self, name: &str) -> Option<&MechInfo>;

    /// Why `name` cannot be used, when a file declares it but does not
    /// compile (an error naming the file; the caller adds the span).
    fn broken(&self, name: &str) -> Option<Diagnostic>;

    /// Names of every mechanism of `kind` (for suggestions and completion).
    fn names_of(&self, kind: MechKind) -> Vec<String>;

    /// Where the mechanisms come from, for messages ("NEURON's built-ins
    /// and `models`").
    fn origin(&self) -> String;
}

/// Splits a NEURON range-variable name `<name>_<suffix>` (`gbar_leak`,
/// `m_na_rtm`) into the variable and the mechanism, trying every `_` from
/// the right so that suffixes with underscores resolve; `is_mechanism`
/// says which suffixes exist. `None` when no split names a mechanism.
pub fn split_suffixed(name: &str, is_mechanism: impl Fn(&str) -> bool) -> Option<(&str, &str)> {
    name.match_indices('_').find_map(|(i, _)| {
        let (var, mech) = (&name[..i], &name[i + 1..]);
        (!var.is_empty() && is_mechanism(mech)).then_some((var, mech))
    })
}

/// `name` without the suffix `_<mechanism>` (`gbar_leak` → `gbar` for
/// `leak`), when it ends so. Allocates nothing (used per instance).
pub fn unsuffixed<'a>(name: &'a str, mechanism: &str) -> Option<&'a str> {
    let base = name.strip_suffix(mechanism)?.strip_suffix('_')?;
    (!base.is_empty()).then_some(base)
}

#[cfg(test)]
mod tests {
    use super::{split_suffixed, unsuffixed};

    #[test]
    fn suffix_is_stripped_only_after_an_underscore() {
        assert_eq!(unsuffixed("gbar_leak", "leak"), Some("gbar"));
        assert_eq!(unsuffixed("m_na_rtm", "na_rtm"), Some("m"));
        assert_eq!(unsuffixed("gbarleak", "leak"), None);
        assert_eq!(unsuffixed("_leak", "leak"), None);
        assert_eq!(unsuffixed("gbar", "leak"), None);
    }

    #[test]
    fn suffix_with_underscore_resolves() {
        let mechs = ["na_rtm", "rtm", "leak"];
        let known = |m: &str| mechs.contains(&m);
        assert_eq!(split_suffixed("m_na_rtm", known), Some(("m", "na_rtm")));
        assert_eq!(split_suffixed("gbar_leak", known), Some(("gbar", "leak")));
        assert_eq!(split_suffixed("gbar_kv", known), None);
        assert_eq!(split_suffixed("_leak", known), None);
    }
}
