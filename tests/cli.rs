//! The `nmc` binary as a user runs it: exit codes, summary line, JSON output.

mod common;

use std::process::Command;

fn nmc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nmc"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env("NO_COLOR", "1");
    c
}

fn mod_files(dir: &str) -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut v: Vec<String> = std::fs::read_dir(root.join(dir))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "mod"))
                .map(|p| {
                    format!(
                        "{dir}/{}",
                        p.file_name().unwrap_or_default().to_string_lossy()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn models_check_clean_with_one_summary_line() {
    let mut files = mod_files("models");
    files.extend(mod_files("builtins"));
    assert!(
        files.len() >= 20,
        "expected the project's models and built-ins, found {}",
        files.len()
    );
    let out = nmc().arg("check").args(&files).output().expect("run nmc");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "stderr:\n{stderr}");
    assert!(stderr.contains("0 errors, 0 warnings"), "{stderr}");
}

#[test]
fn corpus_checks_clean() {
    let files = mod_files("tests/corpus");
    assert!(
        files.len() >= 30,
        "expected at least 30 corpus files, found {}",
        files.len()
    );
    let out = nmc().arg("check").args(&files).output().expect("run nmc");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(stderr.contains("0 errors, 0 warnings"), "{stderr}");
}

#[test]
fn scalar_state_in_indexed_compartment_compiles_with_w0602() {
    let out = nmc()
        .args(["compile", "tests/corpus/kinetic_indexed_compartment.mod"])
        .output()
        .expect("run nmc");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    assert_eq!(stderr.matches("warning[W0602]").count(), 1, "{stderr}");
    assert!(stderr.contains("44:31"), "{stderr}");
    assert!(stderr.contains("0 errors, 1 warning"), "{stderr}");
}

#[test]
fn missing_file_is_an_error_not_a_crash() {
    let out = nmc()
        .args(["check", "does/not/exist.mod"])
        .output()
        .expect("run nmc");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("E0001"));
}

#[test]
fn usage_error_exits_2() {
    let out = nmc().args(["check"]).output().expect("run nmc");
    assert_eq!(out.status.code(), Some(2));
    let out = nmc().args(["frobnicate"]).output().expect("run nmc");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn three_problems_three_diagnostics_human_and_json() {
    let file = "tests/diagnostics/three_problems.mod";
    let out = nmc().args(["check", file]).output().expect("run nmc");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Each diagnostic has a code in brackets, a file:line:col locator and a help line.
    let headers = stderr
        .lines()
        .filter(|l| l.starts_with("error[") || l.starts_with("warning["))
        .count();
    assert_eq!(headers, 3, "{stderr}");
    assert_eq!(stderr.matches(&format!("{file}:")).count(), 3, "{stderr}");
    assert_eq!(stderr.matches("= help:").count(), 3, "{stderr}");
    assert!(stderr.contains('^'), "{stderr}");

    let out = nmc()
        .args(["check", "--format", "json", file])
        .output()
        .expect("run nmc");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let objs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(objs.len(), 3, "{stdout}");
    for o in &objs {
        for key in [
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "severity",
            "code",
            "message",
            "help",
        ] {
            assert!(!o[key].is_null(), "{key} missing in {o}");
        }
    }
}

/// A config path given relative to the working directory resolves once (not
/// twice through `${configdir}`), and without the circuit's templates and
/// mechanisms folders the error says how to point nmc at the project's own.
#[test]
fn relative_sonata_config_path_and_missing_mechanisms_help() {
    // `<tmp>/seed`: the seed circuit without components/templates and
    // models/; nmc runs in `<tmp>/work` on `../seed/simulation_config.json`.
    let tmp = std::env::temp_dir().join(format!("nmc_cli_relative_{}", std::process::id()));
    common::copy_seed(&tmp.join("seed"), false);
    std::fs::create_dir_all(tmp.join("work")).expect("mkdir");
    let out = nmc()
        .current_dir(tmp.join("work"))
        .args(["run", "../seed/simulation_config.json"])
        .output()
        .expect("run nmc");
    let _ = std::fs::remove_dir_all(&tmp);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("seed/models"), "{stderr}");
    assert!(!stderr.contains("seed/../seed"), "{stderr}");
    assert!(stderr.contains("mechanisms_dir"), "{stderr}");
    assert!(
        stderr.contains("--templates components/templates --mechanisms models"),
        "{stderr}"
    );
}

/// The README's quick start: in the repository, `nmc run
/// simulation_config.json` with no other flag runs the seed network BMTK
/// built, and `nmc compare` finds NEURON's spikes in every population
/// (100% matched at tolerance 0, same rates).
#[test]
fn seed_network_runs_with_no_flag_and_compares_equal_to_neuron() {
    let out_dir = std::env::temp_dir().join(format!("nmc_cli_seed_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out_dir);
    let config = common::seed_config();
    let run = nmc()
        .arg("run")
        .arg(&config)
        .arg("-o")
        .arg(&out_dir)
        .output()
        .expect("run nmc");
    let stderr = String::from_utf8_lossy(&run.stderr);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let summary = format!("{stdout}{stderr}");
    assert!(
        summary.contains("300 cells, 85200 connections, 1000 ms in steps of 0.1 ms"),
        "{summary}"
    );
    for row in [
        "PV                   50      500  10.00 Hz",
        "SOM                  50      500  10.00 Hz",
        "Exc                 200     4402  22.01 Hz",
    ] {
        assert!(summary.contains(row), "{row}: {summary}");
    }
    let cmp = nmc()
        .arg("compare")
        .arg(out_dir.join("spikes.h5"))
        .arg(common::seed_neuron_spikes())
        .arg("--config")
        .arg(&config)
        .args(["--tolerance", "0"])
        .output()
        .expect("run nmc compare");
    let _ = std::fs::remove_dir_all(&out_dir);
    let text = String::from_utf8_lossy(&cmp.stdout);
    assert_eq!(
        cmp.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&cmp.stderr)
    );
    for pop in ["Exc", "PV", "SOM"] {
        let row = text
            .lines()
            .find(|l| l.trim_start().starts_with(pop) && l.contains('%'))
            .unwrap_or_else(|| panic!("no {pop} row: {text}"));
        assert!(
            row.contains("+0.000 Hz") && row.ends_with("100.00%"),
            "{pop}: {text}"
        );
    }
}

#[test]
fn check_reads_hoc_templates() {
    let out = nmc()
        .args(["check", "tests/hoc/cells.hoc"])
        .output()
        .expect("run nmc");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("checked 1 file: 0 errors"), "{err}");
    let out = nmc()
        .args([
            "check",
            "tests/hoc/errors/unknown_names.hoc",
            "--format",
            "json",
        ])
        .output()
        .expect("run nmc");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\"code\":\"E1605\"") && text.contains("\"line\":5"),
        "{text}"
    );
}

#[test]
fn list_builtins_prints_every_builtin_in_neuron_order() {
    let out = nmc()
        .args(["compile", "--list-builtins"])
        .output()
        .expect("run nmc");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .filter(|l| !l.ends_with("built-in mechanisms"))
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    let names: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(
        names,
        [
            "pas",
            "IClamp",
            "IClampPlay",
            "AlphaSynapse",
            "ExpSyn",
            "Exp2Syn",
            "SEClamp",
            "hh",
            "NetStim",
            "IntFire1",
            "IntFire2",
            "IntFire4",
            "VecStim"
        ]
    );
    let row = |n: &str| rows.iter().find(|r| r[0] == n).cloned().unwrap_or_default();
    assert_eq!(row("hh"), ["hh", "density", "builtins/hh.mod"]);
    assert_eq!(
        row("SEClamp"),
        ["SEClamp", "point process", "builtins/SEClamp.mod"]
    );
    assert_eq!(
        row("IntFire4"),
        ["IntFire4", "artificial cell", "builtins/IntFire4.mod"]
    );
    assert!(text.ends_with("13 built-in mechanisms\n"), "{text}");
    // The list takes no files.
    let bad = nmc()
        .args(["compile", "--list-builtins", "models/hh.mod"])
        .output()
        .expect("run nmc");
    assert_eq!(bad.status.code(), Some(2));
}

/// The binary carries HDF5 and zlib inside it: it asks the loader for
/// neither (its own NEEDED entries), and without `--features mpi` `ldd`
/// lists the C runtime only. (With MPI, the system's libmpi and what it
/// pulls in are linked dynamically; Open MPI itself needs libz.)
#[test]
fn binary_links_no_hdf5_or_zlib_at_run_time() {
    let bin = env!("CARGO_BIN_EXE_nmc");
    let out = Command::new("objdump")
        .args(["-p", bin])
        .output()
        .expect("objdump runs (binutils, installed with gcc)");
    let headers = String::from_utf8_lossy(&out.stdout);
    let needed: Vec<&str> = headers
        .lines()
        .filter_map(|l| l.trim().strip_prefix("NEEDED"))
        .map(str::trim)
        .collect();
    assert!(needed.iter().any(|n| n.starts_with("libc.so")), "{headers}");
    assert!(
        !needed
            .iter()
            .any(|n| n.contains("hdf5") || n.starts_with("libz.")),
        "HDF5 or zlib linked dynamically: {needed:?}"
    );
    if cfg!(feature = "mpi") {
        return;
    }
    let out = Command::new("ldd")
        .arg(bin)
        .output()
        .expect("ldd runs (Debian's libc-bin)");
    let text = String::from_utf8_lossy(&out.stdout);
    let allowed = [
        "linux-vdso",
        "libc.so",
        "libm.so",
        "libgcc_s.so",
        "ld-linux",
        "libpthread.so",
        "libdl.so",
        "librt.so",
    ];
    let others: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !allowed.iter().any(|a| l.contains(a)))
        .collect();
    assert!(
        others.is_empty(),
        "libraries beyond the C runtime: {others:?}"
    );
    assert!(text.contains("libc.so"), "ldd output: {text}");
}

#[test]
fn explain_prints_the_long_explanation_of_a_code() {
    let out = nmc().args(["explain", "e0201"]).output().expect("run nmc");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("E0201: undefined name\n\n"), "{text}");
    assert!(text.contains("PARAMETER or ASSIGNED"), "{text}");
    // Every code of the registry, one per line.
    let out = nmc().arg("explain").output().expect("run nmc");
    let list = String::from_utf8_lossy(&out.stdout);
    assert_eq!(list.lines().count(), nmc::diag::codes::CODES.len());
    assert!(
        list.lines().any(|l| l.starts_with("W0501  unit mismatch")),
        "{list}"
    );
    // Not a code: usage error.
    let out = nmc().args(["explain", "E9999"]).output().expect("run nmc");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`E9999` is not a diagnostic code"));
}

#[test]
fn completions_are_printed_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef nmc"),
        ("fish", "complete -c nmc"),
    ] {
        let out = nmc()
            .args(["completions", shell])
            .output()
            .expect("run nmc");
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}: {text}");
        // Subcommands and the run options are completed.
        for word in ["explain", "analyze", "synapses", "one-by-one", "libm"] {
            assert!(text.contains(word), "{shell}: no {word}");
        }
    }
}

#[test]
fn man_pages_are_written_for_nmc_and_each_command() {
    let dir = std::env::temp_dir().join(format!("nmc_cli_man_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = nmc().arg("manpages").arg(&dir).output().expect("run nmc");
    assert_eq!(out.status.code(), Some(0));
    let page = std::fs::read_to_string(dir.join("nmc.1")).expect("nmc.1");
    assert!(page.contains(".TH nmc 1"), "{page}");
    let run = std::fs::read_to_string(dir.join("nmc-run.1")).expect("nmc-run.1");
    assert!(
        run.contains("CONFIG|NDL") && run.contains("one\\-by\\-one"),
        "{run}"
    );
    assert!(dir.join("nmc-explain.1").is_file());
    assert!(!dir.join("nmc-manpages.1").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_help_names_both_inputs_and_one_pair_of_exactness_options() {
    let out = nmc().args(["run", "--help"]).output().expect("run nmc");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("<CONFIG|NDL>"), "{help}");
    assert!(
        help.contains("--synapses <HOW>") && help.contains("--exp <WHICH>"),
        "{help}"
    );
    // The old spellings still work but are not offered.
    assert!(
        !help.contains("--exact") && !help.contains("--math"),
        "{help}"
    );
}

/// The old spellings (`--exact`, `--math exact|fast`) give the same run as
/// the new ones: the same spikes, bit for bit.
#[test]
fn old_and_new_spellings_of_the_run_options_agree() {
    let base = std::env::temp_dir().join(format!("nmc_cli_spell_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let runs: [(&str, &[&str]); 4] = [
        ("new_exact", &["--synapses", "one-by-one", "--exp", "libm"]),
        ("old_exact", &["--exact", "--math", "exact"]),
        ("new_fast", &["--exp", "fast"]),
        ("old_fast", &["--math=fast"]),
    ];
    let mut files = Vec::new();
    let mut bytes = Vec::new();
    for (tag, args) in runs {
        let dir = base.join(tag);
        let out = nmc()
            .args(["run", "examples/bmtk_test_net/network.ndl", "--quiet", "-o"])
            .arg(&dir)
            .args(args)
            .output()
            .expect("run nmc");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cols = nmc::analyze::data::read_columns(&dir.join("spikes.h5")).expect("spikes");
        let spikes: Vec<(String, u64, u64)> = cols
            .iter()
            .flat_map(|c| {
                c.node_ids
                    .iter()
                    .zip(&c.times)
                    .map(|(n, t)| (c.population.clone(), *n, t.to_bits()))
            })
            .collect();
        assert!(spikes.len() > 1000, "{tag}: {} spikes", spikes.len());
        files.push(spikes);
        bytes.push(std::fs::read(dir.join("spikes.h5")).expect("spikes.h5"));
    }
    // The same spikes give the same file, byte for byte (no time stamps).
    assert!(bytes[0] == bytes[1], "spike files of equal runs differ");
    assert!(
        files[0] == files[1],
        "--exact differs from --synapses one-by-one"
    );
    assert!(files[2] == files[3], "--math fast differs from --exp fast");
    // Conflicting spellings are refused.
    let out = nmc()
        .args(["run", "x.ndl", "--exact", "--synapses", "aggregated"])
        .output()
        .expect("run nmc");
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn run_of_a_missing_file_says_nothing_was_run() {
    for file in ["missing.ndl", "missing_config.json"] {
        let out = nmc().args(["run", file]).output().expect("run nmc");
        assert_eq!(out.status.code(), Some(1), "{file}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("error: {file} was not run (1 error, 0 warnings)")),
            "{err}"
        );
        assert!(
            !err.contains("checked 1 file") && !err.contains("loaded 1 file"),
            "{err}"
        );
    }
}
