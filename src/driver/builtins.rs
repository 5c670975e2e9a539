//! NEURON's built-in mechanisms, as nmc's own NMODL sources embedded in
//! the binary.

/// One of NEURON's built-in mechanisms.
pub struct Builtin {
    /// File name (`hh.mod`).
    pub file: &'static str,
    /// Its NMODL text.
    pub text: &'static str,
}

/// The built-ins, in NEURON's registration order.
pub const BUILTINS: &[Builtin] = &[];
