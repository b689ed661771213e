//! Lowered kernels run on the reference interpreter and agree with plain Rust: a
//! vector add, a loop with a carried accumulator, early returns, helpers, `while`,
//! whole-tile reductions and pointer arithmetic.

use crate::sema::{compile, CompileOptions};
use tessera_ir::interp::{run_kernel, Buffer, KernelArg, LaunchOptions, Scalar};
use tessera_ir::{verify_module, Module};

fn build(text: &str, defines: &[(&str, i64)]) -> Module {
    let mut options = CompileOptions::default();
    for (name, value) in defines {
        options.consts.insert((*name).to_string(), *value);
    }
    let module = match compile(text, &options) {
        Ok(module) => module,
        Err(d) => panic!("{}", crate::diag::render(&d, "test.tsr", text, false)),
    };
    if let Err(e) = verify_module(&module) {
        panic!("{e}\n{}", tessera_ir::print_module(&module));
    }
    module
}

fn run(module: &Module, kernel: &str, args: &mut [KernelArg], grid: [u32; 3]) {
    let options = LaunchOptions { grid, ..LaunchOptions::default() };
    if let Err(e) = run_kernel(module, kernel, args, &options) {
        panic!("{kernel}: {e}\n{}", tessera_ir::print_module(module));
    }
}

fn f32s(values: &[f32]) -> KernelArg {
    KernelArg::Buffer(Buffer::F32(values.to_vec()))
}

fn i32s(values: &[i32]) -> KernelArg {
    KernelArg::Buffer(Buffer::I32(values.to_vec()))
}

fn out_f32(arg: &KernelArg) -> Vec<f32> {
    match arg {
        KernelArg::Buffer(Buffer::F32(v)) => v.clone(),
        other => panic!("not an f32 buffer: {other:?}"),
    }
}

fn out_i32(arg: &KernelArg) -> Vec<i32> {
    match arg {
        KernelArg::Buffer(Buffer::I32(v)) => v.clone(),
        other => panic!("not an i32 buffer: {other:?}"),
    }
}

#[test]
fn vector_add_matches_rust() {
    let text = "kernel add(x: *f32, y: *f32, out: *f32, n: i32, const BLOCK: i32 = 4) {
    let offs = program_id(0) * BLOCK + arange(0, BLOCK);
    let mask = offs < n;
    store(out + offs, load(x + offs, mask: mask) + load(y + offs, mask: mask), mask: mask);
}";
    let module = build(text, &[]);
    let x: Vec<f32> = (0..10).map(|i| i as f32 * 1.5).collect();
    let y: Vec<f32> = (0..10).map(|i| 100.0 - i as f32).collect();
    let mut args = [f32s(&x), f32s(&y), f32s(&[0.0; 10]), KernelArg::Scalar(Scalar::I32(10))];
    run(&module, "add", &mut args, [3, 1, 1]);
    let expected: Vec<f32> = x.iter().zip(&y).map(|(a, b)| a + b).collect();
    assert_eq!(out_f32(&args[2]), expected);
}

#[test]
fn loop_carried_accumulator_matches_rust() {
    let text = "kernel row_sums(x: *f32, out: *f32, n_cols: i32, const BLOCK: i32 = 4) {
    let row = program_id(0);
    let mut acc = zeros([BLOCK], f32);
    let mut chunks = 0;
    for start in range(0, n_cols, BLOCK) {
        let cols = start + arange(0, BLOCK);
        acc += load(x + row * n_cols + cols, mask: cols < n_cols, other: 0.0);
        chunks += 1;
    }
    store(out + row * 2, sum(acc, axis: 0));
    store(out + row * 2 + 1, chunks as f32);
}";
    let module = build(text, &[]);
    let (rows, cols) = (3, 10);
    let x: Vec<f32> = (0..rows * cols).map(|i| (i % 7) as f32).collect();
    let mut args = [f32s(&x), f32s(&[0.0; 6]), KernelArg::Scalar(Scalar::I32(cols as i32))];
    run(&module, "row_sums", &mut args, [rows as u32, 1, 1]);
    let out = out_f32(&args[1]);
    for r in 0..rows {
        let mut lanes = [0.0f32; 4];
        for (c, v) in x[r * cols..(r + 1) * cols].iter().enumerate() {
            lanes[c % 4] += v;
        }
        let expected = lanes.iter().fold(0.0f32, |a, b| a + b);
        assert_eq!(out[r * 2], expected, "row {r}");
        assert_eq!(out[r * 2 + 1], 3.0, "three chunks of 4 cover 10 columns");
    }
}

#[test]
fn early_returns_match_rust() {
    let text = "fn clamp_positive(v: f32) -> f32 {
    if v < 0.0 {
        return 0.0;
    }
    if v > 10.0 {
        return 10.0;
    }
    return v;
}

kernel gate(x: *f32, out: *f32, n: i32) {
    let i = program_id(0);
    if i >= n {
        return;
    }
    let mut v = load(x + i);
    if v == 5.0 {
        store(out + i, -1.0);
        return;
    } else {
        v = v * 2.0;
    }
    store(out + i, clamp_positive(v));
}";
    let module = build(text, &[]);
    let x = [-3.0f32, 1.0, 5.0, 4.0, 7.0, 2.5];
    let mut args = [f32s(&x), f32s(&[9.0; 6]), KernelArg::Scalar(Scalar::I32(5))];
    run(&module, "gate", &mut args, [6, 1, 1]);
    let expected = [0.0f32, 2.0, -1.0, 8.0, 10.0, 9.0];
    assert_eq!(out_f32(&args[1]), expected);
}

#[test]
fn generic_helpers_run_at_each_instantiation() {
    let text = "fn store_clamped(ptr, value, lo, hi, mask) {
    store(ptr, minimum(maximum(value, lo), hi), mask: mask);
}

fn twice(v) {
    return v + v;
}

kernel clamp_both(xf: *f32, yf: *f32, xi: *i32, yi: *i32, n: i32, const BLOCK: i32 = 8) {
    let offs = arange(0, BLOCK);
    let mask = offs < n;
    store_clamped(yf + offs, twice(load(xf + offs, mask: mask)), -1.0, 1.0, mask);
    store_clamped(yi + offs, twice(load(xi + offs, mask: mask)), 0, 5, mask);
}";
    let module = build(text, &[]);
    assert!(module.function("store_clamped.1").is_some());
    assert!(module.function("twice.1").is_some());
    let xf = [-2.0f32, -0.25, 0.0, 0.3, 0.75, 3.0];
    let xi = [-4, 0, 1, 2, 3, 9];
    let mut args =
        [f32s(&xf), f32s(&[0.0; 6]), i32s(&xi), i32s(&[0; 6]), KernelArg::Scalar(Scalar::I32(6))];
    run(&module, "clamp_both", &mut args, [1, 1, 1]);
    let ef: Vec<f32> = xf.iter().map(|v| (v + v).clamp(-1.0, 1.0)).collect();
    let ei: Vec<i32> = xi.iter().map(|v| (v + v).clamp(0, 5)).collect();
    assert_eq!(out_f32(&args[1]), ef);
    assert_eq!(out_i32(&args[3]), ei);
}

#[test]
fn while_with_if_matches_rust() {
    let text = "kernel collatz(x: *i32, steps: *i32) {
    let i = program_id(0);
    let mut v = load(x + i);
    let mut count = 0;
    while v > 1 {
        if v % 2 == 0 {
            v = v / 2;
        } else {
            v = 3 * v + 1;
        }
        count += 1;
    }
    store(steps + i, count);
}";
    let module = build(text, &[]);
    let x = [1, 2, 3, 6, 7, 27];
    let mut args = [i32s(&x), i32s(&[0; 6])];
    run(&module, "collatz", &mut args, [6, 1, 1]);
    let expected: Vec<i32> = x
        .iter()
        .map(|&start| {
            let (mut v, mut n) = (start, 0);
            while v > 1 {
                v = if v % 2 == 0 { v / 2 } else { 3 * v + 1 };
                n += 1;
            }
            n
        })
        .collect();
    assert_eq!(out_i32(&args[1]), expected);
}

#[test]
fn whole_tile_reductions_use_flat_order() {
    let text = "kernel stats(x: *f32, out: *f32, idx: *i32, const R: i32 = 2, const C: i32 = 3) {
    let t = load(x + arange(0, R)[:, None] * C + arange(0, C)[None, :]);
    store(out, sum(t));
    store(out + 1, max(t));
    store(out + 2, min(t));
    store(idx, argmax(t));
    store(idx + 1, argmin(t));
    let col = cumsum(t, axis: 1);
    store(out + 3 + arange(0, C), sum(col, axis: 0));
}";
    let module = build(text, &[]);
    let x = [3.0f32, -1.0, 8.0, 8.0, 0.5, -7.0];
    let mut args = [f32s(&x), f32s(&[0.0; 6]), i32s(&[0; 2])];
    run(&module, "stats", &mut args, [1, 1, 1]);
    let out = out_f32(&args[1]);
    assert_eq!(&out[..3], &[x.iter().sum::<f32>(), 8.0, -7.0]);
    assert_eq!(out_i32(&args[2]), [2, 5], "first maximum, flat index");
    // Column sums of the row-wise cumulative sums.
    let cum = [[3.0f32, 2.0, 10.0], [8.0, 8.5, 1.5]];
    let expected: Vec<f32> = (0..3).map(|c| cum[0][c] + cum[1][c]).collect();
    assert_eq!(&out[3..], &expected[..]);
}

#[test]
fn pointer_arithmetic_and_cdiv_match_rust() {
    let text = "kernel reverse(x: *f32, y: *f32, n: i32, const BLOCK: i32 = 4) {
    let blocks = cdiv(n, BLOCK);
    let offs = program_id(0) * BLOCK + arange(0, BLOCK);
    let mask = offs < n;
    let end = x + (n - 1);
    let v = load(end - offs, mask: mask);
    store(y + offs, v, mask: mask);
    store(y + n, blocks as f32);
}";
    let module = build(text, &[]);
    let x = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
    let mut args = [f32s(&x), f32s(&[0.0; 8]), KernelArg::Scalar(Scalar::I32(7))];
    run(&module, "reverse", &mut args, [2, 1, 1]);
    assert_eq!(out_f32(&args[1]), [7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 2.0]);
}

#[test]
fn locations_name_source_lines() {
    let text = "kernel k(x: *f32) {\n    let v = load(x);\n    store(x, v + 1.0);\n}\n";
    let module = build(text, &[]);
    let kernel = module.function("k").expect("kernel");
    let store = kernel
        .insts
        .iter()
        .find(|(_, data)| matches!(data.op, tessera_ir::Op::Store { .. }))
        .map(|(inst, _)| inst)
        .expect("a store");
    assert_eq!(kernel.loc(store), tessera_ir::Loc { line: 3, col: 5 });
}

#[test]
fn nested_conditional_returns_and_const_helper_params() {
    let text = "fn step(v: f32) -> f32 {
    if v > 0.0 {
        if v > 1.0 {
            return 1.0;
        } else if v > 0.5 {
            return 0.5;
        }
        let w = v * 10.0;
        return w;
    }
    return -v;
}

fn first(p: *f32, const N: i32) -> f32 {
    return sum(load(p + arange(0, N)), axis: 0);
}

kernel k(x: *f32, out: *f32, const B: i32 = 2) {
    let i = program_id(0);
    let mut total = 0.0;
    for j in range(0, 3) {
        if j == 1 {
            total += first(x, B);
        } else {
            total -= 0.5;
        }
    }
    store(out + i, step(load(x + i)) + total * 0.0);
    store(out + 5 + i, total);
}";
    let module = build(text, &[]);
    let x = [2.0f32, 0.75, 0.25, -3.0, 0.0];
    let mut args = [f32s(&x), f32s(&[0.0; 10])];
    run(&module, "k", &mut args, [5, 1, 1]);
    let out = out_f32(&args[1]);
    let step = |v: f32| {
        if v > 0.0 {
            if v > 1.0 {
                1.0
            } else if v > 0.5 {
                0.5
            } else {
                v * 10.0
            }
        } else {
            -v
        }
    };
    let expected: Vec<f32> = x.iter().map(|&v| step(v)).collect();
    assert_eq!(&out[..5], &expected[..]);
    assert!(out[5..].iter().all(|&t| t == -0.5 - 0.5 + (2.0 + 0.75)));
}
