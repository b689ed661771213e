//! Launches: kernel lookup, argument checking, grids, and an end-to-end softmax.

use super::*;
use crate::interp::Scalar;
use crate::ops::{AtomicOp, ReduceOp};

fn copy_kernel() -> Module {
    let params = [("x", ptr(ScalarType::F32)), ("n", Type::scalar(ScalarType::I32))];
    Builder::kernel("copy", &params).finish()
}

fn run_copy(args: Vec<KernelArg>, grid: [u32; 3]) -> Result<(), InterpError> {
    launch(&copy_kernel(), args, grid).map(|_| ())
}

#[test]
fn kernels_are_found_by_name() {
    let mut module = copy_kernel();
    module.functions.push(Builder::helper("h", &[], &[]).finish().functions.remove(0));
    let options = LaunchOptions::default();
    let err = run_kernel(&module, "nope", &mut [], &options).unwrap_err();
    assert_eq!(err.to_string(), "no kernel named 'nope' in the module");
    let err = run_kernel(&module, "h", &mut [], &options).unwrap_err();
    assert_eq!(err, InterpError::NotAKernel { kernel: "h".into() });
}

#[test]
fn arguments_are_counted_and_typed() {
    let err = run_copy(vec![KernelArg::Buffer(vec![1.0f32].into())], [1, 1, 1]).unwrap_err();
    assert_eq!(err, InterpError::ArgCount { kernel: "copy".into(), expected: 2, got: 1 });
    assert_eq!(err.to_string(), "kernel 'copy' takes 2 argument(s), got 1");

    let wrong_dtype = vec![
        KernelArg::Buffer(Buffer::zeros(ScalarType::F16, 3)),
        KernelArg::Scalar(Scalar::I32(3)),
    ];
    let err = run_copy(wrong_dtype, [1, 1, 1]).unwrap_err();
    let InterpError::ArgType { param, expected, .. } = &err else { panic!("{err:?}") };
    assert_eq!((param.as_str(), expected), ("x", &ptr(ScalarType::F32)));
    assert_eq!(
        err.to_string(),
        "kernel 'copy': argument 'x' must be a buffer of f32, got a buffer of f16 (3 elements)"
    );

    let wrong_scalar =
        vec![KernelArg::Buffer(vec![1.0f32].into()), KernelArg::Scalar(Scalar::I64(3))];
    let err = run_copy(wrong_scalar, [1, 1, 1]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "kernel 'copy': argument 'n' must be a scalar of type i32, got a scalar of type i64"
    );

    let swapped = vec![KernelArg::Scalar(Scalar::F32(1.0)), KernelArg::Buffer(vec![1i32].into())];
    let err = run_copy(swapped, [1, 1, 1]).unwrap_err();
    let InterpError::ArgType { param, got, .. } = &err else { panic!("{err:?}") };
    assert_eq!((param.as_str(), got.as_str()), ("x", "a scalar of type f32"));
}

#[test]
fn grids_need_every_dimension() {
    let args = vec![KernelArg::Buffer(vec![1.0f32].into()), KernelArg::Scalar(Scalar::I32(1))];
    let err = run_copy(args.clone(), [4, 0, 1]).unwrap_err();
    assert_eq!(err, InterpError::BadGrid { kernel: "copy".into(), grid: [4, 0, 1] });
    assert!(err.to_string().starts_with("kernel 'copy': bad launch grid (4, 0, 1)"), "{err}");
    assert!(run_copy(args, [u32::MAX, 1, 1]).is_err());
}

fn grid_query(b: &mut Builder, op: fn(u8) -> Op, axis: u8) -> Value {
    b.op(op(axis), Type::scalar(ScalarType::I32))
}

#[test]
fn a_2d_grid_sees_program_ids_and_sizes() {
    // out[y * nx + x] = x + 100 * y + 10000 * num_programs(1)
    let mut b = Builder::kernel("grid2d", &[("out", ptr(ScalarType::I32))]);
    let program_id = |axis| Op::ProgramId { axis };
    let num_programs = |axis| Op::NumPrograms { axis };
    let (x, y) = (grid_query(&mut b, program_id, 0), grid_query(&mut b, program_id, 1));
    let (nx, ny) = (grid_query(&mut b, num_programs, 0), grid_query(&mut b, num_programs, 1));
    let (hundred, ten_thousand) = (b.i32(100), b.i32(10_000));
    let row = b.binary(BinaryOp::Mul, y, nx);
    let index = b.binary(BinaryOp::Add, row, x);
    let y_part = b.binary(BinaryOp::Mul, y, hundred);
    let n_part = b.binary(BinaryOp::Mul, ny, ten_thousand);
    let value = b.binary(BinaryOp::Add, x, y_part);
    let value = b.binary(BinaryOp::Add, value, n_part);
    let dst = b.offset(b.param(0), index);
    b.store(dst, value, None);
    let args =
        launch(&b.finish(), vec![KernelArg::Buffer(Buffer::zeros(ScalarType::I32, 12))], [4, 3, 1])
            .unwrap();
    let want: Vec<i32> = (0..3).flat_map(|y| (0..4).map(move |x| x + 100 * y + 30_000)).collect();
    assert_eq!(buffer_arg(&args, 0), Buffer::I32(want));
}

#[test]
fn programs_run_in_row_major_order_with_axis_0_fastest() {
    // order[linear id] = atomic_add(counter, 1): the sequence number of the program.
    let mut b = Builder::kernel(
        "order",
        &[("counter", ptr(ScalarType::I32)), ("order", ptr(ScalarType::I32))],
    );
    let one = b.i32(1);
    let ticket = b.op(
        Op::Atomic { op: AtomicOp::Add, ptr: b.param(0), value: one, mask: None },
        Type::scalar(ScalarType::I32),
    );
    let program_id = |axis| Op::ProgramId { axis };
    let num_programs = |axis| Op::NumPrograms { axis };
    let ids = [0, 1, 2].map(|axis| grid_query(&mut b, program_id, axis));
    let sizes = [0, 1].map(|axis| grid_query(&mut b, num_programs, axis));
    let plane = b.binary(BinaryOp::Mul, ids[2], sizes[1]);
    let rows = b.binary(BinaryOp::Add, plane, ids[1]);
    let rows = b.binary(BinaryOp::Mul, rows, sizes[0]);
    let linear = b.binary(BinaryOp::Add, rows, ids[0]);
    let dst = b.offset(b.param(1), linear);
    b.store(dst, ticket, None);
    let args = vec![
        KernelArg::Buffer(vec![0i32].into()),
        KernelArg::Buffer(Buffer::zeros(ScalarType::I32, 24)),
    ];
    let args = launch(&b.finish(), args, [2, 3, 4]).unwrap();
    assert_eq!(buffer_arg(&args, 1), Buffer::I32((0..24).collect()));
    assert_eq!(buffer_arg(&args, 0), Buffer::I32(vec![24]));
}

/// `y[row, :] = softmax(x[row, :])` for rows of `n_cols < BLOCK` columns, one row per
/// program, exactly as docs/language.md writes it.
fn softmax_kernel(block: u32) -> Module {
    let params = [
        ("x", ptr(ScalarType::F32)),
        ("y", ptr(ScalarType::F32)),
        ("n_cols", Type::scalar(ScalarType::I32)),
    ];
    let mut b = Builder::kernel("softmax", &params);
    let shape = [block];
    let row = b.op(Op::ProgramId { axis: 0 }, Type::scalar(ScalarType::I32));
    let cols = b.arange(0, i64::from(block));
    let n_cols = b.splat(b.param(2), &shape);
    let mask = b.cmp(CmpPred::Lt, cols, n_cols);
    let start = b.binary(BinaryOp::Mul, row, b.param(2));
    let start = b.splat(start, &shape);
    let offsets = b.binary(BinaryOp::Add, start, cols);
    let src = b.offset(b.param(0), offsets);
    let neg_inf = b.float(f64::NEG_INFINITY, ScalarType::F32);
    let other = b.splat(neg_inf, &shape);
    let v = b.load(src, Some(mask), Some(other));
    let max =
        b.op(Op::Reduce { op: ReduceOp::Max, arg: v, axis: 0 }, Type::scalar(ScalarType::F32));
    let max = b.splat(max, &shape);
    let shifted = b.binary(BinaryOp::Sub, v, max);
    let e = b.unary(UnaryOp::Exp, shifted);
    let sum =
        b.op(Op::Reduce { op: ReduceOp::Sum, arg: e, axis: 0 }, Type::scalar(ScalarType::F32));
    let sum = b.splat(sum, &shape);
    let out = b.binary(BinaryOp::Div, e, sum);
    let dst = b.offset(b.param(1), offsets);
    b.store(dst, out, Some(mask));
    b.finish()
}

#[test]
fn softmax_over_a_grid_matches_plain_rust() {
    let (rows, n_cols, block) = (64usize, 1000usize, 1024u32);
    let x: Vec<f32> = (0..rows * n_cols).map(|i| (i % 97) as f32 * 0.03 - 1.2).collect();
    let args = vec![
        KernelArg::Buffer(x.clone().into()),
        KernelArg::Buffer(Buffer::zeros(ScalarType::F32, rows * n_cols)),
        KernelArg::Scalar(Scalar::I32(n_cols as i32)),
    ];
    let args = launch(&softmax_kernel(block), args, [rows as u32, 1, 1]).unwrap();
    let mut want = Vec::with_capacity(rows * n_cols);
    for row in x.chunks(n_cols) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let e: Vec<f32> = row.iter().map(|&v| f64::from(v - max).exp() as f32).collect();
        let sum = language_sum(&e);
        want.extend(e.iter().map(|&x| x / sum));
    }
    assert_eq!(buffer_arg(&args, 1), Buffer::F32(want));
}

/// docs/language.md's float `sum`: 16 partial sums (element k into partial k mod 16,
/// each from -0.0 in index order), then halving: p[j] += p[j + w], w = 8, 4, 2, 1.
fn language_sum(xs: &[f32]) -> f32 {
    let mut p = [-0.0f32; 16];
    for (k, &x) in xs.iter().enumerate() {
        p[k % 16] += x;
    }
    for w in [8, 4, 2, 1] {
        for j in 0..w {
            p[j] += p[j + w];
        }
    }
    p[0]
}

#[test]
fn float_sum_order_is_the_languages() {
    // The 1.0s accumulate in their own partials before meeting the 1e8s, which a
    // sequential fold rounds them away against: the two orders give different bits.
    let mut xs = Vec::new();
    for _ in 0..2 {
        xs.push(1.0e8f32);
        xs.extend(std::iter::repeat_n(1.0f32, 15));
    }
    let sequential = xs.iter().fold(0.0f32, |a, &x| a + x);
    let want = language_sum(&xs);
    assert_ne!(sequential, want, "the example must tell the two orders apart");
    use crate::entity::EntityRef;
    let got = crate::interp::eval_pure_op(
        &Op::Reduce { op: ReduceOp::Sum, arg: crate::Value::new(0), axis: 0 },
        &[(&Buffer::F32(xs.clone()), &Type::tile(vec![xs.len() as u32], ScalarType::F32))],
        &Type::scalar(ScalarType::F32),
    )
    .unwrap();
    assert_eq!(got, Buffer::F32(vec![want]));
}
