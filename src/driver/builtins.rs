//! NEURON's built-in mechanisms, as nmc's own NMODL sources (`builtins/`)
//! embedded in the binary. NEURON users never ship `hh`, `pas`, `IClamp`,
//! ... with a model, so nmc must know them without a folder.

/// One of NEURON's built-in mechanisms, as nmc's own NMODL source embedded in the binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builtin {
    /// File name in `builtins/`; its stem is the mechanism's name.
    pub file: &'static str,
    /// The NMODL source.
    pub text: &'static str,
}

impl Builtin {
    /// The mechanism's name (the file stem).
    pub fn name(&self) -> &'static str {
        self.file.strip_suffix(".mod").unwrap_or(self.file)
    }
}

macro_rules! builtin {
    ($file:literal) => {
        Builtin {
            file: $file,
            text: include_str!(concat!("../../builtins/", $file)),
        }
    };
}

/// In NEURON's registration order (the order NEURON numbers mechanism types, which is the order it sums currents in).
///
/// Measured in NEURON 9.0.2 (`MechanismType(0)` and `MechanismType(1)`,
/// `select(i)`, `internal_type()`): 4 pas, 7 IClamp, 8 AlphaSynapse,
/// 9 ExpSyn, 10 Exp2Syn, 11 SEClamp, 17 hh, 18 NetStim, 19 IntFire1,
/// 20 IntFire2, 21 IntFire4 (the gaps are types nmc does not ship:
/// morphology 2, capacitance 3, extracellular 5, fastpas 6, VClamp 12,
/// OClamp 13, APCount 14, na_ion 15, k_ion 16, PointProcessMark 22,
/// PatternStim 23). `VecStim` is not built into NEURON 9.0.2: BMTK compiles
/// it (`vecevent.mod`) with the model's own mechanisms, so NEURON numbers it
/// after every built-in; it comes last here. `IClampPlay` is not NEURON's:
/// it is the IClamp nmc gives waveform current clamps (NEURON plays the
/// waveform into an IClamp), so it sits where NEURON sums IClamp currents.
pub const BUILTINS: &[Builtin] = &[
    builtin!("pas.mod"),
    builtin!("IClamp.mod"),
    builtin!("IClampPlay.mod"),
    builtin!("AlphaSynapse.mod"),
    builtin!("ExpSyn.mod"),
    builtin!("Exp2Syn.mod"),
    builtin!("SEClamp.mod"),
    builtin!("hh.mod"),
    builtin!("NetStim.mod"),
    builtin!("IntFire1.mod"),
    builtin!("IntFire2.mod"),
    builtin!("IntFire4.mod"),
    builtin!("VecStim.mod"),
];

/// The built-in called `name`, if any.
pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name() == name)
}

/// True for the names NEURON 9.0.2 has built in: every built-in but
/// VecStim, which BMTK projects compile themselves, and nmc's own
/// IClampPlay.
pub fn neuron_builtin(name: &str) -> bool {
    !matches!(name, "VecStim" | "IClampPlay") && find(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Diagnostic, SourceMap};
    use crate::driver::pipeline::compile_source;

    #[test]
    fn every_builtin_compiles_and_is_named_as_its_file() {
        assert_eq!(BUILTINS.len(), 13);
        let mut map = SourceMap::new();
        for b in BUILTINS {
            let out = compile_source(&mut map, b.file, b.text);
            let errors: Vec<&Diagnostic> =
                out.diagnostics.iter().filter(|d| d.is_error()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", b.file);
            assert!(
                out.diagnostics.is_empty(),
                "{}: warnings {:?}",
                b.file,
                out.diagnostics
            );
            let mech = out
                .mechanism
                .unwrap_or_else(|| panic!("{} compiles", b.file));
            assert_eq!(mech.name, b.name(), "{}", b.file);
        }
    }

    #[test]
    fn names_are_unique_and_found() {
        for (i, b) in BUILTINS.iter().enumerate() {
            assert!(BUILTINS[..i].iter().all(|o| o.name() != b.name()));
            assert_eq!(find(b.name()), Some(b));
        }
        assert_eq!(find("k_rtm"), None);
    }
}
