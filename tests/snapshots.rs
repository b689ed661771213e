//! Snapshot tests over the kernel corpus, one `#[test]` per pipeline stage so a failure
//! names the stage: `ast`, `ir` and `opt` (at -O2) over `tests/kernels/ok/`, `diagnostics` over
//! `tests/kernels/err/` (each must produce at least one error). Snapshots live in
//! `tests/snapshots/` and are reviewed before they are accepted.

use std::path::Path;
use tessera::frontend::{self, CompileOptions};
use tessera::ir;
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::pipeline::{optimize_module, OptLevel, PipelineOptions};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("corpus file is readable UTF-8")
}

/// The path as the snapshot shows it: relative and with forward slashes, so snapshots
/// do not depend on the machine.
fn display_name(path: &Path) -> String {
    let file = path.file_name().expect("a file").to_string_lossy();
    let dir = path.parent().and_then(Path::file_name).expect("a parent").to_string_lossy();
    format!("tests/kernels/{dir}/{file}")
}

#[test]
fn ast() {
    insta::glob!("kernels/ok/*.tsr", |path| {
        let text = read(path);
        let (ast, diagnostics) = frontend::parse(&text);
        assert!(diagnostics.is_empty(), "{}: {diagnostics:?}", path.display());
        insta::assert_snapshot!(frontend::print_ast(&ast, &text));
    });
}

#[test]
fn ir() {
    insta::glob!("kernels/ok/*.tsr", |path| {
        let text = read(path);
        let module = match frontend::compile(&text, &CompileOptions::default()) {
            Ok(module) => module,
            Err(d) => panic!("{}", frontend::render(&d, &display_name(path), &text, false)),
        };
        ir::verify_module(&module).expect("front-end output verifies");
        let printed = ir::print_module(&module);
        // The text form round-trips: print → parse → print is identical.
        let reparsed = ir::parse_module(&printed).expect("printed IR parses");
        ir::verify_module(&reparsed).expect("parsed IR verifies");
        assert_eq!(ir::print_module(&reparsed), printed, "{}: round trip", path.display());
        insta::assert_snapshot!(printed);
    });
}

#[test]
fn opt() {
    insta::glob!("kernels/ok/*.tsr", |path| {
        let text = read(path);
        let mut module = frontend::compile(&text, &CompileOptions::default()).expect("compiles");
        let options = PipelineOptions::for_level(OptLevel::O2);
        optimize_module(&mut module, &options, &DefaultCostModel).expect("optimizes");
        ir::verify_module(&module).expect("optimized IR verifies");
        let printed = ir::print_module(&module);
        let reparsed = ir::parse_module(&printed).expect("optimized IR parses");
        assert_eq!(ir::print_module(&reparsed), printed, "{}: round trip", path.display());
        insta::assert_snapshot!(printed);
    });
}

#[test]
fn diagnostics() {
    insta::glob!("kernels/err/*.tsr", |path| {
        let text = read(path);
        let diagnostics = frontend::check(&text, &CompileOptions::default());
        assert!(!diagnostics.is_empty(), "{} produced no error", path.display());
        insta::assert_snapshot!(frontend::render(&diagnostics, &display_name(path), &text, false));
    });
}
