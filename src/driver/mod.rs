//! The driver: the one place that runs several stages of nmc in a row.
//!
//! - [`pipeline`]: one `.mod` file through the compiler (front end, IR,
//!   solve, validation).
//! - [`builtins`]: NEURON's built-in mechanisms as nmc's own sources.
//! - [`build`]: the mechanism files `nmc build` ships for BMTK + NEURON.
//! - [`library`]: the mechanisms of a run (NEURON's built-ins and the
//!   user's folders), each compiled once, handed to the engine.
//! - [`run`]: a whole run (NDL or SONATA) for programs that embed nmc:
//!   spikes, reports and rates in memory, outputs written on request.
//! - [`sonata`]: a SONATA circuit and simulation config loaded into a
//!   [`crate::net::Network`] the way BMTK builds it for NEURON.

pub mod build;
pub mod builtins;
pub mod library;
pub mod ndl;
pub mod pipeline;
pub mod run;
pub mod sonata;
