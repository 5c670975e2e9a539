//! Whole `.mod` files nmc recognises by their exact text. A few of
//! NEURON's own mechanisms are written in C inside VERBATIM blocks that
//! nmc cannot compile; when a file is, byte for byte apart from
//! whitespace, the one NEURON ships, its meaning is certain and nmc
//! compiles its own NMODL version of that mechanism (`builtins/`) in its
//! place, whose behaviour the engine supplies.
//!
//! - NEURON 9.0.2's `pattern.mod` (the ARTIFICIAL_CELL `PatternStim`):
//!   replays (time, gid) spikes handed over by `play(tvec, gidvec)`; nmc's
//!   engine replays such a pattern as one spike train per gid.

/// A file recognised by its text, and nmc's own version of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Known {
    /// The mechanism's name.
    pub name: &'static str,
    /// What the file is, for messages.
    pub origin: &'static str,
    /// The path of nmc's version, for messages and spans.
    pub file: &'static str,
    /// nmc's NMODL source of the mechanism.
    pub text: &'static str,
    /// Bytes of the recognised file that are not whitespace.
    len: usize,
    /// FNV-1a (64 bit) of those bytes.
    hash: u64,
}

/// Every recognised file.
pub const KNOWN: &[Known] = &[Known {
    name: "PatternStim",
    origin: "NEURON 9.0.2's pattern.mod",
    file: "builtins/PatternStim.mod",
    text: include_str!("../../../builtins/PatternStim.mod"),
    len: 2402,
    hash: 0xe10e_8e03_16f4_6b9e,
}];

/// The recognised mechanism `text` is, if any: the text without its
/// whitespace must have the length and hash of the known file.
pub fn recognise(text: &str) -> Option<&'static Known> {
    let (len, hash) = fingerprint(text);
    KNOWN.iter().find(|k| k.len == len && k.hash == hash)
}

/// The number of bytes of `text` that are not whitespace, and their
/// FNV-1a hash (64 bit).
fn fingerprint(text: &str) -> (usize, u64) {
    let bytes = text.bytes().filter(|b| !b.is_ascii_whitespace());
    bytes.fold((0usize, 0xcbf2_9ce4_8422_2325u64), |(n, h), b| {
        (
            n + 1,
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_whitespace_only() {
        // FNV-1a of "ab" (the published algorithm's value).
        assert_eq!(fingerprint("ab"), (2, 0x089c_4407_b545_986a));
        assert_eq!(fingerprint(" a\r\n\tb "), fingerprint("ab"));
        assert_ne!(fingerprint("ba"), fingerprint("ab"));
    }

    #[test]
    fn nmcs_own_versions_are_not_the_recognised_files() {
        for k in KNOWN {
            assert_eq!(recognise(k.text), None, "{}", k.name);
        }
        assert_eq!(recognise(""), None);
    }
}
