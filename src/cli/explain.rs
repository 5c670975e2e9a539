//! `nmc explain CODE`: the long explanation of a diagnostic code from the
//! registry in [`crate::diag::codes`], like rustc's `--explain`.

use super::{EXIT_OK, EXIT_USAGE};
use crate::diag::codes::{self, CODES};

/// Prints the explanation of `code`, or the list of codes without one.
pub fn run(code: Option<&str>) -> i32 {
    let Some(code) = code else {
        for c in CODES {
            outln!("{}  {}", c.code, c.title);
        }
        return EXIT_OK;
    };
    match codes::lookup(code) {
        Some(c) => {
            outln!("{}: {}\n\n{}", c.code, c.title, c.explanation.trim_end());
            EXIT_OK
        }
        None => {
            eprintln!(
                "error: `{code}` is not a diagnostic code of nmc (codes look like `E0201`, `W0501`)"
            );
            eprintln!("  = help: `nmc explain` lists every code");
            EXIT_USAGE
        }
    }
}
