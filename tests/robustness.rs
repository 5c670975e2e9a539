//! No input makes the front end panic: random mutations of real models
//! (deletions, insertions of tricky tokens, duplications, swaps) are fed to
//! the whole check pipeline. Case count: PROPTEST_CASES (scripts/test sets 10000).

use nmc::diag::SourceMap;
use nmc::front::nmodl;
use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

fn sources() -> &'static Vec<String> {
    static SOURCES: OnceLock<Vec<String>> = OnceLock::new();
    SOURCES.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        for dir in ["models", "builtins", "tests/corpus"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for p in paths {
                if p.extension().is_some_and(|x| x == "mod")
                    && let Ok(text) = std::fs::read_to_string(&p)
                {
                    out.push(text);
                }
            }
        }
        out
    })
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "~",
    "'",
    "\"",
    ":",
    "?",
    ",",
    "=",
    "<->",
    "<<",
    "->",
    "^",
    "-",
    "e",
    "1e",
    "1e+",
    ".",
    "..",
    "0x",
    "é",
    "\u{1F600}",
    "\r\n",
    "\r",
    "\0",
    "\t",
    "VERBATIM",
    "ENDVERBATIM",
    "COMMENT",
    "ENDCOMMENT",
    "INCLUDE \"nowhere.inc\"",
    "UNITSOFF",
    "UNITSON",
    "SOLVE",
    "METHOD",
    "KINETIC k {",
    "FROM",
    "TO",
    "WITH",
    "TABLE",
    "LOCAL",
    "if",
    "else",
    "while",
    "NET_RECEIVE",
    "FUNCTION",
    "PROCEDURE",
    "(mV)",
    "(/ms)",
    "(",
    "((((((((((",
    "))))",
    "x'",
    "net_send(",
    "<0,1>",
    "1.5e-300",
    "1e999",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    Duplicate { at: usize, len: usize },
    Swap { a: usize, b: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), any::<usize>()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        (any::<usize>(), 1usize..80).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap { a, b }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let n = chars.len().max(1);
    match *m {
        Mutation::Delete { at, len } => {
            let at = at % n;
            let end = (at + len).min(chars.len());
            if at < end {
                chars.drain(at..end);
            }
        }
        Mutation::Insert { at, token } => {
            let at = at % (chars.len() + 1);
            let tok: Vec<char> = TOKENS[token % TOKENS.len()].chars().collect();
            chars.splice(at..at, tok);
        }
        Mutation::Duplicate { at, len } => {
            let at = at % n;
            let end = (at + len).min(chars.len());
            if at < end {
                let copy: Vec<char> = chars[at..end].to_vec();
                chars.splice(end..end, copy);
            }
        }
        Mutation::Swap { a, b } => {
            if !chars.is_empty() {
                let (a, b) = (a % chars.len(), b % chars.len());
                chars.swap(a, b);
            }
        }
        Mutation::Truncate { at } => {
            chars.truncate(at % n);
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #[test]
    fn mutated_models_never_panic(which in any::<usize>(), muts in prop::collection::vec(mutation(), 1..6)) {
        let sources = sources();
        prop_assume!(!sources.is_empty());
        let mut text = sources[which % sources.len()].clone();
        for m in &muts {
            text = apply(&text, m);
        }
        let mut map = SourceMap::new();
        let checked = nmodl::check_source(&mut map, "mutated.mod", &text);
        // Rendering must not panic either, whatever the spans are.
        let _ = nmc::diag::render_human(&map, &checked.diagnostics, false);
        let _ = nmc::diag::render_json(&map, &checked.diagnostics);
    }
}

#[test]
fn pathological_inputs_never_panic() {
    let deep_parens = format!(
        "BREAKPOINT {{ x = {}1{} }}",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let deep_blocks = format!("INITIAL {{ {} }}", "if (1) {".repeat(3000));
    let long_minus = format!("BREAKPOINT {{ x = {}1 }}", "-".repeat(20000));
    let cases = [
        String::new(),
        "\0\0\0".to_string(),
        "NEURON {".to_string(),
        "COMMENT never closed".to_string(),
        "VERBATIM".to_string(),
        deep_parens,
        deep_blocks,
        long_minus,
        "\u{feff}NEURON { SUFFIX x }".to_string(),
    ];
    for text in &cases {
        let mut map = SourceMap::new();
        let checked = nmodl::check_source(&mut map, "patho.mod", text);
        let _ = nmc::diag::render_human(&map, &checked.diagnostics, false);
    }
}
