//! Integration tests of the NMODL parser: constructs, spans, errors, INCLUDE.

mod common;
use common::mod_files;

use nmc::diag::{Diagnostic, SourceMap};
use nmc::front::nmodl::ast::*;
use nmc::front::nmodl::{dump::dump, parse::parse};

/// Parses `src` as a file named `name`.
fn parse_named(name: &str, src: &str) -> (SourceMap, Option<Module>, Vec<Diagnostic>) {
    let mut map = SourceMap::new();
    let f = map.add(name, src);
    let (m, d) = parse(&mut map, f);
    (map, m, d)
}

/// Parses `src`, which must parse without diagnostics; returns the dump.
fn ok(src: &str) -> (SourceMap, Module) {
    let (map, m, d) = parse_named("test.mod", src);
    assert!(
        d.is_empty(),
        "unexpected diagnostics: {}",
        nmc::diag::render_human(&map, &d, false)
    );
    let m = m.expect("module");
    (map, m)
}

/// Parses `src`, which must fail; returns the first diagnostic with its line:col.
fn err(src: &str) -> (Diagnostic, usize, usize, String) {
    let (map, m, d) = parse_named("test.mod", src);
    assert!(
        m.is_none() || d.iter().any(|x| x.is_error()),
        "expected an error"
    );
    let first = d.first().cloned().expect("a diagnostic");
    let span = first.primary_span().expect("a span");
    let lc = map.line_col(span.file, span.start as usize);
    let text = nmc::diag::render_human(&map, &d, false);
    (first, lc.line, lc.column, text)
}

/// Parses every .mod file under the folder `REALMOD` names (a corpus of
/// published models, not in the repository) and reports failures:
/// `REALMOD=DIR cargo test --release --test parse realmod_corpus -- --ignored --nocapture`.
#[test]
#[ignore]
fn realmod_corpus() {
    let root = std::env::var("REALMOD")
        .expect("set REALMOD to a folder of .mod files (searched recursively)");
    let mut files = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "mod") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no .mod files under REALMOD");
    let mut fails = 0;
    for p in &files {
        let mut map = SourceMap::new();
        let Ok(f) = nmc::front::nmodl::read_source(&mut map, p) else {
            continue;
        };
        let (m, d) = parse(&mut map, f);
        if m.is_none() || d.iter().any(|x| x.is_error()) {
            fails += 1;
            let first: Vec<Diagnostic> = d.into_iter().take(1).collect();
            println!(
                "FAIL {}\n{}",
                p.display(),
                nmc::diag::render_human(&map, &first, false)
            );
        }
    }
    println!("parsed {}/{} files", files.len() - fails, files.len());
}

/// Dev helper: `DUMP=file.mod cargo test --test parse dump_env -- --ignored --nocapture`.
#[test]
#[ignore]
fn dump_env() {
    let Ok(path) = std::env::var("DUMP") else {
        return;
    };
    let mut map = SourceMap::new();
    let Ok(f) = nmc::front::nmodl::read_source(&mut map, std::path::Path::new(&path)) else {
        return;
    };
    let (m, d) = parse(&mut map, f);
    print!("{}", nmc::diag::render_human(&map, &d, false));
    if let Some(m) = m {
        print!("{}", dump(&m, &map));
    }
}

/// Parses a file from disk; returns the module and diagnostics.
fn parse_path(p: &std::path::Path) -> (SourceMap, Option<Module>, Vec<Diagnostic>) {
    let mut map = SourceMap::new();
    let Ok(f) = nmc::front::nmodl::read_source(&mut map, p) else {
        panic!("cannot read {}", p.display());
    };
    let (m, d) = parse(&mut map, f);
    (map, m, d)
}

#[test]
fn shipped_models_and_corpus_parse() {
    let mut files = mod_files("models");
    files.extend(mod_files("builtins"));
    files.extend(mod_files("tests/corpus"));
    for p in &files {
        let (map, m, d) = parse_path(p);
        assert!(
            m.is_some() && d.is_empty(),
            "{} failed:\n{}",
            p.display(),
            nmc::diag::render_human(&map, &d, false)
        );
    }
}

/// Timing: `cargo test --release --test parse parse_speed -- --ignored --nocapture`.
#[test]
#[ignore]
fn parse_speed() {
    let mut files = mod_files("models");
    files.extend(mod_files("tests/corpus"));
    let texts: Vec<(String, String)> = files
        .iter()
        .filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(p).ok()?)))
        .collect();
    let t = std::time::Instant::now();
    for (name, text) in &texts {
        let (_, m, _) = parse_named(name, text);
        assert!(m.is_some(), "{name}");
    }
    println!("parsed {} files in {:?}", texts.len(), t.elapsed());
}

/// Runs `f` on a thread with the default test stack (2 MiB).
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic or overflow");
}

#[test]
fn adversarial_inputs_do_not_overflow() {
    on_small_stack(|| {
        let deep_parens = format!(
            "BREAKPOINT {{ x = {}1{} }}",
            "(".repeat(5000),
            ")".repeat(5000)
        );
        let (d, _, _, _) = err(&deep_parens);
        assert_eq!(d.code, "E0105");

        let long_sum = format!("BREAKPOINT {{ x = 1{} }}", "+1".repeat(20000));
        let (d, _, _, _) = err(&long_sum);
        assert_eq!(d.code, "E0105");

        let pow_chain = format!("BREAKPOINT {{ x = 2{} }}", "^2".repeat(20000));
        let (d, _, _, _) = err(&pow_chain);
        assert_eq!(d.code, "E0105");

        let negs = format!("BREAKPOINT {{ x = {}1 }}", "-".repeat(20000));
        let (d, _, _, _) = err(&negs);
        assert_eq!(d.code, "E0105");

        let blocks = format!("BREAKPOINT {}{}", "{".repeat(3000), "}".repeat(3000));
        let (d, _, _, _) = err(&blocks);
        assert_eq!(d.code, "E0105");
    });
}

// ------------------------------------------------------------------ helpers

/// The statements of the first block-bodied item.
fn first_body(m: &Module) -> &Block {
    for it in &m.items {
        match &it.kind {
            ItemKind::Initial(b)
            | ItemKind::Breakpoint(b)
            | ItemKind::Constructor(b)
            | ItemKind::Destructor(b) => return b,
            ItemKind::Solvable { body, .. }
            | ItemKind::NetReceive { body, .. }
            | ItemKind::Before { body, .. }
            | ItemKind::After { body, .. } => return body,
            ItemKind::Procedure(f) | ItemKind::Function(f) => return &f.body,
            _ => {}
        }
    }
    panic!("no block item");
}

/// Parses `BREAKPOINT { x = <e> }` and returns the expression.
fn expr_of(e: &str) -> (SourceMap, Expr) {
    let (map, m) = ok(&format!("BREAKPOINT {{ x = {e} }}"));
    let s = first_body(&m).stmts[0].clone();
    match s.kind {
        StmtKind::Assign { value, .. } => (map, value),
        other => panic!("not an assignment: {other:?}"),
    }
}

/// A compact S-expression of an expression, for precedence tests.
fn sx(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) => n.text.clone(),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Name(i) => i.name.clone(),
        ExprKind::Index { name, index } => format!("{}[{}]", name.name, sx(index)),
        ExprKind::Call { name, args } => {
            let a: Vec<String> = args.iter().map(sx).collect();
            format!("{}({})", name.name, a.join(" "))
        }
        ExprKind::Unary { op, operand } => {
            let o = if *op == UnaryOp::Neg { "-" } else { "!" };
            format!("({o} {})", sx(operand))
        }
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", op.symbol(), sx(lhs), sx(rhs))
        }
        ExprKind::WithUnit { expr, unit } => format!("[{} ({})]", sx(expr), unit.text),
        ExprKind::Prime { name, order } => format!("{}{}", name.name, "'".repeat(*order as usize)),
    }
}

// ------------------------------------------------------------------ expressions

#[test]
fn precedence_and_associativity() {
    let cases = [
        ("-x^2", "(- (^ x 2))"),
        ("2^-1", "(^ 2 (- 1))"),
        ("a^b^c", "(^ a (^ b c))"),
        ("a - b - c", "(- (- a b) c)"),
        ("a / b * c", "(* (/ a b) c)"),
        ("a + b * c", "(+ a (* b c))"),
        ("-a * b", "(* (- a) b)"),
        ("!a > b", "(> (! a) b)"),
        ("a || b && c", "(|| a (&& b c))"),
        ("a < b == c >= d", "(>= (== (< a b) c) d)"),
        ("a != -1", "(!= a (- 1))"),
        ("f(a, g(b), c[i+1])", "f(a g(b) c[(+ i 1)])"),
        ("+a", "a"),
        ("x'", "x'"),
    ];
    for (src, want) in cases {
        let (_, e) = expr_of(src);
        assert_eq!(sx(&e), want, "for `{src}`");
    }
}

#[test]
fn unit_annotations_in_expressions() {
    let cases = [
        ("0.062 (/mV) * v", "(* [0.062 (/mV)] v)"),
        ("(mg / 3.57 (mM))", "(/ mg [3.57 (mM)])"),
        ("(1e-3) * x", "(* 1e-3 x)"),
        ("(a + b) (mV)", "[(+ a b) (mV)]"),
        ("exp(v) (mV)", "[exp(v) (mV)]"),
        ("2 (1)", "[2 (1)]"),
        ("FARADAY * 1 (um)", "(* FARADAY [1 (um)])"),
    ];
    for (src, want) in cases {
        let (_, e) = expr_of(src);
        assert_eq!(sx(&e), want, "for `{src}`");
    }
}

#[test]
fn number_literals() {
    for (src, v) in [
        ("1", 1.0),
        ("1.5", 1.5),
        (".5", 0.5),
        ("1.", 1.0),
        ("1e-4", 1e-4),
        ("1.5E+3", 1500.0),
        ("96485.309", 96485.309),
    ] {
        let (_, e) = expr_of(src);
        match e.kind {
            ExprKind::Number(n) => {
                assert_eq!(n.value, v);
                assert_eq!(n.text, src);
            }
            other => panic!("{src}: {other:?}"),
        }
    }
}

#[test]
fn expression_spans_are_exact() {
    let (map, e) = expr_of("gbar*m^3*h*(v - ena)");
    assert_eq!(map.text(e.span), "gbar*m^3*h*(v - ena)");
    let ExprKind::Binary { rhs, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(map.text(rhs.span), "(v - ena)");
    let (map, e) = expr_of("-x^2");
    let ExprKind::Unary { operand, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(map.text(operand.span), "x^2");
    let (map, e) = expr_of("0.062 (/mV)");
    let ExprKind::WithUnit { expr, unit } = &e.kind else {
        panic!()
    };
    assert_eq!(map.text(e.span), "0.062 (/mV)");
    assert_eq!(map.text(expr.span), "0.062");
    assert_eq!(map.text(unit.span), "(/mV)");
    assert_eq!(unit.text, "/mV");
}

#[test]
fn strings_and_printf() {
    let (_, m) = ok("INITIAL { printf(\"t: %g ? \\\"q\\\" \\n\", t) }");
    let StmtKind::Expr(e) = &first_body(&m).stmts[0].kind else {
        panic!()
    };
    let ExprKind::Call { name, args } = &e.kind else {
        panic!()
    };
    assert_eq!(name.name, "printf");
    assert_eq!(
        args[0].kind,
        ExprKind::Str("t: %g ? \\\"q\\\" \\n".to_string())
    );
}

// ------------------------------------------------------------------ lexical

#[test]
fn keywords_do_not_swallow_names() {
    let (_, m) = ok(
        "PARAMETER { TABLEx = 1 FROMage tau_TO = 2 STATEs INITIALv }\n\
         BREAKPOINT { TABLEx = FROMage + tau_TO }",
    );
    let ItemKind::Declare { decls, .. } = &m.items[0].kind else {
        panic!()
    };
    let names: Vec<&str> = decls.iter().map(|d| d.name.name.as_str()).collect();
    assert_eq!(names, ["TABLEx", "FROMage", "tau_TO", "STATEs", "INITIALv"]);
}

#[test]
fn comments_everywhere() {
    let src = "TITLE a title : not a comment\n\
        COMMENT\n  NEURON { this is not parsed }\nENDCOMMENT\n\
        NEURON { SUFFIX x : trailing\n ? question comment\n RANGE a }\n\
        BREAKPOINT { a = 1 + COMMENT inline ENDCOMMENT 2 : end\n }\n";
    let (_, m) = ok(src);
    assert_eq!(
        m.items[0].kind,
        ItemKind::Title("a title : not a comment".into())
    );
    assert_eq!(m.items.len(), 3);
    let StmtKind::Assign { value, .. } = &first_body(&m).stmts[0].kind else {
        panic!()
    };
    assert_eq!(sx(value), "(+ 1 2)");
}

#[test]
fn verbatim_anywhere() {
    let src = "VERBATIM\n#include <stdio.h>\nstatic int x; /* { */\nENDVERBATIM\n\
        PROCEDURE f() {\n  VERBATIM\n  return 0; }\n  ENDVERBATIM\n}\n";
    let (_, m) = ok(src);
    let ItemKind::Verbatim(text) = &m.items[0].kind else {
        panic!()
    };
    assert!(text.contains("#include <stdio.h>"));
    let StmtKind::Verbatim(t) = &first_body(&m).stmts[0].kind else {
        panic!()
    };
    assert!(t.contains("return 0; }"));
}

#[test]
fn crlf_positions_match_lf() {
    let lf =
        "NEURON {\n  SUFFIX x\n}\nPARAMETER {\n  a = 1 (mV)\n}\nBREAKPOINT {\n  a = 2 : c\n}\n";
    let crlf = lf.replace('\n', "\r\n");
    let (m1, a) = ok(lf);
    let (m2, b) = ok(&crlf);
    assert_eq!(dump(&b, &m2), dump(&a, &m1));
}

// ------------------------------------------------------------------ blocks

#[test]
fn neuron_block_statements() {
    let (_, m) = ok("NEURON {\n\
        THREADSAFE\n SUFFIX na_rtm\n POINT_PROCESS P\n ARTIFICIAL_CELL A\n\
        USEION ca READ cai, cao WRITE ica VALENCE 2\n USEION cl WRITE icl VALENCE -1\n\
        RANGE a, b c\n GLOBAL g\n NONSPECIFIC_CURRENT il\n ELECTRODE_CURRENT i\n\
        POINTER p\n BBCOREPOINTER q\n EXTERNAL e\n RANDOM r1, r2\n REPRESENTS NCIT:C17145\n}");
    let ItemKind::Neuron(s) = &m.items[0].kind else {
        panic!()
    };
    assert_eq!(s.len(), 15);
    match &s[4].kind {
        NeuronStmtKind::UseIon {
            ion,
            read,
            write,
            valence,
        } => {
            assert_eq!(ion.name, "ca");
            assert_eq!(read.len(), 2);
            assert_eq!(write[0].name, "ica");
            assert_eq!(valence.as_ref().map(|v| v.value), Some(2.0));
        }
        other => panic!("{other:?}"),
    }
    match &s[5].kind {
        NeuronStmtKind::UseIon { valence, .. } => {
            assert_eq!(valence.as_ref().map(|v| v.value), Some(-1.0))
        }
        other => panic!("{other:?}"),
    }
    match &s[6].kind {
        NeuronStmtKind::Range(v) => assert_eq!(v.len(), 3),
        other => panic!("{other:?}"),
    }
    assert_eq!(s[14].kind, NeuronStmtKind::Represents("NCIT:C17145".into()));
}

#[test]
fn units_block_forms() {
    let (_, m) = ok(
        "UNITS {\n (mV) = (millivolt)\n FARADAY = (faraday) (coulomb)\n\
        F2 = 96485.309 (coul)\n PI = (pi) (1)\n R = (k-mole) (joule/degC)\n (molar) = (1/liter)\n}",
    );
    let ItemKind::Units(d) = &m.items[0].kind else {
        panic!()
    };
    assert_eq!(d.len(), 6);
    match &d[2].kind {
        UnitDefKind::Constant {
            name,
            factor,
            value,
            unit,
        } => {
            assert_eq!(name.name, "F2");
            assert!(factor.is_none());
            assert_eq!(value.as_ref().map(|v| v.value), Some(96485.309));
            assert_eq!(unit.as_ref().map(|u| u.text.as_str()), Some("coul"));
        }
        other => panic!("{other:?}"),
    }
    match &d[4].kind {
        UnitDefKind::Constant { factor, unit, .. } => {
            assert_eq!(factor.as_ref().map(|u| u.text.as_str()), Some("k-mole"));
            assert_eq!(unit.as_ref().map(|u| u.text.as_str()), Some("joule/degC"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn declarations() {
    let (map, m) = ok(
        "DEFINE N 4\nPARAMETER {\n gbar = 0.1 (S/cm2) <0, 1e9>\n v = -65 (mV)\n\
        a b, c\n x[4] (mM)\n y[N]\n}\nINDEPENDENT { t FROM 0 TO 1 WITH 1 (ms) }\n\
        STATE { m FROM 0 TO 1 h START 0.5 ca[N] (mM) <1e-6> }\nASSIGNED { ina (mA/cm2) }\n\
        CONSTANT { k = 1e-3 }",
    );
    let ItemKind::Define { name, value } = &m.items[0].kind else {
        panic!()
    };
    assert_eq!((name.name.as_str(), value.value), ("N", 4.0));
    let ItemKind::Declare { kind, decls } = &m.items[1].kind else {
        panic!()
    };
    assert_eq!(*kind, DeclKind::Parameter);
    assert_eq!(decls.len(), 7);
    assert_eq!(map.text(decls[0].span), "gbar = 0.1 (S/cm2) <0, 1e9>");
    let (lo, hi) = decls[0].limits.clone().expect("limits");
    assert_eq!((lo.value, hi.value), (0.0, 1e9));
    assert_eq!(decls[1].value.as_ref().map(|v| v.value), Some(-65.0));
    assert!(matches!(decls[5].array, Some(ArrayLen::Number(ref n)) if n.value == 4.0));
    assert!(matches!(decls[6].array, Some(ArrayLen::Name(ref n)) if n.name == "N"));
    let ItemKind::Declare { kind, decls } = &m.items[2].kind else {
        panic!()
    };
    assert_eq!(*kind, DeclKind::Independent);
    let ft = decls[0].from_to.clone().expect("from");
    assert_eq!(ft.with.map(|w| w.value), Some(1.0));
    assert_eq!(decls[0].unit.as_ref().map(|u| u.text.as_str()), Some("ms"));
    let ItemKind::Declare { decls, .. } = &m.items[3].kind else {
        panic!()
    };
    assert_eq!(decls.len(), 3);
    assert_eq!(decls[1].start.as_ref().map(|v| v.value), Some(0.5));
    assert!(matches!(
        m.items[5].kind,
        ItemKind::Declare {
            kind: DeclKind::Constant,
            ..
        }
    ));
}

#[test]
fn functions_procedures_tables() {
    let (_, m) = ok(
        "FUNCTION f(v (mV), k) (/ms) {\n TABLE DEPEND celsius FROM -100 TO 100 WITH 200\n f = v\n}\n\
        PROCEDURE rates(v(mV)) {\n TABLE minf, mtau DEPEND a, b FROM -100 TO 100 WITH 200\n}\n\
        PROCEDURE noargs() { }\nFUNCTION_TABLE tau1(v (mV)) (ms)\nFUNCTION g() { g = 1 }",
    );
    let ItemKind::Function(f) = &m.items[0].kind else {
        panic!()
    };
    assert_eq!(f.params.len(), 2);
    assert_eq!(
        f.params[0].unit.as_ref().map(|u| u.text.as_str()),
        Some("mV")
    );
    assert_eq!(f.unit.as_ref().map(|u| u.text.as_str()), Some("/ms"));
    let StmtKind::Table {
        names,
        depend,
        from,
        ..
    } = &f.body.stmts[0].kind
    else {
        panic!()
    };
    assert!(names.is_empty());
    assert_eq!(depend[0].name, "celsius");
    assert_eq!(sx(from), "(- 100)");
    let ItemKind::Procedure(p) = &m.items[1].kind else {
        panic!()
    };
    let StmtKind::Table { names, depend, .. } = &p.body.stmts[0].kind else {
        panic!()
    };
    assert_eq!((names.len(), depend.len()), (2, 2));
    assert!(matches!(m.items[3].kind, ItemKind::FunctionTable { .. }));
}

#[test]
fn control_flow() {
    let (_, m) = ok("PROCEDURE p() {\n LOCAL a, b[3]\n\
        if (a > 0 && b[0] < 1 || !a) { a = 1 } else if (a == 2) { a = 2 } else { a = 3 }\n\
        while (a < 10) { a = a + 1 }\n FROM i = 0 TO N-1 { b[i] = i }\n FROM j = 0 TO 4 BY 2 { }\n\
        { a = 1 }\n}");
    let s = &first_body(&m).stmts;
    match &s[0].kind {
        StmtKind::Local(v) => {
            assert_eq!(v.len(), 2);
            assert!(v[1].array.is_some());
        }
        other => panic!("{other:?}"),
    }
    match &s[1].kind {
        StmtKind::If {
            else_ifs,
            otherwise,
            ..
        } => {
            assert_eq!(else_ifs.len(), 1);
            assert!(otherwise.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(s[2].kind, StmtKind::While { .. }));
    match &s[3].kind {
        StmtKind::FromTo { var, to, by, .. } => {
            assert_eq!(var.name, "i");
            assert_eq!(sx(to), "(- N 1)");
            assert!(by.is_none());
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&s[4].kind, StmtKind::FromTo { by: Some(_), .. }));
    assert!(matches!(s[5].kind, StmtKind::Block(_)));
}

#[test]
fn solve_forms() {
    let (_, m) = ok(
        "BREAKPOINT {\n SOLVE states METHOD cnexp\n SOLVE kin STEADYSTATE sparse\n SOLVE plain\n\
        SOLVE x METHOD derivimplicit IFERROR { a = 1 }\n}",
    );
    let s = &first_body(&m).stmts;
    let StmtKind::Solve { block, method, .. } = &s[0].kind else {
        panic!()
    };
    assert_eq!(
        (
            block.name.as_str(),
            method.as_ref().map(|m| m.name.as_str())
        ),
        ("states", Some("cnexp"))
    );
    let StmtKind::Solve { steadystate, .. } = &s[1].kind else {
        panic!()
    };
    assert_eq!(
        steadystate.as_ref().map(|m| m.name.as_str()),
        Some("sparse")
    );
    assert!(matches!(
        &s[2].kind,
        StmtKind::Solve {
            method: None,
            steadystate: None,
            ..
        }
    ));
    assert!(matches!(
        &s[3].kind,
        StmtKind::Solve {
            if_error: Some(_),
            ..
        }
    ));
}

#[test]
fn derivative_block() {
    let (map, m) =
        ok("DERIVATIVE states {\n m' = (minf - m)/mtau\n ca[i]' = 0\n x'' = -x\n y = x'\n}");
    let s = &first_body(&m).stmts;
    let StmtKind::Derivative { target, order, .. } = &s[0].kind else {
        panic!()
    };
    assert_eq!((target.name.name.as_str(), *order), ("m", 1));
    assert_eq!(map.text(s[0].span), "m' = (minf - m)/mtau");
    let StmtKind::Derivative { target, .. } = &s[1].kind else {
        panic!()
    };
    assert!(target.index.is_some());
    assert!(matches!(&s[2].kind, StmtKind::Derivative { order: 2, .. }));
    let StmtKind::Assign { value, .. } = &s[3].kind else {
        panic!()
    };
    assert!(matches!(value.kind, ExprKind::Prime { order: 1, .. }));
}

#[test]
fn kinetic_block() {
    let (_, m) = ok(
        "KINETIC kin {\n COMPARTMENT i, vol*x {ca}\n COMPARTMENT v {A B C}\n\
        LONGITUDINAL_DIFFUSION i, D {ca}\n ~ A <-> B (kf, kb)\n ~ 2A + B <-> C (k1*2, k2)\n\
        ~ ca[0] << (-ica*PI)\n ~ A -> B (k)\n ~ A -> (k)\n CONSERVE A + B + C = 1\n}",
    );
    let s = &first_body(&m).stmts;
    match &s[0].kind {
        StmtKind::Compartment {
            longitudinal,
            index,
            volume,
            states,
        } => {
            assert!(!longitudinal);
            assert_eq!(index.as_ref().map(|i| i.name.as_str()), Some("i"));
            assert_eq!(sx(volume), "(* vol x)");
            assert_eq!(states.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&s[1].kind, StmtKind::Compartment { index: None, states, .. } if states.len() == 3)
    );
    assert!(matches!(
        &s[2].kind,
        StmtKind::Compartment {
            longitudinal: true,
            ..
        }
    ));
    let StmtKind::Reaction(r) = &s[4].kind else {
        panic!()
    };
    assert_eq!(r.lhs[0].coeff, 2);
    assert_eq!(r.lhs[1].coeff, 1);
    let StmtKind::Reaction(r) = &s[5].kind else {
        panic!()
    };
    assert!(r.lhs[0].index.is_some());
    assert!(matches!(&r.kind, ReactionKind::Flux { .. }));
    let StmtKind::Reaction(r) = &s[7].kind else {
        panic!()
    };
    assert!(matches!(&r.kind, ReactionKind::Forward { rhs, .. } if rhs.is_empty()));
    assert!(matches!(s[8].kind, StmtKind::Conserve { .. }));
}

#[test]
fn linear_and_nonlinear() {
    let (_, m) = ok(
        "LINEAR lin {\n ~ a*x + b*y = c\n ~ x - y = 0\n}\nNONLINEAR nl SOLVEFOR x {\n ~ x^2 = 4\n}",
    );
    let s = &first_body(&m).stmts;
    let StmtKind::Equation { lhs, rhs } = &s[0].kind else {
        panic!()
    };
    assert_eq!(sx(lhs), "(+ (* a x) (* b y))");
    assert_eq!(sx(rhs), "c");
    assert!(matches!(
        m.items[1].kind,
        ItemKind::Solvable {
            kind: SolvableKind::NonLinear,
            ..
        }
    ));
}

#[test]
fn net_receive_and_events() {
    let (_, m) = ok("NET_RECEIVE (w, R, u (ms)) {\n INITIAL { R = 0 }\n\
        if (flag == 0) { net_send(0, 1) } else { net_event(t) net_move(t + 1) }\n\
        WATCH (v > -20) 2, (v < -50 (mV)) 3\n}");
    let ItemKind::NetReceive { params, body } = &m.items[0].kind else {
        panic!()
    };
    assert_eq!(params.len(), 3);
    assert_eq!(params[2].unit.as_ref().map(|u| u.text.as_str()), Some("ms"));
    assert!(matches!(body.stmts[0].kind, StmtKind::Initial(_)));
    let StmtKind::Watch(w) = &body.stmts[2].kind else {
        panic!()
    };
    assert_eq!(w.len(), 2);
    assert_eq!(sx(&w[0].0), "(> v (- 20))");
    assert_eq!(sx(&w[0].1), "2");
}

#[test]
fn misc_items_and_statements() {
    let (_, m) = ok(
        "UNITSOFF\nBEFORE BREAKPOINT { a = 1 }\nAFTER SOLVE { }\nBEFORE STEP { }\n\
        CONSTRUCTOR { VERBATIM x ENDVERBATIM }\nDESTRUCTOR { }\nUNITSON\n\
        INITIAL {\n UNITSOFF\n PROTECT x = x + 1\n MUTEXLOCK\n MUTEXUNLOCK\n CONDUCTANCE g USEION na\n UNITSON\n}",
    );
    assert_eq!(m.items[0].kind, ItemKind::UnitsOff);
    assert!(matches!(&m.items[1].kind, ItemKind::Before { when, .. } if when.name == "BREAKPOINT"));
    assert!(matches!(&m.items[2].kind, ItemKind::After { when, .. } if when.name == "SOLVE"));
    assert!(matches!(&m.items[3].kind, ItemKind::Before { when, .. } if when.name == "STEP"));
    assert!(matches!(m.items[4].kind, ItemKind::Constructor(_)));
    assert_eq!(m.items[6].kind, ItemKind::UnitsOn);
    let ItemKind::Initial(b) = &m.items[7].kind else {
        panic!()
    };
    assert_eq!(b.stmts[0].kind, StmtKind::UnitsOff);
    assert!(matches!(
        &b.stmts[1].kind,
        StmtKind::Assign { protect: true, .. }
    ));
    assert_eq!(b.stmts[2].kind, StmtKind::Mutex { lock: true });
    assert!(matches!(
        &b.stmts[4].kind,
        StmtKind::Conductance { ion: Some(_), .. }
    ));
}

#[test]
fn item_spans() {
    let src = "NEURON {\n  SUFFIX hh\n}\n\nBREAKPOINT {\n  SOLVE states METHOD cnexp\n}\n";
    let (map, m) = ok(src);
    assert_eq!(map.text(m.items[0].span), "NEURON {\n  SUFFIX hh\n}");
    let ItemKind::Neuron(s) = &m.items[0].kind else {
        panic!()
    };
    assert_eq!(map.text(s[0].span), "SUFFIX hh");
    let lc = map.line_col(0, m.items[1].span.start as usize);
    assert_eq!((lc.line, lc.column), (5, 1));
    let st = &first_body(&m).stmts[0];
    assert_eq!(map.text(st.span), "SOLVE states METHOD cnexp");
}

// ------------------------------------------------------------------ errors

#[test]
fn error_unknown_top_level_keyword() {
    let (d, line, col, text) = err("NEURON { SUFFIX x }\nPARAMETERS {\n a = 1\n}\n");
    assert_eq!((d.code, line, col), ("E0104", 2, 1));
    assert!(text.contains("did you mean `PARAMETER`?"), "{text}");
    let (d, _, _, text) = err("neuron { SUFFIX x }");
    assert_eq!(d.code, "E0104");
    assert!(text.contains("did you mean `NEURON`?"), "{text}");
}

#[test]
fn error_unclosed_brace() {
    let (d, line, col, text) =
        err("PROCEDURE f() {\n  x = 1\n  if (x > 1) {\n    y = 2\n\nFUNCTION g() {\n  g = 1\n}\n");
    assert_eq!((d.code, line, col), ("E0102", 6, 1));
    assert!(d.labels.iter().any(|l| !l.primary), "{text}");
    assert!(text.contains("add `}`"), "{text}");
    let (d, line, _, _) = err("BREAKPOINT {\n  x = 1\n");
    assert_eq!((d.code, line), ("E0102", 3));
    let secondary = d.labels.iter().find(|l| !l.primary).expect("secondary");
    assert_eq!(secondary.span.start, 11);
}

#[test]
fn error_unterminated_comment_and_verbatim() {
    let (d, line, col, _) = err("NEURON { SUFFIX x }\nCOMMENT\nhello\n");
    assert_eq!((d.code, line, col), ("E0103", 2, 1));
    let (d, line, col, text) = err("PROCEDURE f() {\n  VERBATIM\n  return 0;\n}\n");
    assert_eq!((d.code, line, col), ("E0103", 2, 3));
    assert!(text.contains("ENDVERBATIM"));
}

#[test]
fn error_unmatched_close_brace() {
    let (d, line, col, _) = err("PROCEDURE f() {\n  x = 1\n}\n}\n");
    assert_eq!((d.code, line, col), ("E0106", 4, 1));
}

#[test]
fn error_unknown_neuron_statement() {
    let (d, line, col, text) = err("NEURON {\n  SUFFIX x\n  USEIONS na READ ena\n}\n");
    assert_eq!((d.code, line, col), ("E0107", 3, 3));
    assert!(text.contains("did you mean `USEION`?"));
}

#[test]
fn error_misspelled_statement_keyword() {
    let (d, line, col, text) = err("BREAKPOINT {\n  SOLV states METHOD cnexp\n}\n");
    assert_eq!((d.code, line, col), ("E0108", 2, 3));
    assert!(text.contains("did you mean `SOLVE`?"));
}

#[test]
fn error_general_positions() {
    // Missing operand.
    let (d, line, col, text) = err("BREAKPOINT {\n  x = 1 +\n}\n");
    assert_eq!((d.code, line, col), ("E0101", 3, 1));
    assert!(text.contains("expected an expression, found `}`"), "{text}");
    // `=` in a condition.
    let (d, line, col, text) = err("PROCEDURE f() {\n  if (x = 1) { }\n}\n");
    assert_eq!((d.code, line, col), ("E0101", 2, 9));
    assert!(text.contains("`==`"), "{text}");
    // A keyword used as a name.
    let (d, line, col, text) = err("PARAMETER {\n  FROM = 1\n}\n");
    assert_eq!((d.code, line, col), ("E0101", 2, 3));
    assert!(text.contains("reserved keyword"), "{text}");
    // A misspelled keyword inside a statement.
    let (d, line, col, text) = err("PROCEDURE f() {\n  TABLE a FROM 0 TOO 1 WITH 2\n}\n");
    assert_eq!((d.code, line, col), ("E0101", 2, 18));
    assert!(text.contains("did you mean `TO`?"), "{text}");
    // Missing `)`.
    let (d, line, _, text) = err("PROCEDURE f() {\n  x = (1 + 2\n}\n");
    assert_eq!((d.code, line), ("E0101", 3));
    assert!(text.contains("`)`"), "{text}");
    let open = d.labels.iter().find(|l| !l.primary).expect("secondary");
    assert_eq!(open.span.start, 22);
    // Garbage character.
    let (d, line, col, _) = err("BREAKPOINT {\n  x = 1 $ 2\n}\n");
    assert_eq!((d.code, line, col), ("E0101", 2, 9));
}

#[test]
fn error_positions_with_crlf() {
    let (d, line, col, _) = err("BREAKPOINT {\r\n  x = 1\r\n  y = = 2\r\n}\r\n");
    assert_eq!((d.code, line, col), ("E0101", 3, 7));
}

#[test]
fn duplicate_declaration_part() {
    let (d, line, col, _) = err("PARAMETER {\n  a = 1 = 2\n}\n");
    assert_eq!((d.code, line, col), ("E0109", 2, 9));
}

#[test]
fn never_panics_on_prefixes_of_real_files() {
    for p in mod_files("models").iter().take(4) {
        let text = std::fs::read_to_string(p).expect("read");
        let mut cut = 0;
        while cut < text.len() {
            if text.is_char_boundary(cut) {
                let _ = parse_named("prefix.mod", &text[..cut]);
            }
            cut += 13;
        }
    }
    for junk in [
        "",
        "}",
        "{",
        "(",
        "\"",
        "'",
        "~",
        "~~<->",
        "COMMENT",
        "ENDCOMMENT",
        "\u{0}",
        "é{",
        "TITLE",
        "VERBATIM\nENDVERBATIM",
    ] {
        let _ = parse_named("junk.mod", junk);
    }
}

// ------------------------------------------------------------------ INCLUDE

/// A fresh temporary directory for one test.
fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("nmc-parse-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

#[test]
fn include_is_spliced_after_the_include_item() {
    let dir = temp_dir("inc");
    std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
    std::fs::write(
        dir.join("sub/common.inc"),
        "PARAMETER {\n  gbar = 1\n}\nINCLUDE \"more.inc\"\n",
    )
    .expect("write");
    std::fs::write(dir.join("sub/more.inc"), "ASSIGNED { x }\n").expect("write");
    let main = dir.join("main.mod");
    std::fs::write(
        &main,
        "NEURON { SUFFIX x }\nINCLUDE \"sub/common.inc\"\nBREAKPOINT { }\n",
    )
    .expect("write");
    let (map, m, d) = parse_path(&main);
    assert!(d.is_empty(), "{}", nmc::diag::render_human(&map, &d, false));
    let m = m.expect("module");
    let kinds: Vec<&str> = m
        .items
        .iter()
        .map(|i| match &i.kind {
            ItemKind::Neuron(_) => "neuron",
            ItemKind::Include { resolved: true, .. } => "include",
            ItemKind::Declare {
                kind: DeclKind::Parameter,
                ..
            } => "parameter",
            ItemKind::Declare {
                kind: DeclKind::Assigned,
                ..
            } => "assigned",
            ItemKind::Breakpoint(_) => "breakpoint",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "neuron",
            "include",
            "parameter",
            "include",
            "assigned",
            "breakpoint"
        ]
    );
    // Spans of included items point into the included file.
    let param = &m.items[2];
    assert_ne!(param.span.file, m.span.file);
    assert!(map.name(param.span.file).ends_with("common.inc"));
    assert_eq!(map.text(param.span), "PARAMETER {\n  gbar = 1\n}");
    let out = dump(&m, &map);
    assert!(
        out.contains("Item Declare Parameter @common.inc:1:1"),
        "{out}"
    );
}

#[test]
fn missing_include_is_an_error_at_the_include_line() {
    let dir = temp_dir("missing");
    let main = dir.join("main.mod");
    std::fs::write(&main, "NEURON { SUFFIX x }\n\nINCLUDE \"nope.inc\"\n").expect("write");
    let (map, _, d) = parse_path(&main);
    let e = d.iter().find(|x| x.code == "E0003").expect("E0003");
    let span = e.primary_span().expect("span");
    assert_eq!(map.line_col(span.file, span.start as usize).line, 3);
    assert!(e.help.is_some());
}

#[test]
fn include_cycle_is_reported() {
    let dir = temp_dir("cycle");
    std::fs::write(dir.join("a.inc"), "INCLUDE \"b.inc\"\n").expect("write");
    std::fs::write(dir.join("b.inc"), "INCLUDE \"a.inc\"\n").expect("write");
    let main = dir.join("main.mod");
    std::fs::write(&main, "INCLUDE \"a.inc\"\n").expect("write");
    let (_, _, d) = parse_path(&main);
    assert!(d.iter().any(|x| x.code == "E0110"), "{d:?}");
}

#[test]
fn include_with_syntax_error_reports_in_the_included_file() {
    let dir = temp_dir("incerr");
    std::fs::write(dir.join("bad.inc"), "PARAMETER {\n  a = \n}\n").expect("write");
    let main = dir.join("main.mod");
    std::fs::write(&main, "INCLUDE \"bad.inc\"\n").expect("write");
    let (map, m, d) = parse_path(&main);
    assert!(m.is_none());
    let span = d[0].primary_span().expect("span");
    assert!(map.name(span.file).ends_with("bad.inc"));
    assert_eq!(map.line_col(span.file, span.start as usize).line, 3);
}

// ------------------------------------------------------------------ dump

#[test]
fn dump_snapshot_of_a_small_model() {
    let (map, m) = ok(
        "TITLE demo\nNEURON {\n  SUFFIX na\n  USEION na READ ena WRITE ina\n  RANGE gbar\n}\n\
        PARAMETER {\n  gbar = 0.1 (S/cm2) <0, 1e9>\n}\nSTATE { m }\nASSIGNED { v (mV) ena (mV) ina (mA/cm2) }\n\
        BREAKPOINT {\n  SOLVE states METHOD cnexp\n  ina = gbar*m^3*(v - ena)\n}\n\
        DERIVATIVE states {\n  m' = (1 - m)/0.5 (ms)\n}\n",
    );
    insta::assert_snapshot!(dump(&m, &map));
}

/// `v<-63` is a comparison with a negative number, not the start of `<->`.
#[test]
fn less_than_negative_number_is_a_comparison() {
    let src = "NEURON { SUFFIX lt }\nFUNCTION f(v) {\n if (v<-63) { f = 1 } else { f = 2 }\n}\n";
    let mut map = nmc::diag::SourceMap::new();
    let file = map.add("lt.mod", src);
    let (module, diags) = nmc::front::nmodl::parse::parse(&mut map, file);
    assert!(module.is_some(), "{diags:?}");
    assert!(diags.is_empty(), "{diags:?}");
}

/// Old DOS files end with a Ctrl-Z (0x1A) byte; NEURON ignores it, so do we.
#[test]
fn ctrl_z_at_end_of_file_is_whitespace() {
    let src = "NEURON { SUFFIX dos }\nUNITSON\n\u{1a}";
    let mut map = nmc::diag::SourceMap::new();
    let file = map.add("dos.mod", src);
    let (module, diags) = nmc::front::nmodl::parse::parse(&mut map, file);
    assert!(module.is_some(), "{diags:?}");
}

/// Old Mac files end lines with a carriage return alone: nmc reads them
/// as lines, so a CR-only model compiles and a diagnostic names the line
/// it is on (not line 1, column 66).
#[test]
fn carriage_return_line_endings_are_lines() {
    let dir = std::env::temp_dir().join(format!("nmc-cr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let original = std::fs::read_to_string(common::repo("models/na_rtm.mod")).expect("model");
    let good = dir.join("na_rtm.mod");
    std::fs::write(&good, original.replace('\n', "\r")).expect("write");
    let bad = dir.join("cr.mod");
    let text =
        "NEURON { SUFFIX cr }\rASSIGNED { v }\r: a comment\rBREAKPOINT { v = undefined_thing }\r";
    std::fs::write(&bad, text).expect("write");
    let mut map = SourceMap::new();
    let compiled = nmc::driver::pipeline::compile_file(&mut map, &good);
    let mut map = SourceMap::new();
    let broken = nmc::driver::pipeline::compile_file(&mut map, &bad);
    let rendered = nmc::diag::render_human(&map, &broken.diagnostics, false);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        !compiled.failed(),
        "a CR-only copy of na_rtm.mod does not compile"
    );
    assert!(broken.failed());
    assert!(rendered.contains("cr.mod:4:18"), "{rendered}");
}
