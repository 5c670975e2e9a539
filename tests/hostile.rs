//! Hostile inputs: each case is a tiny file that once made nmc panic,
//! abort (stack overflow, memory exhaustion), hang or write wrong results
//! silently. Every one must now end with a diagnostic (exit code 1 or 2)
//! or a correct result, no panic text, within a time bound, under a memory
//! limit (`ulimit -v`), so a case that would allocate gigabytes fails the
//! test instead of the machine. `tests/hostile_campaign.rs` generates
//! cases of the same kinds at random; `tests/mutation.rs` mutates the
//! repository's inputs through the front ends in-process.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Address-space limit for every run (KiB): 1 GiB.
const MEMORY_KIB: u64 = 1 << 20;
/// Wall-time bound for one run.
const TIME: Duration = Duration::from_secs(60);

/// A fresh folder for one case.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nmc-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Result of one run.
struct Run {
    code: Option<i32>,
    stderr: String,
}

/// Runs `nmc args...` in `dir` under the memory limit and the time bound.
fn nmc(dir: &Path, args: &[&str]) -> Run {
    let bin = env!("CARGO_BIN_EXE_nmc");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_KIB}; exec \"$0\" \"$@\""))
        .arg(bin)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        // Another test thread's HDF5 file may be open (and locked) when
        // this child is forked, and the child inherits the descriptor.
        .env("HDF5_USE_FILE_LOCKING", "FALSE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nmc");
    let mut err = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > TIME {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nmc {args:?} did not finish within {TIME:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stderr: reader.join().unwrap_or_default(),
    }
}

/// The run ended with a diagnostic carrying `code` (exit 1 or 2, no panic).
fn assert_diagnosed(r: &Run, code: &str) {
    assert!(
        !r.stderr.contains("panicked") && !r.stderr.contains("overflow"),
        "panic or overflow:\n{}",
        r.stderr
    );
    assert!(
        matches!(r.code, Some(1 | 2)),
        "exit {:?} (expected 1 or 2):\n{}",
        r.code,
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("[{code}]")),
        "expected {code}:\n{}",
        r.stderr
    );
}

/// The run ended normally or with a diagnostic: exit 0, 1 or 2, no panic.
fn assert_sane(r: &Run) {
    assert!(!r.stderr.contains("panicked"), "panic:\n{}", r.stderr);
    assert!(
        matches!(r.code, Some(0..=2)),
        "exit {:?}:\n{}",
        r.code,
        r.stderr
    );
}

fn models() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .display()
        .to_string()
}

/// A one-compartment network with `body` appended.
fn ndl(body: &str) -> String {
    format!(
        "network t\nmechanisms \"{}\"\ncell C {{\n  section soma {{ L = 20 um; diam = 20 um; nseg = 1 }}\n  insert hh {{ }}\n}}\nsynapse s = Exp2Syn {{ tau1 = 0.5 ms; tau2 = 3 ms; e = 0 mV }}\n{body}\n",
        models()
    )
}

/// `nmc check` of an NDL file made of `body`.
fn check_ndl(name: &str, body: &str) -> Run {
    let dir = scratch(name);
    std::fs::write(dir.join("net.ndl"), ndl(body)).expect("write");
    let r = nmc(&dir, &["check", "net.ndl"]);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

const RUN: &str = "run { tstop = 10 ms; dt = 0.025 ms }";

// ---------------------------------------------------------------- panics

#[test]
fn cuboid_grid_beyond_2_pow_64_points() {
    let r = check_ndl(
        "cuboid",
        &format!(
            "population E = 2 of C {{ positions = cuboid(size = [1, 4294967295, 4294967295] um, min_distance = 1 um) }}\n{RUN}"
        ),
    );
    assert_diagnosed(&r, "E1304");
}

// ------------------------------------------------------- stack overflows

#[test]
fn five_thousand_nested_parentheses() {
    let e = format!("{}10{}", "(".repeat(5000), ")".repeat(5000));
    let r = check_ndl(
        "parens",
        &format!("population E = 1 of C\nrun {{ tstop = {e} ms; dt = 0.025 ms }}"),
    );
    assert_diagnosed(&r, "E1104");
}

#[test]
fn five_thousand_signs() {
    let e = format!("{}10", "- ".repeat(5000));
    let r = check_ndl(
        "signs",
        &format!("population E = 1 of C\nrun {{ tstop = {e} ms; dt = 0.025 ms }}"),
    );
    assert_diagnosed(&r, "E1104");
}

#[test]
fn flat_sum_of_25000_terms() {
    let e = vec!["1"; 25_000].join("+");
    let r = check_ndl(
        "sum",
        &format!("population E = 1 of C\nrun {{ tstop = {e} ms; dt = 0.025 ms }}"),
    );
    assert_diagnosed(&r, "E1104");
}

#[test]
fn long_products_and_calls_nest_too() {
    let e = format!("{}1{}", "exp(".repeat(300), ")".repeat(300));
    assert_diagnosed(
        &check_ndl(
            "calls",
            &format!("population E = 1 of C\nrun {{ tstop = {e} ms; dt = 0.025 ms }}"),
        ),
        "E1104",
    );
    let e = vec!["1"; 5_000].join("*");
    assert_diagnosed(
        &check_ndl(
            "product",
            &format!("population E = 1 of C\nrun {{ tstop = {e} ms; dt = 0.025 ms }}"),
        ),
        "E1104",
    );
}

#[test]
fn reasonable_formulas_still_parse() {
    let e = format!("{}10{}", "(".repeat(20), ")".repeat(20));
    let sum = vec!["0.1"; 100].join(" + ");
    let r = check_ndl(
        "fine",
        &format!("population E = 1 of C\nrun {{ tstop = {e} + {sum} ms; dt = 0.025 ms }}"),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

// ------------------------------------------------ memory from tiny inputs

#[test]
fn ten_billion_cells() {
    let r = check_ndl("pop", &format!("population E = 10000000000 of C\n{RUN}"));
    assert_diagnosed(&r, "E1306");
    assert!(r.stderr.contains("would need about"), "{}", r.stderr);
}

#[test]
fn all_to_all_on_100000_cells() {
    let r = check_ndl(
        "a2a",
        &format!(
            "population E = 100000 of C\nconnect E -> E {{ synapse = s; weight = 1 nS; delay = 1 ms }}\n{RUN}"
        ),
    );
    assert_diagnosed(&r, "E1306");
}

#[test]
fn poisson_rate_1e12_hz_and_stop_1e308_ms() {
    let r = check_ndl(
        "rate",
        &format!(
            "population E = 1 of C\ninput bg = poisson {{ count = 1; rate = 1e12 Hz; start = 0 ms; stop = 1000 ms }}\n{RUN}"
        ),
    );
    assert_diagnosed(&r, "E1306");
    let r = check_ndl(
        "stop",
        &format!(
            "population E = 1 of C\ninput bg = poisson {{ count = 1; rate = 10 Hz; start = 0 ms; stop = 1e308 ms }}\n{RUN}"
        ),
    );
    assert_diagnosed(&r, "E1306");
}

// ------------------------------------------------------------ spike files

use hdf5_metno as hdf5;

/// A SONATA spike file with one population `E`.
fn spike_file(path: &Path, ids: &[i64], times: &[f64]) {
    let f = hdf5::File::create(path).expect("create h5");
    let g = f.create_group("spikes/E").expect("group");
    g.new_dataset_builder()
        .with_data(times)
        .create("timestamps")
        .expect("timestamps");
    g.new_dataset_builder()
        .with_data(ids)
        .create("node_ids")
        .expect("node_ids");
}

fn analyze(name: &str, ids: &[i64], times: &[f64], extra: &[&str]) -> Run {
    let dir = scratch(name);
    spike_file(&dir.join("spikes.h5"), ids, times);
    let mut args = vec!["analyze", "spikes.h5", "-o", "out"];
    args.extend_from_slice(extra);
    let r = nmc(&dir, &args);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

#[test]
fn analyze_infinite_or_nan_timestamp() {
    for (name, t) in [
        ("inf", f64::INFINITY),
        ("nan", f64::NAN),
        ("ninf", f64::NEG_INFINITY),
    ] {
        let r = analyze(name, &[0, 1], &[5.0, t], &[]);
        assert_diagnosed(&r, "E1901");
        assert!(r.stderr.contains("row 1"), "{}", r.stderr);
    }
}

#[test]
fn analyze_huge_timestamp_or_tiny_bin() {
    for (name, t) in [("1e300", 1e300), ("1e12", 1e12)] {
        let r = analyze(name, &[0, 1], &[5.0, t], &[]);
        assert_diagnosed(&r, "E1905");
    }
    let r = analyze("bin", &[0, 1], &[5.0, 900.0], &["--bin", "1e-9"]);
    assert_diagnosed(&r, "E1905");
}

#[test]
fn analyze_huge_smoothing_gives_a_result() {
    let r = analyze(
        "smooth",
        &[0, 1, 0],
        &[5.0, 50.0, 90.0],
        &["--smooth", "1e300"],
    );
    assert_sane(&r);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

#[test]
fn analyze_negative_node_id() {
    let r = analyze("negid", &[0, -3], &[5.0, 6.0], &[]);
    assert_diagnosed(&r, "E1901");
    assert!(r.stderr.contains("-3"), "{}", r.stderr);
}

#[test]
fn spike_file_declaring_1e11_rows() {
    let dir = scratch("rows");
    {
        let f = hdf5::File::create(dir.join("spikes.h5")).expect("create");
        let g = f.create_group("spikes/E").expect("group");
        for name in ["timestamps", "node_ids"] {
            g.new_dataset::<f64>()
                .chunk(1024)
                .shape(100_000_000_000usize)
                .create(name)
                .expect("dataset");
        }
    }
    let size = std::fs::metadata(dir.join("spikes.h5"))
        .map(|m| m.len())
        .unwrap_or(0);
    assert!(size < 100_000, "the file should be tiny, is {size} bytes");
    let r = nmc(&dir, &["analyze", "spikes.h5", "-o", "out"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_diagnosed(&r, "E1901");
    assert!(r.stderr.contains("100000000000"), "{}", r.stderr);
}

// ------------------------------------------------------------------ hangs

#[test]
fn compound_node_sets_8_deep_8_references_each() {
    use nmc::sonata::node_sets::select;
    use nmc::sonata::nodes::NodePopulation;
    use serde_json::json;
    let pop = NodePopulation {
        name: "E".into(),
        node_ids: (0..200).collect(),
        type_ids: vec![100; 200],
        ..Default::default()
    };
    let mut sets = std::collections::BTreeMap::new();
    for j in 0..8 {
        sets.insert(format!("s0_{j}"), json!({ "population": "E" }));
    }
    for k in 1..8 {
        for j in 0..8 {
            let names: Vec<String> = (0..8).map(|i| format!("s{}_{i}", k - 1)).collect();
            sets.insert(format!("s{k}_{j}"), json!(names));
        }
    }
    let start = Instant::now();
    let top = json!((0..8).map(|i| format!("s7_{i}")).collect::<Vec<_>>());
    let got = select(std::slice::from_ref(&pop), &sets, &top, 0);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(got.map(|v| v.len()), Some(200));
}

// ------------------------------------------------- silent data loss, exit 0

/// A copy of the ball-and-stick SONATA example with its simulation config
/// changed by `edit`; returns the folder.
fn sonata_copy(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sonata_bmtk/ballstick_net");
    let dir = scratch(name);
    copy_dir(&src, &dir);
    let cfg = dir.join("simulation_config.json");
    let text = std::fs::read_to_string(&cfg).expect("config");
    let mut json: serde_json::Value = serde_json::from_str(&text).expect("json");
    json["run"]["tstop"] = serde_json::json!(5.0);
    edit(&mut json);
    std::fs::write(&cfg, json.to_string()).expect("write config");
    dir
}

/// `nmc run simulation_config.json` with the project's mechanisms.
fn sonata_run(dir: &Path) -> Run {
    let models = models();
    nmc(
        dir,
        &[
            "run",
            "simulation_config.json",
            "--quiet",
            "--mechanisms",
            &models,
        ],
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let p = e.path();
        let q = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &q);
        } else {
            std::fs::copy(&p, &q).expect("copy");
        }
    }
}

#[test]
fn sonata_report_named_like_the_spike_file() {
    let dir = sonata_copy("rep-spikes", |j| {
        j["reports"]["soma_v"]["file_name"] = "spikes.h5".into();
    });
    let r = sonata_run(&dir);
    let spikes_written = dir.join("output/spikes.h5").exists();
    let _ = std::fs::remove_dir_all(&dir);
    assert_sane(&r);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("both be written"), "{}", r.stderr);
    assert!(!spikes_written, "nothing may be written");
}

#[test]
fn sonata_log_file_named_like_the_spike_file() {
    let dir = sonata_copy("log-spikes", |j| {
        j["output"]["log_file"] = "spikes.h5".into();
    });
    let r = sonata_run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("both be written"), "{}", r.stderr);
}

#[test]
fn sonata_two_reports_with_one_file_name() {
    let dir = sonata_copy("two-reports", |j| {
        j["reports"]["soma_v"]["file_name"] = "v_soma_rec.h5".into();
    });
    let r = sonata_run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("report `"), "{}", r.stderr);
}

#[test]
fn ndl_report_named_like_the_spike_file() {
    let r = check_ndl(
        "ndl-rep",
        &format!(
            "population E = 1 of C\n{RUN}\noutput {{ dir = \"out\"; spikes = \"v.h5\"; report v {{ cells = E; variable = v }} }}"
        ),
    );
    assert_diagnosed(&r, "E1201");
    let r = check_ndl(
        "ndl-empty",
        &format!("population E = 1 of C\n{RUN}\noutput {{ dir = \"out\"; spikes = \"\" }}"),
    );
    assert_diagnosed(&r, "E1305");
}

/// `nmc run` of an NDL file made of `body` (output into the scratch folder).
fn run_ndl(name: &str, body: &str) -> Run {
    let dir = scratch(name);
    std::fs::write(dir.join("net.ndl"), ndl(body)).expect("write");
    let r = nmc(&dir, &["run", "net.ndl", "--quiet"]);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

fn assert_numerical_fault(r: &Run) {
    assert_sane(r);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stderr.contains("cell 0, section `soma`") && r.stderr.contains("numerically unstable"),
        "{}",
        r.stderr
    );
}

#[test]
fn non_finite_voltages_stop_the_run() {
    let out = "output { dir = \"out\" }";
    assert_numerical_fault(&run_ndl(
        "vinit",
        &format!(
            "population E = 1 of C\nrun {{ tstop = 10 ms; dt = 0.025 ms; v_init = 1e308 mV }}\n{out}"
        ),
    ));
    // tau1 = tau2 = 0 or a negative tau: outside Exp2Syn's declared
    // limits <1e-9, 1e9>, refused before the run.
    for (t1, t2) in [("0", "0"), ("-1", "3")] {
        let r = run_ndl(
            "tau0",
            &format!(
                "population E = 1 of C\nsynapse z = Exp2Syn {{ tau1 = {t1} ms; tau2 = {t2} ms; e = 0 mV }}\ninput bg = spikes [1, 2, 3] ms\nconnect bg -> E {{ synapse = z; weight = 1 nS; delay = 1 ms; on = soma(0.5) }}\n{RUN}\n{out}"
            ),
        );
        assert_diagnosed(&r, "E1304");
        assert!(
            r.stderr.contains("`tau1` of `Exp2Syn` is")
                && r.stderr.contains("outside its declared range <1e-9, 1e9>"),
            "{}",
            r.stderr
        );
    }
    let dir = scratch("tinyL");
    let text =
        ndl(&format!("population E = 1 of C\n{RUN}\n{out}")).replace("L = 20 um", "L = 1e-300 um");
    std::fs::write(dir.join("net.ndl"), text).expect("write");
    let r = nmc(&dir, &["run", "net.ndl", "--quiet"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_numerical_fault(&r);
}

#[test]
fn steps_at_the_step_guard_are_checked_against_memory() {
    let r = run_ndl(
        "steps",
        "population E = 1 of C\nrun { tstop = 2.5e8 ms; dt = 0.025 ms }\noutput { dir = \"out\" }",
    );
    assert_sane(&r);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("would need about"), "{}", r.stderr);
}

// ------------------------------------------------------ misleading messages

#[test]
fn population_count_with_a_fraction() {
    let r = check_ndl("frac", &format!("population E = 1.5 of C\n{RUN}"));
    assert_diagnosed(&r, "E1101");
    assert!(
        r.stderr.contains("whole number, found `1.5`"),
        "{}",
        r.stderr
    );
}

fn sonata_error(name: &str, edit: impl FnOnce(&mut serde_json::Value), want: &str) {
    let dir = sonata_copy(name, edit);
    let r = sonata_run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_sane(&r);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains(want), "expected `{want}`:\n{}", r.stderr);
}

#[test]
fn sonata_config_wrong_types_and_values() {
    sonata_error(
        "inputs",
        |j| j["inputs"] = serde_json::json!([1, 2]),
        "`inputs` must be an object",
    );
    sonata_error(
        "outdir",
        |j| j["output"]["output_dir"] = 7.into(),
        "`output.output_dir` must be a text",
    );
    sonata_error("array", |j| *j = serde_json::json!([1]), "not an array");
    sonata_error(
        "tstop",
        |j| j["run"]["tstart"] = 10.0.into(),
        "must be later than `run.tstart`",
    );
    sonata_error(
        "empty",
        |j| j["output"]["spikes_file"] = "".into(),
        "`output.spikes_file` is empty",
    );
}

#[test]
fn sonata_manifest_expanding_exponentially() {
    sonata_error(
        "manifest",
        |j| {
            let mut m = serde_json::Map::new();
            m.insert("$BASE_DIR".into(), "${configdir}".into());
            m.insert("$OUTPUT_DIR".into(), "$BASE_DIR/output".into());
            m.insert("$V0".into(), "ab".into());
            for k in 1..34 {
                m.insert(format!("$V{k}"), format!("$V{0}$V{0}", k - 1).into());
            }
            j["manifest"] = serde_json::Value::Object(m);
        },
        "expands to more than",
    );
}

#[test]
fn sonata_config_folder_with_a_dollar() {
    let dir = sonata_copy("dollar", |_| {});
    let odd = dir.join("a$b");
    copy_dir(&dir.join("network"), &odd.join("network"));
    for f in [
        "circuit_config.json",
        "simulation_config.json",
        "node_sets.json",
    ] {
        let _ = std::fs::copy(dir.join(f), odd.join(f));
    }
    copy_dir(&dir.join("components"), &odd.join("components"));
    copy_dir(&dir.join("input"), &odd.join("input"));
    let r = sonata_run(&odd);
    let _ = std::fs::remove_dir_all(&dir);
    assert_sane(&r);
    assert!(!r.stderr.contains("circular"), "{}", r.stderr);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

// ------------------------------------------------------------- edge files

/// One edge of the ball-and-stick example's `input` population to cell 0,
/// written over `network/input_cells_edges.h5` in a copy: `source` as the
/// source node id column (float64 when `float_ids`), and group 0 holding
/// `columns`.
fn edge_case(name: &str, source: f64, float_ids: bool, columns: &[(&str, f64)]) -> Run {
    let dir = sonata_copy(name, |_| {});
    let path = dir.join("network/input_cells_edges.h5");
    {
        let f = hdf5::File::create(&path).expect("create h5");
        let g = f.create_group("edges/input_to_cells").expect("group");
        let population = |ds: &hdf5::Dataset, pop: &str| {
            let v: hdf5::types::VarLenUnicode = pop.parse().expect("text");
            ds.new_attr::<hdf5::types::VarLenUnicode>()
                .create("node_population")
                .expect("attr")
                .write_scalar(&v)
                .expect("write attr");
        };
        let src = if float_ids {
            g.new_dataset_builder()
                .with_data(&[source])
                .create("source_node_id")
        } else {
            g.new_dataset_builder()
                .with_data(&[source as i64])
                .create("source_node_id")
        }
        .expect("sources");
        population(&src, "input");
        let trg = g
            .new_dataset_builder()
            .with_data(&[0i64])
            .create("target_node_id")
            .expect("targets");
        population(&trg, "cells");
        for (col, v) in [
            ("edge_type_id", 100i64),
            ("edge_group_id", 0),
            ("edge_group_index", 0),
        ] {
            g.new_dataset_builder()
                .with_data(&[v])
                .create(col)
                .expect("column");
        }
        let g0 = g.create_group("0").expect("group 0");
        for (col, v) in columns {
            g0.new_dataset_builder()
                .with_data(&[*v])
                .create(*col)
                .expect("group column");
        }
    }
    let r = sonata_run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

#[test]
fn edge_with_a_billion_synapses() {
    let r = edge_case("nsyns", 0.0, false, &[("nsyns", 1e9)]);
    assert_diagnosed(&r, "E1502");
    assert!(r.stderr.contains("nsyns is 1000000000"), "{}", r.stderr);
}

#[test]
fn nan_delay_or_weight_in_an_edge_group() {
    for col in ["delay", "syn_weight"] {
        let r = edge_case(col, 0.0, false, &[("nsyns", 1.0), (col, f64::NAN)]);
        assert_diagnosed(&r, "E1502");
        assert!(
            r.stderr
                .contains(&format!("/edges/input_to_cells/0/{col} row 0")),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("input_cells_edges.h5"), "{}", r.stderr);
    }
}

#[test]
fn float_node_ids_in_an_edge_file() {
    let r = edge_case("float", 0.7, true, &[("nsyns", 1.0)]);
    assert_diagnosed(&r, "E1502");
    assert!(r.stderr.contains("floating-point"), "{}", r.stderr);
}

#[test]
fn edge_from_a_virtual_node_that_does_not_exist() {
    let r = edge_case("ghost", 99_999.0, false, &[("nsyns", 1.0)]);
    assert_diagnosed(&r, "E1502");
    assert!(
        r.stderr
            .contains("node 99999 of virtual population `input` does not exist"),
        "{}",
        r.stderr
    );
    // The same file with an existing node runs.
    let r = edge_case("real", 0.0, false, &[("nsyns", 1.0)]);
    assert_sane(&r);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

// ---------------------------------------------------- byte order marks

/// `text` with a UTF-8 byte order mark in front.
fn with_bom(text: &[u8]) -> Vec<u8> {
    let mut b = b"\xef\xbb\xbf".to_vec();
    b.extend_from_slice(text);
    b
}

#[test]
fn type_csvs_and_configs_with_a_byte_order_mark_read_as_without() {
    let dir = sonata_copy("bom", |_| {});
    let mut files = vec![
        dir.join("simulation_config.json"),
        dir.join("circuit_config.json"),
    ];
    for e in std::fs::read_dir(dir.join("network"))
        .expect("network")
        .flatten()
    {
        if e.path().extension().is_some_and(|x| x == "csv") {
            files.push(e.path());
        }
    }
    assert!(files.len() >= 6, "{files:?}");
    for f in &files {
        let text = std::fs::read(f).expect("read");
        std::fs::write(f, with_bom(&text)).expect("write");
    }
    let r = sonata_run(&dir);
    let spikes = dir.join("output/spikes.h5").exists();
    let _ = std::fs::remove_dir_all(&dir);
    assert_sane(&r);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(spikes, "the run wrote no spikes");
}

#[test]
fn ndl_and_nmodl_files_with_a_byte_order_mark_check_clean() {
    let dir = scratch("bom-src");
    std::fs::create_dir_all(dir.join("mods")).expect("mods");
    let leak = "NEURON { SUFFIX leakb NONSPECIFIC_CURRENT i RANGE g, e }\nPARAMETER { g = 0.001 (S/cm2) e = -70 (mV) }\nASSIGNED { v (mV) i (mA/cm2) }\nBREAKPOINT { i = g*(v - e) }\n";
    std::fs::write(dir.join("mods/leakb.mod"), with_bom(leak.as_bytes())).expect("mod");
    let net = "network t\nmechanisms \"mods\"\ncell C {\n  section soma { L = 20 um; diam = 20 um }\n  insert leakb { }\n}\npopulation E = 1 of C\nrun { tstop = 1 ms }\n";
    std::fs::write(dir.join("net.ndl"), with_bom(net.as_bytes())).expect("ndl");
    let r = nmc(&dir, &["check", "net.ndl", "mods/leakb.mod"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_sane(&r);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

// ------------------------------------------------ wrongly typed config keys

#[test]
fn network_files_at_the_top_level_or_of_the_wrong_type() {
    sonata_error(
        "edges-x",
        |j| j["edges"] = "x".into(),
        "`edges` at the top level is not read (it is a text: `\"x\"`)",
    );
    sonata_error(
        "nodes-top",
        |j| j["nodes"] = serde_json::json!([{ "nodes_file": "n.h5" }]),
        "the circuit lists its nodes in `networks.nodes`",
    );
    sonata_error(
        "input-file",
        |j| {
            let inputs = j["inputs"].as_object_mut().expect("inputs");
            let first = inputs.keys().next().cloned().expect("an input");
            inputs[&first]["input_file"] = 3.into();
        },
        ".input_file` must be a text, but is a number (`3`)",
    );
    // The same slips in the circuit config name that file.
    let dir = sonata_copy("circuit-edges", |_| {});
    let path = dir.join("circuit_config.json");
    let text = std::fs::read_to_string(&path).expect("circuit");
    let mut json: serde_json::Value = serde_json::from_str(&text).expect("json");
    json["edges"] = "x".into();
    std::fs::write(&path, json.to_string()).expect("write");
    let r = sonata_run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_diagnosed(&r, "E1502");
    assert!(
        r.stderr.contains("circuit_config.json") && r.stderr.contains("`edges` at the top level"),
        "{}",
        r.stderr
    );
    let dir = sonata_copy("circuit-entry", |_| {});
    let mut json: serde_json::Value = serde_json::from_str(&text).expect("json");
    json["networks"]["edges"][0]["edges_file"] = serde_json::json!(["a.h5"]);
    std::fs::write(dir.join("circuit_config.json"), json.to_string()).expect("write");
    let r = sonata_run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_diagnosed(&r, "E1502");
    assert!(
        r.stderr
            .contains("`networks.edges[0].edges_file` must be a text, but is an array"),
        "{}",
        r.stderr
    );
}

// ------------------------------------------- HDF5 columns that cannot be read

/// Adds a dataset made by `make` to group `0` of every population of the
/// nodes file `file`.
fn add_to_node_groups(file: &Path, make: impl Fn(&hdf5::Group)) {
    let f = hdf5::File::open_rw(file).expect("open nodes");
    let nodes = f.group("nodes").expect("/nodes");
    for name in nodes.member_names().expect("populations") {
        let g = nodes
            .group(&format!("{name}/0"))
            .expect("group 0 of a population");
        make(&g);
    }
}

#[test]
fn a_node_column_that_cannot_be_read_is_an_error_naming_it() {
    // A numeric column declaring 10^11 rows in a file of a few kilobytes.
    let dir = sonata_copy("col-huge", |_| {});
    add_to_node_groups(&dir.join("network/cells_nodes.h5"), |g| {
        g.new_dataset::<f64>()
            .chunk(1024)
            .shape(100_000_000_000usize)
            .create("huge")
            .expect("dataset");
    });
    let r = sonata_run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_diagnosed(&r, "E1501");
    assert!(
        r.stderr.contains("cells_nodes.h5") && r.stderr.contains("/0/huge"),
        "{}",
        r.stderr
    );
    // A positions table that is not n x 3.
    let dir = sonata_copy("col-pos", |_| {});
    add_to_node_groups(&dir.join("network/cells_nodes.h5"), |g| {
        if g.link_exists("positions") {
            let _ = g.unlink("positions");
        }
        g.new_dataset_builder()
            .with_data(&[1.0f64, 2.0, 3.0, 4.0])
            .create("positions")
            .expect("positions");
    });
    let r = sonata_run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_diagnosed(&r, "E1502");
    assert!(
        r.stderr.contains("cells_nodes.h5") && r.stderr.contains("positions are a table"),
        "{}",
        r.stderr
    );
}

// ------------------------------------------------------------ use cycles

#[test]
fn use_cycles_name_every_file_and_line() {
    let dir = scratch("use-cycle");
    std::fs::create_dir_all(dir.join("sub")).expect("sub");
    let net = ndl("use \"sub/a.ndl\"\npopulation E = 1 of A\nrun { tstop = 1 ms }");
    std::fs::write(dir.join("net.ndl"), net).expect("net");
    std::fs::write(
        dir.join("sub/a.ndl"),
        "// a\nuse \"b.ndl\"\ncell A {\n  section soma { L = 10 um; diam = 10 um }\n}\n",
    )
    .expect("a");
    std::fs::write(
        dir.join("sub/b.ndl"),
        "\n\nuse \"../net.ndl\"\ncell B {\n  section soma { L = 10 um; diam = 10 um }\n}\n",
    )
    .expect("b");
    let r = nmc(&dir, &["check", "net.ndl"]);
    assert_diagnosed(&r, "E1008");
    assert!(
        r.stderr.contains(
            "`use` cycle: net.ndl:8 uses `\"sub/a.ndl\"`, sub/a.ndl:2 uses `\"b.ndl\"`, sub/b.ndl:3 uses `\"../net.ndl\"`"
        ),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("defined twice"), "{}", r.stderr);
    // A file that uses itself; and one used twice (not a cycle) is read once.
    std::fs::write(
        dir.join("sub/a.ndl"),
        "use \"a.ndl\"\ncell A {\n  section soma { L = 10 um; diam = 10 um }\n}\n",
    )
    .expect("a");
    let r = nmc(&dir, &["check", "net.ndl"]);
    assert_diagnosed(&r, "E1008");
    assert!(
        r.stderr
            .contains("`use` cycle: sub/a.ndl:1 uses `\"a.ndl\"`"),
        "{}",
        r.stderr
    );
    std::fs::write(
        dir.join("sub/a.ndl"),
        "use \"b.ndl\"\ncell A {\n  section soma { L = 10 um; diam = 10 um }\n}\n",
    )
    .expect("a");
    std::fs::write(
        dir.join("sub/b.ndl"),
        "cell B {\n  section soma { L = 10 um; diam = 10 um }\n}\n",
    )
    .expect("b");
    let net = ndl(
        "use \"sub/a.ndl\"\nuse \"sub/b.ndl\"\nuse \"sub/a.ndl\"\npopulation E = 1 of A\npopulation F = 1 of B\nrun { tstop = 1 ms }",
    );
    std::fs::write(dir.join("net.ndl"), net).expect("net");
    let r = nmc(&dir, &["check", "net.ndl"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

// ------------------------------------- memory of the whole run, checked first

#[test]
fn cells_are_counted_with_their_simulation_before_anything_is_built() {
    // A million one-compartment cells take about 0.5 GB to build and
    // 1.6 GB to run: `check` refuses them under the 1 GiB limit, as `run`
    // does, instead of building a network the run could not hold.
    let r = check_ndl("million", &format!("population E = 1000000 of C\n{RUN}"));
    assert_diagnosed(&r, "E1306");
    assert!(
        r.stderr
            .contains("1000000 cells of `C` (built and simulated) would need about"),
        "{}",
        r.stderr
    );
    let r = run_ndl(
        "million-run",
        &format!("population E = 1000000 of C\n{RUN}\noutput {{ dir = \"out\" }}"),
    );
    assert_diagnosed(&r, "E1306");
    // Populations that fit one by one but not together.
    let r = check_ndl(
        "two-pops",
        &format!("population E = 300000 of C\npopulation F = 300000 of C\n{RUN}"),
    );
    assert_diagnosed(&r, "E1306");
    assert!(
        r.stderr.contains("300000 cells of `C`")
            && r.stderr.contains("of that is for what comes before"),
        "{}",
        r.stderr
    );
}

#[test]
fn probability_formulas_over_huge_populations_are_estimated_before_drawing() {
    let r = check_ndl(
        "formula",
        &format!(
            "population E = 100000 of C {{ positions = cuboid(size = 1000 um, min_distance = 1 um) }}\nconnect E -> E {{ rule = probability(0.5 * exp(-distance / 1e6)); synapse = s; weight = 1 nS; delay = 1 ms }}\n{RUN}"
        ),
    );
    assert_diagnosed(&r, "E1306");
    assert!(r.stderr.contains("makes about 4.99"), "{}", r.stderr);
}

// ------------------------------------------------------ stale run outputs

#[test]
fn a_run_first_removes_its_previous_outputs_and_stale_temporary_files() {
    let dir = scratch("stale");
    std::fs::create_dir_all(dir.join("out")).expect("out");
    let stale = [".spikes.h5.tmp999999", ".v.h5.tmp42"];
    for f in stale {
        std::fs::write(dir.join("out").join(f), "half written").expect("stale");
    }
    // Not a temporary file of this run's outputs: kept.
    std::fs::write(dir.join("out/.notes.tmp1"), "mine").expect("other");
    std::fs::write(dir.join("out/spikes.h5"), "the previous run's").expect("old");
    std::fs::write(
        dir.join("net.ndl"),
        ndl(&format!(
            "population E = 1 of C\n{RUN}\noutput {{ dir = \"out\"; spikes = \"spikes.h5\"; report v {{ cells = E; variable = v }} }}"
        )),
    )
    .expect("write");
    let r = nmc(&dir, &["run", "net.ndl", "--quiet"]);
    let left: Vec<bool> = stale
        .iter()
        .map(|f| dir.join("out").join(f).exists())
        .collect();
    let other = dir.join("out/.notes.tmp1").exists();
    let spikes = std::fs::read(dir.join("out/spikes.h5")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert_sane(&r);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(left, vec![false, false], "stale temporary files left");
    assert!(other, "a file that is not this run's was removed");
    assert!(
        spikes.starts_with(b"\x89HDF"),
        "the spike file was not rewritten"
    );
}

#[test]
fn a_run_that_stops_early_writes_no_outputs() {
    let dir = scratch("early");
    std::fs::create_dir_all(dir.join("out")).expect("out");
    std::fs::write(dir.join("out/spikes.h5"), "the previous run's").expect("old");
    std::fs::write(
        dir.join("net.ndl"),
        ndl("population E = 1 of C\nrun { tstop = 10 ms; dt = 0.025 ms; v_init = 1e308 mV }\noutput { dir = \"out\"; report v { cells = E; variable = v } }"),
    )
    .expect("write");
    let r = nmc(&dir, &["run", "net.ndl", "--quiet"]);
    let left: Vec<String> = std::fs::read_dir(dir.join("out"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert_numerical_fault(&r);
    assert!(r.stderr.contains("no outputs were written"), "{}", r.stderr);
    assert!(left.is_empty(), "files left: {left:?}");
}

#[test]
fn input_spikes_of_a_virtual_node_that_does_not_exist() {
    let dir = sonata_copy("ghost-spikes", |_| {});
    {
        let f = hdf5::File::create(dir.join("input/poisson.h5")).expect("create");
        let g = f.create_group("spikes/input").expect("group");
        g.new_dataset_builder()
            .with_data(&[1.0f64, 2.0])
            .create("timestamps")
            .expect("timestamps");
        g.new_dataset_builder()
            .with_data(&[0i64, 4_294_967_296])
            .create("node_ids")
            .expect("ids");
    }
    let r = sonata_run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_diagnosed(&r, "E1502");
    assert!(
        r.stderr
            .contains("spikes of node 4294967296 of virtual population `input`"),
        "{}",
        r.stderr
    );
}

#[test]
fn fractional_or_negative_group_indexes_and_float_ids_are_refused() {
    // Float node type ids in a nodes file, float node ids in a spike file.
    let dir = sonata_copy("float-type", |_| {});
    {
        let f = hdf5::File::open_rw(dir.join("network/input_nodes.h5")).expect("open");
        let g = f.group("nodes/input").expect("group");
        let n = g.dataset("node_type_id").expect("ds").size();
        g.unlink("node_type_id").expect("unlink");
        g.new_dataset_builder()
            .with_data(&vec![100.5f64; n])
            .create("node_type_id")
            .expect("float types");
    }
    let r = sonata_run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_diagnosed(&r, "E1502");
    assert!(r.stderr.contains("floating-point"), "{}", r.stderr);
    // A negative edge group index.
    let dir = sonata_copy("neg-gix", |_| {});
    {
        let f = hdf5::File::open_rw(dir.join("network/cells_cells_edges.h5")).expect("open");
        let g = f.group("edges/cells_to_cells").expect("group");
        let n = g.dataset("edge_group_index").expect("ds").size();
        g.unlink("edge_group_index").expect("unlink");
        let mut v = vec![0i64; n];
        v[n / 2] = -1;
        g.new_dataset_builder()
            .with_data(&v)
            .create("edge_group_index")
            .expect("indexes");
    }
    let r = sonata_run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_diagnosed(&r, "E1502");
    assert!(r.stderr.contains("is negative"), "{}", r.stderr);
    // A group column shorter than the group's rows.
    let dir = sonata_copy("short-col", |_| {});
    {
        let f = hdf5::File::open_rw(dir.join("network/cells_cells_edges.h5")).expect("open");
        let g = f.group("edges/cells_to_cells/0").expect("group");
        let mut v: Vec<u32> = g.dataset("nsyns").expect("ds").read_raw().expect("read");
        v.pop();
        g.unlink("nsyns").expect("unlink");
        g.new_dataset_builder()
            .with_data(&v)
            .create("nsyns")
            .expect("nsyns");
    }
    let r = sonata_run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_diagnosed(&r, "E1502");
    assert!(r.stderr.contains("is not a row of group 0"), "{}", r.stderr);
    // Float node ids in a spike file given to `nmc analyze`.
    let dir = scratch("float-spike-ids");
    {
        let f = hdf5::File::create(dir.join("spikes.h5")).expect("create");
        let g = f.create_group("spikes/E").expect("group");
        g.new_dataset_builder()
            .with_data(&[1.0f64, 2.0])
            .create("timestamps")
            .expect("timestamps");
        g.new_dataset_builder()
            .with_data(&[0.0f64, 1.5])
            .create("node_ids")
            .expect("ids");
    }
    let r = nmc(&dir, &["analyze", "spikes.h5", "-o", "out"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_diagnosed(&r, "E1901");
    assert!(r.stderr.contains("floating-point"), "{}", r.stderr);
}

#[test]
fn negative_or_nan_delay_and_weight_of_an_edge_type_name_file_type_and_value() {
    for (from, to, want) in [
        (
            " 1.5 inh.json",
            " -1.5 inh.json",
            "edge type 100: `delay` is -1.5 (for edge",
        ),
        (
            " 1.5 inh.json",
            " nan inh.json",
            "edge type 100: `delay` is NaN (for edge",
        ),
        (
            "exp2syn 0.02",
            "exp2syn inf",
            "edge type 100: `syn_weight` is inf (for edge",
        ),
    ] {
        let dir = sonata_copy("edge-type-values", |_| {});
        let csv = dir.join("network/cells_cells_edge_types.csv");
        let text = std::fs::read_to_string(&csv).expect("csv");
        assert!(text.contains(from), "{text}");
        std::fs::write(&csv, text.replacen(from, to, 1)).expect("write");
        let r = sonata_run(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        assert_diagnosed(&r, "E1502");
        assert!(
            r.stderr.contains(want) && r.stderr.contains("cells_cells_edge_types.csv"),
            "expected `{want}`:\n{}",
            r.stderr
        );
    }
}

#[test]
fn sonata_synapse_parameters_outside_their_declared_limits() {
    let dir = sonata_copy("limits", |_| {});
    let json = dir.join("components/synaptic_models/inh.json");
    let text = std::fs::read_to_string(&json).expect("inh.json");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["tau1"] = serde_json::json!(0.0);
    std::fs::write(&json, v.to_string()).expect("write");
    let r = sonata_run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_diagnosed(&r, "E1502");
    assert!(
        r.stderr
            .contains("`inh.json` (edge type 100): `tau1` of `Exp2Syn` is 0, outside its declared range <1e-9, 1e9>"),
        "{}",
        r.stderr
    );
}
