//! `nmc manpages DIR` (hidden; used by `scripts/release`): the man pages
//! clap_mangen renders from the same definitions as `--help`, so the two
//! cannot drift apart.

use super::{Cli, EXIT_ERRORS, EXIT_OK};
use clap::CommandFactory;
use std::path::Path;

/// Writes `nmc.1` and `nmc-<command>.1` for every visible subcommand into
/// `dir` and lists the files written.
pub fn write(dir: &Path) -> i32 {
    let cmd = Cli::command();
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("error: cannot create {}: {e}", dir.display());
        return EXIT_ERRORS;
    }
    let mut pages = vec![("nmc.1".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("nmc-{}", sub.get_name());
        let page = sub
            .clone()
            .name(name.clone())
            .version(env!("CARGO_PKG_VERSION"));
        pages.push((format!("{name}.1"), page));
    }
    for (file, page) in pages {
        let mut roff = Vec::new();
        if let Err(e) = clap_mangen::Man::new(page).render(&mut roff) {
            eprintln!("error: cannot render {file}: {e}");
            return EXIT_ERRORS;
        }
        let path = dir.join(&file);
        if let Err(e) = crate::io::write_atomic(&path, &roff) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return EXIT_ERRORS;
        }
        outln!("wrote {}", path.display());
    }
    EXIT_OK
}
