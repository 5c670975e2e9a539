//! The compiled mechanisms a simulation uses: every mechanism's IR plus its
//! machine-code kernels, looked up by name. The driver compiles them
//! ([`crate::driver::library`]); the engine only runs them.

use std::collections::HashMap;
use std::sync::Arc;

use crate::back::CompiledMechanism;
use crate::back::math::MathMode;
use crate::diag::Diagnostic;
use crate::ir;

/// Compiled mechanisms by name, in a fixed order: the order NEURON
/// registers mechanism types (its built-ins first, then the user's files
/// sorted by name), which is the order the engine sums currents in.
pub struct Mechanisms {
    entries: Vec<Arc<CompiledMechanism>>,
    by_name: HashMap<String, usize>,
    mode: MathMode,
}

impl std::fmt::Debug for Mechanisms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mechanisms")
            .field("mechanisms", &self.names().collect::<Vec<_>>())
            .finish()
    }
}

impl Mechanisms {
    /// The mechanisms in `entries`, in that order, all compiled in `mode`.
    /// A name given twice is an error.
    pub fn new(entries: Vec<Arc<CompiledMechanism>>, mode: MathMode) -> Result<Self, Diagnostic> {
        let mut by_name = HashMap::new();
        for (i, c) in entries.iter().enumerate() {
            let name = &c.mechanism().name;
            if by_name.insert(name.clone(), i).is_some() {
                return Err(Diagnostic::error(
                    "E0202",
                    format!("mechanism `{name}` is defined twice"),
                ));
            }
        }
        Ok(Mechanisms {
            entries,
            by_name,
            mode,
        })
    }

    /// The math mode every kernel was compiled in; the simulator's own
    /// arithmetic (the matrix solve) follows it.
    pub fn math_mode(&self) -> MathMode {
        self.mode
    }

    /// The IR of mechanism `name`.
    pub fn get(&self, name: &str) -> Option<&ir::Mechanism> {
        self.compiled(name).map(CompiledMechanism::mechanism)
    }

    /// The compiled kernels of mechanism `name`.
    pub fn compiled(&self, name: &str) -> Option<&CompiledMechanism> {
        self.by_name
            .get(name)
            .and_then(|&i| self.entries.get(i))
            .map(|c| &**c)
    }

    /// Position of `name` in the order.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// Mechanism names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|c| c.mechanism().name.as_str())
    }

    /// Number of mechanisms.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no mechanism.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn shared(&self, index: usize) -> Option<Arc<CompiledMechanism>> {
        self.entries.get(index).cloned()
    }
}
