//! One mistake, one diagnostic: a definition with an error (a cell type, a
//! synapse, a population) is reported once, and its uses do not add
//! "unknown population" or "unknown synapse" errors that are not true.

use nmc::diag::SourceMap;
use std::path::Path;

/// The codes of every diagnostic of `src` (NEURON's built-ins only).
fn codes(src: &str) -> Vec<(&'static str, String)> {
    let mut map = SourceMap::new();
    let checked = nmc::driver::ndl::check_source(
        &mut map,
        "t.ndl",
        src,
        Path::new("."),
        &nmc::driver::ndl::LibraryLoader::new(),
    );
    checked
        .diagnostics
        .iter()
        .map(|d| (d.code, d.message.clone()))
        .collect()
}

const NET: &str = r#"
cell Ball {
  section soma { L = 20 um; diam = DIAM; nseg = 1 }
  insert hh { }
}
population cell = 4 of Ball
synapse exc = SYN { tau1 = 0.5 ms; tau2 = 3 ms; e = 0 mV }
stimulus iclamp at cell[0].soma(0.5) { del = 5 ms; dur = 50 ms; amp = 0.3 nA }
connect cell -> cell { synapse = exc; weight = 0.001 uS; delay = 1 ms; on = soma(0.5) }
run { tstop = 50 ms; dt = 0.025 ms }
output { dir = "out"; report v { cells = cell; sections = soma; variable = v } }
"#;

fn net(diam: &str, syn: &str) -> String {
    NET.replace("DIAM", diam).replace("SYN", syn)
}

#[test]
fn the_valid_network_checks_clean() {
    let d = codes(&net("20 um", "Exp2Syn"));
    assert!(d.iter().all(|(c, _)| c.starts_with('W')), "{d:?}");
}

#[test]
fn a_unit_error_in_a_cell_is_the_only_error() {
    let d = codes(&net("20 ms", "Exp2Syn"));
    let errors: Vec<_> = d.iter().filter(|(c, _)| c.starts_with('E')).collect();
    assert_eq!(errors.len(), 1, "{d:?}");
    assert_eq!(errors[0].0, "E1301", "{d:?}");
}

#[test]
fn an_unknown_synapse_mechanism_is_the_only_error() {
    let d = codes(&net("20 um", "Exp2Sin"));
    let errors: Vec<_> = d.iter().filter(|(c, _)| c.starts_with('E')).collect();
    assert_eq!(errors.len(), 1, "{d:?}");
    assert_eq!(errors[0].0, "E1202", "{d:?}");
}

#[test]
fn a_population_that_does_not_exist_is_still_reported() {
    let src = net("20 um", "Exp2Syn").replace("connect cell -> cell", "connect cell -> cells");
    let d = codes(&src);
    assert!(
        d.iter()
            .any(|(c, m)| *c == "E1204" && m.contains("unknown target `cells`")),
        "{d:?}"
    );
}
