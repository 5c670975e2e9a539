//! Tests of the `units` module (parsing, conversion, errors) and of NMODL
//! unit checking.

use nmc::units::{
    BaseDim, Dimension, FARADAY, GAS_CONSTANT, Unit, UnitTable, conversion_factor, same_dimension,
    scales_equal,
};

fn u(s: &str) -> Unit {
    match Unit::parse(s) {
        Ok(u) => u,
        Err(e) => panic!("`{s}` did not parse: {e}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    scales_equal(a, b)
}

fn factor(from: &str, to: &str) -> f64 {
    conversion_factor(&u(from), &u(to)).unwrap_or(f64::NAN)
}

#[test]
fn parses_units_real_mod_files_use() {
    for s in [
        "mA/cm2",
        "/mV",
        "1/ms",
        "S/cm2",
        "uS",
        "nA",
        "mM",
        "milli/liter",
        "degC",
        "um2",
        "cm2",
        "ms",
        "1",
        "umho",
        "mho/cm2",
        "coulomb",
        "coulombs",
        "faraday",
        "k-mole",
        "joule/degC",
        "/s",
        "liter",
        "micron",
        "um3",
        "kelvin",
        "pi",
        "mV",
        "millivolt",
        "milliamp",
        "siemens",
        "ohm",
        "mho",
        "molar",
        "M",
        "mol",
        "mole",
        "volt",
        "amp",
        "ampere",
        "farad",
        "coul",
        "sec",
        "second",
        "hour",
        "meter",
        "m",
        "gram",
        "l",
        "L",
        "Hz",
        "percent",
        "uF/cm2",
        "nanoamp",
        "nanoamps",
        "microsiemens",
        "micromho",
        "micromhos",
        "millimolar",
        "kilocoulombs",
        "10000 coulomb",
        "1e-3",
        "100",
        ".001 coul/cm3",
        "/mM-ms",
        "/mM2-ms",
        "/ms-mV",
        "ms mM",
        "mM2",
        "cm/s",
        "mol/cm2",
        "um2/ms",
        "1-10 um2/ms",
        "1+8 um5/ms",
        "megohm",
        "angstrom",
        "nm",
        "uM",
        "milliM",
        "micro/liter",
        "joule-sec",
        "mV/degC",
        "millimho/cm2",
        "/ms2",
        "ohm cm",
        "ohm-cm",
        "kHz",
        "mA.ms",
        "mV-1",
        "cm^2",
        "cm^-2",
        "e",
        "k",
        "planck",
        "hbar",
        "avogadro",
        "0.1 S/cm2",
        "degF",
    ] {
        assert!(
            Unit::parse(s).is_ok(),
            "`{s}` should parse: {:?}",
            Unit::parse(s)
        );
    }
}

#[test]
fn scales_and_dimensions() {
    assert!(close(u("mV").scale, 1e-3));
    assert!(close(u("um2").scale, 1e-12));
    assert!(close(u("cm2").scale, 1e-4));
    assert!(close(u("um3").scale, 1e-18));
    assert!(close(u("mM").scale, 1.0));
    assert_eq!(
        u("mM").dim,
        Dimension::from_exponents([-3, 0, 0, 0, 0, 1, 0])
    );
    assert!(close(u("milli/liter").scale, 1.0));
    assert!(close(u("micron").scale, 1e-6));
    assert_eq!(u("micron").dim, Dimension::base(BaseDim::Length));
    assert!(u("degC").equivalent(&u("kelvin")));
    assert!(u("mho").equivalent(&u("S")));
    assert!(u("umho").equivalent(&u("uS")));
    assert!(u("/ms").equivalent(&u("1/ms")));
    assert!(u("kHz").equivalent(&u("/ms")));
    assert!(u("ms-1").equivalent(&u("/ms")));
    assert!(u("cm^-2").equivalent(&u("/cm2")));
    assert!(u("/mM-ms").equivalent(&u("/mM").div(&u("ms"))));
    assert!(close(u("1-10 um2/ms").scale, 1e-10 * 1e-12 / 1e-3));
    assert!(close(u("10000 coulomb").scale, 1e4));
    assert!(close(u("1|60").scale, 1.0 / 60.0));
    assert!(close(u("pi").scale, std::f64::consts::PI));
    assert!(close(u("percent").scale, 0.01));
    assert!(u("liter").equivalent(&u("dm3")));
    assert!(u("l").equivalent(&u("L")));
    assert!(u("m").equivalent(&u("meter")));
    assert!(u("mm").equivalent(&u("millimeter")));
    assert!(u("min").equivalent(&u("60 s")));
    assert!(u("hour").equivalent(&u("3600 sec")));
    assert!(u("1").is_dimensionless());
    assert!(u("").is_dimensionless());
}

#[test]
fn electrical_identities() {
    // mV * uS = nA exactly.
    assert_eq!(
        conversion_factor(&u("mV").mul(&u("uS")), &u("nA")),
        Some(1.0)
    );
    // S/cm2 * mV = mA/cm2.
    assert_eq!(
        conversion_factor(&u("S/cm2").mul(&u("mV")), &u("mA/cm2")),
        Some(1.0)
    );
    // mho/cm2 * mV = mA/cm2 too; uF/cm2 * mV/ms = mA/cm2 * 1e-3 ... = uA/cm2.
    assert_eq!(
        conversion_factor(&u("uF/cm2").mul(&u("mV/ms")), &u("mA/cm2")),
        Some(1e-3)
    );
    assert_eq!(factor("mA", "nA"), 1e6);
    assert_eq!(factor("nA", "mA"), 1e-6);
    assert_eq!(factor("mA/cm2", "nA/um2"), 1e-2);
    assert_eq!(factor("S/cm2", "mS/cm2"), 1e3);
    assert_eq!(factor("um2", "cm2"), 1e-8);
    assert_eq!(factor("ms", "s"), 1e-3);
    assert_eq!(factor("/ms", "Hz"), 1e3);
    assert_eq!(factor("uM", "mM"), 1e-3);
    // Ohm's law: megohm * nA = mV.
    assert_eq!(factor("megohm nA", "mV"), 1.0);
    assert!(conversion_factor(&u("mA"), &u("mV")).is_none());
    assert!(same_dimension(&u("mA/cm2"), &u("A/m2")));
    assert!(!same_dimension(&u("mA/cm2"), &u("mA")));
}

#[test]
fn physical_constants() {
    assert!(close(FARADAY, 96485.33212331));
    assert!(close(GAS_CONSTANT, 8.31446261815324));
    // FARADAY = (faraday) (coulomb)
    assert!(close(factor("faraday", "coulomb"), 96485.33212331));
    assert!(close(factor("faraday", "kilocoulombs"), 96.48533212331));
    assert!(close(factor("faraday", "10000 coulomb"), 9.648533212331));
    // R = (k-mole) (joule/degC)
    assert!(close(factor("k-mole", "joule/degC"), 8.31446261815324));
    assert!(close(factor("e", "coulombs"), 1.602176634e-19));
    assert!(close(factor("k", "joule/degC"), 1.380649e-23));
    assert!(close(factor("mole", "1"), 6.02214076e23));
    assert!(close(factor("pi", "1"), std::f64::consts::PI));
}

#[test]
fn user_definitions_extend_the_table() {
    let mut t = UnitTable::new();
    let mm = t.parse("milli/liter").unwrap();
    t.define("mM", mm);
    assert!(t.parse("mM").unwrap().equivalent(&mm));
    // Derived definitions see earlier ones.
    let msm = t.parse("ms mM").unwrap();
    t.define("msM", msm);
    assert!(t.parse("/msM").unwrap().equivalent(&msm.recip()));
    assert!(t.parse("uM").is_ok());
    assert!(t.lookup("msM").is_some());
    // The built-in table is unchanged.
    assert_eq!(Unit::parse("mM").unwrap().dim.exponent(BaseDim::Amount), 1);
}

#[test]
fn errors_have_positions_and_suggestions() {
    let e = Unit::parse("mA/cmm2x").unwrap_err();
    assert_eq!(e.offset, 3);
    assert_eq!(e.len, 3);
    assert!(e.message.contains("cmm"), "{}", e.message);

    let e = Unit::parse("DegC").unwrap_err();
    assert_eq!((e.offset, e.len), (0, 4));
    assert_eq!(e.suggestion.as_deref(), Some("degC"));

    let e = Unit::parse("joule/degc").unwrap_err();
    assert_eq!(e.offset, 6);
    assert_eq!(e.suggestion.as_deref(), Some("degC"));

    let e = Unit::parse("millivot").unwrap_err();
    assert_eq!(e.suggestion.as_deref(), Some("millivolt"));

    let e = Unit::parse("mV/").unwrap_err();
    assert_eq!(e.offset, 2);

    let e = Unit::parse("mV (x)").unwrap_err();
    assert_eq!(e.offset, 3);

    let e = Unit::parse("cm999").unwrap_err();
    assert_eq!(e.offset, 2);

    assert!(Unit::parse("1|0").is_err());
    assert!(Unit::parse("1e999").is_err());
}

#[test]
fn display_is_readable() {
    assert_eq!(u("millivolt").to_string(), "mV");
    assert_eq!(u("mho/cm2").to_string(), "S/cm2");
    assert_eq!(u("S/cm2").mul(&u("mV")).to_string(), "mA/cm2");
    assert_eq!(u("uS").mul(&u("mV")).to_string(), "nA");
    assert_eq!(u("mA").to_string(), "mA");
    assert_eq!(u("1/ms").to_string(), "/ms");
    assert_eq!(u("kg m2/s3").to_string(), "m2 kg/s3");
    assert_eq!(u("1e-2 mA").to_string(), "10 uA");
}

#[test]
fn never_panics_on_odd_input() {
    for s in [
        "",
        " ",
        "/",
        "//",
        "-",
        "^",
        "m^",
        "m^-",
        "1e",
        "1e+",
        "..",
        ".",
        "1|",
        "|",
        "((",
        "µm",
        "Ωcm",
        "m99999999999",
        "1-",
        "e-",
        "a/b/c/d",
        "\u{0}",
        "m\u{301}",
        "k-",
        "-1",
        "%",
    ] {
        let _ = Unit::parse(s);
        let _ = Unit::parse(s).map(|x| x.to_string());
    }
    let big = "m".repeat(10_000);
    let _ = Unit::parse(&big);
    let many = "m ".repeat(10_000);
    let x = Unit::parse(&many).unwrap();
    assert_eq!(x.dim.exponent(BaseDim::Length), 10_000);
}

// ----- NMODL unit checking on parsed snippets -------------------------------

use nmc::diag::{Diagnostic, SourceMap};
use nmc::front::nmodl::{parse::parse, sema::SymbolTable, units_check::check_units};

/// Parses `src` and returns the unit diagnostics (without sema, so the test
/// does not depend on the symbol table).
fn unit_diags(src: &str) -> (SourceMap, Vec<Diagnostic>) {
    let mut map = SourceMap::new();
    let f = map.add("x.mod", src);
    let (m, d) = parse(&mut map, f);
    let Some(m) = m else {
        panic!("snippet did not parse: {d:?}");
    };
    let diags = check_units(&m, &SymbolTable::default(), &map);
    (map, diags)
}

fn unit_codes(src: &str) -> Vec<&'static str> {
    unit_diags(src).1.iter().map(|d| d.code).collect()
}

const HH_LIKE: &str = r#"
NEURON {
  SUFFIX hhx
  USEION na READ ena WRITE ina
  USEION k READ ek WRITE ik
  NONSPECIFIC_CURRENT il
  RANGE gnabar, gkbar, gl, el
}
UNITS {
  (mA) = (milliamp)
  (mV) = (millivolt)
  (S) = (siemens)
}
PARAMETER {
  gnabar = .12 (S/cm2)
  gkbar = .036 (S/cm2)
  gl = .0003 (S/cm2)
  el = -54.3 (mV)
}
STATE { m h n }
ASSIGNED {
  v (mV)
  celsius (degC)
  ena (mV)
  ek (mV)
  ina (mA/cm2)
  ik (mA/cm2)
  il (mA/cm2)
  minf hinf ninf
  mtau (ms) htau (ms) ntau (ms)
}
BREAKPOINT {
  SOLVE states METHOD cnexp
  ina = gnabar*m*m*m*h*(v - ena)
  ik = gkbar*n*n*n*n*(v - ek)
  il = gl*(v - el)
}
INITIAL { rates(v) m = minf h = hinf n = ninf }
DERIVATIVE states {
  rates(v)
  m' = (minf - m)/mtau
  h' = (hinf - h)/htau
  n' = (ninf - n)/ntau
}
PROCEDURE rates(v (mV)) {
  LOCAL alpha, beta, sum, q10
  TABLE minf, mtau, hinf, htau, ninf, ntau DEPEND celsius FROM -100 TO 100 WITH 200
UNITSOFF
  q10 = 3^((celsius - 6.3)/10)
  alpha = .1 * vtrap(-(v + 40), 10)
  beta = 4 * exp(-(v + 65)/18)
  sum = alpha + beta
  mtau = 1/(q10*sum)
  minf = alpha/sum
  hinf = 1/(1 + exp(-(v + 35)/10))
  htau = 1/(q10*(0.07*exp(-(v + 65)/20) + hinf))
  ninf = 0.5
  ntau = 2
}
FUNCTION vtrap(x, y) {
  if (fabs(x/y) < 1e-6) {
    vtrap = y*(1 - x/y/2)
  } else {
    vtrap = x/(exp(x/y) - 1)
  }
}
UNITSON
"#;

#[test]
fn hh_is_clean() {
    assert_eq!(unit_codes(HH_LIKE), Vec::<&str>::new());
}

#[test]
fn current_with_missing_area_is_a_dimension_mismatch() {
    let src = r#"
NEURON { SUFFIX a USEION na READ ena WRITE ina }
UNITS { (mA) = (milliamp) (mV) = (millivolt) }
PARAMETER { g = 1 (mA/mV) }
ASSIGNED { v (mV) ena (mV) ina (mA/cm2) }
BREAKPOINT { ina = g*(v - ena) }
"#;
    let (map, d) = unit_diags(src);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, "W0501");
    assert!(
        d[0].message.contains("`ina` is (mA/cm2)"),
        "{}",
        d[0].message
    );
    assert!(d[0].message.contains("(mA)"), "{}", d[0].message);
    let primary = d[0].primary_span().unwrap();
    assert!(map.text(primary).starts_with("g*(v - ena)"));
    // The secondary label points at the declaration's unit.
    let secondary = d[0].labels.iter().find(|l| !l.primary).unwrap();
    assert_eq!(map.text(secondary.span), "(mA/cm2)");
    assert!(d[0].help.is_some());
}

#[test]
fn point_process_conductances() {
    let src = r#"
NEURON { POINT_PROCESS S NONSPECIFIC_CURRENT i }
UNITS { (nA) = (nanoamp) (mV) = (millivolt) (uS) = (microsiemens) }
PARAMETER { e = 0 (mV) gmax = 1 (uS) }
ASSIGNED { v (mV) i (nA) g (uS) j (mA) }
BREAKPOINT {
  g = gmax
  i = g*(v - e)
  j = g*(v - e)
}
"#;
    let (_, d) = unit_diags(src);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, "W0502");
    assert!(d[0].message.contains("1e-6"), "{}", d[0].message);
}

#[test]
fn explicit_factor_silences_scale_check() {
    let src = r#"
NEURON { SUFFIX a }
ASSIGNED { x (nA) y (mA) }
BREAKPOINT { x = (1e6)*y  x = 1e6*y }
"#;
    assert_eq!(unit_codes(src), Vec::<&str>::new());
}

#[test]
fn derivatives_are_per_ms() {
    let src = r#"
NEURON { SUFFIX a }
PARAMETER { tau = 2 (ms) k = 1 (/ms) }
STATE { m (mV) c }
BREAKPOINT { SOLVE s METHOD cnexp }
DERIVATIVE s {
  m' = -m/tau
  c' = -c*k
  m' = m
}
"#;
    let (_, d) = unit_diags(src);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, "W0501");
    assert!(d[0].message.contains("`m'`"), "{}", d[0].message);
}

#[test]
fn function_returns_and_arguments() {
    let src = r#"
NEURON { SUFFIX a }
PARAMETER { tau = 2 (ms) }
FUNCTION f(x (mV)) (ms) {
  f = tau*x/x
}
FUNCTION g(x (mV)) (ms) {
  g = x
}
PROCEDURE p() {
  LOCAL a
  a = f(tau)
  a = f(-65)
  a = f(v)
}
"#;
    let (_, d) = unit_diags(src);
    let codes: Vec<_> = d.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["W0501", "W0501"], "{d:?}");
    assert!(d[0].message.contains("`g` is (ms)"));
    assert!(d[1].message.contains("argument `x` of `f`"));
}

#[test]
fn sums_need_matching_units() {
    let src = r#"
NEURON { SUFFIX a }
PARAMETER { tau = 2 (ms) vh = -40 (mV) }
ASSIGNED { x (mV) }
BREAKPOINT {
  x = v + vh + 10
  x = v + tau
}
"#;
    assert_eq!(unit_codes(src), vec!["W0501"]);
}

#[test]
fn units_constants_and_concentrations() {
    let src = r#"
NEURON { SUFFIX cad USEION ca READ ica WRITE cai }
UNITS {
  (mM) = (milli/liter)
  (mA) = (milliamp)
  FARADAY = (faraday) (coulomb)
  R = (k-mole) (joule/degC)
}
PARAMETER { depth = .1 (um) taur = 200 (ms) cainf = 100e-6 (mM) }
ASSIGNED { ica (mA/cm2) drive (mM/ms) }
STATE { cai (mM) }
BREAKPOINT { SOLVE state METHOD cnexp }
DERIVATIVE state {
  drive = -(1e4)*ica/(2*FARADAY*depth)
  cai' = drive + (cainf - cai)/taur
}
"#;
    assert_eq!(unit_codes(src), Vec::<&str>::new());
}

#[test]
fn bad_units_are_reported_with_positions() {
    let src = "NEURON { SUFFIX a }\nUNITS { (mM) = (milli/litre) (q) = (florps) }\nPARAMETER { t0 = 1 (DegC) }\n";
    let (map, d) = unit_diags(src);
    let codes: Vec<_> = d.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["E0501", "W0503"], "{d:?}");
    assert_eq!(map.text(d[0].primary_span().unwrap()), "florps");
    assert_eq!(map.text(d[1].primary_span().unwrap()), "DegC");
    assert_eq!(d[1].help.as_deref(), Some("did you mean `degC`?"));
}

#[test]
fn unitsoff_is_lexical() {
    let src = r#"
NEURON { SUFFIX a }
ASSIGNED { x (mV) }
UNITSOFF
PROCEDURE p() { x = 5*exp(t) }
UNITSON
PROCEDURE q() {
  UNITSOFF
  x = t
}
PROCEDURE r() { x = t }
UNITSON
PROCEDURE s() { x = t }
"#;
    assert_eq!(unit_codes(src), vec!["W0501"]);
}
