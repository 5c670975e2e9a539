//! Runs over MPI ranks (`--features mpi`): `mpirun -n N nmc run ...` gives
//! the files of a plain one-process run byte for byte (spikes, membrane
//! reports) for N = 1..4, and a failure on any rank stops every rank with
//! one diagnostic.
#![cfg(feature = "mpi")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Instant;

/// One `mpirun` at a time: the ranks of two jobs on two cores would only
/// slow each other down.
static JOBS: Mutex<()> = Mutex::new(());

/// Longest a run may take before the test fails (a hung rank).
const LIMIT_S: u64 = 300;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh folder for one case.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nmc-mpi-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// What a run left: exit code, stdout, stderr, seconds taken.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    secs: f64,
}

/// `nmc args...` in `dir`, under `mpirun -n ranks` when `ranks` is Some.
fn nmc(dir: &Path, ranks: Option<usize>, args: &[&str]) -> Run {
    let _job = JOBS.lock().unwrap_or_else(|e| e.into_inner());
    let bin = env!("CARGO_BIN_EXE_nmc");
    let mut cmd = Command::new("timeout");
    cmd.arg(LIMIT_S.to_string());
    if let Some(n) = ranks {
        cmd.args([
            "mpirun",
            "--oversubscribe",
            "--allow-run-as-root",
            "-n",
            &n.to_string(),
        ]);
    }
    let start = Instant::now();
    let out = cmd
        .arg(bin)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HDF5_USE_FILE_LOCKING", "FALSE")
        .stdin(Stdio::null())
        .output()
        .expect("timeout, mpirun and nmc start (scripts/deps.sh installs openmpi-bin)");
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        secs: start.elapsed().as_secs_f64(),
    };
    assert_ne!(run.code, Some(124), "{args:?} on {ranks:?} ranks hung");
    run
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `args` plainly and on 1..=4 ranks (with `threads` threads each);
/// every file of `files` must equal the plain run's byte for byte.
fn same_on_every_rank_count(name: &str, dir: &Path, args: &[&str], threads: &str, files: &[&str]) {
    let plain = dir.join(format!("{name}-plain"));
    let mut a: Vec<&str> = args.to_vec();
    let p = plain.to_string_lossy().into_owned();
    a.extend(["--quiet", "--threads", "1", "-o", &p]);
    let r = nmc(dir, None, &a);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for n in 1..=4 {
        let out = dir.join(format!("{name}-{n}"));
        let o = out.to_string_lossy().into_owned();
        let mut a: Vec<&str> = args.to_vec();
        a.extend(["--quiet", "--threads", threads, "-o", &o]);
        let r = nmc(dir, Some(n), &a);
        assert_eq!(r.code, Some(0), "{n} ranks: {}", r.stderr);
        for f in files {
            assert!(
                read(&plain.join(f)) == read(&out.join(f)),
                "{name}: {f} on {n} ranks differs from the plain run's"
            );
        }
    }
}

/// The seed (`simulation_config.json` at the repository's root), cut to
/// 300 ms, as a config in `dir`.
fn short_seed(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(root().join("simulation_config.json")).expect("seed config");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("seed config JSON");
    v["manifest"]["$BASE_DIR"] = root().to_string_lossy().into_owned().into();
    v["run"]["tstop"] = 300.0.into();
    let path = dir.join("simulation_config.json");
    std::fs::write(&path, v.to_string()).expect("write config");
    path
}

#[test]
fn seed_spikes_equal_one_process_on_1_to_4_ranks() {
    let dir = scratch("seed");
    let config = short_seed(&dir);
    let c = config.to_string_lossy().into_owned();
    same_on_every_rank_count("default", &dir, &["run", &c], "1", &["spikes.h5"]);
    same_on_every_rank_count(
        "exact",
        &dir,
        &["run", &c, "--synapses", "one-by-one"],
        "2",
        &["spikes.h5"],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn membrane_reports_equal_one_process_on_1_to_4_ranks() {
    let dir = scratch("reports");
    let config = root().join("tests/sonata_bmtk/ballstick_net/simulation_config.json");
    let c = config.to_string_lossy().into_owned();
    let m = root().join("models").to_string_lossy().into_owned();
    let files = ["spikes.h5", "soma_v.h5", "v_soma_rec.h5"];
    for mode in ["--synapses=one-by-one", "--exp=libm"] {
        let args = ["run", &c, "--mechanisms", &m, mode];
        same_on_every_rank_count(mode, &dir, &args, "1", &files);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ndl_spikes_equal_one_process_on_1_to_4_ranks() {
    let dir = scratch("ndl");
    let example = root().join("examples/bmtk_test_net");
    let text = std::fs::read_to_string(example.join("network.ndl")).expect("example");
    let abs = example.join("../..").to_string_lossy().into_owned();
    let text = text
        .replace("\"../..", &format!("\"{abs}"))
        .replace("tstop = 1000 ms", "tstop = 300 ms");
    std::fs::write(dir.join("net.ndl"), text).expect("write");
    same_on_every_rank_count("ndl", &dir, &["run", "net.ndl"], "1", &["spikes.h5"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The numbers of a summary line's `label a, b, c` list (ending at `;`
/// or `)`).
fn numbers_after(text: &str, label: &str) -> Vec<u64> {
    let Some(at) = text.find(label) else {
        return Vec::new();
    };
    let rest = &text[at + label.len()..];
    let end = rest.find([';', ')']).unwrap_or(rest.len());
    rest[..end]
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

/// A scaled seed (`examples/scaled/seed_x3.ndl`: 900 cells) whose rules
/// draw random numbers (a probability rule with lognormal weights and
/// distance-dependent delays, a fixed in-degree) and with connections of
/// their own threshold, 60 ms: each rank builds only the connections onto
/// its cells (the summary's count per rank adds up to the whole
/// network's, each rank holding about its share), and the spikes equal a
/// one-process run's (on 1 thread and on 2) on 1..4 ranks of 2 threads.
#[test]
fn ndl_ranks_build_only_their_connections() {
    let dir = scratch("ndl-share");
    let text =
        std::fs::read_to_string(root().join("examples/scaled/seed_x3.ndl")).expect("seed x3");
    let abs = root().to_string_lossy().into_owned();
    let text = text
        .replace("\"../..", &format!("\"{abs}"))
        .replace("tstop = 200 ms", "tstop = 60 ms")
        .replace(
            "connect Exc -> Exc { rule = all_to_all; synapse = Exc2Exc; weight = 0 uS; delay = 0.5 ms",
            "connect Exc -> Exc { rule = probability(0.5); synapse = Exc2Exc; weight = lognormal(mean = 0.05 nS, sd = 0.02 nS); delay = (0.5 + distance / 100) ms",
        )
        .replace("connect PV  -> Exc { rule = all_to_all", "connect PV  -> Exc { rule = fixed_indegree(100)")
        .replace("connect Exc -> PV  { rule = all_to_all;", "connect Exc -> PV  { rule = all_to_all; threshold = -20 mV;");
    assert!(text.contains("probability(0.5)") && text.contains("threshold = -20 mV"));
    std::fs::write(dir.join("net.ndl"), text).expect("write");
    let plain = dir.join("plain").to_string_lossy().into_owned();
    let r = nmc(
        &dir,
        None,
        &["run", "net.ndl", "--threads", "1", "-o", &plain],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let total = r
        .stdout
        .split(" synapses)")
        .next()
        .and_then(|s| s.rsplit('(').next())
        .and_then(|n| n.trim().parse::<u64>().ok())
        .expect("the summary names the synapses");
    assert!(total > 400_000, "{total} synapses");
    let want = read(&dir.join("plain/spikes.h5"));
    // The rules draw the same network on any number of threads.
    let two = dir.join("two").to_string_lossy().into_owned();
    let r = nmc(
        &dir,
        None,
        &["run", "net.ndl", "--threads", "2", "-o", &two],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        read(&dir.join("two/spikes.h5")) == want,
        "spikes on 2 threads differ"
    );
    for n in 1..=4 {
        let out = dir.join(format!("r{n}")).to_string_lossy().into_owned();
        let r = nmc(
            &dir,
            Some(n),
            &["run", "net.ndl", "--threads", "2", "-o", &out],
        );
        assert_eq!(r.code, Some(0), "{n} ranks: {}", r.stderr);
        assert!(
            read(&dir.join(format!("r{n}/spikes.h5"))) == want,
            "spikes on {n} ranks differ from one process's"
        );
        if n == 1 {
            continue;
        }
        let per_rank = numbers_after(&r.stdout, "connections per rank ");
        assert_eq!(per_rank.len(), n, "{}", r.stdout);
        assert_eq!(per_rank.iter().sum::<u64>(), total, "{}", r.stdout);
        for &c in &per_rank {
            assert!(
                c > 0 && (c as f64) < 1.3 * total as f64 / n as f64,
                "a rank holds {c} of {total} connections on {n} ranks"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Exactly one copy of a diagnostic line starting with `head`.
fn once(stderr: &str, head: &str) {
    let n = stderr.lines().filter(|l| l.starts_with(head)).count();
    assert_eq!(n, 1, "want one `{head}` line:\n{stderr}");
}

/// A copy of the seed circuit (config, network files) in a fresh folder
/// whose config names the repository's inputs, templates and mechanisms.
fn seed_copy(name: &str) -> PathBuf {
    let dir = scratch(name);
    for f in ["circuit_config.json", "node_sets.json"] {
        std::fs::copy(root().join(f), dir.join(f)).expect("copy");
    }
    std::fs::create_dir_all(dir.join("network")).expect("network folder");
    for e in std::fs::read_dir(root().join("network")).expect("network") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), dir.join("network").join(e.file_name())).expect("copy");
    }
    let text = std::fs::read_to_string(root().join("simulation_config.json")).expect("seed");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    v["manifest"]["$INPUT_DIR"] = root().join("input").to_string_lossy().into_owned().into();
    std::fs::write(dir.join("simulation_config.json"), v.to_string()).expect("write");
    let text = std::fs::read_to_string(dir.join("circuit_config.json")).expect("circuit");
    let mut c: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let components = root().join("components").to_string_lossy().into_owned();
    c["manifest"]["$COMPONENTS_DIR"] = components.into();
    c["components"]["mechanisms_dir"] = root().join("models").to_string_lossy().into_owned().into();
    std::fs::write(dir.join("circuit_config.json"), c.to_string()).expect("write");
    dir
}

#[test]
fn bad_edge_file_stops_every_rank_with_one_diagnostic() {
    let dir = seed_copy("bad-edges");
    let edges = dir.join("network/network_network_edges.h5");
    let bytes = read(&edges);
    std::fs::write(&edges, &bytes[..bytes.len().min(5000)]).expect("truncate");
    let r = nmc(&dir, Some(3), &["run", "simulation_config.json", "--quiet"]);
    assert!(matches!(r.code, Some(c) if c != 0), "{}", r.stderr);
    assert!(r.secs < 30.0, "took {:.1} s", r.secs);
    once(&r.stderr, "error[E1501]");
    assert!(
        r.stderr.contains("network_network_edges.h5"),
        "{}",
        r.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The seed circuit with its last edge (onto the last cell, read by the
/// last rank alone when each rank reads its own edges) retargeted to a
/// node that does not exist: every rank stops, non-zero, and the error is
/// printed once, as by one process.
#[test]
fn bad_edge_of_one_rank_stops_every_rank_with_one_diagnostic() {
    let dir = seed_copy("bad-edge-target");
    {
        let f = hdf5_metno::File::open_rw(dir.join("network/network_network_edges.h5"))
            .expect("open the edges");
        let ds = f
            .dataset("edges/network_to_network/target_node_id")
            .expect("target_node_id");
        let mut v: Vec<u64> = ds.read_raw().expect("read");
        let last = v.last_mut().expect("an edge");
        assert_eq!(*last, 299, "the seed's last edge targets its last cell");
        *last = 5000;
        ds.write_raw(&v).expect("write");
    }
    let whole = nmc(&dir, None, &["run", "simulation_config.json", "--quiet"]);
    assert_eq!(whole.code, Some(1), "{}", whole.stderr);
    once(&whole.stderr, "error[E1502]");
    for n in [2, 3] {
        let r = nmc(&dir, Some(n), &["run", "simulation_config.json", "--quiet"]);
        assert_eq!(r.code, Some(1), "{n} ranks: {}", r.stderr);
        assert!(r.secs < 30.0, "took {:.1} s", r.secs);
        once(&r.stderr, "error[E1502]");
        assert!(
            r.stderr
                .contains("node 5000 of population `network` is not a real cell"),
            "{}",
            r.stderr
        );
        once(
            &r.stderr,
            "error: simulation_config.json was not run (1 error",
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn numerical_fault_on_the_last_rank_stops_every_rank_with_one_diagnostic() {
    let dir = scratch("fault");
    let text = format!(
        "network t\nmechanisms \"{}\"\n\
         cell C {{\n  section soma {{ L = 20 um; diam = 20 um; nseg = 1 }}\n  insert hh {{ }}\n}}\n\
         cell D {{\n  section soma {{ L = 1e-300 um; diam = 20 um; nseg = 1 }}\n  insert hh {{ }}\n}}\n\
         synapse s = Exp2Syn {{ tau1 = 0.5 ms; tau2 = 3 ms; e = 0 mV }}\n\
         population A = 3 of C\npopulation B = 1 of D\n\
         connect A -> A {{ rule = all_to_all; synapse = s; weight = 1 nS; delay = 1 ms; on = soma(0.5) }}\n\
         run {{ tstop = 10 ms; dt = 0.025 ms }}\noutput {{ dir = \"out\" }}\n",
        root().join("models").display()
    );
    std::fs::write(dir.join("net.ndl"), text).expect("write");
    let r = nmc(
        &dir,
        Some(3),
        &["run", "net.ndl", "--quiet", "--threads", "1"],
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    once(&r.stderr, "error[E1802]: the run stopped early");
    assert!(
        r.stderr.contains("cell 3, section `soma`") && r.stderr.contains("numerically unstable"),
        "{}",
        r.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A problem found while drawing the connections onto one rank's cells (a
/// delay formula negative for the pairs onto the last cell, which the last
/// rank alone draws): every rank stops, non-zero, with the diagnostic
/// printed once.
#[test]
fn connection_error_on_one_rank_stops_every_rank_with_one_diagnostic() {
    let dir = scratch("draw-error");
    let text = format!(
        "network t\nmechanisms \"{}\"\n\
         cell C {{\n  section soma {{ L = 20 um; diam = 20 um; nseg = 1 }}\n  insert hh {{ }}\n}}\n\
         synapse s = Exp2Syn {{ tau1 = 0.5 ms; tau2 = 3 ms; e = 0 mV }}\n\
         population A = 3 of C {{ positions = cuboid(size = 100 um) }}\n\
         population B = 1 of C {{ positions = cuboid(size = 100 um, center = [500, 500, 500] um) }}\n\
         connect A -> A {{ rule = all_to_all; synapse = s; weight = 1 nS; delay = 1 ms; on = soma(0.5) }}\n\
         connect A -> B {{ rule = all_to_all; synapse = s; weight = 1 nS; delay = (1 - distance / 100) ms; on = soma(0.5) }}\n\
         run {{ tstop = 10 ms; dt = 0.025 ms }}\noutput {{ dir = \"out\" }}\n",
        root().join("models").display()
    );
    std::fs::write(dir.join("net.ndl"), text).expect("write");
    let whole = nmc(&dir, None, &["run", "net.ndl", "--quiet", "--threads", "1"]);
    assert_eq!(whole.code, Some(1), "{}", whole.stderr);
    once(&whole.stderr, "error[E1304]: the delay is negative");
    for n in [2, 3] {
        let r = nmc(
            &dir,
            Some(n),
            &["run", "net.ndl", "--quiet", "--threads", "1"],
        );
        assert_eq!(r.code, Some(1), "{n} ranks: {}", r.stderr);
        assert!(r.secs < 30.0, "took {:.1} s", r.secs);
        once(&r.stderr, "error[E1304]: the delay is negative");
        once(&r.stderr, "error: net.ndl was not run (1 error,");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A SONATA circuit written by `nmc build` from a scaled seed
/// (`examples/scaled/seed_x3.ndl`: 900 cells) whose rules draw random
/// numbers (a probability rule with lognormal weights and
/// distance-dependent delays, a fixed in-degree), 60 ms: on 1..3 ranks
/// the spikes equal a one-process run's, and each rank reads only the
/// edges onto its cells (the counts the ranks trace add up to the
/// circuit's, each rank reading about its share).
#[test]
fn sonata_ranks_read_only_their_edges() {
    let dir = scratch("sonata-share");
    let text =
        std::fs::read_to_string(root().join("examples/scaled/seed_x3.ndl")).expect("seed x3");
    let abs = root().to_string_lossy().into_owned();
    let text = text
        .replace("\"../..", &format!("\"{abs}"))
        .replace("tstop = 200 ms", "tstop = 60 ms")
        .replace(
            "connect Exc -> Exc { rule = all_to_all; synapse = Exc2Exc; weight = 0 uS; delay = 0.5 ms",
            "connect Exc -> Exc { rule = probability(0.5); synapse = Exc2Exc; weight = lognormal(mean = 0.05 nS, sd = 0.02 nS); delay = (0.5 + distance / 100) ms",
        )
        .replace("connect PV  -> Exc { rule = all_to_all", "connect PV  -> Exc { rule = fixed_indegree(100)");
    assert!(text.contains("probability(0.5)") && text.contains("fixed_indegree(100)"));
    std::fs::write(dir.join("net.ndl"), text).expect("write");
    let r = nmc(
        &dir,
        None,
        &["build", "net.ndl", "-o", "circuit", "--quiet"],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let config = "circuit/simulation_config.json";
    let traced = |ranks: Option<usize>, out: &str| {
        let _job = JOBS.lock().unwrap_or_else(|e| e.into_inner());
        let mut cmd = Command::new("timeout");
        cmd.arg(LIMIT_S.to_string());
        if let Some(n) = ranks {
            cmd.args(["mpirun", "--oversubscribe", "--allow-run-as-root", "-n"]);
            cmd.arg(n.to_string());
        }
        let o = cmd
            .arg(env!("CARGO_BIN_EXE_nmc"))
            .args(["run", config, "--quiet", "--threads", "1", "-o", out])
            .current_dir(&dir)
            .env("NMC_TRACE", "1")
            .env("HDF5_USE_FILE_LOCKING", "FALSE")
            .stdin(Stdio::null())
            .output()
            .expect("mpirun and nmc start");
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(0), "{ranks:?} ranks: {stderr}");
        stderr
    };
    // The number of each `sonata: N edges read...` trace line.
    let edges_read = |stderr: &str, tail: &str| -> Vec<u64> {
        stderr
            .lines()
            .filter_map(|l| l.split("sonata: ").nth(1)?.strip_suffix(tail))
            .filter_map(|n| n.trim().parse().ok())
            .collect()
    };
    let whole = edges_read(&traced(None, "plain"), " edges read");
    assert_eq!(whole.len(), 1, "one process reads the edges once");
    let total = whole[0];
    assert!(total > 300_000, "{total} edges");
    let want = read(&dir.join("plain/spikes.h5"));
    for n in 1..=3 {
        let out = format!("r{n}");
        let stderr = traced(Some(n), &out);
        assert!(
            read(&dir.join(&out).join("spikes.h5")) == want,
            "spikes on {n} ranks differ from one process's"
        );
        if n == 1 {
            continue;
        }
        assert!(
            edges_read(&stderr, " edges read").is_empty(),
            "a rank read every edge:\n{stderr}"
        );
        let per_rank = edges_read(&stderr, " edges read onto this rank's cells");
        assert_eq!(per_rank.len(), n, "{stderr}");
        assert_eq!(per_rank.iter().sum::<u64>(), total, "{stderr}");
        for &c in &per_rank {
            assert!(
                c > 0 && (c as f64) < 1.3 * total as f64 / n as f64,
                "a rank read {c} of {total} edges on {n} ranks"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
