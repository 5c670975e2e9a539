//! The `nmc` command; all logic lives in the library (`nmc::cli`).

fn main() {
    std::process::exit(nmc::cli::main());
}
