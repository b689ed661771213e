//! Snapshot tests over the kernel corpus, one `#[test]` per pipeline stage so a failure
//! names the stage: `ast`, `ir` and `opt` (at -O2) over `tests/kernels/ok/`, `diagnostics` over
//! `tests/kernels/err/` (each must produce at least one error), and `pegrid`: the PE
//! assembly of every corpus kernel compiled at -O2 for the `tiny` machine, headed by its
//! local-memory footprint (the printed assembly and the `.peo` encoding must both round
//! trip); and `clif`: the Cranelift IR the CPU target lowers every corpus kernel to at
//! -O2 (checked, before Cranelift's own optimizations; lowering twice must give the same
//! text). Snapshots live in
//! `tests/snapshots/` and are reviewed before they are accepted.

use std::path::Path;
use tessera::frontend::{self, CompileOptions};
use tessera::ir;
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::pipeline::{optimize_module, OptLevel, PipelineOptions};
use tessera_pegrid::compile::{
    compile_kernel, list_tiles, CompileError, CompileOptions as PeOptions,
};
use tessera_pegrid::machine::Machine;
use tessera_pegrid::program::{asm, binary};

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
fn clif() {
    insta::glob!("kernels/ok/*.tsr", |path| {
        let text = read(path);
        let mut module = frontend::compile(&text, &CompileOptions::default()).expect("compiles");
        let options = PipelineOptions::for_level(OptLevel::O2);
        optimize_module(&mut module, &options, &DefaultCostModel).expect("optimizes");
        let mut out = String::new();
        for kernel in module.kernels() {
            let listing = tessera_cpu::listing(kernel, tessera_cpu::Listing::Clif)
                .unwrap_or_else(|e| panic!("{}: {e}", kernel.name));
            let again = tessera_cpu::listing(kernel, tessera_cpu::Listing::Clif).expect("lowers");
            assert_eq!(listing, again, "{}: the lowering is deterministic", kernel.name);
            out.push_str(&format!("; ===== {} =====\n{listing}\n", kernel.name));
        }
        insta::assert_snapshot!(out);
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

/// Const values for kernels whose default tiles do not fit `tiny`'s 64 KiB: the
/// snapshot shows the error for the default and the program for these values.
fn tiny_overrides(file: &str) -> &'static [(&'static str, i64)] {
    match file {
        "flash_attention.tsr" => &[("BLOCK_M", 16), ("BLOCK_N", 16)],
        _ => &[],
    }
}

#[test]
fn pegrid() {
    let machine = Machine::preset("tiny").expect("preset");
    insta::glob!("kernels/ok/*.tsr", |path| {
        let text = read(path);
        let file = path.file_name().expect("a file").to_string_lossy().to_string();
        let mut out = String::new();
        let mut configs: Vec<&[(&str, i64)]> = vec![&[]];
        if !tiny_overrides(&file).is_empty() {
            configs.push(tiny_overrides(&file));
        }
        for consts in configs {
            let options = CompileOptions {
                consts: consts.iter().map(|&(n, v)| (n.to_string(), v)).collect(),
                kernel: None,
            };
            let mut module = frontend::compile(&text, &options).expect("compiles");
            let opt = PipelineOptions::for_level(OptLevel::O2);
            optimize_module(&mut module, &opt, &DefaultCostModel).expect("optimizes");
            let names: Vec<String> = module.kernels().map(|k| k.name.clone()).collect();
            for name in names {
                let header = if consts.is_empty() {
                    format!("; ===== {name} on tiny =====\n")
                } else {
                    format!("; ===== {name} on tiny with {consts:?} =====\n")
                };
                out.push_str(&header);
                match compile_kernel(&module, &name, &machine, &PeOptions::default()) {
                    Ok(c) => {
                        let fp = &c.footprint;
                        out.push_str(&format!(
                            "; {} B of local memory (of {}), mapping {:?}, engines {:?}\n",
                            fp.total_bytes, fp.capacity, fp.mapping, fp.engines
                        ));
                        for line in list_tiles(&c.program.cbs, &fp.tiles).lines() {
                            out.push_str(&format!(";{line}\n"));
                        }
                        let printed = asm::print_program(&c.program);
                        let parsed = asm::parse_program(&printed).expect("assembly parses");
                        assert_eq!(parsed, c.program, "{name}: assembly round trip");
                        let loaded = binary::load(&binary::save(&c.program)).expect("loads");
                        assert_eq!(loaded, c.program, "{name}: .peo round trip");
                        out.push_str(&printed);
                    }
                    Err(e @ CompileError::DoesNotFit { .. }) => {
                        assert!(!tiny_overrides(&file).is_empty(), "{name} does not fit tiny: {e}");
                        out.push_str(&format!("; error: {e}\n"));
                    }
                    Err(e) => panic!("{name} does not compile for tiny: {e}"),
                }
            }
        }
        insta::assert_snapshot!(out);
    });
}
