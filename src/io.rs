//! File helpers shared by every command: atomic output, the memory
//! available, and text input without a byte order mark.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `dest` through a temporary file in the same directory
/// and a rename, so a crash never leaves a half-written file behind.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dest)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes the files a run is about to write (`files`) and the temporary
/// files a killed run left beside them (`.<name>.tmp<pid>`), so that a run
/// that fails or is killed never leaves a previous run's outputs looking
/// like its own. A file that does not exist is not an error.
pub fn clear_outputs(files: &[&Path]) -> Result<(), String> {
    for f in files {
        match std::fs::remove_file(f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove the previous `{}`: {e}", f.display())),
        }
        let (Some(dir), Some(name)) = (f.parent(), f.file_name()) else {
            continue;
        };
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let prefix = format!(".{}.tmp", name.to_string_lossy());
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let n = e.file_name();
            let n = n.to_string_lossy();
            if let Some(pid) = n.strip_prefix(&prefix)
                && !pid.is_empty()
                && pid.bytes().all(|b| b.is_ascii_digit())
            {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    Ok(())
}

/// `text` without a leading UTF-8 byte order mark: some editors and CSV
/// writers put one at the start of a file, and it belongs to no value
/// (left in, it would be part of the first column name or token).
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The bytes of a text file as text: invalid UTF-8 replaced, a leading
/// byte order mark dropped, and a carriage return that is not followed by
/// a line feed (old Mac line endings) read as a line feed. Both are one
/// byte, so every byte offset, and so every span, stays the same.
pub fn lossy_text(bytes: &[u8]) -> String {
    let text = strip_bom(&String::from_utf8_lossy(bytes)).to_string();
    if !text.contains('\r') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() != Some(&'\n') {
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

/// Bytes of memory this process may still allocate: the smaller of the
/// system's available memory (`MemAvailable`) and what the address-space
/// limit (`ulimit -v`) leaves above the current size. `None` where the
/// system does not say (then nothing is refused).
pub fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let available = meminfo
        .as_deref()
        .and_then(|m| kib_field(m, "MemAvailable:"));
    let limit = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|x| x.starts_with("Max address space"))
                .and_then(|x| x.split_whitespace().nth(3).map(str::to_string))
        })
        .and_then(|soft| soft.parse::<u64>().ok());
    let used = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| kib_field(&s, "VmSize:"))
        .unwrap_or(0);
    let left = limit.map(|l| l.saturating_sub(used));
    match (available, left) {
        (Some(a), Some(l)) => Some(a.min(l)),
        (a, l) => a.or(l),
    }
}

/// The most memory this process has held resident so far (`VmHWM`), in
/// bytes; `None` where the system does not say.
pub fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    kib_field(&status, "VmHWM:")
}

/// Gives the system back the free pages inside the heap (glibc keeps
/// them, as it can only shrink the heap from its top): after a stage that
/// freed many small blocks (a network's build), the next stage's memory
/// is then new pages, not these on top of them.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own heap under its lock.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// With `NMC_TRACE` set in the environment, prints to stderr the time
/// since the process started, the resident and peak memory, and `what`
/// has just finished: where a run's time and memory go, phase by phase.
pub fn trace(what: &str) {
    use std::sync::OnceLock;
    static START: OnceLock<Option<std::time::Instant>> = OnceLock::new();
    let Some(start) =
        START.get_or_init(|| std::env::var_os("NMC_TRACE").map(|_| std::time::Instant::now()))
    else {
        return;
    };
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mb = |field| kib_field(&status, field).map_or(0.0, |b| b as f64 / 1e6);
    // The process's CPU time (user + system, every thread): on a loaded
    // machine the wall clock alone says little.
    // SAFETY: `getrusage` fills the struct it is given.
    let cpu = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut u) == 0 {
            let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 * 1e-6;
            t(u.ru_utime) + t(u.ru_stime)
        } else {
            f64::NAN
        }
    };
    eprintln!(
        "trace {:8.3} s  cpu {cpu:7.3} s  rss {:7.1} MB  peak {:7.1} MB  {what}",
        start.elapsed().as_secs_f64(),
        mb("VmRSS:"),
        mb("VmHWM:")
    );
}

/// The run log's memory line: peak resident memory and, when the network
/// has synapses, that peak per synapse (e.g. `memory: peak 1.2 GB
/// resident, 141 bytes per synapse (8502000 synapses)`).
pub fn memory_line(synapses: usize) -> Option<String> {
    let peak = peak_memory()?;
    let per = if synapses > 0 {
        format!(
            ", {:.0} bytes per synapse ({synapses} synapses)",
            peak as f64 / synapses as f64
        )
    } else {
        String::new()
    };
    Some(format!(
        "memory: peak {} resident{per}",
        format_bytes(peak as f64)
    ))
}

/// A `Name:   1234 kB` field of a /proc file, in bytes.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// `Err(message)` when an allocation of about `bytes` (an estimate, may be
/// huge or infinite) would not fit in [`available_memory`]; the message
/// says what would be needed and what is available, e.g. "would need about
/// 4.0 TB of memory, 15.2 GB available".
pub fn check_memory(bytes: f64) -> Result<(), String> {
    // Anything beyond 2^62 bytes cannot be allocated anywhere.
    const IMPOSSIBLE: f64 = 4.6e18;
    let needed = if bytes.is_nan() { IMPOSSIBLE } else { bytes };
    match available_memory() {
        Some(a) if needed > a as f64 => Err(format!(
            "would need about {} of memory, {} available",
            format_bytes(needed),
            format_bytes(a as f64)
        )),
        None if needed >= IMPOSSIBLE => Err(format!(
            "would need about {} of memory",
            format_bytes(needed)
        )),
        _ => Ok(()),
    }
}

/// `1.5 GB`, `300 MB`, `4.0e6 TB`.
pub fn format_bytes(b: f64) -> String {
    if !b.is_finite() {
        return "an unbounded amount".into();
    }
    let units = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    for (name, scale) in units {
        if b >= scale {
            let v = b / scale;
            return if v >= 1e4 {
                format!("{v:.1e} {name}")
            } else {
                format!("{v:.1} {name}")
            };
        }
    }
    format!("{b:.0} bytes")
}

#[cfg(test)]
mod tests {
    use super::lossy_text;

    #[test]
    fn lone_carriage_returns_end_lines_and_keep_offsets() {
        let text = lossy_text(b"\xef\xbb\xbfa\rb\r\nc\r");
        assert_eq!(text, "a\nb\r\nc\n");
        assert_eq!(lossy_text(b"plain\n"), "plain\n");
    }
}
