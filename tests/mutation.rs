//! Random mutations of the repository's valid inputs: every `.mod` file of
//! `models/` and `builtins/`, every `.ndl` file, the seed's SONATA configs
//! and the ball-and-stick fixture's configs and type CSVs. Each case
//! applies one to three deterministic pseudo-random mutations (byte flips,
//! truncations, deleted or duplicated lines, swapped tokens, a duplicated
//! slice) and runs the front end in-process: the NMODL compile pipeline
//! (what `nmc check` and `nmc compile` run), the NDL front end with its
//! mechanism library (`nmc check`), the SONATA config reader and network
//! loader (`nmc run`'s loading). Every case must end without a panic,
//! within a time bound, and every diagnostic must carry a well-formed code
//! that is not an internal-error code (`E0199`, `E0699`, `E1199`).
//!
//! The seed and the case count are fixed; `NMC_MUTATION_CASES` scales the
//! number of cases per file (default below), `NMC_MUTATION_SEED` changes
//! the seed, and `NMC_MUTATION_DUMP=DIR` writes the input of every finding
//! into DIR.

use nmc::diag::{Diagnostic, SourceMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// Cases per input file (scaled by each file's weight).
const CASES: usize = 200;
/// Longest a single case may take.
const CASE_TIME: Duration = Duration::from_secs(20);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cases() -> usize {
    std::env::var("NMC_MUTATION_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(CASES)
}

fn base_seed() -> u64 {
    std::env::var("NMC_MUTATION_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6e6d_635f_6d75_7461)
}

/// SplitMix64: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// FNV-1a of a name, to give every file its own stream of cases.
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Byte ranges of the lines of `t` (with their newline).
fn lines(t: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in t.iter().enumerate() {
        if b == b'\n' {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < t.len() {
        out.push((start, t.len()));
    }
    out
}

/// Byte ranges of the whitespace-separated tokens of `t`.
fn tokens(t: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &b) in t.iter().enumerate() {
        match (b.is_ascii_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, t.len()));
    }
    out
}

/// Bytes a flip prefers: the characters that make structure.
const PUNCT: &[u8] = b"{}()[];=,\"'.:-+*/<>0123456789e\n $";

/// One mutation of `t`, with a description.
fn mutate_once(t: &mut Vec<u8>, rng: &mut Rng) -> String {
    if t.is_empty() {
        t.push(b'{');
        return "insert `{`".into();
    }
    match rng.below(7) {
        0 => {
            let i = rng.below(t.len());
            let old = t[i];
            t[i] = if rng.below(2) == 0 {
                PUNCT[rng.below(PUNCT.len())]
            } else {
                old ^ (1 + rng.below(255)) as u8
            };
            format!("byte {i}: {old:#04x} -> {:#04x}", t[i])
        }
        1 => {
            let i = rng.below(t.len());
            t.truncate(i);
            format!("truncate at {i}")
        }
        2 => {
            let ls = lines(t);
            let k = rng.below(ls.len());
            let (a, b) = ls[k];
            t.drain(a..b);
            format!("delete line {}", k + 1)
        }
        3 => {
            let ls = lines(t);
            let k = rng.below(ls.len());
            let (a, b) = ls[k];
            let line = t[a..b].to_vec();
            let times = 1 + rng.below(3);
            for _ in 0..times {
                t.splice(b..b, line.iter().copied());
            }
            format!("duplicate line {} x{times}", k + 1)
        }
        4 | 5 => {
            let ts = tokens(t);
            if ts.len() < 2 {
                return "nothing to swap".into();
            }
            let (i, j) = (rng.below(ts.len()), rng.below(ts.len()));
            let (i, j) = (i.min(j), i.max(j));
            if i == j {
                return "swap a token with itself".into();
            }
            let (a, b) = (ts[i], ts[j]);
            let mut out = t[..a.0].to_vec();
            out.extend_from_slice(&t[b.0..b.1]);
            out.extend_from_slice(&t[a.1..b.0]);
            out.extend_from_slice(&t[a.0..a.1]);
            out.extend_from_slice(&t[b.1..]);
            *t = out;
            format!("swap tokens {i} and {j}")
        }
        _ => {
            let a = rng.below(t.len());
            let n = 1 + rng.below(64.min(t.len() - a));
            let slice = t[a..a + n].to_vec();
            let at = rng.below(t.len() + 1);
            t.splice(at..at, slice);
            format!("copy {n} bytes from {a} to {at}")
        }
    }
}

/// One to three mutations of `text`.
fn mutate(text: &[u8], rng: &mut Rng) -> (Vec<u8>, String) {
    let mut t = text.to_vec();
    let n = 1 + rng.below(3);
    let what: Vec<String> = (0..n).map(|_| mutate_once(&mut t, rng)).collect();
    (t, what.join("; "))
}

/// What is wrong with a case's diagnostics, if anything.
fn bad_codes(diags: &[Diagnostic]) -> Option<String> {
    for d in diags {
        let c = d.code.as_bytes();
        let well_formed =
            c.len() == 5 && (c[0] == b'E' || c[0] == b'W') && c[1..].iter().all(u8::is_ascii_digit);
        if !well_formed {
            return Some(format!("code `{}` on: {}", d.code, d.message));
        }
        if matches!(d.code, "E0199" | "E0699" | "E1199") {
            return Some(format!("internal error {}: {}", d.code, d.message));
        }
    }
    None
}

/// One input file and how to run a mutated copy of it.
struct Target {
    /// The file (for messages and its folder).
    path: PathBuf,
    /// Relative weight of its case count.
    weight: f64,
}

/// A finding: the file, the mutation, what happened.
type Finding = String;

/// What the campaign's thread reports.
enum Msg {
    /// A case starts (its label).
    Start(String),
    /// A case ended, with a finding or none.
    Done(Option<Finding>),
    /// A finding outside the cases (an unmutated file that fails).
    Note(Finding),
}

/// Runs `cases` mutations of every target through `run` (which returns
/// the diagnostics of the case) on a worker thread, with the time bound per
/// case; returns the findings and the number of cases.
fn campaign(
    name: &'static str,
    targets: Vec<Target>,
    run: fn(&mut Runner, &Path, &[u8]) -> Vec<Diagnostic>,
) -> (Vec<Finding>, usize) {
    let (tx, rx) = channel::<Msg>();
    let total: usize = targets
        .iter()
        .map(|t| ((cases() as f64 * t.weight).ceil() as usize).max(1))
        .sum();
    std::thread::Builder::new()
        .name(format!("mutation-{name}"))
        .stack_size(64 << 20)
        .spawn(move || {
            let mut runner = Runner::default();
            for t in &targets {
                let text = std::fs::read(&t.path).expect("read a repository input");
                let shown = t
                    .path
                    .strip_prefix(root())
                    .unwrap_or(&t.path)
                    .display()
                    .to_string();
                let n = ((cases() as f64 * t.weight).ceil() as usize).max(1);
                let mut rng = Rng(base_seed() ^ hash(&shown));
                // The file as it is must check clean (unless it is one of
                // the examples of errors), or the campaign tests nothing.
                if !shown.contains("/bad/") {
                    let diags = run(&mut runner, &t.path, &text);
                    if let Some(d) = diags.iter().find(|d| d.is_error()) {
                        let f = format!("{shown} unmutated: {} {}", d.code, d.message);
                        if tx.send(Msg::Note(f)).is_err() {
                            return;
                        }
                    }
                }
                for k in 0..n {
                    let (mutated, what) = mutate(&text, &mut rng);
                    let label = format!("{shown} case {k} ({what})");
                    let _ = tx.send(Msg::Start(label.clone()));
                    // The input about to run, in case it aborts the process.
                    if let Some(dir) = std::env::var_os("NMC_MUTATION_DUMP") {
                        let _ = std::fs::create_dir_all(&dir);
                        let _ = std::fs::write(
                            Path::new(&dir).join(format!("{name}-current")),
                            &mutated,
                        );
                        let _ = std::fs::write(
                            Path::new(&dir).join(format!("{name}-current.txt")),
                            &label,
                        );
                    }
                    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        run(&mut runner, &t.path, &mutated)
                    }));
                    let finding = match out {
                        Ok(diags) => bad_codes(&diags).map(|b| format!("{label}: {b}")),
                        Err(p) => {
                            let msg = p
                                .downcast_ref::<&str>()
                                .map(|s| s.to_string())
                                .or_else(|| p.downcast_ref::<String>().cloned())
                                .unwrap_or_default();
                            // A panic leaves the cached libraries in an
                            // unknown state.
                            runner = Runner::default();
                            Some(format!("{label}: panicked: {msg}"))
                        }
                    };
                    if finding.is_some()
                        && let Some(dir) = std::env::var_os("NMC_MUTATION_DUMP")
                    {
                        let ext = t.path.extension().and_then(|e| e.to_str()).unwrap_or("txt");
                        let file = format!("{}-{k}.{ext}", shown.replace('/', "_"));
                        let _ = std::fs::create_dir_all(&dir);
                        let _ = std::fs::write(Path::new(&dir).join(file), &mutated);
                    }
                    if tx.send(Msg::Done(finding)).is_err() {
                        return;
                    }
                }
            }
        })
        .expect("start the campaign");
    let mut findings = Vec::new();
    let mut current = String::new();
    let mut done = 0;
    let start = Instant::now();
    loop {
        match rx.recv_timeout(CASE_TIME) {
            Ok(Msg::Start(label)) => current = label,
            Ok(Msg::Done(f)) => {
                done += 1;
                findings.extend(f);
            }
            Ok(Msg::Note(f)) => findings.push(f),
            Err(RecvTimeoutError::Timeout) => {
                findings.push(format!("{current}: did not finish within {CASE_TIME:?}"));
                break;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    eprintln!(
        "{name}: {done} of {total} cases in {:.1} s, {} findings",
        start.elapsed().as_secs_f64(),
        findings.len()
    );
    (findings, done)
}

/// State kept between the cases of one campaign: mechanism libraries by
/// folder, as `nmc lsp` keeps them between keystrokes.
#[derive(Default)]
struct Runner {
    libraries: nmc::lsp::workspace::Libraries,
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run_nmodl(_: &mut Runner, path: &Path, bytes: &[u8]) -> Vec<Diagnostic> {
    let mut map = SourceMap::new();
    let name = path.display().to_string();
    nmc::driver::pipeline::compile_source(&mut map, &name, &text_of(bytes)).diagnostics
}

fn run_ndl(r: &mut Runner, path: &Path, bytes: &[u8]) -> Vec<Diagnostic> {
    let mut map = SourceMap::new();
    let name = path.display().to_string();
    let base = path.parent().unwrap_or(Path::new("."));
    let libraries = &r.libraries;
    // Cell templates name no folder: SONATA gives them the project's.
    let models = root().join("models");
    let load = |dir: Option<&Path>| {
        libraries
            .get(Some(dir.unwrap_or(&models)), &|_| None)
            .map(|l| l as Rc<dyn nmc::ir::interface::Catalogue>)
    };
    nmc::front::ndl::check_source(&mut map, &name, &text_of(bytes), base, &load).diagnostics
}

/// A scratch copy of the folder of `path` in which `path` is replaced by
/// `bytes`: the other entries are symbolic links to the originals.
fn scratch_with(path: &Path, bytes: &[u8]) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("nmc-mutation-{}-{k}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    let folder = path.parent().expect("a folder");
    // A mutated file inside a subfolder (a type CSV) is written there and
    // its siblings linked.
    let (top, sub) = match folder.file_name() {
        Some(n) if n == "network" => (folder.parent().expect("parent"), Some(n)),
        _ => (folder, None),
    };
    for e in std::fs::read_dir(top).expect("read folder").flatten() {
        let p = e.path();
        let name = e.file_name();
        if Some(name.as_os_str()) == sub || p == path || name == "output" {
            continue;
        }
        let _ = std::os::unix::fs::symlink(&p, dir.join(&name));
    }
    let inner = match sub {
        Some(n) => {
            let d = dir.join(n);
            std::fs::create_dir_all(&d).expect("subfolder");
            for e in std::fs::read_dir(folder).expect("read").flatten() {
                if e.path() != path {
                    let _ = std::os::unix::fs::symlink(e.path(), d.join(e.file_name()));
                }
            }
            d
        }
        None => dir.clone(),
    };
    std::fs::write(inner.join(path.file_name().expect("name")), bytes).expect("write");
    dir
}

fn run_seed_config(_: &mut Runner, path: &Path, bytes: &[u8]) -> Vec<Diagnostic> {
    let dir = scratch_with(path, bytes);
    let out = match nmc::sonata::config::load(&dir.join("simulation_config.json")) {
        Ok(c) => c.warnings,
        Err(d) => vec![d],
    };
    let _ = std::fs::remove_dir_all(&dir);
    out
}

fn run_fixture(_: &mut Runner, path: &Path, bytes: &[u8]) -> Vec<Diagnostic> {
    let dir = scratch_with(path, bytes);
    let opts = nmc::driver::sonata::Options {
        templates: None,
        mechanisms: Some(root().join("models")),
        tstop: Some(5.0),
        math: Default::default(),
    };
    let mut map = SourceMap::new();
    let out = match nmc::driver::sonata::load(&mut map, &dir.join("simulation_config.json"), &opts)
    {
        Ok(l) => l.warnings,
        Err(d) => d,
    };
    let _ = std::fs::remove_dir_all(&dir);
    out
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}

fn ndl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            // `examples/scaled` holds the seed network at k times its size
            // (up to 76 M connections a case, beyond some machines' memory):
            // the seed's own file stands for them.
            if !matches!(name, "target" | ".git" | "output" | "scaled") {
                ndl_files(&p, out);
            }
        } else if name.ends_with(".ndl") {
            out.push(p);
        }
    }
}

fn report(name: &str, (findings, done): (Vec<Finding>, usize), want: usize) {
    assert!(
        findings.is_empty(),
        "{name}: {} findings:\n{}",
        findings.len(),
        findings.join("\n")
    );
    assert!(done >= want, "{name}: only {done} cases ran");
}

#[test]
fn mutated_nmodl_files_give_diagnostics() {
    let mut targets = Vec::new();
    for dir in ["models", "builtins"] {
        for p in files(&root().join(dir), "mod") {
            targets.push(Target {
                path: p,
                weight: 1.0,
            });
        }
    }
    assert!(targets.len() >= 18, "{} .mod files", targets.len());
    let n = targets.len();
    report("nmodl", campaign("nmodl", targets, run_nmodl), n * cases());
}

#[test]
fn mutated_ndl_files_give_diagnostics() {
    let mut paths = Vec::new();
    ndl_files(&root(), &mut paths);
    assert!(paths.len() >= 20, "{} .ndl files", paths.len());
    let targets: Vec<Target> = paths
        .into_iter()
        .map(|p| {
            // The seed network builds 85,200 connections a case.
            let weight = if p.ends_with("bmtk_test_net/network.ndl") {
                0.1
            } else {
                0.5
            };
            Target { path: p, weight }
        })
        .collect();
    let n = targets.len();
    report("ndl", campaign("ndl", targets, run_ndl), n);
}

#[test]
fn mutated_sonata_configs_give_diagnostics() {
    let mut targets = Vec::new();
    for f in [
        "simulation_config.json",
        "circuit_config.json",
        "node_sets.json",
    ] {
        targets.push(Target {
            path: root().join(f),
            weight: 1.0,
        });
    }
    let n = targets.len();
    report(
        "seed configs",
        campaign("seed configs", targets, run_seed_config),
        n * cases(),
    );
    let fixture = root().join("tests/sonata_bmtk/ballstick_net");
    let mut targets = Vec::new();
    for f in [
        "simulation_config.json",
        "circuit_config.json",
        "node_sets.json",
    ] {
        targets.push(Target {
            path: fixture.join(f),
            weight: 0.5,
        });
    }
    for p in files(&fixture.join("network"), "csv") {
        targets.push(Target {
            path: p,
            weight: 0.3,
        });
    }
    let n = targets.len();
    report("fixture", campaign("fixture", targets, run_fixture), n);
}
