//! Back ends: everything that runs IR kernels. [`interp`] evaluates them
//! directly (the reference); [`cranelift`] compiles them to machine code.
//! Both share the data owners ([`data`]), the argument block and engine
//! callbacks ([`abi`]), the slot layout ([`layout`]), the engine interface
//! ([`engine`]) and the math functions ([`math`]).

pub mod abi;
pub mod cranelift;
pub mod data;
pub mod engine;
pub mod fast_math;
pub mod interp;
pub mod layout;
pub mod libm_exp;
pub mod math;
pub mod samples;

pub use data::{Env, Event, MechanismData, NodeData, RunError, Shared};
pub use engine::{Engine, EngineCall, RecordingEngine};

/// The machine-code back end as the engine sees it: a mechanism's compiled
/// kernels, the per-run argument blocks, and recompilation for one run's
/// data.
pub use cranelift::{CompiledMechanism, Prepared, compile_specialized};
