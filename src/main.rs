//! The `nmc` command; all logic lives in the library (`nmc::cli`).

fn main() {
    return_large_blocks_to_the_system();
    nmc::io::trace("start");
    std::process::exit(nmc::cli::main());
}

/// glibc serves blocks under its mmap threshold from its heap and keeps
/// them when freed, and it raises that threshold (up to 32 MB) each time
/// a larger block is freed. A large network is built in pieces (per cell
/// lists, chunks of connections) that are freed while the engine's
/// tables grow, so the heap would keep the network's memory as holes the
/// engine cannot use: the seed scaled by 10 peaked at 1.09 GB instead of
/// 0.89 GB. A fixed threshold of 64 KB gives those pieces back when they
/// are freed (about 7% more CPU time, in the kernel). glibc's own
/// `MALLOC_MMAP_THRESHOLD_`, when set, wins.
fn return_large_blocks_to_the_system() {
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some() {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator settings; called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 * 1024);
    }
}
