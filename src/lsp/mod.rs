//! `nmc lsp`: a language server for NMODL (`.mod`) and NDL (`.ndl`) over
//! stdio. It publishes the diagnostics `nmc check` prints (same codes,
//! messages and help) as the user types, and answers hover, go to
//! definition, completion and document symbols. NDL files are checked
//! against the `.mod` files of their `mechanisms` folder, with open
//! buffers standing in for the files on disk.
//!
//! Modules: [`transport`] (framing, tolerant of garbage), [`server`] (the
//! loop and the lifecycle), [`builder`] (checks off the request path),
//! [`workspace`] and [`document`] (open files and their analyses), [`position`] (byte offsets to UTF-16 positions),
//! [`diagnostics`], [`hover`], [`definition`], [`completion`], [`symbols`],
//! with name lookup in [`nmodl_names`] and [`ndl_names`].

pub mod builder;
pub mod completion;
pub mod definition;
pub mod diagnostics;
pub mod document;
pub mod hover;
pub mod ndl_names;
pub mod nmodl_names;
pub mod position;
pub mod server;
pub mod symbols;
pub mod transport;
pub mod uri;
pub mod workspace;

/// Serves the protocol on stdin/stdout until `exit` or end of input;
/// returns the exit status (0 after a clean `shutdown` and `exit`).
pub fn run_stdio() -> i32 {
    let input = std::io::BufReader::new(std::io::stdin());
    let stdout = std::io::stdout();
    let mut server = server::Server::new(stdout.lock());
    server.serve(input)
}
