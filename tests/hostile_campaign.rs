//! A deterministic hostile-input campaign through the command line: each
//! case writes a small project (an NDL network with its own `.mod` file,
//! a copy of the ball-and-stick SONATA example, a spike file), mutates one
//! or more of its inputs or the command's arguments with a seeded
//! generator, and runs the `nmc` binary under an address-space limit
//! (`ulimit -v`) and a time bound. Every case must end
//!
//! - with exit code 0, 1 or 2 (no signal: no abort, no stack overflow, no
//!   memory exhaustion) and no panic text on stderr;
//! - within the time bound (no hang);
//! - without silent wrong output: a run that exits 0 wrote a spike file
//!   and only finite report values, and left no temporary files; a run
//!   that fails leaves no spike file behind; a mutation that makes an
//!   input invalid (a NaN weight, a negative or fractional node id, an
//!   edge from a node that does not exist...) is not accepted with exit 0;
//! - for the "typo" cases (10^10 of something), with an error and a peak
//!   resident memory below 200 MB.
//!
//! The families: NDL values and bytes, NMODL PARAMETER values, SONATA
//! JSON values, type-CSV cells, node/edge HDF5 datasets, input and
//! analysed spike files, command-line arguments. `NMC_HOSTILE_CASES` sets
//! the number of random cases (default: a quick subset for the test
//! suite), `NMC_HOSTILE_SEED` the seed, `NMC_HOSTILE_MEMORY_KIB` the
//! address-space limit (default 2 GiB; `scripts/hostile` runs 1,000 cases
//! at 8 GiB and 60 s), `NMC_HOSTILE_TIME` the bound in seconds,
//! `NMC_HOSTILE_KEEP=DIR` keeps the folder of every finding in DIR.

use hdf5_metno as hdf5;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Random cases of the quick subset (the test suite's run).
const QUICK_CASES: usize = 200;
/// Peak resident memory allowed before the error of a typo case.
const TYPO_PEAK_BYTES: u64 = 200_000_000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn memory_kib() -> u64 {
    env_num("NMC_HOSTILE_MEMORY_KIB", 2 << 20)
}

fn time_bound() -> Duration {
    Duration::from_secs(env_num("NMC_HOSTILE_TIME", 60))
}

// ------------------------------------------------------------ randomness

/// SplitMix64: small and deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Numbers a hostile user types, as text.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "-0.5",
    "1.5",
    "1e-300",
    "1e308",
    "1e400",
    "-1e308",
    "1e10",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551616",
    "0.0000001",
    "2.5e8",
    "3",
];

// --------------------------------------------------------------- running

/// What one run did.
struct Outcome {
    /// Exit code, `None` when killed by a signal or the time bound.
    code: Option<i32>,
    /// The signal that ended it.
    signal: Option<i32>,
    stderr: String,
    timed_out: bool,
    /// Peak resident memory (bytes).
    peak: u64,
    elapsed: Duration,
}

/// Runs `nmc args...` in `dir` under the memory limit and the time bound,
/// measuring its peak resident memory.
fn run_nmc(dir: &Path, args: &[String], stdin: Option<&Path>) -> Outcome {
    run_nmc_until(dir, args, stdin, None)
}

/// [`run_nmc`], killing the child (SIGKILL) after `kill_after` if given.
fn run_nmc_until(
    dir: &Path,
    args: &[String],
    stdin: Option<&Path>,
    kill_after: Option<Duration>,
) -> Outcome {
    let bin = env!("CARGO_BIN_EXE_nmc");
    let err_path = dir.join(".stderr");
    let err = std::fs::File::create(&err_path).expect("stderr file");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", memory_kib()))
        .arg(bin)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HDF5_USE_FILE_LOCKING", "FALSE")
        .env_remove("RUST_BACKTRACE")
        .stdin(match stdin {
            Some(p) => Stdio::from(std::fs::File::open(p).expect("stdin file")),
            None => Stdio::null(),
        })
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .expect("start nmc");
    let pid = child.id() as libc::pid_t;
    let start = Instant::now();
    let mut status = 0;
    // SAFETY: plain POSIX calls on a child of this process; `rusage` is
    // written by the kernel.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut timed_out = false;
    loop {
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        if kill_after.is_some_and(|k| start.elapsed() > k) {
            let _ = child.kill();
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            break;
        }
        if start.elapsed() > time_bound() {
            timed_out = true;
            let _ = child.kill();
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = start.elapsed();
    // Already reaped by `wait4`: this only tells `std` the child is gone.
    let _ = child.wait();
    let (code, signal) = if libc::WIFEXITED(status) {
        (Some(libc::WEXITSTATUS(status)), None)
    } else if libc::WIFSIGNALED(status) {
        (None, Some(libc::WTERMSIG(status)))
    } else {
        (None, None)
    };
    let stderr = std::fs::read(&err_path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let _ = std::fs::remove_file(&err_path);
    Outcome {
        code,
        signal,
        stderr,
        timed_out,
        peak: usage.ru_maxrss as u64 * 1024,
        elapsed,
    }
}

// ---------------------------------------------------------------- a case

/// What a case expects beyond the general rules.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expect {
    /// Any of exit 0, 1, 2.
    Any,
    /// The input is invalid: exit 1 or 2 (never 0).
    Fails,
    /// A typo asking for 10^10 of something: an error, or a correct run
    /// that does not need to hold 10^10 of it, below the memory bound.
    Typo,
}

/// One case: a folder, a command, what is expected, where outputs go.
struct Case {
    label: String,
    dir: PathBuf,
    args: Vec<String>,
    expect: Expect,
    /// The run's output folder (relative to `dir`), checked after the run.
    out: Option<String>,
    /// The spike file's name in `out`.
    spikes: String,
    /// A file given as standard input (the language server's messages).
    stdin: Option<PathBuf>,
    /// Kill a first run (SIGKILL) this long after its start; the case is
    /// then the same command run again.
    kill_after: Option<Duration>,
}

fn scratch(label: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let k = NEXT.fetch_add(1, Ordering::Relaxed);
    let safe: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(40)
        .collect();
    let dir = std::env::temp_dir().join(format!("nmc-campaign-{}-{k}-{safe}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let p = e.path();
        let q = to.join(e.file_name());
        if p.is_dir() {
            if e.file_name() != "expected" && e.file_name() != "output" {
                copy_dir(&p, &q);
            }
        } else {
            std::fs::copy(&p, &q).expect("copy");
        }
    }
}

/// Text that means nmc lost control.
fn panic_text(stderr: &str) -> Option<&'static str> {
    [
        "panicked at",
        "RUST_BACKTRACE",
        "stack overflow",
        "memory allocation of",
        "fatal runtime error",
        "E0199",
        "E0699",
        "E1199",
    ]
    .into_iter()
    .find(|p| stderr.contains(p))
}

/// Temporary files left in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

/// A non-finite value in any dataset of a report file, as a message.
fn non_finite_report(path: &Path) -> Option<String> {
    let f = hdf5::File::open(path).ok()?;
    let mut stack = vec![f.as_group().ok()?];
    while let Some(g) = stack.pop() {
        for name in g.member_names().unwrap_or_default() {
            if let Ok(sub) = g.group(&name) {
                stack.push(sub);
            } else if name == "data"
                && let Ok(ds) = g.dataset(&name)
                && let Ok(v) = ds.read_raw::<f64>()
                && let Some(x) = v.iter().find(|x| !x.is_finite())
            {
                return Some(format!("{} {}: value {x}", path.display(), ds.name()));
            }
        }
    }
    None
}

/// What is wrong with the outcome of `case`, if anything.
fn judge(case: &Case, o: &Outcome) -> Option<String> {
    if o.timed_out {
        return Some(format!("hang: no end within {:?}", time_bound()));
    }
    if let Some(s) = o.signal {
        return Some(format!("killed by signal {s} (abort): {}", tail(&o.stderr)));
    }
    let code = o.code?;
    if !matches!(code, 0..=2) {
        return Some(format!("exit {code}: {}", tail(&o.stderr)));
    }
    if let Some(p) = panic_text(&o.stderr) {
        return Some(format!("`{p}` on stderr: {}", tail(&o.stderr)));
    }
    match case.expect {
        Expect::Fails if code == 0 => {
            return Some(format!(
                "silent: an invalid input was accepted (exit 0): {}",
                tail(&o.stderr)
            ));
        }
        Expect::Typo if o.peak > TYPO_PEAK_BYTES => {
            return Some(format!(
                "peak memory {:.0} MB before the error (bound {} MB)",
                o.peak as f64 / 1e6,
                TYPO_PEAK_BYTES / 1_000_000
            ));
        }
        _ => {}
    }
    if let Some(out) = &case.out {
        let out = case.dir.join(out);
        let spikes = out.join(&case.spikes);
        let left = leftovers(&out);
        if !left.is_empty() {
            return Some(format!("temporary files left: {left:?}"));
        }
        if code == 0 {
            let ok = std::fs::read(&spikes)
                .map(|b| b.starts_with(b"\x89HDF"))
                .unwrap_or(false);
            if !ok {
                return Some(format!(
                    "exit 0 without a readable spike file {}: {}",
                    spikes.display(),
                    tail(&o.stderr)
                ));
            }
            for e in std::fs::read_dir(&out).into_iter().flatten().flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "h5")
                    && p != spikes
                    && let Some(m) = non_finite_report(&p)
                {
                    return Some(format!("silent: exit 0 with a non-finite report: {m}"));
                }
            }
        } else if spikes.exists() {
            return Some(format!(
                "a failed run (exit {code}) left a spike file that looks complete"
            ));
        }
    }
    None
}

fn tail(s: &str) -> String {
    let s = s.trim();
    let cut = s.char_indices().rev().nth(600).map(|(i, _)| i).unwrap_or(0);
    s[cut..].replace('\n', " | ")
}

// ------------------------------------------------------------ NDL family

fn models() -> String {
    root().join("models").display().to_string()
}

/// The mechanism of the NDL family's cell (our own leak).
const LEAK_MOD: &str = "NEURON { SUFFIX hleak NONSPECIFIC_CURRENT i RANGE g, e }
UNITS { (mA) = (milliamp) (mV) = (millivolt) (S) = (siemens) }
PARAMETER { g = 0.0003 (S/cm2) <0, 1e9> e = -65 (mV) }
ASSIGNED { v (mV) i (mA/cm2) }
BREAKPOINT { i = g*(v - e) }
";

/// The NDL family's network: every statement kind with small numbers.
fn ndl_base() -> String {
    format!(
        "network hostile
mechanisms \"{}\"
mechanisms \"mods\"
seed 7
cell C {{
  section soma {{ L = 20 um; diam = 20 um; nseg = 1; cm = 1 uF/cm2; Ra = 100 ohm*cm }}
  section dend {{ L = 200 um; diam = 2 um; nseg = 3; parent = soma(1) }}
  insert hh {{ }} on soma
  insert hleak {{ g = 0.0001 S/cm2 }}
}}
population E = 4 of C {{ positions = cuboid(size = [100, 100, 20] um, min_distance = 1 um) }}
population I = 2 of C
synapse s = Exp2Syn {{ tau1 = 0.5 ms; tau2 = 3 ms; e = 0 mV }}
input bg = poisson {{ count = 4; rate = 50 Hz; start = 0 ms; stop = 20 ms }}
input kick = spikes [1, 5] ms
connect bg -> E {{ rule = one_to_one; synapse = s; weight = 2 nS; delay = 1 ms }}
connect kick -> I {{ synapse = s; weight = 1 nS; delay = 0.5 ms }}
connect E -> I {{ rule = probability(0.5 * exp(-distance / 100)); synapse = s; weight = 1 nS; delay = (0.5 + distance / 500) ms }}
connect I -> E {{ rule = fixed_indegree(1); synapse = s; weight = lognormal(mean = 2 nS, sd = 1 nS, lower = -2, upper = 2); delay = 1 ms }}
node_set both {{ pop_name = E, I }}
stimulus clamp at soma(0.5) {{ del = 2 ms; dur = 5 ms; amp = 0.1 nA }}
run {{ tstop = 20 ms; dt = 0.025 ms; celsius = 34 degC; v_init = -65 mV; spike_threshold = -15 mV }}
output {{ dir = \"out\"; spikes = \"spikes.h5\"; report v {{ cells = E; sections = soma; variable = v }} }}
",
        models()
    )
}

/// Byte ranges of the numeric literals of `t`.
fn numbers(t: &str) -> Vec<(usize, usize)> {
    let b = t.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = b[i].is_ascii_digit() && (i == 0 || !(b[i - 1].is_ascii_alphanumeric()));
        if starts {
            let s = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            if i < b.len()
                && b[i] == b'e'
                && i + 1 < b.len()
                && (b[i + 1] == b'-' || b[i + 1].is_ascii_digit())
            {
                i += 1;
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'-') {
                    i += 1;
                }
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

/// Bytes a flip prefers: the characters that make structure.
const PUNCT: &[u8] = b"{}()[];=,\"'.:-+*/<>0123456789e\n $";

/// One structural mutation of `t` (a byte, a truncation, a deleted or
/// duplicated line, an inserted slice, a deep nesting).
fn mutate_bytes(t: &mut Vec<u8>, rng: &mut Rng) -> String {
    if t.is_empty() {
        t.push(b'{');
        return "insert `{`".into();
    }
    match rng.below(6) {
        0 => {
            let i = rng.below(t.len());
            t[i] = *rng.pick(PUNCT);
            format!("byte {i} -> {:?}", t[i] as char)
        }
        1 => {
            let i = rng.below(t.len());
            t.truncate(i);
            format!("truncate at {i}")
        }
        2 | 3 => {
            let starts: Vec<usize> = std::iter::once(0)
                .chain(
                    t.iter()
                        .enumerate()
                        .filter(|(_, b)| **b == b'\n')
                        .map(|(i, _)| i + 1),
                )
                .filter(|&i| i < t.len())
                .collect();
            let a = *rng.pick(&starts);
            let b = t[a..]
                .iter()
                .position(|&c| c == b'\n')
                .map(|p| a + p + 1)
                .unwrap_or(t.len());
            if rng.below(2) == 0 {
                t.drain(a..b);
                format!("delete line at {a}")
            } else {
                let line = t[a..b].to_vec();
                t.splice(b..b, line);
                format!("duplicate line at {a}")
            }
        }
        4 => {
            let a = rng.below(t.len());
            let n = 1 + rng.below(40.min(t.len() - a));
            let slice = t[a..a + n].to_vec();
            let at = rng.below(t.len() + 1);
            t.splice(at..at, slice);
            format!("copy {n} bytes from {a} to {at}")
        }
        _ => {
            // A number replaced by a deep or long expression.
            let text = String::from_utf8_lossy(t).into_owned();
            let nums = numbers(&text);
            if nums.is_empty() {
                return "no number to nest".into();
            }
            let (a, b) = *rng.pick(&nums);
            let n = [300, 5000, 30000][rng.below(3)];
            let repl = if rng.below(2) == 0 {
                format!("{}{}{}", "(".repeat(n), &text[a..b], ")".repeat(n))
            } else {
                let mut s = text[a..b].to_string();
                for _ in 0..n {
                    s.push_str(" + 0");
                }
                s
            };
            let mut out = text[..a].to_string();
            out.push_str(&repl);
            out.push_str(&text[b..]);
            *t = out.into_bytes();
            format!("number at {a} nested {n} deep")
        }
    }
}

/// Replaces one to three numeric literals of `text` with hostile numbers.
fn mutate_numbers(text: &str, rng: &mut Rng) -> (String, String) {
    let mut t = text.to_string();
    let mut what = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let nums = numbers(&t);
        if nums.is_empty() {
            break;
        }
        let (a, b) = *rng.pick(&nums);
        let v = *rng.pick(NUMBERS);
        what.push(format!("`{}` -> `{v}`", &t[a..b]));
        t.replace_range(a..b, v);
    }
    (t, what.join(", "))
}

fn ndl_case(rng: &mut Rng, k: usize) -> Case {
    let base = ndl_base();
    let (text, what) = if rng.below(3) == 0 {
        let mut t = base.into_bytes();
        let w: Vec<String> = (0..1 + rng.below(2))
            .map(|_| mutate_bytes(&mut t, rng))
            .collect();
        (String::from_utf8_lossy(&t).into_owned(), w.join("; "))
    } else {
        mutate_numbers(&base, rng)
    };
    let label = format!("ndl {k}: {what}");
    let dir = scratch(&label);
    std::fs::create_dir_all(dir.join("mods")).expect("mods");
    std::fs::write(dir.join("mods/hleak.mod"), LEAK_MOD).expect("mod");
    std::fs::write(dir.join("net.ndl"), text).expect("ndl");
    let cmd = *rng.pick(&["run", "run", "check", "build"]);
    let (args, out) = match cmd {
        "run" => (
            vec!["run", "net.ndl", "--quiet", "-o", "out"],
            Some("out".to_string()),
        ),
        "build" => (vec!["build", "net.ndl", "--quiet", "-o", "built"], None),
        _ => (vec!["check", "net.ndl"], None),
    };
    Case {
        label: format!("{label} [{cmd}]"),
        dir,
        args: args.into_iter().map(String::from).collect(),
        expect: Expect::Any,
        out,
        spikes: "spikes.h5".into(),
        stdin: None,
        kill_after: None,
    }
}

/// NMODL PARAMETER values (and bytes) of the NDL family's mechanism.
fn nmodl_case(rng: &mut Rng, k: usize) -> Case {
    let (text, what) = if rng.below(3) == 0 {
        let mut t = LEAK_MOD.as_bytes().to_vec();
        let w = mutate_bytes(&mut t, rng);
        (String::from_utf8_lossy(&t).into_owned(), w)
    } else {
        mutate_numbers(LEAK_MOD, rng)
    };
    let label = format!("nmodl {k}: {what}");
    let dir = scratch(&label);
    std::fs::create_dir_all(dir.join("mods")).expect("mods");
    std::fs::write(dir.join("mods/hleak.mod"), text).expect("mod");
    std::fs::write(dir.join("net.ndl"), ndl_base()).expect("ndl");
    Case {
        label,
        dir,
        args: ["run", "net.ndl", "--quiet", "-o", "out"]
            .map(String::from)
            .to_vec(),
        expect: Expect::Any,
        out: Some("out".into()),
        spikes: "spikes.h5".into(),
        stdin: None,
        kill_after: None,
    }
}

// --------------------------------------------------------- SONATA family

/// A copy of the ball-and-stick example, run for 5 ms.
fn sonata_copy(label: &str) -> PathBuf {
    let dir = scratch(label);
    copy_dir(&root().join("tests/sonata_bmtk/ballstick_net"), &dir);
    let cfg = dir.join("simulation_config.json");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cfg).expect("config")).expect("json");
    json["run"]["tstop"] = serde_json::json!(5.0);
    std::fs::write(&cfg, json.to_string()).expect("write config");
    dir
}

fn sonata_args() -> Vec<String> {
    let m = models();
    [
        "run",
        "simulation_config.json",
        "--quiet",
        "--mechanisms",
        &m,
    ]
    .map(String::from)
    .to_vec()
}

fn sonata_case(label: String, dir: PathBuf, expect: Expect) -> Case {
    Case {
        label,
        dir,
        args: sonata_args(),
        expect,
        out: Some("output".into()),
        spikes: "spikes.h5".into(),
        stdin: None,
        kill_after: None,
    }
}

/// Hostile JSON values.
fn hostile_json(rng: &mut Rng) -> serde_json::Value {
    use serde_json::json;
    match rng.below(14) {
        0 => json!(""),
        1 => json!("$NOPE/x"),
        2 => json!("${configdir}/../../.."),
        3 => json!(null),
        4 => json!([1, 2]),
        5 => json!({"a": 1}),
        6 => json!(true),
        7 => json!(-1),
        8 => json!(0),
        9 => json!(1e308),
        10 => json!(1e10),
        11 => json!(4294967296u64),
        12 => json!("spikes.h5"),
        _ => json!(-0.5),
    }
}

/// Paths to every leaf of `v` (keys and indices).
fn leaves(v: &serde_json::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                path.push(k.clone());
                leaves(x, path, out);
                path.pop();
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(i.to_string());
                leaves(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
    out.push(path.clone());
}

fn at_path<'a>(v: &'a mut serde_json::Value, path: &[String]) -> Option<&'a mut serde_json::Value> {
    let mut cur = v;
    for p in path {
        cur = match cur {
            serde_json::Value::Object(m) => m.get_mut(p)?,
            serde_json::Value::Array(a) => a.get_mut(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn json_case(rng: &mut Rng, k: usize) -> Case {
    let file = *rng.pick(&[
        "simulation_config.json",
        "circuit_config.json",
        "node_sets.json",
    ]);
    let dir0 = sonata_copy(&format!("json{k}"));
    let path = dir0.join(file);
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("json")).expect("parse");
    let mut all = Vec::new();
    leaves(&json, &mut Vec::new(), &mut all);
    let mut what = Vec::new();
    for _ in 0..1 + rng.below(2) {
        let p = rng.pick(&all).clone();
        let v = hostile_json(rng);
        if let Some(slot) = at_path(&mut json, &p) {
            what.push(format!("{}.{} = {v}", file, p.join(".")));
            *slot = v;
        }
    }
    std::fs::write(&path, json.to_string()).expect("write");
    sonata_case(format!("json {k}: {}", what.join(", ")), dir0, Expect::Any)
}

fn csv_case(rng: &mut Rng, k: usize) -> Case {
    let dir = sonata_copy(&format!("csv{k}"));
    let mut csvs: Vec<PathBuf> = std::fs::read_dir(dir.join("network"))
        .expect("network")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    csvs.push(dir.join("input/trains.csv"));
    csvs.sort();
    let path = rng.pick(&csvs).clone();
    let text = std::fs::read_to_string(&path).expect("csv");
    let mut lines: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(' ').map(String::from).collect())
        .collect();
    let r = rng.below(lines.len());
    let c = rng.below(lines[r].len());
    let v = match rng.below(8) {
        0 => "".to_string(),
        1 => "nan".into(),
        2 => "-1".into(),
        3 => "1.5".into(),
        4 => "1e400".into(),
        5 => "\u{feff}x".into(),
        6 => "\"".into(),
        _ => (*rng.pick(NUMBERS)).into(),
    };
    let what = format!(
        "{} row {r} column {c}: `{}` -> `{v}`",
        path.file_name().unwrap_or_default().to_string_lossy(),
        lines[r][c]
    );
    lines[r][c] = v;
    let out: Vec<String> = lines.iter().map(|l| l.join(" ")).collect();
    std::fs::write(&path, out.join("\n") + "\n").expect("write");
    sonata_case(format!("csv {k}: {what}"), dir, Expect::Any)
}

/// Every dataset of the HDF5 file at `path` (full names).
fn datasets(path: &Path) -> Vec<String> {
    let Ok(f) = hdf5::File::open(path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let Ok(g) = f.as_group() else {
        return out;
    };
    let mut stack = vec![g];
    while let Some(g) = stack.pop() {
        for name in g.member_names().unwrap_or_default() {
            if let Ok(sub) = g.group(&name) {
                stack.push(sub);
            } else if let Ok(ds) = g.dataset(&name) {
                out.push(ds.name());
            }
        }
    }
    out.sort();
    out
}

/// How one HDF5 dataset is changed.
#[derive(Clone, Copy, Debug)]
enum H5Edit {
    /// One element set to this value.
    Set(f64),
    /// Rewritten as float64 with a fraction added to one element.
    Fraction,
    /// One element fewer.
    Shorter,
    /// Removed.
    Remove,
    /// Declared 10^11 rows long (chunked, unwritten).
    Huge,
    /// Two columns.
    TwoD,
}

/// Whether `edit` of dataset `name` makes the input invalid (so exit 0 is
/// a silent wrong result).
fn invalid(name: &str, edit: H5Edit, float: bool, len: usize) -> bool {
    let leaf = name.rsplit('/').next().unwrap_or("");
    let id = matches!(
        leaf,
        "source_node_id"
            | "target_node_id"
            | "edge_type_id"
            | "node_type_id"
            | "node_ids"
            | "edge_group_id"
            | "node_group_id"
            | "edge_group_index"
            | "node_group_index"
    );
    let value = matches!(leaf, "delay" | "syn_weight" | "nsyns" | "timestamps");
    match edit {
        // A large index into a group without columns points at nothing
        // and is harmless; any other id out of range is not.
        H5Edit::Set(v) if leaf.ends_with("group_index") => v < 0.0 || v.fract() != 0.0,
        H5Edit::Set(v) if id => !(0.0..1e6).contains(&v) || v.fract() != 0.0,
        H5Edit::Set(v) if value => {
            !v.is_finite()
                || (leaf != "timestamps" && v < 0.0)
                || (leaf == "nsyns" && v.fract() != 0.0)
        }
        H5Edit::Set(_) => false,
        H5Edit::Fraction => (id || leaf == "nsyns") && !float,
        H5Edit::Shorter => (id || value) && len > 0,
        H5Edit::Remove => (id || leaf == "timestamps") && len > 0,
        H5Edit::Huge | H5Edit::TwoD => id || value,
    }
}

/// Applies `edit` to dataset `name` of the file at `path`; returns whether
/// the dataset held floats and its length.
fn edit_h5(path: &Path, name: &str, edit: H5Edit) -> Option<(bool, usize)> {
    let f = hdf5::File::open_rw(path).ok()?;
    let ds = f.dataset(name).ok()?;
    let float = matches!(
        ds.dtype().ok()?.to_descriptor().ok()?,
        hdf5::types::TypeDescriptor::Float(_)
    );
    let mut v = ds.read_raw::<f64>().ok()?;
    let len = v.len();
    let attr = ds
        .attr("node_population")
        .ok()
        .and_then(|a| a.read_scalar::<hdf5::types::VarLenUnicode>().ok());
    let (parent, leaf) = name.rsplit_once('/')?;
    let g = f.group(if parent.is_empty() { "/" } else { parent }).ok()?;
    drop(ds);
    g.unlink(leaf).ok()?;
    let made = match edit {
        H5Edit::Remove => return Some((float, len)),
        H5Edit::Set(x) => {
            if v.is_empty() {
                v.push(x);
            } else {
                let i = len / 2;
                v[i] = x;
            }
            if float || x.fract() != 0.0 || !x.is_finite() {
                g.new_dataset_builder().with_data(&v).create(leaf)
            } else {
                let ints: Vec<i64> = v.iter().map(|x| *x as i64).collect();
                g.new_dataset_builder().with_data(&ints).create(leaf)
            }
        }
        H5Edit::Fraction => {
            if let Some(x) = v.get_mut(len / 2) {
                *x += 0.25;
            }
            g.new_dataset_builder().with_data(&v).create(leaf)
        }
        H5Edit::Shorter => {
            v.pop();
            g.new_dataset_builder().with_data(&v).create(leaf)
        }
        H5Edit::Huge => g
            .new_dataset::<f64>()
            .chunk(1024)
            .shape(100_000_000_000usize)
            .create(leaf),
        H5Edit::TwoD => {
            let mut two = Vec::new();
            for x in &v {
                two.push(*x);
                two.push(*x);
            }
            g.new_dataset::<f64>()
                .shape((v.len(), 2))
                .create(leaf)
                .and_then(|d| d.write_raw(&two).map(|_| d))
        }
    }
    .ok()?;
    if let Some(a) = attr {
        let _ = made
            .new_attr::<hdf5::types::VarLenUnicode>()
            .create("node_population")
            .and_then(|at| at.write_scalar(&a));
    }
    Some((float, len))
}

fn h5_edit(rng: &mut Rng) -> H5Edit {
    match rng.below(10) {
        0..=3 => H5Edit::Set(*rng.pick(&[
            -1.0,
            -3.0,
            1e10,
            4294967296.0,
            f64::NAN,
            f64::INFINITY,
            -f64::INFINITY,
            1e300,
            0.0,
            2.5,
            99_999.0,
        ])),
        4 => H5Edit::Fraction,
        5 | 6 => H5Edit::Shorter,
        7 => H5Edit::Remove,
        8 => H5Edit::Huge,
        _ => H5Edit::TwoD,
    }
}

fn h5_case(rng: &mut Rng, k: usize) -> Case {
    let dir = sonata_copy(&format!("h5{k}"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("network"))
        .expect("network")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "h5"))
        .collect();
    files.push(dir.join("input/poisson.h5"));
    files.sort();
    let file = rng.pick(&files).clone();
    let names = datasets(&file);
    let shown = file
        .strip_prefix(&dir)
        .unwrap_or(&file)
        .display()
        .to_string();
    if names.is_empty() {
        return sonata_case(format!("h5 {k}: {shown} (no datasets)"), dir, Expect::Any);
    }
    let name = rng.pick(&names).clone();
    let edit = h5_edit(rng);
    let expect = match edit_h5(&file, &name, edit) {
        Some((float, len)) if invalid(&name, edit, float, len) => Expect::Fails,
        _ => Expect::Any,
    };
    sonata_case(format!("h5 {k}: {shown} {name} {edit:?}"), dir, expect)
}

// ---------------------------------------------------- spike files, CLI

/// A spike file of population `cells` (the example's node ids 0..5).
fn spike_file(path: &Path, ids: &[i64], times: &[f64]) {
    let f = hdf5::File::create(path).expect("create h5");
    let g = f.create_group("spikes/cells").expect("group");
    g.new_dataset_builder()
        .with_data(times)
        .create("timestamps")
        .expect("timestamps");
    g.new_dataset_builder()
        .with_data(ids)
        .create("node_ids")
        .expect("node_ids");
}

/// Hostile values of a command-line number.
const ARG_NUMBERS: &[&str] = &[
    "0", "-1", "nan", "inf", "-inf", "1e-300", "1e300", "1e-9", "", "x", "1e10", "5", "0.5",
];

fn analyze_case(rng: &mut Rng, k: usize) -> Case {
    let label = format!("analyze{k}");
    let dir = sonata_copy(&label);
    let n = rng.below(40);
    let mut ids: Vec<i64> = (0..n).map(|_| rng.below(5) as i64).collect();
    let mut times: Vec<f64> = (0..n).map(|_| rng.below(5000) as f64 / 10.0).collect();
    let mut what = vec![format!("{n} spikes")];
    let mut expect = Expect::Any;
    if n > 0 && rng.below(2) == 0 {
        let i = rng.below(n);
        if rng.below(2) == 0 {
            let v = *rng.pick(&[-1i64, -3, 5, 1_000_000, i64::MAX]);
            ids[i] = v;
            what.push(format!("node id {v}"));
            if v < 0 {
                expect = Expect::Fails;
            }
        } else {
            let v = *rng.pick(&[f64::NAN, f64::INFINITY, -5.0, 1e300, 1e12, -1e300]);
            times[i] = v;
            what.push(format!("timestamp {v}"));
            if !v.is_finite() {
                expect = Expect::Fails;
            }
        }
    }
    if n > 0 && rng.below(6) == 0 {
        // Node ids written as floating-point numbers with a fraction.
        let f = hdf5::File::create(dir.join("spikes.h5")).expect("create h5");
        let g = f.create_group("spikes/cells").expect("group");
        let fids: Vec<f64> = ids.iter().map(|&i| i as f64 + 0.5).collect();
        g.new_dataset_builder()
            .with_data(&times)
            .create("timestamps")
            .expect("timestamps");
        g.new_dataset_builder()
            .with_data(&fids)
            .create("node_ids")
            .expect("node_ids");
        what.push("fractional node ids".into());
        expect = Expect::Fails;
    } else {
        spike_file(&dir.join("spikes.h5"), &ids, &times);
    }
    let mut args: Vec<String> = ["analyze", "spikes.h5", "-o", "an"]
        .map(String::from)
        .to_vec();
    if rng.below(2) == 0 {
        args.extend(["--config".into(), "simulation_config.json".into()]);
    }
    for _ in 0..rng.below(3) {
        let flag = *rng.pick(&["--bin", "--smooth", "--window", "--group-by"]);
        let v = if flag == "--window" {
            format!("{}:{}", rng.pick(ARG_NUMBERS), rng.pick(ARG_NUMBERS))
        } else if flag == "--group-by" {
            (*rng.pick(&["pop_name", "", "nope", "node_type_id"])).to_string()
        } else {
            (*rng.pick(ARG_NUMBERS)).to_string()
        };
        what.push(format!("{flag} {v:?}"));
        args.push(flag.into());
        args.push(v);
    }
    Case {
        label: format!("analyze {k}: {}", what.join(", ")),
        dir,
        args,
        expect,
        out: None,
        spikes: String::new(),
        stdin: None,
        kill_after: None,
    }
}

fn compare_case(rng: &mut Rng, k: usize) -> Case {
    let dir = sonata_copy(&format!("compare{k}"));
    spike_file(&dir.join("a.h5"), &[0, 1, 2], &[1.0, 2.0, 3.0]);
    spike_file(&dir.join("b.h5"), &[0, 1, 4], &[1.5, 2.0, 9.0]);
    let tol = *rng.pick(ARG_NUMBERS);
    let mut args: Vec<String> = ["compare", "a.h5", "b.h5", "--tolerance", tol]
        .map(String::from)
        .to_vec();
    if rng.below(2) == 0 {
        args.extend(["--config".into(), "simulation_config.json".into()]);
    }
    Case {
        label: format!("compare {k}: --tolerance {tol:?}"),
        dir,
        args,
        expect: Expect::Any,
        out: None,
        spikes: String::new(),
        stdin: None,
        kill_after: None,
    }
}

fn cli_case(rng: &mut Rng, k: usize) -> Case {
    let dir = sonata_copy(&format!("cli{k}"));
    std::fs::write(dir.join("a_file"), "x").expect("file");
    let mut args = sonata_args();
    let what = match rng.below(4) {
        0 => {
            let t = *rng.pick(&["0", "-1", "99999", "1e9", "", "x", "18446744073709551616"]);
            args.extend(["--threads".into(), t.into()]);
            format!("--threads {t:?}")
        }
        1 => {
            let o = *rng.pick(&[
                "a_file",
                "",
                "a_file/sub",
                "$HOME",
                "simulation_config.json",
            ]);
            args.extend(["-o".into(), o.into()]);
            format!("-o {o:?}")
        }
        2 => {
            let c = *rng.pick(&[
                "",
                "network",
                "a_file",
                "nope.json",
                "/dev/null",
                "input/trains.csv",
            ]);
            args[1] = c.into();
            format!("config {c:?}")
        }
        _ => {
            let m = *rng.pick(&["", "network", "a_file", "nope"]);
            args[4] = m.into();
            format!("--mechanisms {m:?}")
        }
    };
    Case {
        label: format!("cli {k}: {what}"),
        dir,
        args,
        expect: Expect::Any,
        out: None,
        spikes: String::new(),
        stdin: None,
        kill_after: None,
    }
}

/// One LSP message with its Content-Length header.
fn lsp_frame(msg: serde_json::Value) -> String {
    let body = msg.to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len())
}

/// `nmc lsp` given a session: open a mutated NDL file, hover, change it
/// to another mutation, hover, ask for symbols and completion, shut down.
fn lsp_case(rng: &mut Rng, k: usize) -> Case {
    use serde_json::json;
    let base = ndl_base();
    let mut texts = Vec::new();
    let mut what = Vec::new();
    for _ in 0..2 {
        let (t, w) = if rng.below(2) == 0 {
            let mut b = base.clone().into_bytes();
            let w = mutate_bytes(&mut b, rng);
            (String::from_utf8_lossy(&b).into_owned(), w)
        } else {
            mutate_numbers(&base, rng)
        };
        texts.push(t);
        what.push(w);
    }
    let label = format!("lsp {k}: {}", what.join(" then "));
    let dir = scratch(&label);
    std::fs::create_dir_all(dir.join("mods")).expect("mods");
    std::fs::write(dir.join("mods/hleak.mod"), LEAK_MOD).expect("mod");
    std::fs::write(dir.join("net.ndl"), &texts[0]).expect("ndl");
    let uri = format!("file://{}", dir.join("net.ndl").display());
    let at = |line: usize, ch: usize| json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": ch}});
    let mut session = String::new();
    let msgs = vec![
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "ndl", "version": 1, "text": texts[0]}}}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": at(rng.below(25), rng.below(40))}),
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": texts[1]}]}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": at(rng.below(25), rng.below(40))}),
        json!({"jsonrpc": "2.0", "id": 4, "method": "textDocument/documentSymbol", "params": {"textDocument": {"uri": uri}}}),
        json!({"jsonrpc": "2.0", "id": 5, "method": "textDocument/completion", "params": at(rng.below(25), rng.below(40))}),
        json!({"jsonrpc": "2.0", "id": 6, "method": "textDocument/definition", "params": at(rng.below(25), rng.below(40))}),
        json!({"jsonrpc": "2.0", "id": 7, "method": "shutdown"}),
        json!({"jsonrpc": "2.0", "method": "exit"}),
    ];
    for m in msgs {
        session.push_str(&lsp_frame(m));
    }
    std::fs::write(dir.join("session.lsp"), session).expect("session");
    Case {
        label,
        stdin: Some(dir.join("session.lsp")),
        kill_after: None,
        dir,
        args: vec!["lsp".into()],
        expect: Expect::Any,
        out: None,
        spikes: String::new(),
    }
}

/// A run of the ball-and-stick example long enough to be killed.
fn kill_case(rng: &mut Rng, k: usize) -> Case {
    let dir = sonata_copy(&format!("kill{k}"));
    let cfg = dir.join("simulation_config.json");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cfg).expect("config")).expect("json");
    json["run"]["tstop"] = serde_json::json!(3000.0);
    std::fs::write(&cfg, json.to_string()).expect("write config");
    let after = Duration::from_millis(20 + rng.below(1500) as u64);
    let mut c = sonata_case(
        format!("kill {k}: SIGKILL after {after:?}, then run again"),
        dir,
        Expect::Any,
    );
    c.kill_after = Some(after);
    c
}

/// Kills a first run of `case` after `after`: what it left must not be a
/// damaged file under an output's name.
fn killed_run(case: &Case, after: Duration) -> Option<String> {
    let o = run_nmc_until(&case.dir, &case.args, None, Some(after));
    if let Some(p) = panic_text(&o.stderr) {
        return Some(format!("killed run: `{p}` on stderr: {}", tail(&o.stderr)));
    }
    let out = case.dir.join(case.out.as_deref()?);
    for e in std::fs::read_dir(&out).into_iter().flatten().flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".h5") && !name.starts_with('.') && hdf5::File::open(&p).is_err() {
            return Some(format!("killed run left a damaged {}", p.display()));
        }
    }
    None
}

// ------------------------------------------------------------- typo cases

/// Fixed cases asking for 10^10 of something: each must end with an
/// error below [`TYPO_PEAK_BYTES`] of resident memory.
fn typo_cases() -> Vec<Case> {
    let mut out = Vec::new();
    let ndl_typos: &[(&str, &str, &str)] = &[
        (
            "cells",
            "population E = 4 of C",
            "population E = 10000000000 of C",
        ),
        ("poisson count", "count = 4;", "count = 10000000000;"),
        ("poisson rate", "rate = 50 Hz", "rate = 10000000000 Hz"),
        ("poisson stop", "stop = 20 ms", "stop = 10000000000 ms"),
        (
            "indegree",
            "fixed_indegree(1)",
            "fixed_indegree(10000000000)",
        ),
        ("tstop", "tstop = 20 ms", "tstop = 10000000000 ms"),
        ("dt", "dt = 0.025 ms", "dt = 0.0000000001 ms"),
        ("report steps", "tstop = 20 ms", "tstop = 250000000 ms"),
        (
            "all to all",
            "population I = 2 of C",
            "population I = 100000 of C\nconnect I -> I { rule = all_to_all; synapse = s; weight = 1 nS; delay = 1 ms }",
        ),
    ];
    for (name, from, to) in ndl_typos {
        let text = ndl_base().replacen(from, to, 1);
        assert_ne!(text, ndl_base(), "typo `{name}` changed nothing");
        for cmd in ["run", "check"] {
            let (args, outdir) = if cmd == "run" {
                (
                    vec!["run", "net.ndl", "--quiet", "-o", "out"],
                    Some("out".to_string()),
                )
            } else {
                (vec!["check", "net.ndl"], None)
            };
            // Some typos are only found when the run is set up (steps).
            if cmd == "check" && matches!(*name, "tstop" | "dt" | "report steps") {
                continue;
            }
            let dir = scratch(&format!("typo-{name}-{cmd}"));
            std::fs::create_dir_all(dir.join("mods")).expect("mods");
            std::fs::write(dir.join("mods/hleak.mod"), LEAK_MOD).expect("mod");
            std::fs::write(dir.join("net.ndl"), &text).expect("ndl");
            out.push(Case {
                label: format!("typo {name} [{cmd}]"),
                dir,
                args: args.into_iter().map(String::from).collect(),
                expect: Expect::Typo,
                out: outdir,
                spikes: "spikes.h5".into(),
                stdin: None,
                kill_after: None,
            });
        }
    }
    // SONATA: the run's length, and an edge with 10^10 synapses' worth.
    let dir = sonata_copy("typo-sonata-tstop");
    let cfg = dir.join("simulation_config.json");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cfg).expect("config")).expect("json");
    json["run"]["tstop"] = serde_json::json!(1e10);
    std::fs::write(&cfg, json.to_string()).expect("write");
    out.push(sonata_case("typo sonata tstop".into(), dir, Expect::Typo));
    let dir = sonata_copy("typo-sonata-nsyns");
    let _ = edit_h5(
        &dir.join("network/cells_cells_edges.h5"),
        "/edges/cells_to_cells/0/nsyns",
        H5Edit::Set(4e9),
    );
    out.push(sonata_case(
        "typo sonata nsyns 4e9".into(),
        dir,
        Expect::Typo,
    ));
    let dir = sonata_copy("typo-sonata-rows");
    let _ = edit_h5(
        &dir.join("network/cells_cells_edges.h5"),
        "/edges/cells_to_cells/source_node_id",
        H5Edit::Huge,
    );
    out.push(sonata_case(
        "typo sonata 10^11 rows".into(),
        dir,
        Expect::Typo,
    ));
    // Analysis: a bin of 10^-10 ms, a spike at 10^10 ms.
    for (name, t, extra) in [
        ("bin", 100.0, vec!["--bin", "1e-10"]),
        ("late spike", 1e10, vec![]),
        ("smooth", 100.0, vec!["--smooth", "1e-10"]),
    ] {
        let dir = scratch(&format!("typo-analyze-{name}"));
        spike_file(&dir.join("spikes.h5"), &[0, 1], &[5.0, t]);
        let mut args: Vec<String> = ["analyze", "spikes.h5", "-o", "an"]
            .map(String::from)
            .to_vec();
        args.extend(extra.into_iter().map(String::from));
        out.push(Case {
            label: format!("typo analyze {name}"),
            dir,
            args,
            expect: Expect::Typo,
            out: None,
            spikes: String::new(),
            stdin: None,
            kill_after: None,
        });
    }
    out
}

// -------------------------------------------------------------- campaign

/// The random cases `0..n` of the seed.
fn random_cases(n: usize, seed: u64) -> Vec<Box<dyn FnOnce() -> Case + Send>> {
    let mut out: Vec<Box<dyn FnOnce() -> Case + Send>> = Vec::new();
    for k in 0..n {
        let mut rng = Rng(seed ^ (k as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let family = k % 10;
        out.push(Box::new(move || match family {
            0 | 1 => ndl_case(&mut rng, k),
            2 => nmodl_case(&mut rng, k),
            3 => json_case(&mut rng, k),
            4 => csv_case(&mut rng, k),
            5 | 6 => h5_case(&mut rng, k),
            7 => {
                if rng.below(3) == 0 {
                    compare_case(&mut rng, k)
                } else {
                    analyze_case(&mut rng, k)
                }
            }
            8 => cli_case(&mut rng, k),
            _ if k % 30 == 9 => kill_case(&mut rng, k),
            _ => lsp_case(&mut rng, k),
        }));
    }
    out
}

/// Runs the cases on `threads` threads; returns the findings.
fn campaign(
    cases: Vec<Box<dyn FnOnce() -> Case + Send>>,
    threads: usize,
) -> (Vec<String>, Summary) {
    let queue = Mutex::new(cases.into_iter().enumerate().collect::<Vec<_>>());
    let findings = Mutex::new(Vec::new());
    let summary = Mutex::new(Summary::default());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let Some((_, make)) = queue.lock().expect("queue").pop() else {
                        return;
                    };
                    let case = make();
                    let killed = case.kill_after.and_then(|k| killed_run(&case, k));
                    let o = run_nmc(&case.dir, &case.args, case.stdin.as_deref());
                    let verdict = killed.or_else(|| judge(&case, &o));
                    {
                        let mut sm = summary.lock().expect("summary");
                        sm.cases += 1;
                        match o.code {
                            Some(0) => sm.ok += 1,
                            Some(_) => sm.errors += 1,
                            None => {}
                        }
                        sm.slowest = sm.slowest.max(o.elapsed);
                        if case.expect == Expect::Typo {
                            sm.typo_peak = sm.typo_peak.max(o.peak);
                        }
                    }
                    if let Some(v) = verdict {
                        let line = format!("{}: {v}  (nmc {})", case.label, case.args.join(" "));
                        if let Some(keep) = std::env::var_os("NMC_HOSTILE_KEEP") {
                            let to =
                                Path::new(&keep).join(case.dir.file_name().unwrap_or_default());
                            let _ = std::fs::create_dir_all(&keep);
                            let _ = std::fs::rename(&case.dir, &to);
                        }
                        findings.lock().expect("findings").push(line);
                    }
                    let _ = std::fs::remove_dir_all(&case.dir);
                }
            });
        }
    });
    let mut f = findings.into_inner().expect("findings");
    f.sort();
    (f, summary.into_inner().expect("summary"))
}

#[derive(Default, Debug)]
struct Summary {
    cases: usize,
    ok: usize,
    errors: usize,
    slowest: Duration,
    typo_peak: u64,
}

fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(4)
}

fn report(name: &str, (findings, s): (Vec<String>, Summary)) {
    eprintln!(
        "{name}: {} cases, {} exit 0, {} exit 1/2, slowest {:.1} s, typo peak {:.0} MB, {} findings",
        s.cases,
        s.ok,
        s.errors,
        s.slowest.as_secs_f64(),
        s.typo_peak as f64 / 1e6,
        findings.len()
    );
    assert!(
        findings.is_empty(),
        "{name}: {} findings:\n{}",
        findings.len(),
        findings.join("\n")
    );
}

#[test]
fn typos_asking_for_ten_billion_fail_early_and_small() {
    let cases: Vec<Box<dyn FnOnce() -> Case + Send>> = typo_cases()
        .into_iter()
        .map(|c| Box::new(move || c) as Box<dyn FnOnce() -> Case + Send>)
        .collect();
    assert!(cases.len() >= 20, "{} typo cases", cases.len());
    report("typos", campaign(cases, threads()));
}

#[test]
fn random_hostile_inputs_end_cleanly() {
    let n = env_num("NMC_HOSTILE_CASES", QUICK_CASES as u64) as usize;
    let seed = env_num("NMC_HOSTILE_SEED", 0x686f_7374_696c_6521);
    report("random", campaign(random_cases(n, seed), threads()));
}
