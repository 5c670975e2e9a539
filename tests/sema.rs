//! Semantic checks of NMODL: one test per diagnostic code (code and
//! primary line:col), plus files that must come out clean.

use nmc::diag::{Diagnostic, SourceMap};
use nmc::front::nmodl::{parse, sema};

/// Parses and analyses `src`; parse errors fail the test.
fn analyze(src: &str) -> (SourceMap, sema::Analysis) {
    let mut map = SourceMap::new();
    let file = map.add("test.mod", src);
    let (module, parse_diags) = parse::parse(&mut map, file);
    let errors: Vec<_> = parse_diags.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "parse errors: {errors:#?}");
    let Some(module) = module else {
        panic!("no module");
    };
    let analysis = sema::analyze(&module, &map);
    (map, analysis)
}

fn position(map: &SourceMap, d: &Diagnostic) -> (usize, usize) {
    let span = d.primary_span().unwrap_or_default();
    let lc = map.line_col(span.file, span.start as usize);
    (lc.line, lc.column)
}

fn summary(map: &SourceMap, diags: &[Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|d| {
            let (l, c) = position(map, d);
            format!("{} {l}:{c} {}", d.code, d.message)
        })
        .collect()
}

/// Asserts the analysis reports exactly one diagnostic, `code` at `line:col`,
/// with a help line; returns it.
fn expect_one(src: &str, code: &str, line: usize, col: usize) -> Diagnostic {
    let (map, a) = analyze(src);
    let found = summary(&map, &a.diagnostics);
    assert_eq!(
        a.diagnostics.len(),
        1,
        "expected one {code}, got {found:#?}"
    );
    let d = a.diagnostics[0].clone();
    assert_eq!(d.code, code, "{found:#?}");
    assert_eq!(position(&map, &d), (line, col), "{found:#?}");
    assert!(d.help.is_some(), "{code} has no help line");
    d
}

fn expect_clean(src: &str) {
    let (map, a) = analyze(src);
    let found = summary(&map, &a.diagnostics);
    assert!(found.is_empty(), "expected no diagnostics, got {found:#?}");
}

const HH_LIKE: &str = r#"
NEURON {
    SUFFIX kd
    USEION k READ ek WRITE ik
    RANGE gbar, g
}
UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}
PARAMETER {
    gbar = 0.036 (S/cm2)
}
ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    g (S/cm2)
    ninf
    ntau (ms)
}
STATE { n }
BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gbar * n^4
    ik = g * (v - ek)
}
INITIAL {
    rates(v)
    n = ninf
}
DERIVATIVE states {
    rates(v)
    n' = (ninf - n) / ntau
}
PROCEDURE rates(v (mV)) {
    LOCAL a, b
    a = 0.01 * vtrap(-(v + 55), 10)
    b = 0.125 * exp(-(v + 65) / 80)
    ntau = 1 / (a + b)
    ninf = a * ntau
}
FUNCTION vtrap(x, y) {
    if (fabs(x / y) < 1e-6) {
        vtrap = y * (1 - x / y / 2)
    } else {
        vtrap = x / (exp(x / y) - 1)
    }
}
"#;

#[test]
fn clean_channel() {
    expect_clean(HH_LIKE);
}

#[test]
fn clean_point_process_with_net_receive() {
    expect_clean(
        r#"
NEURON {
    POINT_PROCESS Syn
    RANGE tau, e, i
    NONSPECIFIC_CURRENT i
}
PARAMETER { tau = 2 (ms) e = 0 (mV) }
ASSIGNED { v (mV) i (nA) }
STATE { g (uS) }
INITIAL { g = 0 }
BREAKPOINT {
    SOLVE state METHOD cnexp
    i = g * (v - e)
}
DERIVATIVE state { g' = -g / tau }
NET_RECEIVE(weight (uS)) {
    if (flag == 0) {
        g = g + weight
    }
}
"#,
    );
}

#[test]
fn clean_kinetic_and_ions() {
    expect_clean(
        r#"
NEURON {
    SUFFIX cadyn
    USEION ca READ ica WRITE cai
    RANGE depth, taur
}
UNITS { FARADAY = (faraday) (coulomb) }
PARAMETER { depth = 0.1 (um) taur = 200 (ms) cainf = 1e-4 (mM) kf = 1 kb = 1 }
STATE { cai (mM) A B }
BREAKPOINT { SOLVE scheme METHOD sparse }
KINETIC scheme {
    ~ A <-> B (kf, kb)
    ~ cai << (-ica / (2 * FARADAY * depth) * 1e4 + (cainf - cai) / taur)
}
"#,
    );
}

#[test]
fn early_return_verbatim_is_accepted() {
    expect_clean(
        r#"
NEURON { SUFFIX x RANGE a }
ASSIGNED { a }
BREAKPOINT {
    if (t < 0) {
        VERBATIM
        return;
        ENDVERBATIM
    }
    a = 1
}
"#,
    );
}

#[test]
fn e0201_undefined_name_with_suggestion() {
    let src = HH_LIKE.replace("g = gbar * n^4", "g = gbr * n^4");
    let d = expect_one(&src, "E0201", 26, 9);
    assert_eq!(d.help.as_deref(), Some("did you mean `gbar`?"));
}

#[test]
fn e0201_undefined_function() {
    let src = HH_LIKE.replace("rates(v)\n    n = ninf", "rate(v)\n    n = ninf");
    let d = expect_one(&src, "E0201", 30, 5);
    assert_eq!(d.help.as_deref(), Some("did you mean `rates`?"));
}

#[test]
fn e0201_local_out_of_scope() {
    let src = HH_LIKE.replace(
        "ninf = a * ntau",
        "ninf = a * ntau\n}\nPROCEDURE other() {\n    ninf = b",
    );
    let d = expect_one(&src, "E0201", 45, 12);
    assert!(d.message.contains("`b`"));
}

#[test]
fn e0201_flag_outside_net_receive() {
    let src = HH_LIKE.replace("n = ninf\n}", "n = ninf + flag\n}");
    let d = expect_one(&src, "E0201", 31, 16);
    assert_eq!(
        d.help.as_deref(),
        Some("`flag` is only defined inside NET_RECEIVE")
    );
}

#[test]
fn e0202_duplicate_declaration() {
    let src = HH_LIKE.replace("STATE { n }", "STATE { n ninf }");
    let d = expect_one(&src, "E0202", 23, 11);
    assert_eq!(
        d.labels.len(),
        2,
        "secondary label at the first declaration"
    );
}

#[test]
fn e0203_duplicate_local() {
    let src = HH_LIKE.replace("LOCAL a, b", "LOCAL a, b, a");
    expect_one(&src, "E0203", 38, 17);
}

#[test]
fn e0204_assign_constant() {
    let src = HH_LIKE
        .replace("STATE { n }", "CONSTANT { q10 = 3 }\nSTATE { n }")
        .replace("n = ninf\n}", "n = ninf\n    q10 = 2 + n\n}");
    expect_one(&src, "E0204", 33, 5);
}

#[test]
fn w0205_assign_global_parameter_in_breakpoint() {
    let src = HH_LIKE
        .replace("gbar = 0.036 (S/cm2)", "gbar = 0.036 (S/cm2)\n    q = 1")
        .replace("g = gbar * n^4", "q = 2\n    g = gbar * n^4 * q");
    let d = expect_one(&src, "W0205", 27, 5);
    assert!(!d.is_error());
}

#[test]
fn w0204_assign_range_parameter_in_breakpoint() {
    let src = HH_LIKE.replace("g = gbar * n^4", "gbar = 0.1\n    g = gbar * n^4");
    let d = expect_one(&src, "W0204", 26, 5);
    assert!(!d.is_error());
}

#[test]
fn parameter_assigned_in_initial_is_fine() {
    expect_clean(&HH_LIKE.replace("n = ninf\n}", "n = ninf\n    gbar = 0.04\n}"));
}

#[test]
fn e0206_derivative_of_non_state() {
    let src = HH_LIKE.replace(
        "n' = (ninf - n) / ntau",
        "n' = (ninf - n) / ntau\n    ninf' = 0",
    );
    expect_one(&src, "E0206", 36, 5);
}

#[test]
fn e0207_assign_to_procedure() {
    let src = HH_LIKE.replace("n = ninf\n}", "n = ninf\n    rates = 1\n}");
    expect_one(&src, "E0207", 32, 5);
}

#[test]
fn e0209_current_not_declared() {
    let src = HH_LIKE.replace("RANGE gbar, g", "RANGE gbar, g\n    NONSPECIFIC_CURRENT il");
    expect_one(&src, "E0209", 6, 25);
}

#[test]
fn e0210_function_as_value() {
    let src = HH_LIKE.replace("n = ninf\n}", "n = vtrap\n}");
    expect_one(&src, "E0210", 31, 9);
}

#[test]
fn e0211_reactant_not_a_variable() {
    expect_one(
        r#"
NEURON { SUFFIX k RANGE kf }
PARAMETER { kf = 1 }
STATE { A }
BREAKPOINT { SOLVE scheme METHOD sparse }
KINETIC scheme { ~ A <-> rate (kf, kf) }
FUNCTION rate() { rate = 1 }
"#,
        "E0211",
        6,
        26,
    );
}

#[test]
fn non_state_reactant_is_a_fixed_amount() {
    expect_clean(
        r#"
NEURON { SUFFIX pump USEION ca READ cao RANGE kf }
PARAMETER { kf = 1 }
STATE { A B }
BREAKPOINT { SOLVE scheme METHOD sparse }
KINETIC scheme { ~ A <-> B + cao (kf, kf) }
"#,
    );
}

#[test]
fn undeclared_range_name_is_created_once() {
    let src = HH_LIKE
        .replace("RANGE gbar, g", "RANGE gbar, g, extra")
        .replace("n = ninf\n}", "n = ninf\n    extra = 1\n}");
    expect_one(&src, "W0202", 5, 20);
}

#[test]
fn state_initial_value_is_implicit() {
    let src = HH_LIKE.replace("n = ninf\n}", "n = n0\n}");
    expect_clean(&src);
}

#[test]
fn for_netcons_and_lag() {
    expect_clean(
        r#"
NEURON { POINT_PROCESS P RANGE vl }
PARAMETER { dur = 1 (ms) }
ASSIGNED { v (mV) vl (mV) }
BEFORE STEP {
    LAG v BY dur
    vl = lag_v_dur
}
NET_RECEIVE(w, tpre (ms)) {
    FOR_NETCONS(w1, tp (ms)) {
        tp = t
    }
}
"#,
    );
}

#[test]
fn e0212_bad_ion_variable() {
    let src = HH_LIKE.replace("USEION k READ ek WRITE ik", "USEION k READ ena WRITE ik");
    let (map, a) = analyze(&src);
    let found = summary(&map, &a.diagnostics);
    assert!(
        found.iter().any(|s| s.starts_with("E0212 4:19")),
        "{found:#?}"
    );
}

#[test]
fn e0301_solve_unknown_block() {
    let src = HH_LIKE.replace("SOLVE states METHOD cnexp", "SOLVE state METHOD cnexp");
    let d = expect_one(&src, "E0301", 25, 11);
    assert_eq!(d.help.as_deref(), Some("did you mean `states`?"));
}

#[test]
fn e0302_method_wrong_block_kind() {
    let src = HH_LIKE.replace("SOLVE states METHOD cnexp", "SOLVE states METHOD sparse");
    let d = expect_one(&src, "E0302", 25, 25);
    assert!(d.help.unwrap_or_default().contains("`cnexp`"));
}

#[test]
fn e0303_unknown_method() {
    let src = HH_LIKE.replace("SOLVE states METHOD cnexp", "SOLVE states METHOD cnexpp");
    let d = expect_one(&src, "E0303", 25, 25);
    assert!(
        d.help
            .unwrap_or_default()
            .starts_with("did you mean `cnexp`?")
    );
}

#[test]
fn e0304_wrong_argument_count_user_function() {
    let src = HH_LIKE.replace("vtrap(-(v + 55), 10)", "vtrap(-(v + 55))");
    expect_one(&src, "E0304", 39, 16);
}

#[test]
fn e0304_wrong_argument_count_builtin() {
    let src = HH_LIKE.replace("exp(-(v + 65) / 80)", "exp(-(v + 65), 80)");
    expect_one(&src, "E0304", 40, 17);
}

#[test]
fn w0305_procedure_as_value_is_zero() {
    let src = HH_LIKE.replace("n = ninf\n}", "n = rates(v)\n}");
    expect_one(&src, "W0305", 31, 9);
}

#[test]
fn e0306_call_a_variable() {
    let src = HH_LIKE.replace("n = ninf\n}", "n = ninf(v)\n}");
    expect_one(&src, "E0306", 31, 9);
}

#[test]
fn e0401_verbatim() {
    let src = HH_LIKE.replace(
        "n = ninf\n}",
        "n = ninf\n    VERBATIM\n    n = 2;\n    ENDVERBATIM\n}",
    );
    let d = expect_one(&src, "E0401", 32, 5);
    assert!(d.help.unwrap_or_default().contains("rewrite"));
}

#[test]
fn e0401_verbatim_random_help() {
    let src = format!("{HH_LIKE}\nVERBATIM\ndouble nrn_random_pick(void* r);\nENDVERBATIM\n");
    let d = expect_one(&src, "E0401", 52, 1);
    assert!(d.help.unwrap_or_default().contains("normrand"));
}

#[test]
fn e0402_method_not_in_nmc() {
    let src = HH_LIKE.replace("SOLVE states METHOD cnexp", "SOLVE states METHOD heun");
    expect_one(&src, "E0402", 25, 25);
}

#[test]
fn w0201_unused_assigned() {
    let src = HH_LIKE.replace("ntau (ms)\n}", "ntau (ms)\n    unused\n}");
    let d = expect_one(&src, "W0201", 22, 5);
    assert!(!d.is_error());
}

#[test]
fn unused_parameter_is_not_reported() {
    let src = HH_LIKE.replace(
        "gbar = 0.036 (S/cm2)",
        "gbar = 0.036 (S/cm2)\n    spare = 1",
    );
    expect_clean(&src);
}

#[test]
fn w0201_unused_local() {
    let src = HH_LIKE.replace("LOCAL a, b", "LOCAL a, b, c");
    expect_one(&src, "W0201", 38, 17);
}

#[test]
fn w0202_range_never_declared() {
    let src = HH_LIKE.replace("RANGE gbar, g", "RANGE gbar, g, gk");
    expect_one(&src, "W0202", 5, 20);
}

#[test]
fn w0203_state_never_changes() {
    let src = HH_LIKE
        .replace("STATE { n }", "STATE { n m }")
        .replace("g = gbar * n^4", "g = gbar * n^4 * m");
    expect_one(&src, "W0203", 23, 11);
}

#[test]
fn symbol_table_kinds_and_units() {
    let (_, a) = analyze(HH_LIKE);
    let s = &a.symbols;
    assert_eq!(
        s.get("gbar").map(|x| x.kind.clone()),
        Some(sema::SymbolKind::Parameter)
    );
    assert_eq!(
        s.get("gbar")
            .and_then(|x| x.unit.as_ref())
            .map(|u| u.text.as_str()),
        Some("S/cm2")
    );
    assert!(s.get("gbar").is_some_and(|x| x.range));
    assert!(
        s.get("ik")
            .is_some_and(|x| x.ion.as_ref().is_some_and(|i| i.write))
    );
    assert_eq!(
        s.get("vtrap").map(|x| x.kind.clone()),
        Some(sema::SymbolKind::Function { arity: 2 })
    );
    assert_eq!(
        s.get("net_send").map(|x| x.kind.clone()),
        Some(sema::SymbolKind::BuiltinFunction { arity: Some(2) })
    );
    assert_eq!(s.get("celsius").and_then(|x| x.implied_unit), Some("degC"));
}
