//! Malformed inputs and their diagnostics: every file in `tests/diagnostics/`
//! must produce at least one diagnostic, each with a code and a position;
//! the rendered text (message, code, line:col, caret, help) is pinned by a
//! snapshot in `tests/golden/diagnostics/`.

mod common;
use common::relative;

use nmc::diag::{self, SourceMap};
use nmc::front::nmodl;

#[test]
fn malformed_inputs_are_diagnosed() {
    insta::glob!("diagnostics", "*.mod", |path| {
        let mut map = SourceMap::new();
        let name = relative(path);
        let checked = nmodl::check_file(&mut map, Path::new(&name));
        assert!(
            !checked.diagnostics.is_empty(),
            "{name}: expected at least one diagnostic"
        );
        for d in &checked.diagnostics {
            assert!(
                d.code.len() == 5 && (d.code.starts_with('E') || d.code.starts_with('W')),
                "{name}: bad code {:?}",
                d.code
            );
            assert!(d.primary_span().is_some(), "{name}: {} has no span", d.code);
            assert!(d.help.is_some(), "{name}: {} has no help line", d.code);
        }
        for line in diag::render_json(&map, &checked.diagnostics).lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("JSON diagnostic");
            assert!(v["line"].as_u64().is_some_and(|l| l >= 1), "{name}: {line}");
        }
        let text = diag::render_human(&map, &checked.diagnostics, false);
        insta::with_settings!({snapshot_path => "golden/diagnostics", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(text);
        });
    });
}
