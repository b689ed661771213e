//! Ahead-of-time objects through the library API ([`tessera_cpu::compile_object`]): the
//! header text (snapshotted), determinism, and the errors for kernels C cannot export.
//! Linking objects into C programs is tested end to end in the root crate's
//! `tests/cli_cpu_object.rs`.

use tessera_cpu::{compile_object, CompileError, ObjectOptions};
use tessera_frontend::{compile, CompileOptions};
use tessera_ir::Module;

fn module(source: &str, consts: &[(&str, i64)]) -> Module {
    let options = CompileOptions {
        consts: consts.iter().map(|&(name, value)| (name.to_string(), value)).collect(),
        kernel: None,
    };
    compile(source, &options).unwrap_or_else(|d| panic!("{d:?}"))
}

fn options(checked: bool) -> ObjectOptions {
    ObjectOptions {
        checked,
        source_name: "tests/kernels/ok/histogram.tsr".into(),
        header_name: "histogram.h".into(),
        object_name: "histogram.o".into(),
    }
}

const HISTOGRAM: &str = include_str!("../../../tests/kernels/ok/histogram.tsr");

/// The whole header of a two-kernel object, as a C programmer reads it.
#[test]
fn header_of_the_histogram_kernels() {
    let module = module(HISTOGRAM, &[("BLOCK", 256)]);
    let kernels: Vec<_> = module.kernels().collect();
    let artifact = compile_object(&kernels, &options(true)).unwrap();
    insta::assert_snapshot!(artifact.header);
    let symbols: Vec<&str> = artifact.kernels.iter().map(|k| k.symbol.as_str()).collect();
    assert_eq!(symbols, ["histogram", "scatter_max"]);
}

/// The same kernels give the same bytes and header; unchecked changes only the build
/// notes of the header, never a declaration.
#[test]
fn objects_are_deterministic_and_unchecked_keeps_declarations() {
    let module = module(HISTOGRAM, &[("BLOCK", 256)]);
    let kernels: Vec<_> = module.kernels().collect();
    let first = compile_object(&kernels, &options(true)).unwrap();
    let second = compile_object(&kernels, &options(true)).unwrap();
    assert_eq!((&first.bytes, &first.header), (&second.bytes, &second.header));
    if cfg!(target_os = "linux") {
        assert_eq!(&first.bytes[..4], b"\x7fELF");
    }
    let unchecked = compile_object(&kernels, &options(false)).unwrap();
    let declarations = |header: &str| -> Vec<String> {
        header
            .lines()
            .filter(|l| !l.starts_with(" *") && !l.starts_with("/*"))
            .map(String::from)
            .collect()
    };
    assert_eq!(declarations(&first.header), declarations(&unchecked.header));
    assert!(unchecked.header.contains("(unchecked build)"), "{}", unchecked.header);
}

#[test]
fn kernels_c_cannot_export_are_errors() {
    let source = "kernel double(x: *f32) { store(x, 1.0); }\n\
                  kernel twice(x: *f32) { store(x, 2.0); }\n";
    let module = module(source, &[]);
    let kernels: Vec<_> = module.kernels().collect();
    let err = compile_object(&kernels, &options(true)).unwrap_err();
    assert!(matches!(&err, CompileError::CAbi { kernel, .. } if kernel == "double"), "{err}");
    let twice = kernels[1];
    let err = compile_object(&[twice, twice], &options(true)).unwrap_err();
    assert!(err.to_string().contains("two kernels of this name in one object"), "{err}");
}
