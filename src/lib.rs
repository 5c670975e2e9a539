//! nmc: a compiler and simulator for biophysically detailed neural networks.
//!
//! The module tree mirrors the pipeline: source text enters through a front
//! end (`front::nmodl` for mechanisms), problems are reported through `diag`,
//! and physical units are checked by `units`.

pub mod analyze;
pub mod back;
pub mod cli;
pub mod diag;
pub mod driver;
pub mod front;
pub mod io;
pub mod ir;
pub mod lsp;
pub mod morph;
pub mod net;
pub mod sim;
pub mod sonata;
pub mod units;
