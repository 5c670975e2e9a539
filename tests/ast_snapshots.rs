//! Golden AST dumps: every model in `models/` parses, and its tree is pinned
//! by a snapshot in `tests/golden/ast/`. Review changes with `cargo insta review`.

mod common;
use common::relative;

use nmc::diag::SourceMap;
use nmc::front::nmodl;
use std::path::Path;

#[test]
fn model_ast_snapshots() {
    let check = |path: &Path| {
        let mut map = SourceMap::new();
        let name = relative(path);
        let checked = nmodl::check_file(&mut map, Path::new(&name));
        let module = checked
            .module
            .unwrap_or_else(|| panic!("{name} did not parse: {:?}", checked.diagnostics));
        let dump = nmodl::dump::dump(&module, &map);
        assert!(!dump.trim().is_empty(), "{name}: empty AST dump");
        insta::with_settings!({snapshot_path => "golden/ast", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(dump);
        });
    };
    insta::glob!("../models", "*.mod", check);
    insta::glob!("../builtins", "*.mod", check);
}
