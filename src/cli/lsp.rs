//! `nmc lsp`: start the language server on stdin/stdout.

/// Runs the language server and returns its exit status.
pub fn run() -> i32 {
    crate::lsp::run_stdio()
}
