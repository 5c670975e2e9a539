//! The unit database: named units, prefixes and physical constants, plus the
//! per-file definitions of a UNITS block.
//!
//! Conventions follow NEURON's units database where NMODL files depend on
//! them: a standalone `m` is the metre (`mV` is milli-volt), `mole` is
//! Avogadro's number (a count, so `faraday` = `e`·`mole` is a charge in
//! coulombs and `k-mole` is the gas constant in joule/kelvin), and a trailing
//! `s` is a plural (`coulombs`). `mol`, `molar` and `M` are the SI amount of
//! substance, so `mM` = millimolar = mol/m3.

use super::dimension::{BaseDim, Dimension};
use super::{Unit, UnitError};
use std::collections::HashMap;

/// Elementary charge in coulombs (exact, SI 2019).
pub const ELEMENTARY_CHARGE: f64 = 1.602176634e-19;
/// Avogadro's number (exact, SI 2019).
pub const AVOGADRO: f64 = 6.02214076e23;
/// Boltzmann constant in joule/kelvin (exact, SI 2019).
pub const BOLTZMANN: f64 = 1.380649e-23;
/// Planck constant in joule·second (exact, SI 2019).
pub const PLANCK: f64 = 6.62607015e-34;
/// Faraday constant: the charge of one mole of elementary charges, in coulombs.
pub const FARADAY: f64 = ELEMENTARY_CHARGE * AVOGADRO;
/// Gas constant: Boltzmann constant times Avogadro's number, in joule/kelvin.
pub const GAS_CONSTANT: f64 = BOLTZMANN * AVOGADRO;

/// Metric prefixes: spelled-out words first, then symbols; longer first so
/// `da` wins over `d`.
const PREFIXES: &[(&str, f64)] = &[
    ("yotta", 1e24),
    ("zetta", 1e21),
    ("exa", 1e18),
    ("peta", 1e15),
    ("tera", 1e12),
    ("giga", 1e9),
    ("mega", 1e6),
    ("kilo", 1e3),
    ("hecto", 1e2),
    ("deka", 1e1),
    ("deca", 1e1),
    ("deci", 1e-1),
    ("centi", 1e-2),
    ("milli", 1e-3),
    ("micro", 1e-6),
    ("nano", 1e-9),
    ("pico", 1e-12),
    ("femto", 1e-15),
    ("atto", 1e-18),
    ("zepto", 1e-21),
    ("zopto", 1e-21),
    ("yocto", 1e-24),
    ("da", 1e1),
    ("Y", 1e24),
    ("Z", 1e21),
    ("E", 1e18),
    ("P", 1e15),
    ("T", 1e12),
    ("G", 1e9),
    ("M", 1e6),
    ("k", 1e3),
    ("h", 1e2),
    ("d", 1e-1),
    ("c", 1e-2),
    ("m", 1e-3),
    ("u", 1e-6),
    ("\u{b5}", 1e-6),
    ("\u{3bc}", 1e-6),
    ("n", 1e-9),
    ("p", 1e-12),
    ("f", 1e-15),
    ("a", 1e-18),
    ("z", 1e-21),
    ("y", 1e-24),
];

/// Exponents `[m, kg, s, A, K, mol, cd]` of the derived units used below.
const D_NONE: [i32; 7] = [0, 0, 0, 0, 0, 0, 0];
const D_LEN: [i32; 7] = [1, 0, 0, 0, 0, 0, 0];
const D_MASS: [i32; 7] = [0, 1, 0, 0, 0, 0, 0];
const D_TIME: [i32; 7] = [0, 0, 1, 0, 0, 0, 0];
const D_CURRENT: [i32; 7] = [0, 0, 0, 1, 0, 0, 0];
const D_TEMP: [i32; 7] = [0, 0, 0, 0, 1, 0, 0];
const D_AMOUNT: [i32; 7] = [0, 0, 0, 0, 0, 1, 0];
const D_CANDELA: [i32; 7] = [0, 0, 0, 0, 0, 0, 1];
const D_VOLUME: [i32; 7] = [3, 0, 0, 0, 0, 0, 0];
const D_FREQ: [i32; 7] = [0, 0, -1, 0, 0, 0, 0];
const D_CHARGE: [i32; 7] = [0, 0, 1, 1, 0, 0, 0];
const D_VOLT: [i32; 7] = [2, 1, -3, -1, 0, 0, 0];
const D_OHM: [i32; 7] = [2, 1, -3, -2, 0, 0, 0];
const D_SIEMENS: [i32; 7] = [-2, -1, 3, 2, 0, 0, 0];
const D_FARAD: [i32; 7] = [-2, -1, 4, 2, 0, 0, 0];
const D_HENRY: [i32; 7] = [2, 1, -2, -2, 0, 0, 0];
const D_WEBER: [i32; 7] = [2, 1, -2, -1, 0, 0, 0];
const D_TESLA: [i32; 7] = [0, 1, -2, -1, 0, 0, 0];
const D_JOULE: [i32; 7] = [2, 1, -2, 0, 0, 0, 0];
const D_WATT: [i32; 7] = [2, 1, -3, 0, 0, 0, 0];
const D_NEWTON: [i32; 7] = [1, 1, -2, 0, 0, 0, 0];
const D_PASCAL: [i32; 7] = [-1, 1, -2, 0, 0, 0, 0];
const D_MOLAR: [i32; 7] = [-3, 0, 0, 0, 0, 1, 0];
const D_JOULE_PER_K: [i32; 7] = [2, 1, -2, 0, -1, 0, 0];
const D_ACTION: [i32; 7] = [2, 1, -1, 0, 0, 0, 0];

/// The built-in names: (name, scale relative to SI, dimension).
const BUILTIN: &[(&str, f64, [i32; 7])] = &[
    // Pure numbers.
    ("1", 1.0, D_NONE),
    ("fuzz", 1.0, D_NONE),
    ("two", 2.0, D_NONE),
    ("pi", std::f64::consts::PI, D_NONE),
    ("percent", 0.01, D_NONE),
    ("%", 0.01, D_NONE),
    ("radian", 1.0, D_NONE),
    ("rad", 1.0, D_NONE),
    ("degree", std::f64::consts::PI / 180.0, D_NONE),
    ("steradian", 1.0, D_NONE),
    ("sr", 1.0, D_NONE),
    ("dozen", 12.0, D_NONE),
    ("mole", AVOGADRO, D_NONE),
    ("avogadro", AVOGADRO, D_NONE),
    // Length.
    ("m", 1.0, D_LEN),
    ("meter", 1.0, D_LEN),
    ("metre", 1.0, D_LEN),
    ("micron", 1e-6, D_LEN),
    ("angstrom", 1e-10, D_LEN),
    ("inch", 0.0254, D_LEN),
    ("in", 0.0254, D_LEN),
    ("foot", 0.3048, D_LEN),
    ("feet", 0.3048, D_LEN),
    ("ft", 0.3048, D_LEN),
    // Mass.
    ("g", 1e-3, D_MASS),
    ("gram", 1e-3, D_MASS),
    ("gramme", 1e-3, D_MASS),
    ("gm", 1e-3, D_MASS),
    ("dalton", 1.66053906660e-27, D_MASS),
    ("amu", 1.66053906660e-27, D_MASS),
    // Time.
    ("s", 1.0, D_TIME),
    ("sec", 1.0, D_TIME),
    ("second", 1.0, D_TIME),
    ("min", 60.0, D_TIME),
    ("minute", 60.0, D_TIME),
    ("hr", 3600.0, D_TIME),
    ("hour", 3600.0, D_TIME),
    ("day", 86400.0, D_TIME),
    ("week", 604800.0, D_TIME),
    // Frequency.
    ("Hz", 1.0, D_FREQ),
    ("hz", 1.0, D_FREQ),
    ("hertz", 1.0, D_FREQ),
    // Volume.
    ("l", 1e-3, D_VOLUME),
    ("L", 1e-3, D_VOLUME),
    ("liter", 1e-3, D_VOLUME),
    ("litre", 1e-3, D_VOLUME),
    ("cc", 1e-6, D_VOLUME),
    // Electricity.
    ("A", 1.0, D_CURRENT),
    ("amp", 1.0, D_CURRENT),
    ("ampere", 1.0, D_CURRENT),
    ("C", 1.0, D_CHARGE),
    ("coul", 1.0, D_CHARGE),
    ("coulomb", 1.0, D_CHARGE),
    ("V", 1.0, D_VOLT),
    ("volt", 1.0, D_VOLT),
    ("ohm", 1.0, D_OHM),
    ("\u{3a9}", 1.0, D_OHM),
    ("\u{2126}", 1.0, D_OHM),
    ("kohm", 1e3, D_OHM),
    ("kilohm", 1e3, D_OHM),
    ("megohm", 1e6, D_OHM),
    ("S", 1.0, D_SIEMENS),
    ("siemens", 1.0, D_SIEMENS),
    ("mho", 1.0, D_SIEMENS),
    ("F", 1.0, D_FARAD),
    ("farad", 1.0, D_FARAD),
    ("henry", 1.0, D_HENRY),
    ("weber", 1.0, D_WEBER),
    ("Wb", 1.0, D_WEBER),
    ("tesla", 1.0, D_TESLA),
    ("gauss", 1e-4, D_TESLA),
    // Energy, power, force, pressure.
    ("J", 1.0, D_JOULE),
    ("joule", 1.0, D_JOULE),
    ("erg", 1e-7, D_JOULE),
    ("cal", 4.1868, D_JOULE),
    ("calorie", 4.1868, D_JOULE),
    ("eV", ELEMENTARY_CHARGE, D_JOULE),
    ("ev", ELEMENTARY_CHARGE, D_JOULE),
    ("electronvolt", ELEMENTARY_CHARGE, D_JOULE),
    ("W", 1.0, D_WATT),
    ("watt", 1.0, D_WATT),
    ("N", 1.0, D_NEWTON),
    ("nt", 1.0, D_NEWTON),
    ("newton", 1.0, D_NEWTON),
    ("dyne", 1e-5, D_NEWTON),
    ("Pa", 1.0, D_PASCAL),
    ("pascal", 1.0, D_PASCAL),
    ("atm", 101325.0, D_PASCAL),
    ("atmosphere", 101325.0, D_PASCAL),
    ("bar", 1e5, D_PASCAL),
    ("torr", 101325.0 / 760.0, D_PASCAL),
    // Temperature: degC and degF are temperature differences.
    ("K", 1.0, D_TEMP),
    ("kelvin", 1.0, D_TEMP),
    ("degK", 1.0, D_TEMP),
    ("degC", 1.0, D_TEMP),
    ("degF", 5.0 / 9.0, D_TEMP),
    // Amount of substance and concentration (SI).
    ("mol", 1.0, D_AMOUNT),
    ("molar", 1e3, D_MOLAR),
    ("M", 1e3, D_MOLAR),
    ("cd", 1.0, D_CANDELA),
    ("candela", 1.0, D_CANDELA),
    // Physical constants usable as units (`FARADAY = (faraday) (coulomb)`).
    ("e", ELEMENTARY_CHARGE, D_CHARGE),
    ("faraday", FARADAY, D_CHARGE),
    ("k", BOLTZMANN, D_JOULE_PER_K),
    ("boltzmann", BOLTZMANN, D_JOULE_PER_K),
    ("R", GAS_CONSTANT, D_JOULE_PER_K),
    ("gasconstant", GAS_CONSTANT, D_JOULE_PER_K),
    ("planck", PLANCK, D_ACTION),
    ("hbar", PLANCK / (2.0 * std::f64::consts::PI), D_ACTION),
];

/// Named units known to the parser: the built-in database plus names
/// defined by the program being read (a UNITS block's `(mM) = (milli/liter)`).
/// Definitions shadow built-in names.
#[derive(Clone, Debug)]
pub struct UnitTable {
    builtin: HashMap<&'static str, Unit>,
    defined: HashMap<String, Unit>,
}

impl Default for UnitTable {
    fn default() -> Self {
        Self::new()
    }
}

/// Upper bound on recursive name resolution (prefix, plural) steps.
const MAX_RESOLVE_DEPTH: usize = 4;

impl UnitTable {
    /// The built-in database with no user definitions.
    pub fn new() -> Self {
        let builtin = BUILTIN
            .iter()
            .map(|&(name, scale, dim)| (name, Unit::new(scale, Dimension::from_exponents(dim))))
            .collect();
        UnitTable {
            builtin,
            defined: HashMap::new(),
        }
    }

    /// Defines (or redefines) `name` as `unit` for the rest of this table's life.
    /// Returns the previous meaning if `name` was already a defined or built-in name.
    pub fn define(&mut self, name: &str, unit: Unit) -> Option<Unit> {
        let before = self.lookup_exact(name);
        self.defined.insert(name.to_string(), unit);
        before
    }

    /// Parses `text` as a unit expression using this table.
    pub fn parse(&self, text: &str) -> Result<Unit, UnitError> {
        super::parse::parse_with(self, text)
    }

    /// The unit named exactly `name` (no prefix or plural resolution).
    pub fn lookup_exact(&self, name: &str) -> Option<Unit> {
        self.defined
            .get(name)
            .copied()
            .or_else(|| self.builtin.get(name).copied())
    }

    /// Resolves a unit name, allowing one metric prefix (`mV`, `kilocoulomb`),
    /// a plural `s` (`coulombs`), or a bare spelled-out prefix (`milli`).
    pub fn lookup(&self, name: &str) -> Option<Unit> {
        self.resolve(name, 0, true)
    }

    fn resolve(&self, name: &str, depth: usize, allow_prefix: bool) -> Option<Unit> {
        if name.is_empty() || depth > MAX_RESOLVE_DEPTH {
            return None;
        }
        if let Some(u) = self.lookup_exact(name) {
            return Some(u);
        }
        if allow_prefix {
            for &(p, factor) in PREFIXES {
                if let Some(rest) = name.strip_prefix(p) {
                    if rest.is_empty() {
                        // A spelled-out prefix alone is a pure number (`milli/liter`).
                        if p.len() > 2 {
                            return Some(Unit::scalar(factor));
                        }
                        continue;
                    }
                    if let Some(u) = self.resolve(rest, depth + 1, false) {
                        return Some(Unit::scalar(factor).mul(&u));
                    }
                }
            }
        }
        if name.len() > 1
            && let Some(stem) = name.strip_suffix('s')
        {
            return self.resolve(stem, depth + 1, allow_prefix);
        }
        None
    }

    /// The known name closest to `name` (for "did you mean" help), if any is close.
    /// Candidates are the table's names and prefixed forms of them (`millivolt`, `nA`).
    pub fn suggest(&self, name: &str) -> Option<String> {
        let lower = name.to_lowercase();
        let plain: Vec<&str> = self
            .defined
            .keys()
            .map(|s| s.as_str())
            .chain(self.builtin.keys().copied())
            .collect();
        let mut cands: Vec<String> = plain.iter().map(|s| s.to_string()).collect();
        for &(p, _) in PREFIXES {
            for n in &plain {
                let spelled = p.len() > 2;
                let symbol_unit = n.len() <= 3 && !n.chars().all(|c| c.is_ascii_digit());
                if (spelled && n.len() > 2) || (!spelled && symbol_unit) {
                    cands.push(format!("{p}{n}"));
                }
            }
        }
        let limit = match name.chars().count() {
            0..=2 => 0,
            3 => 1,
            _ => 2,
        };
        let mut best: Option<((usize, usize, usize), String)> = None;
        for cand in cands {
            let short = cand.chars().count() < 2 && name.chars().count() > 2;
            if short || !cand.starts_with(char::is_alphabetic) {
                continue;
            }
            let cl = cand.to_lowercase();
            let d = if cl == lower {
                0
            } else {
                crate::diag::suggest::distance(&lower, &cl)
            };
            // Among spellings equal but for case, prefer the fewest case
            // changes: `mv` means millivolt (`mV`), not megavolt (`MV`).
            let case_changes = name
                .chars()
                .zip(cand.chars())
                .filter(|(a, b)| a != b)
                .count();
            let key = (d, case_changes, cand.len());
            let better = match &best {
                None => true,
                Some((bk, bn)) => (key, &cand) < (*bk, bn),
            };
            if d <= limit && better {
                best = Some((key, cand));
            }
        }
        best.map(|(_, b)| b)
    }

    /// The dimension of a base unit, for callers that build units by hand.
    pub fn base(d: BaseDim) -> Unit {
        Unit::new(1.0, Dimension::base(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_plurals() {
        let t = UnitTable::new();
        let mv = t.lookup("mV").unwrap();
        assert!((mv.scale - 1e-3).abs() < 1e-18);
        assert!(t.lookup("coulombs").is_some());
        assert!(t.lookup("kilocoulombs").is_some());
        assert!(t.lookup("millimolar").is_some());
        assert!(t.lookup("milli").is_some());
        assert!(t.lookup("xyz").is_none());
        assert_eq!(t.lookup("m").unwrap().dim, Dimension::base(BaseDim::Length));
        assert_eq!(t.lookup("min").unwrap().scale, 60.0);
    }

    #[test]
    fn suggestions() {
        let t = UnitTable::new();
        assert_eq!(t.suggest("DegC").as_deref(), Some("degC"));
        assert_eq!(t.suggest("millivot").as_deref(), Some("millivolt"));
        assert_eq!(t.suggest("coulumb").as_deref(), Some("coulomb"));
    }

    #[test]
    fn case_only_typos_keep_the_prefix_meaning() {
        let t = UnitTable::new();
        assert_eq!(t.suggest("mv").as_deref(), Some("mV"));
    }

    #[test]
    fn distance() {
        assert_eq!(crate::diag::suggest::distance("kitten", "sitting"), 3);
        assert_eq!(crate::diag::suggest::distance("", "ab"), 2);
    }
}
