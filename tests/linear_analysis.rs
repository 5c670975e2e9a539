//! The linear-aggregation analysis (`nmc::sim::linear::analyse`) on every
//! mechanism in `models/` and `tests/corpus/`: which may share state across
//! instances, with which group keys, and why the others may not.

use std::path::{Path, PathBuf};

use nmc::diag::SourceMap;
use nmc::driver::pipeline;
use nmc::ir::Mechanism;
use nmc::sim::linear::analyse;

fn mechanisms(dir: &str) -> Vec<(String, Mechanism)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "mod"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let mut map = SourceMap::new();
        let outcome = pipeline::compile_file(&mut map, &f);
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if let Some(m) = outcome.mechanism {
            out.push((name, m));
        }
    }
    out
}

fn verdicts(dir: &str) -> Vec<(String, String)> {
    mechanisms(dir)
        .into_iter()
        .map(|(file, m)| {
            let v = match analyse(&m) {
                Ok(l) => {
                    let keys: Vec<&str> =
                        l.keys.iter().map(|&k| m.fields[k].name.as_str()).collect();
                    format!("yes, keys {}", keys.join(" "))
                }
                Err(why) => format!("no: {why}"),
            };
            (file, v)
        })
        .collect()
}

fn verdict(dir: &str, file: &str) -> String {
    verdicts(dir)
        .into_iter()
        .find(|(f, _)| f == file)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("{dir}/{file} did not compile"))
}

#[test]
fn models_synapses_qualify_with_their_kernel_parameters_as_keys() {
    let mut all = verdicts("models");
    all.extend(verdicts("builtins"));
    assert_eq!(all.len(), 22, "{all:?}");
    let yes: Vec<(&str, &str)> = vec![
        (
            "AMPA_NMDA_STP.mod",
            "yes, keys initW tau_r_AMPA tau_d_AMPA tau_r_NMDA tau_d_NMDA e mg gmax_AMPA gmax_NMDA",
        ),
        ("Exp2Syn.mod", "yes, keys tau1 tau2 e"),
        ("AlphaSynapse.mod", "no: has no STATE"),
        ("Exp2Syn_STP.mod", "yes, keys tau1 tau2 e"),
        ("ExpSyn.mod", "yes, keys tau e"),
        (
            "GABA_A_STP.mod",
            "yes, keys tau_r_GABAA tau_d_GABAA e_GABAA gmax_GABAA",
        ),
    ];
    for (file, v) in &all {
        match yes.iter().find(|y| y.0 == file) {
            Some((_, want)) => assert_eq!(v, want, "{file}"),
            None => assert!(v.starts_with("no: "), "{file}: {v}"),
        }
    }
    // The factor and the plasticity state (u, R, tsyn) are per instance
    // and only NET_RECEIVE reads them: they are not keys.
    assert_eq!(verdict("builtins", "IClamp.mod"), "no: has no STATE");
    assert_eq!(verdict("builtins", "IClampPlay.mod"), "no: has no STATE");
    assert_eq!(
        verdict("builtins", "NetStim.mod"),
        "no: not a POINT_PROCESS"
    );
    assert_eq!(verdict("builtins", "hh.mod"), "no: not a POINT_PROCESS");
    assert_eq!(
        verdict("builtins", "PatternStim.mod"),
        "no: not a POINT_PROCESS"
    );
}

#[test]
fn corpus_verdicts() {
    let all = verdicts("tests/corpus");
    let yes: Vec<&str> = all
        .iter()
        .filter(|(_, v)| v.starts_with("yes"))
        .map(|(f, _)| f.as_str())
        .collect();
    // Self-events and net_move keep per-instance state on the instance's
    // own row; an early `return` in NET_RECEIVE is fine.
    assert_eq!(yes, ["net_receive_events.mod", "verbatim_early_return.mod"]);
    assert_eq!(
        verdict("tests/corpus", "watch_self_events.mod"),
        "no: has WATCH conditions"
    );
    assert_eq!(
        verdict("tests/corpus", "gap_junction_pointer.mod"),
        "no: POINTER `vpartner`"
    );
    assert_eq!(
        verdict("tests/corpus", "kinetic_stoichiometry.mod"),
        "no: State kernel: has a loop"
    );
    assert_eq!(
        verdict("tests/corpus", "before_after_blocks.mod"),
        "no: has no STATE"
    );
}

/// A synapse like ExpSyn with `body` spliced in.
fn synapse(breakpoint: &str, derivative: &str, net_receive: &str) -> Result<(), String> {
    let text = format!(
        "NEURON {{ POINT_PROCESS S RANGE tau, e, i, g, w0 NONSPECIFIC_CURRENT i }}
PARAMETER {{ tau = 1 (ms) e = 0 (mV) w0 = 0 }}
ASSIGNED {{ v (mV) i (nA) g (uS) }}
STATE {{ A (uS) B (uS) }}
INITIAL {{ A = 0 B = 0 }}
BREAKPOINT {{ SOLVE s METHOD cnexp {breakpoint} }}
DERIVATIVE s {{ {derivative} }}
NET_RECEIVE(w) {{ {net_receive} }}
"
    );
    let mut map = SourceMap::new();
    let outcome = pipeline::compile_source(&mut map, "s.mod", &text);
    let m = outcome.mechanism.unwrap_or_else(|| panic!("{text}"));
    analyse(&m).map(|_| ()).map_err(|e| e.to_string())
}

#[test]
fn hand_written_synapses_are_judged_by_each_condition() {
    let bp = "g = B - A i = g*(v - e)";
    let de = "A' = -A/tau B' = -B/(2*tau)";
    let nr = "A = A + w B = B + w";
    assert_eq!(synapse(bp, de, nr), Ok(()));
    // (a) an affine update: the sum would miss every member's constant.
    let err = synapse(bp, "A' = (1 - A)/tau B' = -B/tau", nr).unwrap_err();
    assert!(
        err.contains("state `A` is not updated by a linear map"),
        "{err}"
    );
    // (a) coupled linear states are fine.
    assert_eq!(synapse(bp, "A' = -A/tau B' = (A - B)/tau", nr), Ok(()));
    // (b) a current quadratic in the states.
    let err = synapse("g = B*A i = g*(v - e)", de, nr).unwrap_err();
    assert!(err.contains("not linear in the states"), "{err}");
    // (b) a current with a state-free term.
    let err = synapse("g = B - A i = g*(v - e) + w0", de, nr).unwrap_err();
    assert!(err.contains("not linear in the states"), "{err}");
    // (b) a branch on a state.
    let err = synapse("if (B > 0) { g = B } else { g = 0 } i = g*(v - e)", de, nr).unwrap_err();
    assert!(err.contains("condition depends on the states"), "{err}");
    // (b) a branch on v is fine: every instance of a node sees the same v.
    assert_eq!(
        synapse(
            "if (v > -50) { g = B - A } else { g = 2*(B - A) } i = g*(v - e)",
            de,
            nr
        ),
        Ok(())
    );
    // (c) NET_RECEIVE that sets a state instead of adding to it.
    let err = synapse(bp, de, "A = w B = B + w").unwrap_err();
    assert!(
        err.contains("changes state `A` other than by adding"),
        "{err}"
    );
    // (c) an increment that depends on the state.
    let err = synapse(bp, de, "A = A + w*A B = B + w").unwrap_err();
    assert!(err.contains("reads state `A`"), "{err}");
    // (c) NET_RECEIVE reading what the current kernel computes.
    let err = synapse(bp, de, "A = A + w*g B = B + w").unwrap_err();
    assert!(err.contains("reads `g`"), "{err}");
    // A parameter that events change is per instance: not usable in the
    // state or current kernels.
    let err = synapse(
        "g = (B - A)*w0 i = g*(v - e)",
        de,
        "A = A + w B = B + w w0 = w0 + 1",
    )
    .unwrap_err();
    assert!(err.contains("not linear in the states"), "{err}");
}
