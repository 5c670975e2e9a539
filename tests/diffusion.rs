//! LONGITUDINAL_DIFFUSION couples neighbouring segments in NEURON; nmc
//! does not, so a run with such a mechanism in neighbouring segments is
//! refused with `E0804` (`tests/diffusion/`: `cadiff` in a soma and a
//! three-segment dendrite, in a soma and a one-segment dendrite), while
//! one holding segment per cell runs (NEURON couples nothing then).

use std::path::Path;
use std::process::{Command, Output};

fn run(ndl: &str) -> (Output, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!(
        "nmc_diffusion_{}_{}",
        ndl.replace('.', "_"),
        std::process::id()
    ));
    let o = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["run", "--color", "never", "--quiet"])
        .arg(root.join("tests/diffusion").join(ndl))
        .arg("-o")
        .arg(&out)
        .output()
        .expect("nmc runs");
    let _ = std::fs::remove_dir_all(&out);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    (o, err)
}

#[test]
fn diffusion_within_a_section_is_refused() {
    let (o, err) = run("cable.ndl");
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("error[E0804]: mechanism `cadiff` (`")
            && err.contains("diffuses `cai` between segments (LONGITUDINAL_DIFFUSION), which nmc does not simulate: cell 0 (gid 0) holds it in neighbouring segments (section `dend` has 3 segments)"),
        "{err}"
    );
}

#[test]
fn diffusion_between_touching_sections_is_refused() {
    let (o, err) = run("pair.ndl");
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("(sections `soma` and `dend`, which touch, both have it)"),
        "{err}"
    );
    assert!(err.contains("E0804"), "{err}");
}

#[test]
fn one_holding_segment_runs() {
    let (o, err) = run("soma_only.ndl");
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("E0804"), "{err}");
}
