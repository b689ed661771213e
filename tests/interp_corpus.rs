//! Runs every kernel of the corpus (`tests/kernels/ok/*.tsr`) on the reference interpreter
//! with seeded random inputs at several shapes (size 1, primes, BLOCK - 1, BLOCK, BLOCK + 1
//! and multi-block sizes) and compares with plain-Rust references written here: exactly for
//! integers and for float kernels that are a fixed sequence of correctly rounded operations,
//! otherwise within a tolerance stated (with its reason) next to each comparison.
//!
//! Every launch is also differential (`interp_corpus/support.rs`): the -O3 module on the
//! interpreter, JIT-compiled for this CPU, and on the PE-grid simulators must give the
//! interpreter's buffers bit for bit, except the CPU's float buffers in kernels that call
//! an f32 math function (computed by its own polynomials within 2 ulp): those must be
//! within `CPU_MATH_TOLERANCE`, `|cpu - ref| <= 1e-5 |ref| + 3e-5 max|ref|` (plus one
//! ulp for f16/bf16 results), as justified there.
//!
//! One `#[test]` per kernel so a failure names it; the error paths (out-of-bounds accesses,
//! device and static asserts, fuel) are in `errors`. Kernels are compiled with small const
//! values where that keeps the interpreter fast; a few tests run the defaults.

#[path = "interp_corpus/control.rs"]
mod control;
#[path = "interp_corpus/elementwise.rs"]
mod elementwise;
#[path = "interp_corpus/errors.rs"]
mod errors;
#[path = "interp_corpus/ints.rs"]
mod ints;
#[path = "interp_corpus/layout.rs"]
mod layout;
#[path = "interp_corpus/linalg.rs"]
mod linalg;
#[path = "interp_corpus/nn.rs"]
mod nn;
#[path = "interp_corpus/reduce.rs"]
mod reduce;
#[path = "interp_corpus/support.rs"]
mod support;

use std::collections::BTreeSet;
use support::{compile_corpus, corpus_source};

/// Every kernel of the corpus, by file, with a test above.
const TESTED: &[(&str, &[&str])] = &[
    ("argmax.tsr", &["argmax_rows"]),
    ("bitops.tsr", &["popcount_u32", "lcg_mix_i64", "byte_ops", "int_ops"]),
    ("casts.tsr", &["convert_f32", "convert_i32", "convert_half"]),
    ("collatz.tsr", &["collatz_scalar", "collatz_tile"]),
    ("cumsum.tsr", &["cumsum_rows", "cumsum_rows_i32"]),
    ("dropout.tsr", &["dropout"]),
    ("flash_attention.tsr", &["flash_attention"]),
    ("gelu.tsr", &["gelu"]),
    ("helpers.tsr", &["log_softmax", "clamp_i32", "softplus_clamp"]),
    ("histogram.tsr", &["histogram", "scatter_max"]),
    ("layernorm.tsr", &["layernorm"]),
    ("layout.tsr", &["batched_transpose", "split_heads", "max_pool2", "sq_dist"]),
    ("matmul.tsr", &["matmul"]),
    ("matmul_f16.tsr", &["matmul_f16"]),
    ("matmul_int8.tsr", &["matmul_i8"]),
    ("quantize.tsr", &["row_absmax", "quantize_int8"]),
    ("reductions.tsr", &["row_min_argmin", "min_partials"]),
    ("rmsnorm.tsr", &["rmsnorm"]),
    ("rope.tsr", &["rope", "wrap_phase"]),
    ("searchsorted.tsr", &["searchsorted"]),
    ("silu.tsr", &["silu", "swiglu"]),
    ("softmax.tsr", &["softmax"]),
    ("vector_add.tsr", &["vector_add"]),
];

/// The corpus files on disk, sorted.
fn corpus_files() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/kernels/ok");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("the corpus directory exists")
        .map(|entry| entry.expect("a directory entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tsr"))
        .collect();
    files.sort();
    files
}

/// Each file compiles with its default const values, opens with a comment saying what it
/// computes, and declares exactly the kernels listed in `TESTED` (so a new kernel cannot
/// land without a test here).
#[test]
fn every_corpus_kernel_compiles_with_defaults_and_is_tested() {
    let files = corpus_files();
    let listed: Vec<&str> = TESTED.iter().map(|(file, _)| *file).collect();
    assert_eq!(files, listed, "corpus files and the TESTED list differ");
    for (file, kernels) in TESTED {
        let text = corpus_source(file);
        assert!(
            text.starts_with("//") || text.starts_with("/*"),
            "{file} must open with a comment"
        );
        let module = compile_corpus(file, &[]);
        let compiled: BTreeSet<&str> = module.kernels().map(|k| k.name.as_str()).collect();
        let expected: BTreeSet<&str> = kernels.iter().copied().collect();
        assert_eq!(compiled, expected, "{file}: kernels");
    }
}
