//! Compile errors of the PE-grid compiler: a kernel whose tiles exceed local memory
//! names every CB and tile with its bytes; IR the compiler does not take (helpers not
//! inlined) is a typed error with the source position, never a panic.

use tessera_frontend::{compile, CompileOptions};
use tessera_passes::cost::DefaultCostModel;
use tessera_passes::pipeline::{optimize_module, OptLevel, PipelineOptions};
use tessera_pegrid::compile::{compile_kernel, CompileError, CompileOptions as PeOptions};
use tessera_pegrid::machine::Machine;

fn module(src: &str, consts: &[(&str, i64)], level: OptLevel) -> tessera_ir::Module {
    let options = CompileOptions {
        consts: consts.iter().map(|&(n, v)| (n.to_string(), v)).collect(),
        kernel: None,
    };
    let mut m = compile(src, &options).expect("compiles");
    optimize_module(&mut m, &PipelineOptions::for_level(level), &DefaultCostModel).expect("opt");
    m
}

const COPY: &str = "kernel copy(x: *f32, y: *f32, n: i32, const BLOCK: i32 = 64) {
    let offs = program_id(0) * BLOCK + arange(0, BLOCK);
    let v = load(x + offs, mask: offs < n);
    store(y + offs, v * 2.0, mask: offs < n);
}
";

#[test]
fn tiles_that_do_not_fit_are_listed_with_their_bytes() {
    let tiny = Machine::preset("tiny").unwrap();
    // 16384 f32 = 64 KiB per tile: the load and the product do not fit 64 KiB together
    // (the constant 2.0 is an immediate, not a tile).
    let m = module(COPY, &[("BLOCK", 16384)], OptLevel::O2);
    let err = compile_kernel(&m, "copy", &tiny, &PeOptions::default()).unwrap_err();
    let CompileError::DoesNotFit { needed, capacity, ref tiles, .. } = err else {
        panic!("expected DoesNotFit, got {err}")
    };
    assert_eq!(capacity, 65536);
    assert_eq!(needed, 2 * 65536);
    assert_eq!(tiles.len(), 2, "{err}");
    let text = err.to_string();
    assert!(text.contains("= load @3:13 [16384] f32 x1 = 65536 B"), "{text}");
    assert!(text.contains("= binary @4:21 [16384] f32 x1 = 65536 B"), "{text}");
    // The same kernel fits mtia2 (384 KiB), and a smaller block fits tiny.
    let mtia2 = Machine::preset("mtia2").unwrap();
    assert!(compile_kernel(&m, "copy", &mtia2, &PeOptions::default()).is_ok());
    let small = module(COPY, &[("BLOCK", 8192)], OptLevel::O2);
    let ok = compile_kernel(&small, "copy", &tiny, &PeOptions::default()).unwrap();
    assert_eq!(ok.footprint.total_bytes, 2 * 32768);
}

#[test]
fn calls_must_be_inlined_first() {
    let src = "fn twice(v: tile<[64], f32>) -> tile<[64], f32> { return v * 2.0; }
kernel k(x: *f32, y: *f32) {
    let offs = arange(0, 64);
    store(y + offs, twice(load(x + offs)));
}
";
    let m = module(src, &[], OptLevel::O0);
    let err = compile_kernel(&m, "k", &Machine::preset("tiny").unwrap(), &PeOptions::default())
        .unwrap_err();
    assert!(matches!(err, CompileError::Unsupported { line: 4, .. }), "{err}");
    assert!(err.to_string().contains("a call of `twice` (inline it first)"), "{err}");
    let m = module(src, &[], OptLevel::O1);
    assert!(
        compile_kernel(&m, "k", &Machine::preset("tiny").unwrap(), &PeOptions::default()).is_ok()
    );
}

#[test]
fn unknown_kernels_are_named() {
    let m = module(COPY, &[], OptLevel::O2);
    let err = compile_kernel(&m, "nope", &Machine::preset("tiny").unwrap(), &PeOptions::default())
        .unwrap_err();
    assert_eq!(err, CompileError::NoKernel("nope".into()));
}
