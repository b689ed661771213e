//! Error paths through corpus kernels: out-of-bounds loads and stores name the kernel, the
//! source line and the element; failing `device_assert`s name their message (and are
//! skipped when asserts are off); runaway loops run out of fuel; a false `static_assert`
//! stops compilation.

use crate::support::*;
use tessera_ir::interp::MemAccess;

/// Asserts `err` is the failure of the (only) device_assert of `file` in `kernel`.
fn assert_assert_failed(err: &InterpError, want_kernel: &str, file: &str, want_message: &str) {
    let want_line = line_of(file, "device_assert(");
    match err {
        InterpError::AssertFailed { kernel, line, message, .. } => assert_eq!(
            (kernel.as_str(), *line, message.as_str()),
            (want_kernel, want_line, want_message),
            "{err}"
        ),
        other => panic!("expected AssertFailed, got {other:?}"),
    }
    assert!(err.to_string().contains(want_message), "{err}");
}

#[test]
fn short_output_buffer_is_out_of_bounds_at_the_store() {
    const BLOCK: usize = 64;
    let module = compile_corpus("vector_add.tsr", &[("BLOCK", BLOCK as i64)]);
    let n = 100;
    let x = vec![1.0f32; n];
    // z holds 90 elements: program 1 stores elements 64..100 and hits element 90.
    let args = vec![buf(&x), buf(&x), filled(90, 0.0f32), int(n)];
    let err = try_run(&module, "vector_add", args, Launch::programs(cdiv(n, BLOCK)))
        .expect_err("storing past the end of z must fail");
    let want_line = line_of("vector_add.tsr", "store(z + offs");
    match &err {
        InterpError::OutOfBounds { kernel, line, access, param, index, len, program, .. } => {
            assert_eq!(
                (kernel.as_str(), *line, *access, param.as_str(), *index, *len, *program),
                ("vector_add", want_line, MemAccess::Store, "z", 90, 90, [1, 0, 0]),
                "{err}"
            );
        }
        other => panic!("expected OutOfBounds, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains(&format!("line {want_line}:")), "{message}");
}

#[test]
fn short_input_buffer_is_out_of_bounds_at_the_load() {
    const BLOCK: usize = 64;
    let module = compile_corpus("vector_add.tsr", &[("BLOCK", BLOCK as i64)]);
    let n = 7;
    let args = vec![buf(&[1.0f32; 7]), buf(&[1.0f32; 5]), filled(n, 0.0f32), int(n)];
    let err = try_run(&module, "vector_add", args, Launch::programs(1))
        .expect_err("loading past the end of y must fail");
    let want_line = line_of("vector_add.tsr", "load(y + offs");
    match &err {
        InterpError::OutOfBounds { kernel, line, access, param, index, len, .. } => {
            assert_eq!(
                (kernel.as_str(), *line, *access, param.as_str(), *index, *len),
                ("vector_add", want_line, MemAccess::Load, "y", 5, 5),
                "{err}"
            );
        }
        other => panic!("expected OutOfBounds, got {other:?}"),
    }
}

#[test]
fn rmsnorm_row_wider_than_block_fails_its_device_assert() {
    const BLOCK: usize = 128;
    let module = compile_corpus("rmsnorm.tsr", &[("BLOCK", BLOCK as i64)]);
    let n_cols = BLOCK + 72;
    let x = vec![0.5f32; n_cols];
    let args =
        || vec![buf(&x), buf(&x), filled(n_cols, 0.0f32), int(n_cols), int(n_cols), f32_arg(1e-6)];
    let err = try_run(&module, "rmsnorm", args(), Launch::programs(1))
        .expect_err("n_cols > BLOCK must fail the device_assert");
    assert_assert_failed(&err, "rmsnorm", "rmsnorm.tsr", "rmsnorm: a row must fit in one BLOCK");

    // With asserts off the launch runs (on the first BLOCK columns, all in bounds).
    let unchecked = Launch { check_asserts: false, ..Launch::programs(1) };
    let args = try_run(&module, "rmsnorm", args(), unchecked).expect("asserts are off");
    // Every lane of the one block is 0.5 * rsqrt(128 * 0.25 / 200 + 1e-6) * 0.5.
    let want = 0.25 / (BLOCK as f64 * 0.25 / n_cols as f64 + 1e-6).sqrt();
    let got = out::<f32>(&args, 2);
    assert_close(
        "rmsnorm unchecked",
        &got[..BLOCK],
        &vec![want; BLOCK],
        Tol { rel: 1e-5, abs: 0.0 },
    );
    assert!(got[BLOCK..].iter().all(|&v| v == 0.0), "columns past BLOCK are untouched");
}

#[test]
fn collatz_zero_input_fails_its_device_assert() {
    let module = compile_corpus("collatz.tsr", &[]);
    let x = [5, 0, 3];
    let args = vec![buf(&x), filled(3, -1i32), int(3)];
    let err = try_run(&module, "collatz_scalar", args, Launch::programs(1))
        .expect_err("a zero input must fail the device_assert");
    assert_assert_failed(&err, "collatz_scalar", "collatz.tsr", "collatz: inputs must be positive");
}

#[test]
fn collatz_tile_runs_out_of_fuel() {
    let module = compile_corpus("collatz.tsr", &[("BLOCK", 32)]);
    // 27 needs 111 rounds of the tile loop; 200 instructions cannot cover them.
    let args = vec![buf(&[27i32]), filled(1, -1i32), int(1)];
    let starved = Launch { fuel: 200, ..Launch::programs(1) };
    let err =
        try_run(&module, "collatz_tile", args, starved).expect_err("200 units of fuel is too few");
    assert!(matches!(err, InterpError::FuelExhausted { .. }), "{err:?}");
}

#[test]
fn oversized_row_tile_fails_the_static_assert() {
    let text = corpus_source("reductions.tsr");
    let options = tessera_frontend::CompileOptions {
        consts: [("ROWS".to_string(), 64), ("BLOCK".to_string(), 512)].into_iter().collect(),
        kernel: Some("row_min_argmin".to_string()),
    };
    let diagnostics = tessera_frontend::compile(&text, &options)
        .expect_err("ROWS * BLOCK = 32768 exceeds the static_assert's limit");
    let rendered = tessera_frontend::render(&diagnostics, "reductions.tsr", &text, false);
    assert!(rendered.contains("ROWS * BLOCK must stay within 16384 elements"), "{rendered}");
}
