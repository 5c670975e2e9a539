//! Front ends: the languages nmc reads. Each turns text into a spanned
//! syntax tree and checks it, reporting through [`crate::diag`].

pub mod hoc;
pub mod ndl;
pub mod nmodl;
